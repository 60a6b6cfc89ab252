"""The digest ledger (one row per team and ISO week) and the nudge log (one per person and week).

A digest row moves through these states::

    (no row) --claim--> sending --mark_sent--> sent            (final)
                           |
                           +--mark_failed--> failed --claim--> sending ...  (up to MAX_ATTEMPTS)
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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, and_, case, delete, or_, select, update

from storage import tables as t
from storage.people import TeamRow
from storage.upsert import insert_ignore

SENDING = "sending"
SENT = "sent"
FAILED = "failed"

#: A digest is tried at most this many times in a week; then it stays ``failed`` (see /ledger).
MAX_ATTEMPTS = 8

#: Longest error text kept in ``last_error``.
MAX_ERROR = 500

_L = t.digest_ledger


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One team's digest for one week, as recorded.

    Attributes:
        parts: Part name (``charts``, ``text``) -> Telegram message ids already delivered.
    """

    team_id: int
    iso_week: str
    template_version: str
    content_hash: str
    status: str
    attempts: int
    last_error: str | None
    chat_id: int | None
    parts: Mapping[str, tuple[int, ...]]
    claimed_at: datetime
    sent_at: datetime | None

    @property
    def message_ids(self) -> tuple[int, ...]:
        """Every message id delivered, in part order."""
        return tuple(i for ids in self.parts.values() for i in ids)


def format_parts(parts: Mapping[str, Sequence[int]]) -> str:
    """``{"charts": [11, 12], "text": [13]}`` -> ``"charts:11,12;text:13"``."""
    return ";".join(f"{name}:{','.join(str(i) for i in ids)}" for name, ids in parts.items())


def parse_parts(text: str) -> dict[str, tuple[int, ...]]:
    """The inverse of :func:`format_parts`; an empty string gives no parts."""
    parts: dict[str, tuple[int, ...]] = {}
    for chunk in filter(None, text.split(";")):
        name, _, ids = chunk.partition(":")
        parts[name] = tuple(int(i) for i in ids.split(",") if i)
    return parts


_COLUMNS = (
    _L.c.team_id,
    _L.c.iso_week,
    _L.c.template_version,
    _L.c.content_hash,
    _L.c.status,
    _L.c.attempts,
    _L.c.last_error,
    _L.c.chat_id,
    _L.c.message_ids,
    _L.c.claimed_at,
    _L.c.sent_at,
)


def _row(r: Sequence[object]) -> LedgerRow:
    team_id, week, version, digest, status, attempts, error, chat, ids, claimed, sent = r
    return LedgerRow(
        int(team_id),  # type: ignore[call-overload]
        str(week),
        str(version),
        str(digest),
        str(status),
        int(attempts),  # type: ignore[call-overload]
        None if error is None else str(error),
        None if chat is None else int(chat),  # type: ignore[call-overload]
        parse_parts(str(ids)),
        claimed,  # type: ignore[arg-type]
        sent,  # type: ignore[arg-type]
    )


def get(conn: Connection, *, team_id: int, iso_week: str) -> LedgerRow | None:
    """The row for one team and week, or None."""
    row = conn.execute(
        select(*_COLUMNS).where(_L.c.team_id == team_id, _L.c.iso_week == iso_week)
    ).first()
    return _row(tuple(row)) if row else None


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
) -> LedgerRow | None:
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


def mark_failed(conn: Connection, *, team_id: int, iso_week: str, error: str) -> LedgerRow | None:
    """Record a failed attempt; a later run may claim the row again.

    Returns:
        The row as it now stands (``attempts`` tells whether it will be retried).
    """
    conn.execute(
        update(_L)
        .where(_L.c.team_id == team_id, _L.c.iso_week == iso_week, _L.c.status == SENDING)
        .values(status=FAILED, last_error=error[:MAX_ERROR])
    )
    return get(conn, team_id=team_id, iso_week=iso_week)


def entries(
    conn: Connection, *, iso_weeks: Sequence[str], team_ids: Sequence[int] | None = None
) -> list[LedgerRow]:
    """Rows for some weeks (and teams), newest week first, then by team id."""
    stmt = select(*_COLUMNS).where(_L.c.iso_week.in_(list(iso_weeks)))
    if team_ids is not None:
        stmt = stmt.where(_L.c.team_id.in_(list(team_ids)))
    rows = conn.execute(stmt.order_by(_L.c.iso_week.desc(), _L.c.team_id)).all()
    return [_row(tuple(r)) for r in rows]


def teams_to_send(
    conn: Connection,
    *,
    iso_week: str,
    now: datetime,
    stale_after: timedelta,
    max_attempts: int = MAX_ATTEMPTS,
) -> list[tuple[TeamRow, int]]:
    """Bound teams whose digest for ``iso_week`` could be claimed now, by team name.

    A cheap pre-check so a catch-up run with nothing to do costs one query; :func:`claim` remains
    the authority.
    """
    rows = conn.execute(
        select(t.team.c.id, t.team.c.name, t.team.c.slug, t.team_chat.c.chat_id)
        .join(t.team_chat, t.team_chat.c.team_id == t.team.c.id)
        .outerjoin(_L, and_(_L.c.team_id == t.team.c.id, _L.c.iso_week == iso_week))
        .where(
            t.team.c.archived_at.is_(None),
            or_(_L.c.id.is_(None), _reclaimable(now, stale_after, max_attempts)),
        )
        .order_by(t.team.c.name, t.team.c.id)
    ).all()
    return [(TeamRow(r.id, r.name, r.slug), int(r.chat_id)) for r in rows]


# --- Nudges --------------------------------------------------------------------------------------


def claim_nudge(conn: Connection, *, person_id: int, iso_week: str, now: datetime) -> bool:
    """Take the right to nudge a person this week; False if they have been nudged already."""
    # insert_ignore returns the new key (person ids start at 1), or None when the row exists.
    return bool(
        insert_ignore(
            conn,
            t.nudge_log,
            {"person_id": person_id, "iso_week": iso_week, "sent_at": now},
            conflict=("person_id", "iso_week"),
        )
    )


def release_nudge(conn: Connection, *, person_id: int, iso_week: str) -> None:
    """Give a claimed nudge back after it could not be delivered, so a later run may retry."""
    conn.execute(
        delete(t.nudge_log).where(
            t.nudge_log.c.person_id == person_id, t.nudge_log.c.iso_week == iso_week
        )
    )


def nudged(conn: Connection, *, iso_week: str) -> set[int]:
    """Ids of the people nudged in ``iso_week``."""
    rows = conn.execute(
        select(t.nudge_log.c.person_id).where(t.nudge_log.c.iso_week == iso_week)
    ).all()
    return {int(r[0]) for r in rows}
