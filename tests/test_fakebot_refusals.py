"""The fake Bot API refuses what Telegram refuses, and PTB raises its real exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    InputMediaPhoto,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden

from tests.fakebot import CAPTION_LIMIT, TEXT_LIMIT, FakeBotAPI

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
GROUP = -555
SUPERGROUP = -1001234567890


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server
    leaked = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not leaked, f"tasks leaked: {leaked}"


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url) as b:
        yield b


async def updates(bot: Bot) -> list[Update]:
    """Every pending update, confirmed."""
    got = list(await bot.get_updates(timeout=0))
    if got:
        await bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
    return got


# --------------------------------------------------------------------------- lengths


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize("unit", ["a", "é", "😀", "👍🏽"])
async def test_text_limit_counts_utf16_units(api: FakeBotAPI, bot: Bot, unit: str) -> None:
    fits = unit * (TEXT_LIMIT // utf16(unit))
    assert utf16(fits) <= TEXT_LIMIT < utf16(fits + unit)
    assert (await bot.send_message(42, fits)).text == fits
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(42, fits + unit)
    assert api.requests[-1].response["description"] == "Bad Request: message is too long"
    assert api.sent_texts() == [fits]


async def test_astral_characters_count_twice(bot: Bot) -> None:
    # 2048 emoji are 2048 code points but 4096 UTF-16 units: the limit; one more is over
    assert len("😀" * 2049) < TEXT_LIMIT
    await bot.send_message(42, "😀" * 2048)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(42, "😀" * 2049)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=2100).filter(lambda t: t.strip() != ""))
async def test_any_text_within_the_limit_is_sent_and_over_it_refused(text: str) -> None:
    async with FakeBotAPI() as api, Bot(api.token, base_url=api.base_url) as bot:
        doubled = text * (TEXT_LIMIT // utf16(text) + 1)  # always over the limit
        assert (await bot.send_message(42, text)).text == text
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(42, doubled)


async def test_edit_text_limit_and_empty_text(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(42, "short")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.edit_message_text("x" * (TEXT_LIMIT + 1), chat_id=42, message_id=sent.message_id)
    for empty in ("", "  \n"):
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(42, empty)
    edited = await bot.edit_message_text("x" * TEXT_LIMIT, chat_id=42, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "x" * TEXT_LIMIT


async def test_caption_limits(api: FakeBotAPI, bot: Bot) -> None:
    over = "é" * (CAPTION_LIMIT + 1)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(42, PNG, caption=over)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(42, b"a,b\n", filename="x.csv", caption=over)
    media = [InputMediaPhoto(PNG, caption="fine"), InputMediaPhoto(PNG, caption=over)]
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_media_group(42, media)
    assert api.requests[-1].response["description"] == "Bad Request: message caption is too long"

    photo = await bot.send_photo(42, PNG, caption="😀" * (CAPTION_LIMIT // 2))
    assert photo.message_id == 1  # nothing was sent by the refused calls
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.edit_message_caption(42, photo.message_id, caption="😀" * 513)
    edited = await bot.edit_message_caption(42, photo.message_id, caption="new")
    assert isinstance(edited, Message) and edited.caption == "new"


# --------------------------------------------------------------------------- migration


async def test_upgrade_to_supergroup_pushes_both_messages_and_refuses_old_id(
    api: FakeBotAPI, bot: Bot
) -> None:
    api.add_bot(GROUP, title="Riverside team")
    sent = await bot.send_message(GROUP, "before")
    new_id = api.upgrade_to_supergroup(GROUP, user_id=7)
    assert new_id <= -1000000000000 and new_id != GROUP

    got = await updates(bot)
    assert got[0].my_chat_member is not None
    old_msg, new_msg = got[1].message, got[2].message
    assert old_msg is not None and new_msg is not None
    assert old_msg.chat.id == GROUP and old_msg.migrate_to_chat_id == new_id
    assert new_msg.chat.id == new_id and new_msg.migrate_from_chat_id == GROUP
    assert new_msg.chat.type == "supergroup" and new_msg.chat.title == "Riverside team"
    assert old_msg.from_user is not None and old_msg.from_user.id == 7

    calls = [
        bot.send_message(GROUP, "after"),
        bot.send_photo(GROUP, PNG),
        bot.edit_message_text("edited", chat_id=GROUP, message_id=sent.message_id),
        bot.delete_message(GROUP, sent.message_id),
    ]
    for call in calls:
        with pytest.raises(ChatMigrated) as excinfo:
            await call
        assert excinfo.value.new_chat_id == new_id
    assert api.requests[-1].response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new_id},
    }
    moved = await bot.send_message(new_id, "after")
    assert moved.chat.type == "supergroup" and moved.chat.title == "Riverside team"


async def test_only_a_basic_group_can_be_upgraded(api: FakeBotAPI) -> None:
    new_id = api.upgrade_to_supergroup(-777)
    for chat_id in (42, SUPERGROUP, -777, new_id):
        with pytest.raises(ValueError):
            api.upgrade_to_supergroup(chat_id)


# --------------------------------------------------------------------------- removed bot


@pytest.mark.parametrize(
    ("chat_id", "chat_type", "status", "description"),
    [
        (GROUP, "group", "kicked", "Forbidden: bot was kicked from the group chat"),
        (GROUP, "group", "left", "Forbidden: bot is not a member of the group chat"),
        (SUPERGROUP, "supergroup", "kicked", "Forbidden: bot was kicked from the supergroup chat"),
        (SUPERGROUP, "supergroup", "left", "Forbidden: bot is not a member of the supergroup chat"),
    ],
)
async def test_removed_bot_is_refused_until_added_again(
    api: FakeBotAPI, bot: Bot, chat_id: int, chat_type: str, status: str, description: str
) -> None:
    assert (await bot.send_message(chat_id, "works without add_bot")).chat.type == chat_type
    api.remove_bot(chat_id, user_id=9, status=status)
    [update] = await updates(bot)
    member = update.my_chat_member
    assert member is not None and member.from_user.id == 9 and member.chat.id == chat_id
    assert isinstance(member.old_chat_member, ChatMemberMember)
    assert member.new_chat_member.user.id == api.bot_id
    if status == "kicked":
        assert isinstance(member.new_chat_member, ChatMemberBanned)
        assert update.to_dict()["my_chat_member"]["new_chat_member"]["until_date"] == 0
    else:
        assert isinstance(member.new_chat_member, ChatMemberLeft)

    for call in (bot.send_message(chat_id, "x"), bot.send_photo(chat_id, PNG)):
        with pytest.raises(Forbidden) as excinfo:
            await call
        assert excinfo.value.message == description
    assert api.requests[-1].response["error_code"] == 403

    api.add_bot(chat_id, chat_type=chat_type, title="Back again", status="administrator")
    [update] = await updates(bot)
    member = update.my_chat_member
    assert member is not None
    assert isinstance(member.old_chat_member, ChatMemberLeft)
    assert isinstance(member.new_chat_member, ChatMemberAdministrator)
    assert (await bot.send_message(chat_id, "x")).chat.title == "Back again"


async def test_block_bot_and_unblock(api: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(42, "hello")
    api.block_bot(42)
    [update] = await updates(bot)
    member = update.my_chat_member
    assert member is not None and member.chat.type == "private" and member.chat.id == 42
    assert isinstance(member.old_chat_member, ChatMemberMember)
    assert isinstance(member.new_chat_member, ChatMemberBanned)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(42, "x")
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_chat_action(42, "typing")
    assert (await bot.send_message(43, "others still fine")).chat.id == 43

    api.add_bot(42, chat_type="private")
    [update] = await updates(bot)
    assert update.my_chat_member is not None
    assert isinstance(update.my_chat_member.old_chat_member, ChatMemberBanned)
    assert (await bot.send_message(42, "welcome back")).text == "welcome back"


async def test_remove_bot_refuses_bad_arguments(api: FakeBotAPI) -> None:
    with pytest.raises(ValueError):
        api.remove_bot(GROUP, status="restricted")
    with pytest.raises(ValueError):
        api.remove_bot(42)
    with pytest.raises(ValueError):
        api.add_bot(GROUP, status="kicked")
    with pytest.raises(ValueError):
        api.add_bot(GROUP, is_forum=True)
    assert api.pending_updates == []


# --------------------------------------------------------------------------- forum topics


async def test_forum_topics(api: FakeBotAPI, bot: Bot) -> None:
    first = api.create_topic(SUPERGROUP, "Digests")
    second = api.create_topic(SUPERGROUP, "Chat")
    assert first != second

    in_topic = await bot.send_message(SUPERGROUP, "digest", message_thread_id=second)
    assert in_topic.message_thread_id == second and in_topic.is_topic_message
    assert in_topic.chat.is_forum
    general = await bot.send_message(SUPERGROUP, "general")
    assert general.message_thread_id is None and not general.is_topic_message
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_message(SUPERGROUP, "lost", message_thread_id=second + 100)
    with pytest.raises(BadRequest, match="Message thread not found"):
        await bot.send_photo(-1009, PNG, message_thread_id=first)  # not a forum
    threads = [p.get("message_thread_id") for p in api.calls("sendMessage")]
    assert threads == [second, None, second + 100]


async def test_user_message_in_a_topic(api: FakeBotAPI, bot: Bot) -> None:
    thread = api.create_topic(GROUP, "Logs")  # a basic group becomes a forum supergroup
    api.user_message(
        5, "/log 3 doors", chat_id=GROUP, chat_type="supergroup", message_thread_id=thread
    )
    api.user_message(
        5,
        "in a topic the fake had not seen",
        chat_id=-1007,
        chat_type="supergroup",
        message_thread_id=40,
    )
    first, second = [u.message for u in await updates(bot)]
    assert first is not None and second is not None
    assert first.message_thread_id == thread and first.is_topic_message
    assert first.chat.is_forum and first.chat.type == "supergroup"
    assert first.entities[0].type == "bot_command"
    assert second.chat.is_forum and second.message_thread_id == 40
    reply = await bot.send_message(-1007, "ok", message_thread_id=40)
    assert reply.message_thread_id == 40
    with pytest.raises(ValueError):
        api.user_message(5, "x", chat_id=-5, chat_type="group", message_thread_id=2)


# --------------------------------------------------------------------------- senders


async def test_anonymous_admin_and_channel_senders(api: FakeBotAPI, bot: Bot) -> None:
    thread = api.create_topic(SUPERGROUP, "Digests")
    api.anonymous_admin_message(SUPERGROUP, "/digest", message_thread_id=thread)
    api.channel_message(GROUP, "/start now")
    anon, channel = [u.message for u in await updates(bot)]
    assert anon is not None and channel is not None

    assert anon.from_user is not None and anon.from_user.id == 1087968824
    assert anon.from_user.username == "GroupAnonymousBot" and anon.from_user.is_bot
    assert anon.sender_chat is not None and anon.sender_chat.id == SUPERGROUP == anon.chat.id
    assert anon.message_thread_id == thread and anon.entities[0].type == "bot_command"

    assert channel.from_user is not None and channel.from_user.id == 136817688
    assert channel.from_user.username == "Channel_Bot"
    assert channel.sender_chat is not None and channel.sender_chat.type == "channel"
    assert channel.sender_chat.id == -1001999000111
    assert channel.sender_chat.title == "Test channel"
    assert channel.chat.id == GROUP and channel.chat.type == "group"
    assert channel.entities[0].length == len("/start")


# --------------------------------------------------------------------------- callbacks


async def test_callback_answers_expire(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(42, "Vote?")
    first = api.callback_query(42, "a", message=sent)["callback_query"]["id"]
    second = api.callback_query(42, "b", message=sent)["callback_query"]["id"]
    third = api.callback_query(42, "c", message=sent)["callback_query"]["id"]
    too_old = "Query is too old and response timeout expired or query id is invalid"

    assert await bot.answer_callback_query(first)
    with pytest.raises(BadRequest, match=too_old):  # answered already
        await bot.answer_callback_query(first)
    with pytest.raises(BadRequest, match=too_old):  # never pushed
        await bot.answer_callback_query("999")
    api.expire_callbacks()
    for query_id in (second, third):
        with pytest.raises(BadRequest, match=too_old):
            await bot.answer_callback_query(query_id)
    assert api.requests[-1].response["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    fresh = api.callback_query(42, "d", message=sent)["callback_query"]["id"]
    assert await bot.answer_callback_query(fresh)


async def test_callback_answer_window_is_measured_from_the_push() -> None:
    async with (
        FakeBotAPI(callback_answer_window=0.0) as api,
        Bot(api.token, base_url=api.base_url) as bot,
    ):
        sent = await bot.send_message(42, "Vote?")
        query_id = api.callback_query(42, "a", message=sent)["callback_query"]["id"]
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(query_id)


# --------------------------------------------------------------------------- deletions


async def test_delete_message_and_replies_to_deleted(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(42, "to delete")
    assert await bot.delete_message(42, sent.message_id)
    for message_id in (sent.message_id, 999):
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(42, message_id)
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(42, "reply", reply_to_message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(42, "reply", reply_parameters=ReplyParameters(sent.message_id))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=42, message_id=sent.message_id)

    loose = await bot.send_message(
        42, "reply", reply_to_message_id=sent.message_id, allow_sending_without_reply=True
    )
    assert loose.reply_to_message is None
    nested = await bot.send_message(
        42,
        "reply",
        reply_parameters=ReplyParameters(sent.message_id, allow_sending_without_reply=True),
    )
    assert nested.reply_to_message is None
    unseen = await bot.send_message(42, "reply", reply_to_message_id=500)  # never seen: fine
    assert unseen.text == "reply"


async def test_user_message_deleted_by_user(api: FakeBotAPI, bot: Bot) -> None:
    update = api.user_message(42, "/log 3 doors")
    kept = api.user_message(42, "still here")
    message_id = update["message"]["message_id"]
    api.delete_user_message(42, message_id)
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(42, "logged", reply_to_message_id=message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(42, message_id)
    reply = await bot.send_message(42, "ok", reply_to_message_id=kept["message"]["message_id"])
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "still here"
