"""``/measures``: the rolling measures per person, role and team, the three-month change and
residents per active member, who sees what, and the look recorded; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, event, insert, select, text

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.measures import (
    KindChange,
    MeasuresSummary,
    MonthActive,
    Rate,
    TeamMeasures,
    TeamSummary,
    windows,
)
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import NotPermitted
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.measures import measures, summary, team_measures
from organiser_bot.usecases.reports import BadPeriod, NoTeamOrPeriod
from storage import measures as store
from storage import people
from storage.engine import Database
from storage.models import (
    Absence,
    Membership,
    MonthlyCheckin,
    Scrutiny,
    TeamResidents,
    WeeklyTotal,
    format_gaps,
)
from storage.query import table_of
from tests.digest_factories import LONDON, SETUP_AT, away, log, make_member, make_team

T = TypeVar("T")

#: Thursday 26 Nov 2026, noon UTC: the last complete week is 16-22 Nov.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KINDS = KindRegistry()
ADMIN, STRANGER = 1, 99
MIA, CLEO, SAM, BO, LEE, GIL, RAY, KIT = 15, 12, 11, 17, 18, 19, 20, 13
ADA, UNA = 16, 21
_scrutiny = table_of(Scrutiny)
_residents = table_of(TeamResidents)
_checkin = table_of(MonthlyCheckin)
_membership = table_of(Membership)
_weekly = table_of(WeeklyTotal)
_absence = table_of(Absence)

SEP, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


def _rc(conn: Connection, person: int, team: int, count: int, day: date) -> None:
    log(conn, person, team, "resident_contact", count, day)


def _residents_on(conn: Connection, team: int, residents: int, set_on: date) -> None:
    conn.execute(
        insert(_residents).values(
            team_id=team, residents=residents, set_on=set_on, set_by=None, set_at=SETUP_AT
        )
    )


def _checked_in(conn: Connection, person: int, month: date, active: bool | None) -> None:
    conn.execute(insert(_checkin).values(person_id=person, month=month, active=active))


@pytest.fixture
def teams(db: Database) -> tuple[int, int]:
    """North: manager Mia; councillors Cleo (all four weeks), Gil (a gap 1-15 Nov) and Ray
    (away from the team 1 Oct - 1 Nov); organisers Sam (joined 9 Nov) and Bo (away 2-8 Nov);
    caseworkers Lee (away all four weeks) and Kit (left 25 Oct). South: manager Ada and
    caseworker Una."""
    with db.begin() as conn:
        north = make_team(conn, "North")
        south = make_team(conn, "South")
        mia = make_member(conn, north, MIA, "Mia", Role.MANAGER)
        cleo = make_member(conn, north, CLEO, "Cleo", Role.COUNCILLOR)
        sam = make_member(conn, north, SAM, "Sam", Role.ORGANISER, joined_on=date(2026, 11, 9))
        bo = make_member(conn, north, BO, "Bo", Role.ORGANISER)
        lee = make_member(conn, north, LEE, "Lee", Role.CASEWORKER)
        gil = make_member(conn, north, GIL, "Gil", Role.COUNCILLOR, left_on=date(2026, 10, 31))
        people.add_membership(
            conn,
            person_id=gil,
            team_id=north,
            role=Role.COUNCILLOR,
            now=SETUP_AT,
            joined_on=date(2026, 11, 16),
        )
        ray = make_member(conn, north, RAY, "Ray", Role.COUNCILLOR, left_on=date(2026, 9, 30))
        people.add_membership(
            conn,
            person_id=ray,
            team_id=north,
            role=Role.COUNCILLOR,
            now=SETUP_AT,
            joined_on=date(2026, 11, 2),
        )
        kit = make_member(conn, north, KIT, "Kit", Role.CASEWORKER, left_on=date(2026, 10, 25))
        make_member(conn, south, ADA, "Ada", Role.MANAGER)
        una = make_member(conn, south, UNA, "Una", Role.CASEWORKER)
        away(conn, bo, date(2026, 11, 2), date(2026, 11, 8))
        away(conn, lee, date(2026, 10, 20), date(2026, 11, 30))
        # Four weeks 26 Oct - 22 Nov.
        _rc(conn, cleo, north, 3, date(2026, 10, 25))  # the Sunday before: not in them
        _rc(conn, cleo, north, 6, date(2026, 10, 27))
        _rc(conn, cleo, north, 4, date(2026, 11, 22))
        _rc(conn, cleo, north, 5, date(2026, 11, 24))  # this week: not complete
        _rc(conn, sam, north, 4, date(2026, 11, 12))
        _rc(conn, bo, north, 6, date(2026, 11, 4))  # while away: still counted
        _rc(conn, gil, north, 2, date(2026, 10, 28))
        _rc(conn, gil, north, 1, date(2026, 11, 17))
        _rc(conn, mia, north, 100, date(2026, 11, 10))  # a manager: not in the rate
        _rc(conn, una, south, 7, date(2026, 11, 3))
        # Thirteen weeks 24 Aug - 22 Nov against 25 May - 23 Aug.
        _rc(conn, cleo, north, 20, date(2026, 7, 1))
        _rc(conn, cleo, north, 9, date(2026, 5, 24))  # before both spans
        log(conn, bo, north, "one_to_one", 3, date(2026, 11, 3))
        log(conn, mia, north, "casework", 4, date(2026, 6, 1))
        log(conn, kit, north, "casework", 5, date(2026, 9, 1))
        # Residents: none recorded by 30 Sep, so September takes the first recorded.
        _residents_on(conn, north, 5000, date(2026, 10, 10))
        _residents_on(conn, north, 6000, date(2026, 10, 20))
        _residents_on(conn, north, 6500, date(2026, 11, 25))
        for person, month, active in [
            (cleo, SEP, True),
            (bo, SEP, True),
            (lee, SEP, False),
            (sam, SEP, True),  # not a member in September
            (cleo, OCT, True),
            (gil, OCT, True),
            (kit, OCT, True),  # left 25 Oct: a member in October
            (ray, OCT, True),  # not a member in October (a gap)
            (gil, NOV, True),
            (mia, NOV, True),
            (ray, NOV, True),
            (bo, NOV, None),  # asked, not answered
            (una, NOV, True),
        ]:
            _checked_in(conn, person, month, active)
    return north, south


def _moment(now: datetime = NOW) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


def _as(db: Database, user_id: int, fn: Callable[[Connection, Actor], T]) -> T:
    with db.begin() as conn:
        actor = people.load_actor(
            conn, Identity(user_id, f"user {user_id}"), admin_ids=frozenset({ADMIN})
        )
        return fn(conn, actor)


def _measures(db: Database, user_id: int, *args: str) -> tuple[TeamMeasures]:
    """One team's measures (asserted: one team shown), as a 1-tuple to unpack."""
    shown = _as(db, user_id, lambda c, a: measures(c, a, list(args), moment=_moment()))
    assert isinstance(shown, TeamMeasures), shown
    return (shown,)


