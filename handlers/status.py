"""``/status``, ``/statuschat``, the heartbeat job, and the status chat's notices.

The running bot's stretch and its last poll are kept here, per application: the stretch id
:func:`on_start` opened, which :func:`heartbeat_job` beats every minute (writing the last poll
with it: never a write per poll) and :func:`on_stop` closes. Notices go to the status chat
(``/statuschat`` in a group): a start, a clean stop, a digest run with failures. A notice that
cannot be sent is logged, never raised: it must not stop the bot, the stop, or the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application

from handlers.common import moment, run_as_actor
from handlers.groups import place_of
from handlers.replies import reply
from handlers.texts import status as texts
from organiser_bot.context import BotContext, BotData
from organiser_bot.domain.permissions import usable_in
from organiser_bot.domain.refusals import Action
from organiser_bot.usecases import status
from organiser_bot.usecases.digest_run import DigestRunReport
from organiser_bot.usecases.status import StatusChatTarget

log = logging.getLogger(__name__)

#: The heartbeat job's name; it runs every :data:`organiser_bot.domain.uptime.BEAT`.
HEARTBEAT_JOB = "heartbeat"


@dataclass
class _Running:
    stretch_id: int | None = None
    polled_at: datetime | None = None


_running: WeakKeyDictionary[BotData, _Running] = WeakKeyDictionary()


def _state(data: BotData) -> _Running:
    state = _running.get(data)
    if state is None:
        state = _running[data] = _Running()
    return state


def polled(data: BotData, at: datetime) -> None:
    """Note that ``getUpdates`` answered at ``at`` (kept in memory; the next beat stores it)."""
    _state(data).polled_at = at


def last_poll(data: BotData) -> datetime | None:
    """When ``getUpdates`` last answered in this process, or None."""
    return _state(data).polled_at


async def notify(bot: Bot, target: StatusChatTarget | None, text: str) -> bool:
    """Send ``text`` to the status chat (nothing when none is set); whether it was sent."""
    if target is None:
        return False
    try:
        await bot.send_message(target.chat_id, text, message_thread_id=target.thread_id)
    except TelegramError as exc:
        log.warning("Could not send a notice to the status chat %s: %s", target.chat_id, exc)
        return False
    return True


async def on_start(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Open this run's stretch and tell the status chat (from ``post_init``, once the database
    is open)."""
    data: BotData = app.bot_data
    now = data.now()
    started = await data.db.run(status.start_running, now=now)
    _state(data).stretch_id = started.stretch_id
    await notify(
        app.bot, started.target, texts.started_text(now, data.settings.tz, started.previous)
    )


async def on_stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Close this run's stretch and tell the status chat (a clean stop, while the bot can
    still send). Never raises."""
    data: BotData = app.bot_data
    state = _state(data)
    if state.stretch_id is None or not hasattr(data, "db"):
        return
    now = data.now()
    try:
        target = await data.db.run(
            status.stop_running, stretch_id=state.stretch_id, now=now, polled_at=state.polled_at
        )
    except Exception:
        log.warning("Could not record the clean stop", exc_info=True)
        return
    state.stretch_id = None
    await notify(app.bot, target, texts.stopped_text(now, data.settings.tz))


async def heartbeat_job(context: BotContext) -> None:
    """JobQueue callback: record a beat (and the last poll). A failure is logged: the missing
    beats then show as down time."""
    data = context.bot_data
    state = _state(data)
    if state.stretch_id is None:
        return
    try:
        state.stretch_id = await data.db.run(
            status.beat, stretch_id=state.stretch_id, now=data.now(), polled_at=state.polled_at
        )
    except Exception:
        log.warning("Could not record the heartbeat", exc_info=True)


async def tell_digest_failures(bot: Bot, data: BotData, report: DigestRunReport) -> None:
    """Tell the status chat about a digest run whose failures the admins were told of (once a
    week per team, as they are); no team is named there. Never raises."""
    if not report.told or report.iso_week is None:
        return
    try:
        target = await data.db.run(status.status_target)
    except Exception:
        log.warning("Could not read the status chat", exc_info=True)
        return
    await notify(bot, target, texts.digest_failed_text(report.iso_week, len(report.told)))


async def tell_error(bot: Bot, data: BotData, error: BaseException) -> None:
    """Tell the status chat that an unexpected error happened (its class name only: the
    admins get the details privately). The caller sends it when the admins are told, so at
    most once an hour per error. Never raises."""
    try:
        target = await data.db.run(status.status_target)
    except Exception:
        log.warning("Could not read the status chat", exc_info=True)
        return
    await notify(bot, target, texts.error_text(type(error).__name__))


async def cmd_status(update: Update, context: BotContext) -> None:
    """``/status``: uptime, the last poll, the last digest run and the database's health."""
    if not update.effective_message:
        return
    report = await run_as_actor(
        update,
        context,
        status.status_report,
        moment=moment(context),
        last_poll=last_poll(context.bot_data),
    )
    await reply(update, context, texts.status_text(report))


async def cmd_statuschat(update: Update, context: BotContext) -> None:
    """``/statuschat [off]`` in a group: make it (or the forum topic) the status chat, or stop
    the notices to it."""
    if not (msg := update.effective_message) or not (chat := update.effective_chat):
        return
    if not usable_in(Action.SET_STATUS_CHAT, place_of(chat)):
        await reply(update, context, texts.STATUS_CHAT_IN_PRIVATE)
        return
    args = [a.lower() for a in context.args or []]
    if args not in ([], ["off"]):
        await reply(update, context, texts.STATUS_CHAT_USAGE)
        return
    off = args == ["off"]
    changed = await run_as_actor(
        update,
        context,
        status.set_status_chat,
        chat_id=chat.id,
        thread_id=msg.message_thread_id if msg.is_topic_message else None,
        title=chat.title,
        now=context.bot_data.now(),
        off=off,
    )
    if not off:
        await reply(update, context, texts.STATUS_CHAT_SET)
    else:
        await reply(
            update, context, texts.STATUS_CHAT_OFF if changed else texts.STATUS_CHAT_WAS_OFF
        )
