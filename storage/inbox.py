"""The update inbox: every update fetched from Telegram, stored before it is confirmed.

``getUpdates`` confirms a batch only with the *next* call's ``offset``, and python-telegram-bot
makes that call before the batch's handlers finish. Storing each fetched batch here first (one
write per batch, :func:`store`) means a crash can lose nothing Telegram was told was received:
on start, the rows not done (:func:`unfinished`) are processed again. Processing an update twice
is safe because every unit of work records its update in ``processed_update`` (see
``storage.processed``) and entries are keyed by their source message.

A row's life::

    store --> (done_at NULL) --finish--> (done_at set) --prune, a day later--> (deleted)

A done row is never processed again (:func:`unfinished` reads only rows not done; a copy
Telegram delivers again is stored afresh), so marking it done also blanks its payload: a done
row keeps only its ``update_id`` and times, nothing anyone wrote. Done rows are kept for
:data:`KEEP_DONE` (Telegram's own retention of unconfirmed updates), so the table shows how
many updates the bot carried out in the last day, then pruned in the same write that marks
later rows done.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import InboxUpdate
from storage.query import table_of

#: How long a done row is kept before it is pruned.
KEEP_DONE = timedelta(hours=24)
#: The payload a done row keeps: none.
DONE_PAYLOAD = ""

_inbox = table_of(InboxUpdate)


@dataclass(frozen=True)
class Received:
    """One update as fetched: its ``update_id`` and its JSON text."""

    update_id: int
    payload: str


def store(
    conn: Connection,
    batch: Sequence[Received],
    *,
    at: datetime,
    finished: Collection[int] = (),
) -> None:
    """Store a fetched batch (one executemany) and mark ``finished`` updates done, in the
    caller's transaction.

    An update stored before (Telegram delivered it again) is stored afresh: its payload is
    replaced and it is not done, so a crash before it is processed again cannot lose it.

    Args:
        batch: The updates fetched, any order.
        at: Now (aware UTC): ``received_at`` of the batch, ``done_at`` of ``finished``.
        finished: ``update_id`` of updates whose handlers have finished since the last write.
    """
    if finished:
        finish(conn, finished, at=at)
    if not batch:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_inbox)
    stmt = stmt.on_conflict_do_update(
        index_elements=["update_id"],
        set_={
            "payload": stmt.excluded.payload,
            "received_at": stmt.excluded.received_at,
            "done_at": None,
        },
    )
    conn.execute(
        stmt,
        [
            {"update_id": r.update_id, "payload": r.payload, "received_at": at, "done_at": None}
            for r in batch
        ],
    )


def finish(conn: Connection, update_ids: Collection[int], *, at: datetime) -> None:
    """Mark ``update_ids`` done at ``at``, blanking their payloads (a done row is never read
    again), and prune rows done more than :data:`KEEP_DONE` before it. Unknown ids are
    ignored."""
    if update_ids:
        conn.execute(
            update(_inbox)
            .where(_inbox.c.update_id.in_(sorted(update_ids)), _inbox.c.done_at.is_(None))
            .values(done_at=at, payload=DONE_PAYLOAD)
        )
    conn.execute(delete(_inbox).where(_inbox.c.done_at < at - KEEP_DONE))


def unfinished(conn: Connection) -> list[Received]:
    """The updates stored and not done, oldest (lowest ``update_id``) first."""
    rows = conn.execute(
        select(_inbox.c.update_id, _inbox.c.payload)
        .where(_inbox.c.done_at.is_(None))
        .order_by(_inbox.c.update_id)
    )
    return [Received(int(r.update_id), str(r.payload)) for r in rows]


def count(conn: Connection, *, done: bool | None = None) -> int:
    """How many rows the inbox holds: all, only done (``True``) or only not done (``False``)."""
    stmt = select(func.count()).select_from(_inbox)
    if done is True:
        stmt = stmt.where(_inbox.c.done_at.is_not(None))
    elif done is False:
        stmt = stmt.where(_inbox.c.done_at.is_(None))
    return int(conn.execute(stmt).scalar_one())


def blank_done(conn: Connection) -> int:
    """Blank the payloads still held by done rows (rows marked done before :func:`finish`
    blanked them), so no done row keeps what a person who asked to be forgotten wrote. Rows not
    yet done stay, to be carried out, and are blanked when they are. Returns how many."""
    result = conn.execute(
        update(_inbox)
        .where(_inbox.c.done_at.is_not(None), _inbox.c.payload != DONE_PAYLOAD)
        .values(payload=DONE_PAYLOAD)
    )
    return result.rowcount
