"""Tests for organiser_bot.domain.periods: ISO weeks, DST-aware bounds and period parsing."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organiser_bot.domain.periods import (
    MAX_PERIOD_DAYS,
    Period,
    PeriodError,
    as_utc,
    iso_week_label,
    local_date,
    parse_day,
    parse_iso_week,
    parse_period,
    to_utc,
    week_monday,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
ZONES = (LONDON, NEW_YORK, SYDNEY)
HOUR = timedelta(hours=1)

TODAY = date(2026, 11, 25)  # a Wednesday in 2026-W48


def day_bounds_utc(d: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight of ``d`` and of the next day, as UTC (what the bot stores against)."""
    return to_utc(d, time(0), tz), to_utc(d + timedelta(days=1), time(0), tz)


def week_bounds_utc(monday: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local Monday 00:00 of ``monday``'s ISO week and of the next, as UTC."""
    start = week_monday(monday)
    return to_utc(start, time(0), tz), to_utc(start + timedelta(days=7), time(0), tz)


def hours(bounds: tuple[datetime, datetime]) -> float:
    start, end = bounds
    return (end - start) / HOUR


# --- weeks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", range(7))
def test_week_monday_for_every_day_of_the_week(offset: int) -> None:
    assert week_monday(date(2026, 11, 16) + timedelta(days=offset)) == date(2026, 11, 16)


def test_week_monday_across_new_year() -> None:
    assert week_monday(date(2027, 1, 1)) == date(2026, 12, 28)


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 11, 16), "2026-W47"),
        (date(2026, 11, 22), "2026-W47"),
        (date(2026, 11, 25), "2026-W48"),
        (date(2026, 1, 1), "2026-W01"),
        (date(2026, 12, 28), "2026-W53"),
        (date(2027, 1, 1), "2026-W53"),  # 2026 has 53 ISO weeks
        (date(2027, 1, 3), "2026-W53"),
        (date(2027, 1, 4), "2027-W01"),
        (date(2024, 12, 30), "2025-W01"),
    ],
)
def test_iso_week_label(day: date, label: str) -> None:
    assert iso_week_label(day) == label


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2026-W47", date(2026, 11, 16)),
        ("2026w47", date(2026, 11, 16)),
        ("  2026-w47 ", date(2026, 11, 16)),
        ("2026-W7", date(2026, 2, 9)),
        ("2026-W01", date(2025, 12, 29)),
        ("2026-W53", date(2026, 12, 28)),
        ("2020-W53", date(2020, 12, 28)),
    ],
)
def test_parse_iso_week(text: str, monday: date) -> None:
    assert parse_iso_week(text) == monday


@pytest.mark.parametrize(
    "text", ["2026-W54", "2025-W53", "2026-W00", "W47", "2026-47", "", "week", "1800-W01"]
)
def test_parse_iso_week_rejects(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_iso_week(text)


def test_parse_iso_week_error_names_the_valid_weeks() -> None:
    with pytest.raises(PeriodError) as info:
        parse_iso_week("2026-W54")
    assert "1 to 53" in str(info.value)


# --- instants and local dates ----------------------------------------------------------------


def test_local_date_depends_on_zone() -> None:
    instant = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    assert local_date(instant, LONDON) == date(2026, 11, 20)
    assert local_date(instant, SYDNEY) == date(2026, 11, 21)
    assert local_date(datetime(2026, 11, 21, 3, 0, tzinfo=UTC), NEW_YORK) == date(2026, 11, 20)


def test_local_date_in_summer_time() -> None:
    # 23:30 UTC in July is 00:30 BST the next day.
    assert local_date(datetime(2026, 7, 1, 23, 30, tzinfo=UTC), LONDON) == date(2026, 7, 2)


def test_naive_datetimes_are_taken_as_utc() -> None:
    assert local_date(datetime(2026, 7, 1, 23, 30), LONDON) == date(2026, 7, 2)
    assert as_utc(datetime(2026, 7, 1, 23, 30)) == datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    plus_two = timezone(timedelta(hours=2))
    assert as_utc(datetime(2026, 7, 1, 2, 0, tzinfo=plus_two)).hour == 0


def test_to_utc_plain() -> None:
    result = to_utc(date(2026, 11, 20), time(18, 30), LONDON)
    assert result == datetime(2026, 11, 20, 18, 30, tzinfo=UTC)
    assert result.tzinfo is UTC
    assert to_utc(date(2026, 7, 1), time(18, 30), LONDON) == datetime(
        2026, 7, 1, 17, 30, tzinfo=UTC
    )


def test_to_utc_spring_forward_gap_moves_forward() -> None:
    # 01:30 does not exist on 2026-03-29 in London; fold=0 reads it with GMT: 01:30 UTC = 02:30 BST.
    result = to_utc(date(2026, 3, 29), time(1, 30), LONDON)
    assert result == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert result.astimezone(LONDON).time() == time(2, 30)


def test_to_utc_ambiguous_time_is_first_occurrence() -> None:
    # 01:30 happens twice on 2026-10-25 in London; fold=0 is the BST one.
    assert to_utc(date(2026, 10, 25), time(1, 30), LONDON) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    # Even if the caller asks for fold=1, the result is defined the same way.
    assert to_utc(date(2026, 10, 25), time(1, 30, fold=1), LONDON) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_to_utc_ignores_tzinfo_on_time() -> None:
    assert to_utc(date(2026, 11, 20), time(9, 0, tzinfo=UTC), SYDNEY) == to_utc(
        date(2026, 11, 20), time(9, 0), SYDNEY
    )


# --- bounds ----------------------------------------------------------------------------------


def test_day_bounds_normal_and_dst_days() -> None:
    assert hours(day_bounds_utc(date(2026, 11, 20), LONDON)) == 24
    assert hours(day_bounds_utc(date(2026, 3, 29), LONDON)) == 23
    assert hours(day_bounds_utc(date(2026, 10, 25), LONDON)) == 25
    start, end = day_bounds_utc(date(2026, 7, 1), LONDON)
    assert start == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)


