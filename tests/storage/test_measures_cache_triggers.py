"""The triggers of migration 0010 that keep ``team_measures_cache.revision`` in step with the
writes a team's ``/measures`` summary figures are read from: every one exists at head (a batch
migration that copies a table on SQLite drops them), a new team gets its row, each write to a
source table moves the revision of exactly the teams it can change (a running total only for
weeks on or before ``covered_to``), and the migration goes down to 0009 and up again. On SQLite
and PostgreSQL."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, delete, insert, inspect, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from organiser_bot.domain.access import Identity
from organiser_bot.domain.measures import windows
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.measures import summary, team_figures
from storage import activities, migrate, people
from storage import measures as store
from storage import measures_cache as cache
from storage.activities import NewEntry
from storage.engine import Database, make_engine
from storage.models import (
    Absence,
    Membership,
    MonthlyCheckin,
    Person,
    Team,
    TeamMeasuresCache,
    TeamResidents,
    TeamWeeklyTotal,
    WeeklyTotal,
)
from storage.query import table_of
from tests.conftest import postgres_database


def _load_migration() -> ModuleType:
    path = migrate.MIGRATIONS_DIR / "versions" / "0010_measures_cache.py"
    spec = importlib.util.spec_from_file_location("migration_0010_measures_cache", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: The migration itself: the triggers expected are named from its own lists.
MIGRATION = _load_migration()

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
#: Summaries as at now read the running totals of weeks up to the one of this Monday.
SPANS = windows(today=NOW.date(), end=NOW.date() + timedelta(days=1))
COVERED_TO = cache.covered_to(SPANS)
THIS_WEEK = date(2026, 11, 23)  # the current week's Monday: after COVERED_TO
SOURCE_TABLES = (
    "weekly_total",
    "team_weekly_total",
    "membership",
    "team_residents",
    "absence",
    "monthly_checkin",
)

_cache = table_of(TeamMeasuresCache)
_weekly = table_of(WeeklyTotal)
_team_weekly = table_of(TeamWeeklyTotal)
_membership = table_of(Membership)
_residents = table_of(TeamResidents)
_absence = table_of(Absence)
_checkin = table_of(MonthlyCheckin)
_team = table_of(Team)
_person = table_of(Person)


def expected_triggers(dialect: str) -> dict[str, str]:
    """Each trigger migration 0010 makes on ``dialect``: name -> the table it is on."""
    if dialect == "sqlite":
        names = [name for name, _ in MIGRATION._sqlite_triggers()]
        return {
            n: "team" if "_measures_" not in n else n.rpartition("_measures_")[0] for n in names
        }
    return {
        MIGRATION._pg_trigger(function, table): table
        for function, tables, _ in MIGRATION._PG_FUNCTIONS
        for table in tables
    }


def triggers_present(conn: Connection) -> dict[str, tuple[str, frozenset[str]]]:
    """Every trigger in the database: name -> (table, the events it fires on)."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        return {
            name: (
                table,
                frozenset(e for e in ("INSERT", "UPDATE", "DELETE") if f"AFTER {e} ON" in sql),
            )
            for name, table, sql in rows
        }
    rows = conn.execute(
        text(
            "SELECT trigger_name, event_object_table, event_manipulation"
            " FROM information_schema.triggers WHERE trigger_schema = current_schema()"
        )
    ).all()
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for name, table, event in rows:
        events = out.get(name, (table, frozenset()))[1]
        out[name] = (table, events | {event})
    return out


def pg_functions(conn: Connection) -> set[str]:
    return set(
        conn.execute(
            text(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = current_schema()"
            )
        ).scalars()
    )


def _assert_every_trigger_exists(conn: Connection) -> None:
    dialect = conn.dialect.name
    expected = expected_triggers(dialect)
    present = triggers_present(conn)
    assert set(expected) <= set(present), set(expected) - set(present)
    # One per source table and event, and the one making a new team's row.
    assert {expected[name] for name in expected} == {"team", *SOURCE_TABLES}
    for name, table in expected.items():
        on, events = present[name]
        assert on == table, name
        if table == "team":
            assert events == {"INSERT"}, name
        elif dialect == "sqlite":
            assert events == {name.rpartition("_")[2].upper()}, name
        else:
            assert events == {"INSERT", "UPDATE", "DELETE"}, name
    if dialect == "sqlite":
        fired = {
            (expected[n], next(iter(present[n][1]))) for n in expected if expected[n] != "team"
        }
        assert fired == {(t, e) for t in SOURCE_TABLES for e in ("INSERT", "UPDATE", "DELETE")}
    else:
        functions = {function for function, _, _ in MIGRATION._PG_FUNCTIONS}
        assert functions <= pg_functions(conn)


