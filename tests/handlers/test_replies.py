"""Every reply fits, and the truth after a failed one (issue #10, points 1-3).

Telegram's refusals are played by the in-process fake: a method of ``OfflineRequest`` is
replaced for a test by one that refuses as Telegram does (a reply to a deleted message, a tap
answered too late), so the real bot and its real database see exactly what Telegram would do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from handlers.common import split_text
from handlers.texts import SAVED_NOT_SHOWN, SORRY
from organiser_bot.domain.digest import message_length
from storage.engine import make_engine
from storage.models import Activity
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot

ORGANISER = 2001
GROUP = -100123
LIMIT = 4096
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
TEAMS = (
    "North Ward and the Riverside Estates Community Organising Team",
    "South Ward and the Hillside Tenants Union Organising Committee",
)

Method = Callable[[dict[str, Any], dict[str, bytes]], Any]


def _rows(url: str, *, undone: bool | None = None) -> int:
    engine = make_engine(url)
    table = table_of(Activity)
    query = select(func.count()).select_from(table)
    if undone is not None:
        deleted = table.c.deleted_at
        query = query.where(deleted.is_not(None) if undone else deleted.is_(None))
    with engine.connect() as conn:
        n = conn.execute(query).scalar_one()
    engine.dispose()
    return int(n)


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
    """An organiser in two teams with long names."""
    for name in TEAMS:
        created = await offline_bot.say(ADMIN_ID, f"/newteam {name}")
        slug = re.search(r"short name: ([\w-]+)", created)
        assert slug, created
        await _join(offline_bot, ORGANISER, slug.group(1))
    return offline_bot


def _fifty_lines() -> str:
    days = ("mon", "tue", "wed", "yesterday", "today")
    return "\n".join(
        f"doors {i} {days[i % 5]} spoke about the rent strike on block {i}" for i in range(1, 51)
    )


def _sent(calls: list[Any]) -> list[str]:
    return [c.params["text"] for c in calls if c.method == "sendMessage" and c.status == 200]


async def test_fifty_lines_from_a_member_of_two_teams_are_confirmed_in_one_message(
    two_teams: OfflineBot,
) -> None:
    text = _fifty_lines()
    calls = await two_teams.process(two_teams.message(ORGANISER, text))
    [reply] = _sent(calls)
    assert all(c.status == 200 for c in calls)
    assert message_length(reply) <= LIMIT
    assert reply.startswith("50 entries: ")
    assert SORRY not in reply
    assert _rows(two_teams.db_url) == 50

    undo = _sent(await two_teams.process(two_teams.message(ORGANISER, "/undo")))
    assert len(undo) == 1 and undo[0].startswith("Removed:")
    assert message_length(undo[0]) <= LIMIT
    assert _rows(two_teams.db_url, undone=True) >= 1


async def test_a_reply_refused_as_a_reply_is_sent_plain(offline_bot: OfflineBot) -> None:
    # In a group the bot quotes the message it answers; the person deleted it meanwhile.
    offline_bot.request.refuse(
        "sendMessage",
        "Bad Request: message to be replied not found",
        lambda p: "reply_parameters" in p,
    )
    calls = await offline_bot.process(
        offline_bot.message(ADMIN_ID, "/help", chat_id=GROUP, chat_type="supergroup")
    )
    refused, plain = [c for c in calls if c.method == "sendMessage"]
    assert refused.status == 400 and plain.status == 200
    assert plain.params["text"] == refused.params["text"]
    assert "reply_parameters" not in plain.params and "reply_markup" not in plain.params
    assert SORRY not in _sent(calls)


async def test_a_log_whose_confirmation_cannot_be_sent_says_it_was_saved(
    offline_bot: OfflineBot,
) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, ORGANISER, "north-ward")
    offline_bot.request.refuse(
        "sendMessage",
        "Bad Request: message is too long",
        lambda p: str(p.get("text", "")).startswith("✓"),
    )
    calls = await offline_bot.process(offline_bot.message(ORGANISER, "121 Sam\ndoors 3"))
    to_organiser = [c for c in calls if c.params.get("chat_id") == ORGANISER]
    # The confirmation and its plain retry were refused; then the truth, never "wasn't done".
    assert [c.status for c in to_organiser] == [400, 400, 200]
    assert _sent(to_organiser) == [SAVED_NOT_SHOWN]
    assert _rows(offline_bot.db_url) == 2


async def test_an_expired_undo_tap_undoes_once_and_edits_the_confirmation(
    offline_bot: OfflineBot,
) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, ORGANISER, "north-ward")
    [sent] = await offline_bot.replies(offline_bot.message(ORGANISER, "121 Sam"))
    data = sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    offline_bot.request.refuse("answerCallbackQuery", QUERY_TOO_OLD)

    tap = offline_bot.updates.callback_query(ORGANISER, data, message=sent.response["result"])
    calls = await offline_bot.process(tap)
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert edit.status == 200 and edit.params["text"].startswith("Removed:")
    assert "↩ one-to-one “Sam”" in edit.params["text"]
    assert "reply_markup" not in edit.params  # the Undo button is gone
    assert SORRY not in _sent(calls)
    assert _rows(offline_bot.db_url, undone=True) == 1

    # A second tap on the old button (a client that did not see the edit) undoes nothing more.
    again = offline_bot.updates.callback_query(ORGANISER, data, message=sent.response["result"])
    calls = await offline_bot.process(again)
    assert SORRY not in _sent(calls)
    assert _rows(offline_bot.db_url, undone=True) == 1


HUGE = "x" * 3900
WORDS = " ".join(["averyveryverylongword"] * 180)


@pytest.mark.parametrize(
    "command",
    [
        f"/newteam {HUGE}",
        f"/newteam {WORDS}",
        f"/invite {HUGE} organiser",
        f"/revoke {HUGE}",
        f"/use {HUGE}",
        f"/newkind {HUGE}",
        f"/newkind {WORDS}",
        f"/away {HUGE} {HUGE[:100]}",
        f"/target {HUGE}",
        f"/target {WORDS}",
        f"/totals {HUGE}",
        f"/team {HUGE}",
        f"/diary {HUGE}",
        f"/log {HUGE}",
        f"/remove {HUGE} @{HUGE[:60]}",
        f"/forgetme {HUGE}",
        f"/export {HUGE}",
        f"/bind {HUGE}",
        f"/week {HUGE}",
        HUGE,
        "\n".join(["doors 1 " + "n" * 60] * 60),
    ],
    ids=lambda c: c.split(maxsplit=1)[0][:12],
)
async def test_every_reply_to_a_huge_input_fits(offline_bot: OfflineBot, command: str) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, ORGANISER, "north-ward")
    for user in (ADMIN_ID, ORGANISER):
        calls = await offline_bot.process(offline_bot.message(user, command))
        texts = [c for c in calls if c.method == "sendMessage"]
        assert texts, command[:40]
        assert all(c.status == 200 for c in calls), [c.response for c in calls if c.status != 200]
        assert all(message_length(c.params["text"]) <= LIMIT for c in texts)
        assert SORRY not in [c.params["text"] for c in texts]


# Lines without whitespace, so that only empty lines are blank.
_LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc", "Cf")),
    max_size=300,
)


@given(st.lists(_LINE, max_size=60), st.integers(min_value=2, max_value=400))
def test_split_text_keeps_every_character_within_the_limit(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)
    parts = split_text(text, limit)
    assert all(0 < message_length(p) <= limit and p.strip() for p in parts)
    # Nothing is lost or reordered but line breaks.
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    if all(message_length(line) <= limit for line in lines):
        # Whole lines only: every part is a run of the text's lines.
        assert all(p in text for p in parts)


def test_split_text_cuts_at_line_breaks_and_never_inside_an_emoji() -> None:
    assert split_text("a\nb\nc", 3) == ["a\nb", "c"]
    assert split_text("😀😀😀", 4) == ["😀😀", "😀"]
    assert split_text(" \n\n ") == []
    lines = [f"line {i} " + "z" * 90 for i in range(100)]
    parts = split_text("\n".join(lines))
    assert "\n".join(parts).split("\n") == lines
    assert all(message_length(p) <= LIMIT for p in parts) and len(parts) > 1