def test_week_bounds_normal_week() -> None:
    start, end = week_bounds_utc(date(2026, 11, 16), LONDON)
    assert start == datetime(2026, 11, 16, tzinfo=UTC)
    assert end == datetime(2026, 11, 23, tzinfo=UTC)
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_week_with_spring_forward_is_167_hours() -> None:
    bounds = week_bounds_utc(date(2026, 3, 23), LONDON)  # contains Sunday 2026-03-29
    assert hours(bounds) == 167
    assert bounds == (
        datetime(2026, 3, 23, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 23, 0, tzinfo=UTC),
    )


def test_week_with_fall_back_is_169_hours() -> None:
    bounds = week_bounds_utc(date(2026, 10, 19), LONDON)  # contains Sunday 2026-10-25
    assert hours(bounds) == 169
    assert bounds == (
        datetime(2026, 10, 18, 23, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 0, 0, tzinfo=UTC),
    )


def test_week_bounds_accept_any_day_of_the_week() -> None:
    assert week_bounds_utc(date(2026, 11, 20), LONDON) == week_bounds_utc(
        date(2026, 11, 16), LONDON
    )


def test_times_on_dst_sundays_fall_in_their_week() -> None:
    dst_sundays = ((date(2026, 3, 29), date(2026, 3, 23)), (date(2026, 10, 25), date(2026, 10, 19)))
    for sunday, monday in dst_sundays:
        start, end = week_bounds_utc(monday, LONDON)
        for wall in (time(0, 30), time(1, 30), time(2, 30), time(23, 59)):
            assert start <= to_utc(sunday, wall, LONDON) < end


# --- Period ----------------------------------------------------------------------------------


def test_period_properties() -> None:
    period = Period(date(2026, 11, 1), date(2026, 12, 1), "November 2026")
    assert period.days == 30
    assert period.mondays() == [date(2026, 10, 26) + timedelta(weeks=i) for i in range(6)]
    assert period.utc_bounds(LONDON) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert period.contains(date(2026, 11, 30))
    assert not period.contains(date(2026, 12, 1))


def test_period_of_one_week_touches_one_monday() -> None:
    period = Period(date(2026, 11, 23), date(2026, 11, 30), "week")
    assert period.mondays() == [date(2026, 11, 23)]


def test_period_must_not_be_empty() -> None:
    with pytest.raises(ValueError):
        Period(date(2026, 11, 2), date(2026, 11, 2), "empty")


def test_period_utc_bounds_across_dst() -> None:
    period = parse_period("2026-03-29", today=TODAY)
    start, end = period.utc_bounds(LONDON)
    assert (end - start) == 23 * HOUR


