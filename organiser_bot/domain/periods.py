"""ISO weeks and reporting periods, computed in the configured zone and stored as UTC.

A week runs from Monday 00:00 to the next Monday 00:00 local time, so a week containing a DST
change is 167 or 169 hours long. Every bound is half-open ``[start, end)`` and every datetime this
module returns is timezone-aware UTC.

Local wall times that do not exist (the spring-forward gap) or occur twice (the autumn fall-back)
are resolved with ``fold=0`` (PEP 495): a time in the gap is read with the offset in force *before*
the change, which moves it forward by the length of the gap (01:30 on 2026-03-29 in London becomes
01:30 UTC, i.e. 02:30 BST); an ambiguous time is the *first* occurrence (01:30 on 2026-10-25 in
London is 01:30 BST, i.e. 00:30 UTC). This makes local midnight always resolve to the first
instant of the day, even in zones whose DST changes happen at midnight.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_TZ",
    "MAX_PERIOD_DAYS",
    "MAX_WEEKS",
    "PERIOD_HELP",
    "Period",
    "PeriodError",
    "as_utc",
    "iso_week_label",
    "local_date",
    "parse_day",
    "parse_iso_week",
    "parse_period",
    "to_utc",
    "week_monday",
]

#: The zone used when none is configured.
DEFAULT_TZ = ZoneInfo("Europe/London")

#: Longest period ``parse_period`` accepts, in days (two years including a leap day).
MAX_PERIOD_DAYS = 731

#: Largest N accepted in ``Nw``.
MAX_WEEKS = 104

#: Years accepted in period text; anything else is a typo and could overflow ``datetime``.
MIN_YEAR = 1900
MAX_YEAR = 2999

#: Appended to every ``PeriodError`` message.
PERIOD_HELP = "Try: week, last, 4w, 2026-W47, month, 2026-11-20 or 2026-11-01..2026-11-30."

#: The months' English names (not ``calendar.month_name``, which follows the locale).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_ONE_WEEK = timedelta(days=7)
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)

_ISO_WEEK_RE = re.compile(r"([0-9]{4})-?w([0-9]{1,2})", re.IGNORECASE)
_N_WEEKS_RE = re.compile(r"([0-9]{1,4})(?:w|wk|wks|week|weeks)")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_RANGE_RE = re.compile(
    r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})(?:\.\.+|…|to)([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})"
)
_SPACE_RE = re.compile(r"\s+")
_DAY_MONTH_RE = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$")

#: A day and month typed without a year means the next such day from this many days ago on.
_DAY_MONTH_LOOKBACK = timedelta(days=183)


class PeriodError(ValueError):
    """Period text that cannot be used; ``str()`` is a short reply fit for a phone.

    Attributes:
        problem: What was wrong, without the list of accepted forms.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.problem} {PERIOD_HELP}"


def as_utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime.

    Args:
        dt: Any datetime. A naive one is taken to be UTC already (storage is UTC, and SQLite
            hands back naive values).

    Returns:
        The same instant with ``tzinfo=UTC``.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def week_monday(d: date) -> date:
    """Return the Monday of ``d``'s ISO week.

    Args:
        d: Any date.

    Returns:
        ``d`` itself if it is a Monday, else the Monday before it.
    """
    return d - timedelta(days=d.weekday())


def iso_week_label(monday_or_any_date: date) -> str:
    """Return the ISO week label of a date, e.g. ``"2026-W47"``.

    Args:
        monday_or_any_date: Any day of the week; the ISO year is used, so 2027-01-01 gives
            ``"2026-W53"``.

    Returns:
        ``YYYY-Www`` with a zero-padded week number.
    """
    year, week, _ = monday_or_any_date.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse_iso_week(text: str) -> date:
    """Parse an ISO week label and return its Monday.

    Accepts ``2026-W47``, ``2026w47`` and ``2026-W7`` (any case, surrounding spaces ignored).

    Args:
        text: The label.

    Returns:
        The Monday that starts the week.

    Raises:
        PeriodError: The text is not a week label, or the week does not exist (``2026-W54``,
            ``2025-W53``), or the year is implausible.
    """
    match = _ISO_WEEK_RE.fullmatch(_SPACE_RE.sub("", text))
    if match is None:
        raise PeriodError(f"'{_clip(text)}' isn't a week like 2026-W47.")
    year, week = int(match.group(1)), int(match.group(2))
    _check_year(year)
    weeks_in_year = date(year, 12, 28).isocalendar().week
    if not 1 <= week <= weeks_in_year:
        raise PeriodError(f"{year} has weeks 1 to {weeks_in_year}, not {week}.")
    return date.fromisocalendar(year, week, 1)


