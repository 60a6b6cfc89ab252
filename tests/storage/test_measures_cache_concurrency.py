"""The kept ``/measures all`` figures (:mod:`storage.measures_cache`) against writes and reads
running at the same time, on real PostgreSQL connections.

PostgreSQL only: SQLite runs one writer at a time (a reader's claim is a write, so it and a
log never overlap there), which the other measures tests cover on both databases.

A side that must wait runs in a thread; that it waits, and on whom, is read from
``pg_stat_activity`` and ``pg_blocking_pids``, and a side that must not wait has to finish
while the other's transaction is still open; both bounded (:data:`WAIT_SECONDS`), never
assumed from the passing of time. The guarantees:

(a) a team whose row a backdated write in flight holds is not waited for: the reader shows
    it as committed before the write and does not keep its figures, so the next
    ``/measures all`` reads it again, with the write;
(b) a backdated write starting after the claim waits for the reader's commit and then makes
    the kept figures not hold (for a week they read), so the next ``/measures all`` reads the
    team again and includes it;

two ``/measures all`` at once both finish and agree, and a message logging to two teams
with a ``/measures all`` between its teams both finish. Every result is compared with the
figures read afresh (:func:`team_figures`), and the change a write makes with the one its
entry (kind, count, day) and the windows imply.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from threading import Barrier
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, text

from organiser_bot.domain.access import Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.measures import RESIDENT_CONTACT, MeasuresSummary, Windows, windows
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import parse_period
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import logbook
from organiser_bot.usecases.measures import measures, summarise, team_figures
from storage import measures as store
from storage import measures_cache as cache
from storage import people
from storage.engine import Database
from tests.digest_factories import LONDON, log, make_member, make_team

T = TypeVar("T")

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

#: Thursday 26 Nov 2026, noon UTC: the last complete week is 16-22 Nov.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KINDS = KindRegistry()
ADMIN = 1
MIA, SAM, CLEO, ADA, UNA, ZED, EVE, IDA = 10, 11, 12, 20, 21, 30, 40, 41
#: How long a side may take to block, or to finish once unblocked, before the test fails.
WAIT_SECONDS = 10.0
#: The oldest day a quick log accepts on NOW (eight weeks back), and today.
OLDEST, TODAY = NOW.date() - timedelta(days=55), NOW.date()

_message_ids = itertools.count(1)


def _moment(now: datetime = NOW) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


#: When every test but the one moving the windows on runs.
MOMENT = _moment()


def _spans(moment: Moment) -> Windows:
    """The windows ``/measures all`` without a period reads, as the use case takes them."""
    period = parse_period(None, today=moment.today)
    return windows(today=moment.today, end=period.end)


@dataclass(frozen=True)
class Org:
    """The teams (id by name) and Zed's person id."""

    teams: dict[str, int]
    zed: int


@pytest.fixture
def org(db: Database) -> Org:
    """North (manager Mia, organiser Sam, councillor Cleo), South (manager Ada, caseworker
    Una), East (organiser Eve) and West (councillor Ida); Zed is an organiser of North and of
    South. Each team has entries in the four and 13 weeks, so no figure starts at nothing."""
    with db.begin() as conn:
        teams = {name: make_team(conn, name) for name in ("North", "South", "East", "West")}
        north, south = teams["North"], teams["South"]
        make_member(conn, north, MIA, "Mia", Role.MANAGER)
        sam = make_member(conn, north, SAM, "Sam", Role.ORGANISER)
        cleo = make_member(conn, north, CLEO, "Cleo", Role.COUNCILLOR)
        make_member(conn, south, ADA, "Ada", Role.MANAGER)
        una = make_member(conn, south, UNA, "Una", Role.CASEWORKER)
        zed = make_member(conn, north, ZED, "Zed", Role.ORGANISER)
        make_member(conn, south, ZED, "Zed", Role.ORGANISER)
        eve = make_member(conn, teams["East"], EVE, "Eve", Role.ORGANISER)
        ida = make_member(conn, teams["West"], IDA, "Ida", Role.COUNCILLOR)
        log(conn, sam, north, RESIDENT_CONTACT, 6, date(2026, 11, 3))
        log(conn, cleo, north, "casework", 2, date(2026, 9, 14))
        log(conn, una, south, RESIDENT_CONTACT, 4, date(2026, 11, 18))
        log(conn, zed, south, "one_to_one", 1, date(2026, 7, 1))
        log(conn, eve, teams["East"], RESIDENT_CONTACT, 9, date(2026, 10, 28))
        log(conn, ida, teams["West"], "casework", 3, date(2026, 11, 10))
        # The admin's person row, else made by their first look (its record): two first
        # looks at once would wait on each other's insert of it.
        people.ensure_person(conn, Identity(ADMIN, "Admin"), now=NOW)
    return Org(teams, zed)


