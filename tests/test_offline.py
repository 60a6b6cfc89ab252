"""The in-process Bot API answers like Telegram, refuses what it refuses, never uses the network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from tests.offline import OfflineRequest, Updates

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def request_() -> OfflineRequest:
    return OfflineRequest(now=lambda: NOW)


@pytest.fixture
async def bot(request_: OfflineRequest) -> AsyncIterator[Bot]:
    async with Bot("123456:TEST-TOKEN", request=request_, get_updates_request=request_) as bot:
        yield bot


async def test_calls_are_recorded_with_decoded_params_and_answered_in_telegrams_shape(
    bot: Bot, request_: OfflineRequest
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Undo", callback_data="undo:1")]])
    message = await bot.send_message(42, "hello", reply_markup=markup)

    assert bot.username == "organiser_test_bot"
    assert message.text == "hello" and message.chat.type == "private"
    assert message.date == NOW and message.reply_markup == markup
    [call] = request_.calls_to("sendMessage")
    assert call.params["chat_id"] == 42
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Undo", "callback_data": "undo:1"}]]
    }
    assert call.result["message_id"] == message.message_id


async def test_message_ids_are_shared_by_a_chats_users_and_bot() -> None:
    request = OfflineRequest()
    updates = Updates(chats=request.chats)
    async with Bot("123456:TEST-TOKEN", request=request, get_updates_request=request) as bot:
        first = updates.private(42, "hi")["message"]["message_id"]
        reply = await bot.send_message(42, "hello")
        again = updates.private(42, "hi again")["message"]["message_id"]
        other_chat = await bot.send_message(43, "hello")
    assert (first, reply.message_id, again, other_chat.message_id) == (1, 2, 3, 1)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Message text is empty"),
        (" \n ", "Message text is empty"),
        ("x" * 4097, "Message is too long"),
        ("✓" * 4097, "Message is too long"),
    ],
)
async def test_texts_telegram_refuses_are_refused(
    bot: Bot, request_: OfflineRequest, text: str, error: str
) -> None:
    with pytest.raises(BadRequest, match=error):
        await bot.send_message(42, text)
    [call] = request_.calls_to("sendMessage")
    assert call.status == 400 and call.response["ok"] is False


async def test_the_longest_text_telegram_takes_is_taken(bot: Bot) -> None:
    assert (await bot.send_message(42, "✓" * 4096)).text == "✓" * 4096


async def test_edits_follow_telegrams_rules(bot: Bot) -> None:
    sent = await bot.send_message(42, "✓ logged")
    edited = await bot.edit_message_text("↩ undone", chat_id=42, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "↩ undone"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("↩ undone", chat_id=42, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("?", chat_id=42, message_id=999)


async def test_buttons_callback_answers_and_captions_are_held_to_telegrams_limits(
    bot: Bot,
) -> None:
    long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(42, "hi", reply_markup=long_data)
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query("1", text="x" * 201)
    assert await bot.answer_callback_query("1", text="x" * 200)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(42, b"a,b\n", filename="x.csv", caption="c" * 1025)


async def test_uploads_are_kept_as_bytes(bot: Bot, request_: OfflineRequest) -> None:
    message = await bot.send_document(42, b"a,b\n1,2\n", filename="export.csv")
    assert message.document is not None
    [call] = request_.calls_to("sendDocument")
    assert list(call.files.values()) == [b"a,b\n1,2\n"]


async def test_what_it_does_not_answer_fails_the_test(bot: Bot, request_: OfflineRequest) -> None:
    with pytest.raises(pytest.fail.Exception, match="getUpdates"):
        await bot.get_updates()
    with pytest.raises(pytest.fail.Exception, match="setChatTitle"):
        await bot.set_chat_title(-100123, "Renamed")
    assert request_.unexpected == ["POST getUpdates", "POST setChatTitle"]


async def test_updates_are_what_telegram_sends(bot: Bot) -> None:
    updates = Updates(now=lambda: NOW)
    command = Update.de_json(updates.private(42, "/week 4w", username="sam"), bot)
    assert command.effective_message is not None and command.effective_user is not None
    assert command.effective_message.text == "/week 4w" and command.effective_user.username == "sam"
    assert command.effective_message.entities[0].length == len("/week")
    group = Update.de_json(updates.group(42, -100777, "doors 3"), bot)
    assert group.effective_chat is not None and group.effective_chat.type == "supergroup"
    edited = Update.de_json(updates.edited(updates.private(42, "121 Sam"), "doors 5"), bot)
    assert edited.edited_message is not None and edited.edited_message.text == "doors 5"
    message = (await bot.send_message(42, "✓")).to_dict()
    tap = Update.de_json(updates.callback_query(42, "undo:1", message=message), bot)
    assert tap.callback_query is not None and tap.callback_query.data == "undo:1"
    assert command.update_id < group.update_id < edited.update_id < tap.update_id
