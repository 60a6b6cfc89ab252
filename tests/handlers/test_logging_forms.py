"""Issue #8 end to end: what is sent, what is stored, and what the reply says it understood.

Each row of the issue's table is a test here (the grammar's own rows are domain tests too); the
clock is Thursday 26 Nov 2026 12:00 in London (UTC+0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.texts import MEMBER_HELP
from handlers.texts.entries import CHATTER, EDIT_OF_UNDONE, MAX_MESSAGE
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.quicklog import ParsedEntry, parse_line
from storage import ledger, people
from storage.engine import make_engine
from storage.models import Activity, Team
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import LONDON

ORGANISER = 2001
STRANGER = 3001
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Stored:
    """A live entry as stored: what the confirmation must agree with."""

    kind: str
    count: int
    day: date
    note: str | None
    team: str
    at: datetime


def _live(bot: OfflineBot) -> list[Stored]:
    activity, team = table_of(Activity), table_of(Team)
    engine = make_engine(bot.db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                activity.c.kind,
                activity.c.count,
                activity.c.occurred_on,
                activity.c.note,
                team.c.slug,
                activity.c.occurred_at,
            )
            .join(team, team.c.id == activity.c.team_id)
            .where(activity.c.deleted_at.is_(None))
            .order_by(activity.c.id)
        ).all()
    engine.dispose()
    return [
        Stored(
            r[0], r[1], r[2], r[3], r[4], r[5].replace(tzinfo=UTC) if r[5].tzinfo is None else r[5]
        )
        for r in rows
    ]


async def _join(bot: OfflineBot, team: str, role: str = "organiser") -> str:
    """Join ``team`` (a short name) as ORGANISER; returns the welcome."""
    # Joined four weeks before the clock: a whole-week member in every week these tests log.
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=4)
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    welcome = await bot.say(ORGANISER, f"/start {code.group(1)}", first_name="Sam")
    bot.clock.now = now
    assert welcome.startswith("Welcome"), welcome
    return welcome


async def _team(bot: OfflineBot, name: str) -> None:
    assert "created" in await bot.say(ADMIN_ID, f"/newteam {name}")


@pytest.fixture
async def leeds(offline_bot: OfflineBot) -> OfflineBot:
    """A bot with team Leeds and one organiser in it."""
    await _team(offline_bot, "Leeds")
    await _join(offline_bot, "leeds")
    return offline_bot


def _mark_digest_sent(bot: OfflineBot, slug: str, iso_week: str) -> None:
    engine = make_engine(bot.db_url)
    with engine.begin() as conn:
        team = people.find_team(conn, slug)
        assert team is not None
        claimed = ledger.claim(
            conn,
            team_id=team.id,
            iso_week=iso_week,
            template_version="1",
            chat_id=-100,
            now=NOW,
            stale_after=timedelta(hours=1),
        )
        assert claimed is not None
        ledger.mark_sent(
            conn, team_id=team.id, iso_week=iso_week, template_version="1", content_hash="", now=NOW
        )
    engine.dispose()


# --- Counts, days and near misses: what is stored is what the confirmation says ----------------


@pytest.mark.parametrize(
    ("sent", "stored", "reply"),
    [
        (
            "doors 14!",
            Stored("resident_contact", 14, date(2026, 11, 26), None, "leeds", NOW),
            "✓ 14 × resident contact · Thu 26 Nov · week 14",
        ),
        (
            "121 x3",
            Stored("one_to_one", 3, date(2026, 11, 26), None, "leeds", NOW),
            "✓ 3 × one-to-one · Thu 26 Nov · week 3/15",
        ),
        (
            "121 Jo yesterday evening",
            Stored(
                "one_to_one",
                1,
                date(2026, 11, 25),
                "Jo",
                "leeds",
                datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
            ),
            "✓ one-to-one “Jo” · Wed 25 Nov 18:00 · week 1/15",
        ),
        (
            "1-2-1 with Jo",
            Stored("one_to_one", 1, date(2026, 11, 26), "Jo", "leeds", NOW),
            "✓ one-to-one “Jo” · Thu 26 Nov · week 1/15",
        ),
        (
            "one to one with Jo",
            Stored("one_to_one", 1, date(2026, 11, 26), "Jo", "leeds", NOW),
            "✓ one-to-one “Jo” · Thu 26 Nov · week 1/15",
        ),
        (
            "2x121",
            Stored("one_to_one", 2, date(2026, 11, 26), None, "leeds", NOW),
            "✓ 2 × one-to-one · Thu 26 Nov · week 2/15",
        ),
        (
            "had a 121 with Sam",
            Stored("one_to_one", 1, date(2026, 11, 26), "Sam", "leeds", NOW),
            "✓ one-to-one “Sam” · Thu 26 Nov · week 1/15",
        ),
        (
            "121s Jo x2",
            Stored("one_to_one", 2, date(2026, 11, 26), "Jo", "leeds", NOW),
            "✓ 2 × one-to-one “Jo” · Thu 26 Nov · week 2/15",
        ),
        (
            "contacts 6 at 9:30",
            Stored(
                "resident_contact",
                6,
                date(2026, 11, 26),
                None,
                "leeds",
                datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
            ),
            "✓ 6 × resident contact · Thu 26 Nov 09:30 · week 6",
        ),
        (
            "121 Jo last fri",
            Stored(
                "one_to_one",
                1,
                date(2026, 11, 20),
                "Jo",
                "leeds",
                datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
            ),
            "✓ one-to-one “Jo” · Fri 20 Nov · 2026-W47 1/15",
        ),
        (
            "121 Jo 3 days ago",
            Stored(
                "one_to_one",
                1,
                date(2026, 11, 23),
                "Jo",
                "leeds",
                datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
            ),
            "✓ one-to-one “Jo” · Mon 23 Nov · week 1/15",
        ),
        (
            "121 Priya x3 this morning",
            Stored(
                "one_to_one",
                3,
                date(2026, 11, 26),
                "Priya",
                "leeds",
                datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
            ),
            "✓ 3 × one-to-one “Priya” · Thu 26 Nov 09:00 · week 3/15",
        ),
        (
            '121 "Sam said today was bad"',
            Stored("one_to_one", 1, date(2026, 11, 26), "Sam said today was bad", "leeds", NOW),
            "✓ one-to-one “Sam said today…” · Thu 26 Nov · week 1/15",
        ),
    ],
)
async def test_a_log_stores_and_confirms_what_was_typed(
    leeds: OfflineBot, sent: str, stored: Stored, reply: str
) -> None:
    assert await leeds.say(ORGANISER, sent) == reply
    assert _live(leeds) == [stored]


@pytest.mark.parametrize(
    "sent",
    [
        "121 Jo tomorrow",
        "doors 3 tonight",
        "121 Jo next mon",
        # Other ways of naming the future, found by trying the bot as a new user would.
        "121 Jo tommorow",
        "121 Jo 2moro",
        "121 Jo in two days",
        "121 Jo in a week",
        "121 Jo later today",
        "121 Jo this weekend",
        "121 Jo 27/11",
    ],
)
async def test_the_future_is_refused_and_nothing_is_stored(leeds: OfflineBot, sent: str) -> None:
    reply = await leeds.say(ORGANISER, sent)
    assert "future" in reply and not reply.startswith("✓")
    assert _live(leeds) == []


@pytest.mark.parametrize(
    ("sent", "count", "day", "note"),
    [
        # Days and counts people write that once slipped into the note on today's date.
        ("121 Jo day before yesterday", 1, date(2026, 11, 24), "Jo"),
        ("121 Jo (yesterday)", 1, date(2026, 11, 25), "Jo"),
        ("121 Jo yest", 1, date(2026, 11, 25), "Jo"),
        ("121 Jo 25 nov", 1, date(2026, 11, 25), "Jo"),
        ("121 Jo 25th November", 1, date(2026, 11, 25), "Jo"),
        ("doors (14)", 14, date(2026, 11, 26), None),
        ("doors fourteen", 14, date(2026, 11, 26), None),
        ("121 Jo twice", 2, date(2026, 11, 26), "Jo"),
        ("doors １４", 14, date(2026, 11, 26), None),
        ("121's Jo", 1, date(2026, 11, 26), "Jo"),
        ("1-on-1 Jo, yesterday", 1, date(2026, 11, 25), "Jo"),
        ("doors twenty one", 21, date(2026, 11, 26), None),
        ("doors 2 dozen", 24, date(2026, 11, 26), None),
        ("121 Jo last nite", 1, date(2026, 11, 25), "Jo"),
    ],
)
async def test_days_and_counts_as_people_write_them_never_stay_in_the_note(
    leeds: OfflineBot, sent: str, count: int, day: date, note: str | None
) -> None:
    reply = await leeds.say(ORGANISER, sent)
    assert reply.startswith("✓"), reply
    [stored] = _live(leeds)
    assert (stored.count, stored.day, stored.note) == (count, day, note)


@pytest.mark.parametrize(
    "sent",
    [
        *("121 Jo last weekend", "121 Jo earlier this week", "121 Jo a few days back"),
        *("121 Sam yesterdy", "121 Jo twenty one days ago", "121 Jo sunday gone"),
        *("doors about 10", "121 Sam; doors 14", "121 Sam and 121 Jo"),
    ],
)
async def test_a_day_the_bot_cannot_place_is_refused_never_read_as_today(
    leeds: OfflineBot, sent: str
) -> None:
    reply = await leeds.say(ORGANISER, sent)
    assert not reply.startswith("✓"), reply
    assert _live(leeds) == []


async def test_a_misread_note_is_visible_in_the_confirmation(leeds: OfflineBot) -> None:
    # A number after the note is part of it, and the confirmation shows as much at a glance.
    assert await leeds.say(ORGANISER, "121 Sam flat 12") == (
        "✓ one-to-one “Sam flat 12” · Thu 26 Nov · week 1/15"
    )


# --- #team tags, for every short name ---------------------------------------------------------


async def test_a_tag_sends_the_line_to_that_team_and_leaves_the_note(leeds: OfflineBot) -> None:
    await _team(leeds, "5 Towns")
    await _team(leeds, "Северный район")
    await _join(leeds, "5-towns")
    await _join(leeds, "северный-район")

    assert await leeds.say(ORGANISER, "121 Sam #5-towns") == (
        "✓ one-to-one “Sam” · Thu 26 Nov · week 1/15 · 5 Towns"
    )
    assert await leeds.say(ORGANISER, "doors 2 #Северный-Район Elm Road") == (
        "✓ 2 × resident contact “Elm Road” · Thu 26 Nov · week 2 · Северный район"
    )
    assert await leeds.say(ORGANISER, "121 Jo") == (
        "✓ one-to-one “Jo” · Thu 26 Nov · week 1/15 · Leeds"
    )
    assert [(s.team, s.note) for s in _live(leeds)] == [
        ("5-towns", "Sam"),
        ("северный-район", "Elm Road"),
        ("leeds", "Jo"),
    ]


async def test_an_unknown_tag_refuses_the_line(leeds: OfflineBot) -> None:
    reply = await leeds.say(ORGANISER, "121 Sam #5-towns")
    assert reply == "Line 1: #5-towns isn't one of your teams (#leeds). Nothing logged."
    assert _live(leeds) == []


# --- The default team moves only by /use ----------------------------------------------------


async def test_joining_another_team_keeps_the_default_and_says_where_logs_go(
    leeds: OfflineBot,
) -> None:
    await _team(leeds, "Ashton")  # sorts before Leeds
    welcome = await _join(leeds, "ashton", "councillor")
    assert welcome.startswith(
        "Welcome to Ashton! You're in as councillor.\n"
        "Your entries still go to Leeds. /use ashton makes Ashton your default; "
        "#ashton on a line logs just that line there.\n\n"
    )
    assert (await leeds.say(ORGANISER, "doors 3")).endswith("· Leeds")
    assert (
        await leeds.say(ORGANISER, "/use")
        == "You log to Leeds. Your teams: ashton, leeds. /use <team>"
    )
    assert "Ashton" in await leeds.say(ORGANISER, "/use ashton")
    assert (await leeds.say(ORGANISER, "doors 2")).endswith("week 2/20 · Ashton")
    await _team(leeds, "Aardvark")
    assert "Your entries still go to Ashton." in await _join(leeds, "aardvark")
    assert (await leeds.say(ORGANISER, "doors 1")).endswith("· Ashton")


async def test_a_first_team_says_nothing_of_defaults(offline_bot: OfflineBot) -> None:
    await _team(offline_bot, "Leeds")
    welcome = await _join(offline_bot, "leeds")
    assert welcome.startswith("Welcome to Leeds! You're in as organiser.\n\n")


# --- Corrections are consistent --------------------------------------------------------------


async def test_an_edit_of_an_undone_message_stays_undone(leeds: OfflineBot) -> None:
    original = leeds.message(ORGANISER, "121 Jay")
    assert await leeds.replies(original)
    assert (
        await leeds.say(ORGANISER, "/undo")
        == "Removed:\n↩ one-to-one “Jay” · Thu 26 Nov · week 0/15"
    )
    [reply] = await leeds.replies(leeds.updates.edited(original, "121 Jay Smith"))
    assert reply.params["text"] == EDIT_OF_UNDONE
    assert "reply_markup" not in reply.params
    assert _live(leeds) == []
    assert "one-to-one: 0/15" in await leeds.say(ORGANISER, "/week")


async def test_an_edit_after_the_weeks_digest_went_out_is_applied_and_says_so(
    leeds: OfflineBot,
) -> None:
    original = leeds.message(ORGANISER, "121 Sam fri")
    assert await leeds.replies(original)
    _mark_digest_sent(leeds, "leeds", "2026-W47")
    [fixed] = await leeds.replies(leeds.updates.edited(original, "121 2 Sam Patel fri"))
    assert fixed.params["text"] == (
        "Updated:\n✓ 2 × one-to-one “Sam Patel” · Fri 20 Nov · 2026-W47 2/15\n"
        "The 2026-W47 digest for Leeds was already sent; it isn't changed."
    )
    assert [(s.count, s.note, s.day) for s in _live(leeds)] == [
        (2, "Sam Patel", date(2026, 11, 20))
    ]
    assert await leeds.say(ORGANISER, "/undo") == (
        "Removed:\n↩ 2 × one-to-one “Sam Patel” · Fri 20 Nov · 2026-W47 0/15\n"
        "The 2026-W47 digest for Leeds was already sent; it isn't changed."
    )
    assert _live(leeds) == []


async def test_a_correction_outside_a_sent_week_says_nothing_of_digests(leeds: OfflineBot) -> None:
    _mark_digest_sent(leeds, "leeds", "2026-W47")
    original = leeds.message(ORGANISER, "121 Sam")
    assert await leeds.replies(original)
    [fixed] = await leeds.replies(leeds.updates.edited(original, "121 Sam Patel"))
    assert fixed.params["text"] == "Updated:\n✓ one-to-one “Sam Patel” · Thu 26 Nov · week 1/15"
    # Moving the entry into the sent week is a correction to that week.
    [moved] = await leeds.replies(leeds.updates.edited(original, "121 Sam Patel fri"))
    assert moved.params["text"].endswith(
        "The 2026-W47 digest for Leeds was already sent; it isn't changed."
    )


# --- Near misses: chatter gets a friendly word, not an error ----------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        *("thanks!", "ok", "👍", "thank you", "Cheers 🙏", "cheers mate", "nice one", "спасибо"),
        *("no worries", "sounds good", "thank you Sam"),
    ],
)
async def test_chatter_gets_a_friendly_reply_and_nothing_is_stored(
    leeds: OfflineBot, sent: str
) -> None:
    assert await leeds.say(ORGANISER, sent) == CHATTER
    assert _live(leeds) == []


@pytest.mark.parametrize(
    ("sent", "command"),
    [
        *(("help", "/help"), ("undo", "/undo"), ("Cancel", "/undo")),
        *(("what can you do?", "/help"), ("undo that", "/undo"), ("that's wrong", "/undo")),
    ],
)
async def test_a_command_word_without_its_slash_points_to_the_command(
    leeds: OfflineBot, sent: str, command: str
) -> None:
    reply = await leeds.say(ORGANISER, sent)
    assert reply.startswith("Nothing logged.") and command in reply, reply
    assert _live(leeds) == []


async def test_a_failed_log_still_explains_itself(leeds: OfflineBot) -> None:
    assert (await leeds.say(ORGANISER, "lunch with Sam")).startswith("That couldn't be logged")
    # /log means to log: chatter there is an unreadable line, not small talk.
    assert (await leeds.say(ORGANISER, "/log thanks")).startswith("That couldn't be logged")
    # Someone not in a team hears how to join, whatever they send.
    assert "invite" in await leeds.say(STRANGER, "thanks!")


# --- Long messages stay within one Telegram message -------------------------------------------


async def test_a_long_message_is_confirmed_in_one_message(offline_bot: OfflineBot) -> None:
    first, second = "Residents Association of the Northern Wards and Villages", "Tenants Union"
    await _team(offline_bot, first)
    await _team(offline_bot, second)
    await _join(offline_bot, "residents-association-of-the-northern-wards-and-villages")
    await _join(offline_bot, "tenants-union")
    lines = [
        f"doors 500 Elm Road flat number {i} #tenants-union" if i % 2 else f"121 Sam Patel {i}"
        for i in range(50)
    ]
    reply = await offline_bot.say(ORGANISER, "\n".join(lines))
    assert len(reply) <= MAX_MESSAGE
    assert reply.splitlines() == [
        "50 entries: 25 × one-to-one, 12500 × resident contact",
        f"✓ 25 × one-to-one · Thu 26 Nov · week 25/15 · {first}",
        f"✓ 12500 × resident contact · Thu 26 Nov · week 12500 · {second}",
    ]
    assert len(_live(offline_bot)) == 50


# --- /help lists the forms, in one message ------------------------------------------------------


async def test_help_lists_the_forms_and_fits_one_message(leeds: OfflineBot) -> None:
    text = await leeds.say(ORGANISER, "/help")
    assert len(text) <= MAX_MESSAGE
    for form in ["x3", "2x121", "3 days ago", "last fri", "this morning", "#team", '"Sam said']:
        assert form in text


def test_every_example_in_the_help_reads_as_a_log() -> None:
    examples = [line.strip() for line in MEMBER_HELP.splitlines() if line.startswith("  ")]
    assert len(examples) >= 8
    for line in examples:
        parsed = parse_line(line, now=NOW, tz=LONDON, kinds=KindRegistry())
        assert isinstance(parsed, ParsedEntry), (line, parsed)
