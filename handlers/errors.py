"""The one error handler: log first, then tell the user briefly and the admins privately.

Admins hear of each distinct error at most once an hour, so a fault that hits every update cannot
flood their chats. Two errors are the same when they have the same exception type and were raised
from the same place (``error_key``): the innermost line of our own code in the traceback, or the
innermost line overall when none of it is ours. The message is left out on purpose: it often holds
the values of the moment (SQLAlchemy's errors quote the statement's parameters), which would make
one fault over many updates a notice each. The full traceback of every occurrence stays in the log.
"""

from __future__ import annotations

import logging
import re
import traceback
from datetime import datetime, timedelta
from pathlib import Path, PurePath

from telegram import Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from handlers.common import was_committed
from handlers.replies import reply
from handlers.status import tell_error
from handlers.texts import DONE_NOT_SHOWN, NOT_SHOWN, SAVED_NOT_SHOWN, SORRY, UNDONE_NOT_SHOWN
from organiser_bot.context import BotContext

log = logging.getLogger(__name__)

# How long admins are spared a repeat of an error they have been told about.
ADMIN_NOTICE_EVERY = timedelta(hours=1)
# The error's own text is cut to this many characters: the notice is a pointer to the log.
MAX_ERROR_TEXT = 500
REDACTED = "[redacted]"
# Where our own code lives: the packages beside this one in the checkout or editable install.
_OURS = tuple(
    Path(__file__).resolve().parent.parent / package
    for package in ("organiser_bot", "handlers", "storage", "charts")
)


#: Commands that only read: when their reply fails, nothing was done that the person needs told.
READING_COMMANDS = frozenset(
    {"help", "week", "diary", "totals", "team", "mydata", "ledger", "digest", "export"}
    | {"access", "status", "measures", "scrutiny"}
)


def done_text(update: Update) -> str:
    """What to tell someone whose update's work committed but whose reply failed: what was done.

    ``SAVED_NOT_SHOWN`` for a log (a quick log, ``/log``, an edit), ``UNDONE_NOT_SHOWN`` for
    ``/undo`` and the Undo button, ``NOT_SHOWN`` for a command that only reads
    (:data:`READING_COMMANDS`: it changed nothing, though a manager's look at figures is
    recorded, so "wasn't done" would not be true), ``DONE_NOT_SHOWN`` for any other command.
    """
    if update.callback_query is not None:
        return UNDONE_NOT_SHOWN
    text = (update.effective_message.text or "") if update.effective_message else ""
    if not text.startswith("/"):
        return SAVED_NOT_SHOWN
    command = text[1:].split(maxsplit=1)[0].partition("@")[0].lower() if len(text) > 1 else ""
    if command in READING_COMMANDS:
        return NOT_SHOWN
    return {"log": SAVED_NOT_SHOWN, "undo": UNDONE_NOT_SHOWN}.get(command, DONE_NOT_SHOWN)


def _expired_tap(update: object, error: BaseException | None) -> bool:
    """A button's answer refused because the tap is too old (or answered already)."""
    return (
        isinstance(update, Update)
        and update.callback_query is not None
        and isinstance(error, BadRequest)
        and "query is too old" in error.message.lower()
    )


async def on_error(update: object, context: BotContext) -> None:
    """Log the error (the token is redacted by the logging filter), tell the user briefly, tell
    the admins.

    The user hears the truth: when a unit of work for the update committed
    (``handlers.common.was_committed``) only the reply failed, so they are told what was done
    (:func:`done_text`); only otherwise that it wasn't done (``SORRY``). A button tap whose
    answer Telegram refused as too old is logged and nothing more: the tap changed nothing
    that the message does not show.
    """
    error = context.error
    if isinstance(error, NetworkError | TimedOut | RetryAfter) and not isinstance(update, Update):
        # Polling hiccups: PTB retries on its own; a warning is enough.
        log.warning("Telegram network problem: %s", error)
        return
    if _expired_tap(update, error):
        log.warning("A button tap's answer was refused: %s", error)
        return
    log.error("Error while handling an update", exc_info=error)
    # Decided before any await, at the time of the error, so that errors arriving together
    # send one notice.
    notice = admin_notice_due(update, error, context)
    if isinstance(update, Update) and update.effective_message:
        text = done_text(update) if was_committed(update, context) else SORRY
        try:
            await reply(update, context, text)
        except Exception:  # the database may be what failed; the error is already logged
            log.warning("Could not tell the user about the error", exc_info=True)
    if notice is not None:
        await tell_admins(notice, context)
        if error is not None:
            await tell_error(context.bot, context.bot_data, error)