# -- the two sides -------------------------------------------------------------------------------


def _summary_all(conn: Connection, moment: Moment = MOMENT) -> MeasuresSummary:
    """``/measures all`` as the admin, in ``conn``'s transaction."""
    actor = people.load_actor(conn, Identity(ADMIN, "Admin"), admin_ids=frozenset({ADMIN}))
    shown = measures(conn, actor, ["all"], moment=moment)
    assert isinstance(shown, MeasuresSummary), shown
    return shown


def _uncached(conn: Connection, moment: Moment = MOMENT) -> MeasuresSummary:
    """The summary read afresh, nothing kept: what ``/measures all`` must equal."""
    teams = store.live_teams(conn)
    spans = _spans(moment)
    figures = team_figures(conn, [t.id for t in teams], spans)
    return summarise(teams, spans, figures, kind_order=moment.kinds.keys())


def _log(conn: Connection, user_id: int, text_: str) -> logbook.Logged:
    """A quick log by ``user_id``, sent now, in ``conn``'s transaction."""
    actor = people.load_actor(conn, Identity(user_id, str(user_id)), admin_ids=frozenset())
    outcome = logbook.log_text(
        conn,
        actor,
        text_,
        chat_id=100_000 + user_id,
        message_id=next(_message_ids),
        sent_at=NOW,
        moment=_moment(),
    )
    assert isinstance(outcome, logbook.Logged), outcome
    return outcome


@contextmanager
def _open(db: Database) -> Iterator[tuple[Connection, int]]:
    """A connection in an open transaction and its server process id; rolled back and closed
    at the end unless committed."""
    conn = db.engine.connect()
    try:
        conn.begin()
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        yield conn, int(pid)
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.close()


def _then_commit(conn: Connection, fn: Callable[[Connection], T]) -> T:
    out = fn(conn)
    conn.commit()
    return out


def _wait_blocked(db: Database, pid: int, *, by: int) -> str:
    """Wait until backend ``pid`` waits on a lock that backend ``by`` holds; the statement it
    waits in. Fails after :data:`WAIT_SECONDS` with what the backend was doing."""
    deadline = time.monotonic() + WAIT_SECONDS
    state: tuple[object, ...] | None = None
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
        while time.monotonic() < deadline:
            row = watch.execute(
                text(
                    "SELECT wait_event_type, state, query, pg_blocking_pids(pid)"
                    " FROM pg_stat_activity WHERE pid = :pid"
                ),
                {"pid": pid},
            ).one()
            state = tuple(row)
            if row[0] == "Lock" and by in row[3]:
                return str(row[2])
            time.sleep(0.002)  # a pause between looks at the condition, not a wait for it
    pytest.fail(f"backend {pid} never waited on a lock of {by}: last seen {state}")


def _result(future: Future[T]) -> T:
    return future.result(timeout=WAIT_SECONDS)


def _done(db: Database, future: Future[T], pid: int) -> T:
    """The result of ``future``, run on backend ``pid``, which must finish on its own (the
    other side's transaction still open): fails after :data:`WAIT_SECONDS` with what the
    backend is doing."""
    try:
        return future.result(timeout=WAIT_SECONDS)
    except TimeoutError:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
            state = watch.execute(
                text(
                    "SELECT wait_event_type, state, query, pg_blocking_pids(pid)"
                    " FROM pg_stat_activity WHERE pid = :pid"
                ),
                {"pid": pid},
            ).one()
        pytest.fail(f"backend {pid} did not finish on its own: {tuple(state)}")


def _failure(future: Future[T]) -> Exception | None:
    """What ``future`` raised, or None when it finished."""
    try:
        _result(future)
    except Exception as exc:
        return exc
    return None


# -- what a write changes ------------------------------------------------------------------------


def _counts(shown: MeasuresSummary, team_id: int) -> dict[tuple[str, str], int]:
    """A team's counts of entries in ``shown``: its contacts over the four weeks and each
    kind's two 13-week totals; zeros left out."""
    [line] = [t for t in shown.teams if t.team_id == team_id]
    out = {("rate", "contacts"): line.team_rate.contacts}
    for k in line.rolling13:
        out[(k.kind, "total")] = k.total
        out[(k.kind, "previous")] = k.previous
    return {key: n for key, n in out.items() if n}


def _plus(
    counts: dict[tuple[str, str], int], entry: logbook.Confirmed, spans: Windows
) -> dict[tuple[str, str], int]:
    """``counts`` with ``entry`` added where its kind and day put it in ``spans``."""
    out = dict(counts)

    def add(key: tuple[str, str]) -> None:
        out[key] = out.get(key, 0) + entry.count

    def within(span: tuple[date, date]) -> bool:
        return span[0] <= entry.day <= span[1]

    if entry.kind.key == RESIDENT_CONTACT and within(spans.weeks4):
        add(("rate", "contacts"))
    if within(spans.weeks13):
        add((entry.kind.key, "total"))
    if within(spans.previous13):
        add((entry.kind.key, "previous"))
    return out


