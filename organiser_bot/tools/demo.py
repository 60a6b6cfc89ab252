"""``organiser-bot demo``: a sample organisation, offline, with every team's digest rendered."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.periods import iso_week_label, local_date, week_monday
from organiser_bot.tools.seed import seed
from storage import migrate
from storage.engine import make_engine
from storage.models import Membership, Team
from storage.query import table_of

DEMO_TZ = ZoneInfo("Europe/London")


def run_demo(*, db_path: str, out_dir: str, now: datetime | None = None) -> int:
    """Build a sample organisation in a fresh SQLite file, render last week's digests, print.

    Needs no token and no network. Returns the exit status.
    """
    path = Path(db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
        now = now or datetime.now(UTC)
        summary = seed(
            engine,
            teams=4,
            members=8,
            weeks=13,
            tz=DEMO_TZ,
            random_seed=2026,
            now=now,
            realistic=True,
        )
        last_monday = week_monday(local_date(now, DEMO_TZ)) - timedelta(days=7)
        with engine.connect() as conn:
            roles = Counter(conn.execute(select(table_of(Membership).c.role)).scalars())
            teams = conn.execute(select(func.count()).select_from(table_of(Team))).scalar_one()
        print(f"Sample organisation in {path.resolve()}")
        print(f"  {summary}")
        print("  roles: " + ", ".join(f"{n} {role}s" for role, n in sorted(roles.items())))
        files = _render(engine, last_monday, Path(out_dir))
        week = iso_week_label(last_monday)
        if files:
            print(f"\nDigests for {week} ({teams} teams) written to {Path(out_dir).resolve()}:")
            for file in files:
                print(f"  {file.name}")
            for file in files:
                if file.suffix == ".txt":
                    print("\n" + file.read_text(encoding="utf-8").rstrip())
    finally:
        engine.dispose()
    return 0


def _render(engine: Engine, monday: date, out_dir: Path) -> list[Path]:
    from organiser_bot.tools.digest_cli import write_week_digests

    out_dir.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        return write_week_digests(
            conn, monday=monday, out_dir=out_dir, kinds=KindRegistry(), tz=DEMO_TZ
        )
