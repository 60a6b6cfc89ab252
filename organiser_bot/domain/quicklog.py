"""Quick logs typed on a phone: ``121 Sam Patel``, ``doors 14 yesterday``, ``contacts 6 at 18:30``.

Grammar of one line (whitespace-separated tokens; keywords are case-insensitive)::

    [+N | N] KIND [COUNT] [WHEN...] [NOTE...] [WHEN...]     with #team anywhere

* ``+N`` (button text such as ``+1 one-to-one``) or a bare number before the kind gives the count.
* ``KIND`` is any name the :class:`~organiser_bot.domain.kinds.KindRegistry` knows; two tokens
  are tried first (``resident contact``), then one (``121``, ``doors``). A trailing ``:`` or
  ``,`` is ignored.
* ``COUNT`` directly after the kind: 1..500. ``121 5`` is five one-to-ones, ``121 Sam`` is one.
* ``WHEN`` phrases are read directly after the kind/count and at the end of the line only, so
  words in the middle of a note are left alone. Days: ``today``, ``yesterday``/``yday``, weekday
  names (the most recent such day, today included), ``last <weekday>`` (strictly before today),
  ``2026-11-20``, ``20/11`` (most recent such date not after today), ``20/11/2026``, ``20/11/26``;
  an optional ``on`` may precede a day. Times: ``18:30``, ``at 18:30``, ``at 9``, ``at 18.30``,
  ``9am``, ``6:30pm``, ``9 am``. At most one day and one time per line.
* ``#word`` (starting with a letter) anywhere sets the team and is removed from the note; ``#12``
  stays in the note.
* Everything else, spacing collapsed, case kept, is the note (500 characters at most). A leading
  lone separator such as ``-`` or ``:`` is dropped.

Without a day or time the entry happened now. A past day without a time means 12:00 local that
day; a time without a day means today. Wall times are converted with
:func:`organiser_bot.domain.periods.to_utc` (``fold=0`` in DST gaps and overlaps).

Nothing here raises on any input text: problems come back as :class:`LineError` values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
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
    "parse_line",
    "parse_quick_log",
    "render_entry",
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
EXAMPLE_WHEN = "doors 14 yesterday at 18:30"
EXAMPLE_TEAM = "121 Sam Patel #north"
EXAMPLE_NOTE = "case 2 housing repair"

_NOON = time(12, 0)
_ONE_DAY = timedelta(days=1)
_INTERNAL_ERROR = "Sorry, I couldn't read that line."

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
_DAYS_AGO: dict[str, int] = {"today": 0, "yesterday": 1, "yday": 1}

# Control characters other than whitespace (NUL cannot be stored in PostgreSQL text).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_DIGITS_RE = re.compile(r"[0-9]+")
_PLUS_RE = re.compile(r"\+([0-9]+)")
_TAG_RE = re.compile(r"#([^\W\d_][\w-]{0,63})")
_ISO_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_UK_DATE_RE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})(?:/([0-9]{4}|[0-9]{2}))?")
_CLOCK_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DOTTED_RE = re.compile(r"([0-9]{1,2})\.([0-9]{2})")
_HOUR_RE = re.compile(r"[0-9]{1,2}")
_MERIDIEM_RE = re.compile(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?(am|pm|a\.m|p\.m)")
_MERIDIEM_WORD_RE = re.compile(r"am|pm|a\.m|p\.m")
_TRAILING_PUNCT = ".,;!?"
_KIND_PUNCT = ":,;.!"
_SEPARATORS = frozenset({"-", "–", "—", ":", ";", ",", "|", "/"})


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry read from a quick-log line.

    Attributes:
        kind: Kind key (``one_to_one``).
        count: How many, 1..500.
        occurred_at: When it happened, aware UTC.
        note: Free text, spacing collapsed, case kept; may be empty.
        team: Team tag without ``#``, lower case, or None.
        dated: True if the user gave a day or a time explicitly.
    """

    kind: str
    count: int
    occurred_at: datetime
    note: str
    team: str | None
    dated: bool


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


_WhenPart = date | time | _Problem


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


