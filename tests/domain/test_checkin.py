"""The check-in's months (which month is asked about on a day, when it closes, months typed) and
residents figures as typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from organiser_bot.domain.checkin import (
    ANSWER_DAYS_AFTER,
    MAX_RESIDENTS,
    asked_on,
    closes_on,
    due_month,
    is_open,
    names_a_month,
    parse_month,
    parse_residents,
)
from organiser_bot.domain.periods import (
    MONTH_NAMES,
    month_end,
    month_of,
    next_month,
    previous_month,
)

days = st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31))
months = days.map(month_of)


@pytest.mark.parametrize(
    ("day", "month"),
    [
        (date(2026, 11, 29), None),
        (date(2026, 11, 30), date(2026, 11, 1)),
        (date(2026, 12, 1), date(2026, 11, 1)),
        (date(2026, 12, 7), date(2026, 11, 1)),
        (date(2026, 12, 8), None),
        (date(2027, 1, 1), date(2026, 12, 1)),
        (date(2028, 2, 28), None),
        (date(2028, 2, 29), date(2028, 2, 1)),
        (date(2027, 2, 28), date(2027, 2, 1)),
    ],
)
def test_the_month_due_on_a_day(day: date, month: date | None) -> None:
    assert due_month(day) == month


@given(months)
def test_a_months_window_is_its_last_day_and_the_first_week_after(month: date) -> None:
    window = [asked_on(month) + timedelta(days=n) for n in range(ANSWER_DAYS_AFTER + 1)]
    assert window[0] == month_end(month)
    assert window[-1] == closes_on(month) == next_month(month) + timedelta(days=6)
    assert all(due_month(day) == month and is_open(month, day) for day in window)
    assert not is_open(month, window[0] - timedelta(days=1))
    assert not is_open(month, window[-1] + timedelta(days=1))


@given(days)
def test_at_most_one_month_is_open_on_a_day_and_due_month_finds_it(day: date) -> None:
    candidates = [previous_month(month_of(day)), month_of(day), next_month(day)]
    open_months = [m for m in candidates if is_open(m, day)]
    assert len(open_months) <= 1
    assert due_month(day) == (open_months[0] if open_months else None)
    if (month := due_month(day)) is not None:
        assert month <= month_of(day)  # never a month that has not begun


@given(months)
def test_next_and_previous_month_are_inverse(month: date) -> None:
    assert previous_month(next_month(month)) == month
    assert next_month(previous_month(month)) == month
    assert month_end(month) + timedelta(days=1) == next_month(month)


def test_months_typed() -> None:
    today = date(2026, 11, 29)
    assert parse_month("thismonth", today) == date(2026, 11, 1)
    assert parse_month("LastMonth", today) == date(2026, 10, 1)
    assert parse_month("2026-10", today) == date(2026, 10, 1)
    assert parse_month("2026-11", today) == date(2026, 11, 1)
    assert parse_month("october", today) == date(2026, 10, 1)
    assert parse_month("Nov", today) == date(2026, 11, 1)
    assert parse_month("december", today) == date(2025, 12, 1)
    assert parse_month("sept", today) == date(2026, 9, 1)
    for word in ("2026-12", "2026-13", "2026-00", "1999-12", "octobre", "10", "", "next"):
        assert parse_month(word, today) is None, word


@given(days, st.integers(min_value=1, max_value=12), st.booleans())
def test_a_month_name_is_the_latest_such_month_not_after_today(
    today: date, number: int, short: bool
) -> None:
    name = MONTH_NAMES[number - 1]
    month = parse_month(name[:3] if short else name.upper(), today)
    assert month is not None
    assert month.month == number and month.day == 1
    assert month <= month_of(today) < month.replace(year=month.year + 1)


@given(days, st.integers(min_value=2000, max_value=2100), st.integers(min_value=1, max_value=12))
def test_an_iso_month_is_taken_unless_it_is_after_this_month(
    today: date, year: int, number: int
) -> None:
    month = date(year, number, 1)
    parsed = parse_month(f"{year}-{number:02d}", today)
    assert parsed == (month if month <= month_of(today) else None)


@pytest.mark.parametrize(
    "text",
    ["12400", "12,400", "12 400", "12\u00a0400", "12\u2009400", "12\u202f400", "12_400", " 12400 "],
)
def test_residents_forms(text: str) -> None:
    assert parse_residents(text) == 12400


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-5",
        "+5",
        "12.5",
        "12,400.0",
        "12.400",
        "1,2345",
        "12,40",
        ",400",
        "12400,",
        "twelve",
        "12k",
        "",
        "100,000,001",
        "٣٤",
        "0,000",
    ],
)
def test_residents_refused(text: str) -> None:
    assert parse_residents(text) is None


@given(st.integers(min_value=1, max_value=MAX_RESIDENTS), st.sampled_from(",_ \u00a0\u2009\u202f"))
def test_any_figure_in_range_grouped_or_not_reads_back(n: int, separator: str) -> None:
    assert parse_residents(str(n)) == n
    assert parse_residents(f"{n:,}".replace(",", separator)) == n


@given(st.integers(min_value=MAX_RESIDENTS + 1, max_value=10**12))
def test_figures_over_the_maximum_are_refused(n: int) -> None:
    assert parse_residents(str(n)) is None
    assert parse_residents(f"{n:,}") is None


#: Every month a ``date`` can hold, from January of year 1 to December 9999.
any_month = st.dates(min_value=date.min, max_value=date.max).map(month_of)


@given(any_month, st.dates(min_value=date.min, max_value=date.max))
def test_every_month_a_date_can_hold_has_a_window(month: date, today: date) -> None:
    """A month read from a forged button may be any of them: none makes the window fail."""
    closes = closes_on(month)
    assert asked_on(month) == month_end(month) < closes or closes == date.max
    if month < date(9999, 12, 1):
        assert closes == next_month(month) + timedelta(days=ANSWER_DAYS_AFTER - 1)
    else:
        assert closes == date.max  # December 9999: no date holds the 7th of the next month
    assert is_open(month, today) == (month_end(month) <= today <= closes)


def test_names_a_month_only_for_names() -> None:
    for word in ("may", "MAY", "Oct", "october", "sept", "Sep"):
        assert names_a_month(word), word
    for word in ("thismonth", "lastmonth", "last", "this", "month", "2026-10", "north-ward", ""):
        assert not names_a_month(word), word
