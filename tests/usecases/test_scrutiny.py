"""The scrutiny ledger: which reads record a look, and the counts ``/scrutiny`` shows."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import NotAMember, NotPermitted, UnknownTeam
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import chats, exports, privacy, reports
from organiser_bot.usecases.identities import UnknownMember
from organiser_bot.usecases.reports import BadPeriod, NoTeamOrPeriod
from organiser_bot.usecases.scrutiny import (
    Look,
    ScrutinyReport,
    TeamScrutiny,
    record_looks,
    scrutiny_report,
)
from storage import people
from storage import privacy as privacy_store
from storage import scrutiny as store
from storage.engine import Database
from storage.models import Person, Scrutiny
from storage.privacy import FORMER_MEMBER, Looker
from storage.query import table_of
from tests.digest_factories import LONDON, log, make_member, make_team

T = TypeVar("T")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PERSON, LOOK = table_of(Person), table_of(Scrutiny)


def _look(conn: Connection, at: datetime, viewer: int, what: str, *teams: int) -> None:
    store.record(conn, at=at, viewer=viewer, what=what, team_ids=teams)


def test_looks_by_team_counts_each_team_in_the_half_open_span(db: Database) -> None:
    with db.begin() as conn:
        north, south, east = (make_team(conn, n) for n in ("North", "South", "East"))
        mia = make_member(conn, north, 15, "Mia", Role.MANAGER)
        ada = make_member(conn, south, 16, "Ada", Role.MANAGER)
        start, end = NOW - timedelta(days=7), NOW
        _look(conn, start - timedelta(microseconds=1), mia, "totals", north)  # before
        _look(conn, start, mia, "totals", north, south)  # first instant: in
        _look(conn, NOW - timedelta(hours=1), ada, "export", south)
        _look(conn, NOW - timedelta(hours=1), mia, "team", north, north)  # one row per team
        _look(conn, end, ada, "totals", east)  # the end is not in the span
    with db.begin() as conn:
        assert store.looks_by_team(conn, start=start, end=end) == {north: 2, south: 2}
        looks = store.team_looks(conn, start=start, end=end)
    assert looks[south] == store.TeamLooks(2, 2, {"totals": 1, "export": 1})
    assert looks[north] == store.TeamLooks(2, 1, {"totals": 1, "team": 1})
    assert east not in looks


@pytest.mark.parametrize("span", [timedelta(0), timedelta(days=-1)])
def test_an_empty_span_has_no_looks(db: Database, span: timedelta) -> None:
    with db.begin() as conn:
        north = make_team(conn, "North")
        mia = make_member(conn, north, 15, "Mia", Role.MANAGER)
        _look(conn, NOW, mia, "totals", north)
        assert store.looks_by_team(conn, start=NOW, end=NOW + span) == {}


# --- Which reads record a look ------------------------------------------------------------------

ADMIN, MANAGER, SAM, KIT, ADA, STRANGER = 1, 15, 11, 13, 16, 99
KINDS = KindRegistry()
THURSDAY = date(2026, 11, 26)


def _moment(now: datetime = NOW) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


def _as(db: Database, user_id: int, fn: Callable[[Connection, Actor], T]) -> T:
    with db.begin() as conn:
        actor = people.load_actor(
            conn, Identity(user_id, f"user {user_id}"), admin_ids=frozenset({ADMIN})
        )
        return fn(conn, actor)


def _pid(conn: Connection, user_id: int) -> int:
    return int(
        conn.execute(select(PERSON.c.id).where(PERSON.c.telegram_user_id == user_id)).scalar_one()
    )


def _ledger(db: Database) -> list[tuple[int, int, int | None, str]]:
    """Every look as (viewer's Telegram id, team id, subject's Telegram id or None, command)."""
    with db.begin() as conn:
        user_of = {
            p.id: p.telegram_user_id
            for p in conn.execute(select(PERSON.c.id, PERSON.c.telegram_user_id))
        }
        rows = conn.execute(
            select(
                LOOK.c.viewer_person_id, LOOK.c.team_id, LOOK.c.subject_person_id, LOOK.c.what
            ).order_by(LOOK.c.id)
        ).all()
    return [(user_of[v], t, user_of[s] if s is not None else None, what) for v, t, s, what in rows]


@pytest.fixture
def teams(db: Database) -> tuple[int, int]:
    """North Ward (manager Mia, organiser Sam) and South Side (manager Ada, caseworker Kit,
    and Sam); Sam has logged in both."""
    with db.begin() as conn:
        north = make_team(conn, "North Ward", chat_id=-100)
        south = make_team(conn, "South Side")
        make_member(conn, north, MANAGER, "Mia", Role.MANAGER)
        sam = make_member(conn, north, SAM, "Sam", Role.ORGANISER, username="sam")
        make_member(conn, south, ADA, "Ada", Role.MANAGER)
        make_member(conn, south, KIT, "Kit", Role.CASEWORKER, username="kit")
        make_member(conn, south, SAM, "Sam", Role.ORGANISER, username="sam")
        log(conn, sam, north, "one_to_one", 4, THURSDAY, note="tenants assoc")
        log(conn, sam, south, "resident_contact", 3, THURSDAY)
    return north, south


def test_totals_records_a_look_at_each_team_shown(db: Database, teams: tuple[int, int]) -> None:
    north, south = teams
    _as(db, MANAGER, lambda c, a: reports.totals(c, a, [], moment=_moment()))
    _as(db, MANAGER, lambda c, a: reports.totals(c, a, ["north-ward", "4w"], moment=_moment()))
    blocks = _as(db, ADMIN, lambda c, a: reports.totals(c, a, ["all"], moment=_moment()))
    assert [b.team_name for b in blocks] == ["North Ward", "South Side"]
    assert _ledger(db) == [
        (MANAGER, north, None, "totals"),
        (MANAGER, north, None, "totals"),
        (ADMIN, north, None, "totals"),
        (ADMIN, south, None, "totals"),
    ]


def test_totals_for_one_person_records_them_as_the_subject_in_each_team_shown(
    db: Database, teams: tuple[int, int]
) -> None:
    north, south = teams
    _as(db, ADMIN, lambda c, a: reports.totals(c, a, ["@sam"], moment=_moment()))
    _as(db, ADA, lambda c, a: reports.totals(c, a, ["@sam", "last"], moment=_moment()))
    assert _ledger(db) == [
        (ADMIN, north, SAM, "totals"),
        (ADMIN, south, SAM, "totals"),
        (ADA, south, SAM, "totals"),  # Ada sees South Side only
    ]


def test_team_and_export_record_a_look_at_each_team_listed_or_exported(
    db: Database, teams: tuple[int, int]
) -> None:
    north, south = teams
    _as(db, MANAGER, lambda c, a: reports.team_listing(c, a, [], moment=_moment()))
    _as(db, ADMIN, lambda c, a: reports.team_listing(c, a, ["south-side"], moment=_moment()))
    export = _as(db, ADMIN, lambda c, a: exports.export_csv(c, a, ["4w"], moment=_moment()))
    export.file.close()
    assert export.rows == 2
    _as(db, ADA, lambda c, a: exports.export_csv(c, a, [], moment=_moment())).file.close()
    assert _ledger(db) == [
        (MANAGER, north, None, "team"),
        (ADMIN, south, None, "team"),
        (ADMIN, north, None, "export"),
        (ADMIN, south, None, "export"),
        (ADA, south, None, "export"),
    ]


def test_an_admin_in_no_team_is_stored_to_answer_for_the_look(db: Database) -> None:
    with db.begin() as conn:
        north = make_team(conn, "North Ward")
    _as(db, ADMIN, lambda c, a: reports.team_listing(c, a, [], moment=_moment()))
    assert _ledger(db) == [(ADMIN, north, None, "team")]


@pytest.mark.parametrize(
    ("user_id", "attempt", "refusal"),
    [
        (SAM, lambda c, a: reports.totals(c, a, [], moment=_moment()), NotPermitted),
        (
            MANAGER,
            lambda c, a: reports.totals(c, a, ["south-side"], moment=_moment()),
            NoTeamOrPeriod,
        ),
        (MANAGER, lambda c, a: reports.totals(c, a, ["@kit"], moment=_moment()), UnknownMember),
        (
            MANAGER,
            lambda c, a: reports.totals(c, a, ["north-ward", "soon"], moment=_moment()),
            BadPeriod,
        ),
        (
            MANAGER,
            lambda c, a: reports.team_listing(c, a, ["south-side"], moment=_moment()),
            UnknownTeam,
        ),
        (KIT, lambda c, a: reports.team_listing(c, a, [], moment=_moment()), NotPermitted),
        (
            MANAGER,
            lambda c, a: exports.export_csv(c, a, ["fortnight"], moment=_moment()),
            BadPeriod,
        ),
        (STRANGER, lambda c, a: exports.export_csv(c, a, [], moment=_moment()), NotPermitted),
    ],
)
def test_a_refused_read_records_nothing(
    db: Database,
    teams: tuple[int, int],
    user_id: int,
    attempt: Callable[[Connection, Actor], object],
    refusal: type[Exception],
) -> None:
    with pytest.raises(refusal):
        _as(db, user_id, attempt)
    assert _ledger(db) == []


def test_a_refusal_after_the_look_rolls_it_back(db: Database, teams: tuple[int, int]) -> None:
    def look_then_fail(conn: Connection, actor: Actor) -> None:
        reports.totals(conn, actor, ["all"], moment=_moment())
        raise UnknownTeam("later")

    with pytest.raises(UnknownTeam):
        _as(db, ADMIN, look_then_fail)
    assert _ledger(db) == []


def test_members_reading_their_own_figures_record_nothing(
    db: Database, teams: tuple[int, int]
) -> None:
    _as(db, SAM, lambda c, a: reports.my_week(c, a, moment=_moment()))
    _as(db, SAM, lambda c, a: reports.my_diary(c, a, ["4w"], moment=_moment()))
    _as(db, SAM, lambda c, a: chats.group_week(c, a, -100, moment=_moment()))
    # The group's /totals shows the team's counts to the whole group: not a private look.
    _as(db, MANAGER, lambda c, a: chats.group_week(c, a, -100, moment=_moment()))
    assert _ledger(db) == []


def test_a_member_standing_as_no_manager_towards_a_team_records_nothing(
    db: Database, teams: tuple[int, int]
) -> None:
    north, south = teams
    with db.begin() as conn:
        actor = people.load_actor(conn, Identity(SAM, "Sam"), admin_ids=frozenset())
        recorded = record_looks(conn, actor, Look.TOTALS, [north, south], moment=_moment())
    assert recorded == 0 and _ledger(db) == []


# --- /scrutiny ----------------------------------------------------------------------------------


def _report(db: Database, user_id: int, *args: str, now: datetime = NOW) -> ScrutinyReport:
    return _as(db, user_id, lambda c, a: scrutiny_report(c, a, list(args), moment=_moment(now)))


def test_scrutiny_counts_looks_viewers_and_commands_per_team_most_first(
    db: Database, teams: tuple[int, int]
) -> None:
    with db.begin() as conn:
        make_team(conn, "East End")
    _as(db, MANAGER, lambda c, a: reports.totals(c, a, [], moment=_moment()))
    _as(db, MANAGER, lambda c, a: reports.team_listing(c, a, [], moment=_moment()))
    _as(db, ADA, lambda c, a: reports.totals(c, a, [], moment=_moment()))
    _as(db, ADMIN, lambda c, a: reports.totals(c, a, ["all"], moment=_moment()))
    _as(db, ADMIN, lambda c, a: exports.export_csv(c, a, [], moment=_moment())).file.close()
    report = _report(db, KIT)  # a caseworker sees every team's count
    assert report.period.label == "last 4 weeks"
    assert report.teams == (
        TeamScrutiny(
            "North Ward",
            "north-ward",
            4,
            2,
            ((Look.TOTALS, 2), (Look.TEAM, 1), (Look.EXPORT, 1)),
        ),
        TeamScrutiny("South Side", "south-side", 3, 2, ((Look.TOTALS, 2), (Look.EXPORT, 1))),
        # /totals all and /export cover every team, East End too.
        TeamScrutiny("East End", "east-end", 2, 1, ((Look.TOTALS, 1), (Look.EXPORT, 1))),
    )
    assert report.median == 3


def test_scrutiny_ties_go_by_name_and_the_median_counts_teams_with_no_looks(
    db: Database, teams: tuple[int, int]
) -> None:
    north, south = teams
    with db.begin() as conn:
        make_team(conn, "Alder Vale")
        make_team(conn, "Beech Row")
        _look(conn, NOW - timedelta(days=1), _pid(conn, MANAGER), "totals", north, south)
    report = _report(db, SAM)
    assert [(t.name, t.looks) for t in report.teams] == [
        ("North Ward", 1),
        ("South Side", 1),
        ("Alder Vale", 0),
        ("Beech Row", 0),
    ]
    assert report.median == 0.5
    assert report.teams[2].by_command == () and report.teams[2].viewers == 0


def test_scrutiny_periods_are_local_days_and_default_to_four_weeks(
    db: Database, teams: tuple[int, int]
) -> None:
    north, _ = teams
    with db.begin() as conn:
        viewer = _pid(conn, MANAGER)
        # Four weeks back from Thursday 26 Nov: Monday 2 Nov 00:00 London (= UTC in winter).
        first = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
        _look(conn, first - timedelta(microseconds=1), viewer, "totals", north)
        _look(conn, first, viewer, "team", north)
        # Sunday 22 Nov 23:30 London, in last week; Monday 23 Nov 00:00, in this week.
        _look(conn, datetime(2026, 11, 22, 23, 30, tzinfo=UTC), viewer, "export", north)
        _look(conn, datetime(2026, 11, 23, 0, 0, tzinfo=UTC), viewer, "totals", north)

    def north_looks(*args: str) -> int:
        [row] = [t for t in _report(db, SAM, *args).teams if t.name == "North Ward"]
        return row.looks

    assert north_looks() == 3
    assert north_looks("4w") == 3
    assert north_looks("13w") == 4
    assert north_looks("last") == 1
    assert north_looks("week") == 1
    assert north_looks("2026-11-01..2026-11-01") == 1  # 1 Nov: the look just before midnight


def test_scrutiny_summer_days_start_at_local_midnight(db: Database) -> None:
    with db.begin() as conn:
        north = make_team(conn, "North Ward")
        viewer = make_member(conn, north, MANAGER, "Mia", Role.MANAGER)
        # 1 July 2026 starts at 23:00 UTC on 30 June (BST).
        _look(conn, datetime(2026, 6, 30, 22, 59, tzinfo=UTC), viewer, "totals", north)
        _look(conn, datetime(2026, 6, 30, 23, 0, tzinfo=UTC), viewer, "totals", north)
    summer = datetime(2026, 7, 2, 12, 0, tzinfo=UTC)
    [row] = _report(db, MANAGER, "2026-07-01..2026-07-01", now=summer).teams
    assert row.looks == 1


def test_scrutiny_is_refused_to_strangers_and_bad_periods(
    db: Database, teams: tuple[int, int]
) -> None:
    with pytest.raises(NotAMember):
        _report(db, STRANGER)
    with pytest.raises(BadPeriod) as caught:
        _report(db, SAM, "fortnight")
    assert "fortnight" in caught.value.error.problem
    # An admin in no team sees it.
    assert [t.name for t in _report(db, ADMIN).teams] == ["North Ward", "South Side"]


@given(looks=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=6))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_scrutiny_totals_equal_the_rows_recorded_in_the_period(
    db: Database, looks: list[int]
) -> None:
    """Whatever looks are recorded, each team's count is its rows in the period and the
    median is the middle of every team's count."""
    with db.begin() as conn:
        conn.execute(LOOK.delete())
        # The database lives across examples: the teams are made by the first.
        viewer = people.ensure_person(conn, Identity(MANAGER, "Mia"), now=NOW)
        found = [people.find_team(conn, f"t{i}") for i in range(6)]
        ids = [t.id if t else make_team(conn, f"T{i}") for i, t in enumerate(found)]
        for team_id, n in zip(ids, looks, strict=False):
            for k in range(n):
                _look(conn, NOW - timedelta(days=k), viewer, "totals", team_id)
            _look(conn, NOW - timedelta(days=40), viewer, "totals", team_id)  # outside
    report = _report(db, ADMIN)
    counts = {t.name: t.looks for t in report.teams}
    expected = {f"T{i}": (looks[i] if i < len(looks) else 0) for i in range(6)}
    assert counts == expected
    assert report.median == statistics.median(expected.values())


