"""Activity entries and the running totals kept in step with them.

Every change to ``activity`` goes through this module, which adjusts ``daily_total``,
``weekly_total`` and ``team_weekly_total`` in the same transaction, so totals read from them
always equal the live entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    String,
    bindparam,
    column,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel import select as select_model

from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import AbsenceRow, TargetRow, Tenure, person_scope, role_scope
from storage import measures_cache
from storage.models import (
    Activity,
    DailyTotal,
    Membership,
    Person,
    Team,
    TeamWeeklyTotal,
    WeeklyTotal,
    parse_gaps,
)
from storage.query import fetch_all, table_of

_activity = table_of(Activity)
_daily = table_of(DailyTotal)
_weekly = table_of(WeeklyTotal)
_team_weekly = table_of(TeamWeeklyTotal)


@dataclass(frozen=True, slots=True)
class NewEntry:
    """The columns a quick log supplies for a new ``activity`` row, named as the columns are;
    :func:`record` adds ``recorded_at`` and the database the ``id``. ``time_given`` is False
    when the person gave no time of day (``occurred_at`` is then only the day's stand-in)."""

    person_id: int
    team_id: int
    kind: str
    count: int
    occurred_at: datetime
    occurred_on: date
    note: str | None
    source_chat_id: int
    source_message_id: int
    source_line: int
    time_given: bool = True


# The hot path (every quick log and confirmation) runs statements built once, here. Per execution
# on SQLite (bench/bench_statements.py, best of 9 rounds on an idle 2-core host): inserting an
# entry costs ~330 µs as Core built per call, ~70-80 µs built once, ~95 µs as text(); adding to a
# running total ~450-500 µs, ~31-34 µs and ~29 µs. On PostgreSQL the forms built once and text()
# are within the round trip's noise. ON CONFLICT needs each dialect's own insert(), so these are
# built once per dialect.
_DIALECTS: dict[str, Any] = {"sqlite": sqlite, "postgresql": postgresql}


def _insert_entry(dialect: Any) -> Any:
    return (
        dialect.insert(_activity)
        .on_conflict_do_nothing(
            index_elements=["source_chat_id", "source_message_id", "source_line"]
        )
        .returning(_activity.c.id)
    )


def _add_to_total(dialect: Any, totals: Any, period: str) -> Any:
    stmt = dialect.insert(totals).values(
        person_id=bindparam("person_id"),
        team_id=bindparam("team_id"),
        kind=bindparam("kind"),
        **{period: bindparam(period)},
        total=bindparam("delta"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["person_id", "team_id", "kind", period],
        set_={"total": totals.c.total + stmt.excluded.total},
    )


_INSERT_ENTRY = {name: _insert_entry(d) for name, d in _DIALECTS.items()}
_BUMP_DAY = {name: _add_to_total(d, _daily, "day") for name, d in _DIALECTS.items()}
_BUMP_WEEK = {name: _add_to_total(d, _weekly, "week") for name, d in _DIALECTS.items()}


def _add_to_team_total(dialect: Any) -> Any:
    stmt = dialect.insert(_team_weekly).values(
        team_id=bindparam("team_id"),
        kind=bindparam("kind"),
        week=bindparam("week"),
        total=bindparam("delta"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["team_id", "kind", "week"],
        set_={"total": _team_weekly.c.total + stmt.excluded.total},
    )


_BUMP_TEAM_WEEK = {name: _add_to_team_total(d) for name, d in _DIALECTS.items()}


def _bump(conn: Connection, person_id: int, team_id: int, kind: str, day: date, delta: int) -> None:
    dialect = conn.dialect.name
    key = {"person_id": person_id, "team_id": team_id, "kind": kind, "delta": delta}
    conn.execute(_BUMP_DAY[dialect], {**key, "day": day})
    week = day - timedelta(days=day.weekday())
    conn.execute(_BUMP_WEEK[dialect], {**key, "week": week})
    conn.execute(
        _BUMP_TEAM_WEEK[dialect], {"team_id": team_id, "kind": kind, "week": week, "delta": delta}
    )


_FROM_SOURCE = (
    select_model(Activity)
    .where(
        col(Activity.source_chat_id) == bindparam("chat_id"),
        col(Activity.source_message_id) == bindparam("message_id"),
    )
    .order_by(col(Activity.source_line))
)


def entries_from_source(conn: Connection, chat_id: int, message_id: int) -> list[Activity]:
    """Entries recorded from one message (deleted ones included), by line."""
    return fetch_all(conn, _FROM_SOURCE, {"chat_id": chat_id, "message_id": message_id})


def record(conn: Connection, entries: Sequence[NewEntry], *, now: datetime) -> list[int]:
    """Insert entries, skipping any whose (chat, message, line) already exists.

    Returns:
        Ids of the rows actually inserted; running totals are bumped for those only, so a
        replayed message can never count twice, even when two copies race.
    """
    insert_entry = _INSERT_ENTRY[conn.dialect.name]
    inserted: list[int] = []
    added: list[NewEntry] = []
    for e in entries:
        new_id = conn.execute(
            insert_entry,
            {
                "person_id": e.person_id,
                "team_id": e.team_id,
                "kind": e.kind,
                "count": e.count,
                "occurred_at": e.occurred_at,
                "occurred_on": e.occurred_on,
                "note": e.note,
                "source_chat_id": e.source_chat_id,
                "source_message_id": e.source_message_id,
                "source_line": e.source_line,
                "time_given": e.time_given,
                "recorded_at": now,
            },
        ).scalar()
        if new_id is not None:
            inserted.append(int(new_id))
            added.append(e)
    measures_cache.hold(conn, (e.team_id for e in added))
    for e in sorted(added, key=_totals_order):
        _bump(conn, e.person_id, e.team_id, e.kind, e.occurred_on, e.count)
    return inserted


def _totals_order(row: NewEntry | Activity) -> tuple[int, str, date, int]:
    """The order a transaction adds to running totals in: by team, kind, day and person, each
    team's ``team_measures_cache`` row locked first (:func:`storage.measures_cache.hold`), so
    two transactions writing the same totals take their locks in the same order and never
    wait on each other in a cycle."""
    return (row.team_id, row.kind, row.occurred_on, row.person_id)


def soft_delete(conn: Connection, rows: Iterable[Activity], *, now: datetime) -> list[Activity]:
    """Mark live entries deleted and take them out of the totals; returns those deleted (as they
    were read, still live), in the order given. Totals are taken out in
    :func:`_totals_order`."""
    given = list(rows)
    done: set[int] = set()
    measures_cache.hold(conn, (row.team_id for row in given if not row.deleted))
    for row in sorted(given, key=_totals_order):
        if row.deleted:
            continue
        result = conn.execute(
            update(_activity)
            .where(_activity.c.id == row.id, _activity.c.deleted_at.is_(None))
            .values(deleted_at=now, updated_at=now)
        )
        if result.rowcount == 1:
            _bump(conn, row.person_id, row.team_id, row.kind, row.occurred_on, -row.count)
            done.add(row.id)
    return [row for row in given if row.id in done]


def replace(conn: Connection, row: Activity, new: NewEntry, *, now: datetime) -> None:
    """Overwrite an entry (live or deleted) with corrected values, keeping totals in step
    (the old values taken out and the new added, in :func:`_totals_order`)."""
    bumps: list[tuple[NewEntry | Activity, int]] = [(new, new.count)]
    if not row.deleted:
        bumps.append((row, -row.count))
    measures_cache.hold(conn, (e.team_id for e, _ in bumps))
    for e, delta in sorted(bumps, key=lambda b: _totals_order(b[0])):
        _bump(conn, e.person_id, e.team_id, e.kind, e.occurred_on, delta)
    conn.execute(
        update(_activity)
        .where(_activity.c.id == row.id)
        .values(
            team_id=new.team_id,
            kind=new.kind,
            count=new.count,
            occurred_at=new.occurred_at,
            occurred_on=new.occurred_on,
            note=new.note,
            time_given=new.time_given,
            updated_at=now,
            deleted_at=None,
        )
    )


def last_live_source(conn: Connection, person_id: int) -> tuple[int, int] | None:
    """(chat id, message id) of the person's most recently recorded live entry."""
    row = conn.execute(
        select(_activity.c.source_chat_id, _activity.c.source_message_id)
        .where(_activity.c.person_id == person_id, _activity.c.deleted_at.is_(None))
        .order_by(_activity.c.recorded_at.desc(), _activity.c.id.desc())
        .limit(1)
    ).first()
    return (row.source_chat_id, row.source_message_id) if row else None


def totals_by_member(
    conn: Connection, *, team_id: int, start: date, end: date
) -> dict[int, dict[str, int]]:
    """Each member's totals per kind in a team over [start, end), summed in SQL from the daily
    totals (``/totals``): person id -> kind -> total, without zeros."""
    d = _daily
    rows = conn.execute(
        select(d.c.person_id, d.c.kind, func.sum(d.c.total).label("total"))
        .where(d.c.team_id == team_id, d.c.day >= start, d.c.day < end)
        .group_by(d.c.person_id, d.c.kind)
    ).all()
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for person_id, kind, total in rows:
        if total:
            out[person_id][kind] = int(total)
    return dict(out)


def week_by_day(
    conn: Connection, *, monday: date, team_ids: Sequence[int]
) -> dict[tuple[int, int], dict[str, list[int]]]:
    """Some teams' daily totals for the week starting ``monday`` (the digest and nudges).

    Returns:
        (team id, person id) -> kind -> seven daily totals, Monday first; people and kinds with
        nothing that week are absent.
    """
    d = _daily
    rows = conn.execute(
        select(d.c.team_id, d.c.person_id, d.c.kind, d.c.day, d.c.total).where(
            d.c.day >= monday,
            d.c.day < monday + timedelta(days=7),
            d.c.total != 0,
            d.c.team_id.in_(list(team_ids)),
        )
    ).all()
    # Thousands of rows (every member's kinds and days): unpacked in the loop header, which costs
    # a third of reading each column by name from the row.
    out: dict[tuple[int, int], dict[str, list[int]]] = defaultdict(dict)
    for team_id, person_id, kind, day, total in rows:
        out[(team_id, person_id)].setdefault(kind, [0] * 7)[(day - monday).days] += total
    return dict(out)


def team_week_series(
    conn: Connection, *, team_id: int, first_monday: date, last_monday: date
) -> dict[date, dict[str, int]]:
    """A team's totals per week and kind, summed in SQL (the digest's trend)."""
    w = _weekly
    rows = conn.execute(
        select(w.c.week, w.c.kind, func.sum(w.c.total).label("total"))
        .where(w.c.team_id == team_id, w.c.week >= first_monday, w.c.week <= last_monday)
        .group_by(w.c.week, w.c.kind)
    ).all()
    out: dict[date, dict[str, int]] = defaultdict(dict)
    for week, kind, total in rows:
        if total:
            out[week][kind] = int(total)
    return dict(out)


def weekly_team_totals(
    conn: Connection, *, team_id: int, mondays: Sequence[date]
) -> dict[date, dict[str, int]]:
    """A team's totals per kind for each week starting on one of ``mondays``."""
    if not mondays:
        return {}
    series = team_week_series(
        conn, team_id=team_id, first_monday=min(mondays), last_monday=max(mondays)
    )
    return {m: dict(series.get(m, {})) for m in mondays}


def diary(
    conn: Connection, *, person_id: int, start: date, end: date, limit: int = 200
) -> list[Activity]:
    """A person's live entries over [start, end), oldest first."""
    return fetch_all(
        conn,
        select_model(Activity)
        .where(
            col(Activity.person_id) == person_id,
            col(Activity.deleted_at).is_(None),
            col(Activity.occurred_on) >= start,
            col(Activity.occurred_on) < end,
        )
        .order_by(col(Activity.occurred_at), col(Activity.id))
        .limit(limit),
    )


@dataclass(frozen=True, slots=True)
class ExportedEntry:
    """One live entry as ``/export`` writes it: an ``activity`` row joined to its person's name,
    its team's slug and name, and the person's role in that team (None when no membership row
    is left); ``person_id`` and ``team_id`` tell apart people who share a name.
    ``occurred_at`` and ``recorded_at`` are UTC (naive on SQLite)."""

    occurred_at: datetime
    occurred_on: date
    time_given: bool
    kind: str
    count: int
    note: str | None
    recorded_at: datetime
    person_name: str
    team_slug: str
    team_name: str
    role: Role | None
    person_id: int = 0
    team_id: int = 0


#: Rows fetched per round trip while an export streams (PostgreSQL: a server-side cursor).
EXPORT_BATCH = 1000


def export_rows(
    conn: Connection, *, team_ids: Sequence[int], start: date, end: date
) -> Iterator[ExportedEntry]:
    """Live entries of some teams over [start, end), oldest first, for CSV.

    A generator over a streamed result (``yield_per``: batches of :data:`EXPORT_BATCH` rows,
    a server-side cursor on PostgreSQL), so memory stays flat however many entries there are;
    consume it inside the caller's transaction.
    """
    person, team, member = table_of(Person), table_of(Team), table_of(Membership)
    result = conn.execute(
        select(
            _activity.c.occurred_at,
            _activity.c.occurred_on,
            _activity.c.time_given,
            _activity.c.kind,
            _activity.c.count,
            _activity.c.note,
            _activity.c.recorded_at,
            person.c.display_name.label("person_name"),
            team.c.slug.label("team_slug"),
            team.c.name.label("team_name"),
            member.c.role,
            _activity.c.person_id,
            _activity.c.team_id,
        )
        .join(person, person.c.id == _activity.c.person_id)
        .join(team, team.c.id == _activity.c.team_id)
        .outerjoin(
            member,
            (member.c.person_id == _activity.c.person_id)
            & (member.c.team_id == _activity.c.team_id),
        )
        .where(
            _activity.c.team_id.in_(list(team_ids)),
            _activity.c.deleted_at.is_(None),
            _activity.c.occurred_on >= start,
            _activity.c.occurred_on < end,
        )
        .order_by(_activity.c.occurred_at, _activity.c.id),
        execution_options={"yield_per": EXPORT_BATCH},
    )
    with result:
        for row in result:
            yield ExportedEntry(*row)


def noted_sources_since(
    conn: Connection, *, before: date, since: datetime
) -> list[tuple[int, int]]:
    """(chat id, message id) of the messages with a note on an entry dated before ``before``
    that were recorded or changed at ``since`` or later: the only ones whose replies can still be
    kept for redelivery (``storage.processed``)."""
    a = _activity
    rows = conn.execute(
        select(a.c.source_chat_id, a.c.source_message_id)
        .where(
            a.c.note.is_not(None),
            a.c.occurred_on < before,
            (a.c.recorded_at >= since) | (a.c.updated_at >= since),
        )
        .distinct()
    ).all()
    return [(int(chat), int(message)) for chat, message in rows]


def erase_notes(conn: Connection, *, before: date) -> int:
    """Set the note of every entry (live or withdrawn) dated before ``before`` to NULL;
    returns how many notes were erased."""
    result = conn.execute(
        update(_activity)
        .where(_activity.c.note.is_not(None), _activity.c.occurred_on < before)
        .values(note=None)
    )
    return result.rowcount


@dataclass(frozen=True, slots=True)
class WeekSnapshot:
    """What a confirmation needs about one person's week in one team, read in one statement;
    ``tenure`` is their membership period in the team (None when they are not in it)."""

    totals: dict[str, int]
    overrides: list[TargetRow]
    absences: list[AbsenceRow]
    tenure: Tenure | None = None


# One round trip for every confirmation: the week's totals ('W'), the target overrides that can
# apply to this person in this team ('T'), their absences overlapping the week ('A') and their
# membership period in the team ('M', its first and last day in the date columns, its gaps in
# ``scope``); ``ref``
# is a target's team or an absence's id. The one statement of the hot path kept as text(): built
# once as Core it costs ~60-65 µs per execution on SQLite against ~40 µs as text(), and ~10-30 µs
# more on PostgreSQL (bench/bench_statements.py, "read the week back"), because SQLAlchemy hashes
# a statement's cache key on every execution and this UNION's is large. The NULLs are cast so
# PostgreSQL can type the UNION's columns.
_WEEK_SNAPSHOT = (
    text(
        "SELECT 'W', CAST(NULL AS INTEGER), CAST(NULL AS VARCHAR), kind, total,"
        " CAST(NULL AS DATE), CAST(NULL AS DATE) FROM weekly_total"
        " WHERE person_id = :person_id AND team_id = :team_id AND week = :week"
        " UNION ALL"
        " SELECT 'T', team_id, scope, kind, weekly, CAST(NULL AS DATE), CAST(NULL AS DATE)"
        " FROM target"
        " WHERE (team_id IS NULL OR team_id = :team_id) AND scope IN (:role_scope, :person_scope)"
        " UNION ALL"
        " SELECT 'A', id, CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), CAST(NULL AS INTEGER),"
        " starts_on, ends_on FROM absence"
        " WHERE person_id = :person_id AND deleted_at IS NULL"
        " AND starts_on < :week_end AND ends_on >= :week"
        " UNION ALL"
        " SELECT 'M', CAST(NULL AS INTEGER), CAST(gaps AS VARCHAR), CAST(NULL AS VARCHAR),"
        " CAST(NULL AS INTEGER), joined_on, left_on FROM membership"
        " WHERE person_id = :person_id AND team_id = :team_id"
    )
    .bindparams(bindparam("week", type_=Date()), bindparam("week_end", type_=Date()))
    .columns(
        column("part", String),
        column("ref", Integer),
        column("scope", String),
        column("kind", String),
        column("n", Integer),
        column("starts_on", Date),
        column("ends_on", Date),
    )
)


def week_snapshot(
    conn: Connection, *, person_id: int, team_id: int, role: str, monday: date
) -> WeekSnapshot:
    """Totals, applicable target overrides and absences for a person's ISO week in a team."""
    rows = conn.execute(
        _WEEK_SNAPSHOT,
        {
            "person_id": person_id,
            "team_id": team_id,
            "week": monday,
            "week_end": monday + timedelta(days=7),
            "role_scope": role_scope(role),
            "person_scope": person_scope(person_id),
        },
    ).all()
    totals: dict[str, int] = {}
    overrides: list[TargetRow] = []
    absences: list[AbsenceRow] = []
    tenure: Tenure | None = None
    for part, ref, scope, kind, n, starts_on, ends_on in rows:
        if part == "W" and n:
            totals[kind] = int(n)
        elif part == "T":
            overrides.append(TargetRow(team_id=ref, scope=scope, kind=kind, weekly=n))
        elif part == "A":
            absences.append(
                AbsenceRow(id=ref, person_id=person_id, starts_on=starts_on, ends_on=ends_on)
            )
        elif part == "M":
            tenure = Tenure(starts_on, ends_on, parse_gaps(scope or ""))
    return WeekSnapshot(totals, overrides, absences, tenure)
