"""What the bot says about logging: confirmations, undo, edits, absences and nudges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.texts import refusal_text
from handlers.texts.onboarding import echoed, team_list
from organiser_bot.domain.periods import iso_week_label, week_monday
from organiser_bot.usecases.logbook import (
    AlreadyUndone,
    Chatter,
    Confirmed,
    EditOfUndone,
    Logged,
    NothingToUndo,
    NotYourEntries,
    ReplayOfUndone,
    SentDigest,
    Undone,
    UnknownTeamTag,
    UnreadableLine,
)
from organiser_bot.usecases.members import (
    ABSENCE_BACKDATE_WEEKS,
    AbsenceBackwards,
    AbsenceCancelled,
    AbsenceRecorded,
    Absences,
    AbsenceTooLong,
    AbsenceTooOld,
    AwayUsage,
    NoAbsenceToCancel,
    NudgesSet,
)

LOG_USAGE = "Usage: /log <kind> [count] [when] [note], e.g. /log doors 14 yesterday"
AWAY_USAGE = "Usage: /away <from> <to>, e.g. /away 2026-12-21 2026-12-27 or /away 21/12 27/12"
OTHER_PRIVATE = "I only understand text logs and commands. /help lists them."
UNDO_BUTTON = "Undo"
BUTTON_EXPIRED = "That button has expired."

_LOGGED_MARK = "✓"
_UNDONE_MARK = "↩"
CHATTER = "👍 Nothing logged. To log, send e.g. 121 Sam Patel; /help lists the forms."
#: A bare command word (``help``, ``undo``) sent without its slash.
COMMAND_WORD = {
    "help": "Nothing logged. /help lists the commands and the forms a log can take.",
    "undo": "Nothing logged. To remove your last entry, send /undo (with the slash).",
}
#: An edit of a logged message into chatter, or into a bare command word: nothing changed.
EDIT_TO_CHATTER = (
    "👍 Your entries are unchanged. To correct them, edit the message into a log, "
    "e.g. 121 Sam Patel; /help lists the forms."
)
EDIT_TO_COMMAND_WORD = {
    "help": "Your entries are unchanged. /help lists the commands and the forms a log can take.",
    "undo": (
        "Your entries are unchanged. To remove them, tap Undo under their confirmation; "
        "/undo removes your latest entry."
    ),
}
STALE_EDIT = (
    "That edit is older than one already applied, so nothing changed. "
    "Your entries, as of your latest edit:"
)
EDIT_OF_UNDONE = (
    "That message was undone, so it stays undone: your edit logged nothing. "
    "To log it, send it again as a new message."
)

#: Telegram refuses a message over 4,096 characters (counted here in UTF-16 code units, which
#: is never fewer than Telegram counts).
MAX_MESSAGE = 4096
#: How much of a note a confirmation shows: its first words, cut to this many characters.
NOTE_WORDS = 3
NOTE_CHARS = 24


def day_label(day: date) -> str:
    """``Mon 23 Nov``."""
    return f"{day:%a} {day.day} {day:%b}"


def note_opening(note: str) -> str:
    """The opening of a note as a confirmation shows it: ``Sam Patel tenants…``.

    At most :data:`NOTE_WORDS` words and :data:`NOTE_CHARS` characters, with ``…`` when
    anything was left out; empty for an empty note.
    """
    words = note.split()
    opening = " ".join(words[:NOTE_WORDS])
    if len(opening) > NOTE_CHARS:
        return opening[: NOTE_CHARS - 1].rstrip() + "…"
    return opening + "…" if len(words) > NOTE_WORDS else opening


def _what(count: int, label: str) -> str:
    return f"{count} × {label}" if count != 1 else label


def _tally(entry: Confirmed, several_teams: bool) -> list[str]:
    if entry.team is None or entry.week is None:
        return []
    week = entry.week
    when = "week" if week.current else iso_week_label(week.monday)
    tally = f"{week.done}/{week.target}" if week.target else f"{week.done}"
    return [f"{when} {tally}", entry.team.name] if several_teams else [f"{when} {tally}"]


def _line(entry: Confirmed, *, several_teams: bool, mark: str) -> str:
    """``✓ 3 × one-to-one “Sam Patel tenants…” · Wed 25 Nov 18:30 · week 4/15 [· Team]``."""
    what = f"{mark} {_what(entry.count, entry.kind.label)}"
    if opening := note_opening(entry.note):
        what += f" “{opening}”"
    when = day_label(entry.day)
    if entry.at is not None:
        when += f" {entry.at:%H:%M}"
    return " · ".join([what, when, *_tally(entry, several_teams)])


def _days(first: date, last: date) -> str:
    if first == last:
        return day_label(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%a} {first.day} – {day_label(last)}"
    return f"{day_label(first)} – {day_label(last)}"


def _summary(entries: Sequence[Confirmed], *, several_teams: bool, mark: str) -> list[str]:
    """A long message in a few lines: the entries summed by kind, then by kind, team and week.

    ``50 entries: 38 × resident contact, 12 × one-to-one`` and then e.g.
    ``✓ 38 × resident contact · Mon 23 – Thu 26 Nov · week 52``.
    """
    by_kind: dict[str, list[Confirmed]] = {}
    by_week: dict[tuple[str, int | None, date], list[Confirmed]] = {}
    for entry in entries:
        by_kind.setdefault(entry.kind.key, []).append(entry)
        team = entry.team.id if entry.team is not None else None
        by_week.setdefault((entry.kind.key, team, week_monday(entry.day)), []).append(entry)
    sums = ", ".join(
        _what(sum(e.count for e in group), group[0].kind.label) for group in by_kind.values()
    )
    lines = [f"{len(entries)} entries: {sums}"]
    for group in by_week.values():
        first = group[0]
        days = [e.day for e in group]
        what = f"{mark} {_what(sum(e.count for e in group), first.kind.label)}"
        # Every entry of a group shares its week's tally, read after the whole message.
        lines.append(" · ".join([what, _days(min(days), max(days)), *_tally(first, several_teams)]))
    return lines


def _length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(head: list[str], body: list[str], tail: list[str]) -> str | None:
    text = "\n".join([*head, *body, *tail])
    return text if _length(text) <= MAX_MESSAGE else None


def _message(
    head: list[str],
    entries: Sequence[Confirmed],
    tail: list[str],
    *,
    several_teams: bool,
    mark: str,
) -> str:
    """One line per entry, or a summary when that would not fit in one message; cut short,
    saying how many lines were left out, when even the summary would not."""
    lines = [_line(e, several_teams=several_teams, mark=mark) for e in entries]
    if (text := _fit(head, lines, tail)) is not None:
        return text
    summary = _summary(entries, several_teams=several_teams, mark=mark)
    if (text := _fit(head, summary, tail)) is not None:
        return text
    for keep in range(len(summary) - 1, 0, -1):
        more = f"… and {len(summary) - keep} more"
        if (text := _fit(head, [*summary[:keep], more], tail)) is not None:
            return text
    # Only a head and tail that fill the message by themselves get here; half the limit in
    # characters is within it in any count.
    return "\n".join([*head, summary[0]])[: MAX_MESSAGE // 2]


def _digest_notes(sent: Sequence[SentDigest]) -> list[str]:
    return [
        f"The {iso_week_label(d.monday)} digest for {d.team_name} was already sent; "
        "it isn't changed."
        for d in sent
    ]


def _removed(entries: Sequence[Confirmed], *, several_teams: bool) -> list[str]:
    """What an edit withdrew: ``Removed:`` and a ``↩`` line per entry, summed by kind and week
    when that is long, or just how many when even that is; empty when nothing was."""
    if not entries:
        return []
    # A quarter of the message at most, leaving the rest to the entries kept.
    room = MAX_MESSAGE // 4
    lines = [_line(e, several_teams=several_teams, mark=_UNDONE_MARK) for e in entries]
    if _length("\n".join(lines)) <= room:
        return ["Removed:", *lines]
    summary = _summary(entries, several_teams=several_teams, mark=_UNDONE_MARK)
    if _length("\n".join(summary)) <= room:
        return ["Removed:", *summary[1:]]
    return [f"{_UNDONE_MARK} {summary[0].replace(' entries:', ' entries removed:')}"[:room]]


def logged(outcome: Logged | ReplayOfUndone | EditOfUndone | Chatter) -> str:
    """The reply to a quick log, a replay of one or an edit of one: the confirmation, or why
    nothing was logged."""
    if isinstance(outcome, ReplayOfUndone):
        return "Those entries were undone."
    if isinstance(outcome, EditOfUndone):
        return EDIT_OF_UNDONE
    if isinstance(outcome, Chatter):
        if outcome.unchanged:
            return EDIT_TO_COMMAND_WORD.get(outcome.command or "", EDIT_TO_CHATTER)
        return COMMAND_WORD.get(outcome.command or "", CHATTER)
    several = outcome.several_teams
    head = [STALE_EDIT] if outcome.stale else ["Updated:"] if outcome.updated else []
    return _message(
        head,
        outcome.entries,
        [
            *_removed(outcome.removed, several_teams=several),
            *_digest_notes(outcome.digests_sent),
        ],
        several_teams=several,
        mark=_LOGGED_MARK,
    )


def undone(outcome: Undone) -> str:
    """The reply to an undo: the withdrawn entries and each week's total after it."""
    return _message(
        ["Removed:"],
        outcome.entries,
        _digest_notes(outcome.digests_sent),
        several_teams=outcome.several_teams,
        mark=_UNDONE_MARK,
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


def _sentence(message: str) -> str:
    """``message`` ended as a sentence: a reason that leads into its example (``Try 18:30:``)
    is read here before another sentence, so its colon becomes a full stop."""
    message = message.rstrip().removesuffix(":")
    return message if message.endswith((".", "!", "?")) else message + "."


@refusal_text.register
def _(refusal: UnreadableLine) -> str:
    error, several = refusal.error, refusal.lines > 1
    if refusal.editing:
        where = f"line {error.line_no} of your edit" if several else "your edit"
        return (
            f"I couldn't read {where}: {_sentence(error.message)} "
            f"Your entries are unchanged.\nExample: {error.example}"
        )
    where = f"Line {error.line_no}" if several else "That"
    tail = "\nNothing from this message was logged." if several else ""
    return f"{where} couldn't be logged: {error.message}\nExample: {error.example}{tail}"


@refusal_text.register
def _(refusal: UnknownTeamTag) -> str:
    names = team_list(refusal.slugs, tags=True)
    tag = echoed(refusal.tag)
    text = f"Line {refusal.line_no}: #{tag} isn't one of your teams ({names}). Nothing logged."
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
