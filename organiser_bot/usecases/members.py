"""Use cases a member runs on their own account: absences, nudges, their data."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from handlers import texts as help_texts
from organiser_bot.domain.access import Actor
from storage import audit, people
from storage import targets as target_store

MAX_ABSENCE_DAYS = 366
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$")


def parse_day(text: str, *, today: date) -> date | None:
    """A day for an absence: ``today``, ``tomorrow``, ``2026-12-01`` or ``1/12`` (or None).

    A day and month without a year means the next such day from 6 months ago onwards, so
    ``3/1`` typed in December means January.
    """
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        pass
    match = _UK.match(word)
    if not match:
        return None
    day, month = int(match.group(1)), int(match.group(2))
    year_text = match.group(3)
    try:
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return date(year, month, day)
        candidate = date(today.year, month, day)
        if candidate < today - timedelta(days=183):
            candidate = date(today.year + 1, month, day)
        return candidate
    except ValueError:
        return None


def away(conn: Connection, actor: Actor, args: list[str], *, today: date, now: datetime) -> str:
    """``/away <from> <to>``, ``/away`` (list) or ``/away cancel`` (withdraw the latest)."""
    if not actor.is_member or actor.person_id is None:
        return help_texts.NOT_A_MEMBER
    usage = "Usage: /away <from> <to>, e.g. /away 2026-12-21 2026-12-27 or /away 21/12 27/12"
    listing = not args or args[0].lower() == "cancel"
    upcoming = (
        target_store.absences(
            conn, start=today - timedelta(days=56), end=date.max, person_ids=[actor.person_id]
        )
        if listing
        else []
    )
    if not args:
        if not upcoming:
            return f"No absences recorded. {usage}"
        listed = "\n".join(f"• {a.starts_on:%a %d %b} – {a.ends_on:%a %d %b %Y}" for a in upcoming)
        return f"Your absences:\n{listed}\n/away cancel removes the latest."
    if args[0].lower() == "cancel":
        if not upcoming:
            return "No absence to cancel."
        latest = max(upcoming, key=lambda a: a.id)
        target_store.cancel_absence(conn, latest.id, now=now)
        audit.record(
            conn,
            at=now,
            actor=actor.person_id,
            action="cancel",
            entity="absence",
            entity_id=latest.id,
        )
        return f"✓ Absence {latest.starts_on:%d %b} – {latest.ends_on:%d %b} cancelled."
    start = parse_day(args[0], today=today)
    end = parse_day(args[1], today=today) if len(args) > 1 else start
    if start is None or end is None:
        return usage
    if end < start:
        return "The end is before the start. " + usage
    if (end - start).days + 1 > MAX_ABSENCE_DAYS:
        return "An absence can be at most a year; split longer ones."
    if start < today - timedelta(days=56):
        return "That's more than 8 weeks ago; ask your manager to adjust past weeks."
    absence_id = target_store.add_absence(
        conn, person_id=actor.person_id, starts_on=start, ends_on=end, now=now
    )
    audit.record(
        conn,
        at=now,
        actor=actor.person_id,
        action="create",
        entity="absence",
        entity_id=absence_id,
        starts_on=start,
        ends_on=end,
    )
    days = (end - start).days + 1
    return (
        f"✓ Away {start:%a %d %b} – {end:%a %d %b} ({days} day{'s' if days != 1 else ''}). "
        "Targets for those weeks are pro-rated and the digest shows you as away."
    )


def set_paused(conn: Connection, actor: Actor, paused: bool) -> str:
    """``/pause`` and ``/resume``: mute or unmute mid-week nudges."""
    if not actor.is_member or actor.person_id is None:
        return help_texts.NOT_A_MEMBER
    people.set_nudges_paused(conn, actor.person_id, paused)
    if paused:
        return "✓ Nudges paused. You'll still get your confirmations. /resume to turn them back on."
    return "✓ Nudges back on: one private reminder midweek if you're behind pace."


FORGET_CONFIRM = "confirm"


def forget_me(conn: Connection, actor: Actor, args: list[str], *, now: datetime) -> str:
    """``/forgetme``: erase the caller's notes, withdraw their entries and leave every team.

    Asks first; ``/forgetme confirm`` does it. Digests already sent keep their counts.
    """
    if actor.person_id is None:
        return "The bot holds nothing about you."
    if [a.lower() for a in args] != [FORGET_CONFIRM]:
        return (
            "This erases your notes, removes all your entries from the totals and takes you out "
            "of every team. It can't be undone. To go ahead: /forgetme confirm"
        )
    erased = people.forget_person(conn, actor.person_id, now=now)
    audit.record(
        conn,
        at=now,
        actor=None,
        action="forget",
        entity="person",
        entity_id=actor.person_id,
        entries=erased,
    )
    return f"Done: {erased} entries removed, notes erased, and you've left every team."
