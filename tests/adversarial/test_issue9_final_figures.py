"""Issue #9, final check as a new user: someone who joined this week and a team created today,
as /totals, /week, the group preview and the digest of last week show them (the real bot, fed
updates in process; the digests built from the same database)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from organiser_bot.domain.digest import TeamDigest
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.targets import pro_rate
from organiser_bot.usecases import digests
from storage import people
from storage.engine import Database
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import LONDON

MANAGER, SAM, OLD = 3001, 3002, 3003
GROUP = -100777
ORGANISER_TARGET = 15  # the organiser's default weekly one-to-ones


async def _join(bot: OfflineBot, user_id: int, team: str, role: str, name: str) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    assert "Welcome" in await bot.say(user_id, f"/start {code.group(1)}", first_name=name)


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


def _digest(bot: OfflineBot, slug: str, monday: date) -> TeamDigest:
    with _db(bot).begin() as conn:
        team = people.find_team(conn, slug)
        assert team is not None
        built = digests.build_week_by_team(
            conn, monday=monday, kinds=KindRegistry(), team_ids=[team.id], tz=LONDON
        )
    return built[team.id]


def _monday(bot: OfflineBot) -> date:
    today = bot.clock.now.astimezone(LONDON).date()
    return today - timedelta(days=today.weekday())


async def _leeds_with_a_joiner(bot: OfflineBot, *, joined_after_days: int) -> int:
    """Leeds, six weeks old with Mia (manager) and Old (organiser); Sam joins
    ``joined_after_days`` after this week's Monday (noon UTC) and logs one one-to-one.
    Returns the days of this week Sam was not yet a member."""
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=6)
    await bot.say(ADMIN_ID, "/newteam Leeds")
    await _join(bot, MANAGER, "leeds", "manager", "Mia")
    await _join(bot, OLD, "leeds", "organiser", "Olu")
    bot.clock.now = now - timedelta(days=now.weekday() - joined_after_days)
    await _join(bot, SAM, "leeds", "organiser", "Sam")
    assert (await bot.say(SAM, "121 1")).startswith("✓ one-to-one")
    bot.clock.now = now
    return joined_after_days


@pytest.mark.parametrize(
    "joined_after_days",
    [
        3,  # the issue: joined on Thursday
        6,  # the same kind: joined on the last day of the week
    ],
)
async def test_a_member_who_joined_this_week_is_not_scored_for_last_week_or_before(
    offline_bot: OfflineBot, joined_after_days: int
) -> None:
    bot = offline_bot
    if joined_after_days > bot.clock.now.weekday():
        bot.clock.now += timedelta(days=joined_after_days - bot.clock.now.weekday())
    outside = await _leeds_with_a_joiner(bot, joined_after_days=joined_after_days)
    expected = pro_rate({"one_to_one": ORGANISER_TARGET}, outside)["one_to_one"]
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[outside]

    last = await bot.say(MANAGER, "/totals leeds last")
    assert "Sam" not in last and f"0/{ORGANISER_TARGET}" not in last.split("Olu")[0]
    assert "Team: " in last

    four = await bot.say(MANAGER, "/totals leeds 4w")
    [sam_line] = [line for line in four.splitlines() if "Sam" in line]
    assert sam_line.endswith(f"one-to-one 1/{expected}")
    assert "joined" in sam_line and "✗" not in sam_line

    week = await bot.say(SAM, "/week")
    assert f"one-to-one: 1/{expected}" in week and f"joined {day}" in week

    # The digest of last week, built now (as a catch-up would), has no line for Sam, and the
    # team's attainment there is Olu's alone.
    w_last = _digest(bot, "leeds", _monday(bot) - timedelta(weeks=1))
    assert [m.name for m in w_last.members if m.name == "Sam"] == []
    olu = next(m for m in w_last.members if m.name == "Olu")
    assert w_last.attainment == (0.0 if olu.targets else None)

    # This week's digest gives Sam the same pro-rated target /totals and /week use.
    w_this = _digest(bot, "leeds", _monday(bot))
    sam = next(m for m in w_this.members if m.name == "Sam")
    assert dict(sam.targets) == {"one_to_one": expected} and sam.joined_day == outside


async def test_a_team_created_today_has_no_earlier_weeks_in_its_trend_or_the_median(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=20)
    await bot.say(ADMIN_ID, "/newteam Old Town")
    await _join(bot, OLD, "old-town", "organiser", "Olu")
    bot.clock.now = now
    await bot.say(ADMIN_ID, "/newteam Bradford")
    await _join(bot, SAM, "bradford", "organiser", "Sam")
    await bot.say(SAM, "121 15")

    young = _digest(bot, "bradford", _monday(bot))
    assert [p.iso_week for p in young.trend] == [young.iso_week]
    old = _digest(bot, "old-town", _monday(bot))
    assert len(old.trend) == 13
    # Last week Bradford did not exist: the median then is taken over Old Town alone.
    last_old = _digest(bot, "old-town", _monday(bot) - timedelta(weeks=1))
    assert last_old.teams_compared == 1
    # A group preview shows Sam's days, with a pro-rated target that was met.
    assert "Bradford's chat" in await bot.say(
        ADMIN_ID, "/bind bradford", chat_id=GROUP, chat_type="supergroup"
    )
    preview = await bot.say(ADMIN_ID, "/digest", chat_id=GROUP, chat_type="supergroup")
    outside = bot.clock.now.astimezone(LONDON).weekday()
    expected = pro_rate({"one_to_one": ORGANISER_TARGET}, outside)["one_to_one"]
    [sam_line] = [line for line in preview.splitlines() if "Sam" in line]
    assert f"15/{expected}" in sam_line and "✓" in sam_line and "✗" not in sam_line
