"""The one error handler: log first, then tell the user briefly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TimedOut

from organiser_bot.context import BotContext

log = logging.getLogger(__name__)

SORRY = "Sorry — something went wrong on my side and that wasn't done. Please try again shortly."


async def on_error(update: object, context: BotContext) -> None:
    """Log the error (the token is redacted by the logging filter) and apologise to the user."""
    error = context.error
    if isinstance(error, NetworkError | TimedOut | RetryAfter) and not isinstance(update, Update):
        # Polling hiccups: PTB retries on its own; a warning is enough.
        log.warning("Telegram network problem: %s", error)
        return
    log.error("Error while handling an update", exc_info=error)
    if isinstance(update, Update) and (msg := update.effective_message):
        try:
            await msg.reply_text(SORRY)
        except Exception:  # the network may be what failed; the error is already logged
            log.warning("Could not tell the user about the error", exc_info=True)
