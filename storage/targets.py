"""Target overrides and absences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, or_, select, update

from organiser_bot.domain.targets import AbsenceRow, TargetRow
from storage import tables as t
from storage.upsert import insert_ignore


def scope_key(team_id: int | None, scope: str, kind: str) -> str:
    """The unique key of a (team, scope, kind) override; ``*`` stands for every team."""
    return f"{team_id if team_id is not None else '*'}|{scope}|{kind}"


def set_target(
    conn: Connection,
    *,
    team_id: int | None,
    scope: str,
    kind: str,
    weekly: int,
    by: int | None,
    now: datetime,
) -> int | None:
    """Create or change an override; returns the previous value, if any."""
    key = scope_key(team_id, scope, kind)
    previous = conn.execute(
        select(t.target.c.weekly).where(t.target.c.scope_key == key)
    ).scalar_one_or_none()
    values = {
        "scope_key": key,
        "team_id": team_id,
        "scope": scope,
        "kind": kind,
        "weekly": weekly,
        "set_by": by,
        "set_at": now,
    }
    if insert_ignore(conn, t.target, values, conflict=("scope_key",)) is None:
        conn.execute(
            update(t.target)
            .where(t.target.c.scope_key == key)
            .values(weekly=weekly, set_by=by, set_at=now)
        )
    return int(previous) if previous is not None else None


def overrides(conn: Connection, *, team_ids: Sequence[int] | None = None) -> list[TargetRow]:
    """Overrides that apply to ``team_ids`` (plus the all-teams ones), or all of them."""
    stmt = select(t.target.c.team_id, t.target.c.scope, t.target.c.kind, t.target.c.weekly)
    if team_ids is not None:
        stmt = stmt.where(or_(t.target.c.team_id.is_(None), t.target.c.team_id.in_(team_ids)))
    return [TargetRow(*r) for r in conn.execute(stmt).all()]


def add_absence(
    conn: Connection, *, person_id: int, starts_on: date, ends_on: date, now: datetime
) -> int:
    """Record an absence."""
    return int(
        conn.execute(
            t.absence.insert()
            .values(person_id=person_id, starts_on=starts_on, ends_on=ends_on, created_at=now)
            .returning(t.absence.c.id)
        ).scalar_one()
    )


def cancel_absence(conn: Connection, absence_id: int, *, now: datetime) -> None:
    """Withdraw an absence."""
    conn.execute(update(t.absence).where(t.absence.c.id == absence_id).values(deleted_at=now))


def absences(
    conn: Connection, *, start: date, end: date, person_ids: Sequence[int] | None = None
) -> list[AbsenceRow]:
    """Live absences overlapping [start, end)."""
    stmt = select(
        t.absence.c.id, t.absence.c.person_id, t.absence.c.starts_on, t.absence.c.ends_on
    ).where(
        t.absence.c.deleted_at.is_(None),
        t.absence.c.starts_on < end,
        t.absence.c.ends_on >= start,
    )
    if person_ids is not None:
        stmt = stmt.where(t.absence.c.person_id.in_(list(person_ids)))
    return [AbsenceRow(*r) for r in conn.execute(stmt.order_by(t.absence.c.starts_on)).all()]
