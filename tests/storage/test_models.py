"""The models as the rest of the code reads them: tables, derived attributes, typed roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import SQLModel

from organiser_bot.domain.access import Identity
from organiser_bot.domain.roles import Role
from storage import ledger, people
from storage.engine import Database
from storage.models import DigestLedger, Team, format_parts, parse_parts
from storage.query import table_of

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_table_of_gives_the_models_table_and_refuses_a_plain_model() -> None:
    class NotATable(SQLModel):
        name: str

    assert table_of(Team).name == "team"
    with pytest.raises(TypeError, match="NotATable"):
        table_of(NotATable)


def test_digest_parts_round_trip_and_list_every_delivered_id_in_part_order() -> None:
    parts = {"charts": (11, 12), "text": (13,)}
    assert format_parts(parts) == "charts:11,12;text:13"
    assert parse_parts(format_parts(parts)) == parts
    assert parse_parts("") == {}


def test_a_ledger_row_reads_back_as_the_model_with_its_parts(db: Database) -> None:
    with db.begin() as conn:
        team = people.create_team(conn, name="North", slug="north", now=NOW)
        claimed = ledger.claim(
            conn,
            team_id=team,
            iso_week="2026-W47",
            template_version="v1",
            chat_id=-5,
            now=NOW,
            stale_after=timedelta(hours=1),
        )
        ledger.record_part(
            conn, team_id=team, iso_week="2026-W47", part="charts", message_ids=[7, 8]
        )
        ledger.record_part(conn, team_id=team, iso_week="2026-W47", part="text", message_ids=[9])
        row = ledger.get(conn, team_id=team, iso_week="2026-W47")
    assert isinstance(claimed, DigestLedger) and claimed.parts == {}
    assert row is not None and row.status == ledger.SENDING and row.attempts == 1
    assert row.parts == {"charts": (7, 8), "text": (9,)} and row.delivered_ids == (7, 8, 9)


def test_roles_read_back_as_the_role_enum(db: Database) -> None:
    with db.begin() as conn:
        person = people.ensure_person(conn, Identity(7, "Sam"), now=NOW)
        team = people.create_team(conn, name="North", slug="north", now=NOW)
        people.add_membership(conn, person_id=person, team_id=team, role=Role.CASEWORKER, now=NOW)
        [member] = people.team_members(conn, team)
        actor = people.load_actor(conn, Identity(7, "Sam"), admin_ids=frozenset())
    assert member.role is Role.CASEWORKER
    assert [tr.role for tr in actor.teams] == [Role.CASEWORKER]
