"""The reads behind ``/measures``: one statement per measure over every team asked for, summed
in SQL from the running totals (``weekly_total`` per person, ``team_weekly_total`` per team),
the residents figures and the monthly check-ins.

Each takes ``team_ids``, or None for every team (archived ones included: the caller keeps the
teams it shows). A long list costs more than none: SQLite reads ``team_id IN (...)`` of 200 ids
as 200 lookups per row of a join (``active_members`` took ~200 ms so, ~7 ms without it).

Every statement is built once (per shape: with or without a list of teams, per number of
months) with bound parameters, and reused: building one anew costs more than running some
(SQLAlchemy's ``case()`` alone formats an error message it then drops).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Date,
    Select,
    String,
    TextClause,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    text,
    type_coerce,
)

from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import AbsenceRow, Tenure
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
_ROLE_TEXT = type_coerce(_membership.c.role, String)


class TeamRow(NamedTuple):
    """A team as ``/measures`` needs it: its id, name and short name."""

    id: int
    name: str
    slug: str


_LIVE_TEAMS = (
    select(_team.c.id, _team.c.name, _team.c.slug)
    .where(_team.c.archived_at.is_(None))
    .order_by(_team.c.name)
)


def live_teams(conn: Connection) -> list[TeamRow]:
    """Every live team (not archived), by name, as
    :func:`storage.people.list_teams` orders them, without building a model per team."""
    return [TeamRow(*row) for row in conn.execute(_LIVE_TEAMS).all()]


def _of(column: ColumnElement[int], listed: bool) -> list[ColumnElement[bool]]:
    """The condition keeping the teams of the ``team_ids`` parameter, when ``listed``."""
    return [column.in_(bindparam("team_ids", expanding=True))] if listed else []


def _params(team_ids: Sequence[int] | None, **values: Any) -> dict[str, Any]:
    """The parameters of a statement built by ``_of(..., team_ids is not None)``."""
    if team_ids is not None:
        values["team_ids"] = list(team_ids)
    return values


def _day(name: str) -> BindParameter[date]:
    """A date parameter of the statements (local dates, as the tables store them)."""
    return bindparam(name, type_=Date())


def _touching(first: ColumnElement[Any], last: ColumnElement[Any]) -> ColumnElement[bool]:
    """A membership period (joined_on..left_on, gaps aside) touching ``[first, last]``."""
    m = _membership
    return and_(m.c.joined_on <= last, or_(m.c.left_on.is_(None), m.c.left_on >= first))


def _roles() -> ColumnElement[bool]:
    return _membership.c.role.in_(bindparam("roles", expanding=True))


class RateMember(NamedTuple):
    """A membership counted in the weekly rate: the person, their role in the team and their
    membership period there (local dates). A named tuple: ``/measures`` makes one for every
    member of a team, and a tuple is built in a third of a frozen dataclass's time."""

    team_id: int
    person_id: int
    display_name: str
    username: str | None
    role: Role
    tenure: Tenure


@cache
def _rate_members(listed: bool) -> Select[Any]:
    m = _membership
    return (
        select(
            m.c.team_id,
            m.c.person_id,
            _person.c.display_name,
            _person.c.username,
            _ROLE_TEXT,
            m.c.joined_on,
            m.c.left_on,
            m.c.gaps,
        )
        .join(_person, _person.c.id == m.c.person_id)
        .where(_roles(), _touching(_day("first"), _day("last")))
        .where(*_of(m.c.team_id, listed))
        .order_by(m.c.team_id, _person.c.display_name, m.c.person_id)
    )


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
    rows = conn.execute(
        _rate_members(team_ids is not None),
        _params(team_ids, roles=list(roles), first=first, last=last),
    ).all()
    return [
        RateMember(
            team_id,
            person_id,
            name,
            username,
            _ROLES[role],
            Tenure(joined_on, left_on, parse_gaps(gaps) if gaps else ()),
        )
        for team_id, person_id, name, username, role, joined_on, left_on, gaps in rows
    ]


def _throughout() -> ColumnElement[bool]:
    """SQL for :func:`organiser_bot.domain.measures.present_throughout` over ``[:first,
    :last]``: a membership from ``first`` or before to ``last`` or after, without a gap, of
    someone with no live absence overlapping the window."""
    m, a = _membership, _absence
    first, last = _day("first"), _day("last")
    away = select(a.c.person_id).where(
        a.c.deleted_at.is_(None), a.c.starts_on <= last, a.c.ends_on >= first
    )
    return and_(
        m.c.gaps == "",
        m.c.joined_on <= first,
        or_(m.c.left_on.is_(None), m.c.left_on >= last),
        m.c.person_id.not_in(away),
    )