def local_date(dt: datetime, tz: ZoneInfo) -> date:
    """Return the calendar date of an instant in ``tz``.

    Args:
        dt: An instant; a naive value is taken to be UTC.
        tz: The zone whose calendar is used.

    Returns:
        The local date.
    """
    return as_utc(dt).astimezone(tz).date()


def to_utc(d: date, t: time, tz: ZoneInfo) -> datetime:
    """Return the UTC instant of local wall time ``t`` on ``d`` in ``tz``.

    Nonexistent and ambiguous wall times are resolved with ``fold=0`` (see the module docstring):
    a time in the spring-forward gap moves forward by the gap's length; an ambiguous time is its
    first occurrence. Any ``tzinfo`` or ``fold`` on ``t`` is ignored.

    Args:
        d: Local date.
        t: Local wall time.
        tz: The zone.

    Returns:
        An aware UTC datetime.
    """
    wall = t.replace(tzinfo=None, fold=0)
    return datetime.combine(d, wall, tzinfo=tz).astimezone(UTC)


def parse_day(text: str, *, today: date) -> date | None:
    """Parse one day as typed for an absence.

    Accepted forms (any case, surrounding spaces ignored): ``today``, ``tomorrow``, an ISO date
    ``2026-12-01``, and day/month ``1/12``, ``1/12/26`` or ``1/12/2026``. A day and month without
    a year means the next such day from about six months ago onwards, so ``3/1`` typed in
    December means January of the next year.

    Args:
        text: What the person typed.
        today: The local date "now".

    Returns:
        The day, or None when the text is not a day or names one that does not exist.
    """
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + _ONE_DAY
    try:
        return date.fromisoformat(word)
    except ValueError:
        pass
    match = _DAY_MONTH_RE.match(word)
    if not match:
        return None
    day, month = int(match.group(1)), int(match.group(2))
    year_text = match.group(3)
    try:
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return date(year, month, day)
        candidate = date(today.year, month, day)
        if candidate < today - _DAY_MONTH_LOOKBACK:
            candidate = date(today.year + 1, month, day)
        return candidate
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Period:
    """A run of whole local days.

    Attributes:
        start: First day, inclusive.
        end: Day after the last one (exclusive).
        label: How replies name it, e.g. ``"last week (2026-W47)"``.
    """

    start: date
    end: date
    label: str

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"Period end {self.end} must be after start {self.start}")

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """Return the half-open UTC bounds of the period in ``tz``.

        Args:
            tz: The zone.

        Returns:
            ``(start, end)``: local midnight of ``start`` and of ``end``, as aware UTC.
        """
        return to_utc(self.start, _MIDNIGHT, tz), to_utc(self.end, _MIDNIGHT, tz)

    def mondays(self) -> list[date]:
        """Return the Mondays of every ISO week the period touches, in order."""
        first = week_monday(self.start)
        last = week_monday(self.end - _ONE_DAY)
        count = (last - first).days // 7 + 1
        return [first + i * _ONE_WEEK for i in range(count)]

    def contains(self, d: date) -> bool:
        """Return True if local date ``d`` falls in the period."""
        return self.start <= d < self.end


def parse_period(text: str | None, *, today: date, default: str = "week") -> Period:
    """Parse a period typed by a user.

    Case-insensitive; spaces are ignored. Accepted forms:

    * ``week``, ``this``, ``thisweek``: this ISO week.
    * ``last``, ``lastweek``: the previous ISO week.
    * ``Nw`` (N in 1..104, also ``N weeks``): the last N weeks including this one.
    * ``2026-W47`` or ``2026w47``: that ISO week.
    * ``2026-11-01..2026-11-30`` (also ``…`` or ``to``): inclusive range of days.
    * ``month`` (this calendar month), ``lastmonth``.
    * ``2026-11-20`` (that day), ``today``, ``yesterday``.

    Args:
        text: What the user typed; None or blank means ``default``.
        today: The local date "now".
        default: Period text used when ``text`` is None or blank.

    Returns:
        The period, with a label for replies.

    Raises:
        PeriodError: The text is not a period, names a date or week that does not exist, is a
            reversed range, or is longer than two years. Nothing else is raised.
    """
    raw = text if text is not None and text.strip() else default
    key = _SPACE_RE.sub("", raw).lower()
    try:
        return _parse_period_key(key, raw, today)
    except PeriodError:
        raise
    except (ValueError, OverflowError) as exc:  # pragma: no cover - defensive
        raise PeriodError(f"I can't use '{_clip(raw)}' as a period.") from exc


