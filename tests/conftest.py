"""Shared fixtures: real SQLite and PostgreSQL databases, a controllable clock, and the real bot,
fed updates in process (``offline_bot``) or polling the loopback fake Bot API server (``bot``)."""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from telegram import Update
from telegram.ext import AIORateLimiter

from organiser_bot.app import build_application
from organiser_bot.settings import Settings
from storage import migrate
from storage.engine import Database, make_engine
from tests.fakebot import FakeBotAPI
from tests.offline import Call, OfflineRequest, Updates

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"
ADMIN_ID = 1000


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once, dropped at the end."""
    if not TEST_DATABASE_URL:
        if IN_CI:
            pytest.fail("CI must run the PostgreSQL tests: set TEST_DATABASE_URL")
        pytest.skip("TEST_DATABASE_URL is not set")
    admin_url = make_url(TEST_DATABASE_URL)
    name = f"organiser_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(TEST_DATABASE_URL)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable server: fail loudly, never skip silently
        admin.dispose()
        pytest.fail(f"PostgreSQL at {admin_url.render_as_string()} is unreachable: {exc}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def postgres_database(url: str, prefix: str, *, template: str | None = None) -> Iterator[str]:
    """A PostgreSQL database of its own on ``url``'s server, empty or a copy of the database
    ``template``, dropped afterwards (connections and all): its URL."""
    base = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base.render_as_string(hide_password=False))
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        names = [
            r[0]
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            if r[0] != "alembic_version"
        ]
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL: every storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A ``Database`` on a migrated, empty database."""
    database = Database(db_url)
    yield database
    database.close()


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    """A controllable clock, starting Thursday 26 Nov 2026 12:00 UTC."""
    return FakeClock()


@dataclass
class BotHarness:
    """The real Application polling the fake Bot API, with helpers to talk to it."""

    api: FakeBotAPI
    app: Any
    clock: FakeClock
    db_url: str

    async def send(self, user_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """Send a message as ``user_id`` and return the bot's first reply to that chat."""
        since = len(self.api.requests)
        update = self.api.user_message(user_id, text, **kwargs)
        chat_id = update["message"]["chat"]["id"]
        [reply] = await self.api.wait_for(
            "sendMessage", lambda p: p.get("chat_id") == chat_id, since=since
        )
        return reply.params

    async def say(self, user_id: int, text: str, **kwargs: Any) -> str:
        """Send a message and return the text of the bot's reply."""
        return str((await self.send(user_id, text, **kwargs))["text"])


@pytest.fixture
async def bot(db_url: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The real bot, started against the fake Bot API server and a migrated database."""
    async with FakeBotAPI() as api:
        settings = Settings(
            telegram_bot_token=api.token,  # type: ignore[arg-type]
            telegram_api_base_url=api.base_url,
            database_url=db_url,
            admin_telegram_ids=frozenset({ADMIN_ID}),
            _env_file=None,  # type: ignore[call-arg]
        )
        app = build_application(settings, clock=clock, schedule_jobs=False)
        async with app:
            await app.post_init(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                yield BotHarness(api=api, app=app, clock=clock, db_url=db_url)
            finally:
                await app.updater.stop()
                await app.stop()
                await app.post_shutdown(app)


@dataclass
class OfflineBot:
    """The real Application fed updates in process: no server, no polling, no waiting.

    :meth:`process` runs an update through ``Application.process_update``; when it returns,
    every Bot API call the update caused is in ``request.calls``. For polling, injected faults
    and rate limits use the ``bot`` fixture (the loopback fake Bot API server) instead.
    """

    app: Any
    request: OfflineRequest
    updates: Updates
    clock: FakeClock
    db_url: str

    def message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A message update from ``user_id``: in their private chat, or in group ``chat_id``."""
        if chat_type == "private":
            return self.updates.private(user_id, text, **kwargs)
        assert chat_id is not None, f"a {chat_type} message needs a chat_id"
        return self.updates.group(user_id, chat_id, text, chat_type=chat_type, **kwargs)

    async def process(self, update: dict[str, Any]) -> list[Call]:
        """Run ``update`` through the bot; return the Bot API calls it made, in order."""
        since = len(self.request.calls)
        # A copy: PTB keeps the dicts it parses, and tests may process the same update again.
        await self.app.process_update(Update.de_json(copy.deepcopy(update), self.app.bot))
        return self.request.calls[since:]

    async def replies(self, update: dict[str, Any], method: str = "sendMessage") -> list[Call]:
        """Run ``update``; return its calls to ``method`` that go to the update's chat."""
        body = update.get("message") or update.get("edited_message")
        if body is None:
            body = update["callback_query"]["message"]
        chat_id = body["chat"]["id"]
        return [
            c
            for c in await self.process(update)
            if c.method == method and c.params.get("chat_id", chat_id) == chat_id
        ]

    async def send(self, user_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
        """Send a message as ``user_id`` and return the bot's first reply to that chat."""
        update = self.message(user_id, text, **kwargs)
        replies = await self.replies(update)
        if not replies:
            made = "\n".join(f"  {c.method} {c.params!r}" for c in self.request.calls)
            raise AssertionError(f"no reply to {text!r}; calls so far:\n{made or '  (none)'}")
        return replies[0].params

    async def say(self, user_id: int, text: str, **kwargs: Any) -> str:
        """Send a message and return the text of the bot's reply."""
        return str((await self.send(user_id, text, **kwargs))["text"])

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Params of every call to ``method`` so far (refused ones included)."""
        return [c.params for c in self.request.calls_to(method)]


@pytest.fixture
async def offline_bot(db_url: str, clock: FakeClock) -> AsyncIterator[OfflineBot]:
    """The real bot on a migrated database, answered in process by an ``OfflineRequest``."""
    request = OfflineRequest(now=clock)
    settings = Settings(
        telegram_bot_token="123456:TEST-TOKEN",  # type: ignore[arg-type]
        database_url=db_url,
        admin_telegram_ids=frozenset({ADMIN_ID}),
        _env_file=None,  # type: ignore[call-arg]
    )
    # The limiter's code path without Telegram's caps: rate limits are tested on the loopback
    # server, and capping here would only make quick tests wait.
    limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
    app = build_application(
        settings, clock=clock, schedule_jobs=False, request=request, rate_limiter=limiter
    )
    async with app:
        await app.post_init(app)
        try:
            yield OfflineBot(
                app=app,
                request=request,
                updates=Updates(chats=request.chats, now=clock),
                clock=clock,
                db_url=db_url,
            )
        finally:
            await app.post_shutdown(app)
    assert not request.unexpected, (
        f"the bot made calls the offline fake refuses: {request.unexpected}"
    )
