"""The weekly digest job and the mid-week nudge, end to end against the fake Bot API server.

Sending goes through the harness application's own bot, so PTB's ``AIORateLimiter`` (configured in
``app.py``) is in the path: 429s are retried after ``retry_after`` exactly as in production. Time
comes from explicit ``now`` values, never from the wall clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection
from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot

from handlers import jobs, posting
from handlers.posting import TelegramPoster
from organiser_bot.domain.digest import TEMPLATE_VERSION
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.roles import Role
from organiser_bot.domain.schedule import WeeklySchedule, scheduled_at
from organiser_bot.settings import Settings
from organiser_bot.usecases import digest_run
from organiser_bot.usecases.digest_run import (
    NUDGE_WINDOW,
    STALE_CLAIM,
    DigestRunReport,
    NudgeRunReport,
)
from storage import ledger, people
from storage.engine import Database
from tests.conftest import ADMIN_ID, BotHarness
from tests.digest_factories import LONDON, away, log, make_member, make_team
from tests.fakebot import FakeBotAPI, Recorded

T = TypeVar("T")
KINDS = KindRegistry()
W47 = date(2026, 11, 16)
MONDAY_SLOT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 09:00 GMT
CHATS = {"Alpha": -2001, "Bravo": -2002, "Charlie": -2003}


def teams_with_chats(conn: Connection) -> dict[str, int]:
    """Alpha, Bravo and Charlie with chats and one organiser each; Delta without a chat."""
    ids = {}
    for i, (name, chat_id) in enumerate(CHATS.items()):
        team_id = make_team(conn, name, chat_id=chat_id)
        person = make_member(conn, team_id, 500 + i, f"Member {name}", Role.ORGANISER)
        log(conn, person, team_id, "one_to_one", 5 + i, W47 + timedelta(days=i))
        ids[name] = team_id
    ids["Delta"] = make_team(conn, "Delta")
    make_member(conn, ids["Delta"], 599, "Member Delta", Role.ORGANISER)
    return ids


def media_groups(api: FakeBotAPI, since: int = 0) -> Counter[int]:
    """Successful chart albums per chat."""
    return Counter(
        int(r.params["chat_id"])
        for r in api.requests[since:]
        if r.method == "sendMediaGroup" and r.status == 200
    )


def _requests(api: FakeBotAPI, method: str, since: int = 0) -> list[Recorded]:
    return [r for r in api.requests[since:] if r.method == method]


def _db(bot: BotHarness) -> Database:
    db: Database = bot.app.bot_data.db
    return db


def _settings(bot: BotHarness, **changes: Any) -> Settings:
    settings: Settings = bot.app.bot_data.settings
    return settings.model_copy(update=changes) if changes else settings


async def _setup(bot: BotHarness, fn: Callable[[Connection], T]) -> T:
    return await _db(bot).run(fn)


def _poster(sender: Bot, settings: Settings) -> TelegramPoster:
    return TelegramPoster(sender, admin_ids=settings.admin_telegram_ids)


async def send_due_digests(
    sender: Bot, db: Database, settings: Settings, *, now: datetime, **kwargs: Any
) -> DigestRunReport:
    """The digest run as the jobs wire it: Telegram poster, schedule and zone from settings."""
    return await digest_run.send_due_digests(
        _poster(sender, settings),
        db,
        schedule=settings.digest_at,
        moment=Moment(now, settings.tz, KINDS),
        **kwargs,
    )


async def _run(bot: BotHarness, now: datetime, **kwargs: Any) -> DigestRunReport:
    return await send_due_digests(bot.app.bot, _db(bot), _settings(bot), now=now, **kwargs)


@pytest.fixture
async def second_instance(bot: BotHarness) -> AsyncIterator[tuple[ExtBot[None], Database]]:
    """Another bot process on the same database and Bot API: what a restart looks like."""
    other_db = Database(bot.db_url)
    async with ExtBot(
        bot.api.token, base_url=bot.api.base_url, rate_limiter=AIORateLimiter(max_retries=3)
    ) as other_bot:
        yield other_bot, other_db
    other_db.close()


# --- Exactly once --------------------------------------------------------------------------------


async def test_due_digest_goes_to_every_bound_team_once_and_a_rerun_sends_nothing(
    bot: BotHarness,
) -> None:
    ids = await _setup(bot, teams_with_chats)

    early = await _run(bot, MONDAY_SLOT - timedelta(seconds=1))
    assert early.iso_week is None and media_groups(bot.api) == Counter()

    report = await _run(bot, MONDAY_SLOT)
    assert report.iso_week == "2026-W47"
    assert sorted(report.sent) == ["Alpha", "Bravo", "Charlie"] and report.failed == []
    assert media_groups(bot.api) == Counter({-2001: 1, -2002: 1, -2003: 1})
    for name, chat_id in CHATS.items():
        [text] = bot.api.sent_texts(chat_id)
        assert text.startswith(f"{name} · 2026-W47\n")
    [album] = [r for r in _requests(bot.api, "sendMediaGroup") if r.params["chat_id"] == -2001]
    assert len(album.params["media"]) == 2 and all(
        data.startswith(b"\x89PNG") for data in album.files.values()
    )

    rows = {r.team_id: r for r in await _db(bot).run(ledger.entries, iso_weeks=["2026-W47"])}
    assert set(rows) == {ids["Alpha"], ids["Bravo"], ids["Charlie"]}  # Delta has no chat
    alpha = rows[ids["Alpha"]]
    assert (alpha.status, alpha.attempts, alpha.template_version) == ("sent", 1, TEMPLATE_VERSION)
    # Sent at the slot, plus the moments the run took to get to it.
    assert alpha.sent_at is not None and alpha.chat_id == -2001
    assert MONDAY_SLOT <= alpha.sent_at < MONDAY_SLOT + timedelta(seconds=30)
    assert len(alpha.content_hash) == 64 and len(alpha.delivered_ids) == 3

    before = len(bot.api.requests)
    for later in (
        MONDAY_SLOT,
        MONDAY_SLOT + timedelta(minutes=10),
        MONDAY_SLOT + timedelta(days=6),
    ):
        again = await _run(bot, later)
        assert again.sent == [] and again.failed == []
    assert len(bot.api.requests) == before  # not a single request to Telegram


async def test_restart_on_the_same_database_sends_nothing_twice(
    bot: BotHarness, second_instance: tuple[ExtBot[None], Database]
) -> None:
    await _setup(bot, teams_with_chats)
    assert len((await _run(bot, MONDAY_SLOT)).sent) == 3

    other_bot, other_db = second_instance
    report = await send_due_digests(
        other_bot, other_db, _settings(bot), now=MONDAY_SLOT + timedelta(minutes=1)
    )
    assert report.sent == [] and media_groups(bot.api) == Counter({-2001: 1, -2002: 1, -2003: 1})


async def test_catch_up_after_downtime_sends_the_missed_week_once_then_the_next_week_on_time(
    bot: BotHarness, second_instance: tuple[ExtBot[None], Database]
) -> None:
    await _setup(bot, teams_with_chats)
    # Down all Monday; the first run after start is on Tuesday afternoon.
    tuesday = MONDAY_SLOT + timedelta(days=1, hours=5)
    report = await _run(bot, tuesday)
    assert report.iso_week == "2026-W47" and len(report.sent) == 3
    rows = await _db(bot).run(ledger.entries, iso_weeks=["2026-W47"])
    assert all(
        r.sent_at is not None and tuesday <= r.sent_at < tuesday + timedelta(seconds=30)
        for r in rows
    )

    # Restarted again on Wednesday: nothing more for W47.
    other_bot, other_db = second_instance
    wednesday = await send_due_digests(
        other_bot, other_db, _settings(bot), now=tuesday + timedelta(days=1)
    )
    assert wednesday.sent == []

    # The next Monday at 09:00 brings W48, once.
    next_slot = MONDAY_SLOT + timedelta(days=7)
    assert (await _run(bot, next_slot - timedelta(minutes=1))).sent == []
    report = await _run(bot, next_slot)
    assert report.iso_week == "2026-W48" and len(report.sent) == 3
    assert media_groups(bot.api) == Counter({-2001: 2, -2002: 2, -2003: 2})


async def test_two_runs_racing_send_each_team_once(
    bot: BotHarness, second_instance: tuple[ExtBot[None], Database]
) -> None:
    import asyncio

    await _setup(bot, teams_with_chats)
    other_bot, other_db = second_instance
    first, second = await asyncio.gather(
        _run(bot, MONDAY_SLOT),
        send_due_digests(other_bot, other_db, _settings(bot), now=MONDAY_SLOT),
    )
    assert sorted(first.sent + second.sent) == ["Alpha", "Bravo", "Charlie"]
    assert media_groups(bot.api) == Counter({-2001: 1, -2002: 1, -2003: 1})


async def test_a_crashed_send_is_resumed_after_the_stale_period_without_repeating_charts(
    bot: BotHarness,
) -> None:
    ids = await _setup(bot, teams_with_chats)

    def crashed_after_charts(conn: Connection) -> None:
        # What a process that died between the album and the text leaves behind.
        ledger.claim(
            conn,
            team_id=ids["Alpha"],
            iso_week="2026-W47",
            template_version=TEMPLATE_VERSION,
            chat_id=-2001,
            now=MONDAY_SLOT,
            stale_after=STALE_CLAIM,
        )
        ledger.record_part(
            conn, team_id=ids["Alpha"], iso_week="2026-W47", part="charts", message_ids=(901, 902)
        )

    await _setup(bot, crashed_after_charts)
    report = await _run(bot, MONDAY_SLOT + timedelta(minutes=10))
    assert sorted(report.sent) == ["Bravo", "Charlie"]  # Alpha's claim is still fresh
    assert bot.api.sent_texts(-2001) == []

    later = MONDAY_SLOT + STALE_CLAIM + timedelta(minutes=1)
    report = await _run(bot, later)
    assert report.sent == ["Alpha"]
    assert media_groups(bot.api)[-2001] == 0  # charts were already delivered
    [text] = bot.api.sent_texts(-2001)
    assert text.startswith("Alpha · 2026-W47")
    row = await _db(bot).run(ledger.get, team_id=ids["Alpha"], iso_week="2026-W47")
    assert row is not None and (row.status, row.attempts) == ("sent", 2)
    assert row.sent_at is not None and later <= row.sent_at < later + timedelta(seconds=30)
    assert row.delivered_ids[:2] == (901, 902) and len(row.delivered_ids) == 3


async def test_ledger_gives_up_after_max_attempts(db: Database) -> None:
    ids = db.call(teams_with_chats)
    now = MONDAY_SLOT
    with db.begin() as conn:
        for _ in range(ledger.MAX_ATTEMPTS):
            claimed = ledger.claim(
                conn,
                team_id=ids["Alpha"],
                iso_week="2026-W47",
                template_version="1",
                chat_id=-2001,
                now=now,
                stale_after=STALE_CLAIM,
            )
            assert claimed is not None
            ledger.mark_failed(conn, team_id=ids["Alpha"], iso_week="2026-W47", error="boom")
        assert (
            ledger.claim(
                conn,
                team_id=ids["Alpha"],
                iso_week="2026-W47",
                template_version="1",
                chat_id=-2001,
                now=now,
                stale_after=STALE_CLAIM,
            )
            is None
        )
        pending = ledger.teams_to_send(conn, iso_week="2026-W47", now=now, stale_after=STALE_CLAIM)
    assert [target.team.name for target in pending] == ["Bravo", "Charlie"]


# --- DST -----------------------------------------------------------------------------------------


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


DST_CASES = [
    # Spring forward, Sunday 2027-03-28 01:00 GMT -> 02:00 BST. Sunday 01:30 does not exist.
    pytest.param(
        "sun 01:30",
        _utc(2027, 3, 27, 0, 0),
        _utc(2027, 3, 28, 1, 0),
        [("2027-W11", _utc(2027, 3, 28, 1, 30)), ("2027-W12", _utc(2027, 4, 4, 0, 30))],
        id="spring-sun-01:30",
    ),
    pytest.param(
        "mon 09:00",
        _utc(2027, 3, 27, 0, 0),
        _utc(2027, 3, 28, 1, 0),
        # W11 was due since Monday 22 March: the first run (Saturday) catches it up.
        [
            ("2027-W11", _utc(2027, 3, 27, 0, 0)),
            ("2027-W12", _utc(2027, 3, 29, 8, 0)),
            ("2027-W13", _utc(2027, 4, 5, 8, 0)),
        ],
        id="spring-mon-09:00",
    ),
    # Fall back, Sunday 2026-10-25 02:00 BST -> 01:00 GMT. Sunday 01:30 happens twice.
    pytest.param(
        "sun 01:30",
        _utc(2026, 10, 24, 0, 0),
        _utc(2026, 10, 25, 1, 0),
        [("2026-W42", _utc(2026, 10, 25, 0, 30)), ("2026-W43", _utc(2026, 11, 1, 1, 30))],
        id="autumn-sun-01:30",
    ),
    pytest.param(
        "mon 09:00",
        _utc(2026, 10, 24, 0, 0),
        _utc(2026, 10, 25, 1, 0),
        [
            ("2026-W42", _utc(2026, 10, 24, 0, 0)),
            ("2026-W43", _utc(2026, 10, 26, 9, 0)),
            ("2026-W44", _utc(2026, 11, 2, 9, 0)),
        ],
        id="autumn-mon-09:00",
    ),
]


@pytest.mark.parametrize(("schedule", "start", "change", "expected"), DST_CASES)
async def test_dst_weekends_neither_drop_nor_double_a_digest(
    bot: BotHarness,
    second_instance: tuple[ExtBot[None], Database],
    schedule: str,
    start: datetime,
    change: datetime,
    expected: list[tuple[str, datetime]],
) -> None:
    await _setup(bot, teams_with_chats)
    settings = _settings(bot, digest_schedule=schedule)
    # Every 10 minutes from Saturday to Tuesday noon, then the day around the next slot; plus
    # a second either side of every slot and of the clock change itself.
    instants = {start + timedelta(minutes=10 * i) for i in range(6 * 84)}
    last_slot = expected[-1][1]
    instants |= {last_slot + timedelta(minutes=10 * i) for i in range(-72, 72)}
    for slot in (change, *(at for _, at in expected)):
        instants |= {slot - timedelta(seconds=1), slot, slot + timedelta(seconds=1)}
    # Alternate between two processes on the same database, as if restarting all the time.
    other_bot, other_db = second_instance
    runners = [(bot.app.bot, _db(bot)), (other_bot, other_db)]
    sent: list[tuple[str, str, datetime]] = []
    for i, now in enumerate(sorted(at for at in instants if at >= start)):
        sender, db = runners[i % 2]
        report = await send_due_digests(sender, db, settings, now=now)
        assert report.failed == []
        sent += [(name, report.iso_week or "?", now) for name in report.sent]

    for team in CHATS:
        assert [(week, at) for name, week, at in sent if name == team] == expected, team
    assert media_groups(bot.api) == Counter({c: len(expected) for c in CHATS.values()})


# --- Telegram limits and failures ----------------------------------------------------------------


@pytest.fixture
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta ``retry_after``, so its int deprecation warning (an error under
    this suite's warning filter) stays out of the way."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.mark.usefixtures("timedelta_retry_after")
async def test_a_429_is_retried_after_retry_after_within_the_run(bot: BotHarness) -> None:
    await _setup(bot, teams_with_chats)
    bot.api.fail_next("sendMediaGroup", status=429, retry_after=1)

    report = await _run(bot, MONDAY_SLOT, concurrency=1)

    assert sorted(report.sent) == ["Alpha", "Bravo", "Charlie"] and report.failed == []
    throttled, retried = _requests(bot.api, "sendMediaGroup")[:2]
    assert throttled.status == 429 and retried.status == 200
    assert throttled.params["chat_id"] == retried.params["chat_id"] == -2001
    assert retried.at - throttled.at >= 1.0
    assert bot.api.sent_texts(ADMIN_ID) == []


@pytest.mark.usefixtures("timedelta_retry_after")
async def test_429_and_5xx_fail_only_their_teams_admins_are_told_and_the_next_run_retries(
    bot: BotHarness,
) -> None:
    ids = await _setup(bot, teams_with_chats)
    # Sequential sending (concurrency=1), so the faults land on known teams: Alpha's album is
    # throttled more often than the rate limiter retries (3), Bravo's text meets a 500.
    bot.api.fail_next("sendMediaGroup", status=429, retry_after=1, times=4)
    bot.api.fail_next("sendMessage", status=500)

    report = await _run(bot, MONDAY_SLOT, concurrency=1)

    assert report.sent == ["Charlie"]
    assert [(f.team, f.will_retry) for f in report.failed] == [("Alpha", True), ("Bravo", True)]
    assert report.failed[0].error == posting.SLOW_DOWN  # plain words, not Telegram's
    assert media_groups(bot.api) == Counter({-2002: 1, -2003: 1})
    [summary] = bot.api.sent_texts(ADMIN_ID)
    assert "2026-W47" in summary and "Alpha" in summary and "Bravo" in summary
    assert "Charlie" not in summary
    rows = {r.team_id: r for r in await _db(bot).run(ledger.entries, iso_weeks=["2026-W47"])}
    assert rows[ids["Alpha"]].status == "failed" and rows[ids["Bravo"]].status == "failed"
    assert rows[ids["Bravo"]].parts.keys() == {"charts"}
    assert rows[ids["Charlie"]].status == "sent"

    retry = await _run(bot, MONDAY_SLOT + timedelta(minutes=10))

    assert sorted(retry.sent) == ["Alpha", "Bravo"] and retry.failed == []
    assert media_groups(bot.api) == Counter({-2001: 1, -2002: 1, -2003: 1})  # no second album
    assert [len(bot.api.sent_texts(c)) for c in CHATS.values()] == [1, 1, 1]
    assert len(bot.api.sent_texts(ADMIN_ID)) == 1  # nothing new to report
    rows = {r.team_id: r for r in await _db(bot).run(ledger.entries, iso_weeks=["2026-W47"])}
    assert {(r.status, r.attempts) for r in rows.values() if r.team_id != ids["Charlie"]} == {
        ("sent", 2)
    }


# --- Scheduling through PTB's JobQueue -----------------------------------------------------------


async def test_jobs_are_scheduled_in_local_time_with_ptb_weekdays(bot: BotHarness) -> None:
    jobs.schedule(bot.app)
    jq = bot.app.job_queue
    assert jq is not None
    try:
        [weekly] = jq.get_jobs_by_name(jobs.DIGEST_JOB)
        [nudge] = jq.get_jobs_by_name(jobs.NUDGE_JOB)
        [catch_up] = jq.get_jobs_by_name(jobs.CATCH_UP_JOB)
        assert weekly.job.misfire_grace_time == 3600 and catch_up.job.misfire_grace_time == 600
        thursday = datetime(2026, 11, 26, 12, 0, tzinfo=LONDON)
        assert weekly.job.trigger.get_next_fire_time(None, thursday) == datetime(
            2026, 11, 30, 9, 0, tzinfo=LONDON
        )
        assert nudge.job.trigger.get_next_fire_time(None, thursday) == datetime(
            2026, 11, 26, 17, 0, tzinfo=LONDON
        )

        # A slot inside the clock changes fires when the ledger's rule says it is due.
        bot.app.bot_data.settings = _settings(bot, digest_schedule="sun 01:30")
        jobs.schedule(bot.app)
        [weekly] = jq.get_jobs_by_name(jobs.DIGEST_JOB)
        sched = WeeklySchedule.parse("sun 01:30")
        for saturday in (date(2027, 3, 27), date(2026, 10, 24)):
            fires = weekly.job.trigger.get_next_fire_time(
                None, datetime(saturday.year, saturday.month, saturday.day, 12, tzinfo=LONDON)
            )
            # In UTC: PEP 495 makes a wall time in a gap or fold unequal to any other zone's.
            assert fires.astimezone(UTC) == scheduled_at(saturday, sched, LONDON)
    finally:
        for job in jq.jobs():
            job.schedule_removal()


async def test_the_catch_up_job_sends_missed_digests_on_start(bot: BotHarness) -> None:
    await _setup(bot, teams_with_chats)
    jobs.schedule(bot.app)
    jq = bot.app.job_queue
    assert jq is not None
    try:
        [catch_up] = jq.get_jobs_by_name(jobs.CATCH_UP_JOB)
        # The harness clock says Thursday 26 November: W47's Monday slot has passed.
        await catch_up.run(bot.app)
        await catch_up.run(bot.app)
    finally:
        for job in jq.jobs():
            job.schedule_removal()
    assert media_groups(bot.api) == Counter({-2001: 1, -2002: 1, -2003: 1})


# --- Nudges --------------------------------------------------------------------------------------

NUDGE_SLOT = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # Thursday 17:00 GMT
W48 = date(2026, 11, 23)


def nudge_team(conn: Connection) -> dict[str, int]:
    alpha = make_team(conn, "Alpha", chat_id=-2001)
    bravo = make_team(conn, "Bravo", chat_id=-2002)
    behind = make_member(conn, alpha, 3101, "Bea Behind", Role.ORGANISER)
    log(conn, behind, alpha, "one_to_one", 2, W48, note="never in a nudge")
    on_pace = make_member(conn, alpha, 3102, "Cal OnPace", Role.ORGANISER)
    log(conn, on_pace, alpha, "one_to_one", 9, W48 + timedelta(days=1))
    paused = make_member(conn, alpha, 3103, "Dee Paused", Role.ORGANISER)
    people.set_nudges_paused(conn, paused, True)
    absent = make_member(conn, alpha, 3104, "Eve Away", Role.ORGANISER)
    away(conn, absent, W48, W48 + timedelta(days=6))
    two_teams = make_member(conn, alpha, 3105, "Fay Twoteams", Role.ORGANISER)
    make_member(conn, bravo, 3105, "Fay Twoteams", Role.COUNCILLOR)
    make_member(conn, alpha, 3106, "Mo Manager", Role.MANAGER)
    return {"behind": behind, "two_teams": two_teams}


def _private_texts(api: FakeBotAPI) -> list[tuple[int, str]]:
    return [
        (int(r.params["chat_id"]), str(r.params["text"]))
        for r in api.requests
        if r.method == "sendMessage" and r.status == 200
    ]


async def _nudge(bot: BotHarness, now: datetime) -> NudgeRunReport:
    settings = _settings(bot)
    return await digest_run.send_nudges(
        _poster(bot.app.bot, settings),
        _db(bot),
        schedule=settings.nudge_at,
        moment=Moment(now, settings.tz, KINDS),
    )


async def test_nudge_goes_privately_once_a_week_to_members_behind_pace_only(
    bot: BotHarness,
) -> None:
    await _setup(bot, nudge_team)

    assert (await _nudge(bot, NUDGE_SLOT - timedelta(minutes=1))).sent == []
    report = await _nudge(bot, NUDGE_SLOT)

    assert sorted(report.sent) == [3101, 3105]
    sent = dict(_private_texts(bot.api))
    assert set(sent) == {3101, 3105}  # private chats only: never a group
    assert "one-to-one: 2/15, about 9 by today" in sent[3101] and "never" not in sent[3101]
    assert "(Alpha)" in sent[3105] and "(Bravo)" in sent[3105]  # one message for both teams
    assert "/pause" in sent[3101]

    assert (await _nudge(bot, NUDGE_SLOT + timedelta(minutes=10))).sent == []
    assert len(_private_texts(bot.api)) == 2


async def test_nudge_is_not_sent_long_after_its_slot(bot: BotHarness) -> None:
    await _setup(bot, nudge_team)
    assert (await _nudge(bot, NUDGE_SLOT + NUDGE_WINDOW)).sent == []
    assert (await _nudge(bot, NUDGE_SLOT + NUDGE_WINDOW - timedelta(minutes=1))).sent != []


async def test_a_failed_nudge_is_retried_by_the_next_run(bot: BotHarness) -> None:
    await _setup(bot, nudge_team)
    bot.api.fail_next("sendMessage", status=502)

    first = await _nudge(bot, NUDGE_SLOT)
    assert first.failed == [3101] and first.sent == [3105]
    second = await _nudge(bot, NUDGE_SLOT + timedelta(minutes=10))
    assert second.sent == [3101] and second.failed == []


def _png_header(width: int, height: int) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + width.to_bytes(4, "big")
        + (height.to_bytes(4, "big"))
        + b"\x08\x02\x00\x00\x00"
    )


@pytest.mark.parametrize(("height", "kind"), [(2000, "photo"), (4400, "document")])
async def test_tall_charts_go_as_documents_so_telegram_does_not_shrink_them(
    height: int, kind: str
) -> None:
    from telegram import Bot

    from organiser_bot.domain.digest import RenderedDigest, TeamDigest

    digest = TeamDigest("North", "2026-W47", date(2026, 11, 16), (), {}, ())
    rendered = RenderedDigest(
        digest,
        "text",
        (("week.png", _png_header(1080, height)), ("trend.png", _png_header(1080, 700))),
        "hash",
    )
    async with FakeBotAPI() as api, Bot(api.token, base_url=api.base_url) as bot:
        parts = await posting.post_digest(bot, -100, rendered)
        [album] = api.calls("sendMediaGroup")
    assert [m["type"] for m in album["media"]] == [kind, kind]
    assert set(parts) == {"charts", "text"}


def test_the_run_knows_neither_telegram_nor_the_adapter_nor_charts() -> None:
    import subprocess
    import sys

    code = (
        "import sys, organiser_bot.usecases.digest_run, organiser_bot.usecases.digests\n"
        "bad = {'telegram', 'handlers', 'charts', 'matplotlib'}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in bad)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_the_daily_job_forgets_processed_updates_older_than_a_week(bot: BotHarness) -> None:
    from storage import processed

    jobs.schedule(bot.app)
    jq = bot.app.job_queue
    assert jq is not None
    try:
        [prune] = jq.get_jobs_by_name(jobs.PRUNE_JOB)
        now = bot.app.bot_data.now()
        for days, key in ((8, "m:1:1"), (6, "m:1:2")):
            await _db(bot).run(processed.claim, key, at=now - timedelta(days=days))
        await prune.run(bot.app)
        assert await _db(bot).run(processed.claim, "m:1:1", at=now)  # forgotten: free again
        assert not await _db(bot).run(processed.claim, "m:1:2", at=now)  # still known
    finally:
        for job in jq.jobs():
            job.schedule_removal()
