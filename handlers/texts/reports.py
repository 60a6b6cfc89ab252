"""What the bot says when people read: their week and diary, team totals and members, exports
and targets (what it holds about them is :mod:`handlers.texts.privacy`)."""

from __future__ import annotations

from datetime import timedelta

from handlers.texts import refusal_text
from handlers.texts.onboarding import echoed, team_list
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.names import isolated
from organiser_bot.domain.periods import PERIOD_HELP, Period
from organiser_bot.domain.targets import Pace
from organiser_bot.usecases.exports import CsvExport
from organiser_bot.usecases.members import (
    MemberRemoved,
    NotInTeam,
    RemoveNeedsConfirm,
    RemoveNotPermitted,
    RemoveSelf,
    RemoveUsage,
)
from organiser_bot.usecases.reports import (
    DIARY_LIMIT,
    BadPeriod,
    Diary,
    KindWeek,
    MyWeek,
    NoTeamOrPeriod,
    TeamListing,
    TeamTotals,
)


def _count(label: str, done: int, target: int | None) -> str:
    return f"{label} {done}/{target}" if target else f"{label} {done}"


def _pace(kind: KindWeek) -> str:
    if kind.pace is Pace.MET:
        return "✓ met"
    if kind.pace is Pace.ON_PACE:
        return "on pace"
    return f"behind pace (about {round(kind.expected)} by today)"


def my_week(week: MyWeek, kinds: KindRegistry) -> str:
    """The reply to ``/week``: a block per team, then the days left."""
    blocks = []
    for team in week.teams:
        away = f" · away {team.away}d" if team.away else ""
        joined = f" · joined {team.joined_on:%a}" if team.joined_on else ""
        lines = [f"{team.team_name} · week of {week.monday:%a %d %b}{joined}{away}"]
        if not team.kinds:
            lines.append("  nothing logged yet, no targets")
        for kind in team.kinds:
            label = kinds.get(kind.kind).label
            if kind.target is None:
                lines.append(f"  {label}: {kind.done}")
            else:
                lines.append(f"  {label}: {kind.done}/{kind.target} · {_pace(kind)}")
        blocks.append("\n".join(lines))
    days = week.days_left
    footer = f"{days} day{'s' if days != 1 else ''} left this week."
    return "\n\n".join(blocks) + "\n" + footer


def diary(diary: Diary, kinds: KindRegistry) -> str:
    """The reply to ``/diary``: entries grouped by day, with count, kind and note, and the time
    of day when the person gave one."""
    if not diary.entries:
        return f"No entries in {diary.period.label}."
    lines = [f"Your diary · {diary.period.label}"]
    day = None
    for entry in diary.entries:
        if entry.on != day:
            day = entry.on
            lines.append(f"{day:%a %d %b}")
        count = f"{entry.count} × " if entry.count != 1 else ""
        team = f" #{entry.team_slug}" if entry.team_slug else ""
        note = f" — {entry.note}" if entry.note else ""
        at = f"{entry.at:%H:%M} " if entry.at is not None else ""
        lines.append(f"  {at}{count}{kinds.get(entry.kind).label}{team}{note}")
    if diary.truncated:
        lines.append(f"(first {DIARY_LIMIT} shown; use a shorter period)")
    return "\n".join(lines)


def _team_totals(block: TeamTotals, kinds: KindRegistry) -> str:
    lines = [f"{block.team_name} · {block.period.label}"]
    for m in block.members:
        parts = [
            _count(kinds.get(kind).label, m.totals.get(kind, 0), m.targets.get(kind))
            for kind in dict.fromkeys([*m.targets, *m.totals])
        ]
        notes = [m.role.value]
        if m.joined_on is not None:
            notes.append(f"joined {m.joined_on:%a} {m.joined_on.day} {m.joined_on:%b}")
        if m.left_on is not None:
            notes.append(f"left {m.left_on:%a} {m.left_on.day} {m.left_on:%b}")
        lines.append(f"• {isolated(m.name)} ({', '.join(notes)}): " + (", ".join(parts) or "—"))
    if block.members:
        summary = ", ".join(
            _count(kinds.get(kind).label, done, target) for kind, done, target in block.summary()
        )
        lines.append(f"Team: {summary or 'nothing logged'}")
    else:
        lines.append("No members yet.")
    return "\n".join(lines)


