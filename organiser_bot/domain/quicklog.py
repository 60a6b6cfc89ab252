"""Quick logs typed on a phone: ``121 Sam Patel``, ``doors 14 yesterday``, ``2x121 Jo last night``.

Grammar of one line (whitespace-separated tokens; keywords are case-insensitive)::

    [LEAD] [COUNT] KIND [COUNT | WHEN]... [NOTE] [COUNT | WHEN]...     with #team anywhere

A confirmation is only as good as the reading behind it, so the rule throughout is: a token
that looks like a count, a day or a time is read, or the line is refused with a hint. It never
slips silently into the note.

Kinds
    ``KIND`` is any name the :class:`~organiser_bot.domain.kinds.KindRegistry` knows, up to three
    tokens (``one to one``, ``resident contact``, ``121``), longest first. Trailing
    punctuation (``121:``, ``doors,``) is ignored and so is a plural ``s`` (``121s``,
    ``one to ones``, ``cases``). Glued counts are split: ``2x121``, ``121x3``.
    ``LEAD`` is how people start a sentence: ``had``, ``did``, ``done`` or ``held``, optionally
    after ``i``/``just``/``also`` and before ``a``/``an``/``another``: ``had a 121 with Sam``,
    ``did 3 121s``; an article alone too (``a 121 with Jo``). It is skipped only when a kind
    follows. A possessive ``'s`` is ignored (``121's Jo``) and en dashes read as hyphens
    (``1–2–1``). A day/time phrase before the kind is read too: ``yesterday 121 Jo``.

Counts (1..500; once per line)
    * Before the kind: ``14 doors``, ``+3 doors`` (button text), ``2x121``, ``3x 121``,
      ``3 x 121``, ``3×121``, ``x3 121``.
    * After the kind, among the leading day/time words: a bare number, trailing ``!``/``.``
      ignored (``doors 14!``, ``doors yesterday 14``), or a multiplier. Wrapping marks are
      ignored (``doors (14)``, ``doors =14``, ``doors ~14``, ``doors 14+``, ``doors - 14``),
      and so are a number word one..twenty (``doors fourteen``, ``121 two``) and counts said in
      several words (``twenty one``, ``twenty-one``, ``thirty``, ``a dozen``, ``2 dozen``,
      ``one hundred``, ``x two``). An inexact count first in the note (``about 10``,
      ``10ish``, ``1o``, ``l4``, ``10-15``, ``one two``) and a count typed twice
      (``doors 14 14``) are refused. Digits of any
      script count (``doors １４``, ``doors ١٤``); ``1,000`` is read and refused as over 500.
    * Multipliers, read at the start or the end of the line: ``x3``, ``3x``, ``×3``, ``*3``,
      ``x 3``, ``+3``, ``(x3)``, ``twice``, ``2 times``, ``two times`` (``121 Sam x3`` is
      three one-to-ones with Sam).
    * A bare number after the note is part of the note: ``121 Sam flat 12`` is one one-to-one,
      note "Sam flat 12". ``121 5 Acacia Ave`` is five; write ``121 1 5 Acacia Ave`` for one.
    * A multiplier in the middle of the note is refused: put it after the kind, or quote the
      note.

Days and times (``WHEN``), read right after the kind/count and at the end of the line
    * Days: ``today``, ``yesterday`` (``yday``, ``yest``, ``ystd``, ``y'day``), ``(the) day
      before yesterday``, a weekday (``mon``, ``monday``...: the most recent
      such day, today included), ``this <weekday>`` (this week's, Monday first; a later day
      this week is the future),
      ``last <weekday>`` (strictly before today), ``N days ago``, ``a day ago``,
      ``N weeks ago`` (``N`` a number or a word one..twenty; ``3days ago``, ``2 wks ago``),
      ``2026-11-20``, ``20/11`` (the most recent such date not after today; one within
      :data:`_FUTURE_DATE_DAYS` days after today is the future, not last year), ``20/11/2026``,
      ``20/11/26``, ``25 nov``, ``nov 25``, ``25th November``, ``25.11``, ``25-11``, ``25th``
      (this month's; a day after today's is refused: which month?); an optional ``on`` may
      precede a day. ``9-10`` and ``12.11`` could be times: refused, asking which.
      Wrapping marks are ignored: ``(yesterday)``, ``[yesterday]``, ``yesterday…``, and
      trailing emoji after a phrase at the end (``121 Jo yesterday 🙂``).
    * Times: ``18:30``, ``at 18:30``, ``at 9``, ``at 18.30``, ``9am``, ``6:30pm``, ``9 am``,
      ``@9am``, ``@ 9``, ``noon``/``midday``; a range means its start (``9-10am``,
      ``9:00-10:00``). ``N hours ago``, ``an hour ago``, ``N mins ago`` mean now less that.
      ``15h30`` reads as ``15:30``. Spoken times: ``half six`` (6:30, as in the UK),
      ``half past 6``, ``quarter past 3``, ``quarter to 4`` (3:45), also after ``at``; the hour
      is read as ``at 6`` is (06:00), lifted past noon only by a part of the day
      (``yesterday evening half six`` is 18:30). A dotted time such as ``15.00`` is read only
      beside a day (``15.00 yesterday``, ``yesterday 15.00``); alone it is a note word (an
      amount), and one whose minutes could be a month (``15.05``) is asked about.
      A bare ``1030`` after the note is a note word, as any bare number there.
    * Parts of the day, after a day (``yesterday evening``, ``mon morning``,
      ``last fri night``, ``yday pm``) or as ``this morning``/``this afternoon``/
      ``this evening`` (also ``this morn``/``this am``/``this pm``/``this arvo``),
      ``tonight`` (``tonite``, ``2nite``), ``last night`` (``last nite``). Each stands for a
      local wall time and begins at a local wall time:

      =========== ======= =========== =========================================
      part        means   begins      also written
      =========== ======= =========== =========================================
      morning     09:00   05:00       ``am`` after a day, ``morn``
      lunchtime   12:30   11:30       ``lunch`` after a day
      afternoon   14:00   12:00       ``pm`` after a day, ``arvo``
      evening     18:00   17:00       ``eve``
      night       21:00   17:00       ``tonight``, ``last night``
      =========== ======= =========== =========================================

      A part of today that has not begun is in the future and refused (``tonight`` at 10:00);
      one that has begun but whose time is still ahead means now (``tonight`` at 19:30). With
      a clock time the time wins, and a 1-11 o'clock time without am/pm is read in the part's
      half of the day (``yesterday evening at 6:30`` is 18:30). Alone, ``morning`` and friends
      are note words (``coffee morning``).
    * The future is refused with a reason: ``tomorrow`` (and ``tommorow``, ``2moro``...),
      ``next mon``, ``next week``, ``in 2 days``, ``in a week``, ``in an hour``, ``2 days
      from now``, ``later``, ``later today``, ``soon``, ``this weekend``, ``next weekend``,
      a date after today, a time later today beyond :data:`FUTURE_GRACE`.
    * Phrases that name no single day are refused, never read as today: ``last week``,
      ``last month``, ``the other day``, ``few days ago``, ``a couple of days ago``,
      ``last weekend``, ``at the weekend``, ``this week``, ``earlier this week``,
      ``a few days back``, ``recently``, ``2 months ago``.
    * At most one day, one time and one part of the day per line.
    * A day or time word or phrase in the middle of the note (``121 Sam today Patel``,
      ``... last night ...``, ``... 18:30 ...``, ``... 20/11 ...``) is refused with a hint.
      ``sat``, ``sun`` and ``wed`` are ordinary words there (``Jo sat in``); ``at 9`` is too
      (``at 9 Elm Road``), as are the bare parts of the day. When nothing but day-ish words
      follow it (``yesterday 3ish``, ``Tuesday last``, ``24 November 2026``), the phrase is at
      the end already and is refused as unreadable instead.
    * A note word one or two edits (a swap counts as one) from a day word is refused as a
      misspelling: ``yesterdy``, ``wednsday``, ``tusday`` (one edit for 5-7 letters, two
      for longer words; a part of the day, ``evning``, only after a day word). Spelt-right
      day and month words never count as misspellings of each other.
    * Relative days the grammar does not read are refused in the note: ``the day before``,
      ``before last``, ``the other night``, ``3 days back``, ``sunday gone``, ``Tuesday
      last``; so is a phrase read at the end that has an amount glued before it
      (``twenty one days ago``, ``2 or 3 days ago``, ``half an hour ago``), never read as
      the part after the glue.

Teams
    ``#name`` anywhere sets the team and is taken out of the note (also in brackets,
    ``(#north)``, glued to a word, ``Sam#north``, or with a full-width ``＃`` or small ``﹟``),
    for every team short name: digits first (``#5-towns``), any script (``#северный-район``,
    ``#北区``); punctuation of any script after it is not part of it (``#北区。``).
    ``@name`` is a tag too when the name holds a hyphen, as no Telegram username can:
    ``@5-towns`` is the team, while ``@sam`` stays in the note and ``@9-10am`` is a time.
    A tag is ``#`` (or such an ``@``) followed by a word holding at least one letter; the use
    case refuses one that names none
    of the person's teams. ``#12`` (no letter: a house or case number) stays in the note, so a
    team whose short name has no letter cannot be tagged.

One entry per line
    A kind word after a separator (``;``, ``,``, ``/``, ``and``, ``&``, ``+``, ``then``) is a
    second entry and refused when it repeats the line's kind or a count or capitalised name
    follows it: ``121 Sam; doors 14``, ``121 Sam and 121 Jo``. ``case about doors`` and
    ``121 Sam and doors`` stay notes.

Notes
    Everything else, spacing collapsed, case kept, is the note (500 characters at most).
    Leading connectors are dropped: ``with``, ``w/`` or a lone separator such as ``-`` or ``:``
    (``1-2-1 with Jo`` and ``121 with with Jo`` have note "Jo"); so are separators left at
    its end when a phrase after them was read (``121 Jo, yesterday`` has note "Jo"). Words
    in double quotes (``"..."`` or ``“...”``) are note
    words read as written, neither counts, days nor tags; when the whole note is quoted, the
    quotes are dropped: ``121 yesterday "Sam said today was bad"``.

Without a day or time the entry happened now. A past day without a time means 12:00 local that
day; a time without a day means today. Wall times are converted with
:func:`organiser_bot.domain.periods.to_utc` (``fold=0`` in DST gaps and overlaps).

:func:`is_chatter` tells plain chatter (``thanks!``, ``ok``, ``👍``, ``cheers mate``,
``спасибо``, ``no worries``, ``thank you Sam``) from a failed log attempt; :func:`command_word`
reads a bare ``help``, ``undo`` or ``cancel``, a phrase such as ``help me``, ``undo that`` or
``that's wrong``, or a short question with no digit or kind (``what can you do?``) as the command
it means.

Nothing here raises on any input text: problems come back as :class:`LineError` values.

Why the grammar reads dates itself
    ``dateparser`` 1.5.0 and ``parsedatetime`` 2.6 were tried on this grammar's forms (Friday
    2026-11-20 15:00, London). ``dateparser`` read most phrases but moved a later time to
    yesterday instead of refusing it (``at 18:30`` gave 2026-11-19 18:30), read ``21/11`` a
    year back without a word and, searching a whole line, took note words for dates
    (``121 May`` gave 20 May, ``121 Sam at the march`` 20 March). ``parsedatetime`` read
    weekdays forward (``mon`` and ``mon morning`` gave next Monday), ``this morning`` and
    ``last night`` as 29 November, could not read ``18/11`` and took the kind ``121`` for
    01:21. Neither refuses the future nor knows where a note ends, so the refusals and the
    note's edges would stay this module's code either way.

    Cost per call: ``dateparser.parse`` 2.0-2.4 ms, ``search_dates`` 1.7-3.3 ms,
    ``parsedatetime`` 60-400 us; this whole grammar about 40 us a line. On
    ``bench/bench_quicklog.py --updates 2000`` (a shared, loaded machine; best of 3 alternating
    runs) a quick log cost 2.70 ms one at a time with the grammar alone, 5.96 ms with
    ``search_dates`` run on each line (the date step 1.37 ms, 23% of a quick log) and 2.76 ms
    with ``parsedatetime`` (180 us, 5%). Neither is used: ``dateparser`` misreads in ways that
    would each need code around it, more than doubles a quick log's cost and pulls ``regex``,
    ``pytz``, ``tzlocal`` and ``dateutil`` (190 ms to import, 400 ms to its first parse);
    ``parsedatetime`` is cheaper but wrong on most of the forms above.

    The forms added here (parts of the day, multipliers, near misses, the middle-of-note
    check) took the grammar from 19 to 39 us a line on the benchmark's mixed lines (best of 4)
    and a quick log from 1.92 to 2.24 ms one at a time, within the machine's noise: the
    grammar is under 2% of a quick log.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NoReturn
from zoneinfo import ZoneInfo

from organiser_bot.domain.kinds import Kind, KindRegistry
from organiser_bot.domain.periods import as_utc, local_date, to_utc

__all__ = [
    "FUTURE_GRACE",
    "MAX_COUNT",
    "MAX_LINES",
    "MAX_NOTE_CHARS",
    "LineError",
    "ParsedEntry",
    "QuickLog",
    "command_word",
    "is_chatter",
    "parse_line",
    "parse_quick_log",
]

log = logging.getLogger(__name__)

MAX_COUNT = 500
MAX_NOTE_CHARS = 500
MAX_LINES = 50
#: Lines longer than this are refused before tokenising.
MAX_LINE_CHARS = 4 * MAX_NOTE_CHARS
#: How far past ``now`` an entry may be (phone clocks drift).
FUTURE_GRACE = timedelta(minutes=5)

EXAMPLE = "121 Sam Patel tenants assoc"
EXAMPLE_COUNT = "doors 14"
EXAMPLE_MULTIPLIER = "121 x3 Sam Patel"
EXAMPLE_WHEN = "doors 14 yesterday at 18:30"
EXAMPLE_TEAM = "121 Sam Patel #north"
EXAMPLE_NOTE = "case 2 housing repair"

_NOON = time(12, 0)
_ONE_DAY = timedelta(days=1)
_INTERNAL_ERROR = "Sorry, I couldn't read that line."
#: The longest day/time phrase, in tokens (``on last fri evening``).
_MAX_PHRASE = 5

_WEEKDAYS: dict[str, int] = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_DAYS_AGO: dict[str, int] = {
    "today": 0,
    "yesterday": 1,
    "yday": 1,
    "yest": 1,
    "ystd": 1,
    "y'day": 1,
    "y’day": 1,
}
_TOMORROW = frozenset(
    {"tomorrow", "tmrw", "tmr", "tomoz", "tommorow", "tomorow", "tommorrow", "2moro", "2morrow"}
)
_TONIGHT = frozenset({"tonight", "tonite", "2nite", "2night"})
_AGO_UNITS: dict[str, int] = {"day": 1, "days": 1, "week": 7, "weeks": 7, "wk": 7, "wks": 7}
_HOUR_UNITS: dict[str, int] = {
    "hour": 60,
    "hours": 60,
    "hr": 60,
    "hrs": 60,
    "min": 1,
    "mins": 1,
    "minute": 1,
    "minutes": 1,
}
#: Units too coarse to name a day: ``2 months ago`` is refused as vague.
_VAGUE_UNITS = frozenset({"month", "months", "year", "years"})
#: Amounts that name no number: ``few days ago``, ``couple days ago``.
_VAGUE_AMOUNTS = frozenset({"few", "couple", "several", "some", "many"})
_NUMBER_WORDS: dict[str, int] = {
    word: n
    for n, word in enumerate(
        [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ],
        start=1,
    )
}
#: Counts said as words at the edges of the line: ``121 Jo twice``.
_TIMES_ADVERBS: dict[str, int] = {"once": 1, "twice": 2, "thrice": 3}
_MONTHS: dict[str, int] = {
    name: n
    for n, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ),
        start=1,
    )
    for name in names.split()
}
#: A ``dd/mm`` without a year at most this many days after today is the future, not last year.
_FUTURE_DATE_DAYS = 31
_ONE = frozenset({"a", "an", "one"})
_FUTURE_UNITS = frozenset(_AGO_UNITS) | set(_HOUR_UNITS) | _VAGUE_UNITS
#: Phrases that can only mean later than now.
_FUTURE_PHRASES: frozenset[tuple[str, ...]] = frozenset(
    {
        ("later",),
        ("soon",),
        ("later", "today"),
        ("later", "on"),
        ("this", "weekend"),
        ("next", "weekend"),
        ("in", "the", "future"),
    }
)
_VAGUE: frozenset[tuple[str, ...]] = frozenset(
    {
        ("last", "week"),
        ("last", "month"),
        ("the", "other", "day"),
        ("days", "ago"),
        ("last", "weekend"),
        ("the", "weekend"),
        ("at", "the", "weekend"),
        ("over", "the", "weekend"),
        ("earlier", "this", "week"),
        ("earlier", "in", "the", "week"),
        ("this", "week"),
        ("few", "days", "back"),
        ("a", "few", "days", "back"),
        ("couple", "of", "days", "ago"),
        ("a", "couple", "of", "days", "ago"),
        ("recently",),
    }
)
#: Fixed phrases naming a day: (phrase, days before today).
_DAY_PHRASES: dict[tuple[str, ...], int] = {
    ("day", "before", "yesterday"): 2,
    ("the", "day", "before", "yesterday"): 2,
}
#: Words that read as a day wherever they stand; ``sat``, ``sun`` and ``wed`` only at the edges.
_DAY_WORDS = (
    (frozenset(_WEEKDAYS) - {"sat", "sun", "wed"}) | set(_DAYS_AGO) | _TOMORROW | _TONIGHT | {"ago"}
)

#: Words a misspelling of which in the note is refused: ``yesterdy``, ``wednsday``, ``tonigt``.
_FUZZY_DAYS = (
    "yesterday",
    "today",
    "tomorrow",
    "tonight",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
#: Parts of the day whose misspellings count only after a day word: ``yesterday evning``.
_FUZZY_PARTS = ("morning", "evening", "afternoon", "night")
#: Tens said as words: ``doors thirty``, ``twenty one``.
_TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
#: Words that make a number inexact: ``doors about 10``.
_APPROX = frozenset({"about", "around", "approx", "approximately", "roughly", "circa"})
#: Words that join a number to a phrase read after it: ``2 or 3 days ago``, ``half an hour ago``.
_AMOUNT_GLUE = frozenset({"or", "to", "and", "half", "-", "–", "&", "+"}) | set(_TENS)
#: Relative-day phrases the grammar does not read; in the note they are refused.
_UNREAD_DAY_PHRASES: tuple[tuple[str, ...], ...] = (
    ("before", "last"),
    ("the", "previous", "day"),
    ("the", "other", "night"),
    ("the", "other", "evening"),
    ("the", "day", "before"),
    ("a", "week", "last"),
    ("days", "back"),
    ("day", "back"),
    ("weeks", "back"),
    ("week", "back"),
)
#: Words that, after a weekday, make a phrase the grammar does not read: ``sunday gone``.
_WEEKDAY_TAILS = frozenset({"gone", "last", "just", "past"})
#: Words that may follow a day word at the end of the note in a phrase the grammar can't read.
_WHENISH = frozenset(
    {"o'clock", "oclock", "arvo", "midnight", "gone", "ish", "just", "past", "before"}
)
#: Separators after which a kind word starts a second entry: ``121 Sam; doors 14``.
_ENTRY_SEPARATORS = frozenset({";", ",", "/", "and", "&", "+", "then", "|"})

_LETTERS: dict[str, Counter[str]] = {w: Counter(w) for w in (*_FUZZY_DAYS, *_FUZZY_PARTS)}


#: Words a day/time phrase may start or end with, besides those starting with a digit.
_PHRASE_STARTS = (
    frozenset(_WEEKDAYS)
    | set(_DAYS_AGO)
    | _TOMORROW
    | _TONIGHT
    | _ONE
    | set(_NUMBER_WORDS)
    | set(_MONTHS)
    | _VAGUE_AMOUNTS
    | {"on", "last", "this", "next", "at", "in", "the", "days", "day", "@"}
    | {"later", "soon", "earlier", "over", "recently", "noon", "midday", "half", "quarter"}
)
_PHRASE_ENDS = (
    frozenset(_WEEKDAYS)
    | set(_DAYS_AGO)
    | _TOMORROW
    | _TONIGHT
    | _FUTURE_UNITS
    | set(_MONTHS)
    | {"ago", "week", "month", "year", "day", "am", "pm", "a.m", "p.m"}
    | {"morning", "morn", "afternoon", "arvo", "evening", "eve", "night", "nite", "lunchtime"}
    | {"lunch"}
    | set(_NUMBER_WORDS)
    | {"now", "later", "soon", "weekend", "back", "future", "on", "recently", "noon", "midday"}
)


@dataclass(frozen=True, slots=True)
class _Part:
    """A part of the day: the wall time it stands for and the wall time it begins."""

    at: time
    begins: time
    pm: bool


_MORNING = _Part(time(9), time(5), pm=False)
_AFTERNOON = _Part(time(14), time(12), pm=True)
_EVENING = _Part(time(18), time(17), pm=True)
_NIGHT = _Part(time(21), time(17), pm=True)
_LUNCHTIME = _Part(time(12, 30), time(11, 30), pm=True)
_PARTS: dict[str, _Part] = {
    "morning": _MORNING,
    "morn": _MORNING,
    "lunchtime": _LUNCHTIME,
    "lunch": _LUNCHTIME,
    "am": _MORNING,
    "afternoon": _AFTERNOON,
    "pm": _AFTERNOON,
    "evening": _EVENING,
    "eve": _EVENING,
    "night": _NIGHT,
    "nite": _NIGHT,
    "arvo": _AFTERNOON,
}
#: Parts after ``this``; ``am``/``pm`` only after a day.
_THIS_PARTS = frozenset(
    {"morning", "morn", "afternoon", "arvo", "evening", "eve", "night", "lunchtime", "am", "pm"}
)

#: Day and time words spelt right: never a misspelling of one another (``sunday``, ``evening``).
_KNOWN_WHEN_WORDS = (
    frozenset(_WEEKDAYS) | set(_DAYS_AGO) | _TOMORROW | _TONIGHT | set(_PARTS) | set(_MONTHS)
)

# Control characters other than whitespace (NUL cannot be stored in PostgreSQL text).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_DIGITS_RE = re.compile(r"[0-9]+")
_PLUS_RE = re.compile(r"\+([0-9]+)")
_MULTIPLIER_RE = re.compile(r"[x×*]([0-9]+)|([0-9]+)[x×*]|\+([0-9]+)")
_TIMES_WORDS = frozenset({"x", "×", "*"})
_GLUED_BEFORE_RE = re.compile(r"([0-9]{1,3})[x×*](\S+)", re.IGNORECASE)
_GLUED_AFTER_RE = re.compile(r"(\S+?)[x×*]([0-9]{1,3})", re.IGNORECASE)
_ISO_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_UK_DATE_RE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}|[0-9]{2}))?")
_CLOCK_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DOTTED_RE = re.compile(r"([0-9]{1,2})\.([0-9]{2})")
_H_CLOCK_RE = re.compile(r"([0-9]{1,2})h([0-9]{2})")
_HOUR_RE = re.compile(r"[0-9]{1,2}")
_ORDINAL_RE = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?")
_DOTTED_DATE_RE = re.compile(r"([0-9]{1,2})([.-])([0-9]{1,2})")
_THOUSANDS_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")
_GLUED_AGO_RE = re.compile(r"([0-9]{1,3})([a-z]+)")
_RANGE_RE = re.compile(r"([0-9:.]+(?:am|pm)?)[-–]([0-9:.]+(?:am|pm)?)")
_MERIDIEM_RE = re.compile(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?(am|pm|a\.m|p\.m)")
_MERIDIEM_WORD_RE = re.compile(r"am|pm|a\.m|p\.m")
_TRAILING_PUNCT = ".,;!?"
#: Stripped from a token before it is read as a count, day or time: ``(yesterday)``, ``=14``.
_NORM_TRAILING = _TRAILING_PUNCT + ")]…+"
_NORM_LEADING = "([=~"
_KIND_PUNCT = ":,;.!"
_SEPARATORS = frozenset({"-", "–", "—", ":", ";", ",", "|", "/"})
_CONNECTORS = _SEPARATORS | {"with", "w/"}
_QUOTES = '"quotes"'
_OPEN_QUOTES = ('"', "“")
_CLOSE_QUOTES = ('"', "”")
_LEAD_SUBJECTS = frozenset({"i", "just", "also"})
_LEAD_VERBS = frozenset({"had", "did", "done", "held"})
_LEAD_ARTICLES = frozenset({"a", "an", "another"})


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry read from a quick-log line.

    Attributes:
        kind: Kind key (``one_to_one``).
        count: How many, 1..500.
        occurred_at: When it happened, aware UTC.
        note: Free text, spacing collapsed, case kept; may be empty.
        team: Team tag without ``#``, lower case, or None. Any tag is handed over, known or
            not: whether it names one of the person's teams is the caller's business.
        dated: True if the user gave a day or a time explicitly.
        timed: True if the user gave a time of day (a clock time or a part of the day), so
            the confirmation can show the time as well as the day.
    """

    kind: str
    count: int
    occurred_at: datetime
    note: str
    team: str | None
    dated: bool
    timed: bool = False


