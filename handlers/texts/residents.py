"""What the bot says about ``/residents``, the monthly check-in and ``/active``.

Plain text; names (people's and teams') wrapped with
:func:`~organiser_bot.domain.names.isolated`, so a right-to-left name keeps each line in order.
"""

from __future__ import annotations

from datetime import date

from handlers.texts import refusal_text
from handlers.texts.onboarding import echoed
from organiser_bot.domain.digest import message_length
from organiser_bot.domain.names import isolated
from organiser_bot.domain.periods import MONTH_NAMES, month_of, previous_month
from organiser_bot.usecases.residents import (
    ActiveList,
    ActiveMarked,
    ActiveUsage,
    Answer,
    CheckinClosed,
    CheckinNotMember,
    CheckinRecorded,
    NoMemberToMark,
    NotMemberThen,
    ResidentsFigure,
    ResidentsList,
    ResidentsSet,
    ResidentsShown,
    ResidentsUsage,
    SeveralToMark,
)

RESIDENTS_USAGE = (
    "Usage: /residents <team> <number>, e.g. /residents north-ward 12,400 "
    "(12400, 12 400 and 12_400 work too). /residents <team> shows the figure in force."
)
ACTIVE_USAGE = (
    "Usage: /active @user [month] [no] — e.g. /active @sam, /active @sam lastmonth, "
    "/active @sam 2026-10 no. /active [team] [month] lists who answered."
)
YES_BUTTON = "Yes"
NO_BUTTON = "No"
#: The longest line of names in an ``/active`` list, in UTF-16 units: a longer list goes on
#: more lines, broken between names, so a reply split at Telegram's 4,096 never cuts a name.
NAMES_LINE_WIDTH = 1000


def month_name(month: date) -> str:
    """``November 2026``."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def day_name(day: date) -> str:
    """``7 December 2026``."""
    return f"{day.day} {month_name(day)}"


def residents_count(n: int) -> str:
    """``12,400 residents`` (``1 resident``)."""
    return f"{n:,} resident" + ("" if n == 1 else "s")


def _figure(figure: ResidentsFigure | None) -> str:
    if figure is None:
        return "not recorded yet"
    by = f" by {isolated(figure.set_by_name)}" if figure.set_by_name else ""
    return f"{residents_count(figure.residents)} (set on {day_name(figure.set_on)}{by})"


def residents_set(outcome: ResidentsSet) -> str:
    """``✓ North Ward's area: 12,400 residents (was 11,000).``"""
    team = isolated(outcome.team_name)
    now = residents_count(outcome.residents)
    if not outcome.changed:
        return f"✓ {team}'s area: {now} (unchanged)."
    was = f"was {outcome.was:,}" if outcome.was is not None else "none recorded before"
    return f"✓ {team}'s area: {now} ({was})."


def residents_shown(outcome: ResidentsShown) -> str:
    """The figure in force for one team, and who set it when."""
    team = isolated(outcome.team_name)
    text = f"{team}'s area: {_figure(outcome.figure)}."
    if outcome.figure is None:
        text += " " + RESIDENTS_USAGE
    return text


def residents_list(outcome: ResidentsList) -> str:
    """Each team's figure, one line each."""
    lines = ["Residents of each team's area:"]
    lines += [f"• {isolated(name)}: {_figure(figure)}" for name, figure in outcome.teams]
    lines.append("To change one: /residents <team> <number>")
    return "\n".join(lines)


def checkin_question(month: date, today: date) -> str:
    """The monthly private message about ``month``, sent on the local day ``today``: "this
    month" on the month's last day, "last month" from the 1st to the 7th of the next."""
    this = month_of(today)
    if month == this:
        which = f"this month ({month_name(month)})"
    elif month == previous_month(this):
        which = f"last month ({month_name(month)})"
    else:
        which = f"in {month_name(month)}"
    return (
        f"Were you active {which}?\n"
        "Your answer counts towards your team's residents per active member."
    )


def _state(active: bool) -> str:
    return "active" if active else "not active"


def checkin_recorded(outcome: CheckinRecorded) -> str:
    """What a tap recorded (the check-in message becomes this, its buttons kept)."""
    text = f"✓ Recorded: {_state(outcome.active)} in {month_name(outcome.month)}."
    if outcome.was is not None and not outcome.was.own and outcome.was.active != outcome.active:
        text += f" (An organiser had marked you {_state(outcome.was.active)}: your answer counts.)"
    return f"{text} Tap again to change it until {day_name(outcome.open_until)}."