def _summary(db: Database, user_id: int, *args: str) -> MeasuresSummary:
    shown = _as(db, user_id, lambda c, a: measures(c, a, list(args), moment=_moment()))
    assert isinstance(shown, MeasuresSummary), shown
    return shown


def _line(team: TeamMeasures) -> TeamSummary:
    """The summary line that ``team``'s own figures make."""
    return TeamSummary(
        team.team_id, team.team_name, team.team_rate, team.rolling13, team.months[-1]
    )


def _pooled_roles(views: list[TeamMeasures]) -> dict[Role, Rate]:
    out: dict[Role, Rate] = {}
    for view in views:
        for role, rate in view.by_role:
            out[role] = out.get(role, Rate(0, 0)) + rate
    return out


def _looks(db: Database) -> list[tuple[int, str]]:
    with db.begin() as conn:
        rows = conn.execute(
            select(_scrutiny.c.team_id, _scrutiny.c.what).order_by(_scrutiny.c.team_id)
        ).all()
    return [(r[0], r[1]) for r in rows]


#: North's rates by hand: Cleo 28 days; Gil 26-31 Oct and 16-22 Nov (13); Ray 2-22 Nov (21);
#: Sam 9-22 Nov (14); Bo 28 less 7 away (21); Lee away all 28.
NORTH_PEOPLE = (
    ("Bo", Role.ORGANISER, Rate(6, 21)),
    ("Cleo", Role.COUNCILLOR, Rate(10, 28)),
    ("Gil", Role.COUNCILLOR, Rate(3, 13)),
    ("Lee", Role.CASEWORKER, Rate(0, 0)),
    ("Ray", Role.COUNCILLOR, Rate(0, 21)),
    ("Sam", Role.ORGANISER, Rate(4, 14)),
)


