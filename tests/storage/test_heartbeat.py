"""The heartbeat's stretches and the status chat, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import heartbeat
from storage.engine import Database

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
STALL = timedelta(minutes=3)


def test_beats_move_one_stretch_on_and_a_stall_opens_another(db: Database) -> None:
    with db.begin() as conn:
        first = heartbeat.start(conn, now=T0)
        for minute in range(1, 61):
            at = T0 + timedelta(minutes=minute)
            assert (
                heartbeat.beat(conn, stretch_id=first, now=at, polled_at=at, stall_after=STALL)
                == first
            )
        late = T0 + timedelta(minutes=64)
        second = heartbeat.beat(conn, stretch_id=first, now=late, polled_at=None, stall_after=STALL)
        rows = heartbeat.stretches(conn, since=T0)
    assert second != first
    assert [(r.started_at, r.beat_at) for r in rows] == [
        (T0, T0 + timedelta(minutes=60)),
        (late, late),
    ]
    assert rows[0].polled_at == T0 + timedelta(minutes=60)


def test_a_stopped_stretch_is_not_beaten_again(db: Database) -> None:
    with db.begin() as conn:
        first = heartbeat.start(conn, now=T0)
        heartbeat.stop(conn, stretch_id=first, now=T0 + timedelta(minutes=1))
        after = T0 + timedelta(minutes=2)
        second = heartbeat.beat(
            conn, stretch_id=first, now=after, polled_at=None, stall_after=STALL
        )
        rows = heartbeat.stretches(conn, since=T0)
        assert heartbeat.first_start(conn) == T0
    assert second != first
    assert rows[0].stopped_at == T0 + timedelta(minutes=1)
    assert rows[1].started_at == after and rows[1].stopped_at is None


def test_stretches_include_the_one_before_the_window(db: Database) -> None:
    with db.begin() as conn:
        for day in range(5):
            start = T0 + timedelta(days=day)
            heartbeat.stop(conn, stretch_id=heartbeat.start(conn, now=start), now=start + STALL)
        rows = heartbeat.stretches(conn, since=T0 + timedelta(days=3))
    assert [r.started_at for r in rows] == [T0 + timedelta(days=d) for d in (2, 3, 4)]


def test_one_status_chat_at_most(db: Database) -> None:
    with db.begin() as conn:
        assert heartbeat.status_chat(conn) is None
        heartbeat.set_status_chat(conn, chat_id=-1, thread_id=None, title="Ops", now=T0)
        heartbeat.set_status_chat(conn, chat_id=-2, thread_id=4, title="Ops 2", now=T0)
        chat = heartbeat.status_chat(conn)
        assert chat is not None and (chat.chat_id, chat.thread_id) == (-2, 4)
        assert not heartbeat.clear_status_chat(conn, chat_id=-1)
        assert heartbeat.clear_status_chat(conn, chat_id=-2)
        assert heartbeat.status_chat(conn) is None


def test_database_health_names_the_backend_and_never_the_address(db: Database) -> None:
    with db.begin() as conn:
        health = heartbeat.database_health(conn)
    assert health.backend.split()[0] == ("SQLite" if db.is_sqlite else "PostgreSQL")
    assert timedelta(0) < health.round_trip < timedelta(seconds=5)
    assert health.size_bytes is not None and health.size_bytes > 0
    assert db.url not in repr(health)
