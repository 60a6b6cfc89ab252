"""Storage on SQLite and PostgreSQL alike: constraints, totals kept in step, targets, invites."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from organiser_bot.access import Identity
from organiser_bot.roles import Role
from organiser_bot.targets import effective_targets
from storage import activities, people
from storage import tables as t
from storage import targets as target_store
from storage.activities import NewEntry
from storage.engine import Database

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
THURSDAY = date(2026, 11, 26)


def _setup(db: Database) -> tuple[int, int]:
    with db.begin() as conn:
        person = people.ensure_person(conn, Identity(7, "Sam"), now=NOW)
        team = people.create_team(conn, name="North", slug="north", now=NOW)
        people.add_membership(conn, person_id=person, team_id=team, role=Role.ORGANISER, now=NOW)
    return person, team


def _entry(
    person: int,
    team: int,
    *,
    line: int = 0,
    message: int = 1,
    count: int = 1,
    kind: str = "one_to_one",
    day: date = THURSDAY,
) -> NewEntry:
    return NewEntry(person, team, kind, count, NOW, day, "note", 99, message, line)


def _week(db: Database, person: int, team: int) -> dict[str, int]:
    with db.begin() as conn:
        return activities.kind_totals(
            conn, person_id=person, team_id=team, start=date(2026, 11, 23), end=date(2026, 11, 30)
        )


def test_the_same_source_line_is_never_stored_twice(db: Database) -> None:
    person, team = _setup(db)
    with db.begin() as conn:
        assert len(activities.record(conn, [_entry(person, team)], now=NOW)) == 1
    with db.begin() as conn:
        assert activities.record(conn, [_entry(person, team, count=5)], now=NOW) == []
    assert _week(db, person, team) == {"one_to_one": 1}


def test_database_constraint_refuses_a_duplicate_source(db: Database) -> None:
    person, team = _setup(db)
    row = {
        "person_id": person,
        "team_id": team,
        "kind": "casework",
        "count": 1,
        "occurred_at": NOW,
        "occurred_on": THURSDAY,
        "source_chat_id": 1,
        "source_message_id": 2,
        "source_line": 0,
        "recorded_at": NOW,
    }
    with db.begin() as conn:
        conn.execute(insert(t.activity).values(**row))
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(insert(t.activity).values(**row))


def test_daily_totals_follow_inserts_deletes_and_replacements(db: Database) -> None:
    person, team = _setup(db)
    with db.begin() as conn:
        activities.record(
            conn,
            [_entry(person, team, line=0, count=2), _entry(person, team, line=1, kind="casework")],
            now=NOW,
        )
    assert _week(db, person, team) == {"one_to_one": 2, "casework": 1}
    with db.begin() as conn:
        rows = activities.entries_from_source(conn, 99, 1)
        activities.replace(
            conn,
            rows[0],
            _entry(
                person, team, count=7, kind="resident_contact", day=THURSDAY - timedelta(days=7)
            ),
            now=NOW,
        )
        activities.soft_delete(conn, [rows[1]], now=NOW)
        # Deleting twice takes nothing off twice.
        assert activities.soft_delete(conn, [rows[1]], now=NOW) == []
    assert _week(db, person, team) == {}
    with db.begin() as conn:
        last_week = activities.kind_totals(
            conn, person_id=person, team_id=team, start=date(2026, 11, 16), end=date(2026, 11, 23)
        )
        live = conn.execute(
            select(func.sum(t.activity.c.count)).where(t.activity.c.deleted_at.is_(None))
        ).scalar_one()
    assert last_week == {"resident_contact": 7} and live == 7


def test_target_precedence_person_over_team_role_over_default(db: Database) -> None:
    person, team = _setup(db)
    with db.begin() as conn:
        overrides = target_store.overrides(conn, team_ids=[team])
    assert effective_targets(
        role=Role.ORGANISER, person_id=person, team_id=team, overrides=overrides
    ) == {"one_to_one": 15}
    with db.begin() as conn:
        target_store.set_target(
            conn,
            team_id=None,
            scope="role:organiser",
            kind="one_to_one",
            weekly=14,
            by=None,
            now=NOW,
        )
        target_store.set_target(
            conn,
            team_id=team,
            scope="role:organiser",
            kind="one_to_one",
            weekly=12,
            by=None,
            now=NOW,
        )
        overrides = target_store.overrides(conn, team_ids=[team])
    assert (
        effective_targets(role=Role.ORGANISER, person_id=person, team_id=team, overrides=overrides)[
            "one_to_one"
        ]
        == 12
    )
    with db.begin() as conn:
        previous = target_store.set_target(
            conn,
            team_id=team,
            scope=f"person:{person}",
            kind="one_to_one",
            weekly=10,
            by=None,
            now=NOW,
        )
        assert previous is None
        again = target_store.set_target(
            conn,
            team_id=team,
            scope=f"person:{person}",
            kind="one_to_one",
            weekly=9,
            by=None,
            now=NOW,
        )
        assert again == 10
        overrides = target_store.overrides(conn, team_ids=[team])
    assert (
        effective_targets(role=Role.ORGANISER, person_id=person, team_id=team, overrides=overrides)[
            "one_to_one"
        ]
        == 9
    )
    # Another team sees only the all-teams role override.
    assert (
        effective_targets(
            role=Role.ORGANISER, person_id=person, team_id=team + 1, overrides=overrides
        )["one_to_one"]
        == 14
    )


def test_an_invite_use_is_spent_once(db: Database) -> None:
    _, team = _setup(db)
    with db.begin() as conn:
        invite = people.create_invite(
            conn,
            code="abc",
            team_id=team,
            role=Role.CASEWORKER,
            created_by=None,
            now=NOW,
            expires_at=NOW + timedelta(days=1),
            uses=1,
        )
    with db.begin() as conn:
        assert people.use_invite(conn, invite) is True
    with db.begin() as conn:
        assert people.use_invite(conn, invite) is False
        found = people.find_invite(conn, "abc", for_update=True)
    assert found is not None and found.uses_left == 0


def test_datetimes_come_back_aware_utc(db: Database) -> None:
    person, team = _setup(db)
    with db.begin() as conn:
        activities.record(conn, [_entry(person, team)], now=NOW)
        [row] = activities.entries_from_source(conn, 99, 1)
    assert row.occurred_at == NOW and row.occurred_at.tzinfo is not None


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive"), db.begin() as conn:
        people.ensure_person(conn, Identity(8, "Priya"), now=datetime(2026, 1, 1))


def test_chat_binding_moves_a_chat_between_teams(db: Database) -> None:
    _, team = _setup(db)
    with db.begin() as conn:
        other = people.create_team(conn, name="South", slug="south", now=NOW)
        assert people.bind_chat(conn, team_id=team, chat_id=-5, title="g", by=None, now=NOW) is None
        assert (
            people.bind_chat(conn, team_id=other, chat_id=-5, title="g", by=None, now=NOW) == team
        )
        bound = people.team_for_chat(conn, -5)
    assert bound is not None and bound.slug == "south"


async def test_database_work_runs_off_the_event_loop(db: Database) -> None:
    import threading

    loop_thread = threading.get_ident()
    worker = await db.run(lambda _conn: threading.get_ident())
    assert worker != loop_thread
