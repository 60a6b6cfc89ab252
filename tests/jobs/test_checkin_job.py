"""The daily ``monthly-checkin`` job, against the loopback fake Bot API server: scheduled with
the bot's other jobs, it asks each member due once (a rerun, as after a restart, asks no one
again), a member who blocked the bot is not asked again, and a passing failure is retried."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from handlers import jobs
from handlers.residents import checkin_job
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.residents import CheckinReport
from storage.engine import Database
from storage.models import MonthlyCheckin
from storage.query import table_of
from tests.conftest import BotHarness
from tests.digest_factories import make_member, make_team

MIA, SAM, JO, NELL = 2001, 2002, 2003, 2004
NOVEMBER = date(2026, 11, 1)
#: November's last day, at the job's hour in London (GMT in winter).
LAST_DAY = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)


def _db(bot: BotHarness) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


def _org(bot: BotHarness) -> None:
    with _db(bot).begin() as conn:
        team = make_team(conn, "North Ward")
        make_member(conn, team, MIA, "Mia", Role.MANAGER)
        make_member(conn, team, SAM, "Sam", Role.ORGANISER)
        make_member(conn, team, JO, "Jo", Role.COUNCILLOR)
        make_member(conn, team, NELL, "Nell", Role.ORGANISER, joined_on=date(2026, 12, 1))


def _context(bot: BotHarness) -> Any:
    return SimpleNamespace(bot_data=bot.app.bot_data, bot=bot.app.bot)


async def _run(bot: BotHarness) -> CheckinReport:
    report: CheckinReport = await checkin_job(_context(bot))
    return report


def _asked(bot: BotHarness) -> dict[int, datetime | None]:
    c = table_of(MonthlyCheckin)
    with _db(bot).begin() as conn:
        rows = conn.execute(select(c.c.person_id, c.c.asked_at).where(c.c.month == NOVEMBER))
        return {person_id: asked_at for person_id, asked_at in rows}


def _sent_to(bot: BotHarness) -> list[int]:
    return sorted(int(p["chat_id"]) for p in bot.api.calls("sendMessage"))


async def test_it_is_scheduled_daily_with_the_other_jobs(bot: BotHarness) -> None:
    jobs.schedule(bot.app)
    jq = bot.app.job_queue
    assert jq is not None
    try:
        [job] = jq.get_jobs_by_name(jobs.CHECKIN_JOB)
        assert job.next_t is not None
        tz = bot.app.bot_data.settings.tz
        assert job.next_t.astimezone(tz).time() == jobs.CHECKIN_AT
    finally:
        for scheduled in jq.jobs():
            scheduled.schedule_removal()


async def test_each_member_due_is_asked_once_with_two_buttons(bot: BotHarness) -> None:
    _org(bot)
    bot.clock.now = datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    assert await _run(bot) == CheckinReport()  # no month is open on the 29th
    bot.clock.now = LAST_DAY
    report = await _run(bot)
    assert report.month == NOVEMBER
    assert sorted(report.sent) == [MIA, SAM, JO]  # not Nell: she joined after November
    assert _sent_to(bot) == [MIA, SAM, JO]
    message = bot.api.calls("sendMessage")[0]
    assert message["text"].startswith("Were you active this month (November 2026)?")
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert [(b["text"], b["callback_data"]) for b in buttons] == [
        ("Yes", "ci:2026-11:y"),
        ("No", "ci:2026-11:n"),
    ]
    assert set(_asked(bot).values()) == {LAST_DAY}
    # The next days of the window (and a restart) ask no one again.
    bot.clock.advance(days=1)
    assert (await _run(bot)).sent == []
    assert len(bot.api.calls("sendMessage")) == 3


async def test_a_blocked_bot_is_logged_and_not_retried(bot: BotHarness) -> None:
    _org(bot)
    bot.api.block_bot(SAM)
    bot.clock.now = LAST_DAY
    report = await _run(bot)
    assert (sorted(report.sent), report.refused, report.failed) == ([MIA, JO], [SAM], [])
    assert len(_asked(bot)) == 3  # Sam's claim is kept
    bot.clock.advance(days=1)
    again = await _run(bot)
    assert (again.sent, again.refused) == ([], [])
    assert sum(1 for p in bot.api.calls("sendMessage") if int(p["chat_id"]) == SAM) == 1


async def test_a_passing_failure_is_asked_again_on_a_later_run(bot: BotHarness) -> None:
    _org(bot)
    bot.clock.now = LAST_DAY
    bot.api.fail_next("sendMessage", status=500)
    first = await _run(bot)
    assert len(first.failed) == 1 and len(first.sent) == 2
    [failed] = first.failed
    assert len(_asked(bot)) == 2  # the failed claim was given back
    bot.clock.advance(days=1)
    second = await _run(bot)
    assert (second.sent, second.failed) == ([failed], [])
    assert len(_asked(bot)) == 3


@pytest.mark.parametrize(
    ("status", "description"),
    [(403, "Forbidden: user is deactivated"), (400, "Bad Request: chat not found")],
)
async def test_a_deleted_account_or_unknown_chat_is_not_retried(
    bot: BotHarness, status: int, description: str
) -> None:
    _org(bot)
    bot.clock.now = LAST_DAY
    bot.api.fail_next("sendMessage", status=status, description=description)
    first = await _run(bot)
    assert (len(first.sent), len(first.refused), first.failed) == (2, 1, [])
    assert len(_asked(bot)) == 3
    bot.clock.advance(days=1)
    assert (await _run(bot)).sent == []
    assert len(bot.api.calls("sendMessage")) == 3
