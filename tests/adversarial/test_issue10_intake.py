"""Issue #10, crash-safe intake, tried from the outside: the real bot polling the fake Bot API,
its inbox prepared as a crash would have left it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from telegram.ext import MessageHandler, filters

from handlers.texts import SORRY
from organiser_bot.app import build_application
from organiser_bot.settings import Settings
from storage import inbox
from storage.engine import Database, make_engine
from storage.models import Activity, Team
from storage.query import table_of
from tests.conftest import ADMIN_ID, FakeClock
from tests.fakebot import FakeBotAPI
from tests.test_intake import _inbox_ids, _running_bot

ORGANISER = 2501
STRANGER = 3501


def _scalar(db_url: str, stmt: Any) -> Any:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(stmt).scalar_one()
    finally:
        engine.dispose()


def _teams(db_url: str) -> int:
    return int(_scalar(db_url, select(func.count()).select_from(table_of(Team))))


def _entries(db_url: str, *, deleted: bool = False) -> int:
    activity = table_of(Activity)
    cond = activity.c.deleted_at.is_not(None) if deleted else activity.c.deleted_at.is_(None)
    return int(_scalar(db_url, select(func.count()).select_from(activity).where(cond)))


def _store_unfinished(db_url: str, updates: list[dict[str, Any]], *, at: Any) -> None:
    """What a SIGKILL after the batch write and before its handlers finished leaves behind."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            batch = [inbox.Received(u["update_id"], json.dumps(u)) for u in updates]
            inbox.store(conn, batch, at=at)
    finally:
        engine.dispose()


def _texts_to(api: FakeBotAPI, chat_id: int, since: int = 0) -> list[str]:
    return [
        str(r.params.get("text"))
        for r in api.requests[since:]
        if r.method == "sendMessage" and r.params.get("chat_id") == chat_id
    ]


async def _organiser_in_team(api: FakeBotAPI, db_url: str, clock: FakeClock) -> None:
    async with _running_bot(api, db_url, clock):
        await api.wait_for("getUpdates")
        api.user_message(ADMIN_ID, "/newteam North Ward")
        await api.wait_for("sendMessage", lambda p: p["chat_id"] == ADMIN_ID)
        since = len(api.requests)
        api.user_message(ADMIN_ID, "/invite north-ward organiser")
        [invite] = await api.wait_for(
            "sendMessage", lambda p: p["chat_id"] == ADMIN_ID, since=since
        )
        code = re.search(r"start=([\w-]+)", invite.params["text"])
        assert code
        api.user_message(ORGANISER, f"/start {code.group(1)}")
        await api.wait_for("sendMessage", lambda p: p["chat_id"] == ORGANISER)


# ---------------------------------------------------------------- a handler that raised


async def test_an_update_whose_handler_raised_is_not_run_again_after_a_restart(
    db_url: str, clock: FakeClock
) -> None:
    calls: list[int] = []

    async def explode(update: Any, _context: Any) -> None:
        calls.append(update.update_id)
        raise RuntimeError("handler failed")

    async with FakeBotAPI() as api:
        failing = MessageHandler(filters.Regex("^boom$"), explode)
        async with _running_bot(api, db_url, clock, extra=failing):
            update = api.user_message(STRANGER, "boom")
            await api.wait_for("sendMessage", lambda p: p["chat_id"] == STRANGER)
        # The next start: nothing of it is recovered, nobody is told "sorry" twice.
        since = len(api.requests)
        failing = MessageHandler(filters.Regex("^boom$"), explode)
        async with _running_bot(api, db_url, clock, extra=failing):
            api.user_message(STRANGER, "/help")
            await api.wait_for("sendMessage", lambda p: p["chat_id"] == STRANGER, since=since)
        assert calls == [update["update_id"]]
        assert _texts_to(api, STRANGER).count(SORRY) == 1
        assert _inbox_ids(db_url, done=False) == set()


# ---------------------------------------------------------------- recovery with Telegram's copies