def test_every_trigger_the_migration_makes_exists_at_head(db: Database) -> None:
    with db.engine.connect() as conn:
        _assert_every_trigger_exists(conn)


def revisions(conn: Connection) -> dict[int, int]:
    return {
        team: revision
        for team, revision in conn.execute(select(_cache.c.team_id, _cache.c.revision))
    }


def test_a_new_team_gets_its_row(db: Database) -> None:
    with db.begin() as conn:
        first = people.create_team(conn, name="Aire", slug="aire", now=NOW)
        second = people.create_team(conn, name="Calder", slug="calder", now=NOW)
        rows = conn.execute(
            select(
                _cache.c.team_id,
                _cache.c.revision,
                _cache.c.covered_to,
                _cache.c.windows,
                _cache.c.figures_revision,
                _cache.c.figures,
            ).order_by(_cache.c.team_id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (first, 0, None, None, None, None),
        (second, 0, None, None, None, None),
    ]
    # A team with a row and nothing kept: nothing holds for any windows.
    with db.begin() as conn:
        kept = cache.read(conn, [first])
    assert cache.holding(kept[first], cache.windows_key(SPANS)) is None


# --- Each write to a source table ----------------------------------------------------------------


@dataclass(frozen=True)
class Org:
    """Teams A and B (claimed for ``SPANS``: their ``covered_to`` is ``COVERED_TO``) and C
    (never claimed); ``both`` a member of A and B, ``b_only`` of B, ``nobody`` of no team."""

    a: int
    b: int
    c: int
    both: int
    b_only: int
    nobody: int


def _person_id(conn: Connection, user_id: int, name: str) -> int:
    return people.ensure_person(conn, Identity(user_id, name), now=NOW)


def _member(conn: Connection, person: int, team: int, role: Role = Role.COUNCILLOR) -> None:
    people.add_membership(
        conn, person_id=person, team_id=team, role=role, now=NOW, joined_on=date(2026, 1, 5)
    )


@pytest.fixture
def org(db: Database) -> Org:
    with db.begin() as conn:
        a = people.create_team(conn, name="Aire", slug="aire", now=NOW)
        b = people.create_team(conn, name="Calder", slug="calder", now=NOW)
        c = people.create_team(conn, name="Don", slug="don", now=NOW)
        both = _person_id(conn, 11, "Both")
        b_only = _person_id(conn, 12, "Bea")
        nobody = _person_id(conn, 13, "Nobody")
        _member(conn, both, a)
        _member(conn, both, b)
        _member(conn, b_only, b)
        # Rows to update and delete: a week before covered_to and the current week, per team.
        for team, person in ((a, both), (b, both), (b, b_only), (c, nobody)):
            for week in (COVERED_TO, THIS_WEEK):
                conn.execute(
                    insert(_weekly).values(
                        person_id=person, team_id=team, kind="casework", week=week, total=2
                    )
                )
        for team in (a, b, c):
            for week in (COVERED_TO, THIS_WEEK):
                conn.execute(
                    insert(_team_weekly).values(team_id=team, kind="casework", week=week, total=2)
                )
            conn.execute(
                insert(_residents).values(
                    team_id=team, residents=1000, set_on=date(2026, 10, 1), set_at=NOW
                )
            )
        for person in (both, b_only, nobody):
            conn.execute(
                insert(_absence).values(
                    person_id=person,
                    starts_on=date(2026, 11, 2),
                    ends_on=date(2026, 11, 4),
                    created_at=NOW,
                )
            )
            conn.execute(insert(_checkin).values(person_id=person, month=date(2026, 10, 1)))
        claimed = cache.claim(conn, [a, b], SPANS)
    assert set(claimed) == {a, b}
    with db.begin() as conn:
        rows = conn.execute(select(_cache.c.team_id, _cache.c.covered_to))
        covered = {team: day for team, day in rows}
    assert covered == {a: COVERED_TO, b: COVERED_TO, c: None}
    return Org(a, b, c, both, b_only, nobody)


Write = Callable[[Connection, Org], Any]


def _w(o: Org, team: str, person: str) -> tuple[Any, ...]:
    """The condition of the weekly_total rows of ``team`` and ``person`` (attribute names)."""
    return (_weekly.c.team_id == getattr(o, team), _weekly.c.person_id == getattr(o, person))


def _tw(o: Org, team: str) -> Any:
    return _team_weekly.c.team_id == getattr(o, team)


def _week(table: Any, week: date) -> Any:
    return table.c.week == week


LATER = THIS_WEEK + timedelta(weeks=1)
EARLIER = COVERED_TO - timedelta(weeks=1)

#: (what is written, the write, the teams whose revision it must move: attribute names).
WRITES: tuple[tuple[str, Write, frozenset[str]], ...] = (
    # weekly_total
    (
        "weekly_total INSERT, a week before covered_to",
        lambda c, o: c.execute(
            insert(_weekly).values(
                person_id=o.both, team_id=o.a, kind="one_to_one", week=EARLIER, total=1
            )
        ),
        frozenset({"a"}),
    ),
    (
        "weekly_total INSERT, the current week",
        lambda c, o: c.execute(
            insert(_weekly).values(
                person_id=o.both, team_id=o.a, kind="one_to_one", week=THIS_WEEK, total=1
            )
        ),
        frozenset(),
    ),
    (
        "weekly_total INSERT, any week of a team never claimed",
        lambda c, o: c.execute(
            insert(_weekly).values(
                person_id=o.nobody, team_id=o.c, kind="one_to_one", week=EARLIER, total=1
            )
        ),
        frozenset(),
    ),
    (
        "weekly_total UPDATE, the week of covered_to",
        lambda c, o: c.execute(
            update(_weekly)
            .where(*_w(o, "b", "b_only"), _week(_weekly, COVERED_TO))
            .values(total=_weekly.c.total + 1)
        ),
        frozenset({"b"}),
    ),
    (
        "weekly_total UPDATE, the current week",
        lambda c, o: c.execute(
            update(_weekly)
            .where(*_w(o, "b", "b_only"), _week(_weekly, THIS_WEEK))
            .values(total=_weekly.c.total + 1)
        ),
        frozenset(),
    ),
    (
        "weekly_total UPDATE moving a row out of the weeks read",
        lambda c, o: c.execute(
            update(_weekly)
            .where(*_w(o, "a", "both"), _week(_weekly, COVERED_TO))
            .values(week=LATER)
        ),
        frozenset({"a"}),
    ),
    (
        "weekly_total UPDATE moving a row into the weeks read",
        lambda c, o: c.execute(
            update(_weekly)
            .where(*_w(o, "a", "both"), _week(_weekly, THIS_WEEK))
            .values(week=EARLIER)
        ),
        frozenset({"a"}),
    ),
    (
        "weekly_total UPDATE moving a row to another team",
        lambda c, o: c.execute(
            update(_weekly)
            .where(*_w(o, "a", "both"), _week(_weekly, COVERED_TO))
            .values(team_id=o.b, kind="one_to_one")
        ),
        frozenset({"a", "b"}),
    ),
    (
        "weekly_total DELETE, the week of covered_to",
        lambda c, o: c.execute(
            delete(_weekly).where(*_w(o, "a", "both"), _week(_weekly, COVERED_TO))
        ),
        frozenset({"a"}),
    ),
    (
        "weekly_total DELETE, the current week",
        lambda c, o: c.execute(
            delete(_weekly).where(*_w(o, "a", "both"), _week(_weekly, THIS_WEEK))
        ),
        frozenset(),
    ),
    # team_weekly_total
    (
        "team_weekly_total INSERT, a week before covered_to",
        lambda c, o: c.execute(
            insert(_team_weekly).values(team_id=o.b, kind="one_to_one", week=EARLIER, total=1)
        ),
        frozenset({"b"}),
    ),
    (
        "team_weekly_total INSERT, the current week",
        lambda c, o: c.execute(
            insert(_team_weekly).values(team_id=o.b, kind="one_to_one", week=THIS_WEEK, total=1)
        ),
        frozenset(),
    ),
    (
        "team_weekly_total UPDATE, the week of covered_to",
        lambda c, o: c.execute(
            update(_team_weekly)
            .where(_tw(o, "a"), _week(_team_weekly, COVERED_TO))
            .values(total=_team_weekly.c.total + 5)
        ),
        frozenset({"a"}),
    ),
    (
        "team_weekly_total UPDATE, the current week",
        lambda c, o: c.execute(
            update(_team_weekly)
            .where(_tw(o, "a"), _week(_team_weekly, THIS_WEEK))
            .values(total=_team_weekly.c.total + 5)
        ),
        frozenset(),
    ),
    (
        "team_weekly_total UPDATE moving a row out of the weeks read",
        lambda c, o: c.execute(
            update(_team_weekly)
            .where(_tw(o, "b"), _week(_team_weekly, COVERED_TO))
            .values(week=LATER)
        ),
        frozenset({"b"}),
    ),
    (
        "team_weekly_total DELETE, the week of covered_to",
        lambda c, o: c.execute(
            delete(_team_weekly).where(_tw(o, "b"), _week(_team_weekly, COVERED_TO))
        ),
        frozenset({"b"}),
    ),
    (
        "team_weekly_total DELETE, the current week",
        lambda c, o: c.execute(
            delete(_team_weekly).where(_tw(o, "b"), _week(_team_weekly, THIS_WEEK))
        ),
        frozenset(),
    ),
    # membership
    (
        "membership INSERT",
        lambda c, o: _member(c, o.nobody, o.a),
        frozenset({"a"}),
    ),
    (
        "membership UPDATE",
        lambda c, o: people.end_membership(
            c, person_id=o.b_only, team_id=o.b, left_on=date(2026, 11, 26)
        ),
        frozenset({"b"}),
    ),
    (
        "membership DELETE",
        lambda c, o: c.execute(
            delete(_membership).where(
                _membership.c.person_id == o.both, _membership.c.team_id == o.a
            )
        ),
        frozenset({"a"}),
    ),
    # team_residents
    (
        "team_residents INSERT",
        lambda c, o: c.execute(
            insert(_residents).values(
                team_id=o.b, residents=900, set_on=date(2026, 11, 26), set_at=NOW
            )
        ),
        frozenset({"b"}),
    ),
    (
        "team_residents UPDATE",
        lambda c, o: c.execute(
            update(_residents).where(_residents.c.team_id == o.a).values(residents=1100)
        ),
        frozenset({"a"}),
    ),
    (
        "team_residents DELETE",
        lambda c, o: c.execute(delete(_residents).where(_residents.c.team_id == o.a)),
        frozenset({"a"}),
    ),
    # absence: every team of the person's
    (
        "absence INSERT, someone in two teams",
        lambda c, o: c.execute(
            insert(_absence).values(
                person_id=o.both,
                starts_on=date(2026, 11, 9),
                ends_on=date(2026, 11, 9),
                created_at=NOW,
            )
        ),
        frozenset({"a", "b"}),
    ),
    (
        "absence INSERT, someone in no team",
        lambda c, o: c.execute(
            insert(_absence).values(
                person_id=o.nobody,
                starts_on=date(2026, 11, 9),
                ends_on=date(2026, 11, 9),
                created_at=NOW,
            )
        ),
        frozenset(),
    ),
    (
        "absence UPDATE (withdrawn)",
        lambda c, o: c.execute(
            update(_absence).where(_absence.c.person_id == o.b_only).values(deleted_at=NOW)
        ),
        frozenset({"b"}),
    ),
    (
        "absence DELETE",
        lambda c, o: c.execute(delete(_absence).where(_absence.c.person_id == o.both)),
        frozenset({"a", "b"}),
    ),
    # monthly_checkin: every team of the person's
    (
        "monthly_checkin INSERT",
        lambda c, o: c.execute(
            insert(_checkin).values(person_id=o.b_only, month=date(2026, 11, 1), active=True)
        ),
        frozenset({"b"}),
    ),
    (
        "monthly_checkin UPDATE",
        lambda c, o: c.execute(
            update(_checkin).where(_checkin.c.person_id == o.both).values(active=False)
        ),
        frozenset({"a", "b"}),
    ),
    (
        "monthly_checkin DELETE",
        lambda c, o: c.execute(delete(_checkin).where(_checkin.c.person_id == o.both)),
        frozenset({"a", "b"}),
    ),
    (
        "monthly_checkin UPDATE, someone in no team",
        lambda c, o: c.execute(
            update(_checkin).where(_checkin.c.person_id == o.nobody).values(active=True)
        ),
        frozenset(),
    ),
    # Writes the figures are not read from.
    (
        "team UPDATE (renamed, archived)",
        lambda c, o: c.execute(
            update(_team).where(_team.c.id == o.a).values(name="Avon", archived_at=NOW)
        ),
        frozenset(),
    ),
    (
        "person UPDATE",
        lambda c, o: c.execute(
            update(_person).where(_person.c.id == o.both).values(display_name="Renamed")
        ),
        frozenset(),
    ),
)


@pytest.mark.parametrize(("name", "write", "moved"), WRITES, ids=[w[0] for w in WRITES])
def test_a_write_moves_the_revision_of_the_teams_it_can_change(
    db: Database, org: Org, name: str, write: Write, moved: frozenset[str]
) -> None:
    with db.begin() as conn:
        before = revisions(conn)
    with db.begin() as conn:
        write(conn, org)
    with db.begin() as conn:
        after = revisions(conn)
    ids = {team: getattr(org, team) for team in ("a", "b", "c")}
    assert {team for team, i in ids.items() if after[i] != before[i]} == moved
    assert all(after[i] >= before[i] for i in ids.values())
    if name.split()[1] in ("INSERT", "DELETE"):
        # One row written: 1 added. (PostgreSQL's triggers add 1 for the row before an UPDATE
        # and 1 for the row after it, so an UPDATE may add 2 there: the figures stop holding
        # all the same.)
        assert all(after[ids[team]] - before[ids[team]] == 1 for team in moved)


def test_kept_figures_stop_holding_after_such_a_write_and_not_after_another(
    db: Database, org: Org
) -> None:
    """The revision kept with the figures is the one the claim read: a write to a week read
    makes them not hold; one to the current week leaves them holding."""
    key = cache.windows_key(SPANS)
    with db.begin() as conn:
        revs = cache.claim(conn, [org.a, org.b], SPANS)
        cache.keep(conn, SPANS, team_figures(conn, [org.a, org.b], SPANS), revs)
    with db.begin() as conn:
        kept = cache.read(conn, [org.a, org.b])
    assert all(cache.holding(k, key) is not None for k in kept.values())
    with db.begin() as conn:
        conn.execute(
            insert(_weekly).values(
                person_id=org.both, team_id=org.a, kind="one_to_one", week=THIS_WEEK, total=3
            )
        )
        conn.execute(
            insert(_team_weekly).values(team_id=org.a, kind="one_to_one", week=THIS_WEEK, total=3)
        )
    with db.begin() as conn:
        assert cache.read(conn, [org.a, org.b]) == kept
        conn.execute(
            insert(_weekly).values(
                person_id=org.both, team_id=org.a, kind="one_to_one", week=COVERED_TO, total=3
            )
        )
    with db.begin() as conn:
        now = cache.read(conn, [org.a, org.b])
    assert cache.holding(now[org.a], key) is None
    assert now[org.b] == kept[org.b]


# --- Down to 0009 and up again --------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database of its own, migrated to head (downgraded by the test: never the
    session's shared one)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
        return
    with postgres_database(request.getfixturevalue("postgres_url"), "measures_migration") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _sources_written(conn: Connection, team: int, person: int, week: date) -> None:
    """A write to every source table (and a new team), as the bot makes them."""
    _member(conn, person, team)
    conn.execute(
        insert(_weekly).values(person_id=person, team_id=team, kind="casework", week=week, total=1)
    )
    conn.execute(insert(_team_weekly).values(team_id=team, kind="casework", week=week, total=1))
    conn.execute(insert(_residents).values(team_id=team, residents=10, set_on=week, set_at=NOW))
    conn.execute(
        insert(_absence).values(person_id=person, starts_on=week, ends_on=week, created_at=NOW)
    )
    conn.execute(insert(_checkin).values(person_id=person, month=date(2026, 10, 1), active=True))


def test_down_to_0009_and_up_again(fresh: Engine) -> None:
    with fresh.begin() as conn:
        first = people.create_team(conn, name="Aire", slug="aire", now=NOW)
    assert migrate.pending(fresh) == ("0010", "0010")

    _downgrade(fresh, "0009")
    assert migrate.pending(fresh) == ("0009", "0010")
    with fresh.connect() as conn:
        assert "team_measures_cache" not in inspect(conn).get_table_names()
        assert not set(expected_triggers(conn.dialect.name)) & set(triggers_present(conn))
        if conn.dialect.name == "postgresql":
            functions = {function for function, _, _ in MIGRATION._PG_FUNCTIONS}
            assert not functions & pg_functions(conn)
    # At 0009 every source table is written as before (no trigger left behind to fail).
    with fresh.begin() as conn:
        second = people.create_team(conn, name="Calder", slug="calder", now=NOW)
        person = _person_id(conn, 11, "Ann")
        _sources_written(conn, second, person, COVERED_TO)

    migrate.upgrade(fresh)
    assert migrate.pending(fresh) == ("0010", "0010")
    with fresh.connect() as conn:
        _assert_every_trigger_exists(conn)
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    with fresh.begin() as conn:
        # A row for every team there was, and one for a team made now.
        third = people.create_team(conn, name="Don", slug="don", now=NOW)
        assert revisions(conn) == {first: 0, second: 0, third: 0}
        cache.claim(conn, [first, second, third], SPANS)
    with fresh.begin() as conn:
        _sources_written(conn, first, _person_id(conn, 12, "Bea"), EARLIER)
    with fresh.begin() as conn:
        moved = revisions(conn)
    assert moved[first] >= 6 and moved[second] == 0 and moved[third] == 0


# --- PostgreSQL: a quick log for two teams while a summary claims them ----------------------------

#: How long to wait for the reader to block or finish before failing (a bound, not a pause).
WAIT_SECONDS = 10.0


def _line(person: int, team: int, line: int) -> NewEntry:
    """A line of one quick log, dated today (the current week: nothing kept is changed)."""
    return NewEntry(
        person_id=person,
        team_id=team,
        kind="casework",
        count=1,
        occurred_at=NOW,
        occurred_on=NOW.date(),
        note=None,
        source_chat_id=person,
        source_message_id=1,
        source_line=line,
    )


def _blocked_by(db: Database, pid: int) -> bool:
    with db.engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND :pid = ANY(pg_blocking_pids(pid))"
                ),
                {"pid": pid},
            ).scalar_one()
        )


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_log_for_two_teams_and_a_summary_at_once_both_finish(db: Database) -> None:
    with db.begin() as conn:
        low = people.create_team(conn, name="Aire", slug="aire", now=NOW)
        high = people.create_team(conn, name="Calder", slug="calder", now=NOW)
        person = _person_id(conn, 11, "Ann")
        _member(conn, person, low)
        _member(conn, person, high)
    assert low < high
    teams = [store.TeamRow(low, "Aire", "aire"), store.TeamRow(high, "Calder", "calder")]
    outcome: dict[str, str] = {}

    def read() -> None:
        try:
            with db.begin() as conn:
                summary(conn, teams, SPANS)
            outcome["summary"] = "finished"
        except DBAPIError as exc:
            outcome["summary"] = type(exc.orig).__name__

    with db.engine.connect() as writer:
        transaction = writer.begin()
        pid = writer.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # "case 1 #calder" then "case 1 #aire": the lines' totals are added in this order, as
        # activities.record adds them for one message.
        activities.record(writer, [_line(person, high, 0)], now=NOW)
        reader = threading.Thread(target=read)
        reader.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while reader.is_alive() and not _blocked_by(db, pid):
            assert time.monotonic() < deadline, "the summary neither blocked nor finished"
            time.sleep(0.01)
        try:
            activities.record(writer, [_line(person, low, 1)], now=NOW)
            transaction.commit()
            outcome["log"] = "finished"
        except DBAPIError as exc:
            outcome["log"] = type(exc.orig).__name__
            transaction.rollback()
        reader.join(WAIT_SECONDS)
    assert outcome == {"summary": "finished", "log": "finished"}
