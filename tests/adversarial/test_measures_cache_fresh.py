"""``/measures all`` from kept figures (``team_measures_cache``), tried as a new user would,
through the real bot on SQLite and PostgreSQL: each reply must be exactly the one a fresh read
gives, and every figure kept as holding must be the one a fresh read gives for its windows.

The organisation lives from September to November 2026 through the bot (invites, quick and
backdated logs, /undo and the Undo button, edits moving an entry to another team and day,
multi-team messages, redelivered updates, /away and its cancelling, /remove and rejoining with
another role, /residents, check-in taps, /active, /forgetme, /newteam), the clock crossing
Sunday/Monday midnight, a month's end and the clocks going back, with and without the
keep-measures job, and looks by an admin and by a manager of two teams with and without a
period. Then, on PostgreSQL, a member's check-in marked while they join another team, with a
``/measures all`` between the two commits; and a database upgraded from 0009 with data in it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text, update

from handlers.texts import measures as texts
from organiser_bot.domain.access import Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.measures import MeasuresSummary, Windows, windows
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import parse_period
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import onboarding, residents
from organiser_bot.usecases.measures import keep_summary_figures, measures, summarise, team_figures
from storage import measures as store
from storage import measures_cache as cache
from storage import migrate, people
from storage.engine import Database, make_engine
from storage.models import TeamMeasuresCache
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot, postgres_database
from tests.digest_factories import LONDON, log, make_member, make_team

_cache = table_of(TeamMeasuresCache)
LIMIT = 4096
MIA, CLEO, SAM, KIT, SOL, EVE, NED = 1500, 2001, 2002, 2003, 2004, 2005, 2006
NAMES = {
    ADMIN_ID: "Admin",
    MIA: "Mia",
    CLEO: "Cleo",
    SAM: "Sam",
    KIT: "Kit",
    SOL: "Sol",
    EVE: "Eve",
    NED: "Ned",
}


def _at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    """An instant in UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


# --- what a fresh read gives --------------------------------------------------------------------


def _previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def spans_of(key: str) -> Windows:
    """The windows ``key`` (:func:`storage.measures_cache.windows_key`) names."""
    version, sunday_text, month_text = key.split(":")
    assert int(version) == cache.FIGURES_VERSION, key
    sunday, month = date.fromisoformat(sunday_text), date.fromisoformat(month_text)
    second = _previous_month(month)
    return Windows(
        weeks4=(sunday - timedelta(days=27), sunday),
        weeks13=(sunday - timedelta(days=90), sunday),
        previous13=(sunday - timedelta(days=181), sunday - timedelta(days=91)),
        months=(_previous_month(second), second, month),
        current_month=month,
    )


def test_spans_of_a_key_are_the_windows_it_names() -> None:
    """The helper the checks below rely on: for any day and period end, the windows rebuilt
    from their key are the windows (but for the current month, which no figure reads)."""
    for today in (date(2026, 9, 30), date(2026, 10, 26), date(2026, 11, 1), date(2027, 3, 1)):
        for end in (today + timedelta(days=1), today - timedelta(days=40), today):
            spans = windows(today=today, end=end)
            again = spans_of(cache.windows_key(spans))
            assert (again.weeks4, again.weeks13, again.previous13, again.months) == (
                spans.weeks4,
                spans.weeks13,
                spans.previous13,
                spans.months,
            )


def stale_kept(conn: Connection) -> dict[int, tuple[Any, Any]]:
    """Every team whose kept figures hold (their revision is the team's) but differ from a
    fresh read over the windows they were kept for: team id -> (kept, fresh). Empty when
    nothing kept is stale."""
    out = {}
    for team_id, kept in cache.read(conn, None).items():
        if kept.figures is None or kept.windows is None:
            continue
        if cache.holding(kept, kept.windows) is None:
            continue
        fresh = team_figures(conn, [team_id], spans_of(kept.windows))[team_id]
        shown = cache.loads(kept.figures)
        if shown != fresh:
            out[team_id] = (shown, fresh)
    return out


