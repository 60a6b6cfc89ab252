"""Weekly targets without a database: precedence of overrides, absence, pro-rating and pace."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import Period
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import (
    AbsenceRow,
    Pace,
    TargetRow,
    Tenure,
    attainment,
    away_days,
    effective_targets,
    expected_by,
    joined_day,
    pace,
    period_targets,
    pro_rate,
    week_targets,
)

MONDAY = date(2026, 11, 16)  # 2026-W47
TEAM, OTHER_TEAM = 1, 2
PERSON, OTHER_PERSON = 7, 8


def day(n: int) -> date:
    """Day ``n`` of the week (0 = Monday)."""
    return MONDAY + timedelta(days=n)


def organiser(*overrides: TargetRow, team_id: int = TEAM) -> dict[str, int]:
    """``PERSON``'s targets as an organiser in ``team_id``."""
    return effective_targets(
        role=Role.ORGANISER, person_id=PERSON, team_id=team_id, overrides=overrides
    )


ROLE_EVERYWHERE = TargetRow(None, "role:organiser", "one_to_one", 14)
ROLE_IN_TEAM = TargetRow(TEAM, "role:organiser", "one_to_one", 10)
PERSON_EVERYWHERE = TargetRow(None, f"person:{PERSON}", "one_to_one", 12)
PERSON_IN_TEAM = TargetRow(TEAM, f"person:{PERSON}", "one_to_one", 8)


# --- effective_targets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ORGANISER, {"one_to_one": 15}),
        (Role.COUNCILLOR, {"resident_contact": 20, "casework": 5}),
        (Role.CASEWORKER, {"casework": 15}),
        (Role.MANAGER, {}),
    ],
)
def test_without_overrides_each_role_has_its_built_in_default(
    role: Role, expected: dict[str, int]
) -> None:
    assert effective_targets(role=role, person_id=PERSON, team_id=TEAM, overrides=()) == expected


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ((ROLE_EVERYWHERE,), 14),
        ((ROLE_EVERYWHERE, ROLE_IN_TEAM), 10),
        ((ROLE_EVERYWHERE, ROLE_IN_TEAM, PERSON_EVERYWHERE), 12),
        ((ROLE_EVERYWHERE, ROLE_IN_TEAM, PERSON_EVERYWHERE, PERSON_IN_TEAM), 8),
        # The most specific wins whatever order the rows come in.
        ((PERSON_IN_TEAM, PERSON_EVERYWHERE, ROLE_IN_TEAM, ROLE_EVERYWHERE), 8),
        ((PERSON_EVERYWHERE, ROLE_IN_TEAM), 12),
        ((ROLE_IN_TEAM, ROLE_EVERYWHERE), 10),
    ],
)
def test_precedence_person_in_team_then_person_then_role_in_team_then_role(
    overrides: tuple[TargetRow, ...], expected: int
) -> None:
    assert organiser(*overrides) == {"one_to_one": expected}


def test_overrides_for_another_team_person_or_role_do_not_apply() -> None:
    overrides = (
        TargetRow(OTHER_TEAM, f"person:{PERSON}", "one_to_one", 1),
        TargetRow(OTHER_TEAM, "role:organiser", "one_to_one", 2),
        TargetRow(None, f"person:{OTHER_PERSON}", "one_to_one", 3),
        TargetRow(None, "role:councillor", "one_to_one", 4),
    )
    assert organiser(*overrides) == {"one_to_one": 15}
    # The same rows do apply in the other team.
    assert organiser(*overrides, team_id=OTHER_TEAM) == {"one_to_one": 1}


def test_a_team_override_in_one_team_leaves_the_all_teams_one_elsewhere() -> None:
    assert organiser(ROLE_EVERYWHERE, ROLE_IN_TEAM, team_id=OTHER_TEAM) == {"one_to_one": 14}


def test_an_override_adds_a_kind_the_role_has_no_default_for() -> None:
    casework = TargetRow(None, f"person:{PERSON}", "casework", 3)
    assert organiser(casework) == {"one_to_one": 15, "casework": 3}


