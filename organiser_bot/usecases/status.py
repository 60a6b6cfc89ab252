"""The bot's own health: the heartbeat, ``/status`` and the status chat.

The running bot opens a stretch on start (:func:`start_running`), beats every minute
(:func:`beat`) and closes it on a clean stop (:func:`stop_running`); ``/status``
(:func:`status_report`) works out uptime from those stretches
(:func:`organiser_bot.domain.uptime.uptime`), and reads the last digest run from the digest ledger
and the database's health. ``/statuschat`` (:func:`set_status_chat`) names the one group told
about starts, stops and failed digest runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import iso_week_label
from organiser_bot.domain.permissions import Place, permits
from organiser_bot.domain.refusals import Action, NotPermitted
from organiser_bot.domain.uptime import BEAT, TOLERATED_BEATS, Stretch, Uptime, uptime
from organiser_bot.usecases.actors import read_only
from organiser_bot.usecases.guards import require_manager
from storage import audit, heartbeat, ledger
from storage.heartbeat import DatabaseHealth
from storage.models import Heartbeat

__all__ = [
    "DIGEST_WEEKS_LOOKED_AT",
    "STALL_AFTER",
    "DatabaseHealth",
    "LastDigest",
    "Started",
    "StatusChatTarget",
    "StatusReport",
    "beat",
    "set_status_chat",
    "start_running",
    "status_report",
    "status_target",
    "stop_running",
]

#: A beat later than this after the one before opens a new stretch: the time between is down.
STALL_AFTER = BEAT * TOLERATED_BEATS
#: How many completed weeks back ``/status`` looks for the last digest run.
DIGEST_WEEKS_LOOKED_AT = 5

_WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class StatusChatTarget:
    """Where status notices go: a group and, in a forum, its topic (None: the chat itself)."""

    chat_id: int
    thread_id: int | None


@dataclass(frozen=True, slots=True)
class Started:
    """What :func:`start_running` recorded and found.

    Attributes:
        stretch_id: The stretch opened now (pass it to :func:`beat` and :func:`stop_running`).
        previous: The stretch before, if any: its last beat, and whether it stopped cleanly.
        target: The status chat, or None.
    """

    stretch_id: int
    previous: Stretch | None
    target: StatusChatTarget | None


@dataclass(frozen=True, slots=True)
class LastDigest:
    """The newest week any digest was recorded for, over every team.

    Attributes:
        iso_week: E.g. ``2026-W47``: the week the digests covered.
        sent: Teams whose digest went out.
        failed: Teams whose digest failed (still being retried or given up on).
        first: When the first went out (aware UTC), or None when none did.
        last: When the last went out.
    """

    iso_week: str
    sent: int
    failed: int
    first: datetime | None
    last: datetime | None

    @property
    def spread(self) -> timedelta | None:
        """From the first digest sent to the last; None when none was sent."""
        if self.first is None or self.last is None:
            return None
        return self.last - self.first


@dataclass(frozen=True, slots=True)
class StatusReport:
    """``/status``.

    Attributes:
        now: When it was worked out (aware UTC).
        tz: The zone times are shown in.
        week: Uptime over the last 7 days.
        month: Uptime over the last 30 days.
        running_since: When the stretch running now started, or None when none is recorded.
        last_poll: When ``getUpdates`` last answered, or None when not known.
        last_digest: The last digest run, or None when the ledger has none in the weeks looked at.
        database: How the database answers.
        status_chat: The status chat's title (empty when it has none), or None when none is set.
    """

    now: datetime
    tz: ZoneInfo
    week: Uptime
    month: Uptime
    running_since: datetime | None
    last_poll: datetime | None
    last_digest: LastDigest | None
    database: DatabaseHealth
    status_chat: str | None


def _stretch(row: Heartbeat) -> Stretch:
    return Stretch(row.started_at, row.beat_at, row.stopped_at is not None)


def _target(conn: Connection) -> StatusChatTarget | None:
    chat = heartbeat.status_chat(conn)
    return StatusChatTarget(chat.chat_id, chat.thread_id) if chat is not None else None


def start_running(conn: Connection, *, now: datetime) -> Started:
    """Open the stretch of a bot starting ``now``; return it, the one before, and where to
    tell."""
    before = heartbeat.latest(conn)
    stretch_id = heartbeat.start(conn, now=now)
    previous = _stretch(before) if before is not None else None
    return Started(stretch_id, previous, _target(conn))


def beat(conn: Connection, *, stretch_id: int, now: datetime, polled_at: datetime | None) -> int:
    """Record a beat of the running bot; return the stretch to beat next time (a new one after
    a stall longer than :data:`STALL_AFTER`)."""
    return heartbeat.beat(
        conn, stretch_id=stretch_id, now=now, polled_at=polled_at, stall_after=STALL_AFTER
    )


def stop_running(
    conn: Connection, *, stretch_id: int, now: datetime, polled_at: datetime | None
) -> StatusChatTarget | None:
    """Close the running stretch (a clean stop); return the status chat, or None."""
    heartbeat.stop(conn, stretch_id=stretch_id, now=now, polled_at=polled_at)
    return _target(conn)


def status_target(conn: Connection) -> StatusChatTarget | None:
    """The status chat, or None when none is set."""
    return _target(conn)


def _last_digest(conn: Connection, moment: Moment) -> LastDigest | None:
    weeks = [
        iso_week_label(moment.this_monday - i * _WEEK) for i in range(1, DIGEST_WEEKS_LOOKED_AT + 1)
    ]
    rows = ledger.entries(conn, iso_weeks=weeks)
    if not rows:
        return None
    newest = rows[0].iso_week  # newest week first
    week_rows = [r for r in rows if r.iso_week == newest]
    sent = [r.sent_at for r in week_rows if r.status == ledger.SENT and r.sent_at is not None]
    failed = sum(r.status in (ledger.FAILED, ledger.GIVEN_UP) for r in week_rows)
    return LastDigest(newest, len(sent), failed, min(sent, default=None), max(sent, default=None))


@read_only
def status_report(
    conn: Connection, actor: Actor, *, moment: Moment, last_poll: datetime | None
) -> StatusReport:
    """``/status``: uptime over 7 and 30 days, the last poll, the last digest run with its
    first-to-last spread, the database's health and whether a status chat is set.

    Args:
        conn: A connection in a transaction.
        actor: Who asks.
        moment: Now and the zone times are shown in.
        last_poll: When this process's ``getUpdates`` last answered (None: use the stored one).

    Raises:
        NotPermitted: The table does not let the actor see the status (``Action.SEE_STATUS``).
    """
    require_manager(actor, Action.SEE_STATUS)
    now = moment.now
    rows = heartbeat.stretches(conn, since=now - timedelta(days=30))
    found = [_stretch(r) for r in rows]
    running = [r for r in rows if r.stopped_at is None]
    current = max(running, key=lambda r: r.beat_at) if running else None
    stored_poll = max((r.polled_at for r in rows if r.polled_at is not None), default=None)
    polls = [p for p in (last_poll, stored_poll) if p is not None]
    chat = heartbeat.status_chat(conn)
    return StatusReport(
        now=now,
        tz=moment.tz,
        week=uptime(found, since=now - timedelta(days=7), now=now, tolerance=STALL_AFTER),
        month=uptime(found, since=now - timedelta(days=30), now=now, tolerance=STALL_AFTER),
        running_since=current.started_at if current is not None else None,
        last_poll=max(polls, default=None),
        last_digest=_last_digest(conn, moment),
        database=heartbeat.database_health(conn),
        status_chat=(chat.title or "") if chat is not None else None,
    )


def set_status_chat(
    conn: Connection,
    actor: Actor,
    *,
    chat_id: int,
    thread_id: int | None,
    title: str | None,
    now: datetime,
    off: bool = False,
) -> bool:
    """``/statuschat`` in a group: make it (its forum topic, if sent in one) the status chat,
    or, with ``off``, stop notices going to it.

    Returns:
        Whether anything changed (``off`` in a chat that is not the status chat: False).

    Raises:
        NotPermitted: The table does not let the actor (``Action.SET_STATUS_CHAT``: admins).
    """
    if not permits(actor, Action.SET_STATUS_CHAT, team_id=None, place=Place.GROUP):
        raise NotPermitted(Action.SET_STATUS_CHAT)
    if off:
        changed = heartbeat.clear_status_chat(conn, chat_id=chat_id)
    else:
        heartbeat.set_status_chat(conn, chat_id=chat_id, thread_id=thread_id, title=title, now=now)
        changed = True
    if changed:
        audit.record(
            conn,
            at=now,
            actor=actor.person_id,
            action="status_chat_off" if off else "status_chat_set",
            entity="status_chat",
            entity_id=None,
            chat_id=chat_id,
            thread_id=thread_id,
        )
    return changed
