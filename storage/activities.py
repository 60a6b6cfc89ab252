"""Activity entries and the daily totals kept in step with them.

Every change to ``activity`` goes through this module, which adjusts ``daily_total`` in the same
transaction, so totals read from ``daily_total`` always equal the live entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Row, and_, func, select, update

from storage import tables as t
from storage.upsert import add_to_counter, insert_ignore


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to record, keyed by the chat, message and line it came from."""

    person_id: int
    team_id: int
    kind: str
    count: int
    occurred_at: datetime
    occurred_on: date
    note: str | None
    chat_id: int
    message_id: int
    line: int


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A stored entry."""

    id: int
    person_id: int
    team_id: int
    kind: str
    count: int
    occurred_at: datetime
    occurred_on: date
    note: str | None
    chat_id: int
    message_id: int
    line: int
    deleted: bool


_ENTRY_COLUMNS = (
    t.activity.c.id,
    t.activity.c.person_id,
    t.activity.c.team_id,
    t.activity.c.kind,
    t.activity.c.count,
    t.activity.c.occurred_at,
    t.activity.c.occurred_on,
    t.activity.c.note,
    t.activity.c.source_chat_id,
    t.activity.c.source_message_id,
    t.activity.c.source_line,
    t.activity.c.deleted_at,
)


def _row(r: Row[Any]) -> EntryRow:
    return EntryRow(*r[:11], deleted=r[11] is not None)


def _bump(conn: Connection, person_id: int, team_id: int, kind: str, day: date, delta: int) -> None:
    add_to_counter(
        conn,
        t.daily_total,
        {"person_id": person_id, "team_id": team_id, "kind": kind, "day": day},
        column="total",
        delta=delta,
    )


def entries_from_source(conn: Connection, chat_id: int, message_id: int) -> list[EntryRow]:
    """Entries recorded from one message (deleted ones included), by line."""
    rows = conn.execute(
        select(*_ENTRY_COLUMNS)
        .where(t.activity.c.source_chat_id == chat_id, t.activity.c.source_message_id == message_id)
        .order_by(t.activity.c.source_line)
    ).all()
    return [_row(r) for r in rows]


def record(conn: Connection, entries: Sequence[NewEntry], *, now: datetime) -> list[int]:
    """Insert entries, skipping any whose (chat, message, line) already exists.

    Returns:
        Ids of the rows actually inserted; daily totals are bumped for those only, so a
        replayed message can never count twice, even when two copies race.
    """
    inserted: list[int] = []
    for e in entries:
        values = {
            "person_id": e.person_id,
            "team_id": e.team_id,
            "kind": e.kind,
            "count": e.count,
            "occurred_at": e.occurred_at,
            "occurred_on": e.occurred_on,
            "note": e.note,
            "source_chat_id": e.chat_id,
            "source_message_id": e.message_id,
            "source_line": e.line,
            "recorded_at": now,
        }
        new_id = insert_ignore(
            conn,
            t.activity,
            values,
            conflict=("source_chat_id", "source_message_id", "source_line"),
        )
        if new_id is not None:
            inserted.append(int(new_id))
            _bump(conn, e.person_id, e.team_id, e.kind, e.occurred_on, e.count)
    return inserted


def soft_delete(conn: Connection, rows: Iterable[EntryRow], *, now: datetime) -> list[EntryRow]:
    """Mark live entries deleted and take them out of the totals; returns those deleted."""
    done: list[EntryRow] = []
    for row in rows:
        if row.deleted:
            continue
        result = conn.execute(
            update(t.activity)
            .where(t.activity.c.id == row.id, t.activity.c.deleted_at.is_(None))
            .values(deleted_at=now, updated_at=now)
        )
        if result.rowcount == 1:
            _bump(conn, row.person_id, row.team_id, row.kind, row.occurred_on, -row.count)
            done.append(row)
    return done


def replace(conn: Connection, row: EntryRow, new: NewEntry, *, now: datetime) -> None:
    """Overwrite an entry (live or deleted) with corrected values, keeping totals in step."""
    if not row.deleted:
        _bump(conn, row.person_id, row.team_id, row.kind, row.occurred_on, -row.count)
    conn.execute(
        update(t.activity)
        .where(t.activity.c.id == row.id)
        .values(
            team_id=new.team_id,
            kind=new.kind,
            count=new.count,
            occurred_at=new.occurred_at,
            occurred_on=new.occurred_on,
            note=new.note,
            updated_at=now,
            deleted_at=None,
        )
    )
    _bump(conn, new.person_id, new.team_id, new.kind, new.occurred_on, new.count)


def last_live_source(conn: Connection, person_id: int) -> tuple[int, int] | None:
    """(chat id, message id) of the person's most recently recorded live entry."""
    row = conn.execute(
        select(t.activity.c.source_chat_id, t.activity.c.source_message_id)
        .where(t.activity.c.person_id == person_id, t.activity.c.deleted_at.is_(None))
        .order_by(t.activity.c.recorded_at.desc(), t.activity.c.id.desc())
        .limit(1)
    ).first()
    return (int(row[0]), int(row[1])) if row else None


