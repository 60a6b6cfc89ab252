"""The scrutiny ledger's use cases: recording each look by a manager or admin at a team's or
a person's figures, in the same transaction as the read."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.permissions import MANAGERS, standing
from storage import people
from storage import scrutiny as store


class Look(StrEnum):
    """The commands whose reads are recorded."""

    TOTALS = "totals"
    TEAM = "team"
    EXPORT = "export"
    DIARY = "diary"
    MEASURES = "measures"


def record_looks(
    conn: Connection,
    actor: Actor,
    what: Look,
    team_ids: Iterable[int],
    *,
    moment: Moment,
    subject: int | None = None,
) -> int:
    """Record that ``actor`` looked at the figures of each team in ``team_ids`` (and of the
    person ``subject``, when one was asked for), in the caller's transaction.

    Only looks by someone who stands as a manager or an admin towards the team are recorded: a
    member reading their own team's aggregate is not scrutiny. Returns how many were recorded.
    """
    teams = [t for t in team_ids if standing(actor, t)[0] in MANAGERS]
    if not teams:
        return 0
    # An admin in no team may not be stored yet: every look has someone to answer for it.
    viewer = actor.person_id or people.ensure_person(conn, actor.identity, now=moment.now)
    return store.record(
        conn, at=moment.now, viewer=viewer, what=what.value, team_ids=teams, subject=subject
    )