def _moment(bot: OfflineBot) -> Moment:
    data = bot.app.bot_data
    return Moment(now=data.now(), tz=data.settings.tz, kinds=data.kinds)


def fresh_reply(bot: OfflineBot, user_id: int, words: list[str]) -> str:
    """The reply to ``/measures <words>`` by ``user_id`` with nothing kept: every team's kept
    figures forgotten, the use case run and rendered as the handler does, all rolled back."""
    db: Database = bot.app.bot_data.db
    moment = _moment(bot)
    with db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            conn.execute(update(_cache).values(figures=None, windows=None))
            actor = people.load_actor(
                conn,
                Identity(user_id, NAMES[user_id]),
                admin_ids=bot.app.bot_data.settings.admin_telegram_ids,
            )
            shown = measures(conn, actor, words, moment=moment)
            return texts.measures(shown, moment.kinds)
        finally:
            transaction.rollback()


def assert_nothing_stale(bot: OfflineBot, when: str) -> None:
    db: Database = bot.app.bot_data.db
    with db.engine.connect() as conn:
        assert stale_kept(conn) == {}, when


def holding(bot: OfflineBot) -> int:
    """How many teams' kept figures hold for the windows ``/measures all`` reads now."""
    moment = _moment(bot)
    spans = windows(today=moment.today, end=parse_period(None, today=moment.today).end)
    key = cache.windows_key(spans)
    db: Database = bot.app.bot_data.db
    with db.engine.connect() as conn:
        return sum(cache.holding(k, key) is not None for k in cache.read(conn, None).values())


async def look(bot: OfflineBot, user_id: int, command: str) -> str:
    """``command`` (a ``/measures all ...``) by ``user_id`` through the bot: the reply is one
    message, the very one a fresh read gives, and nothing kept after it is stale."""
    replies = await bot.replies(bot.message(user_id, command))
    said = [str(r.params["text"]) for r in replies]
    assert len(said) == 1, said
    [reply] = said
    assert len(reply.encode("utf-16-le")) // 2 <= LIMIT
    when = f"{command} by {NAMES[user_id]} at {bot.clock.now.isoformat()}"
    assert reply.startswith("Measures of "), (when, reply)
    assert reply == fresh_reply(bot, user_id, command.split()[1:]), when
    assert_nothing_stale(bot, when)
    return reply


PERIODS = ("", " lastmonth", " 4w", " 2026-W40", " 2026-10-01..2026-10-20", " thismonth")


async def look_all(bot: OfflineBot) -> None:
    """Every period alternating with none, as the admin and as Mia (a manager of two teams),
    each compared with a fresh read."""
    for period in PERIODS:
        await look(bot, ADMIN_ID, f"/measures all{period}")
        await look(bot, MIA, f"/measures all{period}")
        await look(bot, ADMIN_ID, "/measures all")
    await look(bot, MIA, "/measures all")


async def keep_job(bot: OfflineBot) -> int:
    """The keep-measures job's part, as the job runs it, at the bot's clock."""
    db: Database = bot.app.bot_data.db
    kept = await db.run(keep_summary_figures, moment=_moment(bot))
    assert_nothing_stale(bot, f"the job at {bot.clock.now.isoformat()}")
    return kept


# --- the organisation, through the bot ----------------------------------------------------------


async def _join(bot: OfflineBot, user_id: int, role: str, team: str) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    name = NAMES[user_id]
    welcome = await bot.say(
        user_id, f"/start {code.group(1)}", first_name=name, username=name.lower()
    )
    assert "Welcome" in welcome, welcome


async def _logged(bot: OfflineBot, user_id: int, words: str) -> dict[str, Any]:
    """A log by ``user_id``: the update sent (to edit or redeliver later), once confirmed."""
    update = bot.message(user_id, words)
    replies = await bot.replies(update)
    assert replies and "✓" in str(replies[0].params["text"]), (words, replies)
    return {"update": update, "reply": replies[0]}


async def _checks(bot: OfflineBot, step: str) -> None:
    """After any write: a look as the admin and as Mia, each as a fresh read."""
    await look(bot, ADMIN_ID, "/measures all")
    await look(bot, MIA, "/measures all")
    assert_nothing_stale(bot, step)


