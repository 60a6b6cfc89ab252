"""Use cases for logging: record quick logs, confirm them, undo and correct them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from handlers import texts as help_texts
from organiser_bot.domain.access import Actor, TeamRole
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.periods import iso_week_label, local_date, week_monday
from organiser_bot.domain.quicklog import LineError, ParsedEntry, parse_quick_log
from organiser_bot.domain.targets import away_days, effective_targets, pro_rate
from organiser_bot.domain.teams import slugify
from storage import activities, audit
from storage.activities import EntryRow, NewEntry


@dataclass(frozen=True, slots=True)
class LogOutcome:
    """The reply to a log attempt. ``undo`` is (chat id, message id) when entries exist."""

    text: str
    undo: tuple[int, int] | None = None


def day_label(day: date) -> str:
    """``Mon 23 Nov``."""
    return f"{day:%a} {day.day} {day:%b}"


def week_status(
    conn: Connection, actor: Actor, team: TeamRole, *, monday: date
) -> tuple[dict[str, int], dict[str, int], int]:
    """(totals per kind, effective targets per kind, days away) for the actor's week in a team."""
    assert actor.person_id is not None
    snap = activities.week_snapshot(
        conn, person_id=actor.person_id, team_id=team.team_id, role=team.role.value, monday=monday
    )
    base = effective_targets(
        role=team.role, person_id=actor.person_id, team_id=team.team_id, overrides=snap.overrides
    )
    away = away_days(snap.absences, monday)
    return snap.totals, pro_rate(base, away), away


def _confirmation(
    conn: Connection,
    actor: Actor,
    rows: Sequence[EntryRow],
    *,
    kinds: KindRegistry,
    today: date,
    mark: str = "✓",
) -> str:
    teams = {tr.team_id: tr for tr in actor.teams}
    this_monday = week_monday(today)
    cache: dict[tuple[int, date], tuple[dict[str, int], dict[str, int], int]] = {}
    lines = []
    for row in rows:
        team = teams.get(row.team_id)
        label = kinds.get(row.kind).label
        what = f"{row.count} × {label}" if row.count != 1 else label
        parts = [f"{mark} {what}", day_label(row.occurred_on)]
        if team is not None:
            monday = week_monday(row.occurred_on)
            if (team.team_id, monday) not in cache:
                cache[(team.team_id, monday)] = week_status(conn, actor, team, monday=monday)
            totals, targets, _ = cache[(team.team_id, monday)]
            week = "week" if monday == this_monday else iso_week_label(monday)
            done = totals.get(row.kind, 0)
            target = targets.get(row.kind)
            parts.append(f"{week} {done}/{target}" if target else f"{week} {done}")
            if len(actor.teams) > 1:
                parts.append(team.name)
        lines.append(" · ".join(parts))
    return "\n".join(lines)


def _line_error_text(error: LineError, *, lines: int, kinds: KindRegistry) -> str:
    where = f"Line {error.line_no}" if lines > 1 else "That"
    tail = "\nNothing from this message was logged." if lines > 1 else ""
    return f"{where} couldn't be logged: {error.message}\nExample: {error.example}{tail}"


def _resolve(
    actor: Actor,
    parsed: Sequence[ParsedEntry],
    *,
    chat_id: int,
    message_id: int,
    tz: ZoneInfo,
) -> list[NewEntry] | str:
    """Entries ready to store, or an error naming the line whose #team is not the actor's."""
    default = actor.default_team
    assert actor.person_id is not None and default is not None
    out: list[NewEntry] = []
    for i, entry in enumerate(parsed):
        team = default
        if entry.team:
            tagged = actor.team_by_slug(slugify(entry.team))
            if tagged is None:
                names = ", ".join(f"#{tr.slug}" for tr in actor.teams)
                return (
                    f"Line {i + 1}: #{entry.team} isn't one of your teams ({names}). "
                    "Nothing logged."
                )
            team = tagged
        out.append(
            NewEntry(
                person_id=actor.person_id,
                team_id=team.team_id,
                kind=entry.kind,
                count=entry.count,
                occurred_at=entry.occurred_at,
                occurred_on=local_date(entry.occurred_at, tz),
                note=entry.note or None,
                chat_id=chat_id,
                message_id=message_id,
                line=i,
            )
        )
    return out


def log_text(
    conn: Connection,
    actor: Actor,
    text: str,
    *,
    chat_id: int,
    message_id: int,
    sent_at: datetime,
    now: datetime,
    tz: ZoneInfo,
    kinds: KindRegistry,
) -> LogOutcome:
    """Record every entry of a quick-log message, all or nothing, and confirm.

    Args:
        text: The message text (one entry per line).
        chat_id, message_id: Where it came from; together they key the entries, so a
            redelivered or replayed message is confirmed again without counting twice.
        sent_at: When the message was sent; ``yesterday`` and weekdays are relative to it.
        now: The time of recording.
    """
    if not actor.is_member or actor.person_id is None:
        return LogOutcome(help_texts.NOT_A_MEMBER)
    today = local_date(now, tz)
    # Parsed relative to when the message was sent, so a replay parses exactly as the original.
    parsed = parse_quick_log(text, now=min(sent_at, now), tz=tz, kinds=kinds)
    if parsed.error is not None:
        n_lines = sum(1 for line in text.splitlines() if line.strip())
        return LogOutcome(_line_error_text(parsed.error, lines=n_lines, kinds=kinds))
    resolved = _resolve(actor, parsed.entries, chat_id=chat_id, message_id=message_id, tz=tz)
    if isinstance(resolved, str):
        return LogOutcome(resolved)
    # The entry row itself records who logged what, when and from which message; the audit
    # trail records later changes (edits, undo), keeping the hot path to a few statements.
    ids = activities.record(conn, resolved, now=now)
    if not ids:
        # A redelivered or replayed message (its entries exist): confirm them, add nothing.
        return _replay(conn, actor, chat_id, message_id, kinds=kinds, today=today)
    if len(ids) == len(resolved):
        rows = [
            EntryRow(
                new_id,
                e.person_id,
                e.team_id,
                e.kind,
                e.count,
                e.occurred_at,
                e.occurred_on,
                e.note,
                e.chat_id,
                e.message_id,
                e.line,
                False,
            )
            for new_id, e in zip(ids, resolved, strict=True)
        ]
    else:  # a concurrent copy of this message got there first
        rows = [
            r for r in activities.entries_from_source(conn, chat_id, message_id) if not r.deleted
        ]
    return LogOutcome(
        _confirmation(conn, actor, rows, kinds=kinds, today=today), (chat_id, message_id)
    )


