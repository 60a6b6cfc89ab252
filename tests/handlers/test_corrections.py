"""Corrections through the bot: edits delivered late or twice, edits that remove lines, edits
after the default team changed, edits into chatter, and replies that list a person's teams
however many there are."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.texts.entries import EDIT_TO_CHATTER, MAX_MESSAGE, STALE_EDIT
from organiser_bot.domain.roles import Role
from storage.engine import make_engine
from storage.models import Activity
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import make_member, make_team

ORGANISER = 2001


async def _join(bot: OfflineBot, team: str) -> None:
    # Joined four weeks before the clock: a whole-week member in every week these tests log.
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=4)
    reply = await bot.say(ADMIN_ID, f"/invite {team} organiser")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    welcome = await bot.say(ORGANISER, f"/start {code.group(1)}", first_name="Sam")
    bot.clock.now = now
    assert welcome.startswith("Welcome"), welcome


@pytest.fixture
async def leeds(offline_bot: OfflineBot) -> OfflineBot:
    """A bot with team Leeds and one organiser in it (Leeds is where their entries go)."""
    assert "created" in await offline_bot.say(ADMIN_ID, "/newteam Leeds")
    await _join(offline_bot, "leeds")
    return offline_bot


def _stored(bot: OfflineBot) -> list[tuple[str, int, str | None, bool]]:
    """Every entry as (kind, count, note, live), in the order recorded."""
    activity = table_of(Activity)
    engine = make_engine(bot.db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                activity.c.kind, activity.c.count, activity.c.note, activity.c.deleted_at
            ).order_by(activity.c.id)
        ).all()
    engine.dispose()
    return [(r.kind, r.count, r.note, r.deleted_at is None) for r in rows]


async def test_an_edit_delivered_late_does_not_overwrite_a_newer_one(leeds: OfflineBot) -> None:
    original = leeds.message(ORGANISER, "121 A")
    await leeds.replies(original)
    x2 = leeds.updates.edited(original, "121 A x2")
    x3 = leeds.updates.edited(original, "121 A x3")
    # The x3 edit handled before the earlier x2 one (updates handled concurrently).
    [reply] = await leeds.replies(x3)
    assert reply.params["text"] == "Updated:\n✓ 3 × one-to-one “A” · Thu 26 Nov · week 3/15"
    [late] = await leeds.replies(x2)
    assert late.params["text"] == f"{STALE_EDIT}\n✓ 3 × one-to-one “A” · Thu 26 Nov · week 3/15"
    assert _stored(leeds) == [("one_to_one", 3, "A", True)]
    # The x2 edit's update delivered again: nothing more changes, the same reply.
    [again] = await leeds.replies(x2)
    assert again.params["text"] == late.params["text"]
    assert _stored(leeds) == [("one_to_one", 3, "A", True)]
    # A newer edit still applies.
    [reply] = await leeds.replies(leeds.updates.edited(original, "121 A x4"))
    assert reply.params["text"] == "Updated:\n✓ 4 × one-to-one “A” · Thu 26 Nov · week 4/15"
    assert _stored(leeds) == [("one_to_one", 4, "A", True)]


async def test_an_edit_that_removes_lines_says_what_it_removed(leeds: OfflineBot) -> None:
    original = leeds.message(ORGANISER, "121 Jay\ndoors 3\n121 Sam")
    await leeds.replies(original)
    [reply] = await leeds.replies(leeds.updates.edited(original, "121 Jay"))
    assert reply.params["text"] == (
        "Updated:\n"
        "✓ one-to-one “Jay” · Thu 26 Nov · week 1/15\n"
        "Removed:\n"
        "↩ 3 × resident contact · Thu 26 Nov · week 0\n"
        "↩ one-to-one “Sam” · Thu 26 Nov · week 1/15"
    )
    assert _stored(leeds) == [
        ("one_to_one", 1, "Jay", True),
        ("resident_contact", 3, None, False),
        ("one_to_one", 1, "Sam", False),
    ]


async def test_an_edit_that_removes_many_lines_sums_them(leeds: OfflineBot) -> None:
    # 50 lines, the most a message may have.
    original = leeds.message(ORGANISER, "\n".join(f"doors 1 s{i}" for i in range(50)))
    [first] = await leeds.replies(original)
    assert len(first.params["text"].splitlines()) == 50
    [reply] = await leeds.replies(leeds.updates.edited(original, "doors 1 s0"))
    text = reply.params["text"]
    assert len(text) <= MAX_MESSAGE
    assert text == (
        "Updated:\n"
        "✓ resident contact “s0” · Thu 26 Nov · week 1\n"
        "Removed:\n"
        "↩ 49 × resident contact · Thu 26 Nov · week 1"
    )


async def test_an_edit_leaves_entries_in_their_team_after_use_changes_the_default(
    leeds: OfflineBot,
) -> None:
    assert "created" in await leeds.say(ADMIN_ID, "/newteam 5 Towns")
    await _join(leeds, "5-towns")
    original = leeds.message(ORGANISER, "121 Sam")
    [logged] = await leeds.replies(original)
    assert logged.params["text"] == "✓ one-to-one “Sam” · Thu 26 Nov · week 1/15 · Leeds"
    assert "5 Towns" in await leeds.say(ORGANISER, "/use 5-towns")
    [fixed] = await leeds.replies(leeds.updates.edited(original, "121 Sam Patel"))
    assert (
        fixed.params["text"]
        == "Updated:\n✓ one-to-one “Sam Patel” · Thu 26 Nov · week 1/15 · Leeds"
    )
    # A line the edit adds goes with the message; a tag still moves its line.
    [grown] = await leeds.replies(leeds.updates.edited(original, "121 Sam Patel\ndoors 3"))
    assert grown.params["text"] == (
        "Updated:\n"
        "✓ one-to-one “Sam Patel” · Thu 26 Nov · week 1/15 · Leeds\n"
        "✓ 3 × resident contact · Thu 26 Nov · week 3 · Leeds"
    )
    [moved] = await leeds.replies(leeds.updates.edited(original, "121 Sam Patel #5-towns\ndoors 3"))
    assert moved.params["text"] == (
        "Updated:\n"
        "✓ one-to-one “Sam Patel” · Thu 26 Nov · week 1/15 · 5 Towns\n"
        "✓ 3 × resident contact · Thu 26 Nov · week 3 · Leeds"
    )
    # A new message goes to the new default.
    assert await leeds.say(ORGANISER, "121 Jo") == (
        "✓ one-to-one “Jo” · Thu 26 Nov · week 2/15 · 5 Towns"
    )


async def test_an_edit_into_chatter_or_an_unreadable_edit_says_the_entries_are_unchanged(
    leeds: OfflineBot,
) -> None:
    original = leeds.message(ORGANISER, "121 Sam\ndoors 3")
    await leeds.replies(original)
    [thanks] = await leeds.replies(leeds.updates.edited(original, "thanks"))
    assert thanks.params["text"] == EDIT_TO_CHATTER
    [one] = await leeds.replies(leeds.updates.edited(original, "lunch with Sam"))
    assert one.params["text"] == (
        "I couldn't read your edit: I don't know 'lunch'. Start with a kind: 121, case, contact. "
        "Your entries are unchanged.\nExample: 121 Sam Patel tenants assoc"
    )
    [second] = await leeds.replies(leeds.updates.edited(original, "121 Sam\nlunch with Sam"))
    assert second.params["text"] == (
        "I couldn't read line 2 of your edit: I don't know 'lunch'. "
        "Start with a kind: 121, case, contact. Your entries are unchanged.\n"
        "Example: 121 Sam Patel tenants assoc"
    )
    assert _stored(leeds) == [("one_to_one", 1, "Sam", True), ("resident_contact", 3, None, True)]


#: Short names of about 60 characters, the longest a team name allows being 64.
LONG_NAMES = [f"Tenants and residents organising committee of far ward {i:03d}" for i in range(80)]


@pytest.fixture
def in_eighty_teams(leeds: OfflineBot) -> list[str]:
    """The organiser of ``leeds`` is in 80 more teams with long short names; their slugs."""
    engine = make_engine(leeds.db_url)
    with engine.begin() as conn:
        for name in LONG_NAMES:
            make_member(conn, make_team(conn, name), ORGANISER, "Sam", Role.ORGANISER)
    engine.dispose()
    return [name.lower().replace(" ", "-") for name in LONG_NAMES]


async def test_replies_listing_every_team_fit_in_one_message(
    leeds: OfflineBot, in_eighty_teams: list[str]
) -> None:
    assert all(55 <= len(slug) <= 64 for slug in in_eighty_teams)
    replies = {
        text: await leeds.say(ORGANISER, text)
        for text in ("121 Sam #nowhere", "/use", "/use nowhere", "/use " + "x" * 3000)
    }
    assert all(len(reply) <= MAX_MESSAGE for reply in replies.values())
    # Leeds, joined first, then the first 19 of the long ones.
    first = ["leeds", *in_eighty_teams[:19]]
    tags = ", ".join(f"#{slug}" for slug in first)
    assert replies["121 Sam #nowhere"] == (
        f"Line 1: #nowhere isn't one of your teams ({tags} and 61 more). Nothing logged."
    )
    names = ", ".join(first)
    assert replies["/use"] == f"You log to Leeds. Your teams: {names} and 61 more. /use <team>"
    assert replies["/use nowhere"] == f"You're not in nowhere. Your teams: {names} and 61 more."
    assert replies["/use " + "x" * 3000] == (
        f"You're not in {'x' * 63}…. Your teams: {names} and 61 more."
    )
    assert _stored(leeds) == []


async def test_a_tag_of_one_of_many_teams_still_logs_there(
    leeds: OfflineBot, in_eighty_teams: list[str]
) -> None:
    reply = await leeds.say(ORGANISER, f"121 Sam #{in_eighty_teams[-1]}")
    assert reply.startswith("✓ one-to-one “Sam” · Thu 26 Nov · week 1/15 · "), reply
    assert reply.endswith(LONG_NAMES[-1])


async def test_undo_delivered_twice_removes_one_entry(leeds: OfflineBot) -> None:
    await leeds.say(ORGANISER, "121 Jay")
    await leeds.say(ORGANISER, "121 Sam")
    undo = leeds.message(ORGANISER, "/undo")
    [first] = await leeds.replies(undo)
    [again] = await leeds.replies(undo)  # Telegram delivers the very same update again
    assert again.params["text"] == first.params["text"]
    assert "Sam" in first.params["text"]
    assert _stored(leeds) == [("one_to_one", 1, "Jay", True), ("one_to_one", 1, "Sam", False)]
