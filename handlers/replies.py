"""The one way a handler answers a person: texts that fit, and the truth when sending fails.

Every handler replies through :func:`reply`, taps are answered through :func:`answer_tap` and
confirmations changed through :func:`edit_tapped`. Telegram refuses a message over 4,096
characters (``MessageLimit.MAX_TEXT_LENGTH``; counted here in UTF-16 code units, as
:func:`organiser_bot.domain.digest.message_length` does, never fewer than Telegram counts), so
:func:`split_text` cuts a text at line breaks into messages that fit.

A reply is sent after its unit of work committed, so a failed send must not read as a failed
action: :func:`reply` tries each part once more in the simplest form (no quote, no buttons) and,
if that fails too, logs it and raises, so the error handler (which knows whether the work
committed) tells the person what was done.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError

from handlers.common import remember_reply, split_text
from organiser_bot.context import BotContext

log = logging.getLogger(__name__)

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply

#: Telegram refuses a callback answer (the popup) over this many characters.
MAX_POPUP = 200


async def _remember(update: Update, context: BotContext, text: str) -> None:
    # Kept for a redelivery of the update to send again (never raises).
    await remember_reply(update, context, text)


async def reply(
    update: Update,
    context: BotContext,
    text: str | Sequence[str],
    *,
    reply_markup: ReplyMarkup | None = None,
    link_previews: bool = True,
) -> list[Message]:
    """Send ``text`` to the chat of ``update``'s message, as the reply to it.

    The text goes in as many messages as it needs (:func:`split_text`; a sequence of texts is
    sent as that many messages at least, each split as needed); ``reply_markup`` goes on the
    last. A part Telegram refuses (the message replied to was deleted, the buttons were
    refused, the network failed after the rate limiter's retries) is sent once more as a plain
    message in the same chat and topic, without quote or buttons; if that fails too, it is
    logged and raised, for the error handler to tell the person what was done.

    Args:
        update: The update answered; nothing is sent when it has no message.
        context: The handler's context.
        text: The reply, or the messages it is made of; blank text sends nothing.
        reply_markup: Buttons or a keyboard for the last message.
        link_previews: False to send links without Telegram's page previews.

    Returns:
        The messages sent, in order.

    Raises:
        telegram.error.TelegramError: A part could not be sent even plain (the parts before it
            were sent).
    """
    msg = update.effective_message
    if msg is None:
        return []
    texts = [text] if isinstance(text, str) else list(text)
    parts = [part for each in texts for part in split_text(each)]
    previews = None if link_previews else LinkPreviewOptions(is_disabled=True)
    sent: list[Message] = []
    for i, part in enumerate(parts):
        markup = reply_markup if i == len(parts) - 1 else None
        try:
            sent.append(
                await msg.reply_text(part, reply_markup=markup, link_preview_options=previews)
            )
            continue
        except TelegramError as error:
            log.warning("A reply was refused (%s); sending it plain", error)
        try:
            sent.append(await msg.reply_text(part, do_quote=False, link_preview_options=previews))
        except TelegramError:
            log.error("Could not send a reply in chat %s, even plain", msg.chat_id)
            raise
    if sent:
        await _remember(update, context, "\n".join(texts))
    return sent


async def answer_tap(query: CallbackQuery, text: str | None = None) -> bool:
    """Answer a button tap (stop its spinner; ``text`` as a popup, cut to 200 characters).

    Telegram refuses answers to taps older than about 15 seconds ("query is too old"), e.g.
    when the bot was restarting; that, and any other refusal, is logged and tolerated: the tap's
    work goes on and its result shows in the message.

    Returns:
        Whether Telegram accepted the answer.
    """
    popup = text[: MAX_POPUP - 1] + "…" if text and len(text) > MAX_POPUP else text
    try:
        await query.answer(popup)
    except TelegramError as error:
        log.warning("Could not answer a button tap: %s", error)
        return False
    return True


async def edit_tapped(
    update: Update,
    context: BotContext,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Replace the text (and buttons: none unless given) of the message whose button was tapped
    in ``update``, and keep the new text as the reply a redelivery gets again.

    ``text`` is cut to what one message holds (its first :func:`split_text` part). A message
    deleted, too old to edit or inaccessible is tolerated and logged.

    Returns:
        Whether the message was edited.
    """
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return False
    parts = split_text(text) or [text]
    try:
        await query.edit_message_text(parts[0], reply_markup=reply_markup)
    except TelegramError as error:
        log.warning("Could not edit the tapped message: %s", error)
        return False
    await _remember(update, context, parts[0])
    return True