def _replay(
    conn: Connection,
    actor: Actor,
    chat_id: int,
    message_id: int,
    *,
    kinds: KindRegistry,
    today: date,
) -> LogOutcome:
    live = [r for r in activities.entries_from_source(conn, chat_id, message_id) if not r.deleted]
    if not live:
        return LogOutcome("Those entries were undone.")
    return LogOutcome(
        _confirmation(conn, actor, live, kinds=kinds, today=today), (chat_id, message_id)
    )


def undo_source(
    conn: Connection,
    actor: Actor,
    chat_id: int,
    message_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    kinds: KindRegistry,
) -> str:
    """Remove the entries that came from one message; only their owner may."""
    if actor.person_id is None:
        return help_texts.NOT_A_MEMBER
    rows = activities.entries_from_source(conn, chat_id, message_id)
    if not rows:
        return "Nothing to undo there."
    if any(r.person_id != actor.person_id for r in rows):
        return "You can only undo your own entries."
    removed = activities.soft_delete(conn, rows, now=now)
    if not removed:
        return "Already undone."
    audit.record(
        conn,
        at=now,
        actor=actor.person_id,
        action="undo",
        entity="activity",
        entity_id=removed[0].id,
        ids=[r.id for r in removed],
    )
    today = local_date(now, tz)
    return "Removed:\n" + _confirmation(conn, actor, removed, kinds=kinds, today=today, mark="↩")


def undo_last(
    conn: Connection, actor: Actor, *, now: datetime, tz: ZoneInfo, kinds: KindRegistry
) -> str:
    """``/undo``: remove the caller's most recent entry (all lines of that message)."""
    if actor.person_id is None or not actor.is_member:
        return help_texts.NOT_A_MEMBER
    source = activities.last_live_source(conn, actor.person_id)
    if source is None:
        return "Nothing to undo."
    return undo_source(conn, actor, *source, now=now, tz=tz, kinds=kinds)


def edit_text(
    conn: Connection,
    actor: Actor,
    text: str,
    *,
    chat_id: int,
    message_id: int,
    sent_at: datetime,
    now: datetime,
    tz: ZoneInfo,
    kinds: KindRegistry,
) -> LogOutcome | None:
    """Correct the entries of an edited message; an unreadable edit changes nothing.

    Returns None when the edit needs no reply (the person is not a member).
    """
    if not actor.is_member or actor.person_id is None:
        return None
    rows = activities.entries_from_source(conn, chat_id, message_id)
    if not rows:
        # The original was not logged (e.g. it did not parse): treat the edit as a new log.
        return log_text(
            conn,
            actor,
            text,
            chat_id=chat_id,
            message_id=message_id,
            sent_at=sent_at,
            now=now,
            tz=tz,
            kinds=kinds,
        )
    if any(r.person_id != actor.person_id for r in rows):
        return LogOutcome("You can only change your own entries.")
    parsed = parse_quick_log(text, now=min(sent_at, now), tz=tz, kinds=kinds)
    if parsed.error is not None:
        n_lines = sum(1 for line in text.splitlines() if line.strip())
        where = f"line {parsed.error.line_no}" if n_lines > 1 else "it"
        return LogOutcome(
            f"I couldn't read your edit ({where}: {parsed.error.message}). "
            f"Your entries are unchanged.\nExample: {parsed.error.example}"
        )
    resolved = _resolve(actor, parsed.entries, chat_id=chat_id, message_id=message_id, tz=tz)
    if isinstance(resolved, str):
        return LogOutcome(resolved + " Your entries are unchanged.")
    by_line = {r.line: r for r in rows}
    for new in resolved:
        old = by_line.pop(new.line, None)
        if old is None:
            activities.record(conn, [new], now=now)
        elif not old.deleted and (old.team_id, old.kind, old.count, old.occurred_at, old.note) == (
            new.team_id,
            new.kind,
            new.count,
            new.occurred_at,
            new.note,
        ):
            continue
        else:
            activities.replace(conn, old, new, now=now)
    activities.soft_delete(conn, by_line.values(), now=now)
    audit.record(
        conn,
        at=now,
        actor=actor.person_id,
        action="edit",
        entity="activity",
        entity_id=rows[0].id,
        chat_id=chat_id,
        message_id=message_id,
        lines=len(resolved),
    )
    live = [r for r in activities.entries_from_source(conn, chat_id, message_id) if not r.deleted]
    today = local_date(now, tz)
    return LogOutcome(
        "Updated:\n" + _confirmation(conn, actor, live, kinds=kinds, today=today),
        (chat_id, message_id),
    )
