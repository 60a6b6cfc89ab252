"""Issue #9 through the bot (offline, Application.process_update): what a manager and a member
read for someone who joined on the Monday of the week, i.e. for the whole week."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import ADMIN_ID, OfflineBot

MANAGER = 1500
ORGANISER = 2001


async def _join(bot: OfflineBot, user_id: int, role: str, name: str, username: str) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite north-ward {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    joined = await bot.say(user_id, f"/start {code.group(1)}", first_name=name, username=username)
    assert "Welcome" in joined


async def test_a_member_from_monday_reads_as_a_whole_week_everywhere(
    offline_bot: OfflineBot,
) -> None:
    now = offline_bot.clock.now
    monday = now - timedelta(days=now.weekday())
    offline_bot.clock.now = now - timedelta(weeks=2)
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, MANAGER, "manager", "Mia", "mia")
    offline_bot.clock.now = monday
    await _join(offline_bot, ORGANISER, "organiser", "Sam", "sam")
    offline_bot.clock.now = now
    await offline_bot.say(ORGANISER, "121 4")
    week = await offline_bot.say(ORGANISER, "/week")
    assert "one-to-one: 4/15" in week and "joined" not in week
    totals = await offline_bot.say(MANAGER, "/totals")
    assert "• Sam (organiser): one-to-one 4/15" in totals