@dataclass(frozen=True, slots=True)
class LineError:
    """Why a line could not be logged, phrased for a phone.

    Attributes:
        line_no: 1-based line number in the message.
        line: The line as typed (surrounding whitespace removed).
        message: Short, friendly explanation.
        example: A correct line to copy.
    """

    line_no: int
    line: str
    message: str
    example: str


@dataclass(frozen=True, slots=True)
class QuickLog:
    """Result of parsing a whole message: all entries, or the first bad line and no entries."""

    entries: tuple[ParsedEntry, ...]
    error: LineError | None

    @property
    def ok(self) -> bool:
        """True when every line parsed."""
        return self.error is None


@dataclass(frozen=True, slots=True)
class _Problem:
    message: str
    example: str


_FUTURE = _Problem("That's in the future: log it once it's happened.", EXAMPLE_WHEN)


def _vague(words: Sequence[str]) -> _Problem:
    return _Problem(
        f"Which day is '{_clip(' '.join(words))}'? Give the day, like mon or 18/11:",
        EXAMPLE_WHEN,
    )


@dataclass(frozen=True, slots=True)
class _When:
    """What one day/time phrase says."""

    day: date | None = None
    at: time | None = None
    meridiem: bool = False
    part: _Part | None = None
    #: ``2 hours ago``: how long before now.
    back: timedelta | None = None


