"""The real bot, killed at random moments, loses no message and stores none twice.

The bot runs as a subprocess (``python -m organiser_bot.cli run``) against the fake Bot API in
this process, which follows Telegram's ``getUpdates`` offset rules: an update stays pending until
a later call's ``offset`` confirms it. Several organisers send a stream of quick logs and
commands while the bot is SIGKILLed at random moments (while starting, while polling, while
replying) and restarted each time; then it runs to a clean stop. Afterwards:

* every quick log and ``/log`` sent is stored exactly once, line for line (entries are keyed by
  their source message);
* no entry exists that was never sent;
* every message got at least one reply (a confirmation names its message's note; every
  ``/week`` is answered at least as often as it was sent).

The seed is printed (``-s`` shows it) and can be fixed with ``CRASH_SEED``; ``CRASH_KILLS`` sets
the number of kills per backend (default 20 on each of SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from storage.engine import make_engine
from storage.models import Activity
from storage.query import table_of
from tests.fakebot import FakeBotAPI

ADMIN = 1000
USERS = (2101, 2102, 2103, 2104)
#: Per backend: 10 on SQLite and 10 on PostgreSQL make the 20 kills of each CI run; a start costs
#: about 3 s (importing the bot, migrations checked, command menus set).
KILLS = int(os.environ.get("CRASH_KILLS", "20"))
ROOT = Path(__file__).resolve().parents[1]
#: Generous: a start imports the bot and applies migrations; CI machines are slow.
WAIT = 30.0


@dataclass
class Sent:
    """What the organisers sent: quick logs and /log by note token, /week per chat."""

    lines: dict[tuple[int, int], int] = field(default_factory=dict)  # (chat, message) -> lines
    tokens: dict[str, int] = field(default_factory=dict)  # note token -> chat
    weeks: Counter[int] = field(default_factory=Counter)  # chat -> /week sent

    def per_chat(self) -> Counter[int]:
        """How many messages each chat sent."""
        counts = Counter(chat for chat, _message in self.lines)
        counts.update(self.weeks)
        return counts


class BotProcess:
    """The bot as a subprocess; its output goes to a log file read on failure."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self._env = env
        self._log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with self._log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts + 1}\n".encode())
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "organiser_bot.cli", "run"],
                env=self._env,
                cwd=self._log_path.parent,  # no .env from the checkout
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.proc.wait)

    async def stop(self) -> int:
        """Stop cleanly (SIGINT, as Ctrl-C); return the exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        return await asyncio.to_thread(self.proc.wait, WAIT)

    def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self) -> str:
        return self._log_path.read_text(errors="replace")[-6000:]


def _replies(api: FakeBotAPI, chat_id: int, *, since: int) -> list[str]:
    return [
        str(r.params.get("text", ""))
        for r in api.requests[since:]
        if r.method == "sendMessage" and r.params.get("chat_id") == chat_id and not r.fault
    ]


async def _join_team(api: FakeBotAPI) -> None:
    """Through the bot: the admin creates a team and each organiser joins it."""
    since = len(api.requests)
    api.user_message(ADMIN, "/newteam Crash Test")
    await api.wait_for("sendMessage", lambda p: p["chat_id"] == ADMIN, since=since, timeout=WAIT)
    for user in USERS:
        since = len(api.requests)
        api.user_message(ADMIN, "/invite crash-test organiser")
        [invite] = await api.wait_for(
            "sendMessage", lambda p: p["chat_id"] == ADMIN, since=since, timeout=WAIT
        )
        code = re.search(r"start=([\w-]+)", invite.params["text"])
        assert code, invite.params["text"]
        since = len(api.requests)
        api.user_message(user, f"/start {code.group(1)}", first_name=f"Org{user}")
        [welcome] = await api.wait_for(
            "sendMessage", lambda p, u=user: p["chat_id"] == u, since=since, timeout=WAIT
        )
        assert "Welcome" in welcome.params["text"], welcome.params["text"]


def _send_some(api: FakeBotAPI, rng: random.Random, sent: Sent, how_many: int) -> None:
    """Push ``how_many`` messages: mostly quick logs (one or two lines), some /log and /week."""
    for _ in range(how_many):
        user = rng.choice(USERS)
        roll = rng.random()
        if roll < 0.15:
            update = api.user_message(user, "/week")
            sent.weeks[user] += 1
            continue
        token = f"t{len(sent.tokens) + 1}"
        n_lines = 2 if roll > 0.85 else 1
        lines = [f"doors {rng.randint(1, 9)} {token}"]
        if n_lines == 2:
            lines.append(f"121 {token}x")
        text = "\n".join(lines)
        if 0.15 <= roll < 0.3:
            text = f"/log {lines[0]}"
            n_lines = 1
        update = api.user_message(user, text)
        message = update["message"]
        sent.lines[(message["chat"]["id"], message["message_id"])] = n_lines
        sent.tokens[token] = user


async def _random_moment(
    api: FakeBotAPI, rng: random.Random, since: int, pushed: int, *, starting: bool
) -> str:
    """Wait for a random point of the bot's life: starting (when ``starting``), fetching, or
    replying to one of the ``pushed`` messages (a ``getUpdates`` returns them, the next
    confirms them)."""
    method, count = rng.choice(
        [("getMe", 1)] * starting
        + [("getUpdates", 1), ("getUpdates", 2)]
        + [("sendMessage", k) for k in range(1, pushed + 1)]
    )
    await api.wait_for(method, count=count, since=since, timeout=WAIT)
    return f"{method}#{count}"


def _stored(db_url: str) -> list[tuple[int, int, int, str]]:
    activity = table_of(Activity)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    activity.c.source_chat_id,
                    activity.c.source_message_id,
                    activity.c.source_line,
                    activity.c.note,
                )
            ).all()
    finally:
        engine.dispose()
    return [(int(r[0]), int(r[1]), int(r[2]), str(r[3] or "")) for r in rows]


async def test_sigkill_at_random_moments_loses_no_message_and_stores_none_twice(
    db_url: str, tmp_path: Path
) -> None:
    seed = int(os.environ.get("CRASH_SEED", str(time.time_ns() % 1_000_000)))
    print(f"crash test seed {seed} (CRASH_SEED={seed} to repeat), {KILLS} kills")
    rng = random.Random(seed)
    started = time.monotonic()
    async with FakeBotAPI() as api:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE"))},
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": db_url,
            "ADMIN_TELEGRAM_IDS": str(ADMIN),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        bot = BotProcess(env, tmp_path / "bot.log")
        sent = Sent()
        moments: list[str] = []
        try:
            bot.start()
            await _join_team(api)
            joined = len(api.requests)
            for kill in range(KILLS):
                since = len(api.requests)
                pushed = rng.randint(1, 6)
                _send_some(api, rng, sent, pushed)
                moments.append(await _random_moment(api, rng, since, pushed, starting=kill > 0))
                await bot.kill()
                # Messages sent while the bot is down wait at Telegram.
                _send_some(api, rng, sent, rng.randint(0, 2))
                bot.start()
            # The last life: every message is answered at least once, then a clean stop.
            # A reply cannot name its message (a redelivered one that was carried out before
            # is answered as such), so replies are counted per chat, from the join on.
            for chat, count in sent.per_chat().items():
                await api.wait_for(
                    "sendMessage",
                    lambda p, c=chat: p["chat_id"] == c,
                    count=count,
                    since=joined,
                    timeout=WAIT,
                )
            assert await bot.stop() == 0, bot.output()
        except BaseException:
            print(bot.output())
            raise
        finally:
            bot.ensure_dead()
    elapsed = time.monotonic() - started
    print(
        f"{bot.starts} starts, {KILLS} SIGKILLs at {Counter(moments)}; "
        f"{len(sent.lines)} logs, {sum(sent.weeks.values())} /week; {elapsed:.1f} s"
    )

    stored = _stored(db_url)
    by_message = Counter((chat, message) for chat, message, _line, _note in stored)
    # Exactly once, line for line; nothing that was never sent.
    assert dict(by_message) == sent.lines
    assert len(set(stored)) == len(stored)
    for chat, count in sent.per_chat().items():
        assert len(_replies(api, chat, since=joined)) >= count
    assert not api.pending_updates, "every update was confirmed at the end"
