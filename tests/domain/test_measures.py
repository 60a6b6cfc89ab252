"""The measures' pure arithmetic: days present against a day-by-day count, the mean per week
present, complete weeks and the windows, the change and residents per active member."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organiser_bot.domain.measures import (
    RATE_ROLES,
    KindChange,
    MonthActive,
    Rate,
    by_role,
    days_present,
    last_complete_sunday,
    member_spans,
    pooled,
    present_throughout,
    windows,
)
from organiser_bot.domain.periods import month_end
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import AbsenceRow, Tenure

BASE = date(2026, 10, 26)  # a Monday
DAYS = st.integers(-40, 60).map(lambda n: BASE + timedelta(days=n))


@st.composite
def tenures(draw: st.DrawFn) -> Tenure:
    """A membership period with up to three gaps inside it (as rejoining makes them)."""
    joined = draw(DAYS)
    cursor = joined
    gaps = []
    for _ in range(draw(st.integers(0, 3))):
        start = cursor + timedelta(days=draw(st.integers(1, 12)))
        end = start + timedelta(days=draw(st.integers(0, 10)))
        gaps.append((start, end))
        cursor = end + timedelta(days=1)
    ended = draw(st.booleans())
    left = cursor + timedelta(days=draw(st.integers(0, 15))) if ended else None
    return Tenure(joined, left, tuple(gaps))


@st.composite
def absence_lists(draw: st.DrawFn) -> list[AbsenceRow]:
    """Up to four absences, possibly overlapping one another."""
    out = []
    for i in range(draw(st.integers(0, 4))):
        start = draw(DAYS)
        out.append(AbsenceRow(i, 1, start, start + timedelta(days=draw(st.integers(0, 20)))))
    return out


def _brute_present(tenure: Tenure, absences: list[AbsenceRow], first: date, last: date) -> int:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return sum(
        1
        for day in days
        if tenure.contains(day) and not any(a.starts_on <= day <= a.ends_on for a in absences)
    )


@settings(max_examples=400, deadline=None)
@given(tenure=tenures(), absences=absence_lists(), first=DAYS, length=st.integers(1, 120))
def test_present_throughout_is_every_day_of_the_window(
    tenure: Tenure, absences: list[AbsenceRow], first: date, length: int
) -> None:
    """The fast path's test (a member throughout, no gap, no absence overlapping): when it
    holds, days present are the window's length, as counted day by day; for an unbroken
    membership and no absence in the window, it holds exactly when they are."""
    last = first + timedelta(days=length - 1)
    overlapping = [a for a in absences if a.starts_on <= last and a.ends_on >= first]
    throughout = present_throughout(
        tenure.joined_on,
        tenure.left_on,
        gaps=bool(tenure.gaps),
        away=bool(overlapping),
        first=first,
        last=last,
    )
    brute = _brute_present(tenure, absences, first, last)
    if throughout:
        assert days_present(tenure, absences, first=first, last=last) == brute == length
    if not tenure.gaps and not overlapping:
        assert throughout == (brute == length)


@settings(max_examples=400, deadline=None)
@given(tenure=tenures(), absences=absence_lists(), first=DAYS, length=st.integers(1, 120))
def test_days_present_agree_with_a_day_by_day_count(
    tenure: Tenure, absences: list[AbsenceRow], first: date, length: int
) -> None:
    last = first + timedelta(days=length - 1)
    present = days_present(tenure, absences, first=first, last=last)
    assert present == _brute_present(tenure, absences, first, last)
    spans = member_spans(tenure, first, last)
    inside = sum((b - a).days + 1 for a, b in spans)
    assert inside == _brute_present(tenure, [], first, last)
    assert all(a <= b for a, b in spans)
    assert all(b + timedelta(days=1) < c for (_, b), (c, _) in pairwise(spans))


@settings(max_examples=300, deadline=None)
@given(
    people=st.lists(
        st.tuples(
            st.sampled_from(RATE_ROLES),
            tenures(),
            absence_lists(),
            st.lists(st.integers(0, 30), min_size=28, max_size=28),
        ),
        max_size=6,
    )
)
def test_the_pooled_mean_is_contacts_per_week_present_counted_day_by_day(
    people: list[tuple[Role, Tenure, list[AbsenceRow], list[int]]],
) -> None:
    first, last = BASE, BASE + timedelta(days=27)
    rates = []
    for role, tenure, absences, daily in people:
        rate = Rate(sum(daily), days_present(tenure, absences, first=first, last=last))
        rates.append((role, rate))
        brute_days = _brute_present(tenure, absences, first, last)
        if brute_days == 0:
            assert rate.per_week is None
        else:
            assert rate.per_week == pytest.approx(sum(daily) / (brute_days / 7))
    roles = by_role(rates)
    assert [r for r, _ in roles] == [r for r in RATE_ROLES if any(p[0] is r for p in rates)]
    for role, rate in roles:
        mine = [r for p, r in rates if p is role]
        assert rate == Rate(sum(r.contacts for r in mine), sum(r.days_present for r in mine))
    team = pooled(r for _, r in rates)
    assert team.days_present == sum(r.days_present for _, r in roles)
    assert team.contacts == sum(r.contacts for _, r in roles)


def test_no_day_present_has_no_rate_however_many_contacts() -> None:
    assert Rate(5, 0).per_week is None
    assert Rate(0, 0).per_week is None
    assert Rate(0, 7).per_week == 0
    assert Rate(3, 14).per_week == pytest.approx(1.5)


@settings(max_examples=300, deadline=None)
@given(today=DAYS, end=DAYS)
def test_the_last_complete_week_ends_on_the_latest_sunday_before_today_and_the_end(
    today: date, end: date
) -> None:
    sunday = last_complete_sunday(today=today, end=end)
    assert sunday.weekday() == 6
    assert sunday < today and sunday < end
    assert not (sunday + timedelta(days=7) < today and sunday + timedelta(days=7) < end)


@settings(max_examples=300, deadline=None)
@given(today=DAYS, length=st.integers(1, 400), back=st.integers(-60, 400))
def test_the_windows_are_whole_weeks_back_to_back_and_the_months_run_to_the_as_at_day(
    today: date, length: int, back: int
) -> None:
    end = today - timedelta(days=back)
    spans = windows(today=today, end=end)
    for first, last in (spans.weeks4, spans.weeks13, spans.previous13):
        assert first.weekday() == 0 and last.weekday() == 6
    assert (spans.weeks4[1] - spans.weeks4[0]).days == 27
    assert (spans.weeks13[1] - spans.weeks13[0]).days == 90
    assert (spans.previous13[1] - spans.previous13[0]).days == 90
    assert spans.weeks4[1] == spans.weeks13[1]
    assert spans.previous13[1] + timedelta(days=1) == spans.weeks13[0]
    as_at = min(today, end - timedelta(days=1))
    first, second, third = spans.months
    assert third <= as_at <= month_end(third)
    assert month_end(first) + timedelta(days=1) == second
    assert month_end(second) + timedelta(days=1) == third
    assert all(m.day == 1 for m in spans.months)
    assert spans.current_month == today.replace(day=1)


def test_the_windows_named_by_dates() -> None:
    # Thursday 26 Nov 2026: the week of 16-22 Nov is the last complete one.
    spans = windows(today=date(2026, 11, 26), end=date(2026, 11, 30))
    assert spans.weeks4 == (date(2026, 10, 26), date(2026, 11, 22))
    assert spans.weeks13 == (date(2026, 8, 24), date(2026, 11, 22))
    assert spans.previous13 == (date(2026, 5, 25), date(2026, 8, 23))
    assert spans.months == (date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1))
    # On a Monday, yesterday's week is complete.
    assert last_complete_sunday(today=date(2026, 11, 30), end=date(2026, 12, 7)) == date(
        2026, 11, 29
    )


@pytest.mark.parametrize(
    ("total", "previous", "change", "percent"),
    [(15, 10, 5, 50.0), (5, 10, -5, -50.0), (0, 4, -4, -100.0), (3, 0, 3, None), (0, 0, 0, None)],
)
def test_the_change_and_its_percentage(
    total: int, previous: int, change: int, percent: float | None
) -> None:
    kind = KindChange("casework", total, previous)
    assert kind.change == change
    assert kind.percent == (None if percent is None else pytest.approx(percent))


def test_residents_per_active_member_needs_a_figure_and_someone_active() -> None:
    month = date(2026, 11, 1)
    assert MonthActive(month, 6000, 4, True).per_active == pytest.approx(1500.0)
    assert MonthActive(month, None, 4, False).per_active is None
    assert MonthActive(month, 6000, 0, False).per_active is None


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2026, 4, 1), date(2026, 4, 30)),
    ],
)
def test_month_ends(first: date, last: date) -> None:
    assert month_end(first) == last