# --- parse_period ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("week", date(2026, 11, 23), date(2026, 11, 30), "week 2026-W48"),
        ("this", date(2026, 11, 23), date(2026, 11, 30), "week 2026-W48"),
        ("thisweek", date(2026, 11, 23), date(2026, 11, 30), "week 2026-W48"),
        ("  This Week ", date(2026, 11, 23), date(2026, 11, 30), "week 2026-W48"),
        ("WEEK", date(2026, 11, 23), date(2026, 11, 30), "week 2026-W48"),
        ("last", date(2026, 11, 16), date(2026, 11, 23), "last week (2026-W47)"),
        ("lastweek", date(2026, 11, 16), date(2026, 11, 23), "last week (2026-W47)"),
        ("Last Week", date(2026, 11, 16), date(2026, 11, 23), "last week (2026-W47)"),
        ("1w", date(2026, 11, 23), date(2026, 11, 30), "week 2026-W48"),
        ("4w", date(2026, 11, 2), date(2026, 11, 30), "last 4 weeks"),
        ("4W", date(2026, 11, 2), date(2026, 11, 30), "last 4 weeks"),
        ("13w", date(2026, 8, 31), date(2026, 11, 30), "last 13 weeks"),
        ("104w", date(2024, 12, 2), date(2026, 11, 30), "last 104 weeks"),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 23), "week 2026-W47"),
        ("2026w47", date(2026, 11, 16), date(2026, 11, 23), "week 2026-W47"),
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 4), "week 2026-W53"),
        (
            "2026-11-01..2026-11-30",
            date(2026, 11, 1),
            date(2026, 12, 1),
            "2026-11-01 to 2026-11-30",
        ),
        (
            " 2026-11-01 .. 2026-11-30 ",
            date(2026, 11, 1),
            date(2026, 12, 1),
            "2026-11-01 to 2026-11-30",
        ),
        ("2026-11-20..2026-11-20", date(2026, 11, 20), date(2026, 11, 21), "2026-11-20"),
        ("2026-11-20", date(2026, 11, 20), date(2026, 11, 21), "2026-11-20"),
        ("month", date(2026, 11, 1), date(2026, 12, 1), "November 2026"),
        ("lastmonth", date(2026, 10, 1), date(2026, 11, 1), "last month (October 2026)"),
        ("today", date(2026, 11, 25), date(2026, 11, 26), "today (2026-11-25)"),
    ],
)
def test_parse_period_forms(text: str, start: date, end: date, label: str) -> None:
    period = parse_period(text, today=TODAY)
    assert (period.start, period.end, period.label) == (start, end, label)


def test_parse_period_nw_counts_the_current_week() -> None:
    period = parse_period("4w", today=TODAY)
    assert period.days == 28
    assert len(period.mondays()) == 4
    assert period.mondays()[-1] == week_monday(TODAY)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_parse_period_default(text: str | None) -> None:
    assert parse_period(text, today=TODAY).label == "week 2026-W48"
    assert parse_period(text, today=TODAY, default="4w").label == "last 4 weeks"


def test_parse_period_invalid_default_raises_period_error() -> None:
    with pytest.raises(PeriodError):
        parse_period(None, today=TODAY, default="nonsense")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0w", "1 to 104"),
        ("105w", "1 to 104"),
        ("2026-W54", "1 to 53"),
        ("2025-W53", "1 to 52"),
        ("2026-02-30", "no date"),
        ("2026-11-30..2026-11-01", "backwards"),
        ("2024-01-01..2026-01-01", "2 years"),
        ("2026-11-01..2026-02-30", "no date"),
        ("fortnight", "can't read"),
        ("4x", "can't read"),
        ("2026-11", "can't read"),
        ("0000-01-01", "year"),
        ("9999-12-31", "year"),
    ],
)
def test_parse_period_rejects(text: str, fragment: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text, today=TODAY)
    message = str(info.value)
    assert fragment in message
    assert "2026-W47" in message and "4w" in message  # lists the accepted forms
    assert len(message) < 200  # fits a phone screen


def test_two_year_limit_is_inclusive() -> None:
    period = parse_period("2024-01-01..2025-12-31", today=TODAY)
    assert period.days == MAX_PERIOD_DAYS == 731


def test_period_error_is_a_value_error() -> None:
    error = PeriodError("Nope.")
    assert isinstance(error, ValueError)
    assert error.problem == "Nope."
    assert str(error).startswith("Nope. Try:")


def test_parse_period_near_new_year() -> None:
    new_years_day = date(2027, 1, 1)  # a Friday in 2026-W53
    assert parse_period("week", today=new_years_day).label == "week 2026-W53"
    last = parse_period("last", today=new_years_day)
    assert (last.start, last.label) == (date(2026, 12, 21), "last week (2026-W52)")
    assert parse_period("last", today=date(2026, 1, 1)).label == "last week (2025-W52)"
    december = parse_period("month", today=date(2026, 12, 31))
    assert (december.start, december.end) == (date(2026, 12, 1), date(2027, 1, 1))
    last_month = parse_period("lastmonth", today=date(2027, 1, 15))
    assert (last_month.start, last_month.end) == (date(2026, 12, 1), date(2027, 1, 1))
    four = parse_period("4w", today=new_years_day)
    assert four.start == date(2026, 12, 7) and four.end == date(2027, 1, 4)


# --- properties ------------------------------------------------------------------------------

