"""Storage on SQLite and PostgreSQL alike: constraints, totals kept in step, targets, invites."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from organiser_bot.domain.access import Identity
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import effective_targets
from storage import activities, chats, people
from storage import targets as target_store
from storage.activities import NewEntry
from storage.engine import Database
from storage.models import Activity
from storage.query import table_of

ACTIVITY = table_of(Activity)

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


def _totals(conn: Connection, person: int, team: int, start: date, end: date) -> dict[str, int]:
    """A person's totals per kind over [start, end), read as /totals reads them."""
    by_member = activities.totals_by_member(conn, team_id=team, start=start, end=end)
    return by_member.get(person, {})


def _week(db: Database, person: int, team: int) -> dict[str, int]:
    with db.begin() as conn:
        return _totals(conn, person, team, date(2026, 11, 23), date(2026, 11, 30))


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
        conn.execute(insert(ACTIVITY).values(**row))
    with pytest.raises(IntegrityError), db.begin() as conn:
        conn.execute(insert(ACTIVITY).values(**row))


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
        last_week = _totals(conn, person, team, date(2026, 11, 16), date(2026, 11, 23))
        live = conn.execute(
            select(func.sum(ACTIVITY.c.count)).where(ACTIVITY.c.deleted_at.is_(None))
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
    assert found is not None and found[0].uses_left == 0


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
        assert chats.bind_chat(conn, team_id=team, chat_id=-5, title="g", by=None, now=NOW) is None
        assert chats.bind_chat(conn, team_id=other, chat_id=-5, title="g", by=None, now=NOW) == team
        bound = chats.team_for_chat(conn, -5)
    assert bound is not None and bound.slug == "south"


def test_a_binding_keeps_the_forum_topic_and_clears_a_lost_chat(db: Database) -> None:
    _, team = _setup(db)
    with db.begin() as conn:
        assert chats.lose_chat(conn, chat_id=-5, reason="removed", now=NOW) is None
        chats.bind_chat(conn, team_id=team, chat_id=-5, title="g", by=None, now=NOW)
        assert chats.lose_chat(conn, chat_id=-5, reason="removed", now=NOW) == team
        assert chats.team_chat(conn, team) is None and chats.team_for_chat(conn, -5) is None
        lost = people.find_team(conn, "north")
        assert lost is not None
        assert (lost.chat_lost_at, lost.chat_lost_reason) == (NOW, "removed")
        # The second event about the same chat finds nothing bound.
        assert chats.lose_chat(conn, chat_id=-5, reason="removed", now=NOW) is None
        later = NOW + timedelta(days=1)
        chats.bind_chat(conn, team_id=team, chat_id=-6, title="h", by=None, now=later, thread_id=7)
        binding = chats.team_chat(conn, team)
        again = people.find_team(conn, "north")
    assert binding is not None
    assert (binding.chat_id, binding.thread_id, binding.bound_at) == (-6, 7, later)
    assert again is not None and (again.chat_lost_at, again.chat_lost_reason) == (None, None)


def test_a_migrated_chat_keeps_its_binding_time_and_moves_once(db: Database) -> None:
    _, team = _setup(db)
    with db.begin() as conn:
        chats.bind_chat(conn, team_id=team, chat_id=-5, title="g", by=None, now=NOW, thread_id=3)
        assert chats.migrate_chat(conn, old_chat_id=-5, new_chat_id=-1005) == team
        assert chats.migrate_chat(conn, old_chat_id=-5, new_chat_id=-1005) is None
        binding = chats.team_chat(conn, team)
        moved = chats.team_for_chat(conn, -1005)
    assert binding is not None
    assert (binding.chat_id, binding.thread_id, binding.bound_at) == (-1005, None, NOW)
    assert moved is not None and moved.id == team


def test_a_migration_onto_a_chat_bound_already_leaves_that_binding(db: Database) -> None:
    _, team = _setup(db)
    with db.begin() as conn:
        other = people.create_team(conn, name="South", slug="south", now=NOW)
        chats.bind_chat(conn, team_id=team, chat_id=-5, title="g", by=None, now=NOW)
        chats.bind_chat(conn, team_id=other, chat_id=-1005, title="s", by=None, now=NOW)
        assert chats.migrate_chat(conn, old_chat_id=-5, new_chat_id=-1005) is None
        assert chats.team_chat(conn, team) is None
        kept = chats.team_for_chat(conn, -1005)
    assert kept is not None and kept.id == other


async def test_database_work_runs_off_the_event_loop(db: Database) -> None:
    import threading

    loop_thread = threading.get_ident()
    worker = await db.run(lambda _conn: threading.get_ident())
    assert worker != loop_thread


def test_running_totals_equal_live_entries_after_random_changes(db: Database) -> None:
    import random

    person, team = _setup(db)
    rng = random.Random(7)
    for message in range(1, 41):
        entries = [
            _entry(
                person,
                team,
                line=i,
                message=message,
                count=rng.randint(1, 9),
                kind=rng.choice(["one_to_one", "casework"]),
                day=THURSDAY - timedelta(days=rng.randint(0, 20)),
            )
            for i in range(rng.randint(1, 3))
        ]
        with db.begin() as conn:
            activities.record(conn, entries, now=NOW)
            rows = activities.entries_from_source(conn, 99, rng.randint(1, message))
            action = rng.random()
            if action < 0.3:
                activities.soft_delete(conn, rows, now=NOW)
            elif action < 0.6 and rows:
                activities.replace(
                    conn,
                    rows[0],
                    _entry(
                        person,
                        team,
                        count=rng.randint(1, 9),
                        day=THURSDAY - timedelta(days=rng.randint(0, 20)),
                    ),
                    now=NOW,
                )
    mondays = [date(2025, 12, 29) + timedelta(weeks=i) for i in range(53)]
    with db.begin() as conn:
        live = conn.execute(
            select(ACTIVITY.c.kind, ACTIVITY.c.occurred_on, ACTIVITY.c.count).where(
                ACTIVITY.c.deleted_at.is_(None)
            )
        ).all()
        # Every read of the running totals: the digest's days, its trend's weeks, and the
        # week each confirmation shows.
        daily = {
            (kind, monday + timedelta(days=i)): n
            for monday in mondays
            for days in activities.week_by_day(conn, monday=monday, team_ids=[team]).values()
            for kind, counts in days.items()
            for i, n in enumerate(counts)
            if n
        }
        series = activities.team_week_series(
            conn, team_id=team, first_monday=mondays[0], last_monday=mondays[-1]
        )
        weekly = {(kind, week): n for week, kinds in series.items() for kind, n in kinds.items()}
        confirmed = {
            (kind, monday): n
            for monday in mondays
            for kind, n in activities.week_snapshot(
                conn, person_id=person, team_id=team, role="organiser", monday=monday
            ).totals.items()
        }
    by_day: dict[tuple[str, date], int] = {}
    by_week: dict[tuple[str, date], int] = {}
    for kind, day, count in live:
        by_day[(kind, day)] = by_day.get((kind, day), 0) + count
        monday = day - timedelta(days=day.weekday())
        by_week[(kind, monday)] = by_week.get((kind, monday), 0) + count
    assert daily == by_day
    assert weekly == by_week
    assert confirmed == by_week


def test_migration_backfills_weekly_totals_from_daily_totals(tmp_path: Path) -> None:
    from sqlalchemy import text

    from storage import migrate
    from storage.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO person (id, telegram_user_id, display_name, nudges_paused, created_at)"
                " VALUES (1, 5, 'Sam', 0, '2026-11-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO team (id, name, slug, created_at)"
                " VALUES (1, 'N', 'n', '2026-11-01 00:00:00')"
            )
        )
        for day, total in (("2026-11-23", 2), ("2026-11-29", 3), ("2026-11-30", 4)):
            conn.execute(
                text(
                    "INSERT INTO daily_total (person_id, team_id, kind, day, total)"
                    f" VALUES (1, 1, 'casework', '{day}', {total})"
                )
            )
    migrate.upgrade(engine)
    with engine.begin() as conn:
        series = activities.team_week_series(
            conn, team_id=1, first_monday=date(2026, 11, 16), last_monday=date(2026, 12, 7)
        )
    engine.dispose()
    weeks = {(week, n) for week, kinds in series.items() for n in kinds.values()}
    assert weeks == {(date(2026, 11, 23), 5), (date(2026, 11, 30), 4)}


def test_find_team_takes_a_short_name_without_accents_only_when_it_means_one_team(
    db: Database,
) -> None:
    with db.begin() as conn:
        lodz = people.create_team(conn, name="Łódź Północ", slug="łódź-północ", now=NOW)
        people.create_team(conn, name="Café", slug="café", now=NOW)
        people.create_team(conn, name="Cafe", slug="cafe", now=NOW)
        found = people.find_team(conn, "lodz-polnoc")
        assert found is not None and found.id == lodz
        exact = people.find_team(conn, "cafe")  # the exact short name wins over a folded one
        assert exact is not None and exact.slug == "cafe"
        assert people.find_team(conn, "lodz") is None
