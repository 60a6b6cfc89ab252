"""The digest's numbers and text summary from hand-built ``TeamDigest`` values, without a
database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from organiser_bot.domain.digest import (
    CrossTeam,
    MemberWeek,
    TeamDigest,
    cross_team,
    cross_team_line,
    digest_title,
    kinds_shown,
    member_line,
    render_digest_text,
    scrutiny,
    scrutiny_line,
    team_attainment,
)
from organiser_bot.domain.kinds import KindRegistry

KINDS = KindRegistry()
MONDAY = date(2026, 11, 16)  # 2026-W47
ZERO = (0,) * 7


def week(**by_day: int) -> tuple[int, ...]:
    """Seven daily counts from ``mon=3, thu=2`` style keywords."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return tuple(by_day.get(name, 0) for name in names)


ALEX = MemberWeek(
    "Alex Jones", "organiser", {"one_to_one": week(mon=3, tue=4, wed=5, thu=3)}, {"one_to_one": 14}
)
SAM = MemberWeek(
    "Sam Patel",
    "organiser",
    {"one_to_one": week(mon=2, fri=4), "resident_contact": week(sat=6)},
    {"one_to_one": 12},
)
PRIYA = MemberWeek(
    "Priya Shah", "councillor", {}, {"resident_contact": 20, "casework": 5}, away_days=7
)
JO = MemberWeek("Jo Brown", "caseworker", {"casework": week(thu=10)}, {"casework": 9}, away_days=3)


def digest(*members: MemberWeek, **changes: Any) -> TeamDigest:
    base = TeamDigest(
        team_name="North Ward",
        iso_week="2026-W47",
        week_start=MONDAY,
        kinds=("one_to_one", "casework", "resident_contact"),
        kind_labels={},
        members=members,
    )
    return replace(base, **changes)


# --- MemberWeek ----------------------------------------------------------------------------------


def test_member_total_sums_the_week_and_is_zero_for_kinds_not_logged() -> None:
    assert SAM.total("one_to_one") == 6
    assert SAM.total("resident_contact") == 6
    assert SAM.total("casework") == 0


def test_a_member_is_away_only_when_away_all_week() -> None:
    assert PRIYA.away
    assert not JO.away
    assert not ALEX.away


# --- Numbers -------------------------------------------------------------------------------------


def test_team_attainment_caps_each_target_and_leaves_out_members_away_all_week() -> None:
    # Alex 14 of 14 (15 done), Sam 6 of 12, Jo 9 of 9 (10 done); Priya away: 29 / 35.
    assert team_attainment([ALEX, SAM, PRIYA, JO]) == pytest.approx(29 / 35)


def test_team_attainment_without_targets_is_none() -> None:
    assert team_attainment([]) is None
    assert team_attainment([PRIYA]) is None
    assert team_attainment([MemberWeek("Mo", "manager", {"casework": week(mon=2)}, {})]) is None


def test_cross_team_takes_the_median_of_teams_with_targets() -> None:
    assert cross_team([0.96, None, 0.9, 29 / 35]) == CrossTeam(0.9, 3)
    odd = cross_team([0.5, 0.7])
    assert odd.teams == 2 and odd.median == pytest.approx(0.6)
    assert cross_team([None, None]) == CrossTeam(None, 0)
    assert cross_team([]) == CrossTeam(None, 0)


def test_kinds_shown_are_those_with_a_target_or_an_entry_registered_first() -> None:
    members = [
        MemberWeek(
            "A", "caseworker", {"one_to_one": ZERO, "leaflets": week(mon=2)}, {"casework": 5}
        ),
        MemberWeek("B", "organiser", {"resident_contact": week(sun=1), "banners": week(tue=1)}, {}),
    ]
    # one_to_one has only zeros: not shown. Unregistered kinds follow, alphabetically.
    assert kinds_shown(members, KINDS) == ("casework", "resident_contact", "banners", "leaflets")
    assert kinds_shown([], KINDS) == ()


# --- Text ----------------------------------------------------------------------------------------


def test_member_lines_show_n_over_t_ticks_untargeted_counts_and_absence() -> None:
    d = digest(ALEX, JO, PRIYA, SAM)
    assert member_line(ALEX, d, KINDS) == "• Alex Jones: one-to-one 15/14 ✓"
    assert member_line(JO, d, KINDS) == "• Jo Brown (away 3d): casework 10/9 ✓"
    assert member_line(PRIYA, d, KINDS) == "• Priya Shah: away"
    assert member_line(SAM, d, KINDS) == "• Sam Patel: one-to-one 6/12 ✗ · resident contact 6"


def test_member_line_with_nothing_to_show_is_a_dash() -> None:
    mo = MemberWeek("Mo Manager", "manager", {}, {}, away_days=2)
    assert member_line(mo, digest(mo), KINDS) == "• Mo Manager (away 2d): —"


