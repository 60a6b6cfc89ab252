"""The election review's rolling measures (``/measures``), as pure values and arithmetic.

The review of a national party's 2019 election (quoted in the design notes) recommended
measuring *monthly rolling weekly resident contacts per councillor / organiser / caseworker* and
a *three-month rolling contact rate*; the organisation added *residents per active monthly
member*. Each is defined here once:

* :class:`Rate`: resident contacts over the last four complete weeks ÷ the weeks present in
  them (days present ÷ 7), per person, pooled per role and for the team.
* :class:`KindChange`: a team's total of one kind over the last thirteen complete weeks against
  the thirteen before.
* :class:`MonthActive`: a team's residents ÷ its members active in a calendar month.

A week is *complete* when its Sunday is before today and before the period's end
(:func:`last_complete_sunday`). Days present (:func:`days_present`) are the days of a window
inside the membership period (:class:`~organiser_bot.domain.targets.Tenure`) and not inside an
absence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from organiser_bot.domain.periods import month_of, previous_month
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import AbsenceRow, Tenure

#: The kind the monthly rolling weekly rate counts.
RESIDENT_CONTACT = "resident_contact"

#: The roles the review names for the weekly rate, in the order replies list them; managers'
#: own contacts are not in the rate.
RATE_ROLES: tuple[Role, ...] = (Role.COUNCILLOR, Role.ORGANISER, Role.CASEWORKER)

#: Complete weeks in the monthly rolling rate, and in each half of the three-month comparison.
RATE_WEEKS = 4
ROLLING_WEEKS = 13

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class KindChange:
    """One kind's team total over the last 13 complete weeks (``total``) against the 13 before
    (``previous``); both counts of entries."""

    kind: str
    total: int
    previous: int

    @property
    def change(self) -> int:
        """``total - previous`` (negative when fewer)."""
        return self.total - self.previous

    @property
    def percent(self) -> float | None:
        """The change as a percentage of ``previous``; None when ``previous`` is 0 (new)."""
        if self.previous == 0:
            return None
        return self.change * 100 / self.previous


@dataclass(frozen=True, slots=True)
class Rate:
    """Resident contacts over a window and the days present in it (0-28 for one person over
    four weeks; summed when pooled)."""

    contacts: int
    days_present: int

    @property
    def per_week(self) -> float | None:
        """Contacts per week present: ``contacts ÷ (days_present ÷ 7)``; None with no day
        present (never 0 or a division by zero)."""
        if self.days_present <= 0:
            return None
        return self.contacts * 7 / self.days_present

    def __add__(self, other: Rate) -> Rate:
        """The pooled rate: contacts and days present summed."""
        return Rate(self.contacts + other.contacts, self.days_present + other.days_present)


@dataclass(frozen=True, slots=True)
class PersonRate:
    """One member's rate over the four weeks; ``name`` as told apart from the team's others."""

    person_id: int
    name: str
    role: Role
    rate: Rate


@dataclass(frozen=True, slots=True)
class MonthActive:
    """A team's residents per active member in one calendar month.

    Attributes:
        month: The month's first day.
        residents: The residents figure in force at the month's end (else the first recorded);
            None when the team has none recorded.
        active: Members of the team in the month who were active in it (check-in or mark).
        so_far: The month is the current one (not over yet).
    """

    month: date
    residents: int | None
    active: int
    so_far: bool

    @property
    def per_active(self) -> float | None:
        """``residents ÷ active``; None without a residents figure or without an active
        member."""
        if self.residents is None or self.active <= 0:
            return None
        return self.residents / self.active


@dataclass(frozen=True, slots=True)
class TeamMeasures:
    """One team's measures as at a day.

    Attributes:
        weeks4: The four complete weeks of the rate (first Monday, last Sunday, inclusive).
        weeks13: The last 13 complete weeks (first Monday, last Sunday).
        previous13: The 13 weeks before those.
        rolling13: Each kind with an entry in either span, in the kinds' order.
        people: Each councillor, organiser and caseworker with a day of membership in
            ``weeks4``, by name; empty when the viewer may not see per-person figures.
        by_role: The pooled rate of each of :data:`RATE_ROLES` that has someone in ``weeks4``.
        team_rate: Every one of those people pooled.
        months: The month the figures are as at and the two before, oldest first.
    """

    team_id: int
    team_name: str
    weeks4: tuple[date, date]
    weeks13: tuple[date, date]
    previous13: tuple[date, date]
    rolling13: tuple[KindChange, ...]
    people: tuple[PersonRate, ...]
    by_role: tuple[tuple[Role, Rate], ...]
    team_rate: Rate
    months: tuple[MonthActive, ...]


@dataclass(frozen=True, slots=True)
class TeamSummary:
    """One team's line when several teams are shown: the figures of its
    :class:`TeamMeasures`, without anyone's own.

    Attributes:
        team_rate: The team's councillors, organisers and caseworkers pooled over ``weeks4``
            (``TeamMeasures.team_rate``).
        rolling13: Each kind with an entry in either 13-week span (``TeamMeasures.rolling13``).
        month: Residents per active member in the month the figures are as at
            (``TeamMeasures.months[-1]``).
    """

    team_id: int
    team_name: str
    team_rate: Rate
    rolling13: tuple[KindChange, ...]
    month: MonthActive


@dataclass(frozen=True, slots=True)
class RoleFigures:
    """One role's part of a team's line: the resident contacts and days present over the four
    weeks of the team's members holding it, and whether anyone is listed in it (only a role
    someone is listed in is pooled into :attr:`MeasuresSummary.by_role`)."""

    role: Role
    rate: Rate
    listed: bool


@dataclass(frozen=True, slots=True)
class TeamFigures:
    """What a team's :class:`TeamSummary` is made from: its figures over a :class:`Windows`,
    without its name or anything that depends on the day they are shown.

    Attributes:
        roles: A :class:`RoleFigures` per role of :data:`RATE_ROLES` with contacts, days
            present or someone listed, in that order.
        rolling13: Each kind with an entry in either 13-week span, by key.
        residents: The residents figure in force at the as-at month's end; None if none.
        active: Members active in the as-at month.
    """

    roles: tuple[RoleFigures, ...]
    rolling13: tuple[KindChange, ...]
    residents: int | None
    active: int


@dataclass(frozen=True, slots=True)
class MeasuresSummary:
    """The measures of several teams: a line per team and, over every team shown, each
    role's rate pooled (a person in two teams counts in each, as in each team's figures).

    Attributes:
        weeks4, weeks13, previous13: As in :class:`TeamMeasures`.
        by_role: Each of :data:`RATE_ROLES` someone holds in a team shown, pooled over them all
            (the sum of the teams' ``TeamMeasures.by_role``).
        rate: Everyone in ``by_role`` pooled.
        kinds: Every kind in a team's ``rolling13``, in the kinds' order.
        teams: A line per team, in the teams' order by name.
    """

    weeks4: tuple[date, date]
    weeks13: tuple[date, date]
    previous13: tuple[date, date]
    by_role: tuple[tuple[Role, Rate], ...]
    rate: Rate
    kinds: tuple[str, ...]
    teams: tuple[TeamSummary, ...]


@dataclass(frozen=True, slots=True)
class Windows:
    """The spans the measures cover when taken as at a day (each first Monday, last Sunday)."""

    weeks4: tuple[date, date]
    weeks13: tuple[date, date]
    previous13: tuple[date, date]
    months: tuple[date, date, date]
    current_month: date


def last_complete_sunday(*, today: date, end: date) -> date:
    """The latest Sunday before both ``today`` and ``end`` (the day after a period's last day):
    the end of the last complete week."""
    day = min(today, end) - _DAY
    return day - timedelta(days=(day.weekday() + 1) % 7)


def windows(*, today: date, end: date) -> Windows:
    """The measures' spans as at the period ending the day before ``end`` (or today, if
    sooner): four and 13 complete weeks back from :func:`last_complete_sunday`, the 13 before,
    and the month of the as-at day with the two before it."""
    sunday = last_complete_sunday(today=today, end=end)
    as_at = min(today, end - _DAY)
    third = month_of(as_at)
    second = previous_month(third)
    first = previous_month(second)
    return Windows(
        weeks4=(sunday - RATE_WEEKS * _WEEK + _DAY, sunday),
        weeks13=(sunday - ROLLING_WEEKS * _WEEK + _DAY, sunday),
        previous13=(sunday - 2 * ROLLING_WEEKS * _WEEK + _DAY, sunday - ROLLING_WEEKS * _WEEK),
        months=(first, second, third),
        current_month=month_of(today),
    )


def _clip(spans: Iterable[tuple[date, date]], first: date, last: date) -> list[tuple[date, date]]:
    """``spans`` (inclusive) cut to ``[first, last]``, empty ones dropped, sorted and merged."""
    cut = sorted((max(a, first), min(b, last)) for a, b in spans if a <= last and b >= first)
    merged: list[tuple[date, date]] = []
    for a, b in cut:
        if merged and a <= merged[-1][1] + _DAY:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def member_spans(tenure: Tenure, first: date, last: date) -> list[tuple[date, date]]:
    """The spans of ``[first, last]`` (inclusive) inside ``tenure``: the membership period cut
    by its gaps."""
    end = last if tenure.left_on is None else min(last, tenure.left_on)
    start = max(first, tenure.joined_on)
    if start > end:
        return []
    spans = []
    for gap_start, gap_end in sorted(tenure.gaps):
        if gap_end < start or gap_start > end:
            continue
        if gap_start > start:
            spans.append((start, gap_start - _DAY))
        start = max(start, gap_end + _DAY)
    if start <= end:
        spans.append((start, end))
    return spans


def present_throughout(
    joined_on: date, left_on: date | None, *, gaps: bool, away: bool, first: date, last: date
) -> bool:
    """True when a member was present every day of ``[first, last]``: a member from
    ``joined_on`` or before ``first`` until ``left_on`` (None: still) on or after ``last``,
    with no gap in the membership (``gaps``: it has any) and no absence overlapping the window
    (``away``). Then :func:`days_present` is the window's length, and ``/measures`` over many
    teams counts such members in SQL (``storage.measures.presence_by_role`` states this very
    test) and only the others one by one."""
    return not gaps and not away and joined_on <= first and (left_on is None or left_on >= last)


def days_present(tenure: Tenure, absences: Sequence[AbsenceRow], *, first: date, last: date) -> int:
    """Days of ``[first, last]`` (inclusive) inside the membership ``tenure`` and inside none
    of ``absences`` (each day once, however many absences cover it)."""
    start = first if tenure.joined_on <= first else tenure.joined_on
    end = last if tenure.left_on is None or tenure.left_on >= last else tenure.left_on
    if start > end:
        return 0
    if tenure.gaps:
        inside = member_spans(tenure, first, last)
        if not inside:
            return 0
        total = sum((b - a).days + 1 for a, b in inside)
    else:
        # Most people: one unbroken span (the whole window when they were a member throughout).
        total = (end - start).days + 1
        if not absences:
            return total
        inside = [(start, end)]
    if len(absences) == 1:
        [a] = absences
        away = (
            [(max(a.starts_on, first), min(a.ends_on, last))]
            if (a.starts_on <= last and a.ends_on >= first)
            else []
        )
    else:
        away = _clip(((a.starts_on, a.ends_on) for a in absences), first, last)
    for a_start, a_end in away:
        for m_start, m_end in inside:
            lo, hi = max(a_start, m_start), min(a_end, m_end)
            if lo <= hi:
                total -= (hi - lo).days + 1
    return total


def pooled(rates: Iterable[Rate]) -> Rate:
    """Contacts and days present summed: the rate of a role or a team."""
    contacts = days = 0
    for rate in rates:
        contacts += rate.contacts
        days += rate.days_present
    return Rate(contacts, days)


def by_role(people: Iterable[tuple[Role, Rate]]) -> tuple[tuple[Role, Rate], ...]:
    """Each of :data:`RATE_ROLES` someone in ``people`` holds, with their rates pooled, in the
    order of :data:`RATE_ROLES`."""
    sums: dict[Role, list[int]] = {}
    for role, rate in people:
        pair = sums.get(role)
        if pair is None:
            sums[role] = [rate.contacts, rate.days_present]
        else:
            pair[0] += rate.contacts
            pair[1] += rate.days_present
    return tuple((role, Rate(*sums[role])) for role in RATE_ROLES if role in sums)