def test_a_manager_sees_each_person_each_role_and_the_team(
    db: Database, teams: tuple[int, int]
) -> None:
    north, _ = teams
    [shown] = _measures(db, MIA)
    assert (shown.team_id, shown.team_name) == (north, "North")
    assert shown.weeks4 == (date(2026, 10, 26), date(2026, 11, 22))
    assert shown.weeks13 == (date(2026, 8, 24), date(2026, 11, 22))
    assert shown.previous13 == (date(2026, 5, 25), date(2026, 8, 23))
    assert [(p.name, p.role, p.rate) for p in shown.people] == list(NORTH_PEOPLE)
    assert shown.by_role == (
        (Role.COUNCILLOR, Rate(13, 62)),
        (Role.ORGANISER, Rate(10, 35)),
        (Role.CASEWORKER, Rate(0, 0)),
    )
    assert shown.team_rate == Rate(23, 97)
    sam = next(p for p in shown.people if p.name == "Sam")
    assert sam.rate.per_week == pytest.approx(2.0)
    lee = next(p for p in shown.people if p.name == "Lee")
    assert lee.rate.per_week is None  # no day present: not 0
    assert shown.rolling13 == (
        KindChange("one_to_one", 3, 0),
        KindChange("casework", 5, 4),
        KindChange("resident_contact", 126, 20),
    )
    assert shown.rolling13[0].percent is None
    assert shown.rolling13[1].percent == pytest.approx(25.0)
    assert shown.months == (
        MonthActive(SEP, 5000, 2, False),
        MonthActive(OCT, 6000, 3, False),
        MonthActive(NOV, 6500, 3, True),
    )
    assert shown.months[1].per_active == pytest.approx(2000.0)
    assert _looks(db) == [(north, "measures")]


def test_a_member_sees_their_teams_aggregate_only_and_no_look_is_recorded(
    db: Database, teams: tuple[int, int]
) -> None:
    [manager_view] = _measures(db, MIA)
    [member_view] = _measures(db, CLEO)
    assert member_view.people == ()
    assert member_view.by_role == manager_view.by_role
    assert member_view.team_rate == manager_view.team_rate
    assert member_view.rolling13 == manager_view.rolling13
    assert member_view.months == manager_view.months
    assert _looks(db) == [(teams[0], "measures")]  # Mia's alone


def test_another_teams_name_is_refused_as_no_team_is(db: Database, teams: tuple[int, int]) -> None:
    with pytest.raises(NoTeamOrPeriod) as other:
        _measures(db, CLEO, "south")
    with pytest.raises(NoTeamOrPeriod) as none:
        _measures(db, CLEO, "nowhere")
    assert (other.value.slugs, none.value.slugs) == (("north",), ("north",))
    with pytest.raises(NoTeamOrPeriod):
        _measures(db, MIA, "south", "lastmonth")
    assert _looks(db) == []


