"""``/measures all`` at scale: the use case against a straight aggregate over ``activity``.

    python bench/bench_measures.py [--teams 200 --members 12 --weeks 52] [--runs 50]
                                   [--database-url URL] [--profile]

Seeds a database (default: a temporary SQLite file; about a million entries with the default
sizes, bulk inserts through ``organiser_bot.tools.seed``), then adds what the other measures
read, inserted directly: a monthly check-in for every member for the three months the
measures cover (most active, some not, some unanswered), one to three residents figures per
team, some members who left or came back within the last four weeks, and absences.

Then, in the same run, it times:

* ``/measures all`` for an admin: :func:`organiser_bot.usecases.measures.measures` in one
  transaction, its scrutiny insert (one row per team) and commit included, as ``Database.call``
  runs it for the bot. Median, 95th percentile and best over ``--runs`` runs after a warm-up.
* ``/measures <team>`` for the same admin: one team, person by person.
* the baseline, DESIGN.md's "straight aggregate": the same 13-week team totals per kind (and
  the 13 before) and the same 4-week per-person resident contacts, summed directly over live
  ``activity`` rows with covering indexes, in one transaction.

Both must give the same figures (checked; the script exits with status 1 when they do not):
the rolling totals per team and kind, and the 4-week contacts per person where the answer
lists people (one team), else per team (the pooled rate of a summary of several teams).
It prints the entries, the rows of the running-total tables, both timings and whether the
use case keeps DESIGN.md's budget for a read of this kind (under 20 ms). ``--profile`` adds
a cProfile of the use case's runs, heaviest first.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
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

from sqlalchemy import Connection, case, func, insert, select, text, update

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.measures import (
    RATE_ROLES,
    RESIDENT_CONTACT,
    windows,
)
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import local_date
from organiser_bot.tools.seed import seed
from organiser_bot.usecases import measures
from storage import migrate, people
from storage.engine import Database
from storage.models import (
    Absence,
    Activity,
    DailyTotal,
    Membership,
    MonthlyCheckin,
    Scrutiny,
    Team,
    TeamMeasuresCache,
    TeamResidents,
    TeamWeeklyTotal,
    WeeklyTotal,
)
from storage.query import table_of

TZ = ZoneInfo("Europe/London")
BUDGET_MS = 20.0
ADMIN_USER_ID = 1

activity = table_of(Activity)
membership = table_of(Membership)

#: team id -> kind -> (last 13 weeks, the 13 before); (team id, person id) -> contacts.
Rolling = dict[int, dict[str, tuple[int, int]]]
Contacts = dict[Any, int]


def _timings(
    fn: Callable[[], Any], runs: int, before: Callable[[], Any] | None = None
) -> list[float]:
    """Milliseconds of each of ``runs`` calls of ``fn``, after one warm-up call; ``before``
    (untimed) runs before each call."""
    fn()
    out = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _touch_weeks(db: Database, team_ids: list[int], week: Any) -> None:
    """A write to each of ``team_ids``' running total of ``week`` (every kind's total set to
    itself, so the figures stay as they are): the triggers see it as they see a log."""
    t = table_of(TeamWeeklyTotal)
    with db.engine.begin() as conn:
        conn.execute(
            update(t).where(t.c.team_id.in_(team_ids), t.c.week == week).values(total=t.c.total)
        )


def _drop_kept(db: Database) -> None:
    """Forget every team's kept summary figures, as at the first look of a week."""
    with db.engine.begin() as conn:
        conn.execute(update(table_of(TeamMeasuresCache)).values(figures=None, windows=None))