def test_a_zero_removes_the_kind_at_its_level_of_precedence() -> None:
    assert organiser(TargetRow(None, "role:organiser", "one_to_one", 0)) == {}
    # A zero for the person beats the role's team target ...
    assert organiser(ROLE_IN_TEAM, TargetRow(None, f"person:{PERSON}", "one_to_one", 0)) == {}
    # ... and a more specific target beats a zero further down.
    assert organiser(TargetRow(None, "role:organiser", "one_to_one", 0), PERSON_EVERYWHERE) == {
        "one_to_one": 12
    }


# --- away_days -----------------------------------------------------------------------------------


def absence(starts: int, ends: int, id_: int = 1) -> AbsenceRow:
    return AbsenceRow(id=id_, person_id=PERSON, starts_on=day(starts), ends_on=day(ends))


@pytest.mark.parametrize(
    ("absences", "expected"),
    [
        ((), 0),
        ((absence(-1, 2),), 3),  # Sunday before to Wednesday: Mon, Tue, Wed
        ((absence(0, 0),), 1),
        ((absence(6, 10),), 1),  # from Sunday on
        ((absence(-10, -1),), 0),  # the week before
        ((absence(7, 9),), 0),  # the week after
        ((absence(-3, 12),), 7),
        ((absence(0, 2), absence(1, 3, id_=2)), 4),  # overlapping days count once
        ((absence(0, 0), absence(6, 6, id_=2)), 2),
    ],
)
def test_away_days_counts_days_of_this_week_inside_any_absence(
    absences: tuple[AbsenceRow, ...], expected: int
) -> None:
    assert away_days(absences, MONDAY) == expected


# --- pro_rate ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "away", "expected"),
    [
        (15, 3, 9),  # 15 x 4/7 = 8.57: rounded to nearest, not down
        (10, 3, 6),  # 5.71
        (10, 4, 4),  # 4.29
        (14, 1, 12),  # exact
        (20, 2, 14),  # 14.29
        (5, 2, 4),  # 3.57
        (1, 3, 1),  # 0.57
    ],
)
def test_pro_rate_scales_by_days_present_to_the_nearest_whole(
    target: int, away: int, expected: int
) -> None:
    assert pro_rate({"casework": target}, away) == {"casework": expected}


def test_pro_rate_drops_kinds_that_round_to_zero() -> None:
    # 1 x 3/7 = 0.43 -> 0 drops out; 5 x 3/7 = 2.14 -> 2 stays.
    assert pro_rate({"one_to_one": 1, "casework": 5}, 4) == {"casework": 2}
    assert pro_rate({"one_to_one": 15, "casework": 5}, 7) == {}


def test_pro_rate_without_absence_returns_a_copy_of_the_targets() -> None:
    targets = {"one_to_one": 15}
    for away in (0, -1):
        scaled = pro_rate(targets, away)
        assert scaled == targets and scaled is not targets


TARGETS = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(1, 500), max_size=3)


@settings(max_examples=300, deadline=None)
@given(targets=TARGETS, away=st.integers(0, 7))
def test_pro_rate_never_exceeds_the_target_nor_adds_kinds(
    targets: dict[str, int], away: int
) -> None:
    scaled = pro_rate(targets, away)
    assert set(scaled) <= set(targets)
    assert all(0 < n <= targets[kind] for kind, n in scaled.items())


@settings(max_examples=300, deadline=None)
@given(targets=TARGETS, fewer=st.integers(0, 7), more=st.integers(0, 7))
def test_pro_rate_falls_as_days_away_rise(targets: dict[str, int], fewer: int, more: int) -> None:
    fewer, more = sorted((fewer, more))
    less_away, more_away = pro_rate(targets, fewer), pro_rate(targets, more)
    assert all(more_away.get(kind, 0) <= less_away.get(kind, 0) for kind in targets)


# --- week_targets --------------------------------------------------------------------------------