def kind_totals(
    conn: Connection, *, person_id: int, team_id: int, start: date, end: date
) -> dict[str, int]:
    """A person's totals per kind in a team over [start, end), from the daily totals."""
    rows = conn.execute(
        select(t.daily_total.c.kind, func.sum(t.daily_total.c.total))
        .where(
            t.daily_total.c.person_id == person_id,
            t.daily_total.c.team_id == team_id,
            t.daily_total.c.day >= start,
            t.daily_total.c.day < end,
        )
        .group_by(t.daily_total.c.kind)
    ).all()
    return {str(kind): int(total) for kind, total in rows if total}


@dataclass(frozen=True, slots=True)
class DayTotal:
    """One person's total for one kind on one day in one team."""

    person_id: int
    team_id: int
    kind: str
    day: date
    total: int


def day_totals(
    conn: Connection,
    *,
    start: date,
    end: date,
    team_ids: Sequence[int] | None = None,
    person_ids: Sequence[int] | None = None,
) -> list[DayTotal]:
    """Non-zero daily totals over [start, end), optionally for some teams or people."""
    conds = [t.daily_total.c.day >= start, t.daily_total.c.day < end, t.daily_total.c.total != 0]
    if team_ids is not None:
        conds.append(t.daily_total.c.team_id.in_(list(team_ids)))
    if person_ids is not None:
        conds.append(t.daily_total.c.person_id.in_(list(person_ids)))
    rows = conn.execute(
        select(
            t.daily_total.c.person_id,
            t.daily_total.c.team_id,
            t.daily_total.c.kind,
            t.daily_total.c.day,
            t.daily_total.c.total,
        ).where(and_(*conds))
    ).all()
    return [DayTotal(*r) for r in rows]


def weekly_team_totals(
    conn: Connection, *, team_id: int, mondays: Sequence[date]
) -> dict[date, dict[str, int]]:
    """A team's totals per kind for each week starting on one of ``mondays``."""
    if not mondays:
        return {}
    first, last = min(mondays), max(mondays)
    out: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in day_totals(conn, start=first, end=last + timedelta(days=7), team_ids=[team_id]):
        monday = row.day - timedelta(days=row.day.weekday())
        out[monday][row.kind] += row.total
    return {m: dict(out[m]) for m in mondays}


def diary(
    conn: Connection, *, person_id: int, start: date, end: date, limit: int = 200
) -> list[EntryRow]:
    """A person's live entries over [start, end), oldest first."""
    rows = conn.execute(
        select(*_ENTRY_COLUMNS)
        .where(
            t.activity.c.person_id == person_id,
            t.activity.c.deleted_at.is_(None),
            t.activity.c.occurred_on >= start,
            t.activity.c.occurred_on < end,
        )
        .order_by(t.activity.c.occurred_at, t.activity.c.id)
        .limit(limit)
    ).all()
    return [_row(r) for r in rows]


def export_rows(
    conn: Connection, *, team_ids: Sequence[int], start: date, end: date
) -> list[tuple[EntryRow, str, str]]:
    """Live entries of some teams over [start, end), with person and team names, for CSV."""
    rows = conn.execute(
        select(*_ENTRY_COLUMNS, t.person.c.display_name, t.team.c.slug)
        .join(t.person, t.person.c.id == t.activity.c.person_id)
        .join(t.team, t.team.c.id == t.activity.c.team_id)
        .where(
            t.activity.c.team_id.in_(list(team_ids)),
            t.activity.c.deleted_at.is_(None),
            t.activity.c.occurred_on >= start,
            t.activity.c.occurred_on < end,
        )
        .order_by(t.activity.c.occurred_at, t.activity.c.id)
    ).all()
    return [(_row(r), str(r[12]), str(r[13])) for r in rows]
