"""Wiring: ``build_application(settings)`` is the one place the bot is put together."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from handlers import register_handlers, status
from handlers.common import stored_replies_written
from handlers.menu import register_menus
from organiser_bot.context import CONTEXT_TYPES, BotData, utc_now
from organiser_bot.domain.roles import Role
from organiser_bot.intake import Intake, IntakeApplication, IntakeBot
from organiser_bot.settings import Settings
from storage import migrate, people
from storage.engine import Database

log = logging.getLogger(__name__)

BotApplication = Application[Any, Any, Any, Any, Any, Any]


def file_base_url(api_base_url: str) -> str:
    """The file download URL that goes with an API base URL (``.../bot`` -> ``.../file/bot``)."""
    root, sep, tail = api_base_url.rstrip("/").rpartition("/")
    return f"{root}/file/{tail}" if sep else f"{api_base_url}/file"


def build_application(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    schedule_jobs: bool = True,
    request: BaseRequest | None = None,
    rate_limiter: AIORateLimiter | None = None,
) -> BotApplication:
    """Build the bot: handlers, jobs, rate limiter, and the database opened in ``post_init``.

    Args:
        settings: Validated settings; ``telegram_bot_token`` must be set.
        clock: Where "now" comes from (tests pass a controllable clock).
        schedule_jobs: Whether to schedule the weekly digest and nudges.
        request: The HTTP transport for every Bot API call, ``getUpdates`` included (tests and
            benchmarks inject an in-process one).
        rate_limiter: Overrides the default limiter (Telegram's limits, 3 retries on 429).
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    # Opt in to PTB's timedelta durations now: otherwise every 429 from Telegram logs a
    # deprecation warning about RetryAfter.retry_after's future type.
    os.environ.setdefault("PTB_TIMEDELTA", "true")

    async def post_init(app: BotApplication) -> None:
        data: BotData = app.bot_data
        db = Database(settings.database_url)
        # Pending migrations are applied on start, so an upgrade is "install and restart".
        await asyncio.to_thread(migrate.upgrade, db.engine)
        data.db = db
        # Updates stored before the last stop and not done go first (storage/inbox.py).
        intake.open(db)
        await intake.recover(app.bot, app.update_queue)
        data.bot_username = app.bot.username
        for kind in await db.run(people.custom_kinds):
            data.kinds.add(kind)
        managers = await db.run(people.manager_user_ids)
        organisers = await db.run(people.role_holder_ids, Role.ORGANISER)
        await register_menus(app.bot, settings.admin_telegram_ids, managers, organisers)
        if schedule_jobs:
            from handlers import jobs

            jobs.schedule(app)
        # The heartbeat's stretch opens, and the status chat hears of the start.
        await status.on_start(app)

    async def post_stop(app: BotApplication) -> None:
        # Polling and jobs have stopped; the bot can still send: record the clean stop, tell.
        await status.on_stop(app)

    async def post_shutdown(app: BotApplication) -> None:
        data: BotData = app.bot_data
        if hasattr(data, "db"):
            await stored_replies_written(data)
            await intake.close()
            await asyncio.to_thread(data.db.close)

    # Every fetched batch is stored before the next getUpdates offset confirms it, and each
    # update is marked done when its handlers finish: a crash loses nothing (intake.py).
    intake = Intake(clock)
    bot = IntakeBot(
        intake=intake,
        token=settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=file_base_url(settings.telegram_api_base_url),
        # getUpdates too: an injected transport answers every call, so nothing reaches the
        # network. The default pools are python-telegram-bot's (256 for calls, 1 for polling).
        request=request or HTTPXRequest(connection_pool_size=256),
        get_updates_request=request or HTTPXRequest(),
        rate_limiter=rate_limiter or AIORateLimiter(max_retries=3),
    )
    app = (
        ApplicationBuilder()
        .application_class(IntakeApplication)
        .bot(bot)
        .context_types(CONTEXT_TYPES)
        # Database work runs in threads, so updates can be handled side by side; a message is
        # keyed by chat and message id, so ordering between different updates is not relied on.
        .concurrent_updates(8)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    data: BotData = app.bot_data
    data.settings = settings
    data.clock = clock
    intake.on_poll = lambda at: status.polled(data, at)
    register_handlers(app)
    return app
