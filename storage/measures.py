"""The reads behind ``/measures``: one statement per measure over every team asked for, summed
in SQL from the running totals (``weekly_total`` per person, ``team_weekly_total`` per team),
the residents figures and the monthly check-ins.

Each takes ``team_ids``, or None for every team (archived ones included: the caller keeps the
teams it shows). A long list costs more than none: SQLite reads ``team_id IN (...)`` of 200 ids
as 200 lookups per row of a join (``active_members`` took ~200 ms so, ~7 ms without it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
)

from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import Tenure
from storage.models import (
    Absence,
    Membership,
    MonthlyCheckin,
    Person,
    Team,
    TeamResidents,
    TeamWeeklyTotal,
    WeeklyTotal,
    parse_gaps,
)
from storage.query import table_of

_person = table_of(Person)
_membership = table_of(Membership)
_weekly = table_of(WeeklyTotal)
_team_weekly = table_of(TeamWeeklyTotal)
_residents = table_of(TeamResidents)
_checkin = table_of(MonthlyCheckin)
_absence = table_of(Absence)
_team = table_of(Team)

#: Roles by stored value: the many-teams reads take the role as text and look it up here
#: (``RoleType`` makes a ``Role`` per row, a cost per member).
_ROLES = {role.value: role for role in Role}


class TeamRow(NamedTuple):
    """A team as ``/measures`` needs it: its id, name and short name."""

    id: int
    name: str
    slug: str


def live_teams(conn: Connection) -> list[TeamRow]:
    """Every live team (not archived), by name, as
    :func:`storage.people.list_teams` orders them, without building a model per team."""
    t = _team
    rows = conn.execute(
        select(t.c.id, t.c.name, t.c.slug).where(t.c.archived_at.is_(None)).order_by(t.c.name)
    ).all()
    return [TeamRow(team_id, name, slug) for team_id, name, slug in rows]


def _of(column: ColumnElement[int], team_ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    """The condition keeping ``team_ids`` (none for every team)."""
    return [] if team_ids is None else [column.in_(list(team_ids))]


class RateMember(NamedTuple):
    """A membership counted in the weekly rate: the person, their role in the team and their
    membership period there (local dates). A named tuple: ``/measures all`` makes one for
    every member of every team, and a tuple is built in a third of a frozen dataclass's time."""

    team_id: int
    person_id: int
    display_name: str
    username: str | None
    role: Role
    tenure: Tenure


def rate_members(
    conn: Connection,
    *,
    team_ids: Sequence[int] | None,
    roles: Sequence[Role],
    first: date,
    last: date,
) -> list[RateMember]:
    """The memberships in ``team_ids`` with one of ``roles`` whose period (joined_on..left_on)
    touches ``[first, last]`` (gaps are the caller's to count), by team, then name."""
    m = _membership
    rows = conn.execute(
        select(
            m.c.team_id,
            m.c.person_id,
            _person.c.display_name,
            _person.c.username,
            m.c.role,
            m.c.joined_on,
            m.c.left_on,
            m.c.gaps,
        )
        .join(_person, _person.c.id == m.c.person_id)
        .where(
            m.c.role.in_(list(roles)),
            m.c.joined_on <= last,
            or_(m.c.left_on.is_(None), m.c.left_on >= first),
        )
        .where(*_of(m.c.team_id, team_ids))
        .order_by(m.c.team_id, _person.c.display_name, m.c.person_id)
    ).all()
    return [
        RateMember(
            team_id,
            person_id,
            name,
            username,
            role,
            Tenure(joined_on, left_on, parse_gaps(gaps) if gaps else ()),
        )
        for team_id, person_id, name, username, role, joined_on, left_on, gaps in rows
    ]


def _touching(first: date, last: date) -> ColumnElement[bool]:
    """A membership period (joined_on..left_on, gaps aside) touching ``[first, last]``."""
    m = _membership
    return and_(m.c.joined_on <= last, or_(m.c.left_on.is_(None), m.c.left_on >= first))


def _throughout(first: date, last: date) -> ColumnElement[bool]:
    """SQL for :func:`organiser_bot.domain.measures.present_throughout`: a membership from
    ``first`` or before to ``last`` or after, without a gap, of someone with no live absence
    overlapping ``[first, last]``."""
    m, a = _membership, _absence
    away = select(a.c.person_id).where(
        a.c.deleted_at.is_(None), a.c.starts_on <= last, a.c.ends_on >= first
    )
    return and_(
        m.c.gaps == "",
        m.c.joined_on <= first,
        or_(m.c.left_on.is_(None), m.c.left_on >= last),
        m.c.person_id.not_in(away),
    )


