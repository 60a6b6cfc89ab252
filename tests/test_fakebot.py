"""Tests for the fake Telegram Bot API server in :mod:`tests.fakebot`."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.fakebot import FakeBotAPI, Recorded

T = TypeVar("T")
Spawn = Callable[[Coroutine[Any, Any, T]], "asyncio.Task[T]"]

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server
    leaked = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not leaked, f"tasks leaked: {leaked}"


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


@pytest.fixture
async def spawn() -> AsyncIterator[Spawn[Any]]:
    """Start background tasks that are cancelled and awaited even if the test fails."""
    tasks: list[asyncio.Task[Any]] = []

    def _spawn(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.create_task(coro)
        tasks.append(task)
        return task

    yield _spawn
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes", callback_data="vote:yes")],
            [InlineKeyboardButton("No", callback_data="vote:no")],
        ]
    )


# --------------------------------------------------------------------------- basics


async def test_urls_and_lifecycle() -> None:
    server = FakeBotAPI(token="1:T", bot_id=1, bot_username="x_bot")
    with pytest.raises(RuntimeError):
        _ = server.base_url
    await server.start()
    try:
        assert server.base_url == f"http://127.0.0.1:{server.port}/bot"
        assert server.base_file_url == f"http://127.0.0.1:{server.port}/file/bot"
        assert server.port > 0
    finally:
        await server.stop()
    with pytest.raises(RuntimeError):
        _ = server.port


async def test_get_me(api: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == api.bot_id == 123456
    assert me.is_bot
    assert me.username == "organiser_test_bot"
    assert bot.username == "organiser_test_bot"  # set by Bot.initialize() via getMe
    assert [r.method for r in api.requests] == ["getMe", "getMe"]
    assert all(r.status == 200 and r.fault is None for r in api.requests)


async def test_send_message_records_params_and_returns_message(api: FakeBotAPI, bot: Bot) -> None:
    first = await bot.send_message(42, "hello")
    second = await bot.send_message(42, "again")
    group = await bot.send_message(-1001234567890, "to the group")
    small_group = await bot.send_message(-555, "to the small group")

    assert api.calls("sendMessage")[0] == {"chat_id": 42, "text": "hello"}
    assert api.requests[-1].raw_params == {"chat_id": "-555", "text": "to the small group"}
    assert (first.message_id, second.message_id, group.message_id) == (1, 2, 1)
    assert first.text == "hello"
    assert first.chat.id == 42 and first.chat.type == "private"
    assert group.chat.id == -1001234567890 and group.chat.type == "supergroup"
    assert small_group.chat.type == "group"
    assert first.from_user is not None and first.from_user.id == api.bot_id
    assert first.from_user.is_bot
    assert abs(first.date.timestamp() - time.time()) < 60
    assert api.sent_texts() == ["hello", "again", "to the group", "to the small group"]
    assert api.sent_texts(chat_id=42) == ["hello", "again"]
    assert api.sent_texts(chat_id="-555") == ["to the small group"]

    api.clear()
    assert api.requests == [] and api.sent_texts() == []


async def test_text_params_are_not_json_decoded(api: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(7, "42", parse_mode="HTML")
    await bot.send_message(7, '{"not": "decoded"}')
    params = api.calls("sendMessage")
    assert params[0] == {"chat_id": 7, "text": "42", "parse_mode": "HTML"}
    assert params[1]["text"] == '{"not": "decoded"}'


async def test_send_photo_bytes_recorded_and_downloadable(api: FakeBotAPI, bot: Bot) -> None:
    markup = keyboard()
    msg = await bot.send_photo(42, PNG, caption="chart 42", reply_markup=markup)

    [rec] = await api.wait_for("sendPhoto")
    assert rec.files == {"photo": PNG}
    assert rec.params["chat_id"] == 42  # multipart strings are decoded too
    assert rec.params["caption"] == "chart 42"
    assert rec.params["reply_markup"] == markup.to_dict()

    assert msg.caption == "chart 42"
    assert len(msg.photo) == 2
    assert msg.photo[-1].file_size == len(PNG)
    assert msg.reply_markup == markup

    file = await bot.get_file(msg.photo[-1].file_id)
    assert file.file_size == len(PNG)
    assert bytes(await file.download_as_bytearray()) == PNG

    again = await bot.send_photo(43, msg.photo[-1].file_id)  # resend by file_id
    assert again.photo[-1].file_id == msg.photo[-1].file_id
    assert api.requests[-1].files == {}


async def test_send_document(api: FakeBotAPI, bot: Bot) -> None:
    msg = await bot.send_document(-100777, b"a,b\n1,2\n", filename="report.csv", caption="week 7")
    [rec] = api.requests[-1:]
    assert rec.method == "sendDocument"
    assert rec.files == {"document": b"a,b\n1,2\n"}
    assert rec.filenames == {"document": "report.csv"}
    assert msg.document is not None
    assert msg.document.file_name == "report.csv"
    assert msg.document.file_size == 8
    assert msg.caption == "week 7"
    assert msg.chat.type == "group"


async def test_send_media_group(api: FakeBotAPI, bot: Bot) -> None:
    media = [InputMediaPhoto(PNG, caption="one"), InputMediaPhoto(PNG[:100])]
    messages = await bot.send_media_group(42, media)
    rec = api.requests[-1]
    assert rec.method == "sendMediaGroup"
    assert sorted(len(b) for b in rec.files.values()) == [100, len(PNG)]
    assert [m["media"].startswith("attach://") for m in rec.params["media"]] == [True, True]
    assert len(messages) == 2
    assert messages[0].media_group_id == messages[1].media_group_id is not None
    assert messages[0].caption == "one"
    assert [m.message_id for m in messages] == [1, 2]


async def test_reply_markup_round_trip_and_edits(api: FakeBotAPI, bot: Bot) -> None:
    markup = keyboard()
    msg = await bot.send_message(42, "Vote?", reply_markup=markup)
    assert api.calls("sendMessage")[0]["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "vote:yes"}],
            [{"text": "No", "callback_data": "vote:no"}],
        ]
    }
    assert msg.reply_markup == markup

    edited = await bot.edit_message_text("Voted yes", chat_id=42, message_id=msg.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "Voted yes"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # not re-sent -> removed, like Telegram
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Voted yes", chat_id=42, message_id=msg.message_id)

    again = await bot.edit_message_reply_markup(42, msg.message_id, reply_markup=markup)
    assert isinstance(again, Message)
    assert again.reply_markup == markup
    assert api.calls("editMessageReplyMarkup")[0]["reply_markup"] == markup.to_dict()


async def test_commands_and_misc_methods(api: FakeBotAPI, bot: Bot) -> None:
    commands = [BotCommand("start", "Start"), BotCommand("log", "Log work")]
    assert await bot.set_my_commands(commands)
    assert api.calls("setMyCommands")[0]["commands"] == [c.to_dict() for c in commands]
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    assert await bot.send_chat_action(42, "typing")
    sent = await bot.send_message(42, "Vote?", reply_markup=keyboard())
    query_id = api.callback_query(42, "vote:yes", message=sent)["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, text="ok")
    assert api.calls("answerCallbackQuery") == [{"callback_query_id": query_id, "text": "ok"}]
    chat = await bot.get_chat(-1009)
    assert chat.id == -1009 and chat.type == "group"
    assert await bot.delete_webhook()
    assert await bot.close()
    assert await bot.log_out()


async def test_unknown_method_is_404(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("frobnicateChat", api_kwargs={"chat_id": 1})
    assert api.requests[-1].status == 404
    assert api.requests[-1].response == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }


async def test_wrong_token_is_unauthorized(api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=api.base_url):
            pass
    assert api.requests[-1].status == 401
    assert api.requests[-1].fault == "unauthorized"
    assert api.requests[-1].response == {
        "ok": False,
        "error_code": 401,
        "description": "Unauthorized",
    }


async def test_json_and_urlencoded_bodies() -> None:
    async with FakeBotAPI() as api, httpx.AsyncClient(base_url=api.base_url + api.token) as http:
        resp = await http.post("/sendMessage", json={"chat_id": 5, "text": "json", "x": [1]})
        assert resp.status_code == 200
        assert resp.json()["result"]["text"] == "json"
        resp = await http.post("/sendMessage", data={"chat_id": "6", "text": "form", "a": "true"})
        assert resp.json()["result"]["chat"] == {"id": 6, "type": "private", "first_name": "Test"}
        resp = await http.get("/getMe", params={"x": "1"})
        assert resp.json()["result"]["username"] == api.bot_username
        resp = await http.post("/sendmessage", data={"chat_id": "6"})  # names: case-insensitive
        assert resp.status_code == 400
    assert api.calls("sendMessage") == [
        {"chat_id": 5, "text": "json", "x": [1]},
        {"chat_id": 6, "text": "form", "a": True},
        {"chat_id": 6},
    ]
    assert api.calls("getMe") == [{"x": 1}]


# --------------------------------------------------------------------------- updates


async def test_get_updates_offset_semantics_and_redelivery(api: FakeBotAPI, bot: Bot) -> None:
    pushed = [
        api.user_message(42, "/start"),
        api.user_message(
            42, "/log@organiser_test_bot 3 doors", chat_id=-100500, chat_type="supergroup"
        ),
        api.user_message(43, "just text", username="ann"),
    ]
    ids = [u["update_id"] for u in pushed]
    assert ids == sorted(ids) and len(set(ids)) == 3

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == ids
    first = updates[0].message
    assert first is not None and first.text == "/start" and first.chat.type == "private"
    assert first.parse_entities() == {first.entities[0]: "/start"}
    assert first.entities[0].type == "bot_command"
    group = updates[1].message
    assert group is not None and group.chat.id == -100500
    assert group.entities[0].length == len("/log@organiser_test_bot")
    assert updates[2].message is not None and not updates[2].message.entities
    assert updates[2].message.from_user is not None
    assert updates[2].message.from_user.username == "ann"

    # not confirmed yet -> delivered again; limit is honoured
    assert [u.update_id for u in await bot.get_updates(timeout=0, limit=2)] == ids[:2]
    # confirming with offset drops them; timeout=0 answers at once
    started = time.monotonic()
    assert await bot.get_updates(offset=ids[-1] + 1, timeout=0) == ()
    assert time.monotonic() - started < 1.0
    assert api.pending_updates == []

    # Telegram redelivers unconfirmed updates after a restart: same update_id again
    api.redeliver(pushed[0])
    [redelivered] = await bot.get_updates(offset=ids[-1] + 1, timeout=0)
    assert redelivered.update_id == ids[0]
    assert redelivered.message is not None and redelivered.message.text == "/start"
    assert await bot.get_updates(offset=ids[0] + 1, timeout=0) == ()

    # new updates continue above the highest id seen
    assert api.user_message(42, "later")["update_id"] == ids[-1] + 1


async def test_edited_message_and_callback_query_builders(api: FakeBotAPI, bot: Bot) -> None:
    original = api.user_message(42, "3 doors", message_id=10)
    edited = api.edited_message(original, "4 doors")
    sent = await bot.send_message(42, "Vote?", reply_markup=keyboard())
    assert sent.message_id == 11  # message ids are shared per chat
    [rec] = api.requests[-1:]
    query = api.callback_query(42, "vote:yes", message=rec.response["result"])

    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [
        original["update_id"],
        edited["update_id"],
        query["update_id"],
    ]
    em = updates[1].edited_message
    assert em is not None and em.text == "4 doors" and em.message_id == 10
    assert em.edit_date is not None
    cq = updates[2].callback_query
    assert cq is not None and cq.data == "vote:yes" and cq.from_user.id == 42
    assert cq.message is not None and cq.message.message_id == 11
    assert isinstance(updates[2], Update)


async def test_long_poll_wakes_when_update_is_pushed(
    api: FakeBotAPI, bot: Bot, spawn: Spawn[Any]
) -> None:
    started = time.monotonic()
    poll = spawn(bot.get_updates(timeout=30))
    await api.wait_for("getUpdates")
    assert not poll.done()
    update = api.user_message(42, "wake up")
    updates = await asyncio.wait_for(poll, timeout=5)
    assert [u.update_id for u in updates] == [update["update_id"]]
    assert time.monotonic() - started < 5


async def test_newer_get_updates_terminates_older_long_poll(
    api: FakeBotAPI, bot: Bot, spawn: Spawn[Any]
) -> None:
    poll = spawn(bot.get_updates(timeout=30))
    await api.wait_for("getUpdates")
    async with Bot(api.token, base_url=api.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict):
        await asyncio.wait_for(poll, timeout=5)


async def test_wait_for_since_count_and_timeout_message(
    api: FakeBotAPI, bot: Bot, spawn: Spawn[Any]
) -> None:
    await bot.send_message(1, "a")
    mark = len(api.requests)
    assert len(await api.wait_for("sendMessage")) == 1
    send = spawn(bot.send_message(2, "b"))
    recs = await api.wait_for("sendMessage", lambda p: p["chat_id"] == 2, since=mark)
    assert recs[0].params["text"] == "b"
    await send
    both = await api.wait_for("sendMessage", count=2)
    assert [r.params["text"] for r in both] == ["a", "b"]
    with pytest.raises(AssertionError, match=r"(?s)3 sendMessage.*got 2.*sendMessage.*'text': 'b'"):
        await api.wait_for("sendMessage", count=3, timeout=0.05)
    with pytest.raises(AssertionError, match="nothing"):
        await api.wait_for("sendPhoto", timeout=0.05, since=len(api.requests))


# --------------------------------------------------------------------------- faults


async def test_429_raises_retry_after(
    api: FakeBotAPI, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # avoid PTB's int-deprecation warning
    api.fail_next("sendMessage", status=429, retry_after=1)
    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(42, "throttled")
    assert excinfo.value.retry_after == dtm.timedelta(seconds=1)
    assert api.requests[-1].fault == "status:429"
    assert api.requests[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    msg = await bot.send_message(42, "through")  # consumed: next call succeeds
    assert msg.message_id == 1
    assert api.sent_texts() == ["through"]
    assert [p["text"] for p in api.calls("sendMessage")] == ["throttled", "through"]


async def test_5xx_raises_network_error(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway") as excinfo:
            await bot.send_message(42, "x")
        assert not isinstance(excinfo.value, RetryAfter)
    assert api.requests[-1].status == 502
    await bot.send_message(42, "ok")


async def test_4xx_faults(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", status=403)
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "x")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(42, "x")
    with pytest.raises(ValueError):
        api.fail_next("sendMessage", status=200)


async def test_dropped_connection_raises_network_error(api: FakeBotAPI, bot: Bot) -> None:
    api.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(42, "lost")
    assert api.requests[-1].fault == "drop"
    assert api.requests[-1].status is None
    assert (await bot.send_message(42, "fine")).text == "fine"


async def test_slow_next_delays_answer(api: FakeBotAPI, bot: Bot) -> None:
    api.slow_next("sendMessage", 0.3)
    started = time.monotonic()
    await bot.send_message(42, "slow")
    assert time.monotonic() - started >= 0.3
    assert api.requests[-1].fault == "slow:0.3"
    started = time.monotonic()
    await bot.send_message(42, "fast")
    assert time.monotonic() - started < 0.3


async def test_faults_do_not_disturb_long_polling(
    api: FakeBotAPI, bot: Bot, spawn: Spawn[Any]
) -> None:
    other = Bot(api.token, base_url=api.base_url)
    async with other:
        poll = spawn(bot.get_updates(timeout=30))
        await api.wait_for("getUpdates")
        api.fail_next("sendMessage", status=502)
        api.drop_next("sendChatAction")
        with pytest.raises(NetworkError):
            await other.send_message(42, "x")
        with pytest.raises(NetworkError):
            await other.send_chat_action(42, "typing")
        assert not poll.done()
        update = api.user_message(42, "still here")
        [got] = await asyncio.wait_for(poll, timeout=5)
        assert got.update_id == update["update_id"]


async def test_get_updates_fault_then_recovers(api: FakeBotAPI, bot: Bot) -> None:
    update = api.user_message(42, "hello")
    api.fail_next("getUpdates", status=502)
    with pytest.raises(NetworkError):
        await bot.get_updates(timeout=0)
    [got] = await bot.get_updates(timeout=0)
    assert got.update_id == update["update_id"]


async def test_stop_wakes_long_poll_and_slow_requests(spawn: Spawn[Any]) -> None:
    api = FakeBotAPI()
    await api.start()
    try:
        async with Bot(api.token, base_url=api.base_url) as bot:
            poll = spawn(bot.get_updates(timeout=30))
            api.slow_next("sendMessage", 30)
            send = spawn(bot.send_message(42, "slow"))
            await api.wait_for("getUpdates")
            await api.wait_for("sendMessage")
            started = time.monotonic()
            await api.stop()
            assert time.monotonic() - started < 1.5
            assert await asyncio.wait_for(poll, timeout=5) == ()
            assert (await asyncio.wait_for(send, timeout=5)).text == "slow"
    finally:
        await api.stop()


async def test_set_handler_overrides_a_method(api: FakeBotAPI, bot: Bot) -> None:
    async def chat_member_count(rec: Recorded) -> int:
        return 7 if rec.params["chat_id"] == -5 else 1

    api.set_handler("getChatMemberCount", chat_member_count)
    assert await bot.get_chat_member_count(-5) == 7
    api.set_handler("getChatMemberCount", None)
    with pytest.raises(InvalidToken, match="method not found"):  # PTB maps 404 like this
        await bot.get_chat_member_count(-5)


# --------------------------------------------------------------------------- Application


async def test_application_replies_to_start(api: FakeBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("hi")

    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    assert app.updater is not None
    async with app:
        await app.start()
        try:
            await app.updater.start_polling(poll_interval=0, timeout=1)
            mark = len(api.requests)
            update = api.user_message(42, "/start")
            api.user_message(42, "not a command")
            [reply] = await api.wait_for("sendMessage", since=mark)
            assert reply.params["chat_id"] == 42
            assert reply.params["text"] == "hi"
        finally:
            if app.updater.running:
                await app.updater.stop()
            await app.stop()
    assert api.sent_texts() == ["hi"]
    assert api.pending_updates == []  # the updater confirmed what it processed
    assert api.calls("getUpdates")[-1]["offset"] == update["update_id"] + 2