def render_entry(entry: ParsedEntry, *, now: datetime, tz: ZoneInfo, kinds: KindRegistry) -> str:
    """Render an entry as a canonical quick-log line.

    Parsing the result with the same ``now`` gives back the same kind, count, local day (and
    local minute when the entry has a time), note and team, provided the note's first and last
    words are not themselves day or time words (``mon``, ``today``, ``18:30``...).

    Shape: ``KIND [COUNT] [NOTE] [DAY] [at HH:MM] [#team]``. ``DAY`` is ``yesterday`` or an ISO
    date; it and the time are omitted for an undated entry of today, and the time is omitted
    for a past day at exactly 12:00.

    Args:
        entry: The entry.
        now: The current instant, for relative day words.
        tz: The configured zone.
        kinds: Known activity kinds.

    Returns:
        One line of text.
    """
    note_tokens = entry.note.split()
    show_count = entry.count != 1 or bool(note_tokens and _DIGITS_RE.fullmatch(note_tokens[0]))
    next_token = str(entry.count) if show_count else (note_tokens[0] if note_tokens else None)
    parts = [_render_kind_word(kinds.get(entry.kind), next_token, kinds)]
    if show_count:
        parts.append(str(entry.count))
    if note_tokens:
        parts.append(" ".join(note_tokens))

    local = as_utc(entry.occurred_at).astimezone(tz)
    day = local.date()
    today = local_date(now, tz)
    if entry.dated or day != today:
        if day == today:
            parts.append(f"at {local:%H:%M}")
        else:
            parts.append("yesterday" if day == today - _ONE_DAY else day.isoformat())
            if local.time() != _NOON:
                parts.append(f"at {local:%H:%M}")
    if entry.team:
        parts.append(f"#{entry.team}")
    return " ".join(parts)


# --- the parser ----------------------------------------------------------------------------


def _parse_line(
    line: str, now: datetime, tz: ZoneInfo, kinds: KindRegistry, max_age_days: int
) -> ParsedEntry:
    if len(line) > MAX_LINE_CHARS:
        _fail(f"That line is too long (a note can be {MAX_NOTE_CHARS} characters).", EXAMPLE)
    tokens = _CONTROL_RE.sub("", line).split()
    if not tokens:
        _fail("Nothing to log on this line. Start with a kind:", EXAMPLE)

    team, tokens = _take_team(tokens)
    if not tokens:
        _fail("Add what you did before the #team:", EXAMPLE_TEAM)

    count: int | None = None
    start = _count_prefix_length(tokens, kinds)
    if start:
        count = _check_count(tokens[0].lstrip("+"))
    elif _PLUS_RE.fullmatch(tokens[0]):
        # ``+N`` without a kind after it (or an unknown one).
        if len(tokens) == 1:
            _fail(f"{tokens[0]} what? Add a kind after it:", f"{tokens[0]} 121")
        start = 1
        count = _check_count(tokens[0][1:])

    kind, used = _lookup_kind(tokens, start, kinds)
    if kind is None:
        _fail_unknown_kind(tokens[start], kinds)
    rest = tokens[start + used :]

    if (
        rest
        and _DIGITS_RE.fullmatch(rest[0])
        and not (len(rest) > 1 and _MERIDIEM_WORD_RE.fullmatch(rest[1].lower().rstrip(".")))
    ):
        if count is not None:
            _fail("Give the count once, please:", EXAMPLE_COUNT)
        count = _check_count(rest[0])
        rest = rest[1:]

    today = local_date(now, tz)
    note_start, note_end, day, at = _read_when(rest, today)
    note_tokens = rest[note_start:note_end]
    if note_tokens and note_tokens[0] in _SEPARATORS:
        note_tokens = note_tokens[1:]
    note = " ".join(note_tokens)
    if len(note) > MAX_NOTE_CHARS:
        _fail(
            f"That note is too long ({len(note)} characters; {MAX_NOTE_CHARS} max).",
            EXAMPLE_NOTE,
        )

    word = _kind_words_for(kind) if count is None else f"{_kind_words_for(kind)} {count}"
    occurred_at = _resolve_when(day, at, now, today, tz, max_age_days, word)
    return ParsedEntry(
        kind=kind.key,
        count=1 if count is None else count,
        occurred_at=occurred_at,
        note=note,
        team=team,
        dated=day is not None or at is not None,
    )


def _fail(message: str, example: str) -> NoReturn:
    raise _LineFailure(_Problem(message, example))