def test_member_line_prefers_the_digest_s_labels_and_names_unknown_kinds_plainly() -> None:
    member = MemberWeek("Kim", "organiser", {"door_knock": week(mon=4)}, {"one_to_one": 2})
    d = digest(member, kinds=("one_to_one", "door_knock"), kind_labels={"one_to_one": "1:1"})
    assert member_line(member, d, KINDS) == "• Kim: 1:1 0/2 ✗ · door knock 4"


def test_title_marks_a_preview() -> None:
    assert digest_title(digest()) == "North Ward · 2026-W47"
    assert digest_title(digest(preview=True)) == "North Ward · 2026-W47 · preview"


@pytest.mark.parametrize(
    ("median", "teams", "preview", "line"),
    [
        (
            0.9,
            3,
            False,
            "Across 3 teams the median attainment was 90%. "
            "Every team gets this same digest at the same time.",
        ),
        (
            0.625,  # 62.5% rounds half up
            1,
            False,
            "Across 1 team the median attainment was 63%. "
            "Every team gets this same digest at the same time.",
        ),
        (None, 0, False, "Every team gets this same digest at the same time."),
        (
            0.125,
            2,
            True,
            "So far this week the median attainment across 2 teams is 13%. "
            "Preview only: not recorded in the digest ledger.",
        ),
        (None, 0, True, "Preview only: not recorded in the digest ledger."),
    ],
)
def test_cross_team_line(median: float | None, teams: int, preview: bool, line: str) -> None:
    d = digest(cross_team_median=median, teams_compared=teams, preview=preview)
    assert cross_team_line(d) == line


def test_text_summary_of_a_hand_built_week() -> None:
    d = digest(
        ALEX,
        JO,
        PRIYA,
        SAM,
        attainment=29 / 35,
        cross_team_median=0.9,
        teams_compared=3,
        looks=4,
        looks_median=2.5,
    )
    assert render_digest_text(d, KINDS).splitlines() == [
        "North Ward · 2026-W47",
        "Mon 16 Nov – Sun 22 Nov",
        "• Alex Jones: one-to-one 15/14 ✓",
        "• Jo Brown (away 3d): casework 10/9 ✓",
        "• Priya Shah: away",
        "• Sam Patel: one-to-one 6/12 ✗ · resident contact 6",
        "Team attainment: 83% of targets met.",
        "Your team's figures were opened 4 times this week; the median team's 2.5.",
        "Across 3 teams the median attainment was 90%. "
        "Every team gets this same digest at the same time.",
    ]


def test_text_summary_of_an_empty_preview_across_the_new_year() -> None:
    d = digest(iso_week="2026-W53", week_start=date(2026, 12, 28), preview=True, looks=1)
    assert render_digest_text(d, KINDS).splitlines() == [
        "North Ward · 2026-W53 · preview",
        "Mon 28 Dec – Sun 3 Jan (so far)",
        "Nobody with targets or entries this week.",
        "Team: no targets this week.",
        "Your team's figures were opened 1 time so far this week; the median team's 0.",
        "Preview only: not recorded in the digest ledger.",
    ]


def test_team_attainment_is_rounded_half_up() -> None:
    text = render_digest_text(digest(ALEX, attainment=0.125), KINDS)
    assert "Team attainment: 13% of targets met." in text


@pytest.mark.parametrize(
    ("looks", "teams", "median"),
    [
        # Zeros count: two teams nobody looked at pull the median down to 0.
        ({1: 5}, [1, 2, 3], 0),
        ({1: 5, 2: 2}, [1, 2, 3], 2),
        # An even number of teams: halfway between the middle two.
        ({1: 5, 2: 2}, [1, 2, 3, 4], 1),
        ({1: 5, 2: 2, 3: 1}, [1, 2, 3, 4], 1.5),
        # Looks at a team that gets no digest count for it, not in the median.
        ({1: 4, 9: 100}, [1, 2], 2),
        ({}, [], 0),
    ],
)
def test_the_scrutiny_median_counts_every_team_that_gets_a_digest(
    looks: dict[int, int], teams: list[int], median: float
) -> None:
    week = scrutiny(looks, teams)
    assert week.median == median
    assert [week.of(t) for t in teams] == [looks.get(t, 0) for t in teams]


@pytest.mark.parametrize(
    ("looks", "median", "preview", "line"),
    [
        (0, 0, False, "Your team's figures were opened 0 times this week; the median team's 0."),
        (1, 3, False, "Your team's figures were opened 1 time this week; the median team's 3."),
        (
            12,
            2.5,
            False,
            "Your team's figures were opened 12 times this week; the median team's 2.5.",
        ),
        (
            2,
            1.0,
            True,
            "Your team's figures were opened 2 times so far this week; the median team's 1.",
        ),
    ],
)
def test_scrutiny_line(looks: int, median: float, preview: bool, line: str) -> None:
    assert scrutiny_line(digest(looks=looks, looks_median=median, preview=preview)) == line
