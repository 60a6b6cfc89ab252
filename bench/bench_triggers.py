"""What the triggers keeping ``/measures all`` figures add to a quick log's writes.

    python bench/bench_triggers.py [--runs 1000] [--rounds 7] [--database-url URL]

A quick log inserts its entry and adds it to three running totals (``daily_total``,
``weekly_total``, ``team_weekly_total``); the last two fire the triggers of migration 0010,
which mark the team's kept ``/measures all`` figures as changed when the week is one they
cover (on PostgreSQL they update the team's row either way, to take its lock), and on
PostgreSQL the write first locks the team's row (:func:`storage.measures_cache.hold`). This
times :func:`storage.activities.record` of one entry, dated today and dated last week (a week
the kept figures cover), with all of that and, in the same run, without: the triggers dropped
and no lock taken first, the baseline.

Each form writes one entry in each of ``--runs`` teams (so no entry updates a row another
did) in one transaction that is rolled back, so the figures are the statements' own cost
without commits or fsyncs; rounds alternate the forms and the best
round is reported, which keeps other load on the machine out of the comparison. The default
database is a temporary SQLite file; ``--database-url`` (or ``BENCH_DATABASE_URL``) runs the
same on PostgreSQL (in a transaction rolled back at the end: the triggers are dropped only
inside it).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, text

from organiser_bot.domain.access import Identity
from organiser_bot.domain.measures import windows
from organiser_bot.domain.roles import Role
from storage import activities, migrate, people
from storage import measures_cache as cache
from storage.engine import Database

_MIGRATION = Path(__file__).resolve().parent.parent / "storage/migrations/versions"


def _migration() -> Any:
    spec = importlib.util.spec_from_file_location("m0010", _MIGRATION / "0010_measures_cache.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drop_triggers(conn: Connection) -> None:
    m = _migration()
    if conn.dialect.name == "postgresql":
        for function, tables, _ in m._PG_FUNCTIONS:
            for table in tables:
                conn.execute(text(f"DROP TRIGGER {m._pg_trigger(function, table)} ON {table}"))
    else:
        for name, _ in m._sqlite_triggers():
            conn.execute(text(f"DROP TRIGGER {name}"))


def _entries(conn: Connection, members: list[tuple[int, int]], day: Any, base: int) -> float:
    """Microseconds per entry of one quick-log write dated ``day`` by each of ``members``
    ((person id, team id), one per team: each entry updates rows no other entry does)."""
    now = datetime.now(UTC)
    start = time.perf_counter()
    for i, (person, team) in enumerate(members):
        activities.record(
            conn,
            [
                activities.NewEntry(
                    person_id=person,
                    team_id=team,
                    kind="doors",
                    count=1,
                    occurred_at=now,
                    occurred_on=day,
                    note=None,
                    source_chat_id=1,
                    source_message_id=base + i,
                    source_line=0,
                )
            ],
            now=now,
        )
    return (time.perf_counter() - start) / len(members) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="teams, an entry each")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'triggers.db'}"
        db = Database(url)
        migrate.upgrade(db.engine)
        now = datetime.now(UTC)
        today = now.date()
        last_week = today - timedelta(days=7)
        spans = windows(today=today, end=today + timedelta(days=1))
        with db.engine.connect() as conn:
            outer = conn.begin()
            members = []
            for i in range(args.runs):
                team = people.create_team(conn, name=f"Ward {i}", slug=f"ward-{i}", now=now)
                person = people.ensure_person(conn, Identity(990_000 + i, f"Member {i}"), now=now)
                people.add_membership(
                    conn, person_id=person, team_id=team, role=Role.ORGANISER, now=now
                )
                members.append((person, team))
            message = itertools.count(1_000_000, args.runs)
            hold = cache.hold
            timings: dict[str, list[float]] = {}
            for _ in range(args.rounds):
                for form in ("with the triggers", "without (baseline)"):
                    for day, label in ((today, "today"), (last_week, "last week")):
                        inner = conn.begin_nested()
                        # Every team's figures kept, covering last week: as after a look. (In
                        # the round: on PostgreSQL a row the outer transaction locked would be
                        # locked again from a subtransaction, dearer than any real write.)
                        cache.claim(conn, [team for _, team in members], spans)
                        without = form.startswith("without")
                        if without:
                            _drop_triggers(conn)  # undone with the round
                            # ... and no lock on the teams' rows first.
                            cache.hold = lambda conn, team_ids: None  # type: ignore[assignment]
                        try:
                            us = _entries(conn, members, day, next(message))
                        finally:
                            cache.hold = hold  # type: ignore[assignment]
                        timings.setdefault(f"{label}, {form}", []).append(us)
                        inner.rollback()
            best = {name: min(runs) for name, runs in timings.items()}
            outer.rollback()
        db.close()
    print(f"quick-log writes of one entry ({url.split(':')[0]}), best of {args.rounds} rounds")
    print(f"{'entry dated':36} {'µs per entry':>14}")
    for name, us in best.items():
        print(f"{name:36} {us:14.1f}")
    for label in ("today", "last week"):
        added = best[f"{label}, with the triggers"] - best[f"{label}, without (baseline)"]
        print(f"the triggers add {added:.1f} µs per entry dated {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