async def test_restart_with_a_full_inbox_while_telegram_redelivers_carries_each_out_once(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        # The admin is known already (a new person's concurrent first updates: see below).
        async with _running_bot(api, db_url, clock):
            api.user_message(ADMIN_ID, "/newteam Zero Ward")
            await api.wait_for("sendMessage", lambda p: p["chat_id"] == ADMIN_ID)
        api.clear()
        names = ["Alpha Ward", "Beta Ward", "Gamma Ward", "Delta Ward"]
        updates = [api.user_message(ADMIN_ID, f"/newteam {n}") for n in names]
        # The first three were fetched and stored, and the bot was killed before any was
        # handled; Telegram holds all four still (the confirming offset never went).
        _store_unfinished(db_url, updates[:3], at=clock.now)
        assert len(api.pending_updates) == 4
        async with _running_bot(api, db_url, clock):
            await api.wait_for("sendMessage", lambda p: p["chat_id"] == ADMIN_ID, count=4)
            # And Telegram sends one of them once more after everything (another redelivery).
            since = len(api.requests)
            api.redeliver(updates[0])
            [again] = await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == ADMIN_ID, since=since
            )
        replies = _texts_to(api, ADMIN_ID)
        assert SORRY not in replies
        assert _teams(db_url) == 5
        for name in names:
            assert sum(name in r for r in replies[:4]) == 1, replies
        # Redelivered: the same reply as the first time, nothing created.
        first_alpha = next(r for r in replies[:4] if "Alpha Ward" in r)
        assert again.params["text"] == first_alpha
        assert _inbox_ids(db_url, done=False) == set()
        assert {u["update_id"] for u in updates} <= _inbox_ids(db_url, done=True)


async def test_a_new_persons_first_updates_in_one_batch_are_each_carried_out(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        # Fetched in one batch (or recovered together from the inbox after a crash).
        names = ["Alpha Ward", "Beta Ward", "Gamma Ward"]
        for name in names:
            api.user_message(ADMIN_ID, f"/newteam {name}")
        async with _running_bot(api, db_url, clock):
            await api.wait_for("sendMessage", lambda p: p["chat_id"] == ADMIN_ID, count=3)
        replies = _texts_to(api, ADMIN_ID)
        assert SORRY not in replies
        assert _teams(db_url) == len(names)


async def test_an_already_processed_update_in_a_batch_changes_nothing_and_is_answered_the_same(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        await _organiser_in_team(api, db_url, clock)
        since = len(api.requests)
        async with _running_bot(api, db_url, clock):
            log = api.user_message(ORGANISER, "doors 5 Elm Road\n121 Sam")
            [first] = await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == ORGANISER, since=since
            )
        assert _entries(db_url) == 2
        # Done in the inbox, key processed; Telegram delivers it again in a batch with a new one.
        clock.advance(minutes=5)
        since = len(api.requests)
        async with _running_bot(api, db_url, clock):
            api.redeliver(log)
            api.user_message(ORGANISER, "/week")
            await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == ORGANISER, count=2, since=since
            )
        texts = _texts_to(api, ORGANISER, since)
        assert first.params["text"] in texts
        assert _entries(db_url) == 2
        assert _inbox_ids(db_url, done=False) == set()


async def test_an_unfinished_row_older_than_a_day_counts_in_the_week_it_was_sent(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        clock.now -= timedelta(weeks=3)
        await _organiser_in_team(api, db_url, clock)
        clock.advance(weeks=3)
        # Thursday 26 Nov 12:00: the message was sent on Sunday 22 Nov 23:30 (the week before)
        # and the bot died after storing it; Telegram has since dropped its copy (> 24 h).
        sent_at = clock.now - timedelta(days=3, hours=12, minutes=30)
        pushed = api.user_message(ORGANISER, "doors 7 Oak Lane", date=int(sent_at.timestamp()))
        api.clear()
        _store_unfinished(db_url, [pushed], at=sent_at + timedelta(seconds=1))
        # Telegram no longer has it: only the inbox does.
        api._pending.clear()
        since = len(api.requests)
        async with _running_bot(api, db_url, clock):
            [reply] = await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == ORGANISER, since=since
            )
        assert "Oak Lane" in reply.params["text"]
        activity = table_of(Activity)
        engine = make_engine(db_url)
        with engine.connect() as conn:
            rows = conn.execute(select(activity.c.occurred_at, activity.c.occurred_on)).all()
        engine.dispose()
        assert [r.occurred_at for r in rows] == [sent_at.replace(microsecond=0)]
        assert rows[0].occurred_on < clock.now.date() - timedelta(days=2)
        assert _inbox_ids(db_url, done=False) == set()