def test_week_targets_applies_precedence_then_pro_rates_by_the_week_s_absence() -> None:
    targets, away = week_targets(
        role=Role.CASEWORKER,
        person_id=PERSON,
        team_id=TEAM,
        overrides=(TargetRow(TEAM, f"person:{PERSON}", "casework", 21),),
        absences=(absence(-2, 2),),
        monday=MONDAY,
    )
    assert (targets, away) == ({"casework": 12}, 3)  # 21 x 4/7 = 12


def test_week_targets_of_someone_away_all_week_is_empty() -> None:
    assert week_targets(
        role=Role.COUNCILLOR,
        person_id=PERSON,
        team_id=TEAM,
        overrides=(),
        absences=(absence(-1, 7),),
        monday=MONDAY,
    ) == ({}, 7)


def test_week_targets_ignores_absences_in_other_weeks() -> None:
    assert week_targets(
        role=Role.ORGANISER,
        person_id=PERSON,
        team_id=TEAM,
        overrides=(),
        absences=(absence(-7, -1),),
        monday=MONDAY,
    ) == ({"one_to_one": 15}, 0)


# --- expected_by and pace ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_elapsed", "expected"),
    [(0, 0.0), (1, 2.0), (3, 6.0), (7, 14.0), (9, 14.0), (-2, 0.0)],
)
def test_expected_by_is_a_steady_share_of_the_week(days_elapsed: int, expected: float) -> None:
    assert expected_by(14, days_elapsed=days_elapsed) == pytest.approx(expected)


def test_nothing_is_expected_of_someone_away_all_week() -> None:
    assert expected_by(14, days_elapsed=5, away=7) == 0.0
    assert pace(0, 14, days_elapsed=5, away=7) is Pace.ON_PACE


@pytest.mark.parametrize(
    ("done", "target", "days_elapsed", "expected"),
    [
        (14, 14, 1, Pace.MET),
        (20, 14, 0, Pace.MET),
        (6, 14, 3, Pace.ON_PACE),  # 14 x 3/7 = 6 expected
        (5, 14, 3, Pace.BEHIND),
        (3, 15, 1, Pace.ON_PACE),  # 2.14 expected
        (2, 15, 1, Pace.BEHIND),
        (0, 14, 0, Pace.ON_PACE),
        (13, 14, 7, Pace.BEHIND),
    ],
)
def test_pace_is_met_on_pace_or_behind(
    done: int, target: int, days_elapsed: int, expected: Pace
) -> None:
    assert pace(done, target, days_elapsed=days_elapsed) is expected


# --- attainment ----------------------------------------------------------------------------------


def test_attainment_caps_each_kind_at_its_target() -> None:
    # Met 14 of 14 (15 done), 6 of 12, met 9 of 9 (10 done): 29 / 35.
    assert attainment([(15, 14), (6, 12), (10, 9)]) == pytest.approx(29 / 35)
    # Overdoing one kind does not make up for another.
    assert attainment([(30, 10), (0, 10)]) == pytest.approx(0.5)
    assert attainment([(9, 10)]) == pytest.approx(0.9)


def test_attainment_without_targets_is_none() -> None:
    assert attainment([]) is None
    assert attainment([(5, 0)]) is None


# --- period_targets and the days of a week so far ---------------------------------------------


def test_period_targets_sum_whole_weeks_and_prorate_partial_ones() -> None:
    # Two whole weeks (15 each) plus 3 days of the next (15 × 3 / 7 ≈ 6.4): 36.4 → 36.
    period = Period(MONDAY, MONDAY + timedelta(days=17), "test")
    targets, weeks_away = period_targets(
        role=Role.ORGANISER,
        person_id=PERSON,
        team_id=TEAM,
        overrides=[],
        absences=[],
        period=period,
    )
    assert targets == {"one_to_one": 36}
    assert weeks_away == 0