def _p95(runs: list[float]) -> float:
    ordered = sorted(runs)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _add_measure_inputs(db: Database, *, now: datetime, rng: random.Random) -> dict[str, int]:
    """Check-ins, residents figures, leavers, returners and absences, inserted directly so
    that every measure has data. Returns how many rows of each were added."""
    today = local_date(now, TZ)
    spans = windows(today=today, end=today + timedelta(days=1))
    first4 = spans.weeks4[0]
    added: dict[str, int] = defaultdict(int)
    with db.engine.begin() as conn:
        rows = conn.execute(
            select(membership.c.id, membership.c.person_id, membership.c.team_id)
        ).all()
        checkins = []
        for _, person_id, _ in rows:
            for month in spans.months:
                roll = rng.random()
                answered = roll < 0.9  # a tenth never answered
                checkins.append(
                    {
                        "person_id": person_id,
                        "month": month,
                        "asked_at": now - timedelta(days=3),
                        "active": (roll < 0.75) if answered else None,
                        "answered_at": now - timedelta(days=2) if answered else None,
                        "marked_by": None,
                    }
                )
        conn.execute(insert(table_of(MonthlyCheckin)), checkins)
        added["monthly_checkin"] = len(checkins)
        residents = []
        for team_id in conn.execute(select(table_of(Team).c.id)).scalars():
            # One to three figures: before the first month, inside it, inside the last.
            days = rng.sample(
                [spans.months[0] - timedelta(days=40), *spans.months], rng.randint(1, 3)
            )
            for set_on in sorted(days):
                residents.append(
                    {
                        "team_id": team_id,
                        "residents": rng.randint(2_000, 12_000),
                        "set_on": set_on,
                        "set_by": None,
                        "set_at": now,
                    }
                )
        conn.execute(insert(table_of(TeamResidents)), residents)
        added["team_residents"] = len(residents)
        absences = []
        for membership_id, person_id, _ in rows:
            roll = rng.random()
            if roll < 0.04:  # left during the four weeks
                left = first4 + timedelta(days=rng.randint(0, 27))
                conn.execute(
                    update(membership).where(membership.c.id == membership_id).values(left_on=left)
                )
                added["left"] += 1
            elif roll < 0.07:  # left and came back: a gap
                gap_start = first4 + timedelta(days=rng.randint(0, 20))
                gap_end = gap_start + timedelta(days=rng.randint(0, 6))
                conn.execute(
                    update(membership)
                    .where(membership.c.id == membership_id)
                    .values(gaps=f"{gap_start.isoformat()}..{gap_end.isoformat()}")
                )
                added["gaps"] += 1
            if rng.random() < 0.1:
                starts = first4 - timedelta(days=3) + timedelta(days=rng.randint(0, 28))
                absences.append(
                    {
                        "person_id": person_id,
                        "starts_on": starts,
                        "ends_on": starts + timedelta(days=rng.randint(0, 9)),
                        "created_at": now,
                    }
                )
        if absences:
            conn.execute(insert(table_of(Absence)), absences)
        added["absence"] = len(absences)
    return dict(added)


def _straight(conn: Connection, spans: Any) -> tuple[Rolling, Contacts]:
    """The 13-week team totals per kind (and the 13 before) and the 4-week per-person resident
    contacts of councillors, organisers and caseworkers, summed over live ``activity`` rows."""
    a = activity.c
    split = spans.weeks13[0]
    rows = conn.execute(
        select(
            a.team_id,
            a.kind,
            func.sum(case((a.occurred_on >= split, a.count), else_=0)),
            func.sum(case((a.occurred_on < split, a.count), else_=0)),
        )
        .where(
            a.deleted_at.is_(None),
            a.occurred_on >= spans.previous13[0],
            a.occurred_on <= spans.weeks13[1],
        )
        .group_by(a.team_id, a.kind)
    ).all()
    rolling: Rolling = defaultdict(dict)
    for team_id, kind, later, earlier in rows:
        if later or earlier:
            rolling[team_id][kind] = (int(later or 0), int(earlier or 0))
    m = membership.c
    contacts = conn.execute(
        select(a.team_id, a.person_id, func.sum(a.count))
        .join(membership, (m.person_id == a.person_id) & (m.team_id == a.team_id))
        .where(
            a.deleted_at.is_(None),
            a.kind == RESIDENT_CONTACT,
            a.occurred_on >= spans.weeks4[0],
            a.occurred_on <= spans.weeks4[1],
            m.role.in_(list(RATE_ROLES)),
        )
        .group_by(a.team_id, a.person_id)
    ).all()
    return dict(rolling), {(t, p): int(n) for t, p, n in contacts if n}