def _fail_unknown_kind(word: str, kinds: KindRegistry) -> NoReturn:
    words = _kind_words(kinds)
    _fail(f"I don't know '{_clip(word)}'. Start with a kind: {', '.join(words)}.", EXAMPLE)


def _take_team(tokens: list[str]) -> tuple[str | None, list[str]]:
    team: str | None = None
    rest: list[str] = []
    for tok in tokens:
        match = _TAG_RE.fullmatch(tok.rstrip(_TRAILING_PUNCT))
        if match is None:
            rest.append(tok)
            continue
        tag = match.group(1).lower()
        if team is not None and tag != team:
            _fail("One #team per line, please:", EXAMPLE_TEAM)
        team = tag
    return team, rest


def _count_prefix_length(tokens: Sequence[str], kinds: KindRegistry) -> int:
    """1 if ``tokens`` start with ``+N`` or a bare ``N`` followed by a kind, else 0."""
    if len(tokens) < 2:
        return 0
    first = tokens[0]
    if _PLUS_RE.fullmatch(first) or (
        _DIGITS_RE.fullmatch(first) and _lookup_kind(tokens, 0, kinds)[0] is None
    ):
        return 1 if _lookup_kind(tokens, 1, kinds)[0] is not None else 0
    return 0


def _lookup_kind(tokens: Sequence[str], i: int, kinds: KindRegistry) -> tuple[Kind | None, int]:
    """Find a kind named at ``tokens[i]``: two tokens first, then one. Returns (kind, used)."""
    if i >= len(tokens):
        return None, 0
    if i + 1 < len(tokens):
        second = tokens[i + 1]
        for word in dict.fromkeys((second, second.rstrip(_KIND_PUNCT))):
            kind = kinds.lookup(f"{tokens[i]} {word}")
            if kind is not None:
                return kind, 2
    first = tokens[i]
    for word in dict.fromkeys((first, first.rstrip(_KIND_PUNCT))):
        if word:
            kind = kinds.lookup(word)
            if kind is not None:
                return kind, 1
    return None, 0


def _check_count(digits: str) -> int:
    if len(digits) > 3 or int(digits) > MAX_COUNT:
        shown = digits if len(digits) <= 6 else digits[:6] + "…"
        _fail(f"{shown} looks like a typo: the most is {MAX_COUNT} per line.", EXAMPLE_COUNT)
    value = int(digits)
    if value < 1:
        _fail("The count must be at least 1:", EXAMPLE_COUNT)
    return value


def _read_when(rest: list[str], today: date) -> tuple[int, int, date | None, time | None]:
    """Read day/time phrases at the start and end of ``rest``.

    Returns the note's slice ``[start, end)`` of ``rest``, the day and the time.
    """
    norm = [tok.lower().rstrip(_TRAILING_PUNCT) for tok in rest]
    day: date | None = None
    at: time | None = None

    def record(part: _WhenPart) -> None:
        nonlocal day, at
        if isinstance(part, _Problem):
            _fail(part.message, part.example)
        elif isinstance(part, time):
            if at is not None:
                _fail("Two times on one line: give just one.", EXAMPLE_WHEN)
            at = part
        else:
            if day is not None:
                _fail("Two days on one line: give just one.", EXAMPLE_WHEN)
            day = part

    start = 0
    while start < len(norm):
        found = _match_at(norm, start, len(norm), today, from_end=False)
        if found is None:
            break
        part, width = found
        record(part)
        start += width

    end = len(norm)
    while end > start:
        found = _match_at(norm, start, end, today, from_end=True)
        if found is None:
            break
        part, width = found
        record(part)
        end -= width
    return start, end, day, at


def _match_at(
    norm: Sequence[str], lo: int, hi: int, today: date, *, from_end: bool
) -> tuple[_WhenPart, int] | None:
    """Longest when-phrase (3, 2 or 1 tokens) starting at ``lo`` or ending at ``hi``."""
    for width in (3, 2, 1):
        if width > hi - lo:
            continue
        window = norm[hi - width : hi] if from_end else norm[lo : lo + width]
        part = _match_phrase(window, today)
        if part is not None:
            return part, width
    return None


