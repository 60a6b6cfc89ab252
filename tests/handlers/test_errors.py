"""The error handler logs (without the token) and tells the user briefly."""

from __future__ import annotations

import logging

import pytest

from handlers.errors import SORRY
from tests.conftest import BotHarness

STRANGER = 3001


async def test_a_failed_reply_is_logged_and_the_user_told(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    api = bot.api
    api.fail_next("sendMessage", status=502)
    since = len(api.requests)
    with caplog.at_level(logging.ERROR):
        api.user_message(STRANGER, "/help")
        [_, apology] = await api.wait_for(
            "sendMessage", lambda p: p["chat_id"] == STRANGER, count=2, since=since
        )
    assert apology.params["text"] == SORRY
    assert "Error while handling an update" in caplog.text
    assert api.token not in caplog.text
