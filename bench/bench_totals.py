"""Week and period totals at scale: the running totals against a straight aggregate.

    python bench/bench_totals.py [--teams 40 --members 25 --weeks 52] [--database-url URL]

Seeds a database (default: a temporary SQLite file; about a million entries with the default
sizes), then times, in the same run, the reads the bot makes constantly, each through the
storage function production calls — one person's week (every confirmation and /week), one
team's 13 weeks (the digest's trend), every team's week day by day (the digest and its
cross-team median, the nudges) and every member's 13 weeks team by team (``/totals all 13w``)
— once from ``daily_total``/``weekly_total`` and once as a straight aggregate over ``activity``
with a covering index, each straight version returning what the storage function returns. Then
it times two whole use cases a user waits for: ``/totals all 13w`` for an admin, and every
team's digest for last week.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, func, select, text

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import local_date, week_monday
from organiser_bot.tools.seed import seed
from organiser_bot.usecases import digests, reports
from storage import activities, migrate
from storage.engine import make_engine
from storage.models import Activity, Membership, Team
from storage.query import table_of

activity = table_of(Activity)

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
        select(activity.c.kind, func.sum(activity.c.count))
        .where(
            activity.c.person_id == person,
            activity.c.team_id == team,
            activity.c.deleted_at.is_(None),
            activity.c.occurred_on >= monday,
            activity.c.occurred_on < monday + timedelta(days=7),
        )
        .group_by(activity.c.kind)
    ).all()


def _straight(conn: Connection, team_ids: list[int], start: Any, end: Any, *by: Any) -> Any:
    """Live entries of ``team_ids`` over [start, end) summed per ``by`` and kind."""
    return conn.execute(
        select(*by, activity.c.kind, func.sum(activity.c.count))
        .where(
            activity.c.team_id.in_(team_ids),
            activity.c.deleted_at.is_(None),
            activity.c.occurred_on >= start,
            activity.c.occurred_on < end,
        )
        .group_by(*by, activity.c.kind)
    ).all()


def _straight_week_by_day(conn: Connection, team_ids: list[int], monday: Any) -> Any:
    """What :func:`storage.activities.week_by_day` returns, from ``activity``."""
    out: dict[tuple[int, int], dict[str, list[int]]] = defaultdict(dict)
    for team, person, day, kind, total in _straight(
        conn,
        team_ids,
        monday,
        monday + timedelta(days=7),
        activity.c.team_id,
        activity.c.person_id,
        activity.c.occurred_on,
    ):
        out[(team, person)].setdefault(kind, [0] * 7)[(day - monday).days] += total
    return out


def _straight_totals_by_member(conn: Connection, team: int, start: Any, end: Any) -> Any:
    """What :func:`storage.activities.totals_by_member` returns, from ``activity``."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for person, kind, total in _straight(conn, [team], start, end, activity.c.person_id):
        out[person][kind] = total
    return out


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
                conn.execute(text("ANALYZE weekly_total"))
            person, team = conn.execute(
                select(table_of(Membership).c.person_id, table_of(Membership).c.team_id).limit(1)
            ).one()
            teams = list(conn.execute(select(table_of(Team).c.id)).scalars())
            a = activity.c
            rows = [
                (
                    "one person's week (each confirmation)",
                    lambda: activities.week_snapshot(
                        conn, person_id=person, team_id=team, role="organiser", monday=monday
                    ),
                    lambda: _straight_person_week(conn, person, team, monday),
                ),
                (
                    # A straight aggregate cannot group by ISO week portably: it groups by day,
                    # which the caller would fold into weeks.
                    "one team's 13-week trend (digest)",
                    lambda: activities.team_week_series(
                        conn, team_id=team, first_monday=start13, last_monday=monday
                    ),
                    lambda: _straight(conn, [team], start13, end, a.occurred_on),
                ),
                (
                    "every team's week by day (digest, nudges)",
                    lambda: activities.week_by_day(conn, monday=monday, team_ids=teams),
                    lambda: _straight_week_by_day(conn, teams, monday),
                ),
                (
                    "every member, 13 weeks (/totals all 13w)",
                    lambda: [
                        activities.totals_by_member(conn, team_id=i, start=start13, end=end)
                        for i in teams
                    ],
                    lambda: [_straight_totals_by_member(conn, i, start13, end) for i in teams],
                ),
            ]
            print(f"{'read':45} {'rollup ms':>10} {'straight ms':>12} {'speed-up':>9}")
            for name, rollup, straight in rows:
                fast, slow = _time(rollup), _time(straight, repeat=5)
                print(f"{name:45} {fast:10.2f} {slow:12.2f} {slow / fast:8.1f}x")

            admin = Actor(identity=Identity(1, "Admin"), person_id=None, is_admin=True)
            moment = Moment(now, TZ, KindRegistry())
            cases = [
                (
                    "/totals all 13w (admin, every team)",
                    lambda: reports.totals(conn, admin, ["all", "13w"], moment=moment),
                ),
                (
                    "every team's digest for last week",
                    lambda: digests.build_week_by_team(
                        conn, monday=monday - timedelta(weeks=1), kinds=moment.kinds
                    ),
                ),
            ]
            print(f"\n{'use case, end to end':45} {'ms':>10}")
            for name, case in cases:
                print(f"{name:45} {_time(case, repeat=10):10.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
