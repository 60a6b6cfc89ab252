"""``/export`` at scale: the streamed export against building everything in memory first.

    python bench/bench_export.py [--teams 200 --members 12 --weeks 52] [--database-url URL]

Seeds a database (default: a temporary SQLite file) with a year of a 200-team organisation
(bulk inserts; a third of the entries get a note, half a time of day), then exports every
entry of the year for an admin twice in the same run, measuring peak Python memory
(``tracemalloc``) and wall time of each:

* streamed: :func:`organiser_bot.usecases.exports.export_csv` as the bot runs it (a ``yield_per``
  query written row by row into a spooled temporary file);
* baseline: the way it was done before, inlined here: every row fetched into a list, the CSV
  built in a ``StringIO`` and encoded to one ``bytes``.

Both produce the same CSV text (checked), so only how they hold it differs.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, String, cast, func, select, update

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import parse_period
from organiser_bot.tools.seed import seed
from organiser_bot.usecases import exports
from organiser_bot.usecases.exports import CSV_COLUMNS, _row, person_labels
from storage import migrate, people
from storage.activities import ExportedEntry
from storage.engine import make_engine
from storage.models import Activity, Membership, Person, Team
from storage.query import table_of

TZ = ZoneInfo("Europe/London")
activity = table_of(Activity)


def _baseline(conn: Connection, team_ids: list[int], start: date, end: date) -> bytes:
    """The old export: fetch every row with ``.all()``, build the CSV in a ``StringIO``."""
    person, team, member = table_of(Person), table_of(Team), table_of(Membership)
    rows = conn.execute(
        select(
            activity.c.occurred_at,
            activity.c.occurred_on,
            activity.c.time_given,
            activity.c.kind,
            activity.c.count,
            activity.c.note,
            activity.c.recorded_at,
            person.c.display_name,
            team.c.slug,
            team.c.name,
            member.c.role,
            activity.c.person_id,
            activity.c.team_id,
        )
        .join(person, person.c.id == activity.c.person_id)
        .join(team, team.c.id == activity.c.team_id)
        .outerjoin(
            member,
            (member.c.person_id == activity.c.person_id) & (member.c.team_id == activity.c.team_id),
        )
        .where(
            activity.c.team_id.in_(team_ids),
            activity.c.deleted_at.is_(None),
            activity.c.occurred_on >= start,
            activity.c.occurred_on < end,
        )
        .order_by(activity.c.occurred_at, activity.c.id)
    ).all()
    entries = [ExportedEntry(*row) for row in rows]
    buf = io.StringIO()
    csv.writer(buf).writerow(CSV_COLUMNS)
    writer = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC)
    kinds = KindRegistry()
    labels = person_labels(conn, team_ids)
    for entry in entries:
        writer.writerow(_row(entry, TZ, kinds, labels))
    return codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")


def _measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, peak traced memory in MiB, seconds): timed in one run, memory traced in a
    second (``tracemalloc`` slows every allocation, so it would distort the time)."""
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, peak / 2**20, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--members", type=int, default=12)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'export.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        now = datetime.now(UTC)
        started = time.perf_counter()
        summary = seed(
            engine, teams=args.teams, members=args.members, weeks=args.weeks, tz=TZ, now=now
        )
        with engine.begin() as conn:
            # Notes on a third of the entries, a time of day on half: as in real use.
            conn.execute(
                update(activity)
                .where(activity.c.id % 3 == 0)
                .values(note="Visited " + cast(activity.c.id, String))
            )
            conn.execute(update(activity).values(time_given=activity.c.id % 2 == 0))
            count = conn.execute(select(func.count()).select_from(activity)).scalar_one()
        print(f"{summary} ({count} rows in activity) in {time.perf_counter() - started:.0f} s")
        moment = Moment(now=now, tz=TZ, kinds=KindRegistry())
        period = parse_period(f"{args.weeks}w", today=moment.today)
        admin = Actor(identity=Identity(1, "Admin"), person_id=None, is_admin=True)

        def streamed() -> tuple[int, bytes]:
            with engine.begin() as conn:
                export = exports.export_csv(conn, admin, [f"{args.weeks}w"], moment=moment)
            with export.file as file:
                size = file.seek(0, io.SEEK_END)
                file.seek(0)
                head = file.read(1 << 16)
            return export.rows, head + str(size).encode()

        def baseline() -> bytes:
            with engine.begin() as conn:
                team_ids = [t.id for t in people.list_teams(conn)]
                return _baseline(conn, team_ids, period.start, period.end)

        (rows, stream_head), stream_mib, stream_s = _measure(streamed)
        old, old_mib, old_s = _measure(baseline)
        assert stream_head == old[: 1 << 16] + str(len(old)).encode(), "the two CSVs differ"
        print(f"{rows} rows exported over {period.label}, {len(old) / 2**20:.1f} MiB of CSV")
        print(f"streamed (yield_per + spooled file): peak {stream_mib:7.1f} MiB, {stream_s:6.1f} s")
        print(f"baseline (list + StringIO):          peak {old_mib:7.1f} MiB, {old_s:6.1f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
