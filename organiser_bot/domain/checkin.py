"""The monthly check-in and the residents figure: the two inputs of the measure *residents per
active monthly member* (a team area's residents ÷ the team's members active that month).

Pure rules, no database and no Telegram:

* **When a month is asked about.** The check-in for a month is sent on its last day and may be
  answered until the 7th day of the next month, inclusive (:data:`ANSWER_DAYS_AFTER`): a month is
  judged once it has (nearly) run its course, and a member who missed the message on the last
  day has a week to answer. On any local day at most one month is due (:func:`due_month`): the
  last day of a month asks about that month; the 1st to the 7th ask about the month before;
  other days ask about none. After the 7th the month is *closed*: taps on its buttons change
  nothing, though an organiser may still mark a member for it with ``/active``.
* **Months typed** (:func:`parse_month`): ``thismonth``, ``lastmonth``, ``2026-10``, a month's
  name (``october``, ``oct``): never a month after today's.
* **Residents typed** (:func:`parse_residents`): a whole number from 1 to
  :data:`MAX_RESIDENTS`, digits grouped by threes with ``,``, ``_`` or a space (ordinary, no-break,
  thin or narrow no-break), or not grouped at all.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from organiser_bot.domain.periods import (
    MONTH_NAMES,
    month_end,
    month_of,
    previous_month,
)

#: How many days into the next month a month's check-in may still be answered.
ANSWER_DAYS_AFTER = 7
#: The largest residents figure accepted (more than any council area holds).
MAX_RESIDENTS = 100_000_000
#: The earliest month that may be named (a year typed by mistake, like 0206, is refused).
EARLIEST_MONTH = date(2000, 1, 1)

THIS_MONTH = ("thismonth", "this-month", "month", "this")
LAST_MONTH = ("lastmonth", "last-month", "last")

_MONTH_WORDS = {
    word: number
    for number, name in enumerate(MONTH_NAMES, start=1)
    for word in (name.casefold(), name[:3].casefold())
} | {"sept": 9}
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
#: Digit-group separators accepted in a residents figure: comma, underscore, space, no-break
#: space (U+00A0), thin space (U+2009) and narrow no-break space (U+202F).
_SEPARATORS = ",_ \u00a0\u2009\u202f"
_GROUPED = re.compile(rf"[0-9]{{1,3}}(?:[{_SEPARATORS}][0-9]{{3}})+")
_PLAIN = re.compile(r"[0-9]+")


def asked_on(month: date) -> date:
    """The day the check-in for ``month`` is first sent: the month's last day."""
    return month_end(month)


def closes_on(month: date) -> date:
    """The last day the check-in for ``month`` may be answered: the 7th of the next month.

    Any month a date can hold has one, so a month read from a forged button never fails here:
    for December 9999, whose next month no date can hold, it is ``date.max`` (31 December 9999).
    """
    end = month_end(month)
    if date.max - end < timedelta(days=ANSWER_DAYS_AFTER):
        return date.max
    return end + timedelta(days=ANSWER_DAYS_AFTER)


def due_month(today: date) -> date | None:
    """The month whose check-in is open on the local day ``today`` (its first day), or None.

    The last day of a month gives that month; the 1st to the 7th give the month before; any
    other day gives None. Each day of a month's window (:func:`is_open`) gives that month.
    """
    if today == month_end(today):
        return month_of(today)
    if today.day <= ANSWER_DAYS_AFTER:
        return previous_month(today)
    return None


def is_open(month: date, today: date) -> bool:
    """Whether the check-in for ``month`` may be answered on ``today``: from the month's last
    day through the 7th of the next (:func:`asked_on` .. :func:`closes_on`, inclusive)."""
    return asked_on(month) <= today <= closes_on(month)


def parse_month(word: str, today: date) -> date | None:
    """The month ``word`` names, as its first day; None when it names none, or names a month
    after ``today``'s or before :data:`EARLIEST_MONTH`.

    ``thismonth`` (also ``this``, ``month``), ``lastmonth`` (``last``), ``2026-10``, or a
    month's name in English, whole or cut to three letters (``october``, ``oct``, any case):
    the latest such month that is not after ``today``'s (in November, ``december`` is last
    year's).
    """
    text = word.strip().casefold()
    this = month_of(today)
    if text in THIS_MONTH:
        return this
    if text in LAST_MONTH:
        return previous_month(this)
    if (iso := _ISO_MONTH.fullmatch(text)) is not None:
        year, number = int(iso.group(1)), int(iso.group(2))
        if not 1 <= number <= 12:
            return None
        month = date(year, number, 1)
        return month if EARLIEST_MONTH <= month <= this else None
    named = _MONTH_WORDS.get(text)
    if named is None:
        return None
    year = this.year if named <= this.month else this.year - 1
    return date(year, named, 1)


def names_a_month(word: str) -> bool:
    """Whether ``word`` is a month's English name, whole or cut to three letters (``may``,
    ``oct``, any case): a word that may also be a team's short name, unlike ``thismonth`` or
    ``2026-10``."""
    return word.strip().casefold() in _MONTH_WORDS


def parse_residents(text: str) -> int | None:
    """The residents figure ``text`` gives: a whole number from 1 to :data:`MAX_RESIDENTS`.

    Accepted: ``12400``, ``12,400``, ``12 400`` (any of the spaces in :data:`_SEPARATORS`),
    ``12_400``; groups after the first must have three digits. None for anything else: 0,
    a sign, a decimal point, words, or a figure over the maximum.
    """
    text = text.strip()
    if not (_PLAIN.fullmatch(text) or _GROUPED.fullmatch(text)):
        return None
    value = int("".join(ch for ch in text if ch.isdigit()))
    return value if 1 <= value <= MAX_RESIDENTS else None
