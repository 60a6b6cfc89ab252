"""The digest ledger (one row per team and ISO week) and the nudge log (one per person and week).

A digest row moves through these states::

    (no row) --claim--> sending --mark_sent--> sent            (final)
                           |
                           +--mark_failed--> failed --claim--> sending ...  (up to MAX_ATTEMPTS)
                           |
                           +--mark_failed(give_up=True)--> given_up       (final for the week)
                           |
                           +--(crash; claimed_at older than stale_after)--claim--> sending ...

Claiming is the only way to send, and it is atomic on both backends: the first claim is an
``INSERT ... ON CONFLICT DO NOTHING`` on the unique (team, week) key, and a re-claim is one
conditional ``UPDATE`` whose ``WHERE`` names the states it may leave. Two bots, two jobs or a job
and its rerun can race; exactly one of them wins and the others send nothing.

The trade-off of re-claiming a stale ``sending`` row: if the process died after Telegram accepted a
message but before the ledger recorded it, the re-claim posts that message again. Never re-claiming
would instead lose the team's digest for good. The window is narrowed by recording each part's
message ids as soon as Telegram returns them (:func:`record_part`), so a re-claim resumes after the
parts already delivered, and ``stale_after`` is set well beyond the longest a send can take (rate
limiter waits and retries included), so a slow send is never mistaken for a dead one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlmodel import col
from sqlmodel import select as select_model

from storage.models import DigestLedger, NudgeLog, Team, TeamChat, format_parts
from storage.query import fetch_all, fetch_rows, table_of
from storage.upsert import insert_ignore

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
#: Failed in a way retrying cannot mend this week (the bot was removed from the group, the topic
#: is gone); ``last_error`` says why.
GIVEN_UP = "given_up"

#: A digest is tried at most this many times in a week; then it stays ``failed`` (see /ledger).
MAX_ATTEMPTS = 8

#: Longest error text kept in ``last_error``.
MAX_ERROR = 500

_L = table_of(DigestLedger)
_nudge_log = table_of(NudgeLog)

_ONE = select_model(DigestLedger).where(
    col(DigestLedger.team_id) == bindparam("team_id"),
    col(DigestLedger.iso_week) == bindparam("iso_week"),
)


def get(conn: Connection, *, team_id: int, iso_week: str) -> DigestLedger | None:
    """The row for one team and week, or None."""
    found = fetch_all(conn, _ONE, {"team_id": team_id, "iso_week": iso_week})
    return found[0] if found else None


def _reclaimable(now: datetime, stale_after: timedelta, max_attempts: int) -> ColumnElement[bool]:
    return and_(
        _L.c.attempts < max_attempts,
        or_(
            _L.c.status == FAILED,
            and_(_L.c.status == SENDING, _L.c.claimed_at < now - stale_after),
        ),
    )


def claim(
    conn: Connection,
    *,
    team_id: int,
    iso_week: str,
    template_version: str,
    chat_id: int,
    now: datetime,
    stale_after: timedelta,
    max_attempts: int = MAX_ATTEMPTS,
) -> DigestLedger | None:
    """Take the right to send one team's digest for one week.

    Wins when there is no row yet, when the row ``failed`` (fewer than ``max_attempts`` times), or
    when it has been ``sending`` since before ``now - stale_after`` (a crashed run); see the module
    docstring for that trade-off. Commit before sending, so other runs see the claim.

    Returns:
        The claimed row (status ``sending``; ``parts`` lists what an earlier attempt already
        delivered), or None when the digest is sent, being sent, or given up on.
    """
    values = {
        "team_id": team_id,
        "iso_week": iso_week,
        "template_version": template_version,
        "content_hash": "",
        "status": SENDING,
        "attempts": 1,
        "chat_id": chat_id,
        "message_ids": "",
        "claimed_at": now,
    }
    # insert_ignore gives the new row's id (never 0), or None when the row exists already.
    if not insert_ignore(conn, _L, values, conflict=("team_id", "iso_week")):
        result = conn.execute(
            update(_L)
            .where(
                _L.c.team_id == team_id,
                _L.c.iso_week == iso_week,
                _reclaimable(now, stale_after, max_attempts),
            )
            .values(
                status=SENDING,
                attempts=_L.c.attempts + 1,
                claimed_at=now,
                template_version=template_version,
                # Parts went to the old chat: after a rebind, start afresh in the new one.
                message_ids=case((_L.c.chat_id == chat_id, _L.c.message_ids), else_=""),
                chat_id=chat_id,
            )
        )
        if result.rowcount != 1:
            return None
    row = get(conn, team_id=team_id, iso_week=iso_week)
    assert row is not None
    return row


def record_part(
    conn: Connection, *, team_id: int, iso_week: str, part: str, message_ids: Sequence[int]
) -> None:
    """Record that one part of a digest reached Telegram, so a retry does not post it again."""
    row = get(conn, team_id=team_id, iso_week=iso_week)
    if row is None:
        return
    parts = dict(row.parts)
    parts[part] = tuple(message_ids)
    conn.execute(
        update(_L)
        .where(_L.c.team_id == team_id, _L.c.iso_week == iso_week)
        .values(message_ids=format_parts(parts))
    )


def mark_sent(
    conn: Connection,
    *,
    team_id: int,
    iso_week: str,
    template_version: str,
    content_hash: str,
    now: datetime,
) -> None:
    """Record that the whole digest went out."""
    conn.execute(
        update(_L)
        .where(_L.c.team_id == team_id, _L.c.iso_week == iso_week)
        .values(
            status=SENT,
            template_version=template_version,
            content_hash=content_hash,
            sent_at=now,
            last_error=None,
        )
    )


def mark_failed(
    conn: Connection, *, team_id: int, iso_week: str, error: str, give_up: bool = False
) -> DigestLedger | None:
    """Record a failed attempt; a later run may claim the row again, unless ``give_up``.

    Args:
        error: Why, in plain words (``/ledger`` shows it); cut to :data:`MAX_ERROR` characters.
        give_up: Retrying cannot help this week: the row becomes ``given_up`` and is never
            claimed again.

    Returns:
        The row as it now stands (``status`` and ``attempts`` tell whether it will be retried).
    """
    conn.execute(
        update(_L)
        .where(_L.c.team_id == team_id, _L.c.iso_week == iso_week, _L.c.status == SENDING)
        .values(status=GIVEN_UP if give_up else FAILED, last_error=error[:MAX_ERROR])
    )
    return get(conn, team_id=team_id, iso_week=iso_week)


def will_retry(row: DigestLedger, max_attempts: int = MAX_ATTEMPTS) -> bool:
    """Whether a later run may still claim this row (it failed, with attempts left)."""
    return row.status == FAILED and row.attempts < max_attempts


def move_chat(conn: Connection, *, team_id: int, iso_week: str, chat_id: int) -> None:
    """Record that a digest being sent now goes to ``chat_id`` (the group was upgraded to a
    supergroup with a new id), keeping the parts already delivered: the new chat keeps the old
    one's history, so they are still there for everyone to see."""
    conn.execute(
        update(_L).where(_L.c.team_id == team_id, _L.c.iso_week == iso_week).values(chat_id=chat_id)
    )


