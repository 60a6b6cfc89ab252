"""``/export`` and ``/diary`` through the bot: the document sent, and times shown only when the
person gave one, whichever way the entry came (a quick log, ``/log``, an edited message)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from tests.conftest import ADMIN_ID, OfflineBot

MANAGER = 1500
ORGANISER = 2001


async def _join(bot: OfflineBot, user_id: int, role: str, name: str) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite north-ward {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    assert "Welcome" in await bot.say(user_id, f"/start {code.group(1)}", first_name=name)


@pytest.fixture
async def org(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward, a manager and an organiser, members since last week; the clock
    is then Thursday 26 Nov 2026, 16:00 UTC (London is on GMT), after 2pm."""
    now = offline_bot.clock.now
    offline_bot.clock.now = now - timedelta(weeks=1)
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, MANAGER, "manager", "Mia")
    await _join(offline_bot, ORGANISER, "organiser", "Sam")
    offline_bot.clock.now = now.replace(hour=16)
    return offline_bot


async def _export(bot: OfflineBot) -> tuple[bytes, dict[str, dict[str, str]]]:
    [doc] = await bot.replies(bot.message(MANAGER, "/export"), "sendDocument")
    content = next(iter(doc.files.values()))
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return content, {r["note"] or r["kind"]: r for r in rows}


async def test_the_document_has_a_bom_and_times_only_where_given(org: OfflineBot) -> None:
    await org.say(ORGANISER, "doors 3 yesterday")
    await org.say(ORGANISER, "121 Jo 2pm")
    await org.say(ORGANISER, "/log 121 Ann 10am")
    first = org.message(ORGANISER, "121 Bo")
    await org.process(first)
    await org.process(org.updates.edited(first, "121 Bo 3pm"))
    content, rows = await _export(org)
    assert content.startswith(b"\xef\xbb\xbfdate,time,team,team_name,person,role,")
    doors = rows["resident contact"]
    assert (doors["date"], doors["time"], doors["occurred_at"]) == ("2026-11-25", "", "")
    assert (rows["Jo"]["time"], rows["Jo"]["occurred_at"]) == ("14:00", "2026-11-26T14:00:00Z")
    assert rows["Ann"]["time"] == "10:00"  # /log
    assert rows["Bo"]["time"] == "15:00"  # the edit gave a time
    assert {r["role"] for r in rows.values()} == {"organiser"}
    assert {r["recorded_at"] for r in rows.values()} == {"2026-11-26T16:00:00Z"}
    caption = org.calls("sendDocument")[-1]["caption"]
    assert caption.startswith("4 entries") and "notes" in caption


async def test_the_diary_shows_a_time_only_where_one_was_given(org: OfflineBot) -> None:
    await org.say(ORGANISER, "doors 3 yesterday")
    await org.say(ORGANISER, "121 Jo 2pm")
    diary = (await org.say(ORGANISER, "/diary")).splitlines()
    assert "  3 × resident contact" in diary
    assert any(line.startswith("  14:00 one-to-one") for line in diary), diary
    assert not any("12:00" in line or "16:00" in line for line in diary), diary
