"""Group life end to end: the real bot polling the fake Bot API, which behaves as Telegram does
when a group is upgraded, moved to topics, loses the bot or gains it."""

from __future__ import annotations

import re

from storage import chats, people
from storage.engine import Database
from tests.conftest import ADMIN_ID, BotHarness

MANAGER, ORGANISER = 2001, 2002
GROUP = -4001


def _db(bot: BotHarness) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


async def _team(bot: BotHarness) -> None:
    """North Ward with Mia (manager) and Sam (organiser)."""
    await bot.say(ADMIN_ID, "/newteam North Ward")
    for user_id, role, name in ((MANAGER, "manager", "Mia"), (ORGANISER, "organiser", "Sam")):
        reply = await bot.say(ADMIN_ID, f"/invite north-ward {role}")
        match = re.search(r"\?start=([\w-]+)", reply)
        assert match, reply
        assert "Welcome" in await bot.say(user_id, f"/start {match.group(1)}", first_name=name)


def _bound_chat(bot: BotHarness) -> tuple[int, int | None] | None:
    with _db(bot).begin() as conn:
        team = people.find_team(conn, "north-ward")
        assert team is not None
        binding = chats.team_chat(conn, team.id)
    return (binding.chat_id, binding.thread_id) if binding is not None else None


async def test_a_group_upgraded_to_a_supergroup_keeps_its_team(bot: BotHarness) -> None:
    await _team(bot)
    bot.api.add_bot(GROUP, user_id=MANAGER, title="North chat")
    await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == GROUP)
    assert "North Ward's chat" in await bot.say(
        MANAGER, "/bind north-ward", chat_id=GROUP, chat_type="group"
    )
    since = len(bot.api.requests)
    new_id = bot.api.upgrade_to_supergroup(GROUP, user_id=MANAGER)
    [moved] = await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == new_id, since=since)
    assert moved.params["text"] == (
        "This group is now a supergroup and is still North Ward's chat: "
        "the weekly digest will be posted here as before."
    )
    since = len(bot.api.requests)
    bot.api.user_message(MANAGER, "/digest", chat_id=new_id, chat_type="supergroup")
    [preview] = await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == new_id, since=since)
    assert preview.params["text"].startswith("North Ward · ")
    assert _bound_chat(bot) == (new_id, None)


async def test_bind_in_a_forum_topic_binds_the_topic(bot: BotHarness) -> None:
    await _team(bot)
    forum = -1004002
    bot.api.add_bot(forum, user_id=MANAGER, chat_type="supergroup", is_forum=True)
    await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == forum)
    topic = bot.api.create_topic(forum, "Digests")
    reply = await bot.send(
        MANAGER, "/bind north-ward", chat_id=forum, chat_type="supergroup", message_thread_id=topic
    )
    assert reply["text"].endswith("The weekly digest will be posted in this topic.")
    assert reply.get("message_thread_id") == topic
    assert _bound_chat(bot) == (forum, topic)


async def test_an_anonymous_admin_is_asked_to_post_as_themselves(bot: BotHarness) -> None:
    await _team(bot)
    since = len(bot.api.requests)
    bot.api.anonymous_admin_message(GROUP, "/bind north-ward", chat_type="group")
    [reply] = await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == GROUP, since=since)
    assert "Remain anonymous" in reply.params["text"]
    assert "Only" not in reply.params["text"]
    assert _bound_chat(bot) is None


async def test_a_channel_sender_is_asked_to_post_as_a_person(bot: BotHarness) -> None:
    await _team(bot)
    bot.api.add_bot(GROUP, user_id=MANAGER, chat_type="supergroup")
    await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == GROUP)
    since = len(bot.api.requests)
    bot.api.channel_message(GROUP, "/totals")
    [reply] = await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == GROUP, since=since)
    assert "sent as a channel" in reply.params["text"]


async def test_the_bot_removed_tells_the_managers_once_and_unbinds(bot: BotHarness) -> None:
    await _team(bot)
    bot.api.add_bot(GROUP, user_id=MANAGER, title="North chat")
    await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == GROUP)
    await bot.say(MANAGER, "/bind north-ward", chat_id=GROUP, chat_type="group")
    since = len(bot.api.requests)
    bot.api.remove_bot(GROUP, user_id=ORGANISER, status="kicked")
    bot.api.remove_bot(GROUP, user_id=ORGANISER, status="left")  # a second event, same loss
    [notice] = await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == MANAGER, since=since)
    assert notice.params["text"].startswith(
        'North Ward\'s weekly digest can no longer be posted in the group "North chat"'
    )
    # Later updates through, the manager still has the one notice (the loss is recorded by
    # whichever event unbinds the chat; the other finds nothing to report).
    await bot.say(ORGANISER, "/help")
    assert [p for p in bot.api.calls("sendMessage") if p["chat_id"] == MANAGER][-1] == (
        notice.params
    )
    assert _bound_chat(bot) is None


async def test_the_bot_added_to_a_group_says_who_can_bind_it(bot: BotHarness) -> None:
    await _team(bot)
    bot.api.add_bot(GROUP, user_id=MANAGER, title="North chat")
    [hello] = await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == GROUP)
    assert "/bind <team short name>" in hello.params["text"]
    assert "manager of the team or an admin" in hello.params["text"]