def claim_admin_notice(conn: Connection, *, team_id: int, iso_week: str, now: datetime) -> bool:
    """Take the right to tell the admins that this team's digest failed this week.

    One conditional ``UPDATE`` (``admins_told_at IS NULL``), so however many runs fail, and
    however many bots race, the admins hear about a team once per week.

    Returns:
        True for the first caller, False once they have been told (or without a row).
    """
    result = conn.execute(
        update(_L)
        .where(_L.c.team_id == team_id, _L.c.iso_week == iso_week, _L.c.admins_told_at.is_(None))
        .values(admins_told_at=now)
    )
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class WeekSpread:
    """How close together one week's digests went out.

    Attributes:
        sent: Teams whose digest is ``sent``.
        first: The earliest ``sent_at`` (aware UTC).
        last: The latest ``sent_at``.
    """

    sent: int
    first: datetime
    last: datetime

    @property
    def spread(self) -> timedelta:
        """From the first team sent to the last (zero for one team)."""
        return self.last - self.first


def week_spreads(conn: Connection, *, iso_weeks: Sequence[str]) -> dict[str, WeekSpread]:
    """For each week with any digest sent, over every team: how many went out, first and last.

    Archived teams count too: the promise measured is that all the week's digests went out
    together. Weeks with nothing sent are absent.
    """
    sent_at = _L.c.sent_at
    rows = conn.execute(
        select(_L.c.iso_week, func.count(), func.min(sent_at), func.max(sent_at))
        .where(_L.c.iso_week.in_(list(iso_weeks)), _L.c.status == SENT, sent_at.is_not(None))
        .group_by(_L.c.iso_week)
    ).all()
    return {week: WeekSpread(int(n), _aware(first), _aware(last)) for week, n, first, last in rows}


