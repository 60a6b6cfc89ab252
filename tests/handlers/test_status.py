"""/status, /statuschat, the heartbeat job and the status chat's notices, through
``Application.process_update`` on both databases."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from handlers import jobs
from handlers import status as status_handlers
from organiser_bot.domain.digest import message_length
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.digest_run import DigestRunReport, TeamFailure
from storage import ledger
from storage.engine import Database
from storage.models import AuditEntry, Heartbeat
from storage.query import table_of
from tests.conftest import ADMIN_ID, BotHarness, OfflineBot
from tests.digest_factories import make_member, make_team

MANAGER, ORGANISER, STRANGER = 2001, 2002, 2999
GROUP = -1_001_234
OPS = -1_009_999


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


def _team(bot: OfflineBot) -> None:
    with _db(bot).begin() as conn:
        team = make_team(conn, "North Ward", chat_id=GROUP)
        make_member(conn, team, MANAGER, "Mia", Role.MANAGER)
        make_member(conn, team, ORGANISER, "Sam", Role.ORGANISER)


def _stretches(bot: OfflineBot) -> int:
    with _db(bot).begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table_of(Heartbeat))).scalar_one())


def _job_context(bot: OfflineBot) -> Any:
    return SimpleNamespace(bot_data=bot.app.bot_data, bot=bot.app.bot)


async def _beat(bot: OfflineBot, minutes: int, every: int = 1) -> None:
    for _ in range(minutes // every):
        bot.clock.advance(minutes=every)
        await status_handlers.heartbeat_job(_job_context(bot))


async def _make_ops_status_chat(bot: OfflineBot, *, thread_id: int | None = None) -> str:
    update = bot.message(ADMIN_ID, "/statuschat", chat_id=OPS, chat_type="supergroup")
    if thread_id is not None:
        update["message"].update(message_thread_id=thread_id, is_topic_message=True)
    [answer] = await bot.replies(update)
    return str(answer.params["text"])


async def test_status_shows_uptime_poll_digest_and_database_without_the_url(
    offline_bot: OfflineBot,
) -> None:
    _team(offline_bot)
    await _beat(offline_bot, 10)
    text = await offline_bot.say(ADMIN_ID, "/status")
    assert "Uptime, 7 days: 100%" in text
    assert "Uptime, 30 days: 100%" in text
    assert "Last digest run: none in the last 5 weeks" in text
    assert "Status chat: none" in text
    backend = "SQLite" if offline_bot.db_url.startswith("sqlite") else "PostgreSQL"
    assert f"Database: {backend} " in text and "round trip" in text
    # Never the address, user or password.
    assert offline_bot.db_url not in text and "postgres@" not in text and "://" not in text
    assert message_length(text) <= 4096


async def test_a_manager_sees_the_status_and_a_member_or_stranger_is_refused(
    offline_bot: OfflineBot,
) -> None:
    _team(offline_bot)
    assert "Uptime, 7 days" in await offline_bot.say(MANAGER, "/status")
    for who in (ORGANISER, STRANGER):
        answer = await offline_bot.say(who, "/status")
        assert "Uptime" not in answer and "Database" not in answer


async def test_a_stall_longer_than_three_beats_is_down_time(offline_bot: OfflineBot) -> None:
    await _beat(offline_bot, 60)
    assert _stretches(offline_bot) == 1
    offline_bot.clock.advance(minutes=10)  # no beat for 11 minutes
    await _beat(offline_bot, 49)
    assert _stretches(offline_bot) == 2
    text = await offline_bot.say(ADMIN_ID, "/status")
    # Up 0-60 and 71-119 minutes after the start: 108 of 119 minutes, 11 down in one spell.
    assert "Uptime, 7 days: 90.75% · 1 outage, longest 11 min 0 s" in text
    assert "since" in text and "(first record)" in text


async def test_statuschat_sets_the_chat_and_start_and_stop_are_told_there(
    offline_bot: OfflineBot,
) -> None:
    assert "now gets the bot's start, stop and failure notices" in await _make_ops_status_chat(
        offline_bot, thread_id=9
    )
    await _beat(offline_bot, 5)
    since = len(offline_bot.request.calls)
    await status_handlers.on_stop(offline_bot.app)
    [stop] = [c.params for c in offline_bot.request.calls_to("sendMessage", since)]
    assert stop["chat_id"] == OPS and stop["message_thread_id"] == 9
    assert "Bot stopping cleanly" in stop["text"]
    offline_bot.clock.advance(minutes=7)
    since = len(offline_bot.request.calls)
    await status_handlers.on_start(offline_bot.app)
    [start] = [c.params for c in offline_bot.request.calls_to("sendMessage", since)]
    assert start["chat_id"] == OPS
    assert "Bot started" in start["text"] and "stopped cleanly" in start["text"]
    assert "down 7 min 0 s" in start["text"]
    with _db(offline_bot).begin() as conn:
        actions = list(conn.execute(select(table_of(AuditEntry).c.action)).scalars())
    assert "status_chat_set" in actions


async def test_a_start_after_a_crash_says_it_did_not_stop_cleanly(
    offline_bot: OfflineBot,
) -> None:
    await _make_ops_status_chat(offline_bot)
    await _beat(offline_bot, 3)
    offline_bot.clock.advance(minutes=30)  # the process died: no stop recorded
    since = len(offline_bot.request.calls)
    await status_handlers.on_start(offline_bot.app)
    [start] = [c.params for c in offline_bot.request.calls_to("sendMessage", since)]
    assert "did not stop cleanly" in start["text"] and "down about 30 min 0 s" in start["text"]


async def test_only_an_admin_sets_the_status_chat_and_off_stops_it(
    offline_bot: OfflineBot,
) -> None:
    _team(offline_bot)
    refused = await offline_bot.say(MANAGER, "/statuschat", chat_id=GROUP, chat_type="supergroup")
    assert refused == "Only admins can choose the chat for the bot's notices."
    assert "Status chat: none" in await offline_bot.say(ADMIN_ID, "/status")
    in_private = await offline_bot.say(ADMIN_ID, "/statuschat")
    assert "Send /statuschat in the group" in in_private
    assert "Status chat: none" in await offline_bot.say(ADMIN_ID, "/status")
    await _make_ops_status_chat(offline_bot)
    assert "Status chat: Test supergroup" in await offline_bot.say(ADMIN_ID, "/status")
    off = await offline_bot.say(ADMIN_ID, "/statuschat off", chat_id=OPS, chat_type="supergroup")
    assert off == "This chat no longer gets the bot's notices."
    again = await offline_bot.say(ADMIN_ID, "/statuschat off", chat_id=OPS, chat_type="supergroup")
    assert again == "This chat wasn't getting the bot's notices."
    assert "Status chat: none" in await offline_bot.say(ADMIN_ID, "/status")
    since = len(offline_bot.request.calls)
    await status_handlers.on_stop(offline_bot.app)
    assert not offline_bot.request.calls_to("sendMessage", since)


async def test_a_failed_digest_run_is_told_in_the_status_chat_without_team_names(
    offline_bot: OfflineBot,
) -> None:
    await _make_ops_status_chat(offline_bot)
    report = DigestRunReport(
        iso_week="2026-W47",
        told=[TeamFailure("North Ward", "the bot was removed from the group", False)],
    )
    since = len(offline_bot.request.calls)
    await status_handlers.tell_digest_failures(
        offline_bot.app.bot, offline_bot.app.bot_data, report
    )
    [notice] = [c.params for c in offline_bot.request.calls_to("sendMessage", since)]
    assert notice["chat_id"] == OPS
    assert "2026-W47 could not be posted for 1 team" in notice["text"]
    assert "North Ward" not in notice["text"]
    # A run the admins were not told about (nothing new failed) says nothing.
    since = len(offline_bot.request.calls)
    await status_handlers.tell_digest_failures(
        offline_bot.app.bot, offline_bot.app.bot_data, DigestRunReport(iso_week="2026-W47")
    )
    assert not offline_bot.request.calls_to("sendMessage", since)


async def test_status_in_a_group_points_to_the_private_chat(offline_bot: OfflineBot) -> None:
    answer = await offline_bot.say(ADMIN_ID, "/status", chat_id=OPS, chat_type="supergroup")
    assert "Uptime" not in answer


async def test_the_last_poll_is_kept_in_memory_and_stored_with_the_next_beat(
    offline_bot: OfflineBot,
) -> None:
    data = offline_bot.app.bot_data
    assert "Last poll: none recorded yet" in await offline_bot.say(ADMIN_ID, "/status")
    polled_at = offline_bot.clock.now
    status_handlers.polled(data, polled_at)
    offline_bot.clock.advance(seconds=42)
    assert "(42 s ago)" in await offline_bot.say(ADMIN_ID, "/status")
    await status_handlers.heartbeat_job(_job_context(offline_bot))
    with _db(offline_bot).begin() as conn:
        stored = conn.execute(select(func.max(table_of(Heartbeat).c.polled_at))).scalar_one()
    assert stored is not None


async def test_the_last_digest_run_shows_its_first_to_last_spread_and_failures(
    offline_bot: OfflineBot,
) -> None:
    # The clock is Thursday 26 Nov 2026 (week 48): the last completed week is 2026-W47.
    first = offline_bot.clock.now - timedelta(days=3, hours=3)
    with _db(offline_bot).begin() as conn:
        teams = [make_team(conn, name, chat_id=-100 - i) for i, name in enumerate("ABC")]
        for i, team in enumerate(teams[:2]):
            sent_at = first + timedelta(seconds=47 * i)
            ledger.claim(
                conn,
                team_id=team,
                iso_week="2026-W47",
                template_version="v",
                chat_id=-100 - i,
                now=sent_at,
                stale_after=timedelta(hours=1),
            )
            ledger.mark_sent(
                conn,
                team_id=team,
                iso_week="2026-W47",
                template_version="v",
                content_hash="h",
                now=sent_at,
            )
        ledger.claim(
            conn,
            team_id=teams[2],
            iso_week="2026-W47",
            template_version="v",
            chat_id=-102,
            now=first,
            stale_after=timedelta(hours=1),
        )
        ledger.mark_failed(conn, team_id=teams[2], iso_week="2026-W47", error="gone", give_up=True)
        # An older week is not the last run.
        ledger.claim(
            conn,
            team_id=teams[0],
            iso_week="2026-W46",
            template_version="v",
            chat_id=-100,
            now=first - timedelta(days=7),
            stale_after=timedelta(hours=1),
        )
    text = await offline_bot.say(ADMIN_ID, "/status")
    local = first.astimezone(offline_bot.app.bot_data.settings.tz)
    expected = f"2026-W47 · 2 sent within 47 s, first {local.day} {local:%b %H:%M} · 1 failed"
    assert f"Last digest run: {expected} (/ledger)" in text


async def test_the_menus_offer_status_to_managers_and_statuschat_to_group_admins(
    offline_bot: OfflineBot,
) -> None:
    menus = {
        c["scope"]["type"] + str(c["scope"].get("chat_id", "")): {
            x["command"] for x in c["commands"]
        }
        for c in offline_bot.calls("setMyCommands")
    }
    assert "status" in menus[f"chat{ADMIN_ID}"]
    assert "status" not in menus["all_private_chats"]
    assert "statuschat" in menus["all_chat_administrators"]
    assert "statuschat" not in menus["all_group_chats"]


async def test_help_lists_status_for_managers_and_statuschat_for_admins(
    offline_bot: OfflineBot,
) -> None:
    _team(offline_bot)
    admin = await offline_bot.say(ADMIN_ID, "/help")
    manager = await offline_bot.say(MANAGER, "/help")
    member = await offline_bot.say(ORGANISER, "/help")
    assert "/status " in admin and "/statuschat" in admin
    assert "/status " in manager and "/statuschat" not in manager
    assert "/status" not in member


async def test_the_heartbeat_is_scheduled_every_minute(offline_bot: OfflineBot) -> None:
    jobs.schedule(offline_bot.app)
    jq = offline_bot.app.job_queue
    try:
        [job] = jq.get_jobs_by_name(status_handlers.HEARTBEAT_JOB)
        assert job.trigger.interval == timedelta(minutes=1)
    finally:
        for job in jq.jobs():
            job.schedule_removal()


async def test_a_polling_bot_shows_its_last_poll_and_records_a_clean_stop(
    bot: BotHarness,
) -> None:
    text = await bot.say(ADMIN_ID, "/status")
    assert "Last poll: " in text and " ago)" in text
    await bot.app.post_stop(bot.app)
    with bot.app.bot_data.db.begin() as conn:
        stopped = conn.execute(select(table_of(Heartbeat).c.stopped_at)).scalars().all()
    assert len(stopped) == 1 and stopped[0] is not None