def error_key(error: BaseException) -> str:
    """What makes two errors "the same" for the admins' notices: type and the place it was raised.

    The place is the innermost frame of the traceback that is in our own packages (the line of
    ours that called into the library that failed), or the innermost frame overall when none is
    ours; an error never raised (no traceback) is keyed by its message instead.

    Args:
        error: The exception raised.

    Returns:
        ``"<module>.<qualified class name> at <file>:<line>"``, or
        ``"<module>.<qualified class name>: <message>"`` when there is no traceback.
    """
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return f"{kind}: {error}"
    ours = [f for f in frames if any(Path(f.filename).resolve().is_relative_to(r) for r in _OURS)]
    frame = (ours or frames)[-1]
    return f"{kind} at {frame.filename}:{frame.lineno}"


def due_for_notice(notices: dict[str, datetime], key: str, now: datetime) -> bool:
    """Whether the admins should hear of the error ``key`` now; if so, record that they did.

    Checks and records in one step with no ``await`` in between, so two updates failing at the
    same moment send one notice. Entries older than ``ADMIN_NOTICE_EVERY`` are dropped, so the
    record holds at most the errors of the last hour.

    Args:
        notices: When each error key was last reported (``BotData.error_notices``), updated here.
        key: The error's ``error_key``.
        now: The bot's current time (aware).

    Returns:
        True if the error was not reported in the last ``ADMIN_NOTICE_EVERY``.
    """
    for old in [k for k, at in notices.items() if now - at >= ADMIN_NOTICE_EVERY]:
        del notices[old]
    if key in notices:
        return False
    notices[key] = now
    return True


def admin_notice(update: object, error: BaseException, token: str) -> str:
    """The admins' plain-text notice of an error: what, where, during what, with the token hidden.

    Args:
        update: What was being handled (an ``Update``, or None for a job).
        error: The exception raised.
        token: The bot token; it, and its secret part after the colon, never appear in the text.

    Returns:
        Plain text (no markup: the error's text may hold anything), at most 4,096 characters.
    """
    what = f"{type(error).__name__}: {error}"
    if len(what) > MAX_ERROR_TEXT:
        what = what[: MAX_ERROR_TEXT - 1] + "…"
    lines = [f"The bot hit an error: {what}"]
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        # The last three parts of the path name the module without the install location.
        where = "/".join(PurePath(last.filename).parts[-3:])
        lines.append(f"Raised at {where}:{last.lineno} in {last.name}.")
    if isinstance(update, Update):
        chat = update.effective_chat
        during = f"update {update.update_id}" + (f" in chat {chat.id}" if chat else "")
        lines.append(f"While handling {during}.")
    lines.append(
        "The full traceback is in the bot's log. "
        "The same error is reported here at most once an hour."
    )
    text = "\n".join(lines)
    # Case-blind: PTB capitalises the Bot API's error descriptions, which lowercases the rest.
    for secret in sorted({token, token.partition(":")[2]} - {""}, key=len, reverse=True):
        text = re.sub(re.escape(secret), REDACTED, text, flags=re.IGNORECASE)
    return text[: MessageLimit.MAX_TEXT_LENGTH]


def admin_notice_due(
    update: object, error: BaseException | None, context: BotContext
) -> str | None:
    """The notice to send the admins about ``error``, or None if they heard of it this hour.

    Records the notice as sent (``BotData.error_notices``, by the bot's clock).

    Args:
        update: What was being handled (an ``Update``, or None for a job).
        error: The exception raised (None only if PTB called the handler without one).
        context: The handler's context: settings, bot data, the bot and its token.

    Returns:
        The notice's text (see ``admin_notice``), or None when there is nothing to send: no
        error, no admins configured, or the same error was reported less than an hour ago.
    """
    data = context.bot_data
    if error is None or not data.settings.admin_telegram_ids:
        return None
    if not due_for_notice(data.error_notices, error_key(error), data.now()):
        return None
    return admin_notice(update, error, context.bot.token)


async def tell_admins(text: str, context: BotContext) -> None:
    """Send each admin ``text`` privately, as plain text.

    A failure to reach an admin (they never started the bot, the network) is logged and ends
    there: the error handler must not raise.
    """
    for admin_id in sorted(context.bot_data.settings.admin_telegram_ids):
        try:
            await context.bot.send_message(admin_id, text)
        except Exception:
            log.warning("Could not tell admin %s about the error", admin_id, exc_info=True)
