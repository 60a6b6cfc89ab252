"""Field logging: quick logs, buttons, /log, confirmations, undo, edits, replays."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.engine import make_engine
from storage.models import Activity, Person
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot

ORGANISER = 2001
OTHER = 2002
STRANGER = 3001


async def _join(bot: OfflineBot, user_id: int, team: str, role: str, name: str = "Sam") -> None:
    # Joined four weeks before the clock: a whole-week member in every week these tests log.
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=4)
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    assert "Welcome" in await bot.say(user_id, f"/start {code.group(1)}", first_name=name)
    bot.clock.now = now


@pytest.fixture
async def team_bot(offline_bot: OfflineBot) -> OfflineBot:
    """A bot with team North Ward and one organiser in it."""
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, ORGANISER, "north-ward", "organiser")
    return offline_bot


def _count_rows(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(table_of(Activity))).scalar_one()
    engine.dispose()
    return int(n)


async def test_quick_log_confirms_with_week_total_against_target(team_bot: OfflineBot) -> None:
    reply = await team_bot.send(ORGANISER, "121 Sam Patel tenants assoc")
    assert reply["text"] == "✓ one-to-one “Sam Patel tenants…” · Thu 26 Nov · week 1/15"
    [[button]] = reply["reply_markup"]["inline_keyboard"]
    assert button["text"] == "Undo"
    assert len(button["callback_data"].encode()) <= 64
    second = await team_bot.say(ORGANISER, "121 3 Priya")
    assert second == "✓ 3 × one-to-one “Priya” · Thu 26 Nov · week 4/15"


async def test_all_design_examples_log_in_one_message(team_bot: OfflineBot) -> None:
    text = "121 Sam Patel tenants assoc\ncase 2 housing repair\ndoors 14 yesterday\n121 Priya mon"
    reply = await team_bot.say(ORGANISER, text)
    lines = reply.splitlines()
    assert lines == [
        "✓ one-to-one “Sam Patel tenants…” · Thu 26 Nov · week 2/15",
        "✓ 2 × casework “housing repair” · Thu 26 Nov · week 2",
        "✓ 14 × resident contact · Wed 25 Nov · week 14",
        "✓ one-to-one “Priya” · Mon 23 Nov · week 2/15",
    ]


async def test_a_bad_line_logs_nothing_and_names_the_line(team_bot: OfflineBot) -> None:
    reply = await team_bot.say(ORGANISER, "121 Sam\nhello there\ndoors 3")
    assert reply.startswith("Line 2")
    assert "Example:" in reply and "Nothing from this message was logged" in reply
    assert _count_rows(team_bot.db_url) == 0


async def test_one_tap_button_and_log_command(team_bot: OfflineBot) -> None:
    assert (await team_bot.say(ORGANISER, "+1 one-to-one")).startswith("✓ one-to-one")
    reply = await team_bot.say(ORGANISER, "/log doors 14 yesterday")
    assert reply.startswith("✓ 14 × resident contact · Wed 25 Nov")
    assert "Usage" in await team_bot.say(ORGANISER, "/log")


async def test_redelivered_update_confirms_again_without_counting_twice(
    team_bot: OfflineBot,
) -> None:
    update = team_bot.message(ORGANISER, "doors 5")
    [first] = await team_bot.replies(update)
    [again] = await team_bot.replies(update)  # Telegram delivers the very same update again
    assert (
        again.params["text"]
        == first.params["text"]
        == ("✓ 5 × resident contact · Thu 26 Nov · week 5")
    )
    assert _count_rows(team_bot.db_url) == 1
    assert "resident contact: 5" in await team_bot.say(ORGANISER, "/week")


async def test_editing_the_message_corrects_its_entries(team_bot: OfflineBot) -> None:
    original = team_bot.message(ORGANISER, "121 Sam")
    assert await team_bot.replies(original)
    [fixed] = await team_bot.replies(team_bot.updates.edited(original, "doors 5 Sam's street"))
    assert fixed.params["text"] == (
        "Updated:\n✓ 5 × resident contact “Sam's street” · Thu 26 Nov · week 5"
    )
    week = await team_bot.say(ORGANISER, "/week")
    assert "one-to-one: 0/15" in week and "resident contact: 5" in week


async def test_an_unreadable_edit_leaves_entries_as_they_were(team_bot: OfflineBot) -> None:
    original = team_bot.message(ORGANISER, "121 Sam")
    assert await team_bot.replies(original)
    [reply] = await team_bot.replies(team_bot.updates.edited(original, "lunch with Sam"))
    assert "unchanged" in reply.params["text"]
    assert "one-to-one: 1/15" in await team_bot.say(ORGANISER, "/week")


async def test_undo_command_and_button_only_for_the_owner(team_bot: OfflineBot) -> None:
    await _join(team_bot, OTHER, "north-ward", "organiser", name="Priya")
    [sent] = await team_bot.replies(team_bot.message(ORGANISER, "121 Sam"))
    confirm = sent.params
    data = confirm["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    message = sent.response["result"]

    tap = team_bot.updates.callback_query(OTHER, data, message=message)
    [answer] = await team_bot.replies(tap, "answerCallbackQuery")
    assert "only undo your own" in answer.params["text"]

    calls = await team_bot.process(
        team_bot.updates.callback_query(ORGANISER, data, message=message)
    )
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answer.params["text"] == "Removed:"
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert "↩ one-to-one “Sam” · Thu 26 Nov · week 0/15" in edit.params["text"]

    await team_bot.say(ORGANISER, "doors 4")
    assert "↩ 4 × resident contact" in await team_bot.say(ORGANISER, "/undo")
    assert await team_bot.say(ORGANISER, "/undo") == "Nothing to undo."


async def test_late_message_counts_in_the_week_it_was_sent(team_bot: OfflineBot) -> None:
    # Typed on Sunday 22 Nov without signal; Telegram stamped it then, it arrives on Thursday.
    sunday = int(datetime(2026, 11, 22, 19, 0, tzinfo=UTC).timestamp())
    reply = await team_bot.say(ORGANISER, "121 Sam yesterday", date=sunday)
    assert reply.startswith("✓ one-to-one “Sam” · Sat 21 Nov · 2026-W47 1/15")
    assert "one-to-one: 0/15" in await team_bot.say(ORGANISER, "/week")


async def test_future_and_too_old_entries_are_refused(team_bot: OfflineBot) -> None:
    assert "future" in await team_bot.say(ORGANISER, "121 Sam at 23:00")
    assert "8 weeks" in await team_bot.say(ORGANISER, "121 Sam 2026-08-01")
    assert _count_rows(team_bot.db_url) == 0


async def test_several_teams_default_use_and_tags(team_bot: OfflineBot) -> None:
    await team_bot.say(ADMIN_ID, "/newteam South Ward")
    await _join(team_bot, ORGANISER, "south-ward", "councillor")
    first = await team_bot.say(ORGANISER, "doors 3")
    assert first.endswith("North Ward")
    assert "South Ward" in await team_bot.say(ORGANISER, "/use south-ward")
    assert (await team_bot.say(ORGANISER, "doors 2")).endswith("week 2/20 · South Ward")
    tagged = await team_bot.say(ORGANISER, "doors 4 #north-ward")
    assert tagged.endswith("week 7 · North Ward")
    assert "isn't one of your teams" in await team_bot.say(ORGANISER, "doors 1 #nowhere")


async def test_week_and_diary(team_bot: OfflineBot) -> None:
    await team_bot.say(ORGANISER, "121 Sam Patel tenants assoc\n121 Priya mon")
    week = await team_bot.say(ORGANISER, "/week")
    # Thursday: 4 of 7 days gone, 15 * 4/7 ≈ 8.6 expected, 2 done.
    assert "one-to-one: 2/15 · behind pace" in week and "3 days left" in week
    diary = await team_bot.say(ORGANISER, "/diary")
    assert "Mon 23 Nov" in diary and "Priya" in diary and "tenants assoc" in diary
    bad = await team_bot.say(ORGANISER, "/diary fortnight")
    assert not bad.startswith("Your diary") and "4w" in bad


async def test_stranger_gets_an_explanation_and_nothing_is_stored(offline_bot: OfflineBot) -> None:
    assert "invite" in await offline_bot.say(STRANGER, "121 Sam")
    assert "invite" in await offline_bot.say(STRANGER, "/week")
    engine = make_engine(offline_bot.db_url)
    with engine.connect() as conn:
        people = conn.execute(select(func.count()).select_from(table_of(Person))).scalar_one()
    engine.dispose()
    assert people == 0


async def test_a_replay_weeks_later_confirms_instead_of_refusing(team_bot: OfflineBot) -> None:
    thursday = int(datetime(2026, 11, 26, 11, 0, tzinfo=UTC).timestamp())
    update = team_bot.message(ORGANISER, "121 Sam yesterday", date=thursday)
    [first] = await team_bot.replies(update)
    team_bot.clock.advance(weeks=9)
    [again] = await team_bot.replies(update)  # Telegram delivers the very same update again
    assert first.params["text"].startswith("✓ one-to-one “Sam” · Wed 25 Nov")
    assert again.params["text"].startswith("✓ one-to-one “Sam” · Wed 25 Nov")
    assert _count_rows(team_bot.db_url) == 1