def test_an_admin_sees_a_line_per_team_and_each_look_is_recorded(
    db: Database, teams: tuple[int, int]
) -> None:
    north, south = teams
    shown = _summary(db, ADMIN, "all")
    assert [t.team_name for t in shown.teams] == ["North", "South"]
    assert (shown.weeks4, shown.weeks13, shown.previous13) == (
        (date(2026, 10, 26), date(2026, 11, 22)),
        (date(2026, 8, 24), date(2026, 11, 22)),
        (date(2026, 5, 25), date(2026, 8, 23)),
    )
    north_line, south_line = shown.teams
    assert north_line == TeamSummary(
        north,
        "North",
        Rate(23, 97),
        (
            KindChange("one_to_one", 3, 0),
            KindChange("casework", 5, 4),
            KindChange("resident_contact", 126, 20),
        ),
        MonthActive(NOV, 6500, 3, True),
    )
    # No residents figure: none per active member, whoever was active.
    assert south_line == TeamSummary(
        south,
        "South",
        Rate(7, 28),
        (KindChange("resident_contact", 7, 0),),
        MonthActive(NOV, None, 1, True),
    )
    assert south_line.month.per_active is None
    # Each role pooled over both teams (Una's caseworker days with Lee's none).
    assert shown.by_role == (
        (Role.COUNCILLOR, Rate(13, 62)),
        (Role.ORGANISER, Rate(10, 35)),
        (Role.CASEWORKER, Rate(7, 28)),
    )
    assert shown.rate == Rate(30, 125)
    assert shown.kinds == ("one_to_one", "casework", "resident_contact")
    assert _looks(db) == [(north, "measures"), (south, "measures")]
    # A named team, then a period: that team in full, per person.
    [only] = _measures(db, ADMIN, "south", "lastmonth")
    assert only.team_id == south
    [north_view] = _measures(db, ADMIN, "north")
    assert [(p.name, p.role, p.rate) for p in north_view.people] == list(NORTH_PEOPLE)


def test_the_summary_is_each_teams_own_figures(db: Database, teams: tuple[int, int]) -> None:
    """Every line of the summary is what the team shown alone gives, and the roles pooled are
    the sum of the teams' own, for several as-at days (so the gaps, absences, leavers and
    check-ins fall differently); a team that is only a member's sees it alone, in full."""
    north, south = teams
    with db.begin() as conn:
        # East: a councillor away from the team the whole of the four weeks, with a contact
        # logged then, and an organiser the same without; a caseworker present throughout.
        east = make_team(conn, "East")
        for uid, name, role in [(30, "Eve", Role.COUNCILLOR), (31, "Ode", Role.ORGANISER)]:
            pid = make_member(conn, east, uid, name, role, left_on=date(2026, 10, 20))
            people.add_membership(
                conn,
                person_id=pid,
                team_id=east,
                role=role,
                now=SETUP_AT,
                joined_on=date(2026, 11, 25),
            )
            if uid == 30:
                _rc(conn, pid, east, 2, date(2026, 11, 3))
        make_member(conn, east, 32, "Cas", Role.CASEWORKER)
        make_member(conn, east, 33, "Ed", Role.MANAGER)
    for period in [(), ("lastmonth",), ("2026-W45",), ("2026-10-01..2026-10-28",)]:
        shown = _summary(db, ADMIN, "all", *period)
        alone = [_measures(db, ADMIN, t.team_name.lower(), *period)[0] for t in shown.teams]
        assert [t.team_id for t in alone] == [east, north, south]
        assert list(shown.teams) == [_line(t) for t in alone], period
        assert dict(shown.by_role) == _pooled_roles(alone), period
        assert [r for r, _ in shown.by_role] == [
            r
            for r in (Role.COUNCILLOR, Role.ORGANISER, Role.CASEWORKER)
            if r in dict(shown.by_role)
        ]
    # As at now, East's councillor is listed (a contact) with no day present; its organiser
    # is not listed at all.
    [east_view] = _measures(db, ADMIN, "east")
    assert [(p.name, p.rate) for p in east_view.people] == [
        ("Cas", Rate(0, 28)),
        ("Eve", Rate(2, 0)),
    ]
    # A summary of East alone with a team that has no organiser either: no organiser line.
    with db.begin() as conn:
        west = make_team(conn, "West")
        make_member(conn, west, 40, "Wyn", Role.CASEWORKER)
        make_member(conn, west, 41, "Wes", Role.MANAGER)
        make_member(conn, east, 41, "Wes", Role.MANAGER)
    pair = _summary(db, 41, "all")
    assert [t.team_name for t in pair.teams] == ["East", "West"]
    assert pair.by_role == ((Role.COUNCILLOR, Rate(2, 0)), (Role.CASEWORKER, Rate(0, 56)))
    assert pair.rate == Rate(2, 56)
    # A member of one team asking for "all" sees that team alone, without per-person rows.
    [mine] = _measures(db, CLEO, "all")
    assert (mine.team_id, mine.people) == (north, ())


