"""Issue #9, final check as a new user, end to end: the real bot polling the fake Bot API (which
behaves as Telegram does), teams made with /newteam and invites, groups bound with /bind, and the
digest run driven at explicit times through the running bot's own ``Bot``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.posting import TelegramPoster
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.schedule import WeeklySchedule, week_slot
from organiser_bot.usecases import digest_run
from organiser_bot.usecases.digest_run import DigestRunReport
from storage import chats, people
from storage.engine import Database
from tests.conftest import ADMIN_ID, BotHarness
from tests.digest_factories import LONDON

KINDS = KindRegistry()
SCHEDULE = WeeklySchedule.parse("mon 09:00")
MIA, SAM, BEA, OLU = 4001, 4002, 4003, 4004  # Leeds manager, Leeds organiser, Bradford manager
LEEDS_GROUP, BRADFORD_GROUP, OLD_GROUP = -4101, -4102, -4103


def _db(bot: BotHarness) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


async def _join(bot: BotHarness, user_id: int, team: str, role: str, name: str) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"\?start=([\w-]+)", reply)
    assert code, reply
    assert "Welcome" in await bot.say(user_id, f"/start {code.group(1)}", first_name=name)


async def _add_bot(bot: BotHarness, chat_id: int, **kwargs: Any) -> None:
    since = len(bot.api.requests)
    bot.api.add_bot(chat_id, user_id=MIA, **kwargs)
    await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == chat_id, since=since)


async def _leeds(bot: BotHarness, *, bind: bool = True, chat_type: str = "group") -> None:
    """Leeds with Mia (manager) and Sam (organiser, who logs 3 one-to-ones), in LEEDS_GROUP."""
    await bot.say(ADMIN_ID, "/newteam Leeds")
    await _join(bot, MIA, "leeds", "manager", "Mia")
    await _join(bot, SAM, "leeds", "organiser", "Sam")
    assert (await bot.say(SAM, "121 3")).startswith("✓")
    if bind:
        await _add_bot(bot, LEEDS_GROUP, chat_type=chat_type, title="Leeds chat")
        reply = await bot.say(MIA, "/bind leeds", chat_id=LEEDS_GROUP, chat_type=chat_type)
        assert reply.startswith("✓"), reply


def _binding(bot: BotHarness, slug: str) -> tuple[int, int | None] | None:
    with _db(bot).begin() as conn:
        team = people.find_team(conn, slug)
        assert team is not None
        binding = chats.team_chat(conn, team.id)
    return (binding.chat_id, binding.thread_id) if binding is not None else None


async def _run(bot: BotHarness, now: datetime) -> DigestRunReport:
    return await digest_run.send_due_digests(
        TelegramPoster(bot.app.bot, admin_ids=[ADMIN_ID]),
        _db(bot),
        schedule=SCHEDULE,
        moment=Moment(now, LONDON, KINDS),
    )


def _to(bot: BotHarness, chat_id: int, method: str = "sendMessage") -> list[dict[str, Any]]:
    return [
        r.params
        for r in bot.api.requests
        if r.method == method and r.params.get("chat_id") == chat_id and r.status == 200
    ]


# --- Bullet 3: a chat bound after the slot --------------------------------------------------------


@pytest.mark.parametrize(
    "bound_at",
    [
        datetime(2026, 11, 29, 15, 0, tzinfo=UTC),  # the issue: the Sunday after the slot
        datetime(2026, 7, 6, 8, 30, tzinfo=UTC),  # 09:30 BST: half an hour after a summer slot
    ],
)
async def test_a_chat_bound_after_the_slot_gets_nothing_until_the_next_slot(
    bot: BotHarness, bound_at: datetime
) -> None:
    monday = bound_at.astimezone(LONDON).date()
    monday -= timedelta(days=monday.weekday())
    last_week = monday - timedelta(weeks=1)
    slot = week_slot(last_week, SCHEDULE, LONDON)
    assert slot < bound_at
    # Leeds and Old Town exist for weeks; Old Town's group is bound long before; the bot is down
    # from before the slot until Leeds binds its group.
    bot.clock.now = bound_at - timedelta(weeks=3)
    await _leeds(bot, bind=False)
    await bot.say(ADMIN_ID, "/newteam Old Town")
    await _join(bot, OLU, "old-town", "organiser", "Olu")
    await _add_bot(bot, OLD_GROUP)
    assert (await bot.say(ADMIN_ID, "/bind old-town", chat_id=OLD_GROUP, chat_type="group"))[
        0
    ] == "✓"
    bot.clock.now = bound_at
    await _add_bot(bot, LEEDS_GROUP)
    assert (await bot.say(MIA, "/bind leeds", chat_id=LEEDS_GROUP, chat_type="group"))[0] == "✓"
    before = len(_to(bot, LEEDS_GROUP))

    report = await _run(bot, bound_at + timedelta(minutes=10))  # the first catch-up

    assert report.sent == ["Old Town"] and report.not_due == ["Leeds"]
    assert len(_to(bot, LEEDS_GROUP)) == before and _to(bot, LEEDS_GROUP, "sendMediaGroup") == []
    ledger = await bot.say(ADMIN_ID, "/ledger")
    week_block = ledger.split(f"{report.iso_week} (")[1].split("\n20")[0]
    assert "Old Town: sent" in week_block and "Leeds" not in week_block

    next_slot = slot + timedelta(weeks=1)
    assert (await _run(bot, next_slot - timedelta(minutes=1))).sent == []
    report = await _run(bot, next_slot)
    assert "Leeds" in report.sent
    [text] = [p["text"] for p in _to(bot, LEEDS_GROUP)[before:]]
    assert text.startswith(f"Leeds · {report.iso_week}")
    assert report.iso_week == f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"


# --- Bullet 4: a group upgraded to a supergroup -------------------------------------------------


async def test_after_an_upgrade_the_new_chat_answers_for_the_team_and_keeps_the_binding_date(
    bot: BotHarness,
) -> None:
    await _leeds(bot)
    with _db(bot).begin() as conn:
        before = chats.chats_bound_at(conn)
    since = len(bot.api.requests)
    bot.clock.advance(days=2)
    new_id = bot.api.upgrade_to_supergroup(LEEDS_GROUP, user_id=MIA)
    await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == new_id, since=since)
    totals = await bot.say(SAM, "/totals", chat_id=new_id, chat_type="supergroup")
    assert totals.startswith("Leeds") and "one-to-one 3" in totals
    preview = await bot.say(MIA, "/digest", chat_id=new_id, chat_type="supergroup")
    assert preview.startswith("Leeds · ")
    assert _binding(bot, "leeds") == (new_id, None)
    with _db(bot).begin() as conn:
        assert chats.chats_bound_at(conn) == before  # README: the binding keeps its date


# --- Bullet 5: forum topics -----------------------------------------------------------------------


@pytest.mark.parametrize("in_topic", [True, False])
async def test_bind_in_a_topic_and_the_digest_of_the_next_slot_goes_where_bind_was_sent(
    bot: BotHarness, in_topic: bool
) -> None:
    await _leeds(bot, bind=False)
    await _add_bot(bot, LEEDS_GROUP, chat_type="supergroup", is_forum=True)
    topic = bot.api.create_topic(LEEDS_GROUP, "Digest")
    thread = {"message_thread_id": topic} if in_topic else {}
    reply = await bot.send(
        MIA, "/bind leeds", chat_id=LEEDS_GROUP, chat_type="supergroup", **thread
    )
    assert reply.get("message_thread_id") == thread.get("message_thread_id")
    assert ("in this topic" in reply["text"]) == in_topic
    assert _binding(bot, "leeds") == (LEEDS_GROUP, thread.get("message_thread_id"))

    monday = bot.clock.now.astimezone(LONDON).date()
    monday -= timedelta(days=monday.weekday())
    report = await _run(bot, week_slot(monday, SCHEDULE, LONDON))
    assert report.sent == ["Leeds"]
    [album] = _to(bot, LEEDS_GROUP, "sendMediaGroup")
    [text] = [p for p in _to(bot, LEEDS_GROUP) if p["text"].startswith("Leeds · ")]
    assert album.get("message_thread_id") == thread.get("message_thread_id")
    assert text.get("message_thread_id") == thread.get("message_thread_id")


# --- Bullet 6: anonymous admins -----------------------------------------------------------------


async def test_an_anonymous_admin_binding_inside_a_topic_is_answered_in_that_topic(
    bot: BotHarness,
) -> None:
    await _leeds(bot, bind=False)
    await _add_bot(bot, LEEDS_GROUP, chat_type="supergroup", is_forum=True)
    topic = bot.api.create_topic(LEEDS_GROUP, "Admin")
    since = len(bot.api.requests)
    bot.api.anonymous_admin_message(LEEDS_GROUP, "/bind leeds", message_thread_id=topic)
    [reply] = await bot.api.wait_for(
        "sendMessage", lambda p: p["chat_id"] == LEEDS_GROUP, since=since
    )
    assert reply.params.get("message_thread_id") == topic
    assert "Remain anonymous" in reply.params["text"] and "Only" not in reply.params["text"]
    assert _binding(bot, "leeds") is None


# --- Bullet 7: the bot removed ------------------------------------------------------------------


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
async def test_the_bot_removed_while_a_run_races_tells_each_party_at_most_once_in_plain_words(
    bot: BotHarness, chat_type: str
) -> None:
    await _leeds(bot, chat_type=chat_type)
    monday = bot.clock.now.astimezone(LONDON).date()
    monday -= timedelta(days=monday.weekday())
    slot = week_slot(monday, SCHEDULE, LONDON)
    told_before = len(_to(bot, MIA))
    bot.api.remove_bot(LEEDS_GROUP, user_id=SAM)  # the app sees my_chat_member while the run goes
    reports = [await _run(bot, slot + i * digest_run.CATCH_UP_INTERVAL) for i in range(9)]
    # Whichever sees the loss first, the managers hear once; the admins at most once.
    await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == MIA, count=told_before + 1)
    await bot.say(SAM, "/help")  # every queued update handled
    notices = [p["text"] for p in _to(bot, MIA)[told_before:]]
    assert len(notices) == 1, notices
    assert "Leeds" in notices[0] and "/bind" in notices[0]
    to_admin = [t for t in bot.api.sent_texts(ADMIN_ID) if "weekly digest" in t]
    assert len(to_admin) <= 1
    for text in notices + to_admin:
        assert "Forbidden" not in text and "Bad Request" not in text
    assert sum(len(r.failed) for r in reports) <= 1
    assert _to(bot, LEEDS_GROUP, "sendMediaGroup") == []
    assert _binding(bot, "leeds") is None
    bot.clock.now = slot + 2 * timedelta(hours=1)
    ledger = await bot.say(MIA, "/ledger")
    assert "• Leeds: " in ledger and "removed from the group" in ledger


# --- Bullet 8: commands in a team's group -------------------------------------------------------

COMMANDS = [
    "/totals",
    "/week",
    "/team",
    "/undo",
    "/log 121 2",
    "/export",
    "/target organiser 121 3",
    "/pause",
    "/start",
]


@pytest.mark.parametrize("in_topic", [False, True])
async def test_every_command_in_a_bound_group_gets_an_answer_and_logs_nothing(
    bot: BotHarness, in_topic: bool
) -> None:
    await _leeds(bot, bind=False)
    await _add_bot(bot, LEEDS_GROUP, chat_type="supergroup", is_forum=in_topic)
    thread: dict[str, int] = {}
    if in_topic:
        thread["message_thread_id"] = bot.api.create_topic(LEEDS_GROUP, "Chat")
    assert (
        await bot.say(MIA, "/bind leeds", chat_id=LEEDS_GROUP, chat_type="supergroup", **thread)
    ).startswith("✓")
    for command in COMMANDS:
        reply = await bot.send(SAM, command, chat_id=LEEDS_GROUP, chat_type="supergroup", **thread)
        assert reply["text"].strip(), command
        assert reply.get("message_thread_id") == thread.get("message_thread_id"), command
    help_text = await bot.say(SAM, "/help", chat_id=LEEDS_GROUP, chat_type="supergroup", **thread)
    assert "/bind" in help_text and "121" not in help_text
    # A command for another bot gets nothing: the next reply in the group is the one to /help.
    since = len(bot.api.requests)
    for text in ("/week@SomeOtherBot", "121 5"):
        bot.api.user_message(
            SAM,
            text,
            chat_id=LEEDS_GROUP,
            chat_type="supergroup",
            message_thread_id=thread.get("message_thread_id"),
        )
    assert (
        await bot.say(SAM, "/help", chat_id=LEEDS_GROUP, chat_type="supergroup", **thread)
        == help_text
    )
    replies = [
        r
        for r in bot.api.requests[since:]
        if r.method == "sendMessage" and r.params["chat_id"] == LEEDS_GROUP
    ]
    assert len(replies) == 1
    # Neither "/log 121 2" nor "121 5" in the group was logged: only Sam's private 3 count.
    assert "one-to-one: 3/" in await bot.say(SAM, "/week")


# --- Bullet 9: rebinding another team's group -------------------------------------------------


@pytest.mark.parametrize(
    ("who", "moves"),
    [
        (MIA, False),  # the issue: a manager of Leeds only
        (BEA, False),  # the same kind: a manager of Bradford only
        (ADMIN_ID, True),
    ],
)
async def test_bind_bradford_in_leeds_group_needs_both_and_tells_leeds(
    bot: BotHarness, who: int, moves: bool
) -> None:
    await _leeds(bot)
    await bot.say(ADMIN_ID, "/newteam Bradford")
    await _join(bot, BEA, "bradford", "manager", "Bea")
    since = len(bot.api.requests)
    reply = await bot.say(who, "/bind bradford", chat_id=LEEDS_GROUP, chat_type="group")
    if moves:
        assert reply.startswith("✓") and "ended" in reply and "Leeds" in reply
        [told] = await bot.api.wait_for("sendMessage", lambda p: p["chat_id"] == MIA, since=since)
        assert "Leeds" in told.params["text"] and "Bradford" in told.params["text"]
        assert _binding(bot, "bradford") == (LEEDS_GROUP, None)
        assert _binding(bot, "leeds") is None
    else:
        assert not reply.startswith("✓")
        assert _binding(bot, "leeds") == (LEEDS_GROUP, None)
        assert _binding(bot, "bradford") is None
        assert [p for p in _to(bot, MIA) if "bound" in p["text"]] == []
