"""Polling through Telegram's faults: a ``getUpdates`` answered with 429, a 5xx, a dropped
connection or too late is tried again; the update is then stored, carried out and answered once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from telegram.request import HTTPXRequest

from organiser_bot.app import build_application
from organiser_bot.settings import Settings
from storage import inbox
from storage.engine import Database, make_engine
from storage.models import Team
from storage.query import table_of
from tests.conftest import ADMIN_ID, FakeClock
from tests.fakebot import FakeBotAPI
from tests.test_intake import _inbox_ids

#: The read timeout of every call in these tests: a getUpdates long-polling 1 s times out after
#: 1.5 s, so a 3 s answer is a timeout.
READ_TIMEOUT = 0.5

FAULTS: dict[str, Callable[[FakeBotAPI], None]] = {
    "429": lambda api: api.fail_next("getUpdates", status=429, retry_after=1),
    "5xx": lambda api: api.fail_next("getUpdates", status=502),
    "dropped": lambda api: api.drop_next("getUpdates"),
    "timeout": lambda api: api.slow_next("getUpdates", 3.0),
}


def _teams(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table_of(Team))).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_failed_fetch_is_tried_again_and_its_update_carried_out_once(
    db_url: str, clock: FakeClock, fault: str
) -> None:
    async with FakeBotAPI() as api:
        settings = Settings(
            telegram_bot_token=api.token,  # type: ignore[arg-type]
            telegram_api_base_url=api.base_url,
            database_url=db_url,
            admin_telegram_ids=frozenset({ADMIN_ID}),
            _env_file=None,  # type: ignore[call-arg]
        )
        request = HTTPXRequest(connection_pool_size=8, read_timeout=READ_TIMEOUT)
        app: Any = build_application(settings, clock=clock, schedule_jobs=False, request=request)
        # The update waits at Telegram; the bot's first fetch of it fails.
        FAULTS[fault](api)
        update = api.user_message(ADMIN_ID, "/newteam Faulty Line")
        async with app:
            await app.post_init(app)
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                [created] = await api.wait_for(
                    "sendMessage", lambda p: p["chat_id"] == ADMIN_ID, timeout=15
                )
                assert "Faulty Line" in created.params["text"]
                # A later message is answered after every copy of the first was fetched.
                api.user_message(ADMIN_ID, "/help")
                await api.wait_for(
                    "sendMessage", lambda p: p["chat_id"] == ADMIN_ID, count=2, timeout=15
                )
            finally:
                await app.updater.stop()
                await app.stop()
                await app.post_shutdown(app)
        [first_fetch, *_] = [r for r in api.requests if r.method == "getUpdates"]
        assert first_fetch.fault
        created_replies = [
            r
            for r in api.requests
            if r.method == "sendMessage" and "Faulty Line" in str(r.params.get("text"))
        ]
        assert len(created_replies) == 1
        assert _teams(db_url) == 1
        assert update["update_id"] in _inbox_ids(db_url, done=True)


class _StoreFailsOnce(Database):
    """The bot's database, except that the first batch write fails as a locked SQLite would."""

    failed = False

    def call(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        if fn is inbox.store and not self.failed:
            self.failed = True
            raise OperationalError("INSERT INTO inbox_update", {}, Exception("database is locked"))
        return super().call(fn, *args, **kwargs)


async def test_a_batch_that_cannot_be_stored_is_not_confirmed_and_is_fetched_again(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        settings = Settings(
            telegram_bot_token=api.token,  # type: ignore[arg-type]
            telegram_api_base_url=api.base_url,
            database_url=db_url,
            admin_telegram_ids=frozenset({ADMIN_ID}),
            _env_file=None,  # type: ignore[call-arg]
        )
        app: Any = build_application(settings, clock=clock, schedule_jobs=False)
        failing = _StoreFailsOnce(db_url)
        update = api.user_message(ADMIN_ID, "/newteam Faulty Line")
        async with app:
            await app.post_init(app)
            app.bot.intake.open(failing)
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                [created] = await api.wait_for(
                    "sendMessage", lambda p: p["chat_id"] == ADMIN_ID, timeout=15
                )
                assert "Faulty Line" in created.params["text"]
            finally:
                await app.updater.stop()
                await app.stop()
                await app.post_shutdown(app)
                failing.close()
        assert failing.failed
        # Fetched, not stored, so not confirmed: the next call asked for the same update again.
        offsets = [
            int(r.params.get("offset") or 0) for r in api.requests if r.method == "getUpdates"
        ]
        assert offsets[:2] == [0, 0]
        assert update["update_id"] in _inbox_ids(db_url, done=True)
        assert _teams(db_url) == 1