def test_a_period_sets_the_day_the_figures_are_as_at(db: Database, teams: tuple[int, int]) -> None:
    [october] = _measures(db, MIA, "lastmonth")
    assert october.weeks4 == (date(2026, 9, 28), date(2026, 10, 25))
    assert [m.month for m in october.months] == [date(2026, 8, 1), SEP, OCT]
    assert not any(m.so_far for m in october.months)
    # Cleo's 3 on Sunday 25 Oct is in this window; Gil and Ray were members all four weeks.
    cleo = next(p for p in october.people if p.name == "Cleo")
    assert cleo.rate == Rate(3, 28)
    names = [p.name for p in october.people]
    assert "Sam" not in names  # joined 9 Nov
    assert "Kit" in names  # left 25 Oct, the window's last day
    # A named team and a week: the week ending Sunday 22 Nov is complete.
    [week] = _measures(db, MIA, "north", "2026-W47")
    assert week.weeks4[1] == date(2026, 11, 22)
    # This week is not complete yet: the same as no period.
    [this_week] = _measures(db, MIA, "week")
    assert this_week.weeks4 == week.weeks4


def test_bad_words_are_refused_and_nothing_is_recorded(
    db: Database, teams: tuple[int, int]
) -> None:
    with pytest.raises(BadPeriod):
        _measures(db, MIA, "north", "fortnight")
    with pytest.raises(BadPeriod):
        _measures(db, MIA, "4x")
    with pytest.raises(NotPermitted):
        _measures(db, STRANGER)
    assert _looks(db) == []


def _drop_kept(db: Database) -> None:
    """Forget every team's kept summary figures, so the next summary reads them all."""
    with db.begin() as conn:
        conn.execute(text("UPDATE team_measures_cache SET figures = NULL, windows = NULL"))


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    """Every statement run on ``db`` while the test runs."""
    seen: list[str] = []

    def _count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", _count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", _count)


def test_the_statements_are_as_few_for_many_teams_as_for_two(
    db: Database, teams: tuple[int, int], statements: list[str]
) -> None:
    _measures(db, ADMIN, "south")  # the admin's first look stores them
    _drop_kept(db)
    statements.clear()
    _summary(db, ADMIN, "all")
    two = len(statements)
    with db.begin() as conn:
        for i in range(8):
            team = make_team(conn, f"Extra {i}")
            make_member(conn, team, 200 + i, f"Extra {i}", Role.COUNCILLOR)
            _residents_on(conn, team, 1000 + i, date(2026, 9, 1))
    _drop_kept(db)
    statements.clear()
    shown = _summary(db, ADMIN, "all")
    assert len(shown.teams) == 10
    assert len(statements) == two  # nothing grows with the teams
    # Read again with nothing changed: the figures kept, and no statement over the totals.
    statements.clear()
    assert _summary(db, ADMIN, "all") == shown
    assert len(statements) < two - 5
    assert not [s for s in statements if "weekly_total" in s or "GROUP BY" in s]
    assert [t.month.residents for t in shown.teams[:8]] == [1000 + i for i in range(8)]
    # One team in full: a statement or two more than the summary (names, per person).
    statements.clear()
    _measures(db, ADMIN, "north")
    assert len(statements) <= two + 2


# --- The summary's SQL fast path against the per-person path, on random organisations -----------