class _LineFailure(Exception):
    """Internal: carries a problem out of the nested helpers."""

    def __init__(self, problem: _Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def parse_quick_log(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    kinds: KindRegistry,
    max_age_days: int = 56,
) -> QuickLog:
    """Parse a message of quick-log lines, one entry per non-blank line, all or nothing.

    Args:
        text: The message text.
        now: The current instant (a naive value is taken to be UTC).
        tz: The configured zone; days and times are local to it.
        kinds: Known activity kinds.
        max_age_days: Oldest day, in days before today, that may be logged.

    Returns:
        Every entry, or no entries and the first bad line (including the 51st non-blank line,
        or line 1 if there is nothing to log). Never raises.
    """
    entries: list[ParsedEntry] = []
    seen = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        seen += 1
        if seen > MAX_LINES:
            error = LineError(
                line_no,
                line.strip(),
                f"Up to {MAX_LINES} lines per message, please: send the rest separately.",
                EXAMPLE,
            )
            return QuickLog((), error)
        result = parse_line(
            line, now=now, tz=tz, kinds=kinds, line_no=line_no, max_age_days=max_age_days
        )
        if isinstance(result, LineError):
            return QuickLog((), result)
        entries.append(result)
    if not entries:
        return QuickLog((), LineError(1, "", "Nothing to log. Start with a kind:", EXAMPLE))
    return QuickLog(tuple(entries), None)


def parse_line(
    line: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    kinds: KindRegistry,
    line_no: int = 1,
    max_age_days: int = 56,
) -> ParsedEntry | LineError:
    """Parse one quick-log line.

    Args:
        line: The line as typed.
        now: The current instant (a naive value is taken to be UTC).
        tz: The configured zone.
        kinds: Known activity kinds.
        line_no: Reported in a :class:`LineError`.
        max_age_days: Oldest day, in days before today, that may be logged.

    Returns:
        The entry, or a :class:`LineError`. Never raises.
    """
    try:
        return _parse_line(line, now, tz, kinds, max_age_days)
    except _LineFailure as failure:
        problem = failure.problem
        return LineError(line_no, line.strip(), problem.message, problem.example)
    except Exception:  # pragma: no cover - last-resort guard; a bug if reached
        log.exception("quick-log parser failed on line %r", line[:200])
        return LineError(line_no, line.strip(), _INTERNAL_ERROR, EXAMPLE)


#: Words that are chatter, not a log, when a whole message is made of them.
_CHATTER_WORDS = frozenset(
    {
        "thanks",
        "thank",
        "thankyou",
        "you",
        "u",
        "thx",
        "ty",
        "ta",
        "cheers",
        "ok",
        "okay",
        "k",
        "kk",
        "cool",
        "great",
        "nice",
        "lovely",
        "perfect",
        "brilliant",
        "good",
        "hi",
        "hello",
        "hey",
        "hiya",
        "morning",
        "afternoon",
        "evening",
        "night",
        "bye",
        "yes",
        "yeah",
        "yep",
        "no",
        "nope",
        "sure",
        "noted",
        "got",
        "it",
        "so",
        "much",
        "very",
        "all",
        "lol",
        "np",
        "and",
        "again",
        "bot",
        "mate",
        "one",
        "there",
        "that",
        "thats",
        "is",
        "amazing",
        "awesome",
        "brill",
        "ace",
        "wow",
        "x",
        "xx",
        "sorry",
        "haha",
        "hahaha",
        "please",
        "спасибо",
        "merci",
        "gracias",
        "worries",
        "problem",
        "will",
        "do",
        "sounds",
        "stuff",
        "yup",
        "alright",
        "okie",
        "grand",
        "sweet",
        "hmm",
        "huh",
        "see",
        "love",
        "gn",
        "merry",
        "xmas",
        "christmas",
        "oops",
        "never",
        "mind",
    }
)
#: ``thank you Sam``, ``thanks for yesterday``: a thank-you may end with any two words.
_THANKS = frozenset({"thanks", "thank", "thankyou", "thx", "ty", "cheers"})
_CHATTER_MAX_WORDS = 6


def is_chatter(text: str, kinds: KindRegistry) -> bool:
    """True when ``text`` is plainly not an attempt to log: a thank-you, a greeting, an emoji.

    Conservative on purpose: every word must be one of a short list of courtesies
    (``thanks``, ``thank you``, ``ok``, ``cheers``, ``hi``, ``good morning``...), at most six of
    them, or the text must hold no letter or digit at all (``👍``, ``🙏🙏``). Anything with a
    digit, a ``#`` or a word naming a kind is never chatter, so a failed log keeps its
    explanation.

    Args:
        text: The whole message.
        kinds: Known activity kinds (an admin may have made ``ta`` a kind).

    Returns:
        Whether a friendly short reply fits better than a parse error.
    """
    if not text.strip() or any(ch.isdigit() or ch == "#" for ch in text):
        return False
    words = [
        "".join(ch for ch in token if ch.isalpha() or ch == "'").lower() for token in text.split()
    ]
    words = [w.replace("'", "") for w in words if w.strip("'")]
    if not words:
        return True  # emoji and punctuation only
    if len(words) > _CHATTER_MAX_WORDS or any(kinds.lookup(word) is not None for word in words):
        return False
    if all(word in _CHATTER_WORDS for word in words):
        return True
    # ``thank you Sam``, ``thanks for yesterday``: thanks, then at most two words of anything.
    lead = 2 if words[:2] == ["thank", "you"] else 1
    return words[0] in _THANKS and len(words) - lead <= 2


_BUILTIN_KINDS = KindRegistry()
_COMMAND_WORDS: dict[str, str] = {
    "help": "help",
    "help me": "help",
    "how does this work": "help",
    "how does it work": "help",
    "start": "help",
    "menu": "help",
    "undo": "undo",
    "cancel": "undo",
    "undo that": "undo",
    "undo last": "undo",
    "delete that": "undo",
    "remove that": "undo",
    "cancel that": "undo",
    "ignore that": "undo",
    "wrong": "undo",
    "thats wrong": "undo",
    "that was wrong": "undo",
    "sorry wrong chat": "undo",
    "wrong chat": "undo",
}


def command_word(text: str, kinds: KindRegistry | None = None) -> str | None:
    """The command a bare word or short phrase means: ``help`` -> "help", ``undo`` -> "undo".

    A new user types ``help`` or ``undo`` without the slash; the adapter can point them to the
    command instead of reporting an unknown kind. ``help me``, ``start``, ``menu`` and any short
    question with no digit (``what can you do?``, ``is this working?``) mean help; ``cancel``,
    ``undo that``, ``delete that``, ``that's wrong``, ``sorry wrong chat`` mean undo. A question
    naming a kind (``how do I log 121?`` has a digit; ``doors?``) is left to the parser.

    Args:
        text: The whole message.
        kinds: Known activity kinds; the built-in ones when None.

    Returns:
        ``"help"`` or ``"undo"``, or None when the message is anything else.
    """
    stripped = text.strip().lower()
    words = "".join(ch for ch in stripped if ch.isalnum() or ch.isspace()).split()
    command = _COMMAND_WORDS.get(" ".join(words))
    if command is not None:
        return command
    if (
        stripped.endswith("?")
        and 0 < len(words) <= _CHATTER_MAX_WORDS
        and not any(ch.isdigit() or ch == "#" for ch in stripped)
        and not any(_lookup_kind([word], 0, kinds or _BUILTIN_KINDS)[0] for word in words)
    ):
        return "help"
    return None


# --- the parser ----------------------------------------------------------------------------


class _Reading:
    """What the line has said so far: count, day, time and part of the day, each at most once."""

    __slots__ = ("at", "back", "count", "day", "meridiem", "part", "prefix_count", "today")

    def __init__(self, today: date) -> None:
        self.today = today
        self.count: int | None = None
        self.prefix_count = False
        self.day: date | None = None
        self.at: time | None = None
        self.meridiem = False
        self.part: _Part | None = None
        self.back: timedelta | None = None

    def add_count(self, digits: str) -> None:
        if self.count is not None:
            _fail("Give the count once, please:", EXAMPLE_COUNT)
        self.count = _check_count(digits)

    def add_when(self, when: _When | _Problem) -> None:
        if isinstance(when, _Problem):
            _fail(when.message, when.example)
        if when.day is not None:
            if self.day is not None:
                _fail("Two days on one line: give just one.", EXAMPLE_WHEN)
            self.day = when.day
        if when.at is not None:
            if self.at is not None:
                _fail("Two times on one line: give just one.", EXAMPLE_WHEN)
            self.at, self.meridiem = when.at, when.meridiem
        if when.part is not None:
            if self.part is not None:
                _fail("Two times on one line: give just one.", EXAMPLE_WHEN)
            self.part = when.part
        if when.back is not None:
            if self.back is not None or self.day is not None or self.at is not None:
                _fail("Two times on one line: give just one.", EXAMPLE_WHEN)
            self.back = when.back
        if self.back is not None and (self.day is not None or self.at is not None):
            _fail("Two times on one line: give just one.", EXAMPLE_WHEN)

    @property
    def timed(self) -> bool:
        return self.at is not None or self.part is not None or self.back is not None


def _parse_line(
    line: str, now: datetime, tz: ZoneInfo, kinds: KindRegistry, max_age_days: int
) -> ParsedEntry:
    if len(line) > MAX_LINE_CHARS:
        _fail(f"That line is too long (a note can be {MAX_NOTE_CHARS} characters).", EXAMPLE)
    tokens = _CONTROL_RE.sub("", line).replace("＃", "#").replace("﹟", "#").split()
    if not tokens:
        _fail("Nothing to log on this line. Start with a kind:", EXAMPLE)

    quoted = _quoted_span(tokens)
    team, tokens, quoted = _take_team(tokens, quoted)
    if not tokens:
        _fail("Add what you did before the #team:", EXAMPLE_TEAM)
    # After the tag is taken: a team's short name keeps its own digits.
    tokens = [_ascii_digits(tok) for tok in tokens]

    reading = _Reading(local_date(now, tz))
    tokens, quoted = _leading_when(tokens, quoted, kinds, reading)
    tokens, quoted = _skip_lead(tokens, quoted, kinds)
    tokens, quoted = _unglue(tokens, quoted, kinds)
    digits, start = _count_prefix(tokens, kinds)
    if digits is not None:
        reading.add_count(digits)
        reading.prefix_count = True
    elif _PLUS_RE.fullmatch(tokens[0]):
        # ``+N`` without a kind after it (or an unknown one).
        if len(tokens) == 1:
            _fail(f"{tokens[0]} what? Add a kind after it:", f"{tokens[0]} 121")
        start = 1
        reading.add_count(tokens[0][1:])

    kind, used = _lookup_kind(tokens, start, kinds)
    if kind is None:
        _fail_unknown_kind(tokens[start], kinds)
    offset = start + used
    rest = tokens[offset:]
    literal = _literal_flags(len(rest), quoted, offset)

    note_start, note_end = _read_edges(rest, literal, reading)
    _refuse_second_entry(rest, literal, note_start, note_end, kind, kinds)
    note = _note(rest, literal, note_start, note_end, quoted is not None)
    if note_end < len(rest):
        # ``121 Jo, yesterday``: the separator went with the day.
        note = note.rstrip("".join(_SEPARATORS) + " ")
    if len(note) > MAX_NOTE_CHARS:
        _fail(
            f"That note is too long ({len(note)} characters; {MAX_NOTE_CHARS} max).",
            EXAMPLE_NOTE,
        )

    count = reading.count
    word = _kind_words_for(kind) if count is None else f"{_kind_words_for(kind)} {count}"
    occurred_at = _resolve_when(reading, now, tz, max_age_days, word)
    return ParsedEntry(
        kind=kind.key,
        count=1 if count is None else count,
        occurred_at=occurred_at,
        note=note,
        team=team,
        dated=reading.day is not None or reading.timed,
        timed=reading.timed,
    )


def _ascii_digits(line: str) -> str:
    """Digits of any script as ASCII: ``１４``, ``١٤`` -> ``14``."""
    if line.isascii():
        return line
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in line
    )