def _aware(at: datetime) -> datetime:
    # Aggregates bypass the column's type on SQLite, which then hands back naive UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def entries(
    conn: Connection, *, iso_weeks: Sequence[str], team_ids: Sequence[int] | None = None
) -> list[DigestLedger]:
    """Rows for some weeks (and teams), newest week first, then by team id."""
    stmt = select_model(DigestLedger).where(col(DigestLedger.iso_week).in_(list(iso_weeks)))
    if team_ids is not None:
        stmt = stmt.where(col(DigestLedger.team_id).in_(list(team_ids)))
    return fetch_all(
        conn, stmt.order_by(col(DigestLedger.iso_week).desc(), col(DigestLedger.team_id))
    )


@dataclass(frozen=True, slots=True)
class ChatToSend:
    """A bound team whose digest could be claimed now, and where it goes.

    Attributes:
        team: The team.
        chat_id: Its group chat.
        thread_id: The forum topic in that chat, or None for the chat itself.
        bound_at: When the chat was bound (aware UTC; a migration keeps it): a chat bound after
            a week's slot is not owed that week's digest
            (:func:`~organiser_bot.domain.schedule.digest_due_for_chat`).
    """

    team: Team
    chat_id: int
    thread_id: int | None
    bound_at: datetime


def teams_to_send(
    conn: Connection,
    *,
    iso_week: str,
    now: datetime,
    stale_after: timedelta,
    max_attempts: int = MAX_ATTEMPTS,
) -> list[ChatToSend]:
    """Bound teams whose digest for ``iso_week`` could be claimed now, by team name, each with
    its chat, topic and binding time.

    A cheap pre-check so a catch-up run with nothing to do costs one query; :func:`claim` remains
    the authority. Whether the week is owed to a chat bound at that time is the caller's rule.
    """
    rows = fetch_rows(
        conn,
        select_model(Team, col(TeamChat.chat_id), col(TeamChat.thread_id), col(TeamChat.bound_at))
        .join(TeamChat, col(TeamChat.team_id) == col(Team.id))
        .outerjoin(_L, and_(_L.c.team_id == col(Team.id), _L.c.iso_week == iso_week))
        .where(
            col(Team.archived_at).is_(None),
            or_(_L.c.id.is_(None), _reclaimable(now, stale_after, max_attempts)),
        )
        .order_by(col(Team.name), col(Team.id)),
    )
    return [
        ChatToSend(team, chat_id, thread_id, bound_at)
        for team, chat_id, thread_id, bound_at in rows
    ]


# --- Nudges --------------------------------------------------------------------------------------


def claim_nudge(conn: Connection, *, person_id: int, iso_week: str, now: datetime) -> bool:
    """Take the right to nudge a person this week; False if they have been nudged already."""
    # insert_ignore returns the new key (person ids start at 1), or None when the row exists.
    return bool(
        insert_ignore(
            conn,
            _nudge_log,
            {"person_id": person_id, "iso_week": iso_week, "sent_at": now},
            conflict=("person_id", "iso_week"),
        )
    )


def release_nudge(conn: Connection, *, person_id: int, iso_week: str) -> None:
    """Give a claimed nudge back after it could not be delivered, so a later run may retry."""
    conn.execute(
        delete(_nudge_log).where(
            _nudge_log.c.person_id == person_id, _nudge_log.c.iso_week == iso_week
        )
    )


def nudged(conn: Connection, *, iso_week: str) -> set[int]:
    """Ids of the people nudged in ``iso_week``."""
    return set(
        conn.execute(
            select(_nudge_log.c.person_id).where(_nudge_log.c.iso_week == iso_week)
        ).scalars()
    )
