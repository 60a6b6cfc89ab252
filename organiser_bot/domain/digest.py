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
from organiser_bot.domain.targets import attainment

#: Bumped whenever the digest's content or layout changes; recorded in the digest ledger.
TEMPLATE_VERSION = "1"


@dataclass(frozen=True, slots=True)
class MemberWeek:
    """One member's week in one team.

    Attributes:
        name: Display name.
        role: Role value (``organiser``, ``councillor``, ...).
        daily: Kind key -> seven counts, Monday first. Kinds with nothing logged may be absent.
        targets: Kind key -> effective weekly target after pro-rating for absence. Kinds without
            a target are absent.
        away_days: Days of this week the member was recorded as away (0-7).
    """

    name: str
    role: str
    daily: Mapping[str, tuple[int, ...]]
    targets: Mapping[str, int]
    away_days: int = 0

    def total(self, kind: str) -> int:
        """Total logged for ``kind`` this week."""
        return sum(self.daily.get(kind, ()))

    @property
    def away(self) -> bool:
        """True when the member was away the whole week."""
        return self.away_days >= 7


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
        trend: The last 13 weeks, oldest first, ending with this week.
        attainment: Team's share of target met (0.0-1.0+), or None when no targets apply.
        cross_team_median: Median attainment across all teams this week, or None.
        teams_compared: How many teams the median is taken over.
        preview: True for a mid-week preview that is not recorded in the ledger.
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
    """``• Sam Patel: one-to-one 6/12 ✗ · resident contact 6`` (or ``• Priya Shah: away``)."""
    if m.away:
        return f"• {m.name}: away"
    parts = []
    for kind in d.kinds:
        done, target = m.total(kind), m.targets.get(kind)
        label = d.kind_labels.get(kind) or kinds.get(kind).label
        if target:
            parts.append(f"{label} {done}/{target} {'✓' if done >= target else '✗'}")
        elif done:
            parts.append(f"{label} {done}")
    away = f" (away {m.away_days}d)" if m.away_days else ""
    return f"• {m.name}{away}: " + (" · ".join(parts) or "—")


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


def render_digest_text(d: TeamDigest, kinds: KindRegistry) -> str:
    """The digest's text summary: short enough to read on a phone.

    A header ``<team> · <iso week>`` (plus ``· preview``), the week's dates, one line per member
    with ``kind N/T ✓`` or ``✗`` per target (or ``away`` for a member away all week), the team's
    attainment, and the cross-team line every team shares. Counts only, never notes.

    Args:
        d: The digest.
        kinds: The kind registry, for labels the digest does not carry.

    Returns:
        Plain text (no markup), lines separated by ``\\n``.
    """
    lines = [digest_title(d), _week_span(d.week_start) + (" (so far)" if d.preview else "")]
    lines += [member_line(m, d, kinds) for m in d.members] or [
        "Nobody with targets or entries this week."
    ]
    if d.attainment is None:
        lines.append("Team: no targets this week.")
    else:
        lines.append(f"Team attainment: {_pct(d.attainment)} of targets met.")
    lines.append(cross_team_line(d))
    return "\n".join(lines)


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
        text: The text summary.
        images: (file name, PNG bytes) for the diarised chart, then the trend chart.
        content_hash: :func:`content_hash` of the text and images.
    """

    digest: TeamDigest
    text: str
    images: tuple[tuple[str, bytes], ...]
    content_hash: str

    @classmethod
    def of(
        cls, digest: TeamDigest, text: str, images: Sequence[tuple[str, bytes]]
    ) -> RenderedDigest:
        """A rendered digest with its :func:`content_hash` computed from ``text`` and ``images``."""
        return cls(digest, text, tuple(images), content_hash(text, [png for _, png in images]))
