"""The weekly digest as plain data, and its text summary.

Built by ``organiser_bot.usecases.digests`` from storage; drawn by ``charts``; summarised in text
by :func:`render_digest_text`. One template for every team: the same data, the same text layout
and the same cross-team line, so every team is measured by the same yardstick. That is why the
text lives here rather than in an adapter. Counts only: a digest never carries notes.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.names import isolated
from organiser_bot.domain.targets import attainment

#: Bumped whenever the digest's content or layout changes; recorded in the digest ledger.
#: 2: the scrutiny line (how often the team's figures were opened, against the median team).
TEMPLATE_VERSION = "2"


@dataclass(frozen=True, slots=True)
class MemberWeek:
    """One member's week in one team.

    Attributes:
        name: Display name.
        role: Role value (``organiser``, ``councillor``, ...).
        daily: Kind key -> seven counts, Monday first. Kinds with nothing logged may be absent.
        targets: Kind key -> effective weekly target after pro-rating for absence. Kinds without
            a target are absent.
        away_days: Days of this week the member was recorded as away while a member (0-7).
        member_days: Seven flags, Monday first: the days of this week inside the membership
            (all True unless they joined or left this week). Targets count only those days.
    """

    name: str
    role: str
    daily: Mapping[str, tuple[int, ...]]
    targets: Mapping[str, int]
    away_days: int = 0
    member_days: tuple[bool, ...] = (True,) * 7

    def total(self, kind: str) -> int:
        """Total logged for ``kind`` this week."""
        return sum(self.daily.get(kind, ()))

    @property
    def away(self) -> bool:
        """True when the member was away every day of this week they were a member."""
        present = sum(self.member_days)
        return present > 0 and self.away_days >= present

    @property
    def joined_day(self) -> int | None:
        """The weekday (0 = Monday) they joined on, when they joined during this week."""
        if not any(self.member_days) or self.member_days[0]:
            return None
        return self.member_days.index(True)

    @property
    def left_day(self) -> int | None:
        """The weekday (0 = Monday) of their last day as a member, when they left this week."""
        if not any(self.member_days) or self.member_days[6]:
            return None
        return 6 - self.member_days[::-1].index(True)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """A team's totals and targets for one past week."""

    iso_week: str
    totals: Mapping[str, int]
    targets: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class TeamDigest:
    """Everything one team's digest shows for one ISO week.

    Attributes:
        team_name: The team's name.
        iso_week: ``2026-W47``.
        week_start: The Monday of that week (local date).
        kinds: Kind keys to show, in display order.
        kind_labels: Kind key -> human label.
        members: Members in display order (by name).
        trend: Up to the last 13 weeks, oldest first, ending with this week; none before the
            week the team was created.
        attainment: Team's share of target met (0.0-1.0+), or None when no targets apply.
        cross_team_median: Median attainment across all teams this week, or None.
        teams_compared: How many teams the median is taken over.
        preview: True for a mid-week preview that is not recorded in the ledger.
        looks: How many times managers and admins opened the team's figures during the week
            (the scrutiny ledger, :class:`storage.models.Scrutiny`), so far for a preview.
        looks_median: The median of ``looks`` over every team that gets a digest that week,
            zeros included: a whole number, or one ending in .5.
    """

    team_name: str
    iso_week: str
    week_start: date
    kinds: tuple[str, ...]
    kind_labels: Mapping[str, str]
    members: tuple[MemberWeek, ...]
    trend: tuple[TrendPoint, ...] = field(default=())
    attainment: float | None = None
    cross_team_median: float | None = None
    teams_compared: int = 0
    preview: bool = False
    looks: int = 0
    looks_median: float = 0


@dataclass(frozen=True, slots=True)
class WeekScrutiny:
    """How often each team's figures were opened in a week, and the median team's count.

    Attributes:
        looks: Team id -> looks in the week; teams with none may be absent.
        median: The median over the teams that get a digest, zeros included (0 without any).
    """

    looks: Mapping[int, int]
    median: float

    def of(self, team_id: int) -> int:
        """The looks at ``team_id``'s figures (0 when none)."""
        return self.looks.get(team_id, 0)


def scrutiny(looks: Mapping[int, int], team_ids: Iterable[int]) -> WeekScrutiny:
    """The week's :class:`WeekScrutiny` over the teams ``team_ids`` that get a digest.

    Args:
        looks: Team id -> looks recorded in the week (teams without any may be absent).
        team_ids: Every team that gets a digest that week; each counts, with 0 when absent
            from ``looks``.
    """
    counts = [looks.get(t, 0) for t in dict.fromkeys(team_ids)]
    return WeekScrutiny(dict(looks), statistics.median(counts) if counts else 0)


@dataclass(frozen=True, slots=True)
class CrossTeam:
    """The context line every team's digest shares.

    Attributes:
        median: Median attainment (0.0-1.0) over the teams that had targets, or None.
        teams: How many teams the median is taken over.
    """

    median: float | None
    teams: int


# --- Numbers -------------------------------------------------------------------------------------