# ---------------------------------------------------------------- updates that are not messages


async def test_a_tap_and_a_my_chat_member_go_through_the_inbox_and_recover_once(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        await _organiser_in_team(api, db_url, clock)
        since = len(api.requests)
        async with _running_bot(api, db_url, clock):
            api.user_message(ORGANISER, "121 Sam")
            [sent] = await api.wait_for(
                "sendMessage", lambda p: p["chat_id"] == ORGANISER, since=since
            )
            added = api.add_bot(-100555, user_id=ADMIN_ID, title="North Ward chat")
            await api.wait_for("getUpdates", since=len(api.requests), count=2)
        assert added["update_id"] in _inbox_ids(db_url, done=True)
        assert _entries(db_url) == 1

        # The Undo tap was stored and the bot killed; Telegram holds the tap too.
        data = sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        tap = api.callback_query(ORGANISER, data, message=sent.response["result"])
        _store_unfinished(db_url, [tap], at=clock.now)
        since = len(api.requests)
        async with _running_bot(api, db_url, clock):
            await api.wait_for("answerCallbackQuery", since=since)
            api.user_message(ORGANISER, "/week")
            await api.wait_for("sendMessage", lambda p: p["chat_id"] == ORGANISER, since=since)
        answers = [r for r in api.requests[since:] if r.method == "answerCallbackQuery"]
        assert len(answers) == 1  # recovered once, Telegram's copy skipped
        assert _entries(db_url) == 0 and _entries(db_url, deleted=True) == 1
        assert tap["update_id"] in _inbox_ids(db_url, done=True)
        assert _inbox_ids(db_url, done=False) == set()


# ---------------------------------------------------------------- pruning


async def test_done_rows_are_pruned_by_the_running_bot_after_a_day_and_not_before(
    db_url: str, clock: FakeClock
) -> None:
    db = Database(db_url)
    try:
        old = [inbox.Received(9_000_001, json.dumps({"update_id": 9_000_001}))]
        recent = [inbox.Received(9_000_002, json.dumps({"update_id": 9_000_002}))]
        db.call(inbox.store, old + recent, at=clock.now - timedelta(hours=30))
        db.call(inbox.finish, {9_000_001}, at=clock.now - timedelta(hours=24, minutes=5))
        db.call(inbox.finish, {9_000_002}, at=clock.now - timedelta(hours=23, minutes=55))
    finally:
        db.close()
    async with FakeBotAPI() as api, _running_bot(api, db_url, clock):
        update = api.user_message(STRANGER, "/help")
        await api.wait_for("sendMessage", lambda p: p["chat_id"] == STRANGER)
        api.user_message(STRANGER + 1, "/help")
        await api.wait_for("sendMessage", lambda p: p["chat_id"] == STRANGER + 1)
    done = _inbox_ids(db_url, done=True)
    assert 9_000_001 not in done  # done 24 h 5 min ago: pruned
    assert 9_000_002 in done  # done 23 h 55 min ago: kept
    assert update["update_id"] in done


# ---------------------------------------------------------------- the database down, then back


class _DownFor(Database):
    """The bot's database, refusing the first ``n`` batch writes and the first mark-done."""

    def __init__(self, url: str, n: int) -> None:
        super().__init__(url)
        self.left = n
        self.finish_failed = False

    def call(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        if fn is inbox.store and self.left > 0 and args[0]:
            self.left -= 1
            raise OperationalError("INSERT INTO inbox_update", {}, Exception("server closed"))
        if fn is inbox.finish and not self.finish_failed:
            self.finish_failed = True
            raise OperationalError("UPDATE inbox_update", {}, Exception("server closed"))
        return super().call(fn, *args, **kwargs)


async def test_a_database_down_for_several_batches_then_back_carries_each_out_once(
    db_url: str, clock: FakeClock
) -> None:
    async with FakeBotAPI() as api:
        settings = Settings(
            telegram_bot_token=api.token,  # type: ignore[arg-type]
            telegram_api_base_url=api.base_url,
            database_url=db_url,
            admin_telegram_ids=frozenset({ADMIN_ID}),
            _env_file=None,  # type: ignore[call-arg]
        )
        app: Any = build_application(settings, clock=clock, schedule_jobs=False)
        down = _DownFor(db_url, 2)
        # The admin is known already (a new person's concurrent first updates: see above).
        async with _running_bot(api, db_url, clock):
            api.user_message(ADMIN_ID, "/newteam Zero Ward")
            await api.wait_for("sendMessage", lambda p: p["chat_id"] == ADMIN_ID)
        api.clear()
        first = api.user_message(ADMIN_ID, "/newteam Down Ward")
        second = api.user_message(ADMIN_ID, "/newteam Back Ward")
        async with app:
            await app.post_init(app)
            app.bot.intake.open(down)
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                await api.wait_for(
                    "sendMessage", lambda p: p["chat_id"] == ADMIN_ID, count=2, timeout=20
                )
                since = len(api.requests)
                third = api.user_message(ADMIN_ID, "/newteam Third Ward")
                await api.wait_for(
                    "sendMessage", lambda p: p["chat_id"] == ADMIN_ID, since=since, timeout=10
                )
            finally:
                await app.updater.stop()
                await app.stop()
                await app.post_shutdown(app)
                down.close()
        assert down.left == 0 and down.finish_failed
        assert _teams(db_url) == 4
        assert len(_texts_to(api, ADMIN_ID)) == 3
        ids = {first["update_id"], second["update_id"], third["update_id"]}
        # The mark-done that failed was written later: nothing is left to run again.
        assert ids <= _inbox_ids(db_url, done=True)
        assert _inbox_ids(db_url, done=False) == set()


# ---------------------------------------------------------------- a stop with updates mid-flight


async def test_a_stop_with_updates_mid_flight_finishes_and_marks_them_done(
    db_url: str, clock: FakeClock
) -> None:
    started: list[int] = []
    release = asyncio.Event()
    all_started = asyncio.Event()

    async def slow(update: Any, _context: Any) -> None:
        started.append(update.update_id)
        if len(started) == 3:
            all_started.set()
        await release.wait()

    async with FakeBotAPI() as api:
        settings = Settings(
            telegram_bot_token=api.token,  # type: ignore[arg-type]
            telegram_api_base_url=api.base_url,
            database_url=db_url,
            admin_telegram_ids=frozenset({ADMIN_ID}),
            _env_file=None,  # type: ignore[call-arg]
        )
        app: Any = build_application(settings, clock=clock, schedule_jobs=False)
        # In group -2 and not blocking the rest: each /help still gets its answer afterwards.
        app.add_handler(MessageHandler(filters.Regex("^/help"), slow), group=-2)
        async with app:
            await app.post_init(app)
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            updates = [api.user_message(STRANGER + i, "/help") for i in range(3)]
            await asyncio.wait_for(all_started.wait(), 10)
            # SIGINT's path in run_polling: stop the updater, then the application; the
            # handlers are let go only once the application's stop has begun.
            await app.updater.stop()
            stopping = asyncio.create_task(app.stop())
            asyncio.get_running_loop().call_soon(release.set)
            await stopping
            await app.post_shutdown(app)
        ids = {u["update_id"] for u in updates}
        assert sorted(started) == sorted(ids)
        for i in range(3):
            assert len(_texts_to(api, STRANGER + i)) == 1
        assert ids <= _inbox_ids(db_url, done=True)
        assert _inbox_ids(db_url, done=False) == set()
