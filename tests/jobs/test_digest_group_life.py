"""The digest run meets real group life, against the fake Bot API behaving as Telegram does.

A chat bound after a week's slot, a group upgraded to a supergroup, the bot removed from a group,
forum topics, a large team, and failures that go on all week: each ends with what the groups,
the managers, the admins and ``/ledger`` see. The run is driven with explicit ``now`` values and a
plain bot (no polling), so Telegram's service messages stay queued and the send path is what
meets each change; the last test lets the real application race the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Connection
from telegram import Bot

from handlers import posting
from handlers.posting import TelegramPoster
from handlers.texts.digests import ledger_text
from organiser_bot.domain.access import Identity
from organiser_bot.domain.digest import (
    TEMPLATE_VERSION,
    RenderedDigest,
    cross_team_line,
    scrutiny_line,
)
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.roles import Role
from organiser_bot.domain.schedule import WeeklySchedule, week_slot
from organiser_bot.usecases import digest_run, digests
from organiser_bot.usecases.actors import as_actor
from organiser_bot.usecases.digest_run import STALE_CLAIM, DigestRunReport
from organiser_bot.usecases.ledger_report import LedgerReport, LedgerState, ledger_report
from storage import chats, ledger
from storage.engine import Database
from tests.conftest import ADMIN_ID, BotHarness
from tests.digest_factories import LONDON, log, make_member, make_team
from tests.fakebot import FakeBotAPI
from tests.jobs.test_digest_job import CHATS, W47, teams_with_chats

KINDS = KindRegistry()
SCHEDULE = WeeklySchedule.parse("mon 09:00")
W47_SLOT = week_slot(W47, SCHEDULE, LONDON)  # Monday 23 Nov 2026 09:00 GMT
W48_SLOT = W47_SLOT + timedelta(days=7)
MANAGER = 700


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[FakeBotAPI, Bot]]:
    async with FakeBotAPI() as api, Bot(api.token, base_url=api.base_url) as tg:
        yield api, tg


async def run(tg: Bot, db: Database, now: datetime, concurrency: int = 1) -> DigestRunReport:
    """The digest run; one team at a time by default, so injected faults land on Alpha."""
    return await digest_run.send_due_digests(
        TelegramPoster(tg, admin_ids=[ADMIN_ID]),
        db,
        schedule=SCHEDULE,
        moment=Moment(now, LONDON, KINDS),
        concurrency=concurrency,
    )


def report_for_admin(db: Database, now: datetime) -> LedgerReport:
    return db.call(
        as_actor(
            Identity(user_id=ADMIN_ID, display_name="Admin"),
            frozenset({ADMIN_ID}),
            ledger_report,
            moment=Moment(now, LONDON, KINDS),
            schedule=SCHEDULE,
        )
    )


def sends(
    api: FakeBotAPI, chat_id: int, method: str, *, ok: bool = True
) -> list[dict[str, object]]:
    return [
        r.params
        for r in api.requests
        if r.method == method
        and r.params.get("chat_id") == chat_id
        and (not ok or (r.status == 200 and r.fault is None))
    ]


def with_manager(conn: Connection) -> dict[str, int]:
    ids = teams_with_chats(conn)
    make_member(conn, ids["Alpha"], MANAGER, "Mo Manager", Role.MANAGER)
    return ids


# --- Schedule truth ------------------------------------------------------------------------------


async def test_a_chat_bound_after_the_slot_waits_for_the_next_slot_while_a_missed_slot_is_caught_up(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram
    db.call(teams_with_chats)
    sunday = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)

    def bind_echo_on_sunday(conn: Connection) -> int:
        team = make_team(conn, "Echo")
        person = make_member(conn, team, 650, "Member Echo", Role.ORGANISER)
        log(conn, person, team, "one_to_one", 3, W47)
        chats.bind_chat(conn, team_id=team, chat_id=-2005, title="Echo", by=None, now=sunday)
        return team

    echo = db.call(bind_echo_on_sunday)

    # The bot was down from before the slot until Sunday: the first catch-up sends W47 to the
    # three chats bound by the slot, and nothing to Echo's chat, bound after it.
    report = await run(tg, db, sunday + timedelta(minutes=10))
    assert report.iso_week == "2026-W47"
    assert report.sent == ["Alpha", "Bravo", "Charlie"] and report.not_due == ["Echo"]
    assert sends(api, -2005, "sendMediaGroup", ok=False) == []
    assert sends(api, -2005, "sendMessage", ok=False) == []
    assert db.call(lambda c: ledger.get(c, team_id=echo, iso_week="2026-W47")) is None

    # /ledger follows the same rule: Echo owed nothing for W47, the other three sent.
    w47 = report_for_admin(db, sunday + timedelta(minutes=10)).weeks[0]
    assert w47.iso_week == "2026-W47"
    assert [(e.team_name, e.state) for e in w47.entries] == [
        (name, LedgerState.SENT) for name in report.sent
    ]

    # Later catch-ups before the next slot still send Echo nothing.
    for minutes in range(20, 18 * 60, 70):  # until Monday 09:00
        later = await run(tg, db, sunday + timedelta(minutes=minutes))
        # Sunday: W47 is due but not owed to Echo; Monday before 09:00: nothing is due yet.
        assert later.sent == [] and later.not_due == (["Echo"] if later.iso_week else [])
    assert sends(api, -2005, "sendMessage", ok=False) == []

    # At the next slot, Echo gets W48 with everyone else.
    report = await run(tg, db, W48_SLOT)
    assert report.iso_week == "2026-W48"
    assert report.sent == ["Alpha", "Bravo", "Charlie", "Echo"] and report.not_due == []
    [text] = api.sent_texts(-2005)
    assert text.startswith("Echo · 2026-W48")


async def test_a_chat_bound_exactly_at_the_slot_is_owed_that_week(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram

    def bound_at_the_slot(conn: Connection) -> None:
        team = make_team(conn, "Alpha")
        make_member(conn, team, 500, "Member Alpha", Role.ORGANISER)
        chats.bind_chat(conn, team_id=team, chat_id=-2001, title="A", by=None, now=W47_SLOT)

    db.call(bound_at_the_slot)
    assert (await run(tg, db, W47_SLOT)).sent == ["Alpha"]
    assert len(api.sent_texts(-2001)) == 1


# --- A group upgraded to a supergroup ------------------------------------------------------------


async def test_a_migrated_group_gets_the_digest_in_its_new_chat_in_the_same_run(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram
    ids = db.call(teams_with_chats)
    new_id = api.upgrade_to_supergroup(CHATS["Alpha"])

    report = await run(tg, db, W47_SLOT)

    assert report.sent == ["Alpha", "Bravo", "Charlie"] and report.failed == []
    assert len(sends(api, new_id, "sendMediaGroup")) == 1
    [text] = api.sent_texts(new_id)
    assert text.startswith("Alpha · 2026-W47")
    assert sends(api, CHATS["Alpha"], "sendMediaGroup") == []  # the old id refused it
    binding = db.call(lambda c: chats.team_chat(c, ids["Alpha"]))
    assert binding is not None and binding.chat_id == new_id
    row = db.call(lambda c: ledger.get(c, team_id=ids["Alpha"], iso_week="2026-W47"))
    assert row is not None and (row.status, row.chat_id, row.attempts) == ("sent", new_id, 1)
    assert api.sent_texts(ADMIN_ID) == []  # nothing failed

    # The next run sends nothing more, anywhere.
    before = len(api.requests)
    assert (await run(tg, db, W47_SLOT + timedelta(minutes=10))).sent == []
    assert len(api.requests) == before


async def test_parts_delivered_before_the_upgrade_are_not_posted_again_in_the_new_chat(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram
    ids = db.call(teams_with_chats)

    def crashed_after_charts(conn: Connection) -> None:
        ledger.claim(
            conn,
            team_id=ids["Alpha"],
            iso_week="2026-W47",
            template_version=TEMPLATE_VERSION,
            chat_id=CHATS["Alpha"],
            now=W47_SLOT,
            stale_after=STALE_CLAIM,
        )
        ledger.record_part(
            conn, team_id=ids["Alpha"], iso_week="2026-W47", part="charts", message_ids=(41, 42)
        )

    db.call(crashed_after_charts)
    new_id = api.upgrade_to_supergroup(CHATS["Alpha"])

    later = W47_SLOT + STALE_CLAIM + timedelta(minutes=1)
    report = await run(tg, db, later)

    assert "Alpha" in report.sent
    # The supergroup keeps the group's history: the charts are there; only the text follows.
    assert sends(api, new_id, "sendMediaGroup", ok=False) == []
    assert len(api.sent_texts(new_id)) == 1
    row = db.call(lambda c: ledger.get(c, team_id=ids["Alpha"], iso_week="2026-W47"))
    assert row is not None and row.chat_id == new_id and row.parts["charts"] == (41, 42)


async def test_migration_seen_by_the_running_bot_and_by_the_send_delivers_once(
    bot: BotHarness,
) -> None:
    db: Database = bot.app.bot_data.db
    ids = await db.run(teams_with_chats)
    new_id = bot.api.upgrade_to_supergroup(CHATS["Alpha"])
    # The running application may handle the service messages before, during or after the run.
    report = await digest_run.send_due_digests(
        TelegramPoster(bot.app.bot, admin_ids=[ADMIN_ID]),
        db,
        schedule=SCHEDULE,
        moment=Moment(W47_SLOT, LONDON, KINDS),
    )
    assert report.sent == ["Alpha", "Bravo", "Charlie"]
    digest_texts = [t for t in bot.api.sent_texts(new_id) if t.startswith("Alpha · 2026-W47")]
    assert len(digest_texts) == 1
    assert len(sends(bot.api, new_id, "sendMediaGroup")) == 1
    binding = await db.run(lambda c: chats.team_chat(c, ids["Alpha"]))
    assert binding is not None and binding.chat_id == new_id


# --- The bot removed from a group ----------------------------------------------------------------


async def test_a_removed_bot_unbinds_the_chat_tells_managers_once_and_stops_trying(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram
    ids = db.call(with_manager)
    api.remove_bot(CHATS["Alpha"])

    report = await run(tg, db, W47_SLOT)

    assert report.sent == ["Bravo", "Charlie"]
    [failure] = report.failed
    assert (failure.team, failure.error, failure.will_retry) == ("Alpha", posting.REMOVED, False)
    [told] = api.sent_texts(MANAGER)
    assert "Alpha" in told and "/bind" in told
    [notice] = api.sent_texts(ADMIN_ID)
    assert "Alpha: the bot was removed from the group; it will not be tried again" in notice
    assert "Forbidden" not in notice and "Bravo" not in notice
    assert db.call(lambda c: chats.team_chat(c, ids["Alpha"])) is None

    # A whole week of catch-up runs: not one more request about Alpha, nobody told again.
    before = len(api.requests)
    for i in range(1, 10):
        again = await run(tg, db, W47_SLOT + i * digest_run.CATCH_UP_INTERVAL)
        assert again.sent == [] and again.failed == []
    assert len(api.requests) == before
    assert len(api.sent_texts(MANAGER)) == 1 and len(api.sent_texts(ADMIN_ID)) == 1

    row = db.call(lambda c: ledger.get(c, team_id=ids["Alpha"], iso_week="2026-W47"))
    assert row is not None and (row.status, row.attempts) == (ledger.GIVEN_UP, 1)

    # /ledger says why, that week and the next.
    after_next_slot = W48_SLOT + timedelta(hours=1)
    assert (await run(tg, db, after_next_slot)).sent == ["Bravo", "Charlie"]
    ledger_report_now = report_for_admin(db, after_next_slot)
    w48, w47 = ledger_report_now.weeks[:2]
    [alpha47] = [e for e in w47.entries if e.team_name == "Alpha"]
    assert (alpha47.state, alpha47.error) == (LedgerState.GIVEN_UP, posting.REMOVED)
    [alpha48] = [e for e in w48.entries if e.team_name == "Alpha"]
    assert alpha48.state == LedgerState.CHAT_LOST and alpha48.lost_at == W47_SLOT
    text = ledger_text(ledger_report_now)
    assert "• Alpha: given up (1 attempt): the bot was removed from the group" in text
    assert (
        "• Alpha: no chat: the bot was removed from the group on Mon 23 Nov; "
        "a manager can /bind a group again" in text
    )


# --- Forum topics --------------------------------------------------------------------------------


async def test_the_digest_goes_into_the_bound_forum_topic(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram
    ids = db.call(teams_with_chats)
    topic = api.create_topic(CHATS["Alpha"], "Weekly digest")
    db.call(
        lambda c: chats.bind_chat(
            c,
            team_id=ids["Alpha"],
            chat_id=CHATS["Alpha"],
            title="Alpha",
            by=None,
            now=W47_SLOT - timedelta(days=1),
            thread_id=topic,
        )
    )

    report = await run(tg, db, W47_SLOT)

    assert report.sent == ["Alpha", "Bravo", "Charlie"]
    [album] = sends(api, CHATS["Alpha"], "sendMediaGroup")
    texts = sends(api, CHATS["Alpha"], "sendMessage")
    assert album["message_thread_id"] == topic
    assert [t["message_thread_id"] for t in texts] == [topic]
    # Teams bound to a plain chat post to the chat itself.
    assert all(
        "message_thread_id" not in p
        for p in sends(api, CHATS["Bravo"], "sendMediaGroup")
        + sends(api, CHATS["Bravo"], "sendMessage")
    )


async def test_a_deleted_topic_gives_the_week_up_with_a_plain_reason(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram
    ids = db.call(teams_with_chats)
    api.create_topic(CHATS["Alpha"], "Weekly digest")
    db.call(
        lambda c: chats.bind_chat(
            c,
            team_id=ids["Alpha"],
            chat_id=CHATS["Alpha"],
            title="Alpha",
            by=None,
            now=W47_SLOT - timedelta(days=1),
            thread_id=987654,  # no such topic
        )
    )

    report = await run(tg, db, W47_SLOT)

    [failure] = report.failed
    assert (failure.team, failure.error, failure.will_retry) == (
        "Alpha",
        posting.TOPIC_GONE,
        False,
    )
    before = len(api.requests)
    assert (await run(tg, db, W47_SLOT + timedelta(minutes=10))).failed == []
    assert len(api.requests) == before


# --- Failure notices -----------------------------------------------------------------------------


async def test_eight_failing_runs_make_one_admin_notice_then_the_week_is_given_up(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram

    def alpha_only(conn: Connection) -> int:
        team = make_team(conn, "Alpha", chat_id=-2001)
        make_member(conn, team, 500, "Member Alpha", Role.ORGANISER)
        return team

    alpha = db.call(alpha_only)
    api.fail_next("sendMediaGroup", status=502, times=ledger.MAX_ATTEMPTS)

    reports = [
        await run(tg, db, W47_SLOT + i * digest_run.CATCH_UP_INTERVAL)
        for i in range(ledger.MAX_ATTEMPTS + 2)
    ]

    failing = reports[: ledger.MAX_ATTEMPTS]
    assert all([f.team for f in r.failed] == ["Alpha"] for r in failing)
    assert [len(r.told) for r in failing] == [1] + [0] * (ledger.MAX_ATTEMPTS - 1)
    assert [f.will_retry for r in failing for f in r.failed] == [True] * (
        ledger.MAX_ATTEMPTS - 1
    ) + [False]
    assert [r.failed for r in reports[ledger.MAX_ATTEMPTS :]] == [[], []]  # given up: not tried
    [notice] = api.sent_texts(ADMIN_ID)
    assert notice.splitlines() == [
        "The weekly digest for 2026-W47 could not be posted for 1 team:",
        f"• Alpha: {posting.NO_ANSWER}; the bot tries again every 10 minutes, "
        f"up to {ledger.MAX_ATTEMPTS} attempts.",
        "You will not be told about these teams again this week; /ledger shows how it ends.",
    ]
    row = db.call(lambda c: ledger.get(c, team_id=alpha, iso_week="2026-W47"))
    assert (
        row is not None and row.attempts == ledger.MAX_ATTEMPTS and row.admins_told_at == W47_SLOT
    )
    [entry] = report_for_admin(db, W47_SLOT + timedelta(hours=3)).weeks[0].entries
    assert entry.state == LedgerState.GIVEN_UP and entry.error == posting.NO_ANSWER

    # Next week is a new week: a failure there is told again, once.
    api.fail_next("sendMessage", status=502)
    report = await run(tg, db, W48_SLOT)
    assert [f.team for f in report.told] == ["Alpha"]
    assert len(api.sent_texts(ADMIN_ID)) == 2


@pytest.mark.parametrize(
    ("status", "description", "expected", "gone"),
    [
        (403, "Forbidden: bot was kicked from the group chat", posting.REMOVED, True),
        (403, "Forbidden: bot is not a member of the supergroup chat", posting.REMOVED, True),
        (400, "Bad Request: chat not found", posting.GROUP_GONE, True),
        (
            400,
            "Bad Request: not enough rights to send photos to the chat",
            posting.NOT_ALLOWED,
            True,
        ),
        (400, "Bad Request: message thread not found", posting.TOPIC_GONE, False),
        (
            400,
            "Bad Request: message is too long",
            "Telegram refused the message (Message is too long)",
            False,
        ),
        (500, "Internal Server Error", posting.NO_ANSWER, False),
    ],
)
async def test_telegram_refusals_are_worded_plainly(
    telegram: tuple[FakeBotAPI, Bot],
    db: Database,
    status: int,
    description: str,
    expected: str,
    gone: bool,
) -> None:
    api, tg = telegram
    ids = db.call(with_manager)
    api.fail_next("sendMediaGroup", status=status, description=description)

    report = await run(tg, db, W47_SLOT)

    [failure] = report.failed
    assert failure.error == expected
    assert "Forbidden" not in failure.error and "Bad Request" not in failure.error
    assert (db.call(lambda c: chats.team_chat(c, ids["Alpha"])) is None) == gone
    assert len(api.sent_texts(MANAGER)) == (1 if gone else 0)


# --- A large team --------------------------------------------------------------------------------


def big_team(conn: Connection) -> int:
    """Big, 150 organisers with long names, all logging; Small beside it, so there is a median."""
    team = make_team(conn, "Big", chat_id=-2001)
    for i in range(150):
        person = make_member(
            conn, team, 10_000 + i, f"Organiser Number {i:03d} Longname", Role.ORGANISER
        )
        log(conn, person, team, "one_to_one", 1 + i % 20, W47 + timedelta(days=i % 7))
    small = make_team(conn, "Small", chat_id=-2002)
    person = make_member(conn, small, 9_999, "Sam Small", Role.ORGANISER)
    log(conn, person, small, "one_to_one", 15, W47)
    return team


def rendered_digest(db: Database, team: int) -> RenderedDigest:
    built = db.call(
        lambda c: digests.build_week_by_team(c, monday=W47, kinds=KINDS, team_ids=[team])
    )
    return TelegramPoster.render(cast(TelegramPoster, None), built[team], KINDS)


async def test_a_150_member_team_gets_every_part_of_its_digest_within_telegrams_limit(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram
    team = db.call(big_team)

    report = await run(tg, db, W47_SLOT)

    assert report.sent == ["Big", "Small"]
    texts = api.sent_texts(-2001)
    expected = rendered_digest(db, team)
    assert texts == list(expected.messages) and len(texts) >= 2
    assert all(len(t.encode("utf-16-le")) // 2 <= posting.MAX_TEXT for t in texts)
    assert texts[0].startswith("Big · 2026-W47")
    last = texts[-1].splitlines()
    assert last[-3].startswith("Team attainment: ")
    assert last[-2] == scrutiny_line(expected.digest)
    assert last[-1] == cross_team_line(expected.digest)
    assert last[-1] == api.sent_texts(-2002)[-1].splitlines()[-1]  # the same line for Small
    row = db.call(lambda c: ledger.get(c, team_id=team, iso_week="2026-W47"))
    assert row is not None and len(row.parts["text"]) == len(texts)


async def test_a_resumed_large_digest_posts_only_the_messages_still_missing(
    telegram: tuple[FakeBotAPI, Bot], db: Database
) -> None:
    api, tg = telegram
    team = db.call(big_team)
    expected = rendered_digest(db, team).messages

    def crashed_after_first_message(conn: Connection) -> None:
        ledger.claim(
            conn,
            team_id=team,
            iso_week="2026-W47",
            template_version=TEMPLATE_VERSION,
            chat_id=-2001,
            now=W47_SLOT,
            stale_after=STALE_CLAIM,
        )
        for part, message_ids in (("charts", (41, 42)), ("text", (43,))):
            ledger.record_part(
                conn, team_id=team, iso_week="2026-W47", part=part, message_ids=message_ids
            )

    db.call(crashed_after_first_message)
    report = await run(tg, db, W47_SLOT + STALE_CLAIM + timedelta(minutes=1))

    assert "Big" in report.sent
    assert sends(api, -2001, "sendMediaGroup", ok=False) == []
    assert api.sent_texts(-2001) == list(expected[1:])
    row = db.call(lambda c: ledger.get(c, team_id=team, iso_week="2026-W47"))
    assert row is not None and row.parts["text"][0] == 43
    assert len(row.parts["text"]) == len(expected)