def _norm(tok: str) -> str:
    """A token as read for counts, days and times: lower case, wrapping punctuation gone."""
    return tok.lower().rstrip(_NORM_TRAILING).lstrip(_NORM_LEADING)


def _kind_follows(tokens: list[str], kinds: KindRegistry) -> bool:
    rest = _unglue(_skip_lead(tokens, None, kinds)[0], None, kinds)[0]
    return _lookup_kind(rest, _count_prefix(rest, kinds)[1], kinds)[0] is not None


def _leading_when(
    tokens: list[str], quoted: _Span | None, kinds: KindRegistry, reading: _Reading
) -> tuple[list[str], _Span | None]:
    """Read a day/time phrase written before the kind: ``yesterday 121 Jo``."""
    if _kind_follows(tokens, kinds):
        return tokens, quoted
    norm = [_norm(tok) for tok in tokens]
    hi = len(norm) if quoted is None else quoted[0]
    found = _match_when(norm, [False] * len(norm), 0, hi, reading.today, from_end=False)
    if found is None or found[1] >= len(tokens) or not _kind_follows(tokens[found[1] :], kinds):
        return tokens, quoted
    reading.add_when(found[0])
    return tokens[found[1] :], _shift(quoted, found[1])


def _fail(message: str, example: str) -> NoReturn:
    raise _LineFailure(_Problem(message, example))