def test_period_targets_leave_out_days_away() -> None:
    # Away the whole first week: only the second week's 15 remains; one week away.
    period = Period(MONDAY, MONDAY + timedelta(days=14), "test")
    away = [AbsenceRow(1, PERSON, MONDAY, MONDAY + timedelta(days=6))]
    targets, weeks_away = period_targets(
        role=Role.ORGANISER,
        person_id=PERSON,
        team_id=TEAM,
        overrides=[],
        absences=away,
        period=period,
    )
    assert targets == {"one_to_one": 15}
    assert weeks_away == 1


@pytest.mark.parametrize(("offset", "elapsed"), [(0, 1), (3, 4), (6, 7)])
def test_days_elapsed_counts_today(offset: int, elapsed: int) -> None:
    now = datetime(2026, 11, 16, 12, tzinfo=UTC) + timedelta(days=offset)
    assert Moment(now, ZoneInfo("Europe/London"), KindRegistry()).days_elapsed == elapsed


def test_days_elapsed_follows_the_local_day_not_utc() -> None:
    # 23:30 UTC on Sunday 2026-07-19 is already Monday in London (BST): day 1 of a new week.
    now = datetime(2026, 7, 19, 23, 30, tzinfo=UTC)
    assert Moment(now, ZoneInfo("Europe/London"), KindRegistry()).days_elapsed == 1


# --- membership periods (Tenure) -----------------------------------------------------------------

DAYS = st.integers(-30, 30).map(lambda n: MONDAY + timedelta(days=n))


@st.composite
def tenures(draw: st.DrawFn) -> Tenure:
    joined = draw(DAYS)
    left = draw(st.one_of(st.none(), st.integers(0, 40).map(lambda n: joined + timedelta(days=n))))
    return Tenure(joined, left)


@st.composite
def absence_lists(draw: st.DrawFn) -> list[AbsenceRow]:
    out = []
    for i in range(draw(st.integers(0, 3))):
        start = draw(DAYS)
        out.append(AbsenceRow(i, PERSON, start, start + timedelta(days=draw(st.integers(0, 9)))))
    return out


def _half_up(n: int, days: int) -> int:
    return (n * days * 2 + 7) // 14


@settings(max_examples=300, deadline=None)
@given(
    tenure=tenures(),
    absences=absence_lists(),
    week=st.integers(-6, 6),
    weekly=st.integers(1, 60),
)
def test_a_week_s_target_counts_the_days_in_the_membership_and_not_away(
    tenure: Tenure, absences: list[AbsenceRow], week: int, weekly: int
) -> None:
    monday = MONDAY + timedelta(weeks=week)
    counted = sum(
        1
        for i in range(7)
        if tenure.contains(d := monday + timedelta(days=i))
        and not any(a.starts_on <= d <= a.ends_on for a in absences)
    )
    targets, away = week_targets(
        role=Role.ORGANISER,
        person_id=PERSON,
        team_id=TEAM,
        overrides=(TargetRow(TEAM, f"person:{PERSON}", "one_to_one", weekly),),
        absences=absences,
        monday=monday,
        tenure=tenure,
    )
    expected = _half_up(weekly, counted)
    assert targets.get("one_to_one", 0) == expected
    if not any(tenure.week_days(monday)):
        assert targets == {} and away == 0
    # Days away are only those inside the membership: a day both away and outside counts once.
    assert away + counted + tenure.week_days(monday).count(False) == 7


@settings(max_examples=200, deadline=None)
@given(
    tenure=tenures(), absences=absence_lists(), weeks=st.integers(1, 8), weekly=st.integers(1, 60)
)
def test_period_targets_over_whole_weeks_sum_the_week_targets(
    tenure: Tenure, absences: list[AbsenceRow], weeks: int, weekly: int
) -> None:
    overrides = [TargetRow(TEAM, f"person:{PERSON}", "one_to_one", weekly)]
    first = MONDAY - timedelta(weeks=3)
    period = Period(first, first + timedelta(weeks=weeks), "test")
    summed = sum(
        week_targets(
            role=Role.ORGANISER,
            person_id=PERSON,
            team_id=TEAM,
            overrides=overrides,
            absences=absences,
            monday=monday,
            tenure=tenure,
        )[0].get("one_to_one", 0)
        for monday in period.mondays()
    )
    targets, _ = period_targets(
        role=Role.ORGANISER,
        person_id=PERSON,
        team_id=TEAM,
        overrides=overrides,
        absences=absences,
        period=period,
        tenure=tenure,
    )
    assert targets.get("one_to_one", 0) == summed


