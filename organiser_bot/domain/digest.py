"""The weekly digest as plain data: what charts and the text summary are drawn from.

Built by ``organiser_bot.usecases.digests`` from storage; consumed by ``charts`` and the text
renderer. Counts only: a digest never carries notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

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