# --- /mydata: who looked at one's own figures ---------------------------------------------------


def test_mydata_lists_who_looked_at_ones_figures_on_days_one_was_a_member(db: Database) -> None:
    def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # London is on UTC in November

    with db.begin() as conn:
        north, south = make_team(conn, "North Ward"), make_team(conn, "South Side")
        mia = make_member(conn, north, MANAGER, "Mia", Role.MANAGER)
        vic = make_member(conn, south, 17, "Vic", Role.MANAGER)
        kit = make_member(conn, north, KIT, "Kit", Role.CASEWORKER)
        sam = make_member(conn, north, SAM, "Sam", Role.ORGANISER, joined_on=date(2026, 11, 2))
        make_member(conn, south, SAM, "Sam", Role.ORGANISER)
        # Sam is away from North Ward 11–15 Nov: left on the 10th, back on the 16th.
        people.end_membership(conn, person_id=sam, team_id=north, left_on=date(2026, 11, 10))
        people.add_membership(
            conn, person_id=sam, team_id=north, role=Role.ORGANISER, now=NOW,
            joined_on=date(2026, 11, 16),
        )  # fmt: skip
        admin = people.ensure_person(conn, Identity(ADMIN, "Ada Admin"), now=NOW)
        _look(conn, at(1, 23, 59), mia, "totals", north)  # the day before Sam joined
        _look(conn, at(2, 0, 0), mia, "totals", north)  # Sam's first day
        _look(conn, at(12), mia, "export", north)  # Sam was not a member that day
        _look(conn, at(17), mia, "measures", north)
        _look(conn, at(17), mia, "team", north)  # names and roles, not figures
        store.record(conn, at=at(18), viewer=mia, what="totals", team_ids=[north], subject=kit)
        _look(conn, at(19), sam, "totals", north)  # his own look is not listed
        # One /totals @sam showing two teams is one look; then a /diary @sam.
        store.record(
            conn, at=at(20, 10), viewer=admin, what="totals", team_ids=[north, south], subject=sam
        )
        store.record(conn, at=at(20, 11), viewer=admin, what="diary", team_ids=[south], subject=sam)
        store.record(conn, at=at(21), viewer=vic, what="totals", team_ids=[south], subject=sam)
        privacy_store.forget_person(conn, vic, now=NOW, today=THURSDAY)

    data = _as(
        db, SAM, lambda c, a: privacy.my_data(c, a, admin_ids=frozenset({ADMIN}), moment=_moment())
    )
    assert data is not None
    assert data.looked_at_you == (
        Looker("Ada Admin", True, (), (("totals", 1), ("diary", 1)), date(2026, 11, 20)),
        Looker(
            "Mia",
            False,
            (("North Ward", Role.MANAGER),),
            (("totals", 1), ("measures", 1)),
            date(2026, 11, 17),
        ),
        Looker(FORMER_MEMBER, False, (), (("totals", 1),), date(2026, 11, 21)),
    )
    assert data.looks_taken == 1
    # Kit has been in North Ward since before every look, and was asked about once; the
    # looks asked about Sam are not looks at her.
    kits = _as(
        db, KIT, lambda c, a: privacy.my_data(c, a, admin_ids=frozenset({ADMIN}), moment=_moment())
    )
    assert kits is not None
    assert [(k.name, k.looks) for k in kits.looked_at_you] == [
        ("Mia", (("totals", 3), ("export", 1), ("measures", 1))),
        ("Sam", (("totals", 1),)),
    ]
    assert kit != sam