def _teams(shown: Any) -> list[Any]:
    """The per-team figures of a ``/measures`` answer: each team's measures, or the lines of a
    summary of several teams (each with ``team_id``, ``rolling13`` and ``team_rate``)."""
    if isinstance(shown, tuple):
        return list(shown)
    return list(getattr(shown, "teams", (shown,)))


def _compare(shown: Any, straight: tuple[Rolling, Contacts]) -> tuple[bool, str]:
    """Whether a ``/measures`` answer gives the straight aggregate's figures for the teams it
    shows: rolling totals per team and kind, and 4-week contacts per person where it lists
    people, else per team (its pooled rate). Returns (agree, what was compared)."""
    teams = _teams(shown)
    ids = {t.team_id for t in teams}
    rolling = {
        t.team_id: {c.kind: (c.total, c.previous) for c in t.rolling13}
        for t in teams
        if t.rolling13
    }
    their_rolling = {t: kinds for t, kinds in straight[0].items() if t in ids}
    people = [(t.team_id, p) for t in teams for p in getattr(t, "people", ())]
    mine: dict[Any, int]
    theirs: dict[Any, int] = defaultdict(int)
    if people:
        mine = {(team, p.person_id): p.rate.contacts for team, p in people if p.rate.contacts}
        theirs.update({k: n for k, n in straight[1].items() if k[0] in ids})
        unit = "people's"
    else:
        mine = {t.team_id: t.team_rate.contacts for t in teams if t.team_rate.contacts}
        for (team, _), n in straight[1].items():
            if team in ids:
                theirs[team] += n
        unit = "teams'"
    agree = rolling == their_rolling and mine == dict(theirs)
    if not agree:
        _explain((rolling, mine), (their_rolling, dict(theirs)))
    kinds = sum(len(k) for k in rolling.values())
    return agree, f"{kinds} team-kind totals, {len(mine)} {unit} 4-week contacts"