@pytest.fixture
async def org(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward (Mia manager, Cleo councillor, Sam organiser), South Side (Mia manager, Kit
    caseworker, Sol councillor) and East End (Eve organiser, Sol councillor), from Tue 1 Sep
    2026; a few logs and a residents figure each, and every figure kept by a first look."""
    bot = offline_bot
    bot.clock.now = _at(2026, 9, 1)
    for name in ("North Ward", "South Side", "East End"):
        assert name in await bot.say(ADMIN_ID, f"/newteam {name}")
    await _join(bot, MIA, "manager", "north-ward")
    await _join(bot, MIA, "manager", "south-side")
    await _join(bot, CLEO, "councillor", "north-ward")
    await _join(bot, SAM, "organiser", "north-ward")
    await _join(bot, KIT, "caseworker", "south-side")
    await _join(bot, SOL, "councillor", "south-side")
    await _join(bot, SOL, "councillor", "east-end")
    await _join(bot, EVE, "organiser", "east-end")
    await _logged(bot, CLEO, "doors 5")
    await _logged(bot, SOL, "doors 3 #east-end")
    await _logged(bot, KIT, "case 2")
    assert "1,000" in await bot.say(MIA, "/residents north-ward 1000")
    assert "2,000" in await bot.say(ADMIN_ID, "/residents east-end 2000")
    bot.clock.now = _at(2026, 9, 8)
    await _logged(bot, SAM, "doors 4")
    await _logged(bot, EVE, "doors 6")
    await _logged(bot, SOL, "doors 2 #south-side")
    bot.clock.now = _at(2026, 9, 15)
    await look(bot, ADMIN_ID, "/measures all")
    await look(bot, MIA, "/measures all")
    return bot


async def test_every_write_through_the_bot_between_looks(org: OfflineBot) -> None:
    """Each kind of write a person can make, each followed by looks compared with a fresh
    read; the clock moves on a day or two between some."""
    bot = org
    # A log this week changes no kept figure; a backdated one (last week's) does.
    await _logged(bot, CLEO, "doors 9")
    assert holding(bot) == 3  # the look before it kept every team's figures; the log left them
    await _checks(bot, "a log this week")
    first_week = await _logged(bot, CLEO, "/log doors 4 2026-09-02")
    await _checks(bot, "a log backdated to the first week")
    # A multi-team message, for last week, by someone in two teams.
    await _logged(bot, SOL, "doors 1 #south-side 2026-09-09\ndoors 7 #east-end 2026-09-10")
    await _checks(bot, "a message to two teams")
    # /undo takes the last message's entries out.
    undone = await bot.say(SOL, "/undo")
    assert "7" in undone or "1" in undone, undone
    await _checks(bot, "/undo")
    # The Undo button under an older log.
    reply = first_week["reply"]
    buttons = [
        b for row in reply.params.get("reply_markup", {}).get("inline_keyboard", []) for b in row
    ]
    [button] = [b for b in buttons if "ndo" in b["text"]]
    await bot.process(
        bot.updates.callback_query(CLEO, button["callback_data"], message=reply.result)
    )
    await _checks(bot, "the Undo button")
    bot.clock.now = _at(2026, 9, 17)
    # An edit of an old message moving its entry to another team and another day.
    sol_first = await _logged(bot, SOL, "doors 8 #east-end 2026-09-03")
    await _checks(bot, "Sol's log for 3 Sep")
    await bot.process(bot.updates.edited(sol_first["update"], "doors 8 #south-side 2026-09-11"))
    await _checks(bot, "the edit moving it to South Side and 11 Sep")
    # The same update delivered again changes nothing, and neither does a redelivered edit.
    await bot.process(sol_first["update"])
    await bot.process(bot.updates.edited(sol_first["update"], "doors 8 #south-side 2026-09-11"))
    await _checks(bot, "redelivered updates")
    # Away over a week the figures read, then cancelled.
    assert "Sep" in await bot.say(SAM, "/away 2026-09-07 2026-09-09")
    await _checks(bot, "/away over last week")
    await bot.say(SAM, "/away cancel")
    await _checks(bot, "/away cancelled")
    bot.clock.now = _at(2026, 9, 22)
    # Removed, then back by invite with another role.
    assert "Kit" in await bot.say(MIA, "/remove south-side @kit confirm")
    await _checks(bot, "/remove")
    await _join(bot, KIT, "organiser", "south-side")
    await _checks(bot, "back as an organiser")
    # The residents figure, an /active mark, then the check-in tap on the month's last day.
    assert "3,000" in await bot.say(MIA, "/residents south-side 3000")
    await _checks(bot, "/residents")
    assert "Cleo" in await bot.say(MIA, "/active @cleo")
    await _checks(bot, "/active")
    assert "Sol" in await bot.say(MIA, "/active @sol no")
    await _checks(bot, "/active no")
    bot.clock.now = _at(2026, 9, 30, 11, 0)
    message = (await bot.send(EVE, "/week"))["text"]
    assert message
    [week_reply] = [c for c in bot.request.calls if c.params.get("chat_id") == EVE][-1:]
    await bot.process(bot.updates.callback_query(EVE, "ci:2026-09:y", message=week_reply.result))
    await _checks(bot, "Eve's check-in tap")
    # A new team between looks, and someone forgotten.
    assert "West Way" in await bot.say(ADMIN_ID, "/newteam West Way")
    await _checks(bot, "a new team")
    await _join(bot, NED, "councillor", "west-way")
    await _logged(bot, NED, "doors 3")
    await _checks(bot, "Ned in West Way")
    await bot.say(CLEO, "/forgetme")
    await bot.say(CLEO, "/forgetme confirm")
    await _checks(bot, "/forgetme")


async def test_time_passing_with_and_without_the_job(org: OfflineBot) -> None:
    """The clock over Sunday/Monday midnight (local, in summer time), a month's end and the
    clocks going back on Sun 25 Oct: looks before and after each, the job run at some and not
    at others, logs at local midnight between them, periods alternating with none."""
    bot = org
    # Sun 27 Sep 23:30 BST, then a log at 00:30 BST on Monday 28 (Sunday 23:30 UTC).
    bot.clock.now = _at(2026, 9, 27, 22, 30)
    await look_all(bot)
    await _logged(bot, CLEO, "doors 2")  # Sunday local: in a week not complete yet
    bot.clock.now = _at(2026, 9, 27, 23, 30)
    await _logged(bot, SAM, "doors 3")  # Monday 28 Sep local
    await look_all(bot)
    # The job on Monday, then Wednesday 30 Sep at 23:30 BST (the month's last day), and on.
    assert await keep_job(bot) == 0
    bot.clock.now = _at(2026, 9, 30, 22, 30)
    await _logged(bot, KIT, "case 4 2026-09-21")
    await look_all(bot)
    bot.clock.now = _at(2026, 9, 30, 23, 30)  # Thu 1 Oct, 00:30 local: a new month
    assert holding(bot) == 0
    assert await keep_job(bot) == 3
    assert holding(bot) == 3
    await look_all(bot)
    await _logged(bot, EVE, "doors 5 2026-09-30")
    await look_all(bot)
    # Weeks pass without a look or the job; logs backdated and not.
    for day in (7, 14, 21):
        bot.clock.now = _at(2026, 10, day)
        await _logged(bot, SOL, f"doors {day} #east-end")
        await _logged(bot, CLEO, f"doors {day} 2026-10-0{day // 7}")
    await look_all(bot)
    # The clocks go back at 02:00 BST on Sun 25 Oct. Sat 24 Oct 23:30 UTC is Sunday 00:30
    # BST; Sun 25 Oct 23:30 UTC is still Sunday (GMT); Mon 26 Oct 00:30 UTC is Monday.
    for instant in (
        _at(2026, 10, 24, 22, 30),
        _at(2026, 10, 24, 23, 30),
        _at(2026, 10, 25, 0, 30),
        _at(2026, 10, 25, 1, 30),
        _at(2026, 10, 25, 23, 30),
        _at(2026, 10, 26, 0, 30),
    ):
        bot.clock.now = instant
        await _logged(bot, SAM, "doors 1")
        await look(bot, ADMIN_ID, "/measures all")
        await look(bot, MIA, "/measures all")
    await keep_job(bot)
    await look_all(bot)
    # Into November: a week's end and the month's on the same night (Sun 1 Nov).
    bot.clock.now = _at(2026, 10, 31, 23, 30)  # Sat 31 Oct, GMT
    await look_all(bot)
    bot.clock.now = _at(2026, 11, 2, 0, 30)  # Mon 2 Nov
    await keep_job(bot)
    await _logged(bot, KIT, "case 1 2026-10-30")
    await look_all(bot)


# --- PostgreSQL: a check-in marked while the member joins another team ---------------------------

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KINDS = KindRegistry()
ADMIN = 1
PAT, ORG_SAM = 41, 42


def _pg_moment(now: datetime = NOW) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


def _actor(conn: Connection, uid: int, name: str) -> Any:
    return people.load_actor(
        conn, Identity(uid, name, name.lower()), admin_ids=frozenset({ADMIN}), refresh=True
    )


def _summary_all(conn: Connection) -> MeasuresSummary:
    shown = measures(conn, _actor(conn, ADMIN, "Admin"), ["all"], moment=_pg_moment())
    assert isinstance(shown, MeasuresSummary), shown
    return shown


def _uncached(conn: Connection) -> MeasuresSummary:
    moment = _pg_moment()
    teams = store.live_teams(conn)
    spans = windows(today=moment.today, end=parse_period(None, today=moment.today).end)
    figures = team_figures(conn, [t.id for t in teams], spans)
    return summarise(teams, spans, figures, kind_order=moment.kinds.keys())


@contextmanager
def _open(db: Database) -> Iterator[Connection]:
    """A connection in an open transaction that gives up on any lock after 10 s (so a side
    that should not wait fails instead of hanging); rolled back unless committed."""
    conn = db.engine.connect()
    try:
        conn.begin()
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        yield conn
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.close()


def _backend(conn: Connection) -> int:
    """The PostgreSQL backend process of ``conn``."""
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _wait_blocked(db: Database, pid: int) -> None:
    """Wait until backend ``pid`` waits on a lock; fails after 10 s."""
    deadline = time.monotonic() + 10
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
        while time.monotonic() < deadline:
            waiting = watch.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            ).scalar_one()
            if waiting == "Lock":
                return
            time.sleep(0.002)  # a pause between looks at the condition, not a wait for it
    pytest.fail(f"backend {pid} never waited on a lock")


def _active_in(shown: MeasuresSummary, team_id: int) -> int:
    [line] = [t for t in shown.teams if t.team_id == team_id]
    return line.month.active


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("first", ["mark", "join"])
def test_a_mark_while_the_member_joins_another_team_leaves_nothing_stale(
    db: Database, first: str
) -> None:
    """Pat, an organiser of North, joins South by invite while Sam (North's organiser) marks
    Pat active this month; a ``/measures all`` runs between the join's commit and the mark's.
    Once both are committed, ``/measures all`` must show South with Pat active."""
    moment = _pg_moment()
    with db.begin() as conn:
        north, south = make_team(conn, "North"), make_team(conn, "South")
        make_team(conn, "East")
        people.ensure_person(conn, Identity(ADMIN, "Admin", "admin"), now=NOW)
        onboarding.join(
            conn,
            _actor(conn, ORG_SAM, "Sam"),
            onboarding.create_invite(
                conn, _actor(conn, ADMIN, "Admin"), ["north", "organiser"], moment=moment
            ).code,
            moment=moment,
        )
        onboarding.join(
            conn,
            _actor(conn, PAT, "Pat"),
            onboarding.create_invite(
                conn, _actor(conn, ADMIN, "Admin"), ["north", "organiser"], moment=moment
            ).code,
            moment=moment,
        )
        code = onboarding.create_invite(
            conn, _actor(conn, ADMIN, "Admin"), ["south", "councillor"], moment=moment
        ).code
    with db.begin() as conn:
        before = _summary_all(conn)
    assert _active_in(before, south) == 0 and _active_in(before, north) == 0

    def mark(conn: Connection) -> None:
        done = residents.mark_active(
            conn, _actor(conn, ORG_SAM, "Sam"), ["@pat", "yes"], moment=moment
        )
        assert isinstance(done, residents.ActiveMarked), done

    def join(conn: Connection) -> None:
        onboarding.join(conn, _actor(conn, PAT, "Pat"), code, moment=moment)

    # The second write waits for the first's commit (a lock on Pat): it runs in a thread, and
    # a summary is read while it waits, without waiting itself.
    with _open(db) as marker, _open(db) as joiner, ThreadPoolExecutor(1) as pool:
        ahead, behind = (marker, joiner) if first == "mark" else (joiner, marker)
        (mark if first == "mark" else join)(ahead)
        waiter = _backend(behind)
        second = pool.submit(join if first == "mark" else mark, behind)
        _wait_blocked(db, waiter)
        with _open(db) as reader:
            between = _summary_all(reader)
            reader.commit()
        ahead.commit()
        second.result(timeout=10)
        behind.commit()
    assert _active_in(between, north) == 0  # the mark was not committed yet
    with db.begin() as conn:
        fresh = _uncached(conn)
        assert _active_in(fresh, south) == 1 and _active_in(fresh, north) == 1
        stale = stale_kept(conn)
        shown = _summary_all(conn)
    # South is shown with nobody active (kept), where a fresh read counts Pat.
    assert shown == fresh, stale
    assert stale == {}


# --- a database upgraded from 0009 with data in it -----------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0009(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database of its own, migrated to 0009 only."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        migrate.upgrade(engine, "0009")
        yield engine
        engine.dispose()
        return
    with postgres_database(request.getfixturevalue("postgres_url"), "measures_0009") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine, "0009")
            yield engine
        finally:
            engine.dispose()


def test_upgraded_from_0009_with_data_every_look_is_a_fresh_read(
    at_0009: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Teams, members and entries written at 0009; upgraded to head; then /measures all, the
    job, backdated logs and an archived team's data, each summary the fresh read."""
    assert migrate.pending(at_0009)[0] == "0009"
    # Written with today's code, less the lock on team_measures_cache rows that 0009 lacks.
    monkeypatch.setattr(cache, "hold", lambda conn, team_ids: None)
    with at_0009.begin() as conn:
        teams = [make_team(conn, name) for name in ("North", "South", "East")]
        for i, team in enumerate(teams):
            person = make_member(conn, team, 50 + i, f"P{i}", Role.ORGANISER)
            for back in (3, 10, 24, 60, 120):
                log(conn, person, team, "resident_contact", i + back, NOW.date() - timedelta(back))
        people.ensure_person(conn, Identity(ADMIN, "Admin", "admin"), now=NOW)
        first = make_member(conn, teams[0], 59, "R", Role.CASEWORKER)
    monkeypatch.undo()
    migrate.upgrade(at_0009)
    db = Database(at_0009.url.render_as_string(hide_password=False), engine=at_0009)
    with db.begin() as conn:
        assert _summary_all(conn) == _uncached(conn)
        assert stale_kept(conn) == {}
    with db.begin() as conn:
        person = make_member(conn, teams[1], 60, "Q", Role.COUNCILLOR)
        log(conn, person, teams[1], "resident_contact", 11, NOW.date() - timedelta(days=9))
    with db.begin() as conn:
        assert stale_kept(conn) == {}
        assert _summary_all(conn) == _uncached(conn)
    with db.begin() as conn:
        assert keep_summary_figures(conn, moment=_pg_moment(NOW + timedelta(days=7))) == 3
        assert stale_kept(conn) == {}
    with db.begin() as conn:
        log(conn, first, teams[0], "resident_contact", 5, NOW.date() - timedelta(days=2))
        log(conn, first, teams[0], "resident_contact", 8, NOW.date() - timedelta(days=12))
        assert stale_kept(conn) == {}
        assert _summary_all(conn) == _uncached(conn)
