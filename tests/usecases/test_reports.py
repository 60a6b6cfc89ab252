"""Reading use cases return typed outcomes and raise typed refusals, without a word of English."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Connection

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import Period
from organiser_bot.domain.refusals import (
    Action,
    NoManagedTeam,
    NotAMember,
    NotPermitted,
    UnknownTeam,
)
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import Pace
from organiser_bot.usecases import reports
from organiser_bot.usecases.reports import (
    BadPeriod,
    Diary,
    DiaryEntry,
    KindWeek,
    ListedMember,
    MemberTotals,
    MyWeek,
    NoTeamOrPeriod,
    TeamListing,
    TeamTotals,
    TeamWeek,
    UnknownMember,
)
from storage import people
from storage.engine import Database
from tests.digest_factories import LONDON, away, log, make_member, make_team, set_target

T = TypeVar("T")

#: Thursday 26 Nov 2026, as in the handler tests.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
THURSDAY = date(2026, 11, 26)
MONDAY = date(2026, 11, 23)
KINDS = KindRegistry()
ADMIN, MANAGER, SAM, CLEO, KIT, STRANGER = 1, 15, 11, 12, 13, 99


@pytest.fixture
def teams(db: Database) -> tuple[int, int]:
    """North Ward (manager Mia, organiser Sam, councillor Cleo) and South Side (Kit, and Sam)."""
    with db.begin() as conn:
        north = make_team(conn, "North Ward", chat_id=-100)
        south = make_team(conn, "South Side")
        make_member(conn, north, MANAGER, "Mia", Role.MANAGER)
        sam = make_member(conn, north, SAM, "Sam", Role.ORGANISER, username="sam")
        cleo = make_member(conn, north, CLEO, "Cleo", Role.COUNCILLOR)
        make_member(conn, south, KIT, "Kit", Role.CASEWORKER, username="kit")
        make_member(conn, south, SAM, "Sam", Role.ORGANISER, username="sam")
        log(conn, sam, north, "one_to_one", 4, THURSDAY, note="tenants assoc")
        log(conn, sam, north, "one_to_one", 1, MONDAY, note="Priya", at=time(9, 30))
        log(conn, sam, south, "resident_contact", 3, date(2026, 11, 25))
        log(conn, cleo, north, "resident_contact", 12, date(2026, 11, 25))
        log(conn, cleo, north, "casework", 2, THURSDAY, note="damp flat")
    return north, south


def _moment(now: datetime = NOW) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


def _as(db: Database, user_id: int, fn: Callable[[Connection, Actor], T]) -> T:
    with db.begin() as conn:
        actor = people.load_actor(
            conn, Identity(user_id, f"user {user_id}"), admin_ids=frozenset({ADMIN})
        )
        return fn(conn, actor)


def _person(conn: Connection, user_id: int) -> int:
    actor = people.load_actor(conn, Identity(user_id, "x"), admin_ids=frozenset())
    assert actor.person_id is not None
    return actor.person_id


def test_my_week_gives_each_kind_its_target_and_pace_in_every_team(
    db: Database, teams: tuple[int, int]
) -> None:
    week = _as(db, SAM, lambda c, a: reports.my_week(c, a, moment=_moment()))
    # Thursday is day 4 of 7: a steady pace to 15 one-to-ones is 15 × 4/7 ≈ 8.6 by today.
    assert week == MyWeek(
        MONDAY,
        3,
        (
            TeamWeek("North Ward", 0, (KindWeek("one_to_one", 5, 15, Pace.BEHIND, 60 / 7),)),
            TeamWeek(
                "South Side",
                0,
                (
                    KindWeek("one_to_one", 0, 15, Pace.BEHIND, 60 / 7),
                    KindWeek("resident_contact", 3),
                ),
            ),
        ),
    )
    cleo = _as(db, CLEO, lambda c, a: reports.my_week(c, a, moment=_moment()))
    [north] = cleo.teams
    assert [(k.kind, k.done, k.target, k.pace) for k in north.kinds] == [
        ("resident_contact", 12, 20, Pace.ON_PACE),
        ("casework", 2, 5, Pace.BEHIND),
    ]


def test_my_week_pro_rates_targets_for_days_away_and_counts_a_met_target(
    db: Database, teams: tuple[int, int]
) -> None:
    with db.begin() as conn:
        away(conn, _person(conn, SAM), MONDAY, MONDAY + timedelta(days=2))
        set_target(conn, "role:organiser", "one_to_one", 8, team_id=teams[0])
    week = _as(db, SAM, lambda c, a: reports.my_week(c, a, moment=_moment()))
    north = week.teams[0]
    # Away Mon-Wed: 8 × 4/7 rounds to 5, which Sam has done.
    assert north == TeamWeek("North Ward", 3, (KindWeek("one_to_one", 5, 5, Pace.MET, 20 / 7),))
    mia = _as(db, MANAGER, lambda c, a: reports.my_week(c, a, moment=_moment()))
    assert mia.teams == (TeamWeek("North Ward", 0, ()),)
    sunday = _as(db, SAM, lambda c, a: reports.my_week(c, a, moment=_moment(NOW + timedelta(3))))
    assert sunday.days_left == 0


def test_reading_ones_own_week_or_diary_needs_a_team(db: Database, teams: tuple[int, int]) -> None:
    with pytest.raises(NotAMember):
        _as(db, STRANGER, lambda c, a: reports.my_week(c, a, moment=_moment()))
    with pytest.raises(NotAMember):
        _as(db, ADMIN, lambda c, a: reports.my_diary(c, a, [], moment=_moment()))


def test_the_diary_lists_local_times_and_names_teams_only_for_people_in_several(
    db: Database, teams: tuple[int, int]
) -> None:
    diary = _as(db, SAM, lambda c, a: reports.my_diary(c, a, [], moment=_moment()))
    assert diary.period.label == "week 2026-W48" and not diary.truncated
    assert diary.entries == (
        DiaryEntry(
            MONDAY,
            datetime(2026, 11, 23, 9, 30, tzinfo=LONDON),
            1,
            "one_to_one",
            "north-ward",
            "Priya",
        ),
        DiaryEntry(
            date(2026, 11, 25),
            datetime(2026, 11, 25, 12, 0, tzinfo=LONDON),
            3,
            "resident_contact",
            "south-side",
            None,
        ),
        DiaryEntry(
            THURSDAY,
            datetime(2026, 11, 26, 12, 0, tzinfo=LONDON),
            4,
            "one_to_one",
            "north-ward",
            "tenants assoc",
        ),
    )
    cleo = _as(db, CLEO, lambda c, a: reports.my_diary(c, a, ["4w"], moment=_moment()))
    assert [e.team_slug for e in cleo.entries] == [None, None]
    empty = _as(db, CLEO, lambda c, a: reports.my_diary(c, a, ["2020-W01"], moment=_moment()))
    assert empty == Diary(empty.period, (), False)
    with pytest.raises(BadPeriod) as caught:
        _as(db, CLEO, lambda c, a: reports.my_diary(c, a, ["fortnight"], moment=_moment()))
    assert "fortnight" in caught.value.error.problem


def test_team_totals_compose_week_targets_pro_rated_over_the_period(
    db: Database, teams: tuple[int, int]
) -> None:
    with db.begin() as conn:
        away(conn, _person(conn, SAM), MONDAY, MONDAY + timedelta(days=2))
    blocks = _as(db, MANAGER, lambda c, a: reports.totals(c, a, ["4w"], moment=_moment()))
    [block] = blocks
    assert (block.team_name, block.period.label) == ("North Ward", "last 4 weeks")
    with db.begin() as conn:
        sam, cleo = _person(conn, SAM), _person(conn, CLEO)
    by_name = {m.name: m for m in block.members}
    # Three full weeks of 15 and this week's 15 × 4/7 → 9: 54.
    assert by_name["Sam"] == MemberTotals(
        sam, "Sam", Role.ORGANISER, {"one_to_one": 5}, {"one_to_one": 54}, 3 / 7
    )
    assert by_name["Cleo"] == MemberTotals(
        cleo,
        "Cleo",
        Role.COUNCILLOR,
        {"resident_contact": 12, "casework": 2},
        {"resident_contact": 80, "casework": 20},
        0.0,
    )
    assert by_name["Mia"].targets == {} and by_name["Mia"].totals == {}
    assert block.summary() == (
        ("resident_contact", 12, 80),
        ("casework", 2, 20),
        ("one_to_one", 5, 54),
    )


def test_totals_choose_teams_people_and_periods(db: Database, teams: tuple[int, int]) -> None:
    def names(user_id: int, *args: str) -> list[tuple[str, list[str]]]:
        blocks = _as(db, user_id, lambda c, a: reports.totals(c, a, list(args), moment=_moment()))
        return [(b.team_name, [m.name for m in b.members]) for b in blocks]

    assert names(MANAGER) == [("North Ward", ["Cleo", "Mia", "Sam"])]
    assert names(ADMIN, "all") == [
        ("North Ward", ["Cleo", "Mia", "Sam"]),
        ("South Side", ["Kit", "Sam"]),
    ]
    assert names(ADMIN, "south-side", "4w") == [("South Side", ["Kit", "Sam"])]
    assert names(ADMIN, "@SAM") == [("North Ward", ["Sam"]), ("South Side", ["Sam"])]
    assert names(MANAGER, "@sam", "13w") == [("North Ward", ["Sam"])]


@pytest.mark.parametrize(
    ("user_id", "args", "refusal"),
    [
        (SAM, [], NotPermitted(Action.SEE_TOTALS)),
        (MANAGER, ["4", "fortnights"], None),
        # Neither a team nor a period: the teams there are, and what periods look like.
        (MANAGER, ["fortnight"], NoTeamOrPeriod("fortnight", ("north-ward",))),
        (MANAGER, ["@nobody"], UnknownMember("@nobody")),
        (MANAGER, ["@kit"], UnknownMember("@kit")),  # in another team: told nothing more
        # Another team's short name reads like a name no team has.
        (MANAGER, ["south-side"], NoTeamOrPeriod("south-side", ("north-ward",))),
    ],
)
def test_totals_refusals(
    db: Database, teams: tuple[int, int], user_id: int, args: list[str], refusal: Exception | None
) -> None:
    with pytest.raises(type(refusal) if refusal else BadPeriod) as caught:
        _as(db, user_id, lambda c, a: reports.totals(c, a, args, moment=_moment()))
    if refusal is not None:
        assert vars(caught.value) == vars(refusal)


def test_an_admin_with_no_teams_to_manage_is_told_so(db: Database) -> None:
    with pytest.raises(NoManagedTeam):
        _as(db, ADMIN, lambda c, a: reports.totals(c, a, [], moment=_moment()))
    assert _as(db, ADMIN, lambda c, a: reports.team_listing(c, a, [], moment=_moment())) == ()


def test_team_listing_shows_chats_and_members(db: Database, teams: tuple[int, int]) -> None:
    listing = _as(db, ADMIN, lambda c, a: reports.team_listing(c, a, [], moment=_moment()))
    assert listing == (
        TeamListing(
            "North Ward",
            "north-ward",
            True,
            (
                ListedMember("Cleo", None, Role.COUNCILLOR),
                ListedMember("Mia", None, Role.MANAGER),
                ListedMember("Sam", "sam", Role.ORGANISER),
            ),
        ),
        TeamListing(
            "South Side",
            "south-side",
            False,
            (
                ListedMember("Kit", "kit", Role.CASEWORKER),
                ListedMember("Sam", "sam", Role.ORGANISER),
            ),
        ),
    )
    assert [
        t.name
        for t in _as(db, MANAGER, lambda c, a: reports.team_listing(c, a, [], moment=_moment()))
    ] == ["North Ward"]
    with pytest.raises(UnknownTeam):
        _as(db, MANAGER, lambda c, a: reports.team_listing(c, a, ["south-side"], moment=_moment()))
    with pytest.raises(NotPermitted) as caught:
        _as(db, SAM, lambda c, a: reports.team_listing(c, a, [], moment=_moment()))
    assert caught.value.action is Action.LIST_MEMBERS


def test_team_summary_puts_kinds_with_targets_first() -> None:
    week = Period(MONDAY, MONDAY + timedelta(days=7), "this week")
    assert TeamTotals("T", week, ()).summary() == ()
    members = (
        MemberTotals(1, "A", Role.ORGANISER, {"casework": 2}, {}, 0.0),
        MemberTotals(2, "B", Role.ORGANISER, {"one_to_one": 1}, {"one_to_one": 3}, 0.0),
        MemberTotals(3, "C", Role.ORGANISER, {"casework": 1}, {"casework": 4}, 0.0),
    )
    summary = TeamTotals("T", week, members).summary()
    assert summary == (("one_to_one", 1, 3), ("casework", 3, 4))


def test_reading_use_cases_do_not_import_the_telegram_adapter() -> None:
    code = (
        "import sys; import organiser_bot.usecases.reports; "
        "bad = sorted(m for m in sys.modules if m == 'handlers' or m.startswith('handlers.') "
        "or m == 'telegram' or m.startswith('telegram.')); print(bad); sys.exit(bool(bad))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
