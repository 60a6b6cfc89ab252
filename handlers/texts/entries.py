"""What the bot says about logging: confirmations, undo, edits, absences, nudges and /forgetme."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from handlers.texts import refusal_text
from organiser_bot.domain.periods import iso_week_label
from organiser_bot.usecases.logbook import (
    AlreadyUndone,
    Confirmed,
    Logged,
    NothingToUndo,
    NotYourEntries,
    ReplayOfUndone,
    Undone,
    UnknownTeamTag,
    UnreadableLine,
)
from organiser_bot.usecases.members import (
    ABSENCE_BACKDATE_WEEKS,
    FORGET_CONFIRM,
    AbsenceBackwards,
    AbsenceCancelled,
    AbsenceRecorded,
    Absences,
    AbsenceTooLong,
    AbsenceTooOld,
    AwayUsage,
    ForgetNeedsConfirm,
    Forgotten,
    NoAbsenceToCancel,
    NothingHeld,
    NudgesSet,
)

LOG_USAGE = "Usage: /log <kind> [count] [when] [note], e.g. /log doors 14 yesterday"
AWAY_USAGE = "Usage: /away <from> <to>, e.g. /away 2026-12-21 2026-12-27 or /away 21/12 27/12"
OTHER_PRIVATE = "I only understand text logs and commands. /help lists them."
UNDO_BUTTON = "Undo"
BUTTON_EXPIRED = "That button has expired."

_LOGGED_MARK = "✓"
_UNDONE_MARK = "↩"


def day_label(day: date) -> str:
    """``Mon 23 Nov``."""
    return f"{day:%a} {day.day} {day:%b}"


def _confirmation(entries: Iterable[Confirmed], *, several_teams: bool, mark: str) -> str:
    """One line per entry: ``✓ 3 × one-to-one · Thu 26 Nov · week 4/15 [· Team]``."""
    lines = []
    for entry in entries:
        label = entry.kind.label
        what = f"{entry.count} × {label}" if entry.count != 1 else label
        parts = [f"{mark} {what}", day_label(entry.day)]
        if entry.team is not None and entry.week is not None:
            week = entry.week
            when = "week" if week.current else iso_week_label(week.monday)
            tally = f"{week.done}/{week.target}" if week.target else f"{week.done}"
            parts.append(f"{when} {tally}")
            if several_teams:
                parts.append(entry.team.name)
        lines.append(" · ".join(parts))
    return "\n".join(lines)


def logged(outcome: Logged | ReplayOfUndone) -> str:
    """The confirmation of a quick log, a replay of one, or an edit of one."""
    if isinstance(outcome, ReplayOfUndone):
        return "Those entries were undone."
    text = _confirmation(outcome.entries, several_teams=outcome.several_teams, mark=_LOGGED_MARK)
    return "Updated:\n" + text if outcome.updated else text


def undone(outcome: Undone) -> str:
    """The reply to an undo: the withdrawn entries and each week's total after it."""
    return "Removed:\n" + _confirmation(
        outcome.entries, several_teams=outcome.several_teams, mark=_UNDONE_MARK
    )


def away(outcome: Absences | AbsenceCancelled | AbsenceRecorded) -> str:
    """The reply to ``/away``: the absences listed, one cancelled or one recorded."""
    if isinstance(outcome, Absences):
        if not outcome.absences:
            return f"No absences recorded. {AWAY_USAGE}"
        listed = "\n".join(
            f"• {a.starts_on:%a %d %b} – {a.ends_on:%a %d %b %Y}" for a in outcome.absences
        )
        return f"Your absences:\n{listed}\n/away cancel removes the latest."
    if isinstance(outcome, AbsenceCancelled):
        return f"✓ Absence {outcome.starts_on:%d %b} – {outcome.ends_on:%d %b} cancelled."
    days = outcome.days
    return (
        f"✓ Away {outcome.starts_on:%a %d %b} – {outcome.ends_on:%a %d %b} "
        f"({days} day{'s' if days != 1 else ''}). "
        "Targets for those weeks are pro-rated and the digest shows you as away."
    )


def nudges(outcome: NudgesSet) -> str:
    """The reply to ``/pause`` and ``/resume``."""
    if outcome.paused:
        return "✓ Nudges paused. You'll still get your confirmations. /resume to turn them back on."
    return "✓ Nudges back on: one private reminder midweek if you're behind pace."


def forget(outcome: ForgetNeedsConfirm | Forgotten) -> str:
    """The reply to ``/forgetme``: what it would do, or what it did."""
    if isinstance(outcome, Forgotten):
        return f"Done: {outcome.entries} entries removed, notes erased, and you've left every team."
    return (
        "This erases your notes, removes all your entries from the totals and takes you out "
        f"of every team. It can't be undone. To go ahead: /forgetme {FORGET_CONFIRM}"
    )


@refusal_text.register
def _(refusal: UnreadableLine) -> str:
    error, several = refusal.error, refusal.lines > 1
    if refusal.editing:
        where = f"line {error.line_no}" if several else "it"
        return (
            f"I couldn't read your edit ({where}: {error.message}). "
            f"Your entries are unchanged.\nExample: {error.example}"
        )
    where = f"Line {error.line_no}" if several else "That"
    tail = "\nNothing from this message was logged." if several else ""
    return f"{where} couldn't be logged: {error.message}\nExample: {error.example}{tail}"


@refusal_text.register
def _(refusal: UnknownTeamTag) -> str:
    names = ", ".join(f"#{slug}" for slug in refusal.slugs)
    text = (
        f"Line {refusal.line_no}: #{refusal.tag} isn't one of your teams ({names}). Nothing logged."
    )
    return text + " Your entries are unchanged." if refusal.editing else text


@refusal_text.register
def _(refusal: NotYourEntries) -> str:
    if refusal.editing:
        return "You can only change your own entries."
    return "You can only undo your own entries."


@refusal_text.register
def _(refusal: NothingToUndo) -> str:
    return "Nothing to undo there." if refusal.from_message else "Nothing to undo."


@refusal_text.register
def _(refusal: AlreadyUndone) -> str:
    return "Already undone."


@refusal_text.register
def _(refusal: AwayUsage) -> str:
    return AWAY_USAGE


@refusal_text.register
def _(refusal: AbsenceBackwards) -> str:
    return "The end is before the start. " + AWAY_USAGE


@refusal_text.register
def _(refusal: AbsenceTooLong) -> str:
    return "An absence can be at most a year; split longer ones."


@refusal_text.register
def _(refusal: AbsenceTooOld) -> str:
    return (
        f"That's more than {ABSENCE_BACKDATE_WEEKS} weeks ago; "
        "ask your manager to adjust past weeks."
    )


@refusal_text.register
def _(refusal: NoAbsenceToCancel) -> str:
    return "No absence to cancel."


@refusal_text.register
def _(refusal: NothingHeld) -> str:
    return "The bot holds nothing about you."
