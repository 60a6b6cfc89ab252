"""Onboarding: the real Application, fed updates in process."""

from __future__ import annotations

import re

from organiser_bot.domain.targets import pro_rate
from tests.conftest import ADMIN_ID, OfflineBot

ORGANISER = 2001
STRANGER = 3001
GROUP = -100123


async def _invite(bot: OfflineBot, team: str, role: str, *extra: str) -> str:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role} {' '.join(extra)}".strip())
    match = re.search(r"https://t\.me/organiser_test_bot\?start=([\w-]+)", reply)
    assert match, reply
    return match.group(1)


async def test_admin_creates_team_invites_user_joins_and_binds_group(
    offline_bot: OfflineBot,
) -> None:
    reply = await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    assert "North Ward created" in reply and "north-ward" in reply

    code = await _invite(offline_bot, "north-ward", "organiser")

    joined = await offline_bot.send(ORGANISER, f"/start {code}", first_name="Sam")
    assert "Welcome to North Ward" in joined["text"] and "organiser" in joined["text"]
    buttons = [b["text"] for row in joined["reply_markup"]["keyboard"] for b in row]
    assert "+1 one-to-one" in buttons

    bound = await offline_bot.say(
        ADMIN_ID, "/bind north-ward", chat_id=GROUP, chat_type="supergroup"
    )
    assert "North Ward's chat" in bound

    team = await offline_bot.say(ADMIN_ID, "/team north-ward")
    assert "Sam" in team and "organiser" in team and "has a chat" in team


async def test_used_up_code_changes_nothing(offline_bot: OfflineBot) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(offline_bot, "north-ward", "organiser")
    assert "Welcome" in await offline_bot.say(ORGANISER, f"/start {code}")
    reply = await offline_bot.say(STRANGER, f"/start {code}")
    assert "already been used" in reply
    # The stranger is still not a member: a quick log is refused and nothing is stored.
    assert "invite" in await offline_bot.say(STRANGER, "121 Sam")


async def test_unknown_and_revoked_codes_are_refused(offline_bot: OfflineBot) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    assert "isn't valid" in await offline_bot.say(STRANGER, "/start nosuchcode")
    code = await _invite(offline_bot, "north-ward", "caseworker", "5")
    assert "revoked" in await offline_bot.say(ADMIN_ID, f"/revoke {code}")
    assert "withdrawn" in await offline_bot.say(STRANGER, f"/start {code}")


async def test_expired_code_is_refused(offline_bot: OfflineBot) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(offline_bot, "north-ward", "organiser", "1", "1")
    offline_bot.clock.advance(days=2)
    assert "expired" in await offline_bot.say(STRANGER, f"/start {code}")


async def test_start_without_code_explains_how_to_join(offline_bot: OfflineBot) -> None:
    assert "invite link" in await offline_bot.say(STRANGER, "/start")


async def test_member_cannot_invite_or_bind(offline_bot: OfflineBot) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(offline_bot, "north-ward", "organiser")
    await offline_bot.say(ORGANISER, f"/start {code}")
    assert "Only" in await offline_bot.say(ORGANISER, "/invite north-ward organiser")
    assert "Only" in await offline_bot.say(
        ORGANISER, "/bind north-ward", chat_id=GROUP, chat_type="group"
    )
    assert "Only managers" in await offline_bot.say(ORGANISER, "/newteam Rogue")


async def test_help_depends_on_role(offline_bot: OfflineBot) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(offline_bot, "north-ward", "organiser")
    await offline_bot.say(ORGANISER, f"/start {code}")
    member_help = await offline_bot.say(ORGANISER, "/help")
    admin_help = await offline_bot.say(ADMIN_ID, "/help")
    assert "/week" in member_help and "/invite" not in member_help
    assert "/invite" in admin_help
    assert "invite link" in await offline_bot.say(STRANGER, "/help")


async def test_command_menus_are_registered_per_scope(offline_bot: OfflineBot) -> None:
    calls = offline_bot.calls("setMyCommands")
    scopes = [c["scope"]["type"] for c in calls]
    assert {"all_private_chats", "all_group_chats", "chat"} <= set(scopes)


async def test_a_new_manager_gets_the_managers_menu(offline_bot: OfflineBot) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(offline_bot, "north-ward", "manager")
    since = len(offline_bot.request.calls)
    await offline_bot.say(4001, f"/start {code}")
    [menu] = [
        c
        for c in offline_bot.request.calls_to("setMyCommands", since)
        if c.params["scope"] == {"type": "chat", "chat_id": 4001}
    ]
    assert "totals" in {c["command"] for c in menu.params["commands"]}


async def test_a_new_organiser_gets_active_in_their_menu_and_a_councillor_none(
    offline_bot: OfflineBot,
) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    for user_id, role in ((4002, "organiser"), (4003, "councillor")):
        code = await _invite(offline_bot, "north-ward", role)
        since = len(offline_bot.request.calls)
        await offline_bot.say(user_id, f"/start {code}")
        menus = [
            {c["command"] for c in call.params["commands"]}
            for call in offline_bot.request.calls_to("setMyCommands", since)
            if call.params["scope"] == {"type": "chat", "chat_id": user_id}
        ]
        if role == "organiser":
            assert len(menus) == 1 and "active" in menus[0] and "totals" not in menus[0]
        else:
            assert menus == []


async def test_admin_adds_a_kind_that_members_can_log_at_once(offline_bot: OfflineBot) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    code = await _invite(offline_bot, "north-ward", "organiser")
    await offline_bot.say(ORGANISER, f"/start {code}")
    assert "Only admins" in await offline_bot.say(ORGANISER, "/newkind training")
    assert "already names" in await offline_bot.say(ADMIN_ID, "/newkind doors")
    added = await offline_bot.say(ADMIN_ID, "/newkind training train")
    assert added.startswith("✓ New kind: training (training, train)")
    assert (
        await offline_bot.say(ORGANISER, "train 2 phone bank")
        == "✓ 2 × training “phone bank” · Thu 26 Nov · week 2"
    )
    assert "training target" in await offline_bot.say(
        ADMIN_ID, "/target organiser training 3 north-ward"
    )
    # Sam joined today (Thursday): the days of the week before it do not count towards the
    # target, pro-rated as absences are.
    today = offline_bot.clock().date()
    before_joining = today.weekday()
    target = pro_rate({"training": 3}, before_joining)["training"]
    assert f"training: 2/{target}" in await offline_bot.say(ORGANISER, "/week")
