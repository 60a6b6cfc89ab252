"""Week and period totals at scale: the daily-total rollup against a straight aggregate.

    python bench/bench_totals.py [--teams 40 --members 25 --weeks 52] [--database-url URL]

Seeds a database (default: a temporary SQLite file; about a million entries with the default
sizes), then times, in the same run, the reads the bot makes constantly — one person's week
(every confirmation and /week), one team's 13 weeks (digest trend, /totals 13w) and every
team's week (the cross-team median) — once from ``daily_total`` and once as a straight
aggregate over ``activity`` with a covering index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, func, select, text

from organiser_bot.domain.periods import local_date, week_monday
from organiser_bot.tools.seed import seed
from storage import activities, migrate
from storage import tables as t
from storage.engine import make_engine

TZ = ZoneInfo("Europe/London")


def _time(fn: Callable[[], Any], repeat: int = 30) -> float:
    fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def _straight_person_week(conn: Connection, person: int, team: int, monday: Any) -> Any:
    return conn.execute(
        select(t.activity.c.kind, func.sum(t.activity.c.count))
        .where(
            t.activity.c.person_id == person,
            t.activity.c.team_id == team,
            t.activity.c.deleted_at.is_(None),
            t.activity.c.occurred_on >= monday,
            t.activity.c.occurred_on < monday + timedelta(days=7),
        )
        .group_by(t.activity.c.kind)
    ).all()


def _straight_team(
    conn: Connection, team_ids: list[int] | None, start: Any, end: Any, *, by_day: bool = False
) -> Any:
    # A straight aggregate cannot group by ISO week portably, so the trend's version groups by
    # day (the caller would fold days into weeks); the others group by person and kind.
    cols = [t.activity.c.occurred_on] if by_day else [t.activity.c.person_id]
    stmt = select(*cols, t.activity.c.kind, func.sum(t.activity.c.count)).where(
        t.activity.c.deleted_at.is_(None),
        t.activity.c.occurred_on >= start,
        t.activity.c.occurred_on < end,
    )
    if team_ids is not None:
        stmt = stmt.where(t.activity.c.team_id.in_(team_ids))
    return conn.execute(stmt.group_by(*cols, t.activity.c.kind)).all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--members", type=int, default=25)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'totals.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        now = datetime.now(UTC)
        started = time.perf_counter()
        summary = seed(
            engine, teams=args.teams, members=args.members, weeks=args.weeks, tz=TZ, now=now
        )
        print(f"{summary} ({time.perf_counter() - started:.1f} s to seed; {url.split(':')[0]})")
        with engine.begin() as conn:
            # The fairest straight aggregate has a covering index to use.
            conn.execute(
                text(
                    "CREATE INDEX IF NOT EXISTS bench_cover ON activity"
                    " (team_id, occurred_on, person_id, kind, count, deleted_at)"
                )
            )
            conn.execute(
                text(
                    "CREATE INDEX IF NOT EXISTS bench_cover_p ON activity"
                    " (person_id, team_id, occurred_on, kind, count, deleted_at)"
                )
            )
        monday = week_monday(local_date(now, TZ))
        start13 = monday - timedelta(weeks=12)
        end = monday + timedelta(days=7)
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.execute(text("ANALYZE"))
            else:
                conn.execute(text("ANALYZE activity"))
                conn.execute(text("ANALYZE daily_total"))
            person, team = conn.execute(
                select(t.membership.c.person_id, t.membership.c.team_id).limit(1)
            ).one()
            rows = [
                (
                    "one person's week (each confirmation)",
                    lambda: activities.week_snapshot(
                        conn, person_id=person, team_id=team, role="organiser", monday=monday
                    ),
                    lambda: _straight_person_week(conn, person, team, monday),
                ),
                (
                    "one team's 13-week trend (digest)",
                    lambda: activities.team_week_series(
                        conn, team_id=team, first_monday=start13, last_monday=monday
                    ),
                    lambda: _straight_team(conn, [team], start13, end, by_day=True),
                ),
                (
                    "every team's week (cross-team median)",
                    lambda: activities.period_totals(conn, first_monday=monday, last_monday=monday),
                    lambda: _straight_team(conn, None, monday, end),
                ),
                (
                    "every member, 13 weeks (/totals all 13w)",
                    lambda: activities.period_totals(
                        conn, first_monday=start13, last_monday=monday
                    ),
                    lambda: _straight_team(conn, None, start13, end),
                ),
            ]
            print(f"{'read':45} {'rollup ms':>10} {'straight ms':>12} {'speed-up':>9}")
            for name, rollup, straight in rows:
                fast, slow = _time(rollup), _time(straight, repeat=5)
                print(f"{name:45} {fast:10.2f} {slow:12.2f} {slow / fast:8.1f}x")
        engine.dispose()


if __name__ == "__main__":
    main()
