"""``/ledger``: where each team's digest stands for the last completed weeks, and why.

Reads the digest ledger (:mod:`storage.ledger`) and the team chats; returns typed data the adapter
words. What was due follows the rule the digest run follows
(:func:`~organiser_bot.domain.schedule.digest_due_for_chat`), so the report and the run agree.
Each week also carries its spread: how far apart the first and the last digest of the week went
out, over every team (the promise that every team gets it at the same time, measured).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.digest import TEMPLATE_VERSION
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import iso_week_label
from organiser_bot.domain.refusals import Action, NoManagedTeam
from organiser_bot.domain.schedule import WeeklySchedule, digest_due_for_chat, week_slot
from organiser_bot.usecases.actors import read_only
from organiser_bot.usecases.guards import permitted_teams, require_manager
from storage import chats, ledger, people
from storage.models import DigestLedger, Team

__all__ = [
    "LEDGER_WEEKS",
    "LedgerEntry",
    "LedgerReport",
    "LedgerState",
    "LedgerWeek",
    "ledger_report",
]

#: Weeks ``/ledger`` lists.
LEDGER_WEEKS = 4

_WEEK = timedelta(days=7)


class LedgerState(StrEnum):
    """Where one team's digest for one week stands."""

    SENT = "sent"
    #: Failed; a later run tries again.
    FAILED = "failed"
    #: Failed and not tried again this week (out of attempts, or retrying cannot help).
    GIVEN_UP = "given_up"
    SENDING = "sending"
    #: The team has no chat because the bot was removed from (or silenced in) its group; no
    #: digest can go out until a chat is bound again.
    CHAT_LOST = "chat_lost"
    #: The team had a chat but the digest is turned off, so nothing was due.
    TURNED_OFF = "turned_off"
    #: This week's slot has not come yet.
    NOT_DUE = "not_due"
    #: Due, the team had a chat, and the ledger has no row for it.
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One team's line in a ledger week.

    Attributes:
        team_name: The team.
        state: Where its digest stands.
        sent_at: When it went out (aware UTC), for ``SENT``.
        template_version: The template it went out with, for ``SENT``.
        attempts: Attempts so far, for ``FAILED``, ``GIVEN_UP`` and ``SENDING``.
        error: The last error recorded, for ``FAILED`` and ``GIVEN_UP`` (may be empty).
        lost_at: When the chat was lost (aware UTC), for ``CHAT_LOST``.
        lost_reason: Why (``ChatLoss`` value: ``removed``, ``blocked``), for ``CHAT_LOST``.
    """

    team_name: str
    state: LedgerState
    sent_at: datetime | None = None
    template_version: str | None = None
    attempts: int = 0
    error: str | None = None
    lost_at: datetime | None = None
    lost_reason: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerWeek:
    """One week of the ledger: its Monday and label, and a line per team shown.

    ``entries`` is empty when no team had a chat the digest was due in. ``sent`` and ``spread``
    cover every team, not only those shown: how many digests of the week went out, and the time
    from the first to the last (None when none went out).
    """

    monday: date
    iso_week: str
    entries: tuple[LedgerEntry, ...]
    sent: int = 0
    spread: timedelta | None = None


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """``/ledger``: the last completed weeks, newest first.

    Attributes:
        tz: The zone times are shown in.
        weeks: The weeks, newest first.
        schedule: The digest's slot, or None when the digest is turned off.
        template_version: The template digests go out with now.
    """

    tz: ZoneInfo
    weeks: tuple[LedgerWeek, ...]
    schedule: WeeklySchedule | None
    template_version: str


@read_only
def ledger_report(
    conn: Connection, actor: Actor, *, moment: Moment, schedule: WeeklySchedule | None
) -> LedgerReport:
    """``/ledger``: for the last four completed weeks, where each team's digest stands.

    Managers see the teams they manage, admins every team. A team with a chat but no ledger row
    for a week whose digest was due is shown as missing; a team whose chat was bound after that
    week's slot is not shown for it (the run owes it nothing:
    :func:`~organiser_bot.domain.schedule.digest_due_for_chat`). A team whose chat was lost (the
    bot removed) is shown as such for the weeks due since. A digest given up on says why.

    Args:
        conn: A connection in a transaction.
        actor: Who asks.
        moment: Now and the zone weeks are computed in.
        schedule: The digest's slot (``DIGEST_SCHEDULE``), or None when it is turned off.

    Returns:
        The report.

    Raises:
        NotPermitted: The actor is neither a manager nor an admin (``Action.SEE_LEDGER``).
        NoManagedTeam: A manager or admin with no team to show.
    """
    require_manager(actor, Action.SEE_LEDGER)
    visible = permitted_teams(actor, Action.SEE_LEDGER, people.list_teams(conn))
    if not visible:
        raise NoManagedTeam()
    now, tz = moment.now, moment.tz
    bound_at = chats.chats_bound_at(conn)
    last = moment.this_monday - _WEEK
    mondays = [last - i * _WEEK for i in range(LEDGER_WEEKS)]
    rows = {
        (r.team_id, r.iso_week): r
        for r in ledger.entries(
            conn, iso_weeks=[iso_week_label(m) for m in mondays], team_ids=[t.id for t in visible]
        )
    }
    spreads = ledger.week_spreads(conn, iso_weeks=[iso_week_label(m) for m in mondays])
    weeks = []
    for monday in mondays:
        week = iso_week_label(monday)
        # A week's digest is due at the slot in the week after it.
        slot = week_slot(monday, schedule, tz) if schedule else None
        entries = []
        for team in visible:
            row = rows.get((team.id, week))
            if row is not None:
                entries.append(_ledger_entry(team.name, row))
            elif team.id not in bound_at:
                if (lost := _chat_lost(team, slot, now)) is not None:
                    entries.append(lost)
            elif schedule is None:
                entries.append(LedgerEntry(team.name, LedgerState.TURNED_OFF))
            elif not digest_due_for_chat(bound_at[team.id], monday, schedule, tz):
                continue  # the chat was bound after this week's digest was due
            elif slot is not None and now < slot:
                entries.append(LedgerEntry(team.name, LedgerState.NOT_DUE))
            else:
                entries.append(LedgerEntry(team.name, LedgerState.MISSING))
        spread = spreads.get(week)
        weeks.append(
            LedgerWeek(
                monday,
                week,
                tuple(entries),
                sent=spread.sent if spread else 0,
                spread=spread.spread if spread else None,
            )
        )
    return LedgerReport(tz, tuple(weeks), schedule, TEMPLATE_VERSION)


def _chat_lost(team: Team, slot: datetime | None, now: datetime) -> LedgerEntry | None:
    """The entry of a team without a chat because it lost it before the week's digest was due
    (or, with the digest turned off, before now); None otherwise."""
    if team.chat_lost_at is None or team.chat_lost_at > (slot or now):
        return None
    return LedgerEntry(
        team.name,
        LedgerState.CHAT_LOST,
        lost_at=team.chat_lost_at,
        lost_reason=team.chat_lost_reason,
    )


def _ledger_entry(team_name: str, row: DigestLedger) -> LedgerEntry:
    if row.status == ledger.SENT and row.sent_at is not None:
        return LedgerEntry(
            team_name,
            LedgerState.SENT,
            sent_at=row.sent_at,
            template_version=row.template_version,
        )
    if row.status in (ledger.FAILED, ledger.GIVEN_UP):
        state = LedgerState.FAILED if ledger.will_retry(row) else LedgerState.GIVEN_UP
        return LedgerEntry(team_name, state, attempts=row.attempts, error=row.last_error)
    return LedgerEntry(team_name, LedgerState.SENDING, attempts=row.attempts)