def present_throughout(
    conn: Connection,
    *,
    team_ids: Sequence[int] | None,
    roles: Sequence[Role],
    first: date,
    last: date,
) -> dict[tuple[int, Role], int]:
    """How many members with one of ``roles`` were present every day of ``[first, last]``
    (:func:`organiser_bot.domain.measures.present_throughout`), per team and role: (team id,
    role) -> members; none left out."""
    m = _membership
    role = type_coerce(m.c.role, String)
    rows = conn.execute(
        select(m.c.team_id, role, func.count())
        .where(m.c.role.in_(list(roles)), _throughout(first, last), *_of(m.c.team_id, team_ids))
        .group_by(m.c.team_id, role)
    ).all()
    return {(team_id, _ROLES[value]): int(count) for team_id, value, count in rows}


def present_sometimes(
    conn: Connection,
    *,
    team_ids: Sequence[int] | None,
    roles: Sequence[Role],
    first: date,
    last: date,
) -> list[RateMember]:
    """The other memberships with one of ``roles`` whose period touches ``[first, last]``:
    those :func:`present_throughout` does not count (joined or left inside the window, with a
    gap, or away in it), whose days the caller counts. ``display_name`` is left empty."""
    m = _membership
    rows = conn.execute(
        select(
            m.c.team_id,
            m.c.person_id,
            type_coerce(m.c.role, String),
            m.c.joined_on,
            m.c.left_on,
            m.c.gaps,
        ).where(
            m.c.role.in_(list(roles)),
            _touching(first, last),
            ~_throughout(first, last),
            *_of(m.c.team_id, team_ids),
        )
    ).all()
    return [
        RateMember(
            team_id,
            person_id,
            "",
            None,
            _ROLES[role],
            Tenure(joined_on, left_on, parse_gaps(gaps) if gaps else ()),
        )
        for team_id, person_id, role, joined_on, left_on, gaps in rows
    ]


def kind_by_role(
    conn: Connection,
    *,
    team_ids: Sequence[int] | None,
    roles: Sequence[Role],
    kind: str,
    weeks: tuple[date, date],
    window: tuple[date, date],
) -> dict[tuple[int, Role], int]:
    """The total of ``kind`` over the weeks whose Mondays are in ``weeks`` of the members with
    one of ``roles`` whose period touches ``window`` (as :func:`rate_members` reads them),
    summed in SQL from ``weekly_total`` per team and role: (team id, role) -> total, zeros
    left out."""
    w, m = _weekly, _membership
    role = type_coerce(m.c.role, String)
    rows = conn.execute(
        select(m.c.team_id, role, func.sum(w.c.total))
        .join(m, and_(m.c.person_id == w.c.person_id, m.c.team_id == w.c.team_id))
        .where(
            w.c.kind == kind,
            w.c.week >= weeks[0],
            w.c.week <= weeks[1],
            m.c.role.in_(list(roles)),
            _touching(*window),
            *_of(w.c.team_id, team_ids),
        )
        .group_by(m.c.team_id, role)
    ).all()
    return {(team_id, _ROLES[value]): int(total) for team_id, value, total in rows if total}


def kind_by_person(
    conn: Connection, *, team_ids: Sequence[int] | None, kind: str, first: date, last: date
) -> dict[tuple[int, int], int]:
    """Each person's total of ``kind`` per team over the weeks whose Mondays are in
    ``[first, last]``, summed in SQL from ``weekly_total``: (team id, person id) -> total,
    zeros left out."""
    w = _weekly
    rows = conn.execute(
        select(w.c.team_id, w.c.person_id, func.sum(w.c.total))
        .where(
            w.c.week >= first,
            w.c.week <= last,
            w.c.kind == kind,
            *_of(w.c.team_id, team_ids),
        )
        .group_by(w.c.team_id, w.c.person_id)
    ).all()
    return {(team_id, person_id): int(total) for team_id, person_id, total in rows if total}


def two_spans_by_kind(
    conn: Connection, *, team_ids: Sequence[int] | None, first: date, split: date, last: date
) -> dict[int, dict[str, tuple[int, int]]]:
    """Each team's totals per kind over the weeks whose Mondays are in ``[split, last]`` and
    in ``[first, split)``, summed in SQL from ``team_weekly_total`` in one pass.

    Returns:
        team id -> kind -> (later total, earlier total); kinds with neither are left out.
    """
    t = _team_weekly
    later = func.sum(case((t.c.week >= split, t.c.total), else_=0))
    earlier = func.sum(case((t.c.week < split, t.c.total), else_=0))
    rows = conn.execute(
        select(t.c.team_id, t.c.kind, later, earlier)
        .where(t.c.week >= first, t.c.week <= last, *_of(t.c.team_id, team_ids))
        .group_by(t.c.team_id, t.c.kind)
    ).all()
    out: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for team_id, kind, now, before in rows:
        if now or before:
            out[team_id][kind] = (int(now or 0), int(before or 0))
    return dict(out)