def totals(blocks: tuple[TeamTotals, ...], kinds: KindRegistry) -> str:
    """The reply to ``/totals``: each member against their targets, then the team's sums."""
    return "\n\n".join(_team_totals(block, kinds) for block in blocks)


def team_listing(teams: tuple[TeamListing, ...]) -> str:
    """The reply to ``/team``: each team's chat and members with their roles."""
    if not teams:
        return "No teams yet. /newteam <name> creates one."
    blocks = []
    for team in teams:
        chat = "has a chat" if team.has_chat else f"no chat yet: /bind {team.slug} in its group"
        lines = [f"{team.name} ({team.slug}) · {len(team.members)} members · {chat}"]
        lines += [
            f"• {isolated(m.name)}"
            # A name shared in the team already ends with its ``(@username)``.
            + (f" @{m.username}" if m.username and f"(@{m.username})" not in m.name else "")
            + f" — {m.role.value}"
            for m in team.members
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def export_filename(period: Period) -> str:
    """The CSV's file name: ``entries-<first day>-<last day>.csv``."""
    return f"entries-{period.start}-{period.end - timedelta(days=1)}.csv"


def export_caption(export: CsvExport) -> str:
    """The caption sent with the CSV, which warns that it holds notes."""
    return (
        f"{export.rows} entries · {export.period.label}. "
        "Contains notes: keep it within the team's managers."
    )


@refusal_text.register
def _(refusal: BadPeriod) -> str:
    return str(refusal.error)


@refusal_text.register
def _(refusal: NoTeamOrPeriod) -> str:
    typed = isolated(echoed(refusal.typed))
    if not refusal.slugs:
        return f"No team called {typed} that you can see. /newteam <name> creates one."
    return (
        f"No team called {typed} that you can see (yours: {team_list(refusal.slugs)}). "
        f"To say when, put it after the team or on its own, e.g. /totals {refusal.slugs[0]} 4w. "
        f"{PERIOD_HELP}"
    )


# --- /remove -------------------------------------------------------------------------------------

REMOVE_USAGE = (
    "Usage: /remove <team> [@username] — ends their membership of the team today; without an "
    "@username, choose from the team's members."
)


def remove_member(outcome: RemoveNeedsConfirm | MemberRemoved) -> str:
    """The reply to ``/remove``: what it would do and how to confirm, or what was done."""
    if isinstance(outcome, RemoveNeedsConfirm):
        return (
            f"This ends {outcome.name}'s membership of {outcome.team_name}: today "
            f"({outcome.last_day:%a} {outcome.last_day.day} {outcome.last_day:%b}) is their last "
            "day, their targets stop after it, and past weeks still count their days. Their "
            "entries stay.\n"
            f"To go ahead: /remove {outcome.team_slug} {outcome.username} confirm"
        )
    return (
        f"✓ {outcome.name} is no longer in {outcome.team_name} (last day "
        f"{outcome.last_day:%a} {outcome.last_day.day} {outcome.last_day:%b})."
    )


@refusal_text.register
def _(refusal: RemoveUsage) -> str:
    return REMOVE_USAGE


@refusal_text.register
def _(refusal: RemoveNotPermitted) -> str:
    return "Only a team's managers or an admin can remove members."


@refusal_text.register
def _(refusal: NotInTeam) -> str:
    return (
        f"{refusal.username} isn't a member of {refusal.team_name}. Check the spelling, or leave "
        "out the @username to choose from the team's members."
    )


@refusal_text.register
def _(refusal: RemoveSelf) -> str:
    return "You can't remove yourself from a team you manage; ask an admin."
