"""Quick-log hot path: cost per update and event-loop lag, against an echo bot in the same run.

    python bench/bench_quicklog.py [--updates 2000] [--database-url URL] [--grammar-only]

Each update goes through the real ``Application.process_update`` with an in-process Bot API
transport, so the figures are PTB + handler + database, without network. The baseline is an
echo handler through the same path (DESIGN.md: PTB costs ~0.2-0.3 ms per update; the quick-log
path should cost no more than ~3x that). Loop lag is how late a 1 ms ticker fires while
updates are processed 8 at a time: database work runs in a thread, so it should stay small.
The same quick logs are then run as polling delivers them: each batch of 100 stored in the
update inbox (crash-safe intake, one write per batch) and marked done after processing.
The grammar's own share is timed alone too (``parse_quick_log`` on typical lines, no I/O);
``--grammar-only`` prints just that.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# Run as ``python bench/bench_quicklog.py`` from a checkout: the repository root holds the
# packages and ``tests``, whose in-process Bot API the tests share.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, MessageHandler, filters

from organiser_bot.app import build_application
from organiser_bot.domain.access import Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.quicklog import parse_quick_log
from organiser_bot.domain.roles import Role
from organiser_bot.settings import Settings
from storage import people
from tests.offline import OfflineRequest, Updates

USERS = 50

#: Typical lines for the grammar-only timing: plain, counted, dated, tagged, and refused.
GRAMMAR_LINES = (
    "121 Sam Patel tenants assoc",
    "doors 3 Elm Road",
    "doors 14 yesterday at 18:30",
    "121 Jo yesterday evening",
    "case 2 housing repair last tue #north",
    "2x121 Sam and Jo",
    "121 Jo tomorrow",
    "thanks!",
)


def _unthrottled() -> AIORateLimiter:
    # The limiter's own code path, with Telegram's 30/s cap off: the cap limits how fast
    # replies may leave, not what processing an update costs, which is what is measured here.
    return AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)


async def _echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message and update.effective_message.text:
        await update.effective_message.reply_text(update.effective_message.text)


async def _drive(app: Any, updates: list[dict[str, Any]], *, concurrency: int) -> dict[str, float]:
    """Process updates; return per-update wall time and loop-lag figures."""
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            start = loop.time()
            await asyncio.sleep(0.001)
            lags.append((loop.time() - start - 0.001) * 1000)

    tick = asyncio.create_task(ticker())
    queue = list(updates)
    started = time.perf_counter()

    async def worker() -> None:
        while queue:
            data = queue.pop(0)
            await app.process_update(Update.de_json(data, app.bot))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    stop.set()
    await tick
    lags.sort()
    return {
        "ms_per_update": elapsed * 1000 / len(updates),
        "lag_p99_ms": lags[int(len(lags) * 0.99) - 1] if lags else 0.0,
        "lag_max_ms": lags[-1] if lags else 0.0,
    }


async def _drive_inbox(
    app: Any, updates: list[dict[str, Any]], *, concurrency: int, batch: int
) -> float:
    """Milliseconds per update as polling delivers them: each fetched batch stored in the
    inbox (one write), then processed ``concurrency`` at a time and marked done."""
    intake = app.bot.intake
    started = time.perf_counter()
    for first in range(0, len(updates), batch):
        fetched = tuple(Update.de_json(d, app.bot) for d in updates[first : first + batch])
        await intake.received(fetched)
        queue = list(fetched)

        async def worker(queue: list[Update] = queue) -> None:
            while queue:
                await app.process_update(queue.pop(0))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    await intake.close()  # the last done marks, written
    return (time.perf_counter() - started) * 1000 / len(updates)


def _messages(updates: Updates, n: int, text: str) -> list[dict[str, Any]]:
    # Fresh update and message ids every time: a repeated message id would be a replay.
    users = [10_000 + i % USERS for i in range(n)]
    return [updates.private(user, text, first_name=f"U{user}") for user in users]


async def _baseline(n: int, *, limiter: bool) -> dict[str, float]:
    request = OfflineRequest()
    updates = Updates(chats=request.chats)
    builder = ApplicationBuilder().token("1:BENCH").request(request).get_updates_request(request)
    if limiter:
        builder = builder.rate_limiter(_unthrottled())
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    async with app:
        await _drive(app, _messages(updates, 200, "warm up"), concurrency=1)
        sequential = await _drive(app, _messages(updates, n, "hello"), concurrency=1)
    return sequential


async def _quicklog(n: int, url: str) -> tuple[dict[str, float], dict[str, float]]:
    settings = Settings(
        telegram_bot_token="1:BENCH",  # type: ignore[arg-type]
        database_url=url,
        _env_file=None,  # type: ignore[call-arg]
    )
    request = OfflineRequest()
    updates = Updates(chats=request.chats)
    app = build_application(
        settings, schedule_jobs=False, request=request, rate_limiter=_unthrottled()
    )
    async with app:
        await app.post_init(app)
        db = app.bot_data.db
        now = app.bot_data.now()

        def setup(conn: Any) -> None:
            team = people.create_team(conn, name="Bench", slug="bench", now=now)
            for i in range(USERS):
                person = people.ensure_person(conn, Identity(10_000 + i, f"U{i}"), now=now)
                people.add_membership(
                    conn, person_id=person, team_id=team, role=Role.ORGANISER, now=now
                )

        await db.run(setup)
        await _drive(app, _messages(updates, 200, "121 warm up"), concurrency=1)
        sequential = await _drive(
            app, _messages(updates, n, "121 Sam Patel tenants assoc"), concurrency=1
        )
        concurrent = await _drive(app, _messages(updates, n, "doors 3 Elm Road"), concurrency=8)
        inbox_ms = await _drive_inbox(
            app, _messages(updates, n, "doors 3 Elm Road"), concurrency=8, batch=100
        )
        concurrent["inbox_ms_per_update"] = inbox_ms
        await app.post_shutdown(app)
    return sequential, concurrent


def _grammar(n: int) -> float:
    """Microseconds per line of ``parse_quick_log`` alone, best of five rounds."""
    kinds = KindRegistry()
    tz = ZoneInfo("Europe/London")
    now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    lines = [GRAMMAR_LINES[i % len(GRAMMAR_LINES)] for i in range(n)]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for line in lines:
            parse_quick_log(line, now=now, tz=tz, kinds=kinds)
        best = min(best, time.perf_counter() - started)
    return best * 1e6 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--grammar-only", action="store_true", help="time the grammar alone")
    args = parser.parse_args()
    grammar_us = _grammar(args.updates)
    if args.grammar_only:
        print(f"grammar alone (parse_quick_log)     {grammar_us:.1f} us/line")
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        echo = asyncio.run(_baseline(args.updates, limiter=False))
        echo_rl = asyncio.run(_baseline(args.updates, limiter=True))
        seq, conc = asyncio.run(_quicklog(args.updates, url))
    backend = url.split(":", 1)[0]
    print(f"updates per run: {args.updates}; database: {backend}")
    print(f"baseline echo (PTB only)            {echo['ms_per_update']:.3f} ms/update")
    print(f"baseline echo + limiter code path      {echo_rl['ms_per_update']:.3f} ms/update")
    print(
        f"quick log, one at a time            {seq['ms_per_update']:.3f} ms/update "
        f"({seq['ms_per_update'] / echo['ms_per_update']:.1f}x echo, "
        f"{seq['ms_per_update'] / echo_rl['ms_per_update']:.1f}x echo+limiter)"
    )
    print(
        f"quick log, 8 concurrent             {conc['ms_per_update']:.3f} ms/update "
        f"= {1000 / conc['ms_per_update']:.0f} logs/s"
    )
    print(
        f"quick log, 8 concurrent, via inbox  {conc['inbox_ms_per_update']:.3f} ms/update "
        f"(batches of 100 stored, then marked done, as polling delivers them)"
    )
    print(
        f"event-loop lag during quick logs    p99 {conc['lag_p99_ms']:.2f} ms, "
        f"max {conc['lag_max_ms']:.2f} ms (echo max {echo['lag_max_ms']:.2f} ms)"
    )
    print(
        f"grammar alone (parse_quick_log)     {grammar_us:.1f} us/line "
        f"({grammar_us / 10 / seq['ms_per_update']:.1f}% of a quick log)"
    )
    print("budget: quick log <= ~3x PTB's own cost per update; loop lag < 5 ms")


if __name__ == "__main__":
    main()
