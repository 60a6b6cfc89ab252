"""Logging entries: quick logs, one-tap buttons, /log, /undo, Undo buttons and edits."""

from __future__ import annotations

from datetime import datetime

from telegram import Message, ReplyKeyboardRemove, Update

from handlers import texts as help_texts
from handlers.common import load, moment, run_as_actor, stored_replies_written
from handlers.keyboards import one_tap_keyboard, parse_undo, undo_button
from handlers.replies import answer_tap, edit_tapped, reply
from handlers.texts import entries as texts
from handlers.texts import privacy as privacy_texts
from organiser_bot.context import BotContext
from organiser_bot.domain.permissions import Who, who_is
from organiser_bot.usecases import logbook, members, privacy


async def _log(
    msg: Message, text: str, update: Update, context: BotContext, *, explicit: bool
) -> None:
    at = moment(context)
    outcome = await run_as_actor(
        update,
        context,
        logbook.log_text,
        text,
        chat_id=msg.chat_id,
        message_id=msg.message_id,
        sent_at=_sent_at(msg, at.now),
        moment=at,
        explicit=explicit,
    )
    await _reply_logged(update, context, outcome)


async def _reply_logged(
    update: Update,
    context: BotContext,
    outcome: logbook.Logged | logbook.ReplayOfUndone | logbook.EditOfUndone | logbook.Chatter,
) -> None:
    markup = undo_button(outcome.source) if isinstance(outcome, logbook.Logged) else None
    await reply(update, context, texts.logged(outcome), reply_markup=markup)


def _sent_at(msg: Message, now: datetime) -> datetime:
    # Telegram stamps messages when they reach its servers; a message typed without signal is
    # stamped late, so words like "yesterday" are read relative to that stamp, never later.
    return min(msg.date, now) if msg.date else now


async def on_quick_log(update: Update, context: BotContext) -> None:
    """Log each line of a plain-text message, all or nothing."""
    if not (msg := update.effective_message) or not msg.text:
        return
    await _log(msg, msg.text, update, context, explicit=False)


async def cmd_log(update: Update, context: BotContext) -> None:
    """``/log <kind> [count] [when] [note]``: the explicit form of a quick log."""
    if not (msg := update.effective_message) or not msg.text:
        return
    _, _, rest = msg.text.partition(" ")
    if not rest.strip():
        await reply(update, context, texts.LOG_USAGE)
        return
    await _log(msg, rest.strip(), update, context, explicit=True)


async def on_edit(update: Update, context: BotContext) -> None:
    """Correct the entries of an edited message."""
    if not (msg := update.edited_message) or not msg.text:
        return
    text = msg.text
    explicit = text.startswith("/")
    if explicit:
        command, _, text = text.partition(" ")
        if command.split("@")[0] != "/log":
            return
    at = moment(context)
    outcome = await run_as_actor(
        update,
        context,
        logbook.edit_text,
        text,
        chat_id=msg.chat_id,
        message_id=msg.message_id,
        sent_at=_sent_at(msg, at.now),
        moment=at,
        explicit=explicit,
        edited_at=msg.edit_date,
    )
    if outcome is not None:
        await _reply_logged(update, context, outcome)


async def cmd_undo(update: Update, context: BotContext) -> None:
    """Remove the caller's most recent entry."""
    if not update.effective_message:
        return
    outcome = await run_as_actor(update, context, logbook.undo_last, moment=moment(context))
    await reply(update, context, texts.undone(outcome))


async def on_undo_button(update: Update, context: BotContext) -> None:
    """Undo the entries of the message a confirmation's Undo button belongs to."""
    if not (query := update.callback_query):
        return
    source = parse_undo(query.data or "")
    if source is None:
        await answer_tap(query, texts.BUTTON_EXPIRED)
        return
    outcome = await run_as_actor(
        update, context, logbook.undo_source, *source, moment=moment(context)
    )
    text = texts.undone(outcome)
    # Telegram takes a tap's answer for about 15 seconds (a refusal popup needs the answer
    # left to it, so the answer comes after the work); one it refuses as too old is tolerated.
    await answer_tap(query, text.splitlines()[0])
    # The confirmation itself becomes the account of what was undone, without its button; if
    # it cannot be edited (deleted, too old), the account comes as a reply instead.
    if not await edit_tapped(update, context, text):
        await reply(update, context, text)


async def cmd_away(update: Update, context: BotContext) -> None:
    """Record, list or cancel an absence."""
    if not update.effective_message:
        return
    outcome = await run_as_actor(
        update, context, members.away, list(context.args or []), moment=moment(context)
    )
    await reply(update, context, texts.away(outcome))


async def cmd_pause(update: Update, context: BotContext) -> None:
    """Mute mid-week nudges."""
    if update.effective_message:
        outcome = await run_as_actor(update, context, members.set_paused, True)
        await reply(update, context, texts.nudges(outcome))


async def cmd_resume(update: Update, context: BotContext) -> None:
    """Unmute mid-week nudges."""
    if update.effective_message:
        outcome = await run_as_actor(update, context, members.set_paused, False)
        await reply(update, context, texts.nudges(outcome))


async def cmd_forgetme(update: Update, context: BotContext) -> None:
    """Erase the caller's data, after asking them to confirm."""
    if update.effective_message:
        # Replies still queued for storing (they can quote notes) are written first, so the
        # forgetting blanks them too.
        await stored_replies_written(context.bot_data)
        outcome = await run_as_actor(
            update, context, privacy.forget_me, list(context.args or []), moment=moment(context)
        )
        # Someone who has left every team has no buttons to tap any more.
        markup = ReplyKeyboardRemove() if isinstance(outcome, privacy.Forgotten) else None
        await reply(update, context, privacy_texts.forget(outcome), reply_markup=markup)


async def on_other_private(update: Update, context: BotContext) -> None:
    """Anything else in a private chat: help for members, an explanation for others."""
    if not update.effective_message:
        return
    actor = await load(update, context)
    if who_is(actor) is Who.STRANGER:
        await reply(update, context, help_texts.NOT_A_MEMBER)
        return
    await reply(
        update,
        context,
        texts.OTHER_PRIVATE,
        reply_markup=one_tap_keyboard(actor, context.bot_data.kinds),
    )