def _count(conn: Connection, model: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table_of(model))).scalar_one())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--members", type=int, default=12)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=50, help="timed runs of the use case")
    parser.add_argument("--baseline-runs", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--profile", action="store_true", help="cProfile the use case's runs")
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="time a database seeded by an earlier run (--database-url) without seeding again",
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="the use case's time statement by statement"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'measures.db'}"
        db = Database(url)
        migrate.upgrade(db.engine)
        now = datetime.now(UTC)
        started = time.perf_counter()
        if args.no_seed:
            summary, added = "Using the database as it is (--no-seed).", {}
        else:
            summary = str(
                seed(
                    db.engine,
                    teams=args.teams,
                    members=args.members,
                    weeks=args.weeks,
                    tz=TZ,
                    now=now,
                )
            )
            added = _add_measure_inputs(db, now=now, rng=random.Random(2))
        with db.engine.begin() as conn:
            # The fairest straight aggregate has covering indexes to use (as bench_totals).
            conn.execute(
                text(
                    "CREATE INDEX IF NOT EXISTS bench_cover ON activity"
                    " (team_id, occurred_on, person_id, kind, count, deleted_at)"
                )
            )
            conn.execute(
                text(
                    "CREATE INDEX IF NOT EXISTS bench_cover_kind ON activity"
                    " (kind, occurred_on, team_id, person_id, count, deleted_at)"
                )
            )
            if conn.dialect.name == "sqlite":
                conn.execute(text("ANALYZE"))
        if db.engine.dialect.name != "sqlite":
            # VACUUM cannot run in a transaction; it sets the visibility map, without which
            # PostgreSQL's index-only scans still visit the table.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        with db.engine.begin() as conn:
            entries = _count(conn, Activity)
            totals = {
                m.__tablename__: _count(conn, m) for m in (DailyTotal, WeeklyTotal, TeamWeeklyTotal)
            }
            # The admin is a stored person (as after their first command): the look is theirs.
            people.ensure_person(conn, Identity(ADMIN_USER_ID, "Admin"), now=now)
            admin: Actor = people.load_actor(
                conn, Identity(ADMIN_USER_ID, "Admin"), admin_ids=frozenset({ADMIN_USER_ID})
            )
        print(f"{summary} ({time.perf_counter() - started:.0f} s to seed; {url.split(':')[0]})")
        print(
            f"{entries} rows in activity; running totals: "
            + ", ".join(f"{n} {t}" for t, n in totals.items())
        )
        if added:
            print("added: " + ", ".join(f"{n} {what}" for what, n in added.items()))

        moment = Moment(now, TZ, KindRegistry())
        spans = windows(today=moment.today, end=moment.today + timedelta(days=1))

        with db.engine.connect() as conn:
            first_team = conn.execute(
                select(table_of(Team).c.slug).order_by(table_of(Team).c.name).limit(1)
            ).scalar_one()

        def use_case(args_: list[str]) -> Callable[[], Any]:
            return lambda: db.call(measures.measures, admin, args_, moment=moment)

        def baseline() -> tuple[Rolling, Contacts]:
            return db.call(_straight, spans)

        every, one = use_case(["all"]), use_case([first_team])
        with db.engine.connect() as conn:
            looks, teams = _count(conn, Scrutiny), _count(conn, Team)
        shown = every()
        with db.engine.connect() as conn:
            looks = _count(conn, Scrutiny) - looks
        # Every team shown, each look recorded: one scrutiny row per team.
        assert len(_teams(shown)) == teams == looks, (len(_teams(shown)), teams, looks)
        straight = baseline()
        agree_all, compared_all = _compare(shown, straight)
        agree_one, compared_one = _compare(one(), straight)
        with db.engine.connect() as conn:
            team_ids = list(conn.execute(select(table_of(Team).c.id)).scalars())
        this_week = moment.today - timedelta(days=moment.today.weekday())
        last_week = spans.weeks4[0] + timedelta(days=21)
        some = team_ids[:: max(1, len(team_ids) // 10)][:10]
        timed = {
            "/measures all, admin (use case + scrutiny)": _timings(every, args.runs),
            "  after a write to this week in every team": _timings(
                every, args.runs, lambda: _touch_weeks(db, team_ids, this_week)
            ),
            f"  after a write to last week in {len(some)} teams": _timings(
                every, args.runs, lambda: _touch_weeks(db, some, last_week)
            ),
            "  nothing kept (every team read)": _timings(every, args.runs, lambda: _drop_kept(db)),
            f"/measures {first_team[:12]}, admin (one team, per person)": _timings(one, args.runs),
            "straight aggregate over activity (baseline)": _timings(baseline, args.baseline_runs),
        }
        print(
            f"\nas at {moment.today}: 4 weeks {spans.weeks4[0]}..{spans.weeks4[1]}, "
            f"13 weeks {spans.weeks13[0]}..{spans.weeks13[1]}, "
            f"13 before from {spans.previous13[0]}; months "
            + ", ".join(f"{m:%b}" for m in spans.months)
        )
        head = f"read ({teams} teams)"
        print(f"{head:52} {'median ms':>10} {'p95 ms':>8} {'best ms':>8} {'runs':>5}")
        for name, runs in timed.items():
            median, p95 = statistics.median(runs), _p95(runs)
            print(f"{name:52} {median:10.2f} {p95:8.2f} {min(runs):8.2f} {len(runs):5}")
        slow = statistics.median(timed["straight aggregate over activity (baseline)"])
        print(
            f"\nbudget < {BUDGET_MS:.0f} ms for /measures all (x: the baseline's time ÷ its own):"
        )
        for name, runs in list(timed.items())[:4]:
            median = statistics.median(runs)
            verdict = (
                "holds"
                if _p95(runs) < BUDGET_MS
                else "median holds, p95 does not"
                if median < BUDGET_MS
                else "MISSED"
            )
            print(f"  {name.strip():50} {slow / median:6.1f}x  {verdict}")
        # The figures kept give what reading every team anew gives.
        kept = every()
        _drop_kept(db)
        agree_kept = kept == every()
        print(f"kept figures agree with figures read anew: {'yes' if agree_kept else 'NO'}")
        agree = agree_all and agree_one and agree_kept
        print(
            f"figures agree with the baseline: /measures all {'yes' if agree_all else 'NO'}"
            f" ({compared_all}); one team {'yes' if agree_one else 'NO'} ({compared_one})"
        )
        if args.breakdown:
            _breakdown(db, admin, moment, args.runs)
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.runs):
                every()
            profile.disable()
            print()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        db.close()
        return 0 if agree else 1


#: Besides every public function of ``storage.measures``, what the use case calls by module
#: attribute, wrapped and timed by ``--breakdown`` (those a module does not have are skipped).
_TIMED = (
    ("storage.people", "list_teams"),
    ("storage.targets", "absences"),
    ("organiser_bot.usecases.measures", "distinct_names"),
    ("organiser_bot.usecases.measures", "days_present"),
    ("organiser_bot.usecases.measures", "member_spans"),
    ("organiser_bot.usecases.measures", "record_looks"),
    ("organiser_bot.usecases.measures", "_record_looks"),
)


def _timed_functions() -> list[tuple[Any, str]]:
    """(module, attribute) of each function ``--breakdown`` times."""
    store = sys.modules["storage.measures"]
    found = [
        (store, name)
        for name, fn in vars(store).items()
        if callable(fn)
        and not name.startswith("_")
        and getattr(fn, "__module__", None) == store.__name__
        and not isinstance(fn, type)
    ]
    found += [
        (sys.modules[module], name) for module, name in _TIMED if hasattr(sys.modules[module], name)
    ]
    return found


def _breakdown(db: Database, admin: Actor, moment: Moment, runs: int) -> None:
    """Where the use case's time goes, function by function (each storage read with its rows
    fetched and turned into values; the domain's arithmetic summed over its calls), the commit,
    and what is left (the use case's own loop). Medians over ``runs`` runs."""
    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    saved = []

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[label] += (time.perf_counter() - start) * 1000
                calls[label] += 1

        return wrapper

    for module, name in _timed_functions():
        saved.append((module, name, getattr(module, name)))
        label = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"
        setattr(module, name, timed(label, saved[-1][2]))
    per_run: dict[str, list[float]] = defaultdict(list)
    try:
        for _ in range(runs):
            spent.clear()
            begin = time.perf_counter()
            with db.engine.connect() as conn:
                transaction = conn.begin()
                measures.measures(conn, admin, ["all"], moment=moment)
                commit_at = time.perf_counter()
                transaction.commit()
                spent["COMMIT"] = (time.perf_counter() - commit_at) * 1000
            whole = (time.perf_counter() - begin) * 1000
            # record_looks holds the scrutiny insert; the commit is timed on its own.
            for label, ms in spent.items():
                per_run[label].append(ms)
            per_run["the rest (the use case's own loop)"].append(whole - sum(spent.values()))
            per_run["whole run"].append(whole)
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)
    print(f"\n{'where one run spends its time (medians)':48} {'ms':>10} {'calls':>6}")
    for label, timings in sorted(per_run.items(), key=lambda kv: -statistics.median(kv[1])):
        n = calls.get(label, runs) // runs
        print(f"  {label[:46]:46} {statistics.median(timings):10.2f} {n if n else '':>6}")


def _explain(
    got: tuple[dict[Any, Any], Contacts], straight: tuple[dict[Any, Any], Contacts]
) -> None:
    for name, a, b in (("rolling", got[0], straight[0]), ("contacts", got[1], straight[1])):
        keys = sorted(set(a) | set(b), key=str)
        wrong = [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]
        for key, mine, theirs in wrong[:10]:
            print(f"  {name} {key}: measures {mine} != straight {theirs}")
        if len(wrong) > 10:
            print(f"  ... {len(wrong) - 10} more")


if __name__ == "__main__":
    sys.exit(main())