def _covered(day: date, spans: Windows) -> bool:
    """True when ``day``'s week is one the figures over ``spans`` read from the totals."""
    return day - timedelta(days=day.weekday()) <= cache.covered_to(spans)


def _others_unchanged(before: MeasuresSummary, after: MeasuresSummary, team_id: int) -> None:
    assert [t for t in after.teams if t.team_id != team_id] == [
        t for t in before.teams if t.team_id != team_id
    ]


def _make_stale(db: Database) -> None:
    """A committed backdated log in every team: no team's kept figures hold any more."""
    with db.begin() as conn:
        for user_id, word in [(SAM, "doors"), (UNA, "case"), (EVE, "121"), (IDA, "doors")]:
            _log(conn, user_id, f"{word} 1 2026-11-16")


_KEPT = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_words = st.sampled_from(["doors", "121", "case"])
_days = st.dates(min_value=OLDEST, max_value=TODAY)
_counts_logged = st.integers(min_value=1, max_value=500)


# -- (a) a write in flight when the reader claims -------------------------------------------------


@_KEPT
@given(word=_words, count=_counts_logged, day=_days)
@example(word="doors", count=7, day=date(2026, 11, 22))  # the last day the figures read
@example(word="doors", count=5, day=date(2026, 11, 23))  # this week: the figures do not read it
def test_a_claim_passes_over_a_team_a_write_in_flight_holds_and_keeps_nothing_of_it(
    db: Database, org: Org, word: str, count: int, day: date
) -> None:
    """Sam's backdated log is written but not committed when ``/measures all`` finds no
    team's figures holding: the reader does not wait on Sam, shows North as committed before
    the log, and keeps every other team's figures but not North's. Once Sam commits, the next
    ``/measures all`` reads North again, with the entry, and keeps it."""
    north = org.teams["North"]
    spans = _spans(MOMENT)
    key = cache.windows_key(spans)
    _make_stale(db)
    with db.begin() as conn:
        before = _uncached(conn)
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        _open(db) as (reader, reader_pid),
        _open(db) as (writer, _),
    ):
        [entry] = _log(writer, SAM, f"{word} {count} {day.isoformat()}").entries
        assert entry.team is not None and entry.team.id == north and entry.day == day
        seen = _done(db, pool.submit(_then_commit, reader, _summary_all), reader_pid)
        writer.commit()
    assert seen == before
    with db.begin() as conn:
        kept = cache.read(conn, None)
        fresh = _uncached(conn)
        again = _summary_all(conn)
    assert cache.holding(kept[north], key) is None
    assert all(cache.holding(k, key) is not None for t, k in kept.items() if t != north), kept
    assert again == fresh
    assert _counts(again, north) == _plus(_counts(before, north), entry, spans)
    _others_unchanged(before, again, north)
    with db.begin() as conn:
        assert cache.holding(cache.read(conn, [north])[north], key) is not None


# -- (b) a write starting after the claim --------------------------------------------------------


@_KEPT
@given(word=_words, count=_counts_logged, day=_days)
@example(word="doors", count=7, day=date(2026, 11, 22))  # the last day the figures read
@example(word="doors", count=5, day=date(2026, 11, 23))  # this week: the figures do not read it
def test_b_write_after_a_claim_waits_and_makes_the_figures_read_again(
    db: Database, org: Org, word: str, count: int, day: date
) -> None:
    """``/measures all`` has claimed and read North but not committed when Sam logs: Sam's
    write waits on the reader; after the reader commits it goes through and, for a week the
    figures read, the kept figures no longer hold, so the next ``/measures all`` reads North
    again and includes it. A week after them (this week) waits alike but keeps the figures,
    which it does not change."""
    north = org.teams["North"]
    spans = _spans(_moment())
    _make_stale(db)
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        _open(db) as (writer, writer_pid),
        _open(db) as (reader, reader_pid),
    ):
        seen = _summary_all(reader)
        assert seen == _uncached(reader)
        claimed = cache.read(reader, [north])[north]
        assert claimed.figures_revision == claimed.revision
        logged = pool.submit(_then_commit, writer, lambda c: _log(c, SAM, f"{word} {count} {day}"))
        _wait_blocked(db, writer_pid, by=reader_pid)
        reader.commit()
        [entry] = _result(logged).entries
    assert entry.day == day
    with db.begin() as conn:
        kept = cache.read(conn, [north])[north]
        fresh = _uncached(conn)
        again = _summary_all(conn)
    holds = cache.holding(kept, cache.windows_key(spans)) is not None
    assert kept.figures_revision == claimed.revision
    assert holds is not _covered(day, spans), (kept, claimed)
    assert again == fresh
    assert _counts(again, north) == _plus(_counts(seen, north), entry, spans)
    _others_unchanged(seen, again, north)


