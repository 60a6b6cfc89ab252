"""Target overrides and absences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, delete, insert, or_, select, update

from organiser_bot.domain.targets import AbsenceRow, TargetRow
from storage.models import Absence, Target
from storage.query import table_of
from storage.upsert import insert_ignore

_target = table_of(Target)
_absence = table_of(Absence)


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
        select(_target.c.weekly).where(_target.c.scope_key == key)
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
    if insert_ignore(conn, _target, values, conflict=("scope_key",)) is None:
        conn.execute(
            update(_target)
            .where(_target.c.scope_key == key)
            .values(weekly=weekly, set_by=by, set_at=now)
        )
    return int(previous) if previous is not None else None


def delete_target(conn: Connection, *, team_id: int | None, scope: str, kind: str) -> int | None:
    """Remove the override at (team, scope, kind); returns the value it held, or None when there
    was none (nothing changes)."""
    key = scope_key(team_id, scope, kind)
    previous = conn.execute(
        delete(_target).where(_target.c.scope_key == key).returning(_target.c.weekly)
    ).scalar_one_or_none()
    return int(previous) if previous is not None else None


def overrides(conn: Connection, *, team_ids: Sequence[int] | None = None) -> list[TargetRow]:
    """Overrides that apply to ``team_ids`` (plus the all-teams ones), or all of them."""
    stmt = select(_target.c.team_id, _target.c.scope, _target.c.kind, _target.c.weekly)
    if team_ids is not None:
        stmt = stmt.where(or_(_target.c.team_id.is_(None), _target.c.team_id.in_(team_ids)))
    return [TargetRow(**row._mapping) for row in conn.execute(stmt).all()]


def add_absence(
    conn: Connection, *, person_id: int, starts_on: date, ends_on: date, now: datetime
) -> int:
    """Record an absence."""
    return int(
        conn.execute(
            insert(_absence)
            .values(person_id=person_id, starts_on=starts_on, ends_on=ends_on, created_at=now)
            .returning(_absence.c.id)
        ).scalar_one()
    )


def cancel_absence(conn: Connection, absence_id: int, *, now: datetime) -> None:
    """Withdraw an absence."""
    conn.execute(update(_absence).where(_absence.c.id == absence_id).values(deleted_at=now))


def absences(
    conn: Connection, *, start: date, end: date, person_ids: Sequence[int] | None = None
) -> list[AbsenceRow]:
    """Live absences overlapping [start, end)."""
    stmt = select(
        _absence.c.id, _absence.c.person_id, _absence.c.starts_on, _absence.c.ends_on
    ).where(
        _absence.c.deleted_at.is_(None),
        _absence.c.starts_on < end,
        _absence.c.ends_on >= start,
    )
    if person_ids is not None:
        stmt = stmt.where(_absence.c.person_id.in_(list(person_ids)))
    rows = conn.execute(stmt.order_by(_absence.c.starts_on)).all()
    return [AbsenceRow(**row._mapping) for row in rows]
