"""Cost per execution of the quick-log statements: Core built per call, Core built once, text().

    python bench/bench_statements.py [--runs 2000] [--rounds 7] [--database-url URL]

Every quick log runs a handful of statements: load the person and their teams, insert the
entry, bump its daily and weekly totals, and read the week back for the confirmation. Each is
timed here in three forms, executed with fresh parameters every time:

* **Core per call**: the statement built inside the function, as a plain query would be. SQLAlchemy
  caches the compiled SQL, but building the statement and its cache key is paid on every call.
* **Core built once**: a module-level statement with ``bindparam`` placeholders (one per dialect
  where ON CONFLICT needs the dialect's ``insert``), executed with a parameter dict.
* **text()**: the same SQL written by hand, also module-level.

The form each statement ships in is imported from ``storage`` (``activities._INSERT_ENTRY``,
``activities._BUMP_DAY``, ``activities._WEEK_SNAPSHOT``, ``people._LOAD_ACTOR``), and "Core per
call" of an insert or a bump calls the same builders production uses, so the figures are of the
code that ships; the other forms are the alternatives it is measured against.

Everything runs in one transaction that is rolled back, so the figures are the statement's own
cost (Python and the database), without commits or fsyncs. Rounds alternate the three forms and
the best round is reported, which keeps other load on the machine out of the comparison. The
default database is a temporary SQLite file; ``--database-url`` (or ``BENCH_DATABASE_URL``)
runs the same on PostgreSQL.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    String,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from organiser_bot.domain.access import Identity
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import person_scope, role_scope
from storage import activities, migrate, people
from storage.engine import make_engine
from storage.models import Absence, Activity, DailyTotal, Membership, Person, Target, Team
from storage.query import table_of

activity = table_of(Activity)
daily_total = table_of(DailyTotal)
person = table_of(Person)
membership = table_of(Membership)
team = table_of(Team)
target = table_of(Target)
absence = table_of(Absence)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MONDAY = date(2026, 11, 23)
DIALECTS: dict[str, Any] = {"sqlite": sqlite, "postgresql": postgresql}

# --- Insert an entry, skipping a replayed source line -------------------------------------------
# Production builds it once per dialect (storage.activities._INSERT_ENTRY); per call is the same
# builder called on every execution.

INSERT_ONCE = activities._INSERT_ENTRY
INSERT_TEXT = text(
    "INSERT INTO activity (person_id, team_id, kind, count, occurred_at, occurred_on, note,"
    " source_chat_id, source_message_id, source_line, recorded_at)"
    " VALUES (:person_id, :team_id, :kind, :count, :occurred_at, :occurred_on, :note,"
    " :source_chat_id, :source_message_id, :source_line, :recorded_at)"
    " ON CONFLICT (source_chat_id, source_message_id, source_line) DO NOTHING RETURNING id"
).bindparams(
    bindparam("occurred_at", type_=activity.c.occurred_at.type),
    bindparam("recorded_at", type_=activity.c.recorded_at.type),
    bindparam("occurred_on", type_=Date()),
)

# --- Add to a running total -----------------------------------------------------------------------


# Production: storage.activities._BUMP_DAY, built once per dialect.
BUMP_ONCE = activities._BUMP_DAY
BUMP_TEXT = text(
    "INSERT INTO daily_total (person_id, team_id, kind, day, total)"
    " VALUES (:person_id, :team_id, :kind, :day, :delta)"
    " ON CONFLICT (person_id, team_id, kind, day)"
    " DO UPDATE SET total = daily_total.total + excluded.total"
).bindparams(bindparam("day", type_=Date()))

# --- One person's week in one team: totals, target overrides, absences --------------------------


def _snapshot_core() -> Any:
    from storage.models import WeeklyTotal

    weekly = table_of(WeeklyTotal)

    def none(type_: Any) -> Any:
        return cast(null(), type_)

    return union_all(
        select(
            literal_column("'W'").label("part"),
            none(Integer).label("ref"),
            none(String).label("scope"),
            weekly.c.kind,
            weekly.c.total.label("n"),
            none(Date).label("starts_on"),
            none(Date).label("ends_on"),
        ).where(
            weekly.c.person_id == bindparam("person_id"),
            weekly.c.team_id == bindparam("team_id"),
            weekly.c.week == bindparam("week", type_=Date()),
        ),
        select(
            literal_column("'T'"),
            target.c.team_id,
            target.c.scope,
            target.c.kind,
            target.c.weekly,
            none(Date),
            none(Date),
        ).where(
            target.c.team_id.is_(None) | (target.c.team_id == bindparam("team_id")),
            target.c.scope.in_([bindparam("role_scope"), bindparam("person_scope")]),
        ),
        select(
            literal_column("'A'"),
            absence.c.id,
            none(String),
            none(String),
            none(Integer),
            absence.c.starts_on,
            absence.c.ends_on,
        ).where(
            absence.c.person_id == bindparam("person_id"),
            absence.c.deleted_at.is_(None),
            absence.c.starts_on < bindparam("week_end", type_=Date()),
            absence.c.ends_on >= bindparam("week", type_=Date()),
        ),
    )


SNAPSHOT_ONCE = _snapshot_core()
# Production keeps this one as text(): storage.activities._WEEK_SNAPSHOT.
SNAPSHOT_TEXT = activities._WEEK_SNAPSHOT

# --- The person behind an update, with their teams ----------------------------------------------


def _actor_core(user_id: Any) -> Any:
    return (
        select(
            person.c.id,
            person.c.default_team_id,
            person.c.nudges_paused,
            membership.c.team_id,
            team.c.slug,
            team.c.name,
            membership.c.role,
        )
        .outerjoin(membership, membership.c.person_id == person.c.id)
        .outerjoin(team, (team.c.id == membership.c.team_id) & team.c.archived_at.is_(None))
        .where(person.c.telegram_user_id == user_id)
        .order_by(team.c.name, team.c.id)
    )


# Production: storage.people._LOAD_ACTOR, built once.
ACTOR_ONCE = people._LOAD_ACTOR
ACTOR_TEXT = text(
    "SELECT p.id, p.default_team_id, p.nudges_paused, m.team_id, t.slug, t.name, m.role"
    " FROM person p"
    " LEFT JOIN membership m ON m.person_id = p.id"
    " LEFT JOIN team t ON t.id = m.team_id AND t.archived_at IS NULL"
    " WHERE p.telegram_user_id = :user_id"
    " ORDER BY t.name, t.id"
)


def _forms(
    conn: Connection, person_id: int, team_id: int
) -> dict[str, dict[str, Callable[[], Any]]]:
    """For each statement, its three forms as zero-argument callables with fresh parameters."""
    dialect = DIALECTS[conn.dialect.name]
    messages = itertools.count(1)
    days = itertools.cycle(MONDAY + timedelta(days=i) for i in range(28))

    def entry() -> dict[str, Any]:
        return {
            "person_id": person_id,
            "team_id": team_id,
            "kind": "casework",
            "count": 1,
            "occurred_at": NOW,
            "occurred_on": MONDAY,
            "note": "rent arrears",
            "source_chat_id": 1,
            "source_message_id": next(messages),
            "source_line": 0,
            "recorded_at": NOW,
        }

    def bump() -> dict[str, Any]:
        return {"person_id": person_id, "team_id": team_id, "kind": "casework", "day": next(days)}

    def week() -> dict[str, Any]:
        return {
            "person_id": person_id,
            "team_id": team_id,
            "week": MONDAY,
            "week_end": MONDAY + timedelta(days=7),
            "role_scope": role_scope(Role.ORGANISER),
            "person_scope": person_scope(person_id),
        }

    def insert_per_call() -> Any:
        return conn.execute(activities._insert_entry(dialect), entry()).scalar()

    def bump_per_call() -> None:
        conn.execute(activities._add_to_total(dialect, daily_total, "day"), {**bump(), "delta": 1})

    def snapshot_per_call() -> Any:
        return conn.execute(_snapshot_core(), week()).all()

    insert_once = INSERT_ONCE[conn.dialect.name]
    bump_once = BUMP_ONCE[conn.dialect.name]
    return {
        "load the actor": {
            "Core per call": lambda: conn.execute(_actor_core(10)).all(),
            "Core built once": lambda: conn.execute(ACTOR_ONCE, {"user_id": 10}).all(),
            "text()": lambda: conn.execute(ACTOR_TEXT, {"user_id": 10}).all(),
        },
        "insert an entry": {
            "Core per call": insert_per_call,
            "Core built once": lambda: conn.execute(insert_once, entry()).scalar(),
            "text()": lambda: conn.execute(INSERT_TEXT, entry()).scalar(),
        },
        "bump a daily total": {
            "Core per call": bump_per_call,
            "Core built once": lambda: conn.execute(bump_once, {**bump(), "delta": 1}),
            "text()": lambda: conn.execute(BUMP_TEXT, {**bump(), "delta": 1}),
        },
        "read the week back": {
            # Built per call inside the function too, as a plain query would be.
            "Core per call": snapshot_per_call,
            "Core built once": lambda: conn.execute(SNAPSHOT_ONCE, week()).all(),
            "text()": lambda: conn.execute(SNAPSHOT_TEXT, week()).all(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="executions per form per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'statements.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            person_id = people.ensure_person(conn, Identity(10, "Sam"), now=NOW)
            team_id = people.create_team(conn, name="North", slug="north-bench", now=NOW)
            people.add_membership(
                conn, person_id=person_id, team_id=team_id, role=Role.ORGANISER, now=NOW
            )
            forms = _forms(conn, person_id, team_id)
            best: dict[tuple[str, str], float] = {}
            for _ in range(args.rounds):
                for statement, variants in forms.items():
                    for form, fn in variants.items():
                        fn()  # the first execution compiles; it is not what is timed
                        start = time.perf_counter()
                        for _ in range(args.runs):
                            fn()
                        us = (time.perf_counter() - start) * 1e6 / args.runs
                        best[(statement, form)] = min(best.get((statement, form), us), us)
            conn.rollback()
        engine.dispose()
    print(f"{url.split(':')[0]}: µs per execution, best of {args.rounds} rounds of {args.runs}")
    print(f"{'statement':22} {'Core per call':>14} {'Core built once':>16} {'text()':>8}")
    for statement in forms:
        cells = [best[(statement, form)] for form in ("Core per call", "Core built once", "text()")]
        print(f"{statement:22} {cells[0]:14.0f} {cells[1]:16.0f} {cells[2]:8.0f}")


if __name__ == "__main__":
    main()
