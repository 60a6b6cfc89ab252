"""Reads that corrections of logged entries (edits and undos) need, and new logs never do."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from storage.ledger import SENT
from storage.models import Activity, DigestLedger, Team
from storage.query import table_of

_activity = table_of(Activity)
_ledger = table_of(DigestLedger)
_team = table_of(Team)


@dataclass(frozen=True, slots=True)
class SentWeek:
    """A team's weekly digest that has gone out.

    Attributes:
        team_id: The team.
        team_name: Its name (archived teams included).
        iso_week: The week the digest covered, ``2026-W47``.
    """

    team_id: int
    team_name: str
    iso_week: str


def sent_digest_weeks(conn: Connection, pairs: Collection[tuple[int, str]]) -> list[SentWeek]:
    """Of the given (team id, ISO week) pairs, those whose digest has been sent, in one query.

    Args:
        pairs: (team id, ``YYYY-Www``) pairs; empty asks nothing of the database.

    Returns:
        The sent ones, by week then team name.
    """
    if not pairs:
        return []
    wanted = set(pairs)
    rows = conn.execute(
        select(_ledger.c.team_id, _ledger.c.iso_week, _team.c.name)
        .join(_team, _team.c.id == _ledger.c.team_id)
        .where(
            _ledger.c.status == SENT,
            _ledger.c.team_id.in_(sorted({team for team, _ in wanted})),
            _ledger.c.iso_week.in_(sorted({week for _, week in wanted})),
        )
        .order_by(_ledger.c.iso_week, _team.c.name, _team.c.id)
    ).all()
    # The IN lists cross teams with weeks: keep only the pairs asked for.
    return [
        SentWeek(r.team_id, r.name, r.iso_week) for r in rows if (r.team_id, r.iso_week) in wanted
    ]


def mark_edited(conn: Connection, chat_id: int, message_id: int, *, edited_at: datetime) -> None:
    """Record that the edit of one message dated ``edited_at`` (UTC) has been applied.

    Every entry of the message (withdrawn ones included) carries the date, so whichever of
    them a later edit reads, it finds the latest applied edit.
    """
    conn.execute(
        update(_activity)
        .where(
            _activity.c.source_chat_id == chat_id,
            _activity.c.source_message_id == message_id,
        )
        .values(edited_at=edited_at)
    )
