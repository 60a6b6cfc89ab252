"""Issue #10 checked as a new user: huge replies, redeliveries of every kind, expired taps and
what the processed keys keep. Real SQLite and PostgreSQL; Telegram faked at the HTTP boundary
(``tests.offline``)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import MetaData, func, select

from handlers.texts import SORRY
from handlers.texts.redelivery import ALREADY_DONE
from organiser_bot.domain.digest import message_length
from storage.engine import make_engine
from storage.models import Activity
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.offline import Call

ORGANISER = 3101
LIMIT = 4096
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
# The longest names a team may have (64 characters).
TEAMS = (
    "North Ward, the Riverside Estates and Canal Basin Organising Team"[:64],
    "South Ward, the Hillside Tenants Union and Old Mill Organising Cx"[:64],
)

Method = Callable[[dict[str, Any], dict[str, bytes]], Any]


def _rows(url: str, *, live: bool | None = None) -> int:
    engine = make_engine(url)
    table = table_of(Activity)
    query = select(func.count()).select_from(table)
    if live is not None:
        deleted = table.c.deleted_at
        query = query.where(deleted.is_(None) if live else deleted.is_not(None))
    with engine.connect() as conn:
        n = conn.execute(query).scalar_one()
    engine.dispose()
    return int(n)


def _sent(calls: list[Call]) -> list[str]:
    return [str(c.params["text"]) for c in calls if c.method == "sendMessage" and c.status == 200]


def _all_fit(calls: list[Call]) -> bool:
    return all(
        message_length(str(c.params.get("text", ""))) <= LIMIT
        for c in calls
        if c.method in ("sendMessage", "editMessageText")
    )


async def _join(bot: OfflineBot, user_id: int, slug: str) -> None:
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=4)
    invite = await bot.say(ADMIN_ID, f"/invite {slug} organiser")
    code = re.search(r"start=([\w-]+)", invite)
    assert code, invite
    await bot.say(user_id, f"/start {code.group(1)}", first_name="Sam")
    bot.clock.now = now


@pytest.fixture
async def two_teams(offline_bot: OfflineBot) -> OfflineBot:
    """An organiser in two teams with very long names."""
    for name in TEAMS:
        created = await offline_bot.say(ADMIN_ID, f"/newteam {name.strip()}")
        slug = re.search(r"short name: ([\w-]+)", created)
        assert slug, created
        await _join(offline_bot, ORGANISER, slug.group(1))
    return offline_bot


@pytest.fixture
async def one_team(offline_bot: OfflineBot) -> OfflineBot:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, ORGANISER, "north-ward")
    return offline_bot


def _lines(n: int, note_len: int) -> str:
    days = ("mon", "tue", "wed", "yesterday", "today")
    kinds = ("doors", "121")
    return "\n".join(
        f"{kinds[i % 2]} {i if i % 2 == 0 else ''} {days[i % 5]} "
        + f"block {i} "
        + "rent strike " * (note_len // 12)
        for i in range(1, n + 1)
    )


# --- 1. every reply fits -------------------------------------------------------------------


# Telegram takes at most 4,096 characters from a person too: 50 lines of up to ~80.
@pytest.mark.parametrize(("n", "note_len"), [(50, 0), (50, 24), (50, 48)])
async def test_many_lines_with_long_notes_from_two_long_named_teams_fit_and_are_stored_once(
    two_teams: OfflineBot, n: int, note_len: int
) -> None:
    text = _lines(n, note_len)
    assert message_length(text) <= LIMIT
    calls = await two_teams.process(two_teams.message(ORGANISER, text))
    assert all(c.status == 200 for c in calls), [c.response for c in calls if c.status != 200]
    assert _all_fit(calls)
    texts = _sent(calls)
    assert texts and SORRY not in texts
    assert _rows(two_teams.db_url) == n

    undo = await two_teams.process(two_teams.message(ORGANISER, "/undo"))
    assert all(c.status == 200 for c in undo)
    assert _all_fit(undo)
    assert SORRY not in _sent(undo)
    removed = _rows(two_teams.db_url, live=False)
    assert removed >= 1


async def test_more_lines_than_allowed_are_refused_whole_and_nothing_is_stored(
    two_teams: OfflineBot,
) -> None:
    text = "\n".join(f"doors {i}" for i in range(1, 201))
    calls = await two_teams.process(two_teams.message(ORGANISER, text))
    assert all(c.status == 200 for c in calls)
    assert _all_fit(calls)
    texts = _sent(calls)
    assert texts and not any(t.startswith("✓") for t in texts)
    assert _rows(two_teams.db_url) == 0


async def test_one_line_longer_than_a_message_is_answered_within_the_limit(
    one_team: OfflineBot,
) -> None:
    note = "the tenant told us about the damp in every room " * 110  # > 5,000 characters
    calls = await one_team.process(one_team.message(ORGANISER, f"121 Jay {note}"))
    assert all(c.status == 200 for c in calls), [c.response for c in calls if c.status != 200]
    assert _all_fit(calls)
    texts = _sent(calls)
    assert texts and SORRY not in texts
    stored = _rows(one_team.db_url)
    # Either stored and confirmed, or refused and nothing stored: never the one without the other.
    assert stored in (0, 1)
    if stored == 0:
        assert not any(t.startswith("✓") for t in texts)


async def test_an_undo_button_of_a_50_line_message_edits_within_the_limit(
    two_teams: OfflineBot,
) -> None:
    update = two_teams.message(ORGANISER, _lines(50, 48))
    [confirmation] = [c for c in await two_teams.replies(update) if "reply_markup" in c.params]
    data = confirmation.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    tap = two_teams.updates.callback_query(ORGANISER, data, message=confirmation.response["result"])
    calls = await two_teams.process(tap)
    assert all(c.status == 200 for c in calls), [c.response for c in calls if c.status != 200]
    assert _all_fit(calls)
    assert _rows(two_teams.db_url, live=True) == 0
    [popup] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert len(str(popup.params.get("text", ""))) <= 200


async def test_an_admin_with_many_teams_gets_every_report_within_the_limit(
    offline_bot: OfflineBot,
) -> None:
    for i in range(40):
        name = f"Ward {i:02} and the Riverside Estates Community Organising Team"[:64]
        assert "created" in await offline_bot.say(ADMIN_ID, f"/newteam {name}")
    for command in ("/help", "/totals all", "/team", "/mydata", "/diary", "/week", "/ledger"):
        calls = await offline_bot.process(offline_bot.message(ADMIN_ID, command))
        assert all(c.status == 200 for c in calls), (command, [c.response for c in calls])
        assert _all_fit(calls), command
        assert SORRY not in _sent(calls), command


# --- 4. redelivery -------------------------------------------------------------------------


async def test_a_quick_log_redelivered_after_its_entries_were_undone_does_not_bring_them_back(
    one_team: OfflineBot,
) -> None:
    update = one_team.message(ORGANISER, "121 Jay\ndoors 7")
    [confirmation] = await one_team.replies(update)
    data = confirmation.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await one_team.process(
        one_team.updates.callback_query(ORGANISER, data, message=confirmation.response["result"])
    )
    assert _rows(one_team.db_url, live=True) == 0
    one_team.clock.advance(minutes=5)
    await one_team.process(update)
    assert _rows(one_team.db_url, live=True) == 0
    assert _rows(one_team.db_url) == 2


async def test_the_same_update_delivered_twice_at_once_is_carried_out_once(
    one_team: OfflineBot,
) -> None:
    update = one_team.message(ORGANISER, "121 Jay\ndoors 3\n121 Kim")
    results = await asyncio.gather(one_team.process(update), one_team.process(update))
    assert _rows(one_team.db_url) == 3
    for calls in results:
        assert SORRY not in _sent(calls)
        assert _sent(calls)

    await one_team.say(ORGANISER, "doors 5\n121 Lee")
    undo = one_team.message(ORGANISER, "/undo")
    await asyncio.gather(one_team.process(undo), one_team.process(undo))
    # Only the last message's two entries are removed, once.
    assert _rows(one_team.db_url, live=False) == 2


async def test_an_edit_and_its_redelivery_change_the_entry_once(one_team: OfflineBot) -> None:
    original = one_team.message(ORGANISER, "doors 4")
    assert await one_team.replies(original)
    edit = one_team.updates.edited(original, "doors 9")
    await one_team.process(edit)
    once = _rows(one_team.db_url)
    await one_team.process(edit)
    assert _rows(one_team.db_url) == once


async def test_two_edits_of_one_message_in_the_same_second_are_both_applied(
    one_team: OfflineBot,
) -> None:
    original = one_team.message(ORGANISER, "doors 4")
    assert await one_team.replies(original)
    first = one_team.updates.edited(original, "doors 9")
    second = one_team.updates.edited(original, "doors 2")
    # Two real edits, both sent by Telegram, stamped with the same second.
    second["edited_message"]["edit_date"] = first["edited_message"]["edit_date"]
    await one_team.process(first)
    calls = await one_team.process(second)
    week = await one_team.say(ORGANISER, "/week")
    assert ALREADY_DONE not in _sent(calls)
    assert "resident contact: 2\n" in week, week


async def _settle(bot: OfflineBot) -> None:
    """Wait for replies queued for storage, where the reply path queues them."""
    import handlers.common

    written = getattr(handlers.common, "stored_replies_written", None)
    if written is not None:
        await written(bot.app.bot_data)


async def test_a_reading_command_whose_reply_never_went_is_answered_when_redelivered(
    one_team: OfflineBot,
) -> None:
    """As a crash after the commit and before the reply: the key is claimed, nothing stored."""
    await one_team.say(ORGANISER, "121 Jay")
    update = one_team.message(ORGANISER, "/week")
    restore = one_team.request.refuse("sendMessage", "Internal Server Error")
    await one_team.process(update)
    restore()
    await _settle(one_team)
    again = _sent(await one_team.process(update))
    fresh = _sent(await one_team.process(one_team.message(ORGANISER, "/week")))
    assert again in ([ALREADY_DONE], fresh)
    assert _rows(one_team.db_url) == 1


async def test_a_redelivered_export_gets_the_same_answer(one_team: OfflineBot) -> None:
    await one_team.say(ORGANISER, "121 Jay")
    update = one_team.message(ADMIN_ID, "/export")
    first = await one_team.process(update)
    assert [c for c in first if c.method == "sendDocument" and c.status == 200]
    again = await one_team.process(update)
    assert [c for c in again if c.method == "sendDocument" and c.status == 200]
    assert ALREADY_DONE not in _sent(again)


def _kept_replies(bot: OfflineBot) -> list[str]:
    engine = make_engine(bot.db_url)
    meta = MetaData()
    meta.reflect(engine, only=["processed_update"])
    with engine.connect() as conn:
        kept = [r.reply or "" for r in conn.execute(select(meta.tables["processed_update"]))]
    engine.dispose()
    return kept


async def test_forgetme_leaves_no_note_in_the_replies_kept_for_redelivery(
    one_team: OfflineBot,
) -> None:
    secret = "Mrs Zebedee at flat 14 has rent arrears"
    await one_team.say(ORGANISER, f"121 {secret}")
    await one_team.say(ORGANISER, "/diary")
    await _settle(one_team)
    assert [r for r in _kept_replies(one_team) if "Zebedee" in r]
    await one_team.say(ORGANISER, "/forgetme")
    await one_team.say(ORGANISER, "/forgetme confirm")
    await _settle(one_team)
    assert not [r for r in _kept_replies(one_team) if "Zebedee" in r]


async def test_forgetme_confirm_redelivered_after_rejoining_does_not_forget_again(
    one_team: OfflineBot,
) -> None:
    await one_team.say(ORGANISER, "/forgetme")
    confirm = one_team.message(ORGANISER, "/forgetme confirm")
    await one_team.process(confirm)
    await _join(one_team, ORGANISER, "north-ward")
    await one_team.say(ORGANISER, "121 Jay kept")
    await one_team.process(confirm)
    assert _rows(one_team.db_url, live=True) == 1
    assert "North Ward" in await one_team.say(ORGANISER, "/help") or _rows(one_team.db_url) == 1


# --- 3. taps ---------------------------------------------------------------------------------


async def test_an_expired_tap_whose_undo_is_refused_still_shows_the_person_something(
    one_team: OfflineBot,
) -> None:
    [confirmation] = await one_team.replies(one_team.message(ORGANISER, "121 Jay"))
    data = confirmation.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await one_team.say(ORGANISER, "/undo")
    assert _rows(one_team.db_url, live=True) == 0
    one_team.request.refuse("answerCallbackQuery", QUERY_TOO_OLD)
    tap = one_team.updates.callback_query(ORGANISER, data, message=confirmation.response["result"])
    calls = await one_team.process(tap)
    shown = [c for c in calls if c.method in ("sendMessage", "editMessageText") and c.status == 200]
    assert shown, [c.method for c in calls]


async def test_an_undo_tap_redelivered_vs_tapped_twice(one_team: OfflineBot) -> None:
    [confirmation] = await one_team.replies(one_team.message(ORGANISER, "121 Jay\n121 Kim"))
    data = confirmation.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    sent = confirmation.response["result"]
    tap = one_team.updates.callback_query(ORGANISER, data, message=sent)
    await one_team.process(tap)
    await one_team.process(tap)
    assert _rows(one_team.db_url, live=False) == 2
    calls = await one_team.process(one_team.updates.callback_query(ORGANISER, data, message=sent))
    assert SORRY not in _sent(calls)
    assert _rows(one_team.db_url, live=False) == 2
    assert _rows(one_team.db_url) == 2


# --- 2. the truth after a failure ------------------------------------------------------------


async def test_a_failed_reply_to_undo_says_it_was_undone(one_team: OfflineBot) -> None:
    await one_team.say(ORGANISER, "121 Jay")
    one_team.request.refuse(
        "sendMessage",
        "Bad Request: message is too long",
        lambda p: str(p.get("text", "")).startswith("Removed"),
    )
    calls = await one_team.process(one_team.message(ORGANISER, "/undo"))
    texts = _sent(calls)
    assert SORRY not in texts and texts
    assert _rows(one_team.db_url, live=False) == 1


async def test_a_crash_in_a_use_case_says_it_was_not_done_and_stores_nothing(
    one_team: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from organiser_bot.usecases import logbook

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(logbook, "undo_last", broken)
    await one_team.say(ORGANISER, "121 Jay")
    update = one_team.message(ORGANISER, "/undo")
    calls = await one_team.process(update)
    assert _sent([c for c in calls if c.params.get("chat_id") == ORGANISER]) == [SORRY]
    monkeypatch.undo()
    # Nothing was claimed: a redelivery runs it.
    again = _sent(await one_team.process(update))
    assert again and again != [ALREADY_DONE]
    assert _rows(one_team.db_url, live=False) == 1