@pytest.mark.parametrize(
    ("joined", "left", "expected"),
    [
        (day(2), None, 11),  # joined Wednesday: 15 x 5/7 = 10.7 -> 11
        (day(6), None, 2),  # joined Sunday: 15 x 1/7 = 2.1 -> 2
        (day(7), None, 0),  # joins next week: nothing this week
        (day(-20), day(3), 9),  # left Thursday (inclusive): 15 x 4/7 = 8.6 -> 9
        (day(-20), day(-1), 0),  # left last Sunday
        (day(-20), None, 15),
    ],
)
def test_membership_pro_rates_the_week(joined: date, left: date | None, expected: int) -> None:
    targets, _ = week_targets(
        role=Role.ORGANISER,
        person_id=PERSON,
        team_id=TEAM,
        overrides=(),
        absences=(),
        monday=MONDAY,
        tenure=Tenure(joined, left),
    )
    assert targets.get("one_to_one", 0) == expected


def test_a_day_away_before_joining_is_not_counted_twice() -> None:
    # Joined Wednesday, away Monday to Thursday: counted Fri-Sun only, 15 x 3/7 = 6.4 -> 6.
    targets, away = week_targets(
        role=Role.ORGANISER,
        person_id=PERSON,
        team_id=TEAM,
        overrides=(),
        absences=(absence(0, 3),),
        monday=MONDAY,
        tenure=Tenure(day(2)),
    )
    assert (targets, away) == ({"one_to_one": 6}, 2)


@settings(max_examples=200, deadline=None)
@given(target=st.integers(1, 60), joined=st.integers(0, 6), elapsed=st.integers(0, 7))
def test_someone_who_joined_mid_week_paces_over_their_days_as_a_member(
    target: int, joined: int, elapsed: int
) -> None:
    got = expected_by(target, days_elapsed=elapsed, joined_day=joined)
    member_days = 7 - joined
    assert got == pytest.approx(target * min(max(elapsed - joined, 0), member_days) / member_days)
    if elapsed <= joined:
        assert got == 0.0  # nothing expected before they joined
    if elapsed == 7:
        assert got == pytest.approx(target)  # the whole (pro-rated) target by Sunday
    if joined == 0:
        assert got == expected_by(target, days_elapsed=elapsed)


def test_joined_day_is_the_weekday_of_joining_within_the_week() -> None:
    assert [joined_day(Tenure(day(n)), MONDAY) for n in (-3, 0, 2, 6, 7)] == [0, 0, 2, 6, 0]
    assert joined_day(None, MONDAY) == 0


def test_a_gap_between_leaving_and_rejoining_is_not_membership() -> None:
    from organiser_bot.domain.targets import Tenure

    first = Tenure(date(2026, 11, 2), left_on=date(2026, 11, 11))  # left Wednesday
    again = first.rejoined(date(2026, 11, 19))  # back the next Thursday
    assert again.gaps == ((date(2026, 11, 12), date(2026, 11, 18)),)
    assert again.left_on is None
    assert [again.contains(date(2026, 11, d)) for d in (11, 12, 18, 19)] == [
        True,
        False,
        False,
        True,
    ]
    assert again.week_days(date(2026, 11, 9)) == (True, True, True, False, False, False, False)
    assert again.week_days(date(2026, 11, 16)) == (False, False, False, True, True, True, True)
    assert again.joined_between(date(2026, 11, 16), date(2026, 11, 22)) == date(2026, 11, 19)
    assert again.left_between(date(2026, 11, 9), date(2026, 11, 15)) == date(2026, 11, 11)
    # Back the very next day: no gap at all.
    assert first.rejoined(date(2026, 11, 12)) == Tenure(date(2026, 11, 2))
