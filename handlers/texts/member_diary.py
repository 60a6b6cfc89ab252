"""What the bot says for ``/diary @user``: a member's days, each with its counts, and the
entries under it (plain text, one line each; :func:`handlers.replies.reply` splits a long one
between lines)."""

from __future__ import annotations

from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.names import isolated
from organiser_bot.usecases.member_diary import (
    ENTRY_LIMIT,
    MAX_DAYS,
    MemberDay,
    MemberDiary,
    MemberEntry,
)

#: A day with no entries.
NOTHING = "—"


def _day(day: MemberDay, kinds: KindRegistry) -> str:
    counts = " · ".join(f"{kinds.get(kind).label} {n}" for kind, n in day.counts)
    return f"{day.on:%a} {day.on.day} {day.on:%b}: {counts or NOTHING}"


def _entry(entry: MemberEntry, kinds: KindRegistry) -> str:
    at = f"{entry.at:%H:%M} " if entry.at is not None else ""
    count = f"{entry.count} × " if entry.count != 1 else ""
    team = f" #{entry.team_slug}" if entry.team_slug else ""
    note = f" — {entry.note}" if entry.note else ""
    return f"  {at}{count}{kinds.get(entry.kind).label}{team}{note}"


def member_diary(diary: MemberDiary, kinds: KindRegistry) -> str:
    """The reply to ``/diary @user``: a heading, then one line per day (``Mon 23 Nov:
    one-to-one 2 · casework 1``, or ``—``) with that day's entries indented under it, then
    what was left out, if anything."""
    head = f"Diary of {isolated(diary.name)} · {diary.period.label}"
    if not diary.days:
        return f"{head}\nThat period has not begun yet."
    lines = [head]
    for day in diary.days:
        lines.append(_day(day, kinds))
        lines += [_entry(e, kinds) for e in day.entries]
    if diary.capped:
        lines.append(f"(only the last {MAX_DAYS} days are shown: ask for a shorter period)")
    if diary.entries_cut:
        lines.append(f"(the first {ENTRY_LIMIT} entries are listed; every day's counts are shown)")
    if diary.notes_withheld:
        lines.append("Notes are shown only to the team's managers.")
    return "\n".join(lines)
