"""What the bot says for ``/measures``: each team's rolling measures as plain text, each
figure first in a column of its own so names of any length or script do not move it."""

from __future__ import annotations

from datetime import date

from handlers.texts import refusal_text
from handlers.texts.onboarding import echoed, team_list
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.measures import (
    KindChange,
    MeasuresSummary,
    MonthActive,
    Rate,
    TeamMeasures,
    TeamSummary,
)
from organiser_bot.domain.names import isolated
from organiser_bot.domain.periods import PERIOD_HELP
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.measures import NoTeamOrPeriodToMeasure

#: Width of the figure column.
_FIGURE = 6
NO_DAY = "—"

_ROLES = {
    Role.COUNCILLOR: "councillors",
    Role.ORGANISER: "organisers",
    Role.CASEWORKER: "caseworkers",
}


def _span(first: date, last: date) -> str:
    """``26 Oct – 22 Nov`` (the year added when the span crosses one)."""
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b} – {last.day} {last:%b}"


def _row(figure: str, text: str) -> str:
    return f"{figure:>{_FIGURE}}  {text}"


def _days(n: int) -> str:
    return f"{n:,} day{'s' if n != 1 else ''}"


def _rate_row(label: str, rate: Rate) -> str:
    per_week = rate.per_week
    if per_week is None:
        return _row(NO_DAY, f"{label}: no day present")
    return _row(f"{per_week:.1f}", f"{label} ({rate.contacts:,} in {_days(rate.days_present)})")


def _change(kind: KindChange, label: str) -> str:
    if kind.percent is None:
        detail = "0 before: new"
    else:
        detail = f"{kind.previous} before: {kind.change:+d}, {kind.percent:+.0f}%"
    return _row(f"{kind.total:,}", f"{label} ({detail})")


def _month(month: MonthActive) -> str:
    name = f"{month.month:%b}" + (" so far" if month.so_far else "")
    per_active = month.per_active
    active = f"{month.active} active"
    if month.residents is None:
        return _row(NO_DAY, f"{name}: no residents figure recorded ({active})")
    if per_active is None:
        return _row(NO_DAY, f"{name}: no member active ({month.residents:,} residents)")
    return _row(f"{per_active:,.0f}", f"{name} ({month.residents:,} residents, {active})")


def team_measures(block: TeamMeasures, kinds: KindRegistry) -> str:
    """One team's measures: the four-week rate (per person when shown, per role, for the
    team), the 13-week change per kind and residents per active member by month."""
    lines = [
        f"{isolated(block.team_name)} · measures",
        f"Resident contacts a week present · 4 weeks {_span(*block.weeks4)}",
    ]
    for person in block.people:
        lines.append(_rate_row(f"{isolated(person.name)}, {person.role.value}", person.rate))
    if block.by_role:
        lines += [_rate_row(_ROLES[role], rate) for role, rate in block.by_role]
        lines.append(_rate_row("team", block.team_rate))
    else:
        lines.append(_row(NO_DAY, "no councillors, organisers or caseworkers in these weeks"))
    lines.append(
        f"13 weeks {_span(*block.weeks13)} against the 13 before ({_span(*block.previous13)})"
    )
    if block.rolling13:
        lines += [_change(kind, kinds.get(kind.kind).label) for kind in block.rolling13]
    else:
        lines.append(_row(NO_DAY, "nothing logged in either"))
    lines.append("Residents per active member")
    lines += [_month(month) for month in block.months]
    return "\n".join(lines)


_NOTE = (
    "Rates: contacts ÷ weeks present (days as a member, not away, ÷ 7); managers' own "
    "contacts are not in them."
)


def _month_name(month: MonthActive) -> str:
    return f"{month.month:%b}" + (" so far" if month.so_far else "")


def _compact(kind: KindChange | None) -> str:
    """A kind's 13-week total and its change in a few characters: ``340 +5%``, ``9 new``,
    ``0 -100%``, ``0`` (nothing in either span)."""
    if kind is None:
        return "0"
    if kind.percent is None:
        return f"{kind.total:,} new"
    return f"{kind.total:,} {round(kind.percent):+d}%"


def _team_line(team: TeamSummary, kinds: tuple[str, ...]) -> str:
    rate = team.team_rate.per_week
    per_active = team.month.per_active
    changes = {kind.kind: kind for kind in team.rolling13}
    figures = " · ".join(_compact(changes.get(kind)) for kind in kinds)
    return (
        f"{f'{rate:.1f}' if rate is not None else NO_DAY:>{_FIGURE}}  "
        f"{f'{per_active:,.0f}' if per_active is not None else NO_DAY:>{_FIGURE}}  "
        + (f"{figures} · " if figures else "")
        + isolated(team.team_name)
    )


def summary(shown: MeasuresSummary, kinds: KindRegistry) -> str:
    """Several teams' measures: each role's rate pooled over them all, then a line per team
    (its rate, residents per active member in the as-at month, and each kind's 13-week total
    with the change against the 13 before), figures first; nobody's own figures."""
    lines = [
        f"Measures of {len(shown.teams)} teams",
        f"Resident contacts a week present · 4 weeks {_span(*shown.weeks4)}",
    ]
    if shown.by_role:
        lines += [_rate_row(_ROLES[role], rate) for role, rate in shown.by_role]
        lines.append(_rate_row("all of them", shown.rate))
    else:
        lines.append(_row(NO_DAY, "no councillors, organisers or caseworkers in these weeks"))
    month = _month_name(shown.teams[0].month) if shown.teams else ""
    labels = ", ".join(kinds.get(kind).label for kind in shown.kinds)
    lines += [
        "",
        "Per team: contacts a week present · residents per active member "
        f"({month})"
        + (
            f" · 13 weeks {_span(*shown.weeks13)} and the change against the 13 before "
            f"({_span(*shown.previous13)}): {labels}"
            if labels
            else " · nothing logged in 26 weeks"
        ),
    ]
    lines += [_team_line(team, shown.kinds) for team in shown.teams]
    lines += [
        "",
        f"{_NOTE} {NO_DAY}: no day present; no residents figure recorded or no member active. "
        "One team in full: /measures <team>.",
    ]
    return "\n".join(lines)


def measures(shown: TeamMeasures | MeasuresSummary, kinds: KindRegistry) -> str:
    """The reply to ``/measures``: one team's measures in full, or several teams' summary;
    then what the figures mean."""
    if isinstance(shown, MeasuresSummary):
        return summary(shown, kinds)
    notes = [_NOTE]
    if not shown.people and shown.by_role:
        notes.append("Per-person rates: the team's managers and admins.")
    return team_measures(shown, kinds) + "\n\n" + " ".join(notes)


@refusal_text.register
def _(refusal: NoTeamOrPeriodToMeasure) -> str:
    typed = isolated(echoed(refusal.typed))
    if not refusal.slugs:
        return f"No team called {typed} that you can see."
    return (
        f"No team called {typed} that you can see (yours: {team_list(refusal.slugs)}). "
        f"To say when, put it after the team or on its own, e.g. /measures "
        f"{refusal.slugs[0]} lastmonth. {PERIOD_HELP}"
    )