def _fail_unknown_kind(word: str, kinds: KindRegistry) -> NoReturn:
    words = _kind_words(kinds)
    _fail(f"I don't know '{_clip(word)}'. Start with a kind: {', '.join(words)}.", EXAMPLE)


# --- quotes, tags and the words before the kind -----------------------------------------------

_Span = tuple[int, int]


def _quoted_span(tokens: Sequence[str]) -> _Span | None:
    """``[first, last]`` token indexes of the quoted words, or None; never the first token."""
    first = next((i for i in range(1, len(tokens)) if tokens[i].startswith(_OPEN_QUOTES)), None)
    if first is None:
        return None
    for last in range(len(tokens) - 1, first - 1, -1):
        tok = tokens[last]
        if tok.endswith(_CLOSE_QUOTES) and (last > first or len(tok) >= 2):
            return first, last
    return None


def _shift(quoted: _Span | None, removed_before: int) -> _Span | None:
    return None if quoted is None else (quoted[0] - removed_before, quoted[1] - removed_before)


def _take_team(
    tokens: list[str], quoted: _Span | None
) -> tuple[str | None, list[str], _Span | None]:
    team: str | None = None
    rest: list[str] = []
    lo, hi = quoted if quoted is not None else (-1, -1)
    new_lo = new_hi = -1
    for i, tok in enumerate(tokens):
        if i == lo:
            new_lo = len(rest)
        glued = tok.find("#", 1)
        if (
            not lo <= i <= hi
            and glued > 0
            and _has_alnum(tok[:glued])
            and _tag(tok[glued:]) is not None
        ):
            # ``Sam#north``: the word before the tag is the note's.
            tok, rest = tok[glued:], [*rest, tok[:glued]]
        if not lo <= i <= hi and (tag := _tag(tok)) is not None:
            if team is not None and tag != team:
                _fail("One #team per line, please:", EXAMPLE_TEAM)
            team = tag
        else:
            rest.append(tok)
        if i == hi:
            new_hi = len(rest) - 1
    return team, rest, (None if quoted is None else (new_lo, new_hi))


def _tag(token: str) -> str | None:
    """The team a ``#tag`` token names, lower case; None unless ``#`` starts a lettered word."""
    token = token.lstrip("([")
    if not token.startswith(("#", "@")):
        return None
    word = token[1:].rstrip(_TRAILING_PUNCT + ")]")
    while word and unicodedata.category(word[-1]) == "Po":
        word = word[:-1]  # any script's full stop or comma: ``#شمالی-ٹیم۔``, ``#北区。``
    if not any(ch.isalpha() for ch in word):
        return None
    if token.startswith("@") and ("-" not in word or _match_time(word.lower(), with_at=True)):
        # Telegram usernames have no ``-``: ``@5-towns`` is a team; ``@sam``, ``@9-10am`` are not.
        return None
    return word.lower()


def _skip_lead(
    tokens: list[str], quoted: _Span | None, kinds: KindRegistry
) -> tuple[list[str], _Span | None]:
    """Drop ``had a`` / ``did`` / ``i just had an`` before a (counted) kind."""
    i = 0
    while i < len(tokens) - 1 and tokens[i].lower() in _LEAD_SUBJECTS:
        i += 1
    if i >= len(tokens) - 1:
        return tokens, quoted
    if tokens[i].lower() in _LEAD_VERBS:
        i += 1
    elif tokens[i].lower() not in _LEAD_ARTICLES:
        return tokens, quoted
    if tokens[i].lower() in _LEAD_ARTICLES and i + 1 < len(tokens):
        i += 1
    if quoted is not None and quoted[0] < i:
        return tokens, quoted
    rest = _unglue(tokens[i:], None, kinds)[0]
    if _lookup_kind(rest, _count_prefix(rest, kinds)[1], kinds)[0] is None:
        return tokens, quoted
    return tokens[i:], _shift(quoted, i)


def _unglue(
    tokens: list[str], quoted: _Span | None, kinds: KindRegistry
) -> tuple[list[str], _Span | None]:
    """Split a glued first token: ``2x121`` into ``2x 121``, ``121x3`` into ``121 x3``."""
    first = tokens[0]
    if kinds.lookup(first) is not None or (quoted is not None and quoted[0] == 0):
        return tokens, quoted
    if (match := _GLUED_BEFORE_RE.fullmatch(first)) and _lookup_kind(
        [match.group(2), *tokens[1:]], 0, kinds
    )[0]:
        return [first[: match.start(2)], match.group(2), *tokens[1:]], _shift(quoted, -1)
    if (match := _GLUED_AFTER_RE.fullmatch(first)) and _lookup_kind([match.group(1)], 0, kinds)[0]:
        return [match.group(1), first[match.end(1) :], *tokens[1:]], _shift(quoted, -1)
    return tokens, quoted


def _count_prefix(tokens: Sequence[str], kinds: KindRegistry) -> tuple[str | None, int]:
    """A count written before a kind (``14 doors``, ``3 x 121``): (digits, tokens), or (None, 0)."""
    if len(tokens) < 2:
        return None, 0
    first = tokens[0].lower()
    digits: str | None = None
    width = 1
    if _DIGITS_RE.fullmatch(first):
        if _lookup_kind(tokens, 0, kinds)[0] is not None:
            return None, 0  # ``121 ...``: the number is the kind
        digits = first
        if tokens[1].lower() in _TIMES_WORDS:
            width = 2
    elif match := _MULTIPLIER_RE.fullmatch(first):
        digits = next(g for g in match.groups() if g)
    if digits is None or _lookup_kind(tokens, width, kinds)[0] is None:
        return None, 0
    return digits, width


def _lookup_kind(tokens: Sequence[str], i: int, kinds: KindRegistry) -> tuple[Kind | None, int]:
    """Find a kind named at ``tokens[i]``: longest first. Returns (kind, tokens used)."""
    for width in range(
        min(kinds.widest(tokens[i]) if i < len(tokens) else 0, len(tokens) - i), 0, -1
    ):
        head = " ".join(tokens[i : i + width - 1])
        last = tokens[i + width - 1]
        for word in _kind_word_forms(last):
            kind = kinds.lookup(f"{head} {word}" if head else word)
            if kind is not None:
                return kind, width
    return None, 0


def _kind_word_forms(word: str) -> tuple[str, ...]:
    """``word`` as typed, without trailing punctuation, and without a plural ``s``."""
    bare = word.rstrip(_KIND_PUNCT)
    forms = [word, bare] if bare else [word]
    if bare[-2:] in ("'s", "’s") and len(bare) > 2:
        bare = bare[:-2]  # ``121's Jo``
        forms.append(bare)
    if "–" in bare or "—" in bare:
        bare = bare.replace("–", "-").replace("—", "-")  # ``1–2–1`` typed with en dashes
        forms.append(bare)
    if len(bare) > 1 and bare[-1] in "sS":
        forms.append(bare[:-1])
    return tuple(dict.fromkeys(forms))


def _check_count(digits: str) -> int:
    if len(digits) > 3 or int(digits) > MAX_COUNT:
        shown = digits if len(digits) <= 6 else digits[:6] + "…"
        _fail(f"{shown} looks like a typo: the most is {MAX_COUNT} per line.", EXAMPLE_COUNT)
    value = int(digits)
    if value < 1:
        _fail("The count must be at least 1:", EXAMPLE_COUNT)
    return value


# --- after the kind: counts and when-phrases at the edges, then the note ----------------------


def _literal_flags(n: int, quoted: _Span | None, offset: int) -> list[bool]:
    """Which of the ``n`` tokens after the kind are inside the quotes."""
    flags = [False] * n
    if quoted is not None:
        for i in range(max(quoted[0] - offset, 0), min(quoted[1] - offset + 1, n)):
            flags[i] = True
    return flags


def _read_edges(rest: list[str], literal: list[bool], reading: _Reading) -> tuple[int, int]:
    """Read counts and day/time phrases at the start and end of ``rest``.

    Returns the note's slice ``[start, end)`` of ``rest``.
    """
    norm = [_norm(tok) for tok in rest]
    today = reading.today
    start = 0
    while start < len(norm) and not literal[start]:
        found = _match_when(norm, literal, start, len(norm), today, from_end=False)
        if found is not None:
            reading.add_when(found[0])
            start += found[1]
            continue
        tok = norm[start]
        said = _count_words(norm, literal, start) if reading.count is None else None
        if said is not None:
            reading.add_count(str(said[0]))  # ``doors twenty one``, ``doors 2 dozen``
            start += said[1]
            continue
        if _DIGITS_RE.fullmatch(tok) or tok in _NUMBER_WORDS or _THOUSANDS_RE.fullmatch(tok):
            if reading.count is not None and not reading.prefix_count:
                if tok == str(reading.count):
                    _fail_count(f"{tok} {tok}")  # ``doors 14 14``: typed twice, or two counts?
                break  # ``121 1 5 Acacia Ave``: the second number is the note's
            if _match_multiplier(norm, literal, start, len(norm), reading, from_end=False):
                start += 2  # ``121 2 times``
                continue
            reading.add_count(str(_NUMBER_WORDS.get(tok, tok)).replace(",", ""))
            start += 1
            continue
        if (
            (tok in _SEPARATORS or tok == "")
            and start + 1 < len(norm)
            and not literal[start + 1]
            and _DIGITS_RE.fullmatch(norm[start + 1])
        ):
            start += 1  # ``doors - 14``, ``doors = 14``
            continue
        width = _match_multiplier(norm, literal, start, len(norm), reading, from_end=False)
        if not width:
            break
        start += width

    end = len(norm)
    while end > start and not literal[end - 1]:
        # Trailing emoji and punctuation are looked past: ``121 Jo yesterday 🙂``.
        peel = end
        while peel > start and not literal[peel - 1] and not _has_alnum(norm[peel - 1]):
            peel -= 1
        if peel == start:
            break
        found = _match_when(norm, literal, start, peel, today, from_end=True)
        if found is not None:
            _refuse_glued_amount(norm, literal, start, peel - found[1], peel)
            reading.add_when(found[0])
            end = peel - found[1]
            continue
        width = _match_multiplier(norm, literal, start, peel, reading, from_end=True)
        if not width:
            break
        end = peel - width

    for i in range(start, end):
        if literal[i]:
            continue
        # A phrase of several words (``last night``, ``this morning``, ``wed evening``) is a
        # day even where its words alone are not; ``at 9`` is left to addresses.
        found = _match_when(norm, literal, i, end, today, from_end=False)
        if found is not None and found[1] > 1 and norm[i] not in ("at", "@"):
            _fail_stray_when(norm, i, i + found[1], end)
        _refuse_stray(norm, i, end, start)
    return start, end