def _match_phrase(toks: Sequence[str], today: date) -> _WhenPart | None:
    """A day or time phrase exactly covering ``toks``; a _Problem if it is one but invalid."""
    if len(toks) == 1:
        return _match_day(toks[0], today) or _match_time(toks[0], with_at=False)
    if len(toks) == 2:
        first, second = toks
        if first == "last" and second in _WEEKDAYS:
            return _last_weekday(today, _WEEKDAYS[second])
        if first == "on":
            return _match_day(second, today)
        if first == "at":
            return _match_time(second, with_at=True)
        if _HOUR_RE.fullmatch(first) and _MERIDIEM_WORD_RE.fullmatch(second):
            return _match_time(first + second, with_at=False)
        return None
    first, second, third = toks
    if first == "on" and second == "last" and third in _WEEKDAYS:
        return _last_weekday(today, _WEEKDAYS[third])
    if (
        first == "at"
        and _MERIDIEM_WORD_RE.fullmatch(third)
        and (_HOUR_RE.fullmatch(second) or _CLOCK_RE.fullmatch(second))
    ):
        return _match_time(second + third, with_at=False)
    return None


def _match_day(tok: str, today: date) -> date | _Problem | None:
    if tok in _DAYS_AGO:
        return today - timedelta(days=_DAYS_AGO[tok])
    if tok in _WEEKDAYS:
        return today - timedelta(days=(today.weekday() - _WEEKDAYS[tok]) % 7)
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


def _match_time(tok: str, *, with_at: bool) -> time | _Problem | None:
    if match := _CLOCK_RE.fullmatch(tok):
        return _make_time(int(match.group(1)), int(match.group(2)), tok)
    if match := _MERIDIEM_RE.fullmatch(tok):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return _Problem(f"There's no {tok}. Try 6:30pm or 18:30:", EXAMPLE_WHEN)
        hour %= 12
        if match.group(3).startswith("p"):
            hour += 12
        return time(hour, minute)
    if with_at:
        if match := _DOTTED_RE.fullmatch(tok):
            hour, minute = int(match.group(1)), int(match.group(2))
            if hour <= 23 and minute <= 59:
                return time(hour, minute)
            return None
        if _HOUR_RE.fullmatch(tok) and int(tok) <= 23:
            return time(int(tok), 0)
    return None


def _make_time(hour: int, minute: int, tok: str) -> time | _Problem:
    if hour > 23 or minute > 59:
        return _Problem(f"There's no {tok}. Times look like 18:30 or 6:30pm:", EXAMPLE_WHEN)
    return time(hour, minute)


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
    day: date | None,
    at: time | None,
    now: datetime,
    today: date,
    tz: ZoneInfo,
    max_age_days: int,
    kind_word: str,
) -> datetime:
    now_utc = as_utc(now)
    if day is not None:
        if day > today + _ONE_DAY:
            _fail("That's in the future: log it once it's happened.", EXAMPLE_WHEN)
        if (today - day).days > max_age_days:
            _fail(
                f"That's too long ago: entries older than {_age_words(max_age_days)} "
                "can't be logged here. Ask your manager.",
                EXAMPLE_WHEN,
            )
    if at is None:
        occurred_at = now_utc if day is None or day == today else to_utc(day, _NOON, tz)
    else:
        occurred_at = to_utc(today if day is None else day, at, tz)
    if occurred_at > now_utc + FUTURE_GRACE:
        if day is None and at is not None:
            example = f"{kind_word} yesterday at {at:%H:%M}"
            _fail("That's in the future. For yesterday, say so:", example)
        _fail("That's in the future: log it once it's happened.", EXAMPLE_WHEN)
    return occurred_at


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


def _render_kind_word(kind: Kind, next_token: str | None, kinds: KindRegistry) -> str:
    """The first of label, key, aliases that the registry resolves back to ``kind``."""
    for name in dict.fromkeys((kind.label, kind.key, *kind.aliases)):
        words = name.split()
        if not 1 <= len(words) <= 2 or name[0] in "+#":
            continue
        if kinds.lookup(name) != kind:
            continue
        if len(words) == 1 and next_token is not None:
            clash = kinds.lookup(f"{name} {next_token}")
            if clash is not None and clash != kind:
                continue
        return " ".join(words)
    return kind.key


def _clip(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
