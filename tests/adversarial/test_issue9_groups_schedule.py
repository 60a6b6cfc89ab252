"""Issue #9, the schedule and /ledger tried against the fake Bot API: bindings close to the slot,
a binding renewed after the slot, the spread /ledger reports, and failures in a week."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection
from telegram import Bot

from handlers.texts.digests import ledger_text
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.ledger_report import LedgerState
from storage import chats, ledger
from storage.engine import Database
from tests.digest_factories import log, make_member, make_team
from tests.fakebot import FakeBotAPI
from tests.jobs.test_digest_group_life import (
    W47_SLOT,
    report_for_admin,
    run,
    telegram,  # noqa: F401 - the fixture
)
from tests.jobs.test_digest_job import CHATS, W47, teams_with_chats

TG = tuple[FakeBotAPI, Bot]


def _bind(team: int, chat_id: int, at: datetime, thread_id: int | None = None):  # type: ignore[no-untyped-def]
    return lambda c: chats.bind_chat(
        c, team_id=team, chat_id=chat_id, title="chat", by=None, now=at, thread_id=thread_id
    )


@pytest.mark.parametrize(
    ("offset", "owed"),
    [
        (timedelta(minutes=-1), True),
        (timedelta(0), True),
        (timedelta(minutes=1), False),
        (timedelta(days=6), False),  # the Sunday after
    ],
)
async def test_a_chat_bound_near_the_slot_is_owed_exactly_when_bound_by_it(
    telegram: TG,  # noqa: F811
    db: Database,
    offset: timedelta,
    owed: bool,
) -> None:
    api, tg = telegram

    def echo(conn: Connection) -> int:
        team = make_team(conn, "Echo", created_at=W47_SLOT - timedelta(days=30))
        make_member(conn, team, 650, "Member Echo", Role.ORGANISER)
        return team

    team = db.call(echo)
    db.call(_bind(team, -2005, W47_SLOT + offset))
    when = max(W47_SLOT, W47_SLOT + offset) + timedelta(minutes=10)
    report = await run(tg, db, when)
    assert report.sent == (["Echo"] if owed else [])
    assert report.not_due == ([] if owed else ["Echo"])
    assert (len(api.sent_texts(-2005)) == 1) is owed
    # /ledger agrees: the week is shown for Echo only when it was owed.
    [w47] = [w for w in report_for_admin(db, when).weeks if w.iso_week == "2026-W47"]
    assert [e.team_name for e in w47.entries] == (["Echo"] if owed else [])


async def test_nothing_is_sent_a_minute_before_the_slot(
    telegram: TG,  # noqa: F811
    db: Database,
) -> None:
    api, tg = telegram
    db.call(teams_with_chats)
    report = await run(tg, db, W47_SLOT - timedelta(minutes=1))
    assert report.sent == [] and report.iso_week != "2026-W47"
    assert api.sent_texts() == []
    # /ledger: the last completed week is not due yet, for every bound team.
    [w47] = report_for_admin(db, W47_SLOT - timedelta(minutes=1)).weeks[:1]
    assert w47.iso_week == "2026-W47"
    assert {e.team_name: e.state for e in w47.entries} == dict.fromkeys(CHATS, LedgerState.NOT_DUE)


@pytest.mark.parametrize("topic", [False, True])
async def test_rebinding_the_same_chat_after_a_missed_slot_keeps_the_week_owed(
    telegram: TG,  # noqa: F811
    db: Database,
    topic: bool,
) -> None:
    api, tg = telegram
    ids = db.call(teams_with_chats)  # bound long before the slot
    thread = api.create_topic(CHATS["Alpha"], "Digest") if topic else None
    # The bot was down over the slot; at 09:30 a manager sends /bind alpha in Alpha's group
    # again (to check, or to move the digest into a topic of the same group).
    db.call(_bind(ids["Alpha"], CHATS["Alpha"], W47_SLOT + timedelta(minutes=30), thread))
    when = W47_SLOT + timedelta(minutes=40)
    report = await run(tg, db, when)
    [w47] = report_for_admin(db, when).weeks[:1]
    assert "Alpha" in [e.team_name for e in w47.entries]
    assert report.sent == ["Alpha", "Bravo", "Charlie"]
    assert len(api.sent_texts(CHATS["Alpha"])) == 1


async def test_a_migration_after_the_slot_keeps_the_week_owed(
    telegram: TG,  # noqa: F811
    db: Database,
) -> None:
    api, tg = telegram
    ids = db.call(teams_with_chats)
    new_id = api.upgrade_to_supergroup(CHATS["Alpha"])
    # The service message was handled after the slot, while the run had not yet gone.
    db.call(lambda c: chats.migrate_chat(c, old_chat_id=CHATS["Alpha"], new_chat_id=new_id))
    report = await run(tg, db, W47_SLOT + timedelta(minutes=20))
    assert report.sent == ["Alpha", "Bravo", "Charlie"]
    assert len(api.sent_texts(new_id)) == 1
    binding = db.call(lambda c: chats.team_chat(c, ids["Alpha"]))
    assert binding is not None and binding.chat_id == new_id


async def test_the_ledger_spread_measures_when_digests_actually_went_out(
    telegram: TG,  # noqa: F811
    db: Database,
) -> None:
    api, tg = telegram
    db.call(teams_with_chats)
    # Telegram answers two teams' texts slowly, one after the other (latency, not
    # synchronisation): the last team's digest goes out at least that much after the first.
    api.slow_next("sendMessage", 1.5, times=2)
    started = time.monotonic()
    report = await run(tg, db, W47_SLOT)
    elapsed = time.monotonic() - started
    assert report.sent == ["Alpha", "Bravo", "Charlie"] and elapsed >= 3.0
    [w47] = report_for_admin(db, W47_SLOT + timedelta(hours=1)).weeks[:1]
    assert w47.sent == 3 and w47.spread is not None
    assert w47.spread >= timedelta(seconds=1)


async def test_the_ledger_spread_with_one_team_and_with_a_retried_failure(
    telegram: TG,  # noqa: F811
    db: Database,
) -> None:
    api, tg = telegram

    def alpha(conn: Connection) -> int:
        team = make_team(conn, "Alpha", chat_id=-2001)
        person = make_member(conn, team, 500, "Member Alpha", Role.ORGANISER)
        log(conn, person, team, "one_to_one", 5, W47)
        return team

    db.call(alpha)
    await run(tg, db, W47_SLOT)
    [w47] = report_for_admin(db, W47_SLOT + timedelta(hours=1)).weeks[:1]
    assert w47.sent == 1
    text = ledger_text(report_for_admin(db, W47_SLOT + timedelta(hours=1)))
    assert "2026-W47 (16 Nov) · 1 sent" in text

    # Next week Bravo joins; its first attempt fails and the catch-up sends it 10 min later.
    def bravo(conn: Connection) -> None:
        team = make_team(conn, "Bravo", chat_id=-2002)
        make_member(conn, team, 501, "Member Bravo", Role.ORGANISER)

    db.call(bravo)
    slot = W47_SLOT + timedelta(days=7)
    api.fail_next("sendMediaGroup", status=502, times=1)
    first = await run(tg, db, slot)
    assert [f.team for f in first.failed] == ["Alpha"] or [f.team for f in first.failed] == [
        "Bravo"
    ]
    second = await run(tg, db, slot + timedelta(minutes=10))
    assert len(second.sent) == 1 and second.failed == []
    report = report_for_admin(db, slot + timedelta(hours=1))
    [w48] = report.weeks[:1]
    # Each sent time is the run's time plus what the run took to get there (well under 5 s).
    assert w48.sent == 2 and w48.spread is not None
    assert (
        timedelta(minutes=10) - timedelta(seconds=5) < w48.spread < timedelta(minutes=10, seconds=5)
    )
    assert "2026-W48 (23 Nov) · 2 sent within " in ledger_text(report)
    entries = {e.team_name: e.state for e in w48.entries}
    assert entries == {"Alpha": LedgerState.SENT, "Bravo": LedgerState.SENT}


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (403, "Forbidden: bot was kicked from the supergroup chat"),
        (403, "Forbidden: bot was blocked by the user"),
        (403, "Forbidden: CHAT_WRITE_FORBIDDEN"),
        (400, "Bad Request: CHAT_WRITE_FORBIDDEN"),
        (400, "Bad Request: group chat was deactivated"),
        (400, "Bad Request: TOPIC_CLOSED"),
        (400, "Bad Request: have no rights to send a message"),
        (429, "Too Many Requests: retry after 5"),
        (502, "Bad Gateway"),
    ],
)
async def test_every_failure_notice_is_plain_and_single(
    telegram: TG,  # noqa: F811
    db: Database,
    status: int,
    description: str,
) -> None:
    api, tg = telegram

    def alpha(conn: Connection) -> None:
        team = make_team(conn, "Alpha", chat_id=-2001)
        make_member(conn, team, 500, "Member Alpha", Role.ORGANISER)
        make_member(conn, team, 700, "Mo Manager", Role.MANAGER)

    db.call(alpha)
    for i in range(ledger.MAX_ATTEMPTS + 1):
        api.fail_next("sendMediaGroup", status=status, description=description, retry_after=0)
        await run(tg, db, W47_SLOT + i * timedelta(minutes=10))
    admin_texts = api.sent_texts(1000)
    [notice] = admin_texts
    for noise in ("Forbidden", "Bad Request", "Too Many Requests", "Error", ": :"):
        assert noise not in notice, notice
    assert len(notice) <= 4096
    assert len(api.sent_texts(700)) <= 1  # the manager is told at most once


async def test_a_team_created_and_bound_on_sunday_appears_in_no_digest_until_its_first_slot(
    telegram: TG,  # noqa: F811
    db: Database,
) -> None:
    api, tg = telegram
    db.call(teams_with_chats)
    sunday = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)

    def fresh(conn: Connection) -> None:
        team = make_team(conn, "Echo", created_at=sunday)
        make_member(conn, team, 650, "Member Echo", Role.ORGANISER)
        chats.bind_chat(conn, team_id=team, chat_id=-2005, title="Echo", by=None, now=sunday)

    db.call(fresh)
    report = await run(tg, db, sunday + timedelta(minutes=10))
    assert "Echo" not in report.sent and api.sent_texts(-2005) == []
