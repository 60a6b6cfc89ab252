"""Crash-safe intake: a fetched batch is stored before the next offset confirms it, finished
updates are marked done, and updates left unfinished are processed on start, once."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from telegram.ext import MessageHandler, filters

from handlers.texts import SORRY
from organiser_bot.app import build_application
from organiser_bot.settings import Settings
from storage import inbox
from storage.engine import Database, make_engine
from storage.models import Activity, InboxUpdate
from storage.query import table_of
from tests.conftest import ADMIN_ID, FakeClock
from tests.fakebot import FakeBotAPI, Recorded

ORGANISER = 2001
STRANGER = 3001


# ---------------------------------------------------------------- storage, both backends


def _received(*ids: int) -> list[inbox.Received]:
    return [inbox.Received(i, json.dumps({"update_id": i})) for i in ids]


def test_stored_updates_come_back_oldest_first_until_done(db: Database, clock: FakeClock) -> None:
    db.call(inbox.store, _received(12, 10, 11), at=clock.now)
    assert [r.update_id for r in db.call(inbox.unfinished)] == [10, 11, 12]
    assert db.call(inbox.unfinished)[0].payload == json.dumps({"update_id": 10})

    # Marks written with the next batch: 10 and 12 done, 13 stored, in one transaction.
    db.call(inbox.store, _received(13), at=clock.now, finished={10, 12})
    assert [r.update_id for r in db.call(inbox.unfinished)] == [11, 13]
    assert db.call(inbox.count, done=True) == 2
    assert db.call(inbox.count) == 4


def test_a_redelivered_update_is_stored_afresh_and_not_done(db: Database, clock: FakeClock) -> None:
    db.call(inbox.store, _received(5), at=clock.now)
    db.call(inbox.finish, {5}, at=clock.now)
    assert db.call(inbox.unfinished) == []
    fresh = [inbox.Received(5, json.dumps({"update_id": 5, "again": True}))]
    db.call(inbox.store, fresh, at=clock.now)
    assert db.call(inbox.unfinished) == fresh


def test_done_rows_are_pruned_a_day_after_they_were_done(db: Database, clock: FakeClock) -> None:
    db.call(inbox.store, _received(1, 2, 3), at=clock.now)
    db.call(inbox.finish, {1}, at=clock.now)
    clock.advance(hours=2)
    db.call(inbox.finish, {2}, at=clock.now)
    later = clock.now + inbox.KEEP_DONE - timedelta(hours=1)
    db.call(inbox.finish, set(), at=later)  # 1 was done 25 h before, 2 only 23 h
    assert db.call(inbox.count, done=True) == 1
    # Never done, never pruned: an update older than a day is still processed.
    assert [r.update_id for r in db.call(inbox.unfinished)] == [3]
    db.call(inbox.finish, {999}, at=later)  # unknown ids are ignored
    assert db.call(inbox.count) == 2


def _payloads(db: Database) -> dict[int, str]:
    inbox_table = table_of(InboxUpdate)
    with db.begin() as conn:
        rows = conn.execute(select(inbox_table.c.update_id, inbox_table.c.payload)).all()
    return {int(r.update_id): str(r.payload) for r in rows}


def test_a_done_update_keeps_no_payload(db: Database, clock: FakeClock) -> None:
    """A done row is never read again: what the update held (who sent it, what they wrote)
    goes when it is marked done; rows not done keep theirs, to be processed."""
    sent = {"update_id": 7, "message": {"from": {"id": 42, "first_name": "Zofia"}, "text": "hi"}}
    db.call(inbox.store, [inbox.Received(7, json.dumps(sent)), *_received(8)], at=clock.now)
    db.call(inbox.store, _received(9), at=clock.now, finished={7})
    assert _payloads(db) == {
        7: "",
        8: json.dumps({"update_id": 8}),
        9: json.dumps({"update_id": 9}),
    }
    assert db.call(inbox.count, done=True) == 1


def test_done_rows_stored_with_a_payload_are_blanked(db: Database, clock: FakeClock) -> None:
    """Rows marked done before done rows were blanked: :func:`inbox.blank_done` clears them
    and leaves rows not done as they are."""
    db.call(inbox.store, _received(1, 2), at=clock.now)
    inbox_table = table_of(InboxUpdate)
    with db.begin() as conn:
        conn.execute(
            inbox_table.update().where(inbox_table.c.update_id == 1).values(done_at=clock.now)
        )
    assert db.call(inbox.blank_done) == 1
    assert _payloads(db) == {1: "", 2: json.dumps({"update_id": 2})}
    assert db.call(inbox.blank_done) == 0


# ---------------------------------------------------------------- the bot, polling the fake API


@asynccontextmanager
async def _running_bot(
    api: FakeBotAPI, db_url: str, clock: FakeClock, *, extra: Any = None
) -> AsyncIterator[Any]:
    """The real bot polling ``api``, started and stopped as ``run_polling`` does."""
    settings = Settings(
        telegram_bot_token=api.token,  # type: ignore[arg-type]
        telegram_api_base_url=api.base_url,
        database_url=db_url,
        admin_telegram_ids=frozenset({ADMIN_ID}),
        _env_file=None,  # type: ignore[call-arg]
    )
    app = build_application(settings, clock=clock, schedule_jobs=False)
    if extra is not None:
        app.add_handler(extra, group=-2)
    async with app:
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            await app.post_shutdown(app)


def _inbox_ids(db_url: str, *, done: bool | None = None) -> set[int]:
    table = table_of(InboxUpdate)
    stmt = select(table.c.update_id)
    if done is not None:
        stmt = stmt.where(table.c.done_at.is_not(None) if done else table.c.done_at.is_(None))
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return {int(r[0]) for r in conn.execute(stmt)}
    finally:
        engine.dispose()


async def test_a_batch_is_stored_before_the_next_offset_confirms_it(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        stored_when_confirmed: dict[int, set[int]] = {}
        get_updates = api._methods["getupdates"]

        async def watch(record: Recorded) -> Any:
            offset = int(record.params.get("offset") or 0)
            if offset > 0:
                # What Telegram may now drop must be in the database already.
                stored_when_confirmed[offset] = _inbox_ids(db_url)
            return await get_updates(record)

        api.set_handler("getUpdates", watch)
        async with _running_bot(api, db_url, clock):
            first = api.user_message(STRANGER, "/help")
            second = api.user_message(STRANGER + 1, "hello")
            for user in (STRANGER, STRANGER + 1):
                await api.wait_for("sendMessage", lambda p, u=user: p["chat_id"] == u)
            sent_ids = {first["update_id"], second["update_id"]}
            confirming = [o for o in stored_when_confirmed if o > max(sent_ids)]
            assert confirming, stored_when_confirmed
            for offset in confirming:
                assert sent_ids <= stored_when_confirmed[offset]
        # A clean stop writes the done marks still waiting.
        assert _inbox_ids(db_url, done=True) == sent_ids
        assert _inbox_ids(db_url, done=False) == set()


async def test_updates_left_unfinished_are_processed_on_start_once_by_their_own_date(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        # A team with an organiser who joined four weeks ago.
        clock.now -= timedelta(weeks=4)
        async with _running_bot(api, db_url, clock):
            await api.wait_for("getUpdates")
            api.user_message(ADMIN_ID, "/newteam North Ward")
            await api.wait_for("sendMessage", lambda p: p["chat_id"] == ADMIN_ID)
            since = len(api.requests)
            api.user_message(ADMIN_ID, "/invite north-ward organiser")
            [invite] = await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == ADMIN_ID, since=since
            )
            code = re.search(r"start=([\w-]+)", invite.params["text"])
            assert code
            api.user_message(ORGANISER, f"/start {code.group(1)}")
            await api.wait_for("sendMessage", lambda p: p["chat_id"] == ORGANISER)
        clock.advance(weeks=4)

        # The bot stored a quick log sent 30 hours ago and died before handling it; Telegram
        # still holds the update too (its offset was never confirmed).
        sent_at = clock.now - timedelta(hours=30)
        update = api.user_message(ORGANISER, "doors 4 Elm Road", date=int(sent_at.timestamp()))
        engine = make_engine(db_url)
        with engine.begin() as conn:
            payload = inbox.Received(update["update_id"], json.dumps(update))
            inbox.store(conn, [payload], at=clock.now - timedelta(hours=30))
        engine.dispose()

        since = len(api.requests)
        async with _running_bot(api, db_url, clock):
            [reply] = await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == ORGANISER, since=since
            )
            # A later message is answered after Telegram's copy of the stored one was fetched.
            api.user_message(ORGANISER, "/week")
            await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == ORGANISER, count=2, since=since
            )
        replies = [
            r.params["text"]
            for r in api.requests[since:]
            if r.method == "sendMessage" and r.params["chat_id"] == ORGANISER
        ]
        assert len(replies) == 2, replies  # the stored update answered once, then /week
        assert "Elm Road" in reply.params["text"]

        activity = table_of(Activity)
        engine = make_engine(db_url)
        with engine.connect() as conn:
            rows = conn.execute(select(activity.c.occurred_at, activity.c.count)).all()
        engine.dispose()
        assert [(r.occurred_at, r.count) for r in rows] == [(sent_at.replace(microsecond=0), 4)]
        assert _inbox_ids(db_url, done=False) == set()


@contextmanager
def _writes_locked(db_url: str) -> Iterator[None]:
    """Another process holds the database's write lock (SQLite) or the inbox's (PostgreSQL)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        other = sqlite3.connect(str(url.database), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = make_engine(db_url)
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE inbox_update IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


async def test_a_locked_database_holds_the_batch_back_and_loses_nothing(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        confirmed_before_stored: list[int] = []
        fetched = asyncio.Event()
        get_updates = api._methods["getupdates"]

        async def watch(record: Recorded) -> Any:
            offset = int(record.params.get("offset") or 0)
            if offset > 1 and offset - 1 not in _inbox_ids(db_url):
                confirmed_before_stored.append(offset)
            batch = await get_updates(record)
            if batch:
                fetched.set()
            return batch

        api.set_handler("getUpdates", watch)
        async with _running_bot(api, db_url, clock):
            await api.wait_for("getUpdates")
            with _writes_locked(db_url):
                since = len(api.requests)
                update = api.user_message(STRANGER, "/help")
                await fetched.wait()
                # The batch cannot be stored yet, so it is neither confirmed nor handled.
                assert not [r for r in api.requests[since:] if r.method == "sendMessage"]
            [reply] = await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == STRANGER, since=since
            )
            assert reply.params["text"]
        assert confirmed_before_stored == []
        assert _inbox_ids(db_url, done=True) == {update["update_id"]}


async def test_an_update_whose_handler_raised_is_done_once_the_error_is_handled(
    db_url: str, clock: FakeClock
) -> None:
    async def explode(_update: object, _context: object) -> None:
        raise RuntimeError("handler failed")

    async with FakeBotAPI() as api:
        failing = MessageHandler(filters.Regex("^boom$"), explode)
        async with _running_bot(api, db_url, clock, extra=failing):
            update = api.user_message(STRANGER, "boom")
            # The error handler has told the person something went wrong.
            [sorry] = await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == STRANGER and p["text"] == SORRY
            )
            assert sorry
        # Done, not processed again on the next start (the error handler has replied).
        assert update["update_id"] in _inbox_ids(db_url, done=True)
        assert _inbox_ids(db_url, done=False) == set()