# -- two readers ---------------------------------------------------------------------------------


def test_two_cold_summaries_at_once_neither_waits_and_they_agree(db: Database, org: Org) -> None:
    """Two ``/measures all`` on a cold cache, the first's claim not yet committed when the
    second reads: the second does not wait on the first (it passes over the rows the first
    holds) and keeps nothing; both show the figures read afresh, and the first's are kept."""
    key = cache.windows_key(_spans(MOMENT))
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        _open(db) as (second, second_pid),
        _open(db) as (first, _),
    ):
        assert all(k.figures is None for k in cache.read(first, None).values())
        one = _summary_all(first)
        two = _done(db, pool.submit(_then_commit, second, _summary_all), second_pid)
        first.commit()
    with db.begin() as conn:
        fresh = _uncached(conn)
        kept = cache.read(conn, None)
    assert one == two == fresh
    assert sorted(kept) == sorted(org.teams.values())
    assert all(cache.holding(k, key) is not None for k in kept.values()), kept


@pytest.mark.parametrize("weeks", [0, 1, 2, 3, 4, 5])
def test_two_summaries_started_together_both_finish_and_agree(
    db: Database, org: Org, weeks: int
) -> None:
    """Two ``/measures all`` released together, a week later each time (the windows move on,
    so no team's kept figures hold for either): both finish, with the figures read afresh."""
    moment = _moment(NOW + timedelta(weeks=weeks))
    start = Barrier(2, timeout=WAIT_SECONDS)

    def one(_: int) -> MeasuresSummary:
        with db.begin() as conn:
            conn.execute(text("SELECT 1"))
            start.wait()
            return _summary_all(conn, moment)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(one, i) for i in range(2)]
        first, second = (_result(r) for r in runs)
    with db.begin() as conn:
        fresh = _uncached(conn, moment)
    assert first == second == fresh
    assert first.weeks4[1] == NOW.date() - timedelta(days=4) + timedelta(weeks=weeks)


# -- a write to two teams ------------------------------------------------------------------------


def test_a_message_to_two_teams_and_a_summary_between_its_teams_both_finish(
    db: Database, org: Org
) -> None:
    """Zed, in North and South, logs one message with a line for South, then one for North.
    The message locks both teams' rows before any running total (``measures_cache.hold``).
    Held there (a third transaction holds the row of Zed's South daily total for the day, an
    earlier entry's), ``/measures all`` runs: it does not wait, shows both teams as committed
    before the message, and keeps neither (the message holds their rows). Let go, the message
    goes through without waiting on the reader, and neither team's kept figures hold. The next
    ``/measures all`` reads both teams again and includes both lines."""
    north, south = org.teams["North"], org.teams["South"]
    spans = _spans(MOMENT)
    key = cache.windows_key(spans)
    day = date(2026, 11, 20)
    assert _covered(day, spans)
    with db.begin() as conn:
        _log(conn, ZED, f"doors 1 #south {day}")
    _make_stale(db)
    with db.begin() as conn:
        before = _uncached(conn)
    with (
        ThreadPoolExecutor(max_workers=2) as pool,
        _open(db) as (writer, writer_pid),
        _open(db) as (reader, reader_pid),
        _open(db) as (holder, holder_pid),
    ):
        held = holder.execute(
            text(
                "SELECT total FROM daily_total WHERE person_id = :person AND team_id = :team"
                " AND day = :day AND kind = :kind FOR UPDATE"
            ),
            {"person": org.zed, "team": south, "day": day, "kind": RESIDENT_CONTACT},
        ).all()
        assert held == [(1,)]
        logged = pool.submit(
            _then_commit,
            writer,
            lambda c: _log(c, ZED, f"doors 2 #south {day}\ndoors 3 #north {day}"),
        )
        _wait_blocked(db, writer_pid, by=holder_pid)
        seen = _done(db, pool.submit(_summary_all, reader), reader_pid)
        holder.rollback()
        entries = _result(logged).entries
        reader.commit()
    assert seen == before
    assert {(e.team.id if e.team else None, e.count) for e in entries} == {(south, 2), (north, 3)}
    with db.begin() as conn:
        kept = cache.read(conn, [north, south])
        fresh = _uncached(conn)
        again = _summary_all(conn)
    assert cache.holding(kept[north], key) is None
    assert cache.holding(kept[south], key) is None
    assert again == fresh
    for team in (north, south):
        expected = _counts(before, team)
        for entry in entries:
            if entry.team is not None and entry.team.id == team:
                expected = _plus(expected, entry, spans)
        assert _counts(again, team) == expected, team
