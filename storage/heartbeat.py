"""The heartbeat (stretches of the bot running) and the status chat.

A running bot writes one row per stretch (:class:`~storage.models.Heartbeat`): :func:`start`
opens it, :func:`beat` (every minute) moves its ``beat_at`` on, :func:`stop` closes it on a clean
shutdown. A beat that comes more than ``stall_after`` after the last one opens a new stretch,
so a stall shows as a gap. Uptime is worked out from the stretches by
:func:`organiser_bot.domain.uptime.uptime`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import perf_counter

from sqlalchemy import Connection, delete, func, insert, literal, select, update
from sqlmodel import col
from sqlmodel import select as select_model

from storage.models import Heartbeat, StatusChat
from storage.query import fetch_all, table_of

_beat = table_of(Heartbeat)
_status_chat = table_of(StatusChat)

#: The status chat's one row.
_STATUS_CHAT_ID = 1


def start(conn: Connection, *, now: datetime) -> int:
    """Open a stretch starting ``now``; return its id."""
    return int(
        conn.execute(
            insert(_beat).values(started_at=now, beat_at=now).returning(_beat.c.id)
        ).scalar_one()
    )


def beat(
    conn: Connection,
    *,
    stretch_id: int,
    now: datetime,
    polled_at: datetime | None,
    stall_after: timedelta,
) -> int:
    """Record a beat at ``now`` on stretch ``stretch_id``; return the stretch now running.

    When the stretch's last beat is more than ``stall_after`` before ``now`` (the
    process stalled), or it was stopped or is gone, a new stretch is opened instead.

    Args:
        stretch_id: The stretch the running bot opened (or the last returned).
        now: Aware UTC.
        polled_at: When ``getUpdates`` last answered (aware UTC), or None if not yet.
        stall_after: The longest time between beats of one stretch.
    """
    row = conn.execute(
        select(_beat.c.beat_at, _beat.c.stopped_at).where(_beat.c.id == stretch_id)
    ).one_or_none()
    if row is not None and row.stopped_at is None and now - row.beat_at <= stall_after:
        values: dict[str, datetime] = {"beat_at": now}
        if polled_at is not None:
            values["polled_at"] = polled_at
        conn.execute(update(_beat).where(_beat.c.id == stretch_id).values(**values))
        return stretch_id
    new_id = start(conn, now=now)
    if polled_at is not None:
        conn.execute(update(_beat).where(_beat.c.id == new_id).values(polled_at=polled_at))
    return new_id


def stop(
    conn: Connection, *, stretch_id: int, now: datetime, polled_at: datetime | None = None
) -> None:
    """Close stretch ``stretch_id`` at ``now`` (a clean shutdown)."""
    values: dict[str, datetime] = {"beat_at": now, "stopped_at": now}
    if polled_at is not None:
        values["polled_at"] = polled_at
    conn.execute(
        update(_beat).where(_beat.c.id == stretch_id, _beat.c.stopped_at.is_(None)).values(**values)
    )


def stretches(conn: Connection, *, since: datetime) -> list[Heartbeat]:
    """The stretches that reach ``since`` or later, and the one before them (its gap may run
    into the window), oldest first."""
    recent = fetch_all(
        conn,
        select_model(Heartbeat)
        .where(col(Heartbeat.beat_at) >= since)
        .order_by(col(Heartbeat.started_at), col(Heartbeat.id)),
    )
    before = fetch_all(
        conn,
        select_model(Heartbeat)
        .where(col(Heartbeat.beat_at) < since)
        .order_by(col(Heartbeat.beat_at).desc(), col(Heartbeat.id).desc())
        .limit(1),
    )
    return before + recent


def first_start(conn: Connection) -> datetime | None:
    """When the earliest stretch recorded started (aware UTC), or None when none is."""
    # A plain column, not min(): on SQLite an aggregate bypasses the column's type.
    found: datetime | None = conn.execute(
        select(_beat.c.started_at).order_by(_beat.c.started_at).limit(1)
    ).scalar_one_or_none()
    return found


def latest(conn: Connection) -> Heartbeat | None:
    """The stretch with the latest beat, or None."""
    found = fetch_all(
        conn,
        select_model(Heartbeat)
        .order_by(col(Heartbeat.beat_at).desc(), col(Heartbeat.id).desc())
        .limit(1),
    )
    return found[0] if found else None


def status_chat(conn: Connection) -> StatusChat | None:
    """The status chat, or None when none is set."""
    found = fetch_all(conn, select_model(StatusChat))
    return found[0] if found else None


def set_status_chat(
    conn: Connection, *, chat_id: int, thread_id: int | None, title: str | None, now: datetime
) -> None:
    """Make ``chat_id`` (forum topic ``thread_id``, None for the chat itself) the status chat,
    in place of any other."""
    conn.execute(delete(_status_chat))
    conn.execute(
        insert(_status_chat).values(
            id=_STATUS_CHAT_ID,
            chat_id=chat_id,
            thread_id=thread_id,
            title=title[:128] if title else None,
            set_at=now,
        )
    )


def clear_status_chat(conn: Connection, *, chat_id: int | None = None) -> bool:
    """Forget the status chat (only if it is ``chat_id``, when given); whether one was set."""
    stmt = delete(_status_chat)
    if chat_id is not None:
        stmt = stmt.where(_status_chat.c.chat_id == chat_id)
    return conn.execute(stmt).rowcount > 0


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    """How the database answers: never its address or credentials.

    Attributes:
        backend: The product and its version, e.g. ``PostgreSQL 16.4`` or ``SQLite 3.45``.
        round_trip: The time ``SELECT 1`` took on the connection.
        size_bytes: The database's size on disk (SQLite: the file and its write-ahead log),
            or None when it cannot be read.
    """

    backend: str
    round_trip: timedelta
    size_bytes: int | None


def database_health(conn: Connection) -> DatabaseHealth:
    """Time one round trip, and read the backend's name, version and size."""
    began = perf_counter()
    conn.execute(select(literal(1))).scalar_one()
    round_trip = timedelta(seconds=perf_counter() - began)
    dialect = conn.dialect
    version = ".".join(str(p) for p in (dialect.server_version_info or ())[:2])
    size: int | None = None
    if dialect.name == "sqlite":
        name = "SQLite"
        path = conn.engine.url.database
        if path and path != ":memory:":
            files = [path, f"{path}-wal"]
            size = sum(os.path.getsize(f) for f in files if os.path.exists(f)) or None
    else:
        name = "PostgreSQL" if dialect.name == "postgresql" else dialect.name
        if dialect.name == "postgresql":
            found = conn.execute(
                select(func.pg_database_size(func.current_database()))
            ).scalar_one_or_none()
            size = int(found) if found is not None else None
    return DatabaseHealth(f"{name} {version}".strip(), round_trip, size)
