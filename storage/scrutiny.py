"""The scrutiny ledger: one row per look by a manager or admin at a team's or a person's
figures, written in the same transaction as the read (:class:`storage.models.Scrutiny`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, insert

from storage.models import Scrutiny
from storage.query import table_of

_scrutiny = table_of(Scrutiny)


def record(
    conn: Connection,
    *,
    at: datetime,
    viewer: int,
    what: str,
    team_ids: Iterable[int],
    subject: int | None = None,
) -> int:
    """Append one look per team in ``team_ids`` (each once) in the caller's transaction.

    Args:
        at: When the figures were read, aware UTC.
        viewer: The person who looked.
        what: The command (``totals``, ``team``, ``export``, ``diary``, ``measures``).
        team_ids: The teams whose figures were shown.
        subject: The one person whose figures were asked for, if any.

    Returns:
        How many rows were written.
    """
    rows = [
        {
            "at": at,
            "viewer_person_id": viewer,
            "team_id": t,
            "subject_person_id": subject,
            "what": what,
        }
        for t in dict.fromkeys(team_ids)
    ]
    if rows:
        conn.execute(insert(_scrutiny), rows)
    return len(rows)
