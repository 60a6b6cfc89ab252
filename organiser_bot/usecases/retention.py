"""Notes retention: notes are kept for ``NOTES_RETENTION_DAYS`` local days, then erased.

A note can be casework about a resident; counts are what the team's figures need. So a daily
job (``handlers.jobs``) sets to NULL the note of every entry dated longer ago than the setting,
live or withdrawn, and blanks the replies kept for redelivery (``storage.processed``) that could
quote such a note. The entries, their counts and the running totals stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import Connection

from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import to_utc
from organiser_bot.usecases.actors import PROCESSED_KEPT
from storage import activities, audit, processed


@dataclass(frozen=True, slots=True)
class ErasedNotes:
    """What one run erased.

    Attributes:
        before: Notes of entries dated before this local day were erased.
        notes: How many entries' notes were set to NULL.
        replies: How many replies kept for redelivery were blanked.
    """

    before: date
    notes: int
    replies: int


def erase_old_notes(conn: Connection, *, moment: Moment, days: int) -> ErasedNotes:
    """Erase the notes of entries dated more than ``days`` local days before today, and the
    replies kept for redelivery that could quote them; audited (``erase_notes``, with counts).

    An entry dated on day D keeps its note while ``today - D <= days``: with ``days=365`` on
    26 Nov 2026, notes dated 26 Nov 2025 stay and those of 25 Nov 2025 go. Replies are blanked
    when they were stored before that cutoff day began (local), or when they answered a message
    whose notes are erased now (a log can be dated days before it is sent). Replies are
    forgotten altogether after :data:`~organiser_bot.usecases.actors.PROCESSED_KEPT` anyway, so
    only messages recorded or changed within it are looked up.

    Args:
        days: ``NOTES_RETENTION_DAYS``, at least 1.

    Raises:
        ValueError: ``days`` is less than 1.
    """
    if days < 1:
        raise ValueError(f"notes must be kept at least 1 day, not {days}")
    before = moment.today - timedelta(days=days)
    now = moment.now
    sources = activities.noted_sources_since(conn, before=before, since=now - PROCESSED_KEPT)
    replies = processed.forget_replies(
        conn, before=to_utc(before, time(0), moment.tz), sources=sources
    )
    notes = activities.erase_notes(conn, before=before)
    audit.record(
        conn,
        at=now,
        actor=None,
        action="erase_notes",
        entity="activity",
        entity_id=None,
        notes=notes,
        replies=replies,
        before=before,
        days=days,
    )
    return ErasedNotes(before, notes, replies)