def _count_words(norm: Sequence[str], literal: Sequence[bool], i: int) -> tuple[int, int] | None:
    """A count said in words of more than one number: ``twenty one``, ``2 dozen``, ``a hundred``.

    Returns (value, tokens taken), or None when ``norm[i]`` starts no such count.
    """
    toks = [norm[j] for j in range(i, min(i + 2, len(norm))) if not literal[j]]
    first = toks[0] if toks else ""
    second = toks[1] if len(toks) > 1 else ""
    if match := re.fullmatch(r"([a-z]+)-([a-z]+)", first):
        tens, unit = match.groups()
        if tens in _TENS and unit in _NUMBER_WORDS and _NUMBER_WORDS[unit] < 10:
            return _TENS[tens] + _NUMBER_WORDS[unit], 1  # ``twenty-one``
        return None
    scale = {"dozen": 12, "hundred": 100}
    if first in scale:
        return scale[first], 1
    if second in scale and (first in _ONE or first in _NUMBER_WORDS or first.isdigit()):
        many = 1 if first in _ONE else int(_NUMBER_WORDS.get(first, first) or 0)
        return many * scale[second], 2
    if first in _TENS:
        if second in _NUMBER_WORDS and _NUMBER_WORDS[second] < 10:
            return _TENS[first] + _NUMBER_WORDS[second], 2
        return _TENS[first], 1
    return None


def _refuse_second_entry(
    rest: Sequence[str], literal: Sequence[bool], lo: int, hi: int, kind: Kind, kinds: KindRegistry
) -> None:
    """Refuse two logs on one line: ``121 Sam; doors 14``, ``121 Sam and 121 Jo``.

    Conservative: a kind word after a separator counts only when it is the line's own kind again
    or a count or a capitalised name follows it, so ``case about doors`` stays a note.
    """
    for i in range(lo + 1, hi):
        if literal[i] or literal[i - 1]:
            continue
        before = rest[i - 1]
        if not (before.lower() in _ENTRY_SEPARATORS or before[-1:] in ";,/"):
            continue
        found, used = _lookup_kind(rest, i, kinds)
        if found is None:
            continue
        nxt = rest[i + used] if i + used < hi else ""
        if found == kind or _DIGITS_RE.fullmatch(_norm(nxt)) or nxt[:1].isupper():
            _fail(
                "One entry per line, please: put each on its own line, like\n"
                f"{EXAMPLE}\n{EXAMPLE_COUNT}",
                f"{EXAMPLE}\n{EXAMPLE_COUNT}",
            )


def _has_alnum(tok: str) -> bool:
    return any(ch.isalnum() for ch in tok)


def _match_multiplier(
    norm: Sequence[str],
    literal: Sequence[bool],
    lo: int,
    hi: int,
    reading: _Reading,
    *,
    from_end: bool,
) -> int:
    """Read a multiplier (``x3``, ``3x``, ``x 3``, ``+3``) at the edge; tokens taken or 0."""
    i = hi - 1 if from_end else lo
    if match := _MULTIPLIER_RE.fullmatch(norm[i]):
        reading.add_count(next(g for g in match.groups() if g))
        return 1
    if norm[i] in _TIMES_ADVERBS:
        reading.add_count(str(_TIMES_ADVERBS[norm[i]]))
        return 1
    if hi - lo >= 2:
        j = hi - 2 if from_end else lo
        if literal[j + 1] or literal[j]:
            return 0
        if norm[j] in _TIMES_WORDS and (
            _DIGITS_RE.fullmatch(norm[j + 1]) or norm[j + 1] in _NUMBER_WORDS
        ):
            reading.add_count(str(_NUMBER_WORDS.get(norm[j + 1], norm[j + 1])))  # ``x two``
            return 2
        if norm[j + 1] == "times" and (_DIGITS_RE.fullmatch(norm[j]) or norm[j] in _NUMBER_WORDS):
            reading.add_count(str(_NUMBER_WORDS.get(norm[j], norm[j])))  # ``2 times``
            return 2
    return 0


def _refuse_stray(norm: Sequence[str], i: int, end: int, start: int) -> None:
    """Refuse a count- or day-looking token inside the note ``norm[start:end]``."""
    tok = norm[i]
    nxt = norm[i + 1] if i + 1 < end else ""
    if i == start:
        _refuse_inexact_count(tok, nxt)
        if tok in _APPROX and (_DIGITS_RE.fullmatch(nxt) or nxt in _NUMBER_WORDS):
            _fail_count(f"{tok} {nxt}")  # ``doors about 10``; ``Jo about 10 flats`` is a note
    for phrase in _UNREAD_DAY_PHRASES:
        if tuple(norm[i : min(i + len(phrase), end)]) == phrase:
            _fail_unread(norm, i, i + len(phrase), end)
    if tok == "back" and i > start and (norm[i - 1] in _NUMBER_WORDS or norm[i - 1].isdigit()):
        _fail_unread(norm, i - 1, i + 1, end)
    if tok in _WEEKDAYS and nxt in _WEEKDAY_TAILS:
        _fail_unread(norm, i, i + 2, end)
    if _near_day(tok, norm[i - 1] if i > start else ""):
        _fail_unread(norm, i, i + 1, end, misspelt=True)
    if _MULTIPLIER_RE.fullmatch(tok) or (tok in _TIMES_WORDS and _DIGITS_RE.fullmatch(nxt)):
        shown = tok if tok not in _TIMES_WORDS else f"{tok} {nxt}"
        _fail(
            f"'{_clip(shown)}' looks like a count: "
            f"put it after the kind, or the note in {_QUOTES}.",
            EXAMPLE_MULTIPLIER,
        )
    if tok == "ago":
        _fail(
            "I can't tell when that was: write it like 2 days ago or 3 hours ago, after the note.",
            EXAMPLE_WHEN,
        )
    if tok in _DAY_WORDS or _is_date_or_clock(tok):
        _fail_stray_when(norm, i, i + 1, end)


def _fail_stray_when(norm: Sequence[str], lo: int, hi: int, end: int) -> NoReturn:
    """Refuse the day/time words ``norm[lo:hi]`` inside a note ending at ``end``.

    "Put it at the end" is no help when it is at the end already, followed only by words the
    grammar can't read with it (``yesterday 3ish``, ``Tuesday last``): then say so.
    """
    if _at_note_end(norm, hi, end):
        _fail_unread(norm, lo, hi, end)
    _fail(
        f"'{_clip(' '.join(norm[lo:hi]))}' looks like a day or time: "
        f"put it at the end, or the note in {_QUOTES}.",
        EXAMPLE_WHEN,
    )


def _at_note_end(norm: Sequence[str], hi: int, end: int) -> bool:
    """Whether only day-ish words (``at 6 o'clock``, ``arvo``, ``3ish``) follow ``norm[hi]``."""
    return all(
        _has_digit(tok)
        or tok in _PHRASE_STARTS
        or tok in _PHRASE_ENDS
        or tok in _WHENISH
        or not _has_alnum(tok)
        or _near_day(tok, "yesterday")
        for tok in norm[hi:end]
    )


def _fail_unread(
    norm: Sequence[str], lo: int, hi: int, end: int, *, misspelt: bool = False
) -> NoReturn:
    """Refuse a day/time phrase the grammar can't read, ``norm[lo:hi]`` with any day-ish tail."""
    if misspelt:
        _fail(
            f"'{_clip(norm[lo])}' looks like a day: check the spelling, "
            f"or put the note in {_QUOTES}.",
            EXAMPLE_WHEN,
        )
    if _at_note_end(norm, hi, end):
        hi = end
    _fail(
        f"I can't read '{_clip(' '.join(norm[lo:hi]), 30)}' as a day or time: write it like "
        f"yesterday 18:30 or 3 days ago, or put the note in {_QUOTES}.",
        EXAMPLE_WHEN,
    )


def _refuse_glued_amount(
    norm: Sequence[str], literal: Sequence[bool], lo: int, i: int, hi: int
) -> None:
    """Refuse an end phrase glued to an amount before it: ``twenty one days ago``, ``2 or 3``."""
    first = norm[i]
    if i <= lo or literal[i - 1]:
        return
    before = norm[i - 1]
    amount = first[:1].isdigit() or first in _NUMBER_WORDS or first in _ONE
    multiplied = i - 2 >= lo and norm[i - 2] in _TIMES_WORDS  # ``x 1 2 days ago``
    if amount and not multiplied and (before in _AMOUNT_GLUE or before in _NUMBER_WORDS):
        first_said = i - 2 if i - 2 >= lo and _has_digit(norm[i - 2]) else i - 1  # ``2 or 3``
        _fail(
            f"I can't read '{_clip(' '.join(norm[first_said:hi]), 30)}' as a day or time: "
            f"give one number, like 3 days ago, or put the note in {_QUOTES}.",
            EXAMPLE_WHEN,
        )