def checkin_closed(outcome: CheckinClosed, today: date) -> str:
    """A tap for a month whose check-in is not open."""
    month = month_name(outcome.month)
    if outcome.closed_on < today:
        return (
            f"The check-in for {month} closed on {day_name(outcome.closed_on)}; nothing was "
            "changed. An organiser can still mark you with /active."
        )
    return f"The check-in for {month} isn't open; nothing was changed."


def checkin_not_member(outcome: CheckinNotMember) -> str:
    """A tap for a month in which the tapper belonged to no team."""
    return (
        f"You weren't in a team in {month_name(outcome.month)}, so there's nothing to answer "
        "for it; nothing was changed."
    )


def _was(was: Answer | None) -> str:
    if was is None:
        return "no answer before"
    if was.own:
        whose = "their own answer"
    elif was.marker_forgotten:
        whose = "marked by a former member"
    else:
        whose = "marked"
    return f"was {_state(was.active)}, {whose}"


def active_marked(outcome: ActiveMarked) -> str:
    """The reply to ``/active @user``: who, which month, and what it was before."""
    who = isolated(outcome.name)
    month = month_name(outcome.month)
    if not outcome.changed:
        return f"✓ {who} is already {_state(outcome.active)} in {month} ({_was(outcome.was)})."
    return f"✓ {who}: {_state(outcome.active)} in {month} ({_was(outcome.was)})."


def active_list(outcome: ActiveList) -> str:
    """The month's answers in a team, so an organiser knows whom to mark."""
    lines = [f"{isolated(outcome.team_name)} — {month_name(outcome.month)}:"]
    parts = (
        ("Active", outcome.active),
        ("Not active", outcome.not_active),
        ("Not answered", outcome.unanswered),
    )
    for title, names in parts:
        lines += _wrapped(f"{title} ({len(names)}): ", [isolated(name) for name in names] or ["—"])
    if outcome.unanswered:
        lines.append("Mark someone: /active @user [month] [no]")
    return "\n".join(lines)


def _wrapped(head: str, names: list[str]) -> list[str]:
    # ``head`` then ``names`` joined by commas, on as many lines as keep each within
    # NAMES_LINE_WIDTH, broken only between names (a name longer than that has a line alone).
    pieces = [f"{name}," for name in names[:-1]] + names[-1:]
    lines: list[str] = []
    line, fresh = head, True
    for piece in pieces:
        joined = line + piece if fresh else f"{line} {piece}"
        if not fresh and message_length(joined) > NAMES_LINE_WIDTH:
            lines.append(line)
            joined = piece
        line, fresh = joined, False
    lines.append(line)
    return lines


@refusal_text.register
def _(refusal: ResidentsUsage) -> str:
    return (
        f"{isolated(echoed(refusal.typed))} isn't a number of residents: give a whole number "
        f"from 1 to {refusal.maximum:,}, e.g. /residents north-ward 12,400"
    )


@refusal_text.register
def _(refusal: ActiveUsage) -> str:
    if refusal.word is None:
        return "Name the team: /active <team> [month]. " + ACTIVE_USAGE
    return f"I can't read {isolated(echoed(refusal.word))} here. " + ACTIVE_USAGE


@refusal_text.register
def _(refusal: NoMemberToMark) -> str:
    return (
        f"No member {echoed(refusal.username)} in a team you can mark. Check the spelling; "
        "/active <team> lists the team's members."
    )


@refusal_text.register
def _(refusal: SeveralToMark) -> str:
    return (
        f"Several members hold {echoed(refusal.username)}, so I can't tell whom you mean. "
        "Ask them to send me a message (it refreshes their @username), then try again."
    )


@refusal_text.register
def _(refusal: NotMemberThen) -> str:
    if refusal.left:
        return (
            f"{isolated(refusal.name)} wasn't a member in {month_name(refusal.month)}, so "
            "there's nothing to mark for it."
        )
    return (
        f"{isolated(refusal.name)} joined after {month_name(refusal.month)} ended, so there's "
        "nothing to mark for it."
    )
