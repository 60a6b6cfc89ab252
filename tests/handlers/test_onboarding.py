"""Onboarding end to end: the real Application against the fake Bot API server."""

from __future__ import annotations

import re

from tests.conftest import ADMIN_ID, BotHarness

ORGANISER = 2001
STRANGER = 3001
GROUP = -100123


async def _invite(bot: BotHarness, team: str, role: str, *extra: str) -> str:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role} {' '.join(extra)}".strip())
    match = re.search(r"https://t\.me/organiser_test_bot\?start=([\w-]+)", reply)
    assert match, reply
    return match.group(1)


async def test_admin_creates_team_invites_user_joins_and_binds_group(bot: BotHarness) -> None:
    reply = await bot.say(ADMIN_ID, "/newteam North Ward")
    assert "North Ward created" in reply and "north-ward" in reply

    code = await _invite(bot, "north-ward", "organiser")

    joined = await bot.send(ORGANISER, f"/start {code}", first_name="Sam")
    assert "Welcome to North Ward" in joined["text"] and "organiser" in joined["text"]
    buttons = [b["text"] for row in joined["reply_markup"]["keyboard"] for b in row]
    assert "+1 one-to-one" in buttons

    bound = await bot.say(ADMIN_ID, "/bind north-ward", chat_id=GROUP, chat_type="supergroup")
    assert "North Ward's chat" in bound

    team = await bot.say(ADMIN_ID, "/team north-ward")
    assert "Sam" in team and "organiser" in team and "has a chat" in team


async def test_used_up_code_changes_nothing(bot: BotHarness) -> None:
    await bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(bot, "north-ward", "organiser")
    assert "Welcome" in await bot.say(ORGANISER, f"/start {code}")
    reply = await bot.say(STRANGER, f"/start {code}")
    assert "already been used" in reply
    # The stranger is still not a member: a quick log is refused and nothing is stored.
    assert "invite" in await bot.say(STRANGER, "121 Sam")


async def test_unknown_and_revoked_codes_are_refused(bot: BotHarness) -> None:
    await bot.say(ADMIN_ID, "/newteam North Ward")
    assert "isn't valid" in await bot.say(STRANGER, "/start nosuchcode")
    code = await _invite(bot, "north-ward", "caseworker", "5")
    assert "revoked" in await bot.say(ADMIN_ID, f"/revoke {code}")
    assert "withdrawn" in await bot.say(STRANGER, f"/start {code}")


async def test_expired_code_is_refused(bot: BotHarness) -> None:
    await bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(bot, "north-ward", "organiser", "1", "1")
    bot.clock.advance(days=2)
    assert "expired" in await bot.say(STRANGER, f"/start {code}")


async def test_start_without_code_explains_how_to_join(bot: BotHarness) -> None:
    assert "invite link" in await bot.say(STRANGER, "/start")


async def test_member_cannot_invite_or_bind(bot: BotHarness) -> None:
    await bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(bot, "north-ward", "organiser")
    await bot.say(ORGANISER, f"/start {code}")
    assert "Only" in await bot.say(ORGANISER, "/invite north-ward organiser")
    assert "Only" in await bot.say(ORGANISER, "/bind north-ward", chat_id=GROUP, chat_type="group")
    assert "Only managers" in await bot.say(ORGANISER, "/newteam Rogue")


async def test_help_depends_on_role(bot: BotHarness) -> None:
    await bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(bot, "north-ward", "organiser")
    await bot.say(ORGANISER, f"/start {code}")
    member_help = await bot.say(ORGANISER, "/help")
    admin_help = await bot.say(ADMIN_ID, "/help")
    assert "/week" in member_help and "/invite" not in member_help
    assert "/invite" in admin_help
    assert "invite link" in await bot.say(STRANGER, "/help")


async def test_command_menus_are_registered_per_scope(bot: BotHarness) -> None:
    calls = bot.api.calls("setMyCommands")
    scopes = [c["scope"]["type"] for c in calls]
    assert {"all_private_chats", "all_group_chats", "chat"} <= set(scopes)


async def test_a_new_manager_gets_the_managers_menu(bot: BotHarness) -> None:
    await bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(bot, "north-ward", "manager")
    since = len(bot.api.requests)
    await bot.say(4001, f"/start {code}")
    [menu] = await bot.api.wait_for(
        "setMyCommands", lambda p: p["scope"] == {"type": "chat", "chat_id": 4001}, since=since
    )
    assert "totals" in {c["command"] for c in menu.params["commands"]}


async def test_admin_adds_a_kind_that_members_can_log_at_once(bot: BotHarness) -> None:
    await bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(bot, "north-ward", "organiser")
    await bot.say(ORGANISER, f"/start {code}")
    assert "Only admins" in await bot.say(ORGANISER, "/newkind training")
    assert "already names" in await bot.say(ADMIN_ID, "/newkind doors")
    added = await bot.say(ADMIN_ID, "/newkind training train")
    assert added.startswith("✓ New kind: training (training, train)")
    assert await bot.say(ORGANISER, "train 2 phone bank") == "✓ 2 × training · Thu 26 Nov · week 2"
    assert "training target" in await bot.say(ADMIN_ID, "/target organiser training 3 north-ward")
    assert "training: 2/3" in await bot.say(ORGANISER, "/week")