@cache
def _present_throughout(listed: bool) -> Select[Any]:
    m = _membership
    return (
        select(m.c.team_id, _ROLE_TEXT, func.count())
        .where(_roles(), _throughout(), *_of(m.c.team_id, listed))
        .group_by(m.c.team_id, _ROLE_TEXT)
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
    rows = conn.execute(
        _present_throughout(team_ids is not None),
        _params(team_ids, roles=list(roles), first=first, last=last),
    ).all()
    return {(team_id, _ROLES[role]): int(count) for team_id, role, count in rows}


@cache
def _present_sometimes(listed: bool) -> Select[Any]:
    m = _membership
    return select(
        m.c.team_id, m.c.person_id, _ROLE_TEXT, m.c.joined_on, m.c.left_on, m.c.gaps
    ).where(
        _roles(),
        _touching(_day("first"), _day("last")),
        ~_throughout(),
        *_of(m.c.team_id, listed),
    )


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
    rows = conn.execute(
        _present_sometimes(team_ids is not None),
        _params(team_ids, roles=list(roles), first=first, last=last),
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


_ABSENCES = (
    select(_absence.c.id, _absence.c.person_id, _absence.c.starts_on, _absence.c.ends_on)
    .where(
        _absence.c.deleted_at.is_(None),
        _absence.c.starts_on <= _day("last"),
        _absence.c.ends_on >= _day("first"),
    )
    .order_by(_absence.c.starts_on)
)


def absences(conn: Connection, *, first: date, last: date) -> list[AbsenceRow]:
    """Every live absence overlapping ``[first, last]`` (as
    :func:`storage.targets.absences` reads them for ``[first, last + 1)``), by first day."""
    return [
        AbsenceRow(*row) for row in conn.execute(_ABSENCES, {"first": first, "last": last}).all()
    ]


@cache
def _kind_by_role(listed: bool) -> Select[Any]:
    w, m = _weekly, _membership
    return (
        select(m.c.team_id, _ROLE_TEXT, func.sum(w.c.total))
        .join(m, and_(m.c.person_id == w.c.person_id, m.c.team_id == w.c.team_id))
        .where(
            w.c.kind == bindparam("kind"),
            w.c.week >= _day("first_week"),
            w.c.week <= _day("last_week"),
            _roles(),
            _touching(_day("first"), _day("last")),
            *_of(w.c.team_id, listed),
        )
        .group_by(m.c.team_id, _ROLE_TEXT)
    )


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
    rows = conn.execute(
        _kind_by_role(team_ids is not None),
        _params(
            team_ids,
            kind=kind,
            first_week=weeks[0],
            last_week=weeks[1],
            roles=list(roles),
            first=window[0],
            last=window[1],
        ),
    ).all()
    return {(team_id, _ROLES[role]): int(total) for team_id, role, total in rows if total}


@cache
def _kind_by_person(listed: bool) -> Select[Any]:
    w = _weekly
    return (
        select(w.c.team_id, w.c.person_id, func.sum(w.c.total))
        .where(
            w.c.week >= _day("first"),
            w.c.week <= _day("last"),
            w.c.kind == bindparam("kind"),
            *_of(w.c.team_id, listed),
        )
        .group_by(w.c.team_id, w.c.person_id)
    )


def kind_by_person(
    conn: Connection, *, team_ids: Sequence[int] | None, kind: str, first: date, last: date
) -> dict[tuple[int, int], int]:
    """Each person's total of ``kind`` per team over the weeks whose Mondays are in
    ``[first, last]``, summed in SQL from ``weekly_total``: (team id, person id) -> total,
    zeros left out."""
    rows = conn.execute(
        _kind_by_person(team_ids is not None),
        _params(team_ids, kind=kind, first=first, last=last),
    ).all()
    return {(team_id, person_id): int(total) for team_id, person_id, total in rows if total}


#: SQLite's statement for :func:`two_spans_by_kind`: the kinds, found by seeking the next one
#: after the last on ``ix_team_weekly_total_kind_team`` (a skip scan: a seek a kind), then
#: each (kind, team) pair's two spans summed by two range seeks on that covering index: some
#: 1,200 seeks of 13 entries for 200 teams, whatever the length of the history, and no sort.
#: Grouping the span's rows instead (``_two_spans_grouped``) sorts them first: 15,600 rows for
#: 200 teams, 6-17 ms against 3.5-4 ms on the bench machine (raw SQL, best of 15-30; seeking
#: each team's kinds in turn took 7-9 ms). A pair with no rows in either span sums to NULL and
#: is left out.
_TWO_SPANS = """
WITH RECURSIVE k(kind) AS (
    SELECT min(kind) FROM team_weekly_total
    UNION ALL
    SELECT (SELECT min(w.kind) FROM team_weekly_total w WHERE w.kind > k.kind)
    FROM k WHERE k.kind IS NOT NULL
)
SELECT t.id, k.kind,
    (SELECT sum(w.total) FROM team_weekly_total w
     WHERE w.kind = k.kind AND w.team_id = t.id AND w.week >= :split AND w.week <= :last),
    (SELECT sum(w.total) FROM team_weekly_total w
     WHERE w.kind = k.kind AND w.team_id = t.id AND w.week >= :first AND w.week < :split)
FROM k, team t
WHERE k.kind IS NOT NULL {teams}
"""


@cache
def _two_spans_grouped(listed: bool) -> Select[Any]:
    """PostgreSQL's statement for :func:`two_spans_by_kind`: the span's rows of every team
    grouped by (team, kind) in one pass (a sequential scan and a hash aggregate, about 6 ms for
    200 teams on the bench machine). The seeks of ``_TWO_SPANS`` took 8-9 ms there, run as
    2,000 subplans, and their estimated cost passes ``jit_above_cost``: JIT compiling added
    15-20 ms more."""
    t = _team_weekly
    split = _day("split")
    later = func.sum(case((t.c.week >= split, t.c.total), else_=0))
    earlier = func.sum(case((t.c.week < split, t.c.total), else_=0))
    return (
        select(t.c.team_id, t.c.kind, later, earlier)
        .where(
            t.c.week >= _day("first"),
            t.c.week <= _day("last"),
            *_of(t.c.team_id, listed),
        )
        .group_by(t.c.team_id, t.c.kind)
    )


@cache
def _two_spans(listed: bool, dialect: str) -> TextClause | Select[Any]:
    if dialect == "postgresql":
        return _two_spans_grouped(listed)
    params = [_day("first"), _day("split"), _day("last")]
    if listed:
        params.append(bindparam("team_ids", expanding=True))
    return text(_TWO_SPANS.format(teams="AND t.id IN :team_ids" if listed else "")).bindparams(
        *params
    )


def two_spans_by_kind(
    conn: Connection, *, team_ids: Sequence[int] | None, first: date, split: date, last: date
) -> dict[int, dict[str, tuple[int, int]]]:
    """Each team's totals per kind over the weeks whose Mondays are in ``[split, last]`` and
    in ``[first, split)``, summed in SQL from ``team_weekly_total`` in one statement: by index
    seeks on SQLite (``_TWO_SPANS``), in one grouped pass on PostgreSQL
    (``_two_spans_grouped``), the faster on each.

    Returns:
        team id -> kind -> (later total, earlier total); kinds with neither are left out.
    """
    out: dict[int, dict[str, tuple[int, int]]] = {}
    for team_id, kind, now, before in conn.execute(
        _two_spans(team_ids is not None, conn.dialect.name),
        _params(team_ids, first=first, split=split, last=last),
    ).all():
        if now or before:
            out.setdefault(team_id, {})[kind] = (int(now or 0), int(before or 0))
    return out


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


@cache
def _active_members(listed: bool, months: int) -> Select[Any]:
    c, m = _checkin, _membership
    overlaps = or_(
        *(
            and_(
                c.c.month == _day(f"start_{i}"),
                _touching(_day(f"start_{i}"), _day(f"end_{i}")),
            )
            for i in range(months)
        )
    )
    broken = m.c.gaps != ""
    joined = case((broken, m.c.joined_on), else_=null())
    left = case((broken, m.c.left_on), else_=null())
    gaps = case((broken, m.c.gaps), else_=literal(""))
    return (
        select(m.c.team_id, c.c.month, func.count(), joined, left, gaps)
        .join(m, m.c.person_id == c.c.person_id)
        .where(
            c.c.month.in_(bindparam("starts", expanding=True)),
            c.c.active.is_(True),
            overlaps,
            *_of(m.c.team_id, listed),
        )
        .group_by(m.c.team_id, c.c.month, joined, left, gaps)
    )


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
    bounds: dict[str, Any] = {"starts": [start for start, _ in months]}
    for i, (start, end) in enumerate(months):
        bounds[f"start_{i}"], bounds[f"end_{i}"] = start, end
    rows = conn.execute(
        _active_members(team_ids is not None, len(months)), _params(team_ids, **bounds)
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


@cache
def _residents_rows(listed: bool) -> Select[Any]:
    r = _residents
    return (
        select(r.c.team_id, r.c.set_on, r.c.residents)
        .where(*_of(r.c.team_id, listed))
        .order_by(r.c.team_id, r.c.set_on, r.c.id)
    )


def residents_in_force(
    conn: Connection, *, team_ids: Sequence[int] | None, month_ends: Sequence[date]
) -> dict[int, tuple[int | None, ...]]:
    """Each team's residents figure in force at each of ``month_ends`` (ascending): the latest
    ``team_residents`` row with ``set_on`` on or before that day (the latest recorded among
    rows of one day), else the first one recorded (the earliest ``set_on``).

    Every row of the teams is read, in the order recorded, and picked here: a team's figure is
    set a few times a year, and reading its few hundred rows for 200 teams took a fifth of the
    time of ranking them in SQL with window functions (0.4 ms against 2-3 on SQLite).

    Returns:
        team id -> a figure per month end; teams with no figure recorded are absent.
    """
    rows = conn.execute(_residents_rows(team_ids is not None), _params(team_ids)).all()
    out: dict[int, tuple[int | None, ...]] = {}
    for team_id, recorded in groupby(rows, key=itemgetter(0)):
        figures = [(set_on, residents) for _, set_on, residents in recorded]
        by_end: list[int | None] = []
        for end in month_ends:
            found = figures[0][1]  # none by then: the first recorded
            for set_on, residents in figures:
                if set_on > end:
                    break
                found = residents
            by_end.append(found)
        out[team_id] = tuple(by_end)
    return out
