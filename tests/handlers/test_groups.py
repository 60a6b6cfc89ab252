"""Commands in groups, topics, anonymous senders, migrations and the bot's own membership:
the real Application, fed updates in process."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from telegram.ext import CommandHandler

from handlers.groups import GROUP_COMMANDS, PRIVATE_ONLY_COMMANDS
from organiser_bot.usecases.chats import ChatLoss
from storage import chats
from storage.engine import Database
from tests.conftest import ADMIN_ID, OfflineBot
from tests.offline import BOT_USER

MANAGER, ORGANISER, STRANGER, OTHER_MANAGER = 2001, 2002, 2003, 2004
GROUP, OTHER_GROUP = -100123, -100456
LINK = f"https://t.me/{BOT_USER['username']}"
ANONYMOUS_ADMIN = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}


async def _join(bot: OfflineBot, user_id: int, team: str, role: str, name: str) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    match = re.search(r"\?start=([\w-]+)", reply)
    assert match, reply
    assert "Welcome" in await bot.say(user_id, f"/start {match.group(1)}", first_name=name)


async def _north(bot: OfflineBot, *, bound: bool = True) -> None:
    """North Ward with Mia (manager) and Sam (organiser), bound to GROUP when ``bound``."""
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(bot, MANAGER, "north-ward", "manager", "Mia")
    await _join(bot, ORGANISER, "north-ward", "organiser", "Sam")
    if bound:
        assert "North Ward's chat" in await _group_say(bot, MANAGER, "/bind north-ward")


async def _group_say(bot: OfflineBot, user_id: int, text: str, chat_id: int = GROUP) -> str:
    return await bot.say(user_id, text, chat_id=chat_id, chat_type="supergroup")


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


def _registered_commands(bot: OfflineBot) -> set[str]:
    return {
        command
        for handlers in bot.app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


def test_every_command_is_either_for_groups_or_pointed_to_the_private_chat(
    offline_bot: OfflineBot,
) -> None:
    assert _registered_commands(offline_bot) == set(GROUP_COMMANDS) | set(PRIVATE_ONLY_COMMANDS)
    assert not set(GROUP_COMMANDS) & set(PRIVATE_ONLY_COMMANDS)


@pytest.mark.parametrize("command", sorted(PRIVATE_ONLY_COMMANDS))
async def test_a_private_chat_command_in_a_team_group_points_to_the_private_chat(
    offline_bot: OfflineBot, command: str
) -> None:
    await _north(offline_bot)
    reply = await _group_say(offline_bot, ORGANISER, f"/{command} 121 Sam")
    assert reply == f"/{command} works in a private chat with me: {LINK}"


async def test_every_command_in_a_bound_group_gets_an_answer(offline_bot: OfflineBot) -> None:
    await _north(offline_bot)
    silent = []
    for command in sorted(_registered_commands(offline_bot)):
        for user_id in (ORGANISER, MANAGER, STRANGER):
            update = offline_bot.message(
                user_id, f"/{command}", chat_id=GROUP, chat_type="supergroup"
            )
            calls = [c for c in await offline_bot.process(update) if c.method.startswith("send")]
            if not calls:
                silent.append((command, user_id))
    assert silent == []


async def test_help_in_a_group_shows_what_works_there(offline_bot: OfflineBot) -> None:
    await _north(offline_bot)
    reply = await _group_say(offline_bot, ORGANISER, "/help")
    for command in ("/bind", "/digest", "/totals"):
        assert command in reply
    assert LINK in reply and "121 Sam" not in reply  # no quick-log lessons in a group


async def test_totals_in_a_team_group_shows_the_team_week_as_counts_only(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    await offline_bot.say(ORGANISER, '121 Jo "private words"')
    reply = await _group_say(offline_bot, ORGANISER, "/totals")
    assert reply.startswith("North Ward · ")
    assert "Sam" in reply and "one-to-one 1" in reply
    assert "private words" not in reply


async def test_totals_in_a_team_group_is_refused_to_people_outside_the_team(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    reply = await _group_say(offline_bot, STRANGER, "/totals")
    assert reply.startswith("Only North Ward's members")
    # Admins see every team's.
    assert (await _group_say(offline_bot, ADMIN_ID, "/totals")).startswith("North Ward · ")


async def test_totals_in_an_unbound_group_says_how_to_bind(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    assert "/bind" in await _group_say(offline_bot, MANAGER, "/totals")


async def test_commands_for_other_bots_and_unknown_commands_stay_silent(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    for text in ("/week@other_bot", "/totals@other_bot", "/roll", "/roll@other_bot"):
        update = offline_bot.message(ORGANISER, text, chat_id=GROUP, chat_type="supergroup")
        assert await offline_bot.process(update) == []
    named = await _group_say(offline_bot, ORGANISER, f"/roll@{BOT_USER['username']}")
    assert named == "I don't know /roll. /help lists what works here."
    addressed = await _group_say(offline_bot, ORGANISER, f"/week@{BOT_USER['username']}")
    assert addressed.startswith("/week works in a private chat")


# --- Forum topics ---------------------------------------------------------------------------------


def _in_topic(update: dict[str, Any], thread_id: int) -> dict[str, Any]:
    topic = copy.deepcopy(update)
    topic["message"].update(message_thread_id=thread_id, is_topic_message=True)
    topic["message"]["chat"]["is_forum"] = True
    return topic


async def test_bind_in_a_forum_topic_binds_that_topic(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    update = offline_bot.message(MANAGER, "/bind north-ward", chat_id=GROUP, chat_type="supergroup")
    [reply] = await offline_bot.replies(_in_topic(update, 77))
    assert reply.params["text"] == (
        "✓ This topic is now North Ward's chat. The weekly digest will be posted in this topic."
    )
    assert reply.params.get("message_thread_id") == 77  # the reply stays in the topic
    with _db(offline_bot).begin() as conn:
        team = chats.team_for_chat(conn, GROUP)
        assert team is not None
        binding = chats.team_chat(conn, team.id)
    assert binding is not None and binding.thread_id == 77


async def test_bind_outside_a_topic_binds_the_whole_group(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    update = offline_bot.message(MANAGER, "/bind north-ward", chat_id=GROUP, chat_type="supergroup")
    # A reply in a plain supergroup carries a thread id but is no topic message.
    update["message"]["message_thread_id"] = 5
    [reply] = await offline_bot.replies(update)
    assert reply.params["text"].endswith("The weekly digest will be posted here.")
    with _db(offline_bot).begin() as conn:
        team = chats.team_for_chat(conn, GROUP)
        assert team is not None
        binding = chats.team_chat(conn, team.id)
    assert binding is not None and binding.thread_id is None


# --- Anonymous admins and channels ----------------------------------------------------------------


def _as_sender_chat(update: dict[str, Any], sender: dict[str, Any], sender_chat: dict[str, Any]):
    changed = copy.deepcopy(update)
    changed["message"]["from"] = sender
    changed["message"]["sender_chat"] = sender_chat
    return changed


@pytest.mark.parametrize("text", ["/bind north-ward", "/digest", "/totals", "/help", "/week"])
async def test_an_anonymous_admin_is_asked_to_post_as_themselves(
    offline_bot: OfflineBot, text: str
) -> None:
    await _north(offline_bot, bound=False)
    update = offline_bot.message(MANAGER, text, chat_id=GROUP, chat_type="supergroup")
    group = dict(update["message"]["chat"])
    [reply] = await offline_bot.replies(_as_sender_chat(update, ANONYMOUS_ADMIN, group))
    assert reply.params["text"].startswith("I can't tell who sent that, so nothing was done")
    assert "Remain anonymous" in reply.params["text"] and "Only" not in reply.params["text"]
    with _db(offline_bot).begin() as conn:
        assert chats.team_for_chat(conn, GROUP) is None


async def test_a_channel_posting_in_the_group_is_asked_to_post_as_a_person(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot, bound=False)
    update = offline_bot.message(MANAGER, "/bind north-ward", chat_id=GROUP, chat_type="supergroup")
    channel = {"id": -1001999000111, "type": "channel", "title": "News"}
    [reply] = await offline_bot.replies(_as_sender_chat(update, CHANNEL_BOT, channel))
    assert "sent as a channel" in reply.params["text"]
    with _db(offline_bot).begin() as conn:
        assert chats.team_for_chat(conn, GROUP) is None


async def test_an_anonymous_admin_command_for_another_bot_stays_silent(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    update = offline_bot.message(MANAGER, "/roll", chat_id=GROUP, chat_type="supergroup")
    group = dict(update["message"]["chat"])
    assert await offline_bot.process(_as_sender_chat(update, ANONYMOUS_ADMIN, group)) == []


# --- Rebinding ------------------------------------------------------------------------------------


async def _south(bot: OfflineBot) -> None:
    """South Side, managed by Ola, bound to OTHER_GROUP."""
    await bot.say(ADMIN_ID, "/newteam South Side")
    await _join(bot, OTHER_MANAGER, "south-side", "manager", "Ola")
    assert "South Side's chat" in await _group_say(
        bot, OTHER_MANAGER, "/bind south-side", chat_id=OTHER_GROUP
    )


async def test_rebinding_another_teams_group_needs_both_teams(offline_bot: OfflineBot) -> None:
    await _north(offline_bot)
    await _south(offline_bot)
    reply = await _group_say(offline_bot, OTHER_MANAGER, "/bind south-side")
    assert reply == (
        "This group is North Ward's chat. Binding it to South Side would end that, so it needs "
        "someone who manages both teams, or an admin. Nothing changed."
    )
    with _db(offline_bot).begin() as conn:
        north = chats.team_for_chat(conn, GROUP)
        south = chats.team_for_chat(conn, OTHER_GROUP)
    assert north is not None and north.slug == "north-ward"
    assert south is not None and south.slug == "south-side"


async def test_an_admin_rebinding_a_group_ends_the_old_binding_and_tells_its_managers(
    offline_bot: OfflineBot,
) -> None:
    await _north(offline_bot)
    await _south(offline_bot)
    update = offline_bot.message(
        ADMIN_ID, "/bind south-side", chat_id=GROUP, chat_type="supergroup", first_name="Ada"
    )
    calls = [c for c in await offline_bot.process(update) if c.method == "sendMessage"]
    [reply] = [c.params["text"] for c in calls if c.params["chat_id"] == GROUP]
    assert reply.splitlines() == [
        "✓ This chat is now South Side's chat. The weekly digest will be posted here.",
        "It was North Ward's chat until now: that binding has ended, and North Ward gets no "
        "digest until it binds another group. North Ward's managers have been told.",
        'South Side\'s previous "Test supergroup" no longer receives its digest.',
    ]
    [notice] = [c.params for c in calls if c.params["chat_id"] == MANAGER]
    assert notice["text"].startswith("Ada bound North Ward's group chat to South Side.")
    assert "/bind north-ward" in notice["text"]
    assert {c.params["chat_id"] for c in calls} == {GROUP, MANAGER}
    with _db(offline_bot).begin() as conn:
        team = chats.team_for_chat(conn, GROUP)
        assert chats.team_for_chat(conn, OTHER_GROUP) is None
    assert team is not None and team.slug == "south-side"


# --- Migration and the bot's own membership -------------------------------------------------------


async def test_migration_service_messages_move_the_team_chat(offline_bot: OfflineBot) -> None:
    await _north(offline_bot)
    new_id = -1009000123
    update = offline_bot.message(MANAGER, "x", chat_id=GROUP, chat_type="group")
    message = update["message"]
    del message["text"]
    message["migrate_to_chat_id"] = new_id
    [announced] = [c.params for c in await offline_bot.process(update)]
    assert announced["chat_id"] == new_id and "still North Ward's chat" in announced["text"]
    # The supergroup's own message finds nothing left to move.
    second = offline_bot.message(MANAGER, "x", chat_id=new_id, chat_type="supergroup")
    del second["message"]["text"]
    second["message"]["migrate_from_chat_id"] = GROUP
    assert await offline_bot.process(second) == []
    with _db(offline_bot).begin() as conn:
        assert chats.team_for_chat(conn, GROUP) is None
        moved = chats.team_for_chat(conn, new_id)
    assert moved is not None and moved.slug == "north-ward"
    reply = await _group_say(offline_bot, ORGANISER, "/totals", chat_id=new_id)
    assert reply.startswith("North Ward · ")


def _my_chat_member(
    chat: dict[str, Any], old: dict[str, Any], new: dict[str, Any], update_id: int
) -> dict[str, Any]:
    bot = dict(BOT_USER)
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": chat,
            "from": {"id": MANAGER, "is_bot": False, "first_name": "Mia"},
            "date": 1_800_000_000,
            "old_chat_member": {"user": bot, **old},
            "new_chat_member": {"user": bot, **new},
        },
    }


GROUP_CHAT = {"id": GROUP, "type": "supergroup", "title": "North chat"}
MEMBER = {"status": "member"}
SILENCED = {
    "status": "restricted",
    "is_member": True,
    "can_send_messages": False,
    **dict.fromkeys(
        [
            "can_send_audios",
            "can_send_documents",
            "can_send_photos",
            "can_send_videos",
            "can_send_video_notes",
            "can_send_voice_notes",
            "can_send_polls",
            "can_send_other_messages",
            "can_add_web_page_previews",
            "can_change_info",
            "can_invite_users",
            "can_pin_messages",
            "can_manage_topics",
            "can_edit_tag",
            "can_react_to_messages",
        ],
        False,
    ),
    "until_date": 0,
}


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ({"status": "kicked", "until_date": 0}, ChatLoss.REMOVED),
        ({"status": "left"}, ChatLoss.REMOVED),
        (SILENCED, ChatLoss.BLOCKED),
    ],
)
async def test_the_bot_removed_or_silenced_unbinds_and_tells_the_managers_once(
    offline_bot: OfflineBot, new: dict[str, Any], reason: ChatLoss
) -> None:
    await _north(offline_bot)
    sent = []
    for update_id in (9001, 9002):  # Telegram may tell twice
        calls = await offline_bot.process(_my_chat_member(GROUP_CHAT, MEMBER, new, update_id))
        sent += [c.params for c in calls if c.method == "sendMessage"]
    [notice] = sent
    assert notice["chat_id"] == MANAGER
    assert notice["text"].startswith("North Ward's weekly digest can no longer be posted in")
    assert "Forbidden" not in notice["text"] and "/bind" in notice["text"]
    with _db(offline_bot).begin() as conn:
        assert chats.team_for_chat(conn, GROUP) is None
        from storage import people

        team = people.find_team(conn, "north-ward")
    assert team is not None and team.chat_lost_reason == reason.value


async def test_the_bot_added_to_a_group_says_who_can_bind_it(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    calls = await offline_bot.process(_my_chat_member(GROUP_CHAT, {"status": "left"}, MEMBER, 9001))
    [hello] = [c.params for c in calls if c.method == "sendMessage"]
    assert hello["chat_id"] == GROUP
    assert "/bind <team short name>" in hello["text"] and "manager" in hello["text"]
    # Promoted to administrator: no second greeting.
    admin = {
        "status": "administrator",
        "can_be_edited": False,
        "is_anonymous": False,
        **dict.fromkeys(
            [
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ],
            False,
        ),
    }
    assert await offline_bot.process(_my_chat_member(GROUP_CHAT, MEMBER, admin, 9002)) == []


async def test_removal_from_a_group_no_team_uses_tells_nobody(offline_bot: OfflineBot) -> None:
    await _north(offline_bot, bound=False)
    kicked = {"status": "kicked", "until_date": 0}
    assert await offline_bot.process(_my_chat_member(GROUP_CHAT, MEMBER, kicked, 9001)) == []