def _refuse_inexact_count(tok: str, nxt: str) -> None:
    """Refuse a count-looking first note word: ``10ish``, ``1o``, ``l4``, ``10-15``, ``14 14``."""
    if re.fullmatch(r"[0-9]+ish|[0-9]+[oO]|[lI][0-9]+|[0-9]+[-–][0-9]+|[0-9]+[oO][0-9]*", tok) or (
        tok in _NUMBER_WORDS and (nxt in _NUMBER_WORDS or nxt in ("dozen", "hundred"))
    ):
        _fail_count(tok)


def _fail_count(words: str) -> NoReturn:
    _fail(
        f"'{_clip(words)}' looks like a count: give one number after the kind, "
        f"or put the note in {_QUOTES}.",
        EXAMPLE_COUNT,
    )


def _has_digit(tok: str) -> bool:
    return any(ch.isdigit() for ch in tok)


def _near_day(tok: str, before: str) -> bool:
    """Whether ``tok`` is a misspelt day word (``yesterdy``, ``monady``), not the word itself.

    Within one edit (a transposition counts as one) for words of 5 to 7 letters, two for longer
    ones. A part of the day (``evning``) counts only after a day word (``yesterday evning``).
    """
    word = tok.removesuffix("'s").removesuffix("’s")
    if len(word) < 5 or not word.isalpha() or word in _KNOWN_WHEN_WORDS:
        return False
    parts = before in _KNOWN_WHEN_WORDS or before in ("this", "last") or _near_day(before, "")
    return _misspelt_when(word, parts)


@lru_cache(maxsize=8192)
def _misspelt_when(word: str, parts: bool) -> bool:
    """Whether ``word`` is within the edit limit of a day word (or, with ``parts``, a part of
    the day). Cached: every note word of every log passes here, and names repeat; uncached, the
    check cost ~0.3 ms per quick log (``bench/bench_quicklog.py``, grammar alone)."""
    limit = 1 if len(word) <= 7 else 2
    targets = _FUZZY_DAYS + _FUZZY_PARTS if parts else _FUZZY_DAYS
    letters = Counter(word)
    for target in targets:
        if abs(len(word) - len(target)) > limit:
            continue
        # Each edit adds at most one letter the target lacks: a cheap bound that spares most
        # words the full distance.
        if sum((letters - _LETTERS[target]).values()) > limit:
            continue
        if _edit_distance(word, target, limit) <= limit:
            return True
    return False


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, adjacent
    transpositions), or ``limit + 1`` as soon as it must exceed ``limit``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


def _is_date_or_clock(tok: str) -> bool:
    if not tok or not tok[0].isdigit():
        return False
    found = _match_day(tok, date(2000, 1, 1)) or _match_time(tok, with_at=False)
    return isinstance(found, (date, _When))


def _note(
    rest: Sequence[str], literal: Sequence[bool], start: int, end: int, has_quotes: bool
) -> str:
    tokens = list(rest[start:end])
    flags = literal[start:end]
    while tokens and not flags[0] and tokens[0].lower() in _CONNECTORS:
        tokens, flags = tokens[1:], flags[1:]  # ``121 with with Jo``
    if has_quotes and tokens and all(flags):
        # The whole note is quoted: the quotes are not part of it.
        text = " ".join(tokens)
        return text[1:-1].strip()
    return " ".join(tokens)


def _match_when(
    norm: Sequence[str],
    literal: Sequence[bool],
    lo: int,
    hi: int,
    today: date,
    *,
    from_end: bool,
) -> tuple[_When | _Problem, int] | None:
    """Longest day/time phrase starting at ``lo`` or ending at ``hi``: (reading, width)."""
    # Most lines have no phrase at either edge: rule them out on one token.
    if from_end:
        edge = norm[hi - 1]
        if not (edge[:1].isdigit() or edge in _PHRASE_ENDS or edge.startswith("@")):
            return None
    else:
        edge = norm[lo]
        if not (
            edge[:1].isdigit()
            or edge in _PHRASE_STARTS
            or edge.startswith("@")
            or (lo + 2 < hi and norm[lo + 2] == "ago")
        ):
            return None
    for width in range(min(_MAX_PHRASE, hi - lo), 0, -1):
        first = hi - width if from_end else lo
        if any(literal[first : first + width]):
            continue
        part = _match_phrase(norm[first : first + width], today)
        if part is not None:
            return part, width
    return None


def _match_phrase(toks: Sequence[str], today: date) -> _When | _Problem | None:
    """The day/time phrase exactly covering ``toks``; a _Problem if it is one but invalid."""
    n = len(toks)
    first = toks[0]
    phrase = tuple(toks)
    if phrase in _VAGUE:
        return _vague(toks)
    if phrase in _FUTURE_PHRASES:
        return _FUTURE
    if toks[-1] == "ago" and (ago := _ago(toks)) is not None:
        if isinstance(ago, _When) and ago.day is not None:
            return _When(day=today - (ago.day - date.min))
        return ago
    if n >= 3 and toks[-2:] == ["from", "now"]:
        return _FUTURE if _ago([*toks[:-2], "ago"]) is not None else None
    spoken = _spoken_time(toks[1:] if first in ("at", "@") else toks)
    if spoken is not None:
        return spoken
    if n >= 2 and (dotted := _dotted_time(first)) is not None:
        # ``15.00 yesterday``: a dotted time is read only with a day beside it (else money).
        after = _day_phrase(toks, 1, today)
        if after is not None and after[1] == n:
            day_after = after[0]
            return day_after if isinstance(day_after, _Problem) else _When(day=day_after, at=dotted)
        return None
    i = 1 if first == "on" and n > 1 else 0
    found = _day_phrase(toks, i, today)
    if found is not None:
        day, j = found
        if j == n:
            return day if isinstance(day, _Problem) else _When(day=day)
        if j == n - 1 and toks[j] in _PARTS:
            return day if isinstance(day, _Problem) else _When(day=day, part=_PARTS[toks[j]])
        if j == n - 1 and (dotted := _dotted_time(toks[j])) is not None:
            return day if isinstance(day, _Problem) else _When(day=day, at=dotted)
        return None
    if i:
        return None
    if n == 1:
        if first in _TONIGHT:
            return _When(day=today, part=_NIGHT)
        if first.startswith("@") and len(first) > 1:
            return _match_time(first[1:], with_at=True)
        return _match_time(first, with_at=False)
    second = toks[1]
    if n == 2:
        if first == "this" and second in _THIS_PARTS:
            return _When(day=today, part=_PARTS[second])
        if first == "last" and second in ("night", "nite"):
            return _When(day=today - _ONE_DAY, part=_NIGHT)
        if first in ("at", "@"):
            return _match_time(second, with_at=True)
        if _HOUR_RE.fullmatch(first) and _MERIDIEM_WORD_RE.fullmatch(second):
            return _match_time(first + second, with_at=False)
        return None
    if n == 3:
        third = toks[2]
        if first == "in" and _amount(second) is not None and third in _FUTURE_UNITS:
            return _FUTURE
        if (
            first == "at"
            and _MERIDIEM_WORD_RE.fullmatch(third)
            and (_HOUR_RE.fullmatch(second) or _CLOCK_RE.fullmatch(second))
        ):
            return _match_time(second + third, with_at=False)
    return None


def _spoken_time(toks: Sequence[str]) -> _When | None:
    """``half six`` (6:30, as in the UK), ``half past 6``, ``quarter past 3``, ``quarter to 4``.

    The hour is read as ``at N`` is: as written, lifted into the afternoon only by a part of
    the day (``yesterday evening half six`` is 18:30).
    """
    n = len(toks)
    if n < 2 or toks[0] not in ("half", "quarter"):
        return None
    hour = _spoken_hour(toks[-1])
    if hour is None:
        return None
    if n == 2:
        return _When(at=time(hour, 30)) if toks[0] == "half" else None
    if n != 3 or toks[1] not in ("past", "to"):
        return None
    minute = 30 if toks[0] == "half" else 15
    if toks[1] == "past":
        return _When(at=time(hour, minute))
    if toks[0] == "half":
        return None  # ``half to 4`` is no time
    return _When(at=time((hour - 1) % 24, 45))


def _spoken_hour(tok: str) -> int | None:
    """An hour 1..12 written as digits or a word: ``6``, ``six``."""
    hour = int(tok) if _HOUR_RE.fullmatch(tok) else _NUMBER_WORDS.get(tok)
    return hour if hour is not None and 1 <= hour <= 12 else None


def _dotted_time(tok: str) -> time | None:
    """``15.00``, ``9.30``: a dotted 24-hour time that cannot be a day and month (``12.11``)."""
    match = _DOTTED_RE.fullmatch(tok)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59 or (1 <= minute <= 12 and hour <= 31):
        return None
    return time(hour, minute)


def _amount(tok: str) -> int | None:
    """``2``, ``two``, ``a``: how many; None for anything else."""
    if tok in _ONE:
        return 1
    if _DIGITS_RE.fullmatch(tok) and len(tok) <= 3:
        return int(tok)
    return _NUMBER_WORDS.get(tok)


def _ago(toks: Sequence[str]) -> _When | _Problem | None:
    """``2 days ago``, ``3days ago``, ``an hour ago``, ``2 wks ago``; ``toks`` ends with ``ago``."""
    body = toks[:-1]
    if len(body) == 1 and (match := _GLUED_AGO_RE.fullmatch(body[0])):
        amount: int | None = int(match.group(1))
        unit = match.group(2)
    elif len(body) == 2:
        amount, unit = _amount(body[0]), body[1]
        if amount is None:
            return _vague(toks) if body[0] in _VAGUE_AMOUNTS else None
    else:
        return None
    if unit in _VAGUE_UNITS:
        return _vague(toks)
    if amount is None or not (unit in _AGO_UNITS or unit in _HOUR_UNITS):
        return None
    if unit in _HOUR_UNITS:
        return _When(back=timedelta(minutes=amount * _HOUR_UNITS[unit]))
    return _When(day=date.min + timedelta(days=amount * _AGO_UNITS[unit]))