def team_attainment(members: Iterable[MemberWeek]) -> float | None:
    """A team's share of targets met over its members present for some of the week.

    Members away all week are left out; each kind counts at most its target (see
    :func:`~organiser_bot.domain.targets.attainment`).

    Returns:
        0.0-1.0, or None when no member has a target.
    """
    pairs = [
        (m.total(kind), target)
        for m in members
        if not m.away
        for kind, target in sorted(m.targets.items())
    ]
    return attainment(pairs)


def cross_team(attainments: Iterable[float | None]) -> CrossTeam:
    """The median over every team that had targets (teams without any are not compared)."""
    scores = [s for s in attainments if s is not None]
    return CrossTeam(statistics.median(scores) if scores else None, len(scores))


def kinds_shown(members: Sequence[MemberWeek], kinds: KindRegistry) -> tuple[str, ...]:
    """Kind keys a digest shows: those with a target or an entry, registered ones in registry
    order first, then any others alphabetically."""
    used = {k for m in members for k in m.targets} | {
        k for m in members for k, v in m.daily.items() if sum(v)
    }
    known = [kind.key for kind in kinds if kind.key in used]
    return (*known, *sorted(used - set(known)))


# --- Text ----------------------------------------------------------------------------------------


def _pct(share: float) -> str:
    # Half up, not Python's banker's rounding: 0.745 reads as 75% in every digest.
    return f"{math.floor(share * 100 + 0.5)}%"


def member_line(m: MemberWeek, d: TeamDigest, kinds: KindRegistry) -> str:
    """``• Sam Patel: one-to-one 6/12 ✗ · resident contact 6`` (or ``• Priya Shah: away``).

    A member who joined or left during the week carries a note, ``• Sam Patel (joined Wed):
    one-to-one 3/9 ✓``, their targets counting only the days they were a member.
    """
    notes = []
    if m.joined_day is not None:
        notes.append(f"joined {_WEEKDAYS[m.joined_day]}")
    if m.left_day is not None:
        notes.append(f"left {_WEEKDAYS[m.left_day]}")
    if m.away:
        return f"• {isolated(m.name)}{_notes(notes)}: away"
    parts = []
    for kind in d.kinds:
        done, target = m.total(kind), m.targets.get(kind)
        label = d.kind_labels.get(kind) or kinds.get(kind).label
        if target:
            parts.append(f"{label} {done}/{target} {'✓' if done >= target else '✗'}")
        elif done:
            parts.append(f"{label} {done}")
    if m.away_days:
        notes.append(f"away {m.away_days}d")
    return f"• {isolated(m.name)}{_notes(notes)}: " + (" · ".join(parts) or "—")


#: Weekday abbreviations, Monday first, as the digest writes them.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _notes(notes: Sequence[str]) -> str:
    return f" ({', '.join(notes)})" if notes else ""


def _week_span(monday: date) -> str:
    sunday = monday + timedelta(days=6)
    return f"{monday:%a} {monday.day} {monday:%b} – {sunday:%a} {sunday.day} {sunday:%b}"


def digest_title(d: TeamDigest) -> str:
    """``<team> · <iso week>``, plus ``· preview`` for a preview: the text's first line and the
    charts' caption."""
    return f"{d.team_name} · {d.iso_week}" + (" · preview" if d.preview else "")


def cross_team_line(d: TeamDigest) -> str:
    """The sentence every team's digest ends with; identical for every team in a week.

    Without a cross-team median (no team had targets, or none was computed) only the promise of
    evenness remains.
    """
    teams = "1 team" if d.teams_compared == 1 else f"{d.teams_compared} teams"
    if d.preview:
        median = (
            f"So far this week the median attainment across {teams} is "
            f"{_pct(d.cross_team_median)}. "
            if d.cross_team_median is not None
            else ""
        )
        return median + "Preview only: not recorded in the digest ledger."
    median = (
        f"Across {teams} the median attainment was {_pct(d.cross_team_median)}. "
        if d.cross_team_median is not None
        else ""
    )
    return median + "Every team gets this same digest at the same time."


def _count(n: float) -> str:
    # A median of whole numbers is whole or ends in .5: "3" or "2.5", never "3.0".
    return str(int(n)) if n == int(n) else f"{n:.1f}"


def scrutiny_line(d: TeamDigest) -> str:
    """``Your team's figures were opened 4 times this week; the median team's 2.5.``

    The same sentence in every team's digest, with the team's own count: every team sees how
    closely it was looked at against the others (the review behind the bot found one unit
    scrutinised hard while others reported nothing). Counts only; it names no one.
    """
    times = "1 time" if d.looks == 1 else f"{d.looks} times"
    when = "so far this week" if d.preview else "this week"
    return (
        f"Your team's figures were opened {times} {when}; "
        f"the median team's {_count(d.looks_median)}."
    )


def _head_lines(d: TeamDigest) -> list[str]:
    return [digest_title(d), _week_span(d.week_start) + (" (so far)" if d.preview else "")]


def _member_lines(d: TeamDigest, kinds: KindRegistry) -> list[str]:
    return [member_line(m, d, kinds) for m in d.members] or [
        "Nobody with targets or entries this week."
    ]


