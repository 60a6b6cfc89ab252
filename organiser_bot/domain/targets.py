"""Effective weekly targets: person > team role > role default, pro-rated for absence and for
the days of a week outside the person's membership of the team."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from organiser_bot.domain.kinds import DEFAULT_TARGETS
from organiser_bot.domain.periods import Period
from organiser_bot.domain.roles import Role


def person_scope(person_id: int) -> str:
    """The stored scope of a target set for one person: ``person:<id>``."""
    return f"person:{person_id}"


def role_scope(role: Role | str) -> str:
    """The stored scope of a target set for a role: ``role:<role>`` (the role's value)."""
    return f"role:{Role(role).value}"


@dataclass(frozen=True, slots=True)
class TargetRow:
    """A stored target override: ``scope`` is :func:`role_scope` or :func:`person_scope`."""

    team_id: int | None
    scope: str
    kind: str
    weekly: int


@dataclass(frozen=True, slots=True)
class AbsenceRow:
    """A person's absence, inclusive of both days."""

    id: int
    person_id: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class Tenure:
    """A person's membership period in one team: local dates in ``TIMEZONE``, both inclusive.

    Attributes:
        joined_on: The first day they were a member.
        left_on: The last day they were a member; None while they still are.
        gaps: Spans (first day, last day, inclusive) inside the period when they were not a
            member: they left and joined again. Sorted, not overlapping.
    """

    joined_on: date
    left_on: date | None = None
    gaps: tuple[tuple[date, date], ...] = ()

    def contains(self, day: date) -> bool:
        """True when ``day`` is inside the membership."""
        if day < self.joined_on or (self.left_on is not None and day > self.left_on):
            return False
        return not any(start <= day <= end for start, end in self.gaps)

    def covers_week(self, monday: date) -> bool:
        """True when every day of the week starting ``monday`` is inside."""
        sunday = monday + _SIX_DAYS
        return (
            self.joined_on <= monday
            and (self.left_on is None or self.left_on >= sunday)
            and not any(start <= sunday and end >= monday for start, end in self.gaps)
        )

    def joins(self) -> tuple[date, ...]:
        """Every day they became a member: the first join, then each return after a gap."""
        return (self.joined_on, *(end + timedelta(days=1) for _, end in self.gaps))

    def leaves(self) -> tuple[date, ...]:
        """Every last day before they stopped being a member: before each gap, then
        ``left_on`` when the membership has ended."""
        last = (self.left_on,) if self.left_on is not None else ()
        return (*(start - timedelta(days=1) for start, _ in self.gaps), *last)

    def joined_between(self, first: date, last: date) -> date | None:
        """The latest day they (re)joined with ``first < day <= last``, or None: a join on
        ``first`` itself means a member from the start of the span."""
        inside = [day for day in self.joins() if first < day <= last]
        return inside[-1] if inside else None

    def left_between(self, first: date, last: date) -> date | None:
        """The latest last day with ``first <= day < last``, or None: leaving on ``last``
        itself means a member to the end of the span."""
        inside = [day for day in self.leaves() if first <= day < last]
        return inside[-1] if inside else None

    def rejoined(self, on: date) -> Tenure:
        """This membership, ended, joined again on ``on``: the days between become a gap."""
        if self.left_on is None:
            return self
        gaps = self.gaps
        if on > self.left_on + timedelta(days=1):
            gaps = (*gaps, (self.left_on + timedelta(days=1), on - timedelta(days=1)))
        return Tenure(self.joined_on, None, gaps)

    def week_days(self, monday: date) -> tuple[bool, ...]:
        """Seven flags, Monday first: which days of the week starting ``monday`` are inside."""
        if self.covers_week(monday):
            return _WHOLE_WEEK
        return tuple(self.contains(monday + timedelta(days=i)) for i in range(7))


_SIX_DAYS = timedelta(days=6)
_WHOLE_WEEK = (True,) * 7


def effective_targets(
    *,
    role: Role,
    person_id: int,
    team_id: int,
    overrides: Iterable[TargetRow],
) -> dict[str, int]:
    """Weekly target per kind for one person in one team.

    Precedence, most specific first: the person in this team, the person in every team, the role
    in this team, the role in every team, then the built-in role default. A target of 0 removes
    the kind from the person's targets.
    """
    ranked: dict[str, tuple[int, int]] = {
        kind: (0, n) for kind, n in DEFAULT_TARGETS.get(role, {}).items()
    }
    mine = person_scope(person_id)
    theirs = role_scope(role)
    for o in overrides:
        if o.team_id is not None and o.team_id != team_id:
            continue
        if o.scope == mine:
            rank = 4 if o.team_id == team_id else 3
        elif o.scope == theirs:
            rank = 2 if o.team_id == team_id else 1
        else:
            continue
        if rank >= ranked.get(o.kind, (-1, 0))[0]:
            ranked[o.kind] = (rank, o.weekly)
    return {kind: n for kind, (_, n) in ranked.items() if n > 0}


def away_days(absences: Iterable[AbsenceRow], monday: date, tenure: Tenure | None = None) -> int:
    """How many days of the week starting ``monday`` fall inside any of ``absences`` (and, with
    ``tenure``, inside the membership: a day outside it is not counted as away)."""
    if tenure is not None and tenure.covers_week(monday):
        tenure = None
    days: set[date] = set()
    for a in absences:
        for i in range(7):
            day = monday + timedelta(days=i)
            if a.starts_on <= day <= a.ends_on and (tenure is None or tenure.contains(day)):
                days.add(day)
    return len(days)


def outside_days(tenure: Tenure | None, monday: date) -> int:
    """How many days of the week starting ``monday`` fall outside ``tenure`` (0 without one)."""
    if tenure is None or tenure.covers_week(monday):
        return 0
    return tenure.week_days(monday).count(False)


def pro_rate(targets: dict[str, int], away: int) -> dict[str, int]:
    """Scale weekly targets by the days present (rounded half up); zero targets drop out."""
    if away <= 0:
        return dict(targets)
    present = max(0, 7 - away)
    scaled = {kind: (n * present * 2 + 7) // 14 for kind, n in targets.items()}
    return {kind: n for kind, n in scaled.items() if n > 0}


def attainment(pairs: Sequence[tuple[int, int]]) -> float | None:
    """Share of targets met: sum(min(done, target)) / sum(target), or None with no targets."""
    total_target = sum(target for _, target in pairs)
    if total_target <= 0:
        return None
    return sum(min(done, target) for done, target in pairs) / total_target


def week_targets(
    *,
    role: Role,
    person_id: int,
    team_id: int,
    overrides: Iterable[TargetRow],
    absences: Iterable[AbsenceRow],
    monday: date,
    tenure: Tenure | None = None,
) -> tuple[dict[str, int], int]:
    """A person's targets for one ISO week in one team, and the days they are away that week.

    The one composition every reader uses (confirmations, ``/week``, ``/totals``, the digest and
    its trend, the cross-team median, nudges): :func:`effective_targets` for precedence, then
    :func:`pro_rate` by the days not counted: days away (:func:`away_days`) and days outside the
    membership ``tenure`` (:func:`outside_days`), a day that is both counting once. A week wholly
    outside the membership has no targets.

    Args:
        tenure: The person's membership period in the team; None counts every day.

    Returns:
        (weekly target per kind, pro-rated and without zeros; days away while a member, 0-7).
    """
    base = effective_targets(role=role, person_id=person_id, team_id=team_id, overrides=overrides)
    return prorated_week(base, absences=absences, monday=monday, tenure=tenure)


def prorated_week(
    base: dict[str, int],
    *,
    absences: Iterable[AbsenceRow],
    monday: date,
    tenure: Tenure | None = None,
) -> tuple[dict[str, int], int]:
    """The second half of :func:`week_targets`, for a reader that has a person's
    :func:`effective_targets` already (they do not change from week to week): ``base``
    pro-rated by the days away or outside ``tenure`` in the week starting ``monday``.

    Returns:
        (weekly target per kind, pro-rated and without zeros; days away while a member, 0-7).
    """
    away = away_days(absences, monday, tenure)
    return pro_rate(base, away + outside_days(tenure, monday)), away


def period_targets(
    *,
    role: Role,
    person_id: int,
    team_id: int,
    overrides: Sequence[TargetRow],
    absences: Sequence[AbsenceRow],
    period: Period,
    tenure: Tenure | None = None,
) -> tuple[dict[str, int], float]:
    """A person's targets over ``period`` in one team, by the rule of :func:`week_targets`.

    A week the period covers whole counts its :func:`week_targets` figure (as the digest and
    ``/week`` show it). A week it covers in part counts ``target × days / 7`` for the days that
    are in the period, inside the membership ``tenure`` and not away (each day once). Each kind's
    sum is rounded (half to even, as :func:`round`) once at the end, and kinds rounding to 0 drop
    out.

    Returns:
        (target per kind over the period; weeks away, i.e. days away while a member in the
        period / 7).
    """
    summed: dict[str, float] = {}
    away_total = 0.0
    base = effective_targets(role=role, person_id=person_id, team_id=team_id, overrides=overrides)
    for monday in period.mondays():
        days = [monday + timedelta(days=i) for i in range(7)]
        if all(period.contains(day) for day in days):
            week, away = prorated_week(base, absences=absences, monday=monday, tenure=tenure)
            away_total += away / 7
            for kind, n in week.items():
                summed[kind] = summed.get(kind, 0.0) + n
            continue
        member = [period.contains(day) and (tenure is None or tenure.contains(day)) for day in days]
        away_flags = [any(a.starts_on <= day <= a.ends_on for a in absences) for day in days]
        counted = sum(1 for m, a in zip(member, away_flags, strict=True) if m and not a)
        away_total += sum(1 for m, a in zip(member, away_flags, strict=True) if m and a) / 7
        for kind, n in base.items():
            summed[kind] = summed.get(kind, 0.0) + n * counted / 7
    return {k: round(v) for k, v in summed.items() if round(v) > 0}, away_total


class Pace(StrEnum):
    """Where a count stands against a weekly target part-way through the week."""

    MET = "met"
    ON_PACE = "on_pace"
    BEHIND = "behind"


def expected_by(target: int, *, days_elapsed: int, away: int = 0, joined_day: int = 0) -> float:
    """How many of ``target`` a steady pace would have done after ``days_elapsed`` days.

    The pace rule shared by ``/week`` and the mid-week nudge: ``target × days so far / 7``, today
    counting as a day so far; nothing is expected of someone away all week. Someone who joined
    this week on weekday ``joined_day`` (0 = Monday) paces over their days as a member:
    ``target × member days so far / member days``.
    """
    if away >= 7:
        return 0.0
    joined = min(max(joined_day, 0), 6)
    member_days = 7 - joined
    return target * min(max(days_elapsed - joined, 0), member_days) / member_days


def pace(done: int, target: int, *, days_elapsed: int, away: int = 0, joined_day: int = 0) -> Pace:
    """:class:`Pace` of ``done`` against ``target`` after ``days_elapsed`` days of the week
    (see :func:`expected_by`)."""
    if done >= target:
        return Pace.MET
    if done >= expected_by(target, days_elapsed=days_elapsed, away=away, joined_day=joined_day):
        return Pace.ON_PACE
    return Pace.BEHIND


def joined_day(tenure: Tenure | None, monday: date) -> int:
    """The weekday (0 = Monday) someone joined on when it falls in the week starting ``monday``;
    0 otherwise (a member from the week's start, or not a member)."""
    joined = None if tenure is None else tenure.joined_between(monday, monday + _SIX_DAYS)
    return 0 if joined is None else (joined - monday).days
