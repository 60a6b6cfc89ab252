"""The weekly digest's numbers, from a known dataset written through the real storage functions,
on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection

from organiser_bot.domain.digest import MemberWeek, TeamDigest, render_digest_text
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.digests import TREND_WEEKS, build_team_digest, build_week
from storage import activities
from storage.engine import Database
from tests.digest_factories import away, log, make_member, make_team, set_target

KINDS = KindRegistry()
MONDAY = date(2026, 11, 16)  # 2026-W47
NOTE = "Mrs Example, 12 High St, damp"


def day(n: int) -> date:
    """Day ``n`` of the week (0 = Monday)."""
    return MONDAY + timedelta(days=n)


@dataclass
class Ids:
    north: int
    south: int
    east: int
    west: int


def known_dataset(conn: Connection) -> Ids:
    """Four teams whose week 2026-W47 has hand-computed numbers (see each comment)."""
    north = make_team(conn, "North Ward", chat_id=-1001)
    south = make_team(conn, "South", chat_id=-1002)
    east = make_team(conn, "East", chat_id=-1003)
    west = make_team(conn, "West")  # no chat, no targets: not in the median

    # Organisers everywhere: 14 instead of the default 15; South's organisers: 10.
    set_target(conn, "role:organiser", "one_to_one", 14)
    set_target(conn, "role:organiser", "one_to_one", 10, team_id=south)

    # North Ward.
    alex = make_member(conn, north, 11, "Alex Jones", Role.ORGANISER)
    sam = make_member(conn, north, 12, "Sam Patel", Role.ORGANISER)
    priya = make_member(conn, north, 13, "Priya Shah", Role.COUNCILLOR)
    jo = make_member(conn, north, 14, "Jo Brown", Role.CASEWORKER)
    make_member(conn, north, 15, "Mo Manager", Role.MANAGER)  # no targets, nothing logged
    set_target(conn, f"person:{sam}", "one_to_one", 12, team_id=north)  # person > role
    # Alex: 3+4+5+3 = 15 one-to-ones against 14 -> met (counts 14 towards attainment).
    for n, count in ((0, 3), (1, 4), (2, 5), (3, 3)):
        log(conn, alex, north, "one_to_one", count, day(n))
    log(conn, alex, north, "one_to_one", 7, day(-14))  # two weeks earlier: the trend only
    # Sam: 2+4 = 6 of 12, plus 6 resident contacts without a target; an undone entry and a
    # note never show.
    log(conn, sam, north, "one_to_one", 2, day(0), note=NOTE)
    log(conn, sam, north, "one_to_one", 4, day(4))
    log(conn, sam, north, "resident_contact", 6, day(5))
    undone = log(conn, sam, north, "one_to_one", 3, day(6))
    activities.soft_delete(conn, [undone], now=datetime(2026, 11, 22, 20, 0, tzinfo=UTC))
    # Priya: away all week -> "away", no targets, not in the attainment.
    away(conn, priya, day(-1), day(8))
    # Jo: away Mon-Wed -> casework 15 pro-rated to round(15 * 4 / 7) = 9; 10 done -> met (9).
    away(conn, jo, day(0), day(2))
    log(conn, jo, north, "casework", 10, day(3))
    # North attainment: (14 + 6 + 9) / (14 + 12 + 9) = 29 / 35 = 82.857% -> 83%.

    # South: Kim 9 of 10 -> 90%.
    kim = make_member(conn, south, 21, "Kim Lee", Role.ORGANISER)
    log(conn, kim, south, "one_to_one", 9, day(1))

    # East: Lee, councillor, resident contact 20/20, casework 4/5 -> 24 / 25 = 96%.
    lee = make_member(conn, east, 31, "Lee Chan", Role.COUNCILLOR)
    log(conn, lee, east, "resident_contact", 20, day(2))
    log(conn, lee, east, "casework", 4, day(6))

    # West: a manager only.
    make_member(conn, west, 41, "Wes Boss", Role.MANAGER)
    # Median over North 82.9%, South 90%, East 96% -> 90%, across 3 teams.
    return Ids(north, south, east, west)


@pytest.fixture
def seeded(db: Database) -> Ids:
    return db.call(known_dataset)


def _by_name(digests: list[TeamDigest]) -> dict[str, TeamDigest]:
    return {d.team_name: d for d in digests}


def _member(d: TeamDigest, name: str) -> MemberWeek:
    return next(m for m in d.members if m.name == name)


def test_members_daily_counts_targets_and_absence(db: Database, seeded: Ids) -> None:
    d = db.call(build_team_digest, team_id=seeded.north, monday=MONDAY, kinds=KINDS)
    assert d.team_name == "North Ward" and d.iso_week == "2026-W47" and d.week_start == MONDAY
    # Display order by name; the manager without targets or entries is left out.
    assert [m.name for m in d.members] == ["Alex Jones", "Jo Brown", "Priya Shah", "Sam Patel"]
    alex, jo, priya, sam = d.members
    assert alex.daily == {"one_to_one": (3, 4, 5, 3, 0, 0, 0)}
    assert alex.targets == {"one_to_one": 14}  # all-teams role override beats the default 15
    assert sam.targets == {"one_to_one": 12}  # person beats role
    assert sam.daily == {"one_to_one": (2, 0, 0, 0, 4, 0, 0), "resident_contact": (0,) * 5 + (6, 0)}
    assert (jo.away_days, jo.targets, jo.total("casework")) == (3, {"casework": 9}, 10)
    assert (priya.away_days, priya.away, dict(priya.targets)) == (7, True, {})
    assert d.kinds == ("one_to_one", "casework", "resident_contact")  # registry order
    assert d.attainment == pytest.approx(29 / 35)
    assert not d.preview


def test_south_team_role_override_beats_all_teams_role_override(db: Database, seeded: Ids) -> None:
    d = db.call(build_team_digest, team_id=seeded.south, monday=MONDAY, kinds=KINDS)
    [kim] = d.members
    assert (kim.targets, kim.total("one_to_one")) == ({"one_to_one": 10}, 9)
    assert d.attainment == pytest.approx(0.9)


def test_trend_has_13_weeks_of_team_totals_against_summed_targets(
    db: Database, seeded: Ids
) -> None:
    d = db.call(build_team_digest, team_id=seeded.north, monday=MONDAY, kinds=KINDS)
    assert len(d.trend) == TREND_WEEKS
    assert d.trend[0].iso_week == "2026-W35" and d.trend[-1].iso_week == "2026-W47"
    this_week, two_back, empty = d.trend[-1], d.trend[-3], d.trend[0]
    assert this_week.totals == {"casework": 10, "one_to_one": 21, "resident_contact": 6}
    assert this_week.targets == {"casework": 9, "one_to_one": 26}  # Priya away, Jo pro-rated
    assert two_back.iso_week == "2026-W45" and two_back.totals == {"one_to_one": 7}
    # Nobody away that week: Alex 14 + Sam 12, Priya 20 + 5, Jo 15.
    assert two_back.targets == {"casework": 20, "one_to_one": 26, "resident_contact": 20}
    assert empty.totals == {}


def test_build_week_shares_one_median_across_every_team(db: Database, seeded: Ids) -> None:
    digests = _by_name(db.call(build_week, monday=MONDAY, kinds=KINDS))
    assert list(digests) == ["East", "North Ward", "South", "West"]
    assert {(d.cross_team_median, d.teams_compared) for d in digests.values()} == {(0.9, 3)}
    assert digests["East"].attainment == pytest.approx(0.96)
    assert digests["West"].attainment is None and digests["West"].members == ()
    # Asking for one team still compares it with all of them.
    [north] = db.call(build_week, monday=MONDAY, kinds=KINDS, team_ids=[seeded.north])
    assert (north.team_name, north.cross_team_median, north.teams_compared) == (
        "North Ward",
        0.9,
        3,
    )


def test_text_summary_states_n_over_t_met_away_attainment_and_the_shared_line(
    db: Database, seeded: Ids
) -> None:
    digests = _by_name(db.call(build_week, monday=MONDAY, kinds=KINDS))
    text = render_digest_text(digests["North Ward"], KINDS)
    assert text.splitlines() == [
        "North Ward · 2026-W47",
        "Mon 16 Nov – Sun 22 Nov",
        "• Alex Jones: one-to-one 15/14 ✓",
        "• Jo Brown (away 3d): casework 10/9 ✓",
        "• Priya Shah: away",
        "• Sam Patel: one-to-one 6/12 ✗ · resident contact 6",
        "Team attainment: 83% of targets met.",
        # Nobody opened any team's figures that week (tests/usecases/test_digest_scrutiny_line.py).
        "Your team's figures were opened 0 times this week; the median team's 0.",
        "Across 3 teams the median attainment was 90%. "
        "Every team gets this same digest at the same time.",
    ]
    assert NOTE not in text and "Mrs" not in text
    last_lines = {render_digest_text(d, KINDS).splitlines()[-1] for d in digests.values()}
    assert len(last_lines) == 1  # the very same yardstick line for every team
    east = render_digest_text(digests["East"], KINDS)
    assert "• Lee Chan: casework 4/5 ✗ · resident contact 20/20 ✓" in east
    assert "Team attainment: 96% of targets met." in east
    west = render_digest_text(digests["West"], KINDS)
    assert "Nobody with targets or entries this week.\nTeam: no targets this week." in west


def test_preview_is_marked_in_header_and_footer(db: Database, seeded: Ids) -> None:
    [north] = db.call(build_week, monday=MONDAY, kinds=KINDS, team_ids=[seeded.north], preview=True)
    text = render_digest_text(north, KINDS)
    assert text.splitlines()[0] == "North Ward · 2026-W47 · preview"
    assert text.splitlines()[-1] == (
        "So far this week the median attainment across 3 teams is 90%. "
        "Preview only: not recorded in the digest ledger."
    )
