"""Issue #9, group life in the handlers, tried as a new user would: rebinding corner cases,
commands addressed in every way, senders that are not people, the bot kicked, re-added or
silenced, and every reply within Telegram's limit."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from storage import chats, people
from storage.engine import Database
from tests.conftest import ADMIN_ID, OfflineBot
from tests.handlers.test_groups import (
    ANONYMOUS_ADMIN,
    GROUP,
    GROUP_CHAT,
    MANAGER,
    MEMBER,
    ORGANISER,
    OTHER_GROUP,
    OTHER_MANAGER,
    SILENCED,
    STRANGER,
    _as_sender_chat,
    _group_say,
    _join,
    _my_chat_member,
    _north,
    _south,
)
from tests.offline import BOT_USER

THIS_BOT = BOT_USER["username"]
LIMIT = 4096


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


def _slug_of(bot: OfflineBot, chat_id: int) -> str | None:
    with _db(bot).begin() as conn:
        team = chats.team_for_chat(conn, chat_id)
    return team.slug if team is not None else None


def _team(bot: OfflineBot, slug: str) -> Any:
    with _db(bot).begin() as conn:
        return people.find_team(conn, slug)


def _sends(calls: list[Any]) -> list[dict[str, Any]]:
    return [c.params for c in calls if c.method.startswith("send")]


# --- Rebinding ------------------------------------------------------------------------------------


async def test_binding_the_same_team_again_in_its_own_group_claims_no_ended_binding(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    update = offline_bot.message(MANAGER, "/bind north-ward", chat_id=GROUP, chat_type="supergroup")
    sent = _sends(await offline_bot.process(update))
    [reply] = sent  # nobody else is told anything
    assert reply["chat_id"] == GROUP
    assert reply["text"] == (
        "✓ This chat is now North Ward's chat. The weekly digest will be posted here."
    )
    assert _slug_of(offline_bot, GROUP) == "north-ward"


async def test_a_manager_of_only_the_current_team_cannot_rebind_to_a_team_they_do_not_manage(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    await _south(offline_bot)
    update = offline_bot.message(MANAGER, "/bind south-side", chat_id=GROUP, chat_type="supergroup")
    sent = _sends(await offline_bot.process(update))
    [reply] = sent
    assert reply["chat_id"] == GROUP and not reply["text"].startswith("✓")
    assert _slug_of(offline_bot, GROUP) == "north-ward"
    assert _slug_of(offline_bot, OTHER_GROUP) == "south-side"


async def test_a_manager_of_both_teams_rebinds_and_the_other_managers_are_told(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    await _south(offline_bot)
    both = 2010
    await _join(offline_bot, both, "north-ward", "manager", "Bo")
    await _join(offline_bot, both, "south-side", "manager", "Bo")
    update = offline_bot.message(
        both, "/bind south-side", chat_id=GROUP, chat_type="supergroup", first_name="Bo"
    )
    sent = _sends(await offline_bot.process(update))
    by_chat = {p["chat_id"]: p["text"] for p in sent}
    assert set(by_chat) == {GROUP, MANAGER}  # North's other manager told; Bo not told twice
    assert "that binding has ended" in by_chat[GROUP]
    assert "North Ward's managers have been told" in by_chat[GROUP]
    assert by_chat[MANAGER].startswith("Bo bound North Ward's group chat to South Side.")
    assert _slug_of(offline_bot, GROUP) == "south-side"
    assert _slug_of(offline_bot, OTHER_GROUP) is None


async def test_a_sole_manager_of_both_teams_is_not_told_managers_were_told(
    offline_bot: OfflineBot,
) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await offline_bot.say(ADMIN_ID, "/newteam South Side")
    await _join(offline_bot, MANAGER, "north-ward", "manager", "Mia")
    await _join(offline_bot, MANAGER, "south-side", "manager", "Mia")
    assert (await _group_say(offline_bot, MANAGER, "/bind north-ward")).startswith("✓")
    update = offline_bot.message(MANAGER, "/bind south-side", chat_id=GROUP, chat_type="supergroup")
    sent = _sends(await offline_bot.process(update))
    [reply] = sent
    assert "that binding has ended" in reply["text"]
    assert "have been told" not in reply["text"]  # nobody was


@pytest.mark.parametrize("text", ["/bind", "/bind   ", "/bind no-such-team", "/bind south-side"])
async def test_bind_without_a_known_team_changes_nothing_and_says_why(
    offline_bot: OfflineBot, text: str
) -> None:
    await _north(offline_bot)
    reply = await _group_say(offline_bot, MANAGER, text)
    assert not reply.startswith("✓") and 0 < len(reply) < 300
    assert _slug_of(offline_bot, GROUP) == "north-ward"


async def test_bind_with_a_multi_word_team_name_is_understood(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    reply = await _group_say(offline_bot, MANAGER, "/bind North Ward")
    assert reply.startswith("✓ This chat is now North Ward's chat")


@pytest.mark.parametrize(
    "text",
    ["/BIND north-ward", f"/bind@{THIS_BOT} north-ward", f"/Bind@{THIS_BOT.upper()} north-ward"],
)
async def test_bind_in_any_case_and_addressed_to_this_bot_binds(
    offline_bot: OfflineBot, text: str
) -> None:
    await _north(offline_bot, bound=False)
    reply = await _group_say(offline_bot, MANAGER, text)
    assert reply.startswith("✓ This chat is now North Ward's chat")
    assert _slug_of(offline_bot, GROUP) == "north-ward"


async def test_bind_addressed_to_another_bot_is_left_alone(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    update = offline_bot.message(
        MANAGER, "/bind@other_bot north-ward", chat_id=GROUP, chat_type="supergroup"
    )
    assert await offline_bot.process(update) == []
    assert _slug_of(offline_bot, GROUP) is None


# --- Senders that are not people ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"/bind@{THIS_BOT} north-ward",
        "/BIND north-ward",
        "/totals",
        f"/totals@{THIS_BOT}",
        "/digest",
        "/help",
        "/log 121 Sam",
        f"/nosuch@{THIS_BOT}",
    ],
)
async def test_an_anonymous_admin_in_a_bound_group_is_asked_to_post_as_themselves(
    offline_bot: OfflineBot, text: str
) -> None:
    await _north(offline_bot)
    update = offline_bot.message(MANAGER, text, chat_id=GROUP, chat_type="supergroup")
    group = dict(update["message"]["chat"])
    calls = await offline_bot.process(_as_sender_chat(update, ANONYMOUS_ADMIN, group))
    [reply] = _sends(calls)
    assert reply["chat_id"] == GROUP
    assert reply["text"].startswith("I can't tell who sent that, so nothing was done")
    assert _slug_of(offline_bot, GROUP) == "north-ward"


@pytest.mark.parametrize("text", ["/totals@other_bot", "/roll", "hello"])
async def test_an_anonymous_admin_talking_to_others_is_left_alone(
    offline_bot: OfflineBot, text: str
) -> None:
    await _north(offline_bot)
    update = offline_bot.message(MANAGER, text, chat_id=GROUP, chat_type="supergroup")
    group = dict(update["message"]["chat"])
    assert await offline_bot.process(_as_sender_chat(update, ANONYMOUS_ADMIN, group)) == []


async def test_a_channel_sending_a_rebind_changes_nothing(offline_bot: OfflineBot) -> None:
    await _north(offline_bot)
    await _south(offline_bot)
    update = offline_bot.message(MANAGER, "/bind south-side", chat_id=GROUP, chat_type="supergroup")
    channel = {"id": -1001999000111, "type": "channel", "title": "News"}
    from tests.handlers.test_groups import CHANNEL_BOT

    [reply] = _sends(await offline_bot.process(_as_sender_chat(update, CHANNEL_BOT, channel)))
    assert "sent as a channel" in reply["text"]
    assert _slug_of(offline_bot, GROUP) == "north-ward"


# --- Commands in a team's group -------------------------------------------------------------------


async def test_totals_in_a_bound_group_by_a_manager_of_another_team_is_refused(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    await _south(offline_bot)
    reply = await _group_say(offline_bot, OTHER_MANAGER, "/totals")
    assert reply.startswith("Only North Ward's members")
    # ... and in their own group they see their own team.
    own = await _group_say(offline_bot, OTHER_MANAGER, "/totals", chat_id=OTHER_GROUP)
    assert own.startswith("South Side · ")


@pytest.mark.parametrize("user", [ORGANISER, MANAGER])
async def test_totals_in_a_bound_group_for_members_shows_counts_not_notes(
    offline_bot: OfflineBot, user: int
) -> None:
    await _north(offline_bot)
    await offline_bot.say(ORGANISER, '121 Jo "secret note"')
    for text in ("/totals", "/TOTALS", f"/totals@{THIS_BOT}", "/totals last week"):
        reply = await _group_say(offline_bot, user, text)
        assert reply.startswith("North Ward · "), (text, reply)
        assert "secret note" not in reply and "Jo" not in reply.replace("Jo ", "")


async def test_group_help_in_an_unbound_group_explains_bind(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    for user in (STRANGER, MANAGER):
        reply = await _group_say(offline_bot, user, "/help")
        assert "/bind" in reply and "121" not in reply
        assert len(reply) <= LIMIT


async def test_digest_in_an_unbound_group_says_how_to_bind(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    reply = await _group_say(offline_bot, MANAGER, "/digest")
    assert "/bind" in reply


async def test_a_stranger_sending_digest_in_a_bound_group_gets_an_answer_and_no_digest(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    update = offline_bot.message(STRANGER, "/digest", chat_id=GROUP, chat_type="supergroup")
    calls = await offline_bot.process(update)
    assert [c.method for c in calls if c.method.startswith("send")] == ["sendMessage"]
    assert not _sends(calls)[0]["text"].startswith("North Ward · ")


@pytest.mark.parametrize("command", ["/help", "/digest"])
async def test_an_edited_command_in_a_group_is_not_run_again(
    offline_bot: OfflineBot, command: str
) -> None:
    await _north(offline_bot)
    original = offline_bot.message(MANAGER, command, chat_id=GROUP, chat_type="supergroup")
    assert _sends(await offline_bot.process(original))
    edited = offline_bot.updates.edited(original, command + " ")
    assert _sends(await offline_bot.process(edited)) == []


async def test_an_edited_totals_in_a_group_is_not_run_again(offline_bot: OfflineBot) -> None:
    await _north(offline_bot)
    original = offline_bot.message(MANAGER, "/totals", chat_id=GROUP, chat_type="supergroup")
    assert _sends(await offline_bot.process(original))
    edited = offline_bot.updates.edited(original, "/totals ")
    assert _sends(await offline_bot.process(edited)) == []


async def test_totals_for_a_large_team_in_its_group_stays_within_telegrams_limit(
    offline_bot: OfflineBot,
) -> None:
    from organiser_bot.domain.roles import Role
    from tests.digest_factories import make_member

    await _north(offline_bot)
    team = _team(offline_bot, "north-ward")
    with _db(offline_bot).begin() as conn:
        for i in range(150):
            make_member(
                conn, team.id, 50_000 + i, f"Organiser Number {i:03d} Longname", Role.ORGANISER
            )
    update = offline_bot.message(MANAGER, "/totals", chat_id=GROUP, chat_type="supergroup")
    replies = [p["text"] for p in _sends(await offline_bot.process(update))]
    assert len(replies) >= 2
    assert all(len(t.encode("utf-16-le")) // 2 <= LIMIT for t in replies)
    assert replies[0].startswith("North Ward · ")
    assert any(line.startswith("Team attainment: ") for line in replies[-1].splitlines())


# --- Migration ------------------------------------------------------------------------------------


def _service(bot: OfflineBot, chat_id: int, chat_type: str, **field: int) -> dict[str, Any]:
    update = bot.message(MANAGER, "x", chat_id=chat_id, chat_type=chat_type)
    del update["message"]["text"]
    update["message"].update(field)
    return update


async def test_both_migration_messages_delivered_twice_announce_once(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    new_id = -1009000777
    to = _service(offline_bot, GROUP, "group", migrate_to_chat_id=new_id)
    frm = _service(offline_bot, new_id, "supergroup", migrate_from_chat_id=GROUP)
    sent = []
    for update in (frm, to, copy.deepcopy(frm), copy.deepcopy(to)):
        sent += _sends(await offline_bot.process(update))
    [announced] = sent
    assert announced["chat_id"] == new_id
    assert _slug_of(offline_bot, new_id) == "north-ward"
    assert _slug_of(offline_bot, GROUP) is None
    # The bot shows up as a member of the new supergroup: no "hello, please /bind me".
    joined = _my_chat_member(
        {"id": new_id, "type": "supergroup", "title": "North"}, {"status": "left"}, MEMBER, 9100
    )
    assert _sends(await offline_bot.process(joined)) == []


async def test_a_migration_of_a_group_no_team_uses_says_nothing(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    to = _service(offline_bot, GROUP, "group", migrate_to_chat_id=-1009000888)
    assert _sends(await offline_bot.process(to)) == []


# --- The bot's own membership ---------------------------------------------------------------------


async def test_kicked_readded_rebound_and_kicked_again_tells_the_managers_each_time(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    kicked = {"status": "kicked", "until_date": 0}
    left = {"status": "left"}
    first = _sends(await offline_bot.process(_my_chat_member(GROUP_CHAT, MEMBER, kicked, 9001)))
    assert [p["chat_id"] for p in first] == [MANAGER]
    assert _team(offline_bot, "north-ward").chat_lost_reason == "removed"
    # Re-added: the group is told how to bind, since it is nobody's chat now.
    hello = _sends(await offline_bot.process(_my_chat_member(GROUP_CHAT, left, MEMBER, 9002)))
    assert [p["chat_id"] for p in hello] == [GROUP] and "/bind" in hello[0]["text"]
    assert (await _group_say(offline_bot, MANAGER, "/bind north-ward")).startswith("✓")
    team = _team(offline_bot, "north-ward")
    assert team.chat_lost_at is None and team.chat_lost_reason is None
    # A new loss is a new notice.
    again = _sends(await offline_bot.process(_my_chat_member(GROUP_CHAT, MEMBER, left, 9003)))
    assert [p["chat_id"] for p in again] == [MANAGER]


async def test_silenced_then_allowed_again_unbinds_then_greets(offline_bot: OfflineBot) -> None:
    await _north(offline_bot)
    told = _sends(await offline_bot.process(_my_chat_member(GROUP_CHAT, MEMBER, SILENCED, 9001)))
    assert [p["chat_id"] for p in told] == [MANAGER]
    assert "no longer allowed to send messages" in told[0]["text"]
    assert _slug_of(offline_bot, GROUP) is None
    back = _sends(await offline_bot.process(_my_chat_member(GROUP_CHAT, SILENCED, MEMBER, 9002)))
    assert [p["chat_id"] for p in back] == [GROUP] and "/bind" in back[0]["text"]


async def test_restricted_but_still_allowed_to_send_changes_nothing(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    no_photos = {**SILENCED, "can_send_messages": True}
    assert await offline_bot.process(_my_chat_member(GROUP_CHAT, MEMBER, no_photos, 9001)) == []
    assert _slug_of(offline_bot, GROUP) == "north-ward"


async def test_a_team_with_no_managers_losing_its_chat_records_it_and_messages_nobody(
    offline_bot: OfflineBot,
) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, ORGANISER, "north-ward", "organiser", "Sam")
    assert (await _group_say(offline_bot, ADMIN_ID, "/bind north-ward")).startswith("✓")
    kicked = {"status": "kicked", "until_date": 0}
    calls = await offline_bot.process(_my_chat_member(GROUP_CHAT, MEMBER, kicked, 9001))
    assert all(p["chat_id"] != ORGANISER for p in _sends(calls))
    team = _team(offline_bot, "north-ward")
    assert team.chat_lost_reason == "removed" and _slug_of(offline_bot, GROUP) is None