_WINDOWS = windows(today=NOW.date(), end=NOW.date() + timedelta(days=1))
_FIRST4, _LAST4 = _WINDOWS.weeks4
#: Days around the four weeks: memberships, gaps and absences begin and end inside, before and
#: after them.
_DAY = st.integers(-45, 45).map(lambda n: _FIRST4 + timedelta(days=n))


@st.composite
def _memberships(draw: st.DrawFn) -> tuple[Any, ...]:
    """(team 0|1, person 0-4, role, joined_on, left_on, gaps, weekly contacts by week offset)."""
    joined = draw(_DAY)
    gaps = []
    cursor = joined
    for _ in range(draw(st.integers(0, 2))):
        start = cursor + timedelta(days=draw(st.integers(1, 15)))
        end = start + timedelta(days=draw(st.integers(0, 20)))
        gaps.append((start, end))
        cursor = end + timedelta(days=1)
    left = cursor + timedelta(days=draw(st.integers(0, 30))) if draw(st.booleans()) else None
    weeks = draw(st.dictionaries(st.integers(-2, 5), st.integers(0, 9), max_size=4))
    return (
        draw(st.integers(0, 1)),
        draw(st.integers(0, 4)),
        draw(st.sampled_from(list(Role))),
        joined,
        left,
        tuple(gaps),
        weeks,
    )


@st.composite
def _organisations(draw: st.DrawFn) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Memberships (one per team and person) and absences (person, first, last, deleted)."""
    rows = draw(st.lists(_memberships(), max_size=10, unique_by=lambda m: (m[0], m[1])))
    absences = [
        (person, start, start + timedelta(days=length), deleted)
        for person, start, length, deleted in draw(
            st.lists(
                st.tuples(st.integers(0, 4), _DAY, st.integers(0, 30), st.booleans()), max_size=5
            )
        )
    ]
    return rows, absences


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(organisation=_organisations())
def test_the_fast_path_gives_the_per_person_figures(
    db: Database, organisation: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
) -> None:
    """Members counted present throughout in SQL (28 days each) and the others counted one by
    one give each team's rate and each role's, exactly as every member counted one by one;
    rolled back after each example."""
    rows, absences = organisation
    with db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            team_ids = [make_team(conn, name) for name in ("Aire", "Calder")]
            person_ids = [
                people.ensure_person(conn, Identity(500 + i, f"P{i}"), now=SETUP_AT)
                for i in range(5)
            ]
            for team, person, role, joined, left, gaps, weeks in rows:
                conn.execute(
                    insert(_membership).values(
                        person_id=person_ids[person],
                        team_id=team_ids[team],
                        role=role,
                        created_at=SETUP_AT,
                        joined_on=joined,
                        left_on=left,
                        gaps=format_gaps(gaps),
                    )
                )
                for offset, total in weeks.items():
                    conn.execute(
                        insert(_weekly).values(
                            person_id=person_ids[person],
                            team_id=team_ids[team],
                            kind="resident_contact",
                            week=_FIRST4 + timedelta(weeks=offset),
                            total=total,
                        )
                    )
            for person, first, last, deleted in absences:
                conn.execute(
                    insert(_absence).values(
                        person_id=person_ids[person],
                        starts_on=first,
                        ends_on=last,
                        created_at=SETUP_AT,
                        deleted_at=SETUP_AT if deleted else None,
                    )
                )
            teams = [
                store.TeamRow(t, name, name.lower())
                for t, name in zip(team_ids, ("Aire", "Calder"), strict=True)
            ]
            shown = summary(conn, teams, _WINDOWS)
            alone = team_measures(conn, teams, _WINDOWS, per_person=set())
        finally:
            transaction.rollback()
    assert list(shown.teams) == [_line(t) for t in alone]
    assert dict(shown.by_role) == _pooled_roles(list(alone))
    assert shown.rate == Rate(
        sum(r.contacts for _, r in shown.by_role), sum(r.days_present for _, r in shown.by_role)
    )
