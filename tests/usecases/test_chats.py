"""Team chats changed by Telegram: a migration moves the binding, a lost chat is told once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.chats import ChatLoss, LostChat, MovedChat, chat_lost, chat_migrated
from storage import chats
from storage.engine import Database
from storage.models import AuditEntry
from storage.query import table_of
from tests.digest_factories import LONDON, SETUP_AT, make_member, make_team

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
GROUP, SUPERGROUP = -4001, -1004001
MOMENT = Moment(now=NOW, tz=LONDON, kinds=KindRegistry())


@pytest.fixture
def north(db: Database) -> int:
    """North Ward, bound to GROUP, with two managers and an organiser."""
    with db.begin() as conn:
        team = make_team(conn, "North Ward", chat_id=GROUP)
        make_member(conn, team, 21, "Mia", Role.MANAGER)
        make_member(conn, team, 11, "Sam", Role.ORGANISER)
        make_member(conn, team, 15, "Ola", Role.MANAGER)
    return team


def _audit(db: Database) -> list[tuple[str, dict[str, object]]]:
    audit = table_of(AuditEntry)
    with db.begin() as conn:
        rows = conn.execute(select(audit.c.action, audit.c.detail).order_by(audit.c.id)).all()
    return [(row.action, json.loads(row.detail)) for row in rows]


def test_a_migration_moves_the_team_chat_once_and_keeps_its_binding_time(
    db: Database, north: int
) -> None:
    with db.begin() as conn:
        moved = chat_migrated(conn, old_chat_id=GROUP, new_chat_id=SUPERGROUP, moment=MOMENT)
        # Telegram's second service message about the same migration.
        again = chat_migrated(conn, old_chat_id=GROUP, new_chat_id=SUPERGROUP, moment=MOMENT)
        binding = chats.team_chat(conn, north)
    assert moved == MovedChat(north, "North Ward", GROUP, SUPERGROUP)
    assert again is None
    assert binding is not None and (binding.chat_id, binding.bound_at) == (SUPERGROUP, SETUP_AT)
    assert _audit(db) == [
        ("migrate", {"old_chat_id": GROUP, "new_chat_id": SUPERGROUP}),
    ]


def test_a_migration_of_an_unbound_group_changes_nothing(db: Database, north: int) -> None:
    with db.begin() as conn:
        assert chat_migrated(conn, old_chat_id=-9, new_chat_id=-1009, moment=MOMENT) is None
        assert chats.team_for_chat(conn, -1009) is None
    assert _audit(db) == []


@pytest.mark.parametrize("reason", list(ChatLoss))
def test_a_lost_chat_names_the_team_managers_once(
    db: Database, north: int, reason: ChatLoss
) -> None:
    with db.begin() as conn:
        lost = chat_lost(conn, chat_id=GROUP, reason=reason, moment=MOMENT)
        repeated = chat_lost(conn, chat_id=GROUP, reason=reason, moment=MOMENT)
        binding = chats.team_chat(conn, north)
        team = chats.team_for_chat(conn, GROUP)
    assert lost == LostChat(north, "North Ward", "North Ward", reason, (15, 21))
    assert repeated is None
    assert binding is None and team is None
    assert _audit(db) == [("lose", {"chat_id": GROUP, "reason": reason.value})]


def test_losing_a_chat_no_team_uses_changes_nothing(db: Database, north: int) -> None:
    with db.begin() as conn:
        assert chat_lost(conn, chat_id=-9, reason=ChatLoss.REMOVED, moment=MOMENT) is None
        assert chats.team_chat(conn, north) is not None
    assert _audit(db) == []