PERIOD_TOKENS = st.sampled_from(
    [
        "week",
        "last",
        "this",
        "month",
        "w",
        "W",
        "-",
        "..",
        "…",
        "to",
        "2026",
        "0000",
        "9999",
        "-W",
        "53",
        "54",
        "00",
        "13",
        "31",
        "02",
        "29",
        " ",
        "٣",
        "²",
        "1" * 5000,
    ]
)
PERIODISH = st.lists(st.one_of(PERIOD_TOKENS, st.text(max_size=4)), max_size=8).map("".join)
DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.none(), st.text(), PERIODISH), today=DATES)
def test_parse_period_raises_only_period_error(text: str | None, today: date) -> None:
    try:
        period = parse_period(text, today=today)
    except PeriodError as error:
        assert str(error)
    else:
        assert period.start < period.end
        assert period.days <= MAX_PERIOD_DAYS
        assert period.label


@settings(max_examples=300, deadline=None)
@given(day=DATES, tz=st.sampled_from(ZONES))
def test_week_bounds_tile_and_start_on_local_monday_midnight(day: date, tz: ZoneInfo) -> None:
    monday = week_monday(day)
    start, end = week_bounds_utc(monday, tz)
    next_start, _ = week_bounds_utc(monday + timedelta(weeks=1), tz)
    previous_start, previous_end = week_bounds_utc(monday - timedelta(weeks=1), tz)

    local_start = start.astimezone(tz)
    assert local_start.weekday() == 0
    assert local_start.time() == time(0, 0)
    assert local_start.date() == monday
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert end == next_start  # no gap or overlap with the following week
    assert previous_end == start  # nor with the one before
    assert previous_start < start
    assert hours((start, end)) in (167, 168, 169)
    assert start <= to_utc(day, time(12, 0), tz) < end
    assert local_date(start, tz) == monday
    assert local_date(end - timedelta(microseconds=1), tz) == monday + timedelta(days=6)


@settings(max_examples=200, deadline=None)
@given(day=DATES, tz=st.sampled_from(ZONES))
def test_day_bounds_tile_the_week(day: date, tz: ZoneInfo) -> None:
    monday = week_monday(day)
    days = [day_bounds_utc(monday + timedelta(days=i), tz) for i in range(7)]
    week_start, week_end = week_bounds_utc(monday, tz)
    assert days[0][0] == week_start and days[-1][1] == week_end
    for (_, end), (start, _) in pairwise(days):
        assert end == start
    assert all(hours(bounds) in (23, 24, 25) for bounds in days)


@settings(max_examples=200, deadline=None)
@given(day=DATES)
def test_iso_week_label_round_trips(day: date) -> None:
    assert parse_iso_week(iso_week_label(day)) == week_monday(day)
    assert parse_period(iso_week_label(day), today=TODAY).start == week_monday(day)


@settings(max_examples=200, deadline=None)
@given(start=DATES, length=st.integers(1, MAX_PERIOD_DAYS))
def test_period_mondays_cover_the_period(start: date, length: int) -> None:
    period = Period(start, start + timedelta(days=length), "x")
    mondays = period.mondays()
    assert mondays[0] <= period.start < mondays[0] + timedelta(weeks=1)
    assert mondays[-1] < period.end <= mondays[-1] + timedelta(weeks=1)
    assert all(m.weekday() == 0 for m in mondays)
    assert all(b - a == timedelta(weeks=1) for a, b in pairwise(mondays))


@settings(max_examples=200, deadline=None)
@given(first=DATES, length=st.integers(0, 800))
def test_ranges_parse_inclusively(first: date, length: int) -> None:
    last = first + timedelta(days=length)
    text = f"{first.isoformat()}..{last.isoformat()}"
    if length + 1 > MAX_PERIOD_DAYS:
        with pytest.raises(PeriodError):
            parse_period(text, today=TODAY)
    else:
        period = parse_period(text, today=TODAY)
        assert (period.start, period.end) == (first, last + timedelta(days=1))


def test_domain_does_not_import_telegram_or_storage() -> None:
    code = (
        "import sys, organiser_bot.domain.periods, organiser_bot.domain.quicklog\n"
        "bad = {'telegram', 'sqlalchemy', 'sqlmodel', 'storage', 'handlers'}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in bad)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 12, 10)),
        (" Tomorrow ", date(2026, 12, 11)),
        ("2026-12-21", date(2026, 12, 21)),
        ("21/12", date(2026, 12, 21)),
        ("3/1", date(2027, 1, 3)),  # day/month without a year: the next one, not last January
        ("1/7", date(2026, 7, 1)),  # ... unless it was within the last six months
        ("3/1/27", date(2027, 1, 3)),
        ("3/1/2028", date(2028, 1, 3)),
        ("31/2", None),
        ("someday", None),
        ("2026-13-01", None),
    ],
)
def test_parse_day_reads_the_days_an_absence_is_given_in(text: str, expected: date | None) -> None:
    assert parse_day(text, today=date(2026, 12, 10)) == expected