@dataclass(frozen=True, slots=True)
class ActiveCount:
    """How many members of a team were active in a month (``monthly_checkin.active`` true).

    ``tenure`` is None for a count of unbroken memberships, which overlap the month by the
    statement's test; else the count is of memberships with that period and gaps, which the
    caller must check have a day in the month.
    """

    team_id: int
    month: date
    count: int
    tenure: Tenure | None


def active_members(
    conn: Connection, *, team_ids: Sequence[int] | None, months: Sequence[tuple[date, date]]
) -> list[ActiveCount]:
    """Members active in each month, counted in SQL per team and month.

    Args:
        months: (first day, last day) of each month asked about.

    A person counts for a team when their check-in for the month says active and their
    membership of the team (joined_on..left_on) overlaps the month. Memberships broken by gaps
    are counted apart, one count per period, so the caller can test the gaps.
    """
    c, m = _checkin, _membership
    overlaps = or_(
        *(
            and_(
                c.c.month == start,
                m.c.joined_on <= end,
                or_(m.c.left_on.is_(None), m.c.left_on >= start),
            )
            for start, end in months
        )
    )
    broken = m.c.gaps != ""
    joined = case((broken, m.c.joined_on), else_=null())
    left = case((broken, m.c.left_on), else_=null())
    gaps = case((broken, m.c.gaps), else_=literal(""))
    rows = conn.execute(
        select(m.c.team_id, c.c.month, func.count(), joined, left, gaps)
        .join(m, m.c.person_id == c.c.person_id)
        .where(
            c.c.month.in_([start for start, _ in months]),
            c.c.active.is_(True),
            overlaps,
            *_of(m.c.team_id, team_ids),
        )
        .group_by(m.c.team_id, c.c.month, joined, left, gaps)
    ).all()
    return [
        ActiveCount(
            team_id,
            month,
            int(count),
            Tenure(joined_on, left_on, parse_gaps(gap_text)) if gap_text else None,
        )
        for team_id, month, count, joined_on, left_on, gap_text in rows
    ]


def residents_in_force(
    conn: Connection, *, team_ids: Sequence[int] | None, month_ends: Sequence[date]
) -> dict[int, tuple[int | None, ...]]:
    """Each team's residents figure in force at each of ``month_ends`` (ascending): the latest
    ``team_residents`` row with ``set_on`` on or before that day (the latest recorded among
    rows of one day), else the first one recorded (the earliest ``set_on``). One statement:
    the latest row of each span between the month ends, and the first row, per team.

    Returns:
        team id -> a figure per month end; teams with no figure recorded are absent.
    """
    r = _residents
    bucket = case(
        *((r.c.set_on <= end, literal(i)) for i, end in enumerate(month_ends)),
        else_=literal(len(month_ends)),
    )
    latest = (
        func.row_number()
        .over(partition_by=(r.c.team_id, bucket), order_by=(r.c.set_on.desc(), r.c.id.desc()))
        .label("latest")
    )
    earliest = (
        func.row_number()
        .over(partition_by=r.c.team_id, order_by=(r.c.set_on, r.c.id))
        .label("earliest")
    )
    ranked = (
        select(r.c.team_id, bucket.label("bucket"), r.c.residents, latest, earliest)
        .where(*_of(r.c.team_id, team_ids))
        .subquery()
    )
    rows = conn.execute(
        select(
            ranked.c.team_id,
            ranked.c.bucket,
            ranked.c.residents,
            ranked.c.latest,
            ranked.c.earliest,
        ).where(or_(ranked.c.latest == 1, ranked.c.earliest == 1))
    ).all()
    spans: dict[int, dict[int, int]] = defaultdict(dict)
    first: dict[int, int] = {}
    for team_id, span, residents, latest_rank, earliest_rank in rows:
        if earliest_rank == 1:
            first[team_id] = residents
        if latest_rank == 1:
            spans[team_id][span] = residents
    out: dict[int, tuple[int | None, ...]] = {}
    for team_id, figure in first.items():
        by_end: list[int | None] = []
        for i in range(len(month_ends)):
            # Bucket i holds rows set after month end i-1 up to month end i: the latest at or
            # before month end i is the top of the highest non-empty bucket up to i.
            found = next((spans[team_id][b] for b in range(i, -1, -1) if b in spans[team_id]), None)
            by_end.append(found if found is not None else figure)
        out[team_id] = tuple(by_end)
    return out
