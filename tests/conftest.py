"""Shared fixtures: real SQLite and PostgreSQL databases, a controllable clock, and the real bot
running against the fake Bot API server."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from organiser_bot.app import build_application
from organiser_bot.settings import Settings
from storage import migrate
from storage.engine import Database, make_engine
from tests.fakebot import FakeBotAPI

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
