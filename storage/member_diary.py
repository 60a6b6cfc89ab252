"""One person's diary over some teams (``/diary @user``): their day totals, summed in SQL from
``daily_total``, and their live entries from ``activity``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, select

from storage.models import Activity, DailyTotal
from storage.query import table_of

_activity = table_of(Activity)
_daily = table_of(DailyTotal)


def day_totals(
    conn: Connection, *, person_id: int, team_ids: Sequence[int], start: date, end: date
) -> dict[date, dict[int, dict[str, int]]]:
    """A person's totals per local day, team and kind over [start, end), in ``team_ids`` only.

    Read from the running daily totals (one row per person, team, kind and day, kept in step
    with the entries), so the cost depends on the days asked for, not on the history.

    Returns:
        Day -> team id -> kind -> total; days, teams and kinds with nothing are absent.
    """
    if not team_ids:
        return {}
    d = _daily
    rows = conn.execute(
        select(d.c.day, d.c.team_id, d.c.kind, func.sum(d.c.total))
        .where(
            d.c.person_id == person_id,
            d.c.team_id.in_(list(team_ids)),
            d.c.day >= start,
            d.c.day < end,
        )
        .group_by(d.c.day, d.c.team_id, d.c.kind)
    ).all()
    out: dict[date, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for day, team_id, kind, total in rows:
        if total:
            out[day][team_id][kind] = int(total)
    return {day: dict(teams) for day, teams in out.items()}


@dataclass(frozen=True, slots=True)
class DiaryRow:
    """One live entry as a member's diary lists it (the ``activity`` columns of that name).

    Attributes:
        occurred_at: When it happened, aware UTC (only the day's stand-in unless
            ``time_given``).
        occurred_on: The local day it counts for.
    """

    team_id: int
    kind: str
    count: int
    occurred_at: datetime
    occurred_on: date
    time_given: bool
    note: str | None


def entries(
    conn: Connection,
    *,
    person_id: int,
    team_ids: Sequence[int],
    start: date,
    end: date,
    limit: int,
) -> list[DiaryRow]:
    """A person's live entries in ``team_ids`` over local days [start, end), oldest first, at
    most ``limit`` of them (through the ``(person_id, occurred_on)`` index)."""
    if not team_ids:
        return []
    a = _activity
    rows = conn.execute(
        select(
            a.c.team_id,
            a.c.kind,
            a.c.count,
            a.c.occurred_at,
            a.c.occurred_on,
            a.c.time_given,
            a.c.note,
        )
        .where(
            a.c.person_id == person_id,
            a.c.team_id.in_(list(team_ids)),
            a.c.deleted_at.is_(None),
            a.c.occurred_on >= start,
            a.c.occurred_on < end,
        )
        .order_by(a.c.occurred_on, a.c.occurred_at, a.c.id)
        .limit(limit)
    ).all()
    return [DiaryRow(*row) for row in rows]
