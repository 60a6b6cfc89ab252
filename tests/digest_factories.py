"""Small factories for digest tests: teams, members, targets, absences and entries, written through
the real storage functions (so daily totals stay in step exactly as in production)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from organiser_bot.domain.access import Identity
from organiser_bot.domain.periods import to_utc
from organiser_bot.domain.roles import Role
from storage import activities, chats, people
from storage import targets as target_store
from storage.activities import NewEntry
from storage.models import Activity

LONDON = ZoneInfo("Europe/London")
SETUP_AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

_message_ids = itertools.count(1)


def make_team(
    conn: Connection, name: str, *, chat_id: int | None = None, created_at: datetime = SETUP_AT
) -> int:
    """A team, bound to ``chat_id`` when given, created at ``created_at`` (UTC)."""
    slug = name.lower().replace(" ", "-")
    team_id = people.create_team(conn, name=name, slug=slug, now=created_at)
    if chat_id is not None:
        chats.bind_chat(conn, team_id=team_id, chat_id=chat_id, title=name, by=None, now=SETUP_AT)
    return team_id


def make_member(
    conn: Connection,
    team_id: int,
    user_id: int,
    name: str,
    role: Role,
    *,
    username: str | None = None,
    joined_on: date | None = None,
    left_on: date | None = None,
) -> int:
    """A person in a team from ``joined_on`` (SETUP_AT's day when not given) to ``left_on``;
    returns the person id (the same person may join several teams)."""
    person_id = people.ensure_person(
        conn, Identity(user_id=user_id, display_name=name, username=username), now=SETUP_AT
    )
    people.add_membership(
        conn, person_id=person_id, team_id=team_id, role=role, now=SETUP_AT, joined_on=joined_on
    )
    if left_on is not None:
        people.end_membership(conn, person_id=person_id, team_id=team_id, left_on=left_on)
    return person_id


def log(
    conn: Connection,
    person_id: int,
    team_id: int,
    kind: str,
    count: int,
    day: date,
    *,
    note: str | None = None,
    at: time = time(12, 0),
) -> Activity:
    """One entry on a local day, as a quick log would record it; returns the stored row."""
    occurred_at = to_utc(day, at, LONDON)
    chat_id, message_id = 7_000_000 + person_id, next(_message_ids)
    activities.record(
        conn,
        [
            NewEntry(
                person_id=person_id,
                team_id=team_id,
                kind=kind,
                count=count,
                occurred_at=occurred_at,
                occurred_on=day,
                note=note,
                source_chat_id=chat_id,
                source_message_id=message_id,
                source_line=0,
            )
        ],
        now=occurred_at,
    )
    [row] = activities.entries_from_source(conn, chat_id, message_id)
    return row


def set_target(
    conn: Connection, scope: str, kind: str, weekly: int, *, team_id: int | None = None
) -> None:
    """A target override: ``scope`` is ``role:<role>`` or ``person:<id>``."""
    target_store.set_target(
        conn, team_id=team_id, scope=scope, kind=kind, weekly=weekly, by=None, now=SETUP_AT
    )


def away(conn: Connection, person_id: int, first: date, last: date) -> None:
    """An absence, both days included."""
    target_store.add_absence(conn, person_id=person_id, starts_on=first, ends_on=last, now=SETUP_AT)