def _parse_period_key(key: str, raw: str, today: date) -> Period:
    this_monday = week_monday(today)
    if key in ("week", "this", "thisweek"):
        return Period(this_monday, this_monday + _ONE_WEEK, f"week {iso_week_label(today)}")
    if key in ("last", "lastweek"):
        monday = this_monday - _ONE_WEEK
        return Period(monday, this_monday, f"last week ({iso_week_label(monday)})")
    if key in ("month", "thismonth"):
        first = today.replace(day=1)
        return Period(first, next_month(first), _month_label(first))
    if key == "lastmonth":
        first = (today.replace(day=1) - _ONE_DAY).replace(day=1)
        return Period(first, today.replace(day=1), f"last month ({_month_label(first)})")
    if key == "today":
        return Period(today, today + _ONE_DAY, f"today ({today.isoformat()})")
    if key == "yesterday":
        day = today - _ONE_DAY
        return Period(day, today, f"yesterday ({day.isoformat()})")

    if match := _N_WEEKS_RE.fullmatch(key):
        n = int(match.group(1))
        if not 1 <= n <= MAX_WEEKS:
            raise PeriodError(f"Pick 1 to {MAX_WEEKS} weeks, not {n}.")
        if n == 1:
            return Period(this_monday, this_monday + _ONE_WEEK, f"week {iso_week_label(today)}")
        start = this_monday - (n - 1) * _ONE_WEEK
        return Period(start, this_monday + _ONE_WEEK, f"last {n} weeks")

    if _ISO_WEEK_RE.fullmatch(key):
        monday = parse_iso_week(key)
        return Period(monday, monday + _ONE_WEEK, f"week {iso_week_label(monday)}")

    if match := _RANGE_RE.fullmatch(key):
        first = _parse_date(match.group(1))
        last = _parse_date(match.group(2))
        if last < first:
            raise PeriodError("That range is backwards: put the earlier date first.")
        end = last + _ONE_DAY
        if (end - first).days > MAX_PERIOD_DAYS:
            raise PeriodError("That range is over 2 years: pick a shorter one.")
        if first == last:
            return Period(first, end, first.isoformat())
        return Period(first, end, f"{first.isoformat()} to {last.isoformat()}")

    if _DATE_RE.fullmatch(key):
        day = _parse_date(key)
        return Period(day, day + _ONE_DAY, day.isoformat())

    raise PeriodError(f"I can't read '{_clip(raw)}' as a period.")


def _parse_date(text: str) -> date:
    match = _DATE_RE.fullmatch(text)
    if match is None:  # pragma: no cover - callers match first
        raise PeriodError(f"'{_clip(text)}' isn't a date like 2026-11-20.")
    year, month, day = (int(g) for g in match.groups())
    _check_year(year)
    try:
        return date(year, month, day)
    except ValueError:
        raise PeriodError(f"There's no date {_clip(text)}.") from None


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"{year:04d} doesn't look like the right year.")


def month_of(day: date) -> date:
    """The month ``day`` falls in, as its first day."""
    return day.replace(day=1)


def month_end(month: date) -> date:
    """The last day of the month ``month`` falls in."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def next_month(month: date) -> date:
    """The first day of the month after the one ``month`` falls in.

    Raises:
        OverflowError: ``month`` is in December 9999, the last month a date can hold.
    """
    return month_end(month) + timedelta(days=1)


def previous_month(month: date) -> date:
    """The first day of the month before the one ``month`` falls in."""
    return month_of(month.replace(day=1) - timedelta(days=1))


def _month_label(first: date) -> str:
    return f"{MONTH_NAMES[first.month - 1]} {first.year}"


def _clip(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
