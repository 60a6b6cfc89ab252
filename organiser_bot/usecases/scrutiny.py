"""The scrutiny ledger's use cases: recording each look by a manager or admin at a team's or
a person's figures, in the same transaction as the read, and ``/scrutiny``, which shows
everyone how many looks each team received."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from statistics import median

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import Period, PeriodError, parse_period
from organiser_bot.domain.permissions import MANAGERS, permits, standing
from organiser_bot.domain.refusals import Action, NotAMember
from organiser_bot.usecases.actors import read_only
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


@dataclass(frozen=True, slots=True)
class TeamScrutiny:
    """The looks one live team's figures received over a period.

    Attributes:
        looks: Looks by managers and admins (one per command and team shown).
        viewers: How many different people looked.
        by_command: Looks per command, in :class:`Look` order, commands with none left out.
    """

    name: str
    slug: str
    looks: int
    viewers: int
    by_command: tuple[tuple[Look, int], ...]


@dataclass(frozen=True, slots=True)
class ScrutinyReport:
    """``/scrutiny``: every live team's looks over ``period``, most looked at first (ties by
    name), and the median team's looks (every live team counted, those with none as 0)."""

    period: Period
    teams: tuple[TeamScrutiny, ...]
    median: float


#: The period ``/scrutiny`` covers when none is given.
DEFAULT_PERIOD = "4w"


@read_only
def scrutiny_report(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> ScrutinyReport:
    """``/scrutiny [period]``: how many looks each live team's figures received from managers
    and admins, from how many people and by which command; never who looked nor what was seen.
    Team names are shown to everyone in the organisation, as ``/access`` shows them.

    Args:
        args: A period as ``/totals`` reads it (:func:`~organiser_bot.domain.periods.parse_period`);
            none: the last 4 weeks.

    Raises:
        NotAMember: the person is in no team and not an admin.
        BadPeriod: the period could not be read.
    """
    # Imported here: the reports record their looks through this module.
    from organiser_bot.usecases.reports import BadPeriod

    if not permits(actor, Action.SEE_SCRUTINY, team_id=None):
        raise NotAMember()
    try:
        period = parse_period(" ".join(args) or None, today=moment.today, default=DEFAULT_PERIOD)
    except PeriodError as exc:
        raise BadPeriod(exc) from None
    start, end = period.utc_bounds(moment.tz)
    counted = store.team_looks(conn, start=start, end=end)
    rows = []
    for team in people.list_teams(conn):
        seen = counted.get(team.id, store.TeamLooks())
        by_command = tuple(
            (look, seen.by_command[look.value]) for look in Look if seen.by_command.get(look.value)
        )
        rows.append(TeamScrutiny(team.name, team.slug, seen.looks, seen.viewers, by_command))
    rows.sort(key=lambda t: (-t.looks, t.name.casefold(), t.slug))
    return ScrutinyReport(period, tuple(rows), median([t.looks for t in rows]) if rows else 0.0)
