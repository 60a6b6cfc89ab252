"""The error handler logs (without the token), tells the user briefly, and tells the admins
privately at most once an hour per distinct error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from telegram.constants import MessageLimit

from handlers.errors import due_for_notice, error_key
from handlers.texts import NOT_SHOWN, SORRY
from tests.conftest import ADMIN_ID, BotHarness
from tests.fakebot import Recorded

STRANGER = 3001


async def test_a_failed_reply_is_logged_and_the_user_told(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    api = bot.api
    # The reply and its plain retry both fail.
    api.fail_next("sendMessage", status=502, times=2)
    since = len(api.requests)
    with caplog.at_level(logging.ERROR):
        api.user_message(STRANGER, "/help")
        [_, _, apology] = await api.wait_for(
            "sendMessage", lambda p: p["chat_id"] == STRANGER, count=3, since=since
        )
    # /help only reads: nothing was changed, so it says the answer could not be shown.
    assert apology.params["text"] == NOT_SHOWN
    assert "Error while handling an update" in caplog.text
    assert api.token not in caplog.text


async def _fail_help(bot: BotHarness, *, status: int, description: str | None = None) -> None:
    """Make the reply to a stranger's /help and its plain retry fail with ``status``; wait for
    the apology."""
    api = bot.api
    # The reply and its plain retry both fail.
    api.fail_next("sendMessage", status=status, description=description, times=2)
    since = len(api.requests)
    api.user_message(STRANGER, "/help")
    [_, _, apology] = await api.wait_for(
        "sendMessage", lambda p: p["chat_id"] == STRANGER, count=3, since=since
    )
    assert apology.params["text"] == NOT_SHOWN


async def _admin_notices(bot: BotHarness, count: int) -> list[Recorded]:
    return await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == ADMIN_ID, count=count)


async def test_admins_hear_of_each_distinct_error_at_most_once_an_hour(bot: BotHarness) -> None:
    await _fail_help(bot, status=502)
    [first] = await _admin_notices(bot, 1)
    assert first.params["text"].startswith("The bot hit an error: NetworkError: Bad Gateway\n")

    bot.clock.advance(minutes=59)
    await _fail_help(bot, status=502)  # the same error within the hour: the user only

    bot.clock.advance(minutes=1)
    await _fail_help(bot, status=502)  # an hour after the notice: the admins again
    await _admin_notices(bot, 2)
    await _fail_help(bot, status=400, description="Bad Request: chat not found")  # distinct

    notices = await _admin_notices(bot, 3)
    assert [n.params["text"].splitlines()[0] for n in notices] == [
        "The bot hit an error: NetworkError: Bad Gateway",
        "The bot hit an error: NetworkError: Bad Gateway",
        "The bot hit an error: BadRequest: Chat not found",
    ]
    assert len([r for r in bot.api.requests if r.params.get("chat_id") == ADMIN_ID]) == 3


async def test_the_admin_notice_is_short_plain_text_without_the_token(bot: BotHarness) -> None:
    token = bot.api.token
    await _fail_help(bot, status=400, description=f"Bad Request: <b>{token}</b> " + "x" * 9000)
    [notice] = await _admin_notices(bot, 1)
    text = notice.params["text"]
    # PTB capitalises the API's description, lowercasing the token: it is hidden all the same.
    assert token.partition(":")[2].lower() not in text.lower()
    assert "<b>[redacted]</b>" in text  # sent as written, not as markup
    assert "parse_mode" not in notice.params
    assert len(text) <= MessageLimit.MAX_TEXT_LENGTH
    assert "update " in text and f"in chat {STRANGER}" in text


async def test_a_failure_to_reach_an_admin_is_logged_not_raised(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    api = bot.api
    api.fail_next("sendMessage", status=502, times=2)  # the reply to /help and its retry
    api.slow_next("sendMessage", 0)  # the apology goes through
    api.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    with caplog.at_level(logging.WARNING):
        api.user_message(STRANGER, "/help")
        [notice] = await _admin_notices(bot, 1)
        assert notice.fault is not None
        # The bot carries on: the next /help is answered.
        assert await bot.say(STRANGER, "/help") not in (SORRY, NOT_SHOWN)
    assert f"Could not tell admin {ADMIN_ID} about the error" in caplog.text
    assert "uncaught" not in caplog.text


def _fail_here(message: str) -> None:
    raise ValueError(message)


def _fail_elsewhere(message: str) -> None:
    raise ValueError(message)


def _caught(fn: Callable[[str], None], message: str) -> BaseException:
    try:
        fn(message)
    except ValueError as exc:
        return exc
    raise AssertionError("expected an error")


def test_one_fault_with_changing_messages_is_one_notice() -> None:
    """Errors of one type from one place are one error, whatever their messages (SQLAlchemy's
    quote each statement's parameters); the same type from another place is another."""
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    notices: dict[str, datetime] = {}
    first, second = _caught(_fail_here, "id=1"), _caught(_fail_here, "id=2")
    assert error_key(first) == error_key(second)
    assert due_for_notice(notices, error_key(first), now)
    assert not due_for_notice(notices, error_key(second), now)
    elsewhere = _caught(_fail_elsewhere, "id=1")
    assert error_key(elsewhere) != error_key(first)
    assert due_for_notice(notices, error_key(elsewhere), now)
    assert __file__.rpartition("/")[2] in error_key(first)


def test_an_error_never_raised_is_keyed_by_its_message() -> None:
    assert error_key(ValueError("a")) != error_key(ValueError("b"))


async def test_the_status_chat_hears_of_an_error_without_its_details(bot: BotHarness) -> None:
    ops = -1_009_999
    since = len(bot.api.requests)
    bot.api.user_message(ADMIN_ID, "/statuschat", chat_id=ops, chat_type="supergroup")
    await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == ops, since=since)
    token = bot.api.token
    await _fail_help(bot, status=400, description=f"Bad Request: {token} secret detail")
    _, notice = await bot.api.wait_for(
        "sendMessage", lambda p: p["chat_id"] == ops, since=since, count=2
    )
    text = notice.params["text"]
    assert "Something went wrong on the bot's side (BadRequest)" in text
    assert token not in text and "secret detail" not in text and str(STRANGER) not in text
    # Once an hour, as the admins hear of it.
    await _fail_help(bot, status=400, description=f"Bad Request: {token} secret detail")
    await _admin_notices(bot, 1)
    assert len([r for r in bot.api.requests if r.params.get("chat_id") == ops]) == 2