def _tail_lines(d: TeamDigest) -> list[str]:
    if d.attainment is None:
        team = "Team: no targets this week."
    else:
        team = f"Team attainment: {_pct(d.attainment)} of targets met."
    return [team, scrutiny_line(d), cross_team_line(d)]


def render_digest_text(d: TeamDigest, kinds: KindRegistry) -> str:
    """The digest's text summary: short enough to read on a phone.

    A header ``<team> · <iso week>`` (plus ``· preview``), the week's dates, one line per member
    with ``kind N/T ✓`` or ``✗`` per target (or ``away`` for a member away all week), the team's
    attainment, how often the team's figures were opened against the median team
    (:func:`scrutiny_line`), and the cross-team line every team shares. Counts only, never
    notes.

    Args:
        d: The digest.
        kinds: The kind registry, for labels the digest does not carry.

    Returns:
        Plain text (no markup), lines separated by ``\\n``.
    """
    return "\n".join([*_head_lines(d), *_member_lines(d, kinds), *_tail_lines(d)])


#: Telegram's limit on one text message, in UTF-16 code units (how the Bot API counts).
MESSAGE_LIMIT = 4096


def message_length(text: str) -> int:
    """``text``'s length as Telegram counts it: UTF-16 code units (an emoji may count 2)."""
    return len(text.encode("utf-16-le")) // 2


def render_digest_messages(
    d: TeamDigest, kinds: KindRegistry, *, limit: int = MESSAGE_LIMIT
) -> tuple[str, ...]:
    """The digest's text as the messages it is posted in, each at most ``limit`` long.

    Every team's digest has the same parts whatever its size: the title and week in the first
    message, then the member lines, then the team line, the scrutiny line and the cross-team
    line, which are never cut. A member list too long for one message goes on over further
    messages, each headed ``<title> (2/3)`` so it reads on its own; no line is ever dropped.
    With one message the text is exactly :func:`render_digest_text`.

    Args:
        d: The digest.
        kinds: The kind registry.
        limit: The longest message, in UTF-16 code units (:func:`message_length`).

    Returns:
        One or more messages, in posting order.
    """
    head, body, tail = _head_lines(d), _member_lines(d, kinds), _tail_lines(d)
    whole = "\n".join([*head, *body, *tail])
    if message_length(whole) <= limit:
        return (whole,)
    # A continuation header is at most this long: the title, " (", two counts, "/" and ")".
    header_room = message_length(digest_title(d)) + 16
    chunks: list[list[str]] = [list(head)]
    for line in body:
        line = _fit_line(line, limit - header_room - 1)
        current = chunks[-1]
        if message_length("\n".join([*current, line])) > limit - (
            header_room if current is not chunks[0] else 0
        ):
            chunks.append([])
            current = chunks[-1]
        current.append(line)
    # The team, scrutiny and cross-team lines close the last message, or a message of their own.
    last_room = limit - (header_room if len(chunks) > 1 else 0)
    if message_length("\n".join([*chunks[-1], *tail])) > last_room:
        chunks.append([])
    chunks[-1].extend(tail)
    n = len(chunks)
    out = ["\n".join(chunks[0])]
    for i, chunk in enumerate(chunks[1:], start=2):
        out.append("\n".join([f"{digest_title(d)} ({i}/{n})", *chunk]))
    return tuple(out)


def _fit_line(line: str, room: int) -> str:
    """``line`` shortened with an ellipsis to ``room`` UTF-16 code units (never in practice: a
    member line is a name of at most 128 characters and a few kinds)."""
    if message_length(line) <= room:
        return line
    while message_length(line) > room - 1:
        line = line[:-1]
    return line + "…"


# --- Rendered ------------------------------------------------------------------------------------


def content_hash(text: str, images: Sequence[bytes]) -> str:
    """SHA-256 (hex) of a digest's text and images, recorded in the ledger.

    Each part is length-prefixed, so moving bytes between parts changes the hash.
    """
    digest = hashlib.sha256()
    for part in (text.encode("utf-8"), *images):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    """A digest ready to post: its text, its charts (PNG) and their joint hash.

    Attributes:
        digest: The data it was rendered from.
        text: The text summary, whole (for files).
        images: (file name, PNG bytes) for the diarised chart, then the trend chart.
        content_hash: :func:`content_hash` of the text and images.
        messages: The text as posted (:func:`render_digest_messages`); ``(text,)`` when not given.
    """

    digest: TeamDigest
    text: str
    images: tuple[tuple[str, bytes], ...]
    content_hash: str
    messages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.messages:
            object.__setattr__(self, "messages", (self.text,))

    @classmethod
    def of(
        cls,
        digest: TeamDigest,
        text: str,
        images: Sequence[tuple[str, bytes]],
        messages: Sequence[str] = (),
    ) -> RenderedDigest:
        """A rendered digest with its :func:`content_hash` computed from ``text`` and ``images``."""
        hashed = content_hash(text, [png for _, png in images])
        return cls(digest, text, tuple(images), hashed, tuple(messages) or (text,))