def _day_phrase(toks: Sequence[str], i: int, today: date) -> tuple[date | _Problem, int] | None:
    """A day phrase starting at ``toks[i]``: (day or problem, index after it), or None."""
    n = len(toks)
    if i >= n:
        return None
    tok = toks[i]
    if tok in _TOMORROW:
        return _FUTURE, i + 1
    nxt = toks[i + 1] if i + 1 < n else ""
    if tok in ("last", "this", "next") and nxt in _WEEKDAYS:
        if tok == "next":
            return _FUTURE, i + 2
        weekday = _WEEKDAYS[nxt]
        if tok == "last":
            return _last_weekday(today, weekday), i + 2
        this = today + timedelta(days=weekday - today.weekday())
        return (_FUTURE if this > today else this), i + 2
    if tok == "next" and nxt in ("week", "month", "year"):
        return _FUTURE, i + 2
    if i + 2 < n and toks[i + 2] == "ago" and nxt in _AGO_UNITS:
        amount = _amount(tok)
        if amount is not None:
            return today - timedelta(days=amount * _AGO_UNITS[nxt]), i + 3
        return _vague(toks[i : i + 3]), i + 3  # ``few days ago``
    for phrase, back in _DAY_PHRASES.items():
        if tuple(toks[i : i + len(phrase)]) == phrase:
            return today - timedelta(days=back), i + len(phrase)
    if tok in _MONTHS and (ordinal := _ORDINAL_RE.fullmatch(nxt)):
        return _recent_date(int(ordinal.group(1)), _MONTHS[tok], today, f"{tok} {nxt}"), i + 2
    if ordinal := _ORDINAL_RE.fullmatch(tok):
        day = int(ordinal.group(1))
        j = i + 2 if nxt == "of" else i + 1
        month = toks[j] if j < n else ""
        if month in _MONTHS:
            return _recent_date(day, _MONTHS[month], today, f"{tok} {month}"), j + 1
        if tok != ordinal.group(1):  # ``25th``: this month's
            if day > today.day:
                return _Problem(
                    f"Which month is '{_clip(tok)}'? Give day/month, like 20/11:", EXAMPLE_WHEN
                ), i + 1
            return _make_date(today.year, today.month, day, tok), i + 1
    if tok == "the" and (ordinal := _ORDINAL_RE.fullmatch(nxt)) and nxt != ordinal.group(1):
        found_the = _day_phrase(toks, i + 1, today)
        return found_the
    if match := _DOTTED_DATE_RE.fullmatch(tok):
        dd, mm = int(match.group(1)), int(match.group(3))
        if 1 <= mm <= 12:
            clock = match.group(2) == "." and len(match.group(3)) == 2 and dd <= 23
            if clock or (match.group(2) == "-" and dd <= 12):
                return _Problem(
                    f"Is '{_clip(tok)}' a day or a time? Write 20/11 for a day, 9am for a time:",
                    EXAMPLE_WHEN,
                ), i + 1
            return _recent_date(dd, mm, today, tok), i + 1
    found = _match_day(tok, today)
    return None if found is None else (found, i + 1)


def _match_day(tok: str, today: date) -> date | _Problem | None:
    if tok in _DAYS_AGO:
        return today - timedelta(days=_DAYS_AGO[tok])
    if tok in _WEEKDAYS:
        return today - timedelta(days=(today.weekday() - _WEEKDAYS[tok]) % 7)
    if not tok or not tok[0].isdigit():
        return None
    if match := _ISO_DATE_RE.fullmatch(tok):
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, tok)
    if match := _UK_DATE_RE.fullmatch(tok):
        day, month = int(match.group(1)), int(match.group(2))
        if match.group(3) is None:
            return _recent_date(day, month, today, tok)
        year = int(match.group(3))
        if len(match.group(3)) == 2:
            year += 2000
        return _make_date(year, month, day, tok)
    return None


def _match_time(tok: str, *, with_at: bool) -> _When | _Problem | None:
    if match := _CLOCK_RE.fullmatch(tok) or _H_CLOCK_RE.fullmatch(tok):
        return _make_time(int(match.group(1)), int(match.group(2)), tok)
    if tok in ("noon", "midday"):
        return _When(at=_NOON)
    if (match := _RANGE_RE.fullmatch(tok)) and (start := _range_start(*match.groups())):
        return start
    if match := _MERIDIEM_RE.fullmatch(tok):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return _Problem(f"There's no {tok}. Try 6:30pm or 18:30:", EXAMPLE_WHEN)
        hour %= 12
        if match.group(3).startswith("p"):
            hour += 12
        return _When(at=time(hour, minute), meridiem=True)
    if with_at:
        if match := _DOTTED_RE.fullmatch(tok):
            hour, minute = int(match.group(1)), int(match.group(2))
            if hour <= 23 and minute <= 59:
                return _When(at=time(hour, minute))
            return None
        if _HOUR_RE.fullmatch(tok) and int(tok) <= 23:
            return _When(at=time(int(tok), 0))
    return None


def _range_start(first: str, last: str) -> _When | _Problem | None:
    """The start of ``9-10am`` or ``9:00-10:00``: 9am, 09:00."""
    end = _match_time(last, with_at=True)
    if not isinstance(end, _When) or end.at is None:
        return None
    if end.meridiem and not first.endswith(("am", "pm")) and _HOUR_RE.fullmatch(first):
        hour = int(first)
        if not 1 <= hour <= 12:
            return None
        # ``9-10am``: the start shares the end's half of the day unless it is later on the clock.
        pm = end.at.hour >= 12 and (hour % 12) <= end.at.hour - 12
        return _When(at=time(hour % 12 + (12 if pm else 0), 0), meridiem=True)
    if _HOUR_RE.fullmatch(first) and not end.meridiem:
        return None  # ``9-10``: a day (9 Oct) or hours; left to the date rules
    return _match_time(first, with_at=True)


def _make_time(hour: int, minute: int, tok: str) -> _When | _Problem:
    if hour > 23 or minute > 59:
        return _Problem(f"There's no {tok}. Times look like 18:30 or 6:30pm:", EXAMPLE_WHEN)
    return _When(at=time(hour, minute))


def _make_date(year: int, month: int, day: int, tok: str) -> date | _Problem:
    try:
        return date(year, month, day)
    except ValueError:
        return _bad_date(tok)


def _recent_date(day: int, month: int, today: date, tok: str) -> date | _Problem:
    """The most recent ``day/month`` not after ``today``."""
    try:
        date(2000, month, day)  # a leap year: rejects 31/02 and 20/13 but not 29/02
    except ValueError:
        return _bad_date(tok)
    for year in (today.year, today.year + 1):
        try:
            ahead = date(year, month, day)
        except ValueError:
            continue
        if today < ahead <= today + timedelta(days=_FUTURE_DATE_DAYS):
            return _FUTURE  # ``27/11`` on 26 Nov is tomorrow, not last year
    for year in range(today.year, max(today.year - 8, 0), -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return _bad_date(tok)


def _bad_date(tok: str) -> _Problem:
    return _Problem(
        f"There's no {_clip(tok)}. Dates are day/month, like 20/11 or 2026-11-20:",
        "case yesterday housing repair",
    )


def _last_weekday(today: date, weekday: int) -> date:
    """The most recent ``weekday`` strictly before ``today``."""
    return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)


def _resolve_when(
    reading: _Reading, now: datetime, tz: ZoneInfo, max_age_days: int, kind_word: str
) -> datetime:
    now_utc = as_utc(now)
    today = reading.today
    day, at, part = reading.day, reading.at, reading.part
    if day is not None:
        if day > today + _ONE_DAY:
            _fail(_FUTURE.message, _FUTURE.example)
        if (today - day).days > max_age_days:
            _fail(
                f"That's too long ago: entries older than {_age_words(max_age_days)} "
                "can't be logged here. Ask your manager.",
                EXAMPLE_WHEN,
            )
    if reading.back is not None:
        return now_utc - reading.back
    on = today if day is None else day
    if part is not None:
        if at is not None:
            at = _in_part(at, reading.meridiem, part)
        elif on == today:
            wall = now_utc.astimezone(tz).time()
            if wall < part.begins:
                _fail(_FUTURE.message, _FUTURE.example)
            # Under way but its usual time still ahead: it is happening now.
            at = part.at if wall >= part.at else None
            if at is None:
                return now_utc
        else:
            at = part.at
    if at is None:
        occurred_at = now_utc if on == today else to_utc(on, _NOON, tz)
    else:
        occurred_at = to_utc(on, at, tz)
    if occurred_at > now_utc + FUTURE_GRACE:
        if day is None and at is not None:
            example = f"{kind_word} yesterday at {at:%H:%M}"
            _fail("That's in the future. For yesterday, say so:", example)
        _fail(_FUTURE.message, _FUTURE.example)
    return occurred_at


def _in_part(at: time, meridiem: bool, part: _Part) -> time:
    """A clock time said with a part of the day: ``evening at 6:30`` is 18:30."""
    if part.pm and not meridiem and 1 <= at.hour < 12:
        return at.replace(hour=at.hour + 12)
    return at


def _age_words(days: int) -> str:
    if days > 0 and days % 7 == 0:
        weeks = days // 7
        return "1 week" if weeks == 1 else f"{weeks} weeks"
    return "1 day" if days == 1 else f"{days} days"


# --- names of kinds ------------------------------------------------------------------------


def _kind_words_for(kind: Kind) -> str:
    """A short, single-token word for ``kind`` (first alias, else key)."""
    for name in (*kind.aliases, kind.label, kind.key):
        if name and " " not in name:
            return name
    return kind.key


def _kind_words(kinds: KindRegistry, limit: int = 8) -> list[str]:
    words = [_kind_words_for(kind) for kind in kinds]
    return words if len(words) <= limit else [*words[:limit], "…"]


def _clip(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
