"""Logging entries: quick logs, one-tap buttons, /log, /undo, Undo buttons and edits."""

from __future__ import annotations

from datetime import datetime

from telegram import Message, ReplyKeyboardRemove, Update

from handlers import texts as help_texts
from handlers.common import load, run_as_actor
from handlers.keyboards import one_tap_keyboard, parse_undo, undo_button
from organiser_bot.context import BotContext
from organiser_bot.domain.periods import local_date
from organiser_bot.usecases import logbook, members


async def _log(msg: Message, text: str, update: Update, context: BotContext) -> None:
    data = context.bot_data
    now = data.now()
    outcome = await run_as_actor(
        update,
        context,
        logbook.log_text,
        text,
        chat_id=msg.chat_id,
        message_id=msg.message_id,
        sent_at=_sent_at(msg, now),
        now=now,
        tz=data.settings.tz,
        kinds=data.kinds,
    )
    await _reply_outcome(msg, outcome)


async def _reply_outcome(msg: Message, outcome: logbook.LogOutcome) -> None:
    markup = undo_button(*outcome.undo) if outcome.undo else None
    await msg.reply_text(outcome.text, reply_markup=markup)


def _sent_at(msg: Message, now: datetime) -> datetime:
    # Telegram stamps messages when they reach its servers; a message typed without signal is
    # stamped late, so words like "yesterday" are read relative to that stamp, never later.
    return min(msg.date, now) if msg.date else now


async def on_quick_log(update: Update, context: BotContext) -> None:
    """Log each line of a plain-text message, all or nothing."""
    if not (msg := update.effective_message) or not msg.text:
        return
    await _log(msg, msg.text, update, context)


async def cmd_log(update: Update, context: BotContext) -> None:
    """``/log <kind> [count] [when] [note]``: the explicit form of a quick log."""
    if not (msg := update.effective_message) or not msg.text:
        return
    _, _, rest = msg.text.partition(" ")
    if not rest.strip():
        await msg.reply_text(
            "Usage: /log <kind> [count] [when] [note], e.g. /log doors 14 yesterday"
        )
        return
    await _log(msg, rest.strip(), update, context)


async def on_edit(update: Update, context: BotContext) -> None:
    """Correct the entries of an edited message."""
    if not (msg := update.edited_message) or not msg.text:
        return
    text = msg.text
    if text.startswith("/"):
        command, _, text = text.partition(" ")
        if command.split("@")[0] != "/log":
            return
    data = context.bot_data
    now = data.now()
    outcome = await run_as_actor(
        update,
        context,
        logbook.edit_text,
        text,
        chat_id=msg.chat_id,
        message_id=msg.message_id,
        sent_at=_sent_at(msg, now),
        now=now,
        tz=data.settings.tz,
        kinds=data.kinds,
    )
    if outcome is not None:
        await _reply_outcome(msg, outcome)


async def cmd_undo(update: Update, context: BotContext) -> None:
    """Remove the caller's most recent entry."""
    if not (msg := update.effective_message):
        return
    data = context.bot_data
    text = await run_as_actor(
        update, context, logbook.undo_last, now=data.now(), tz=data.settings.tz, kinds=data.kinds
    )
    await msg.reply_text(text)


async def on_undo_button(update: Update, context: BotContext) -> None:
    """Undo the entries of the message a confirmation's Undo button belongs to."""
    if not (query := update.callback_query):
        return
    source = parse_undo(query.data or "")
    if source is None:
        await query.answer("That button has expired.")
        return
    data = context.bot_data
    text = await run_as_actor(
        update,
        context,
        logbook.undo_source,
        *source,
        now=data.now(),
        tz=data.settings.tz,
        kinds=data.kinds,
    )
    await query.answer(text.splitlines()[0][:190])
    if isinstance(query.message, Message) and text.startswith("Removed"):
        await query.edit_message_text(text)


async def cmd_away(update: Update, context: BotContext) -> None:
    """Record, list or cancel an absence."""
    if not (msg := update.effective_message):
        return
    data = context.bot_data
    now = data.now()
    text = await run_as_actor(
        update,
        context,
        members.away,
        list(context.args or []),
        today=local_date(now, data.settings.tz),
        now=now,
    )
    await msg.reply_text(text)


async def cmd_pause(update: Update, context: BotContext) -> None:
    """Mute mid-week nudges."""
    if msg := update.effective_message:
        await msg.reply_text(await run_as_actor(update, context, members.set_paused, True))


async def cmd_resume(update: Update, context: BotContext) -> None:
    """Unmute mid-week nudges."""
    if msg := update.effective_message:
        await msg.reply_text(await run_as_actor(update, context, members.set_paused, False))


async def cmd_forgetme(update: Update, context: BotContext) -> None:
    """Erase the caller's data, after asking them to confirm."""
    if msg := update.effective_message:
        text = await run_as_actor(
            update, context, members.forget_me, list(context.args or []), now=context.bot_data.now()
        )
        await msg.reply_text(
            text, reply_markup=ReplyKeyboardRemove() if text.startswith("Done") else None
        )


async def on_other_private(update: Update, context: BotContext) -> None:
    """Anything else in a private chat: help for members, an explanation for others."""
    if not (msg := update.effective_message):
        return
    actor = await load(update, context)
    if not actor.is_member and not actor.is_admin:
        await msg.reply_text(help_texts.NOT_A_MEMBER)
        return
    await msg.reply_text(
        "I only understand text logs and commands. /help lists them.",
        reply_markup=one_tap_keyboard(actor, context.bot_data.kinds),
    )
