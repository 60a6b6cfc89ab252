"""Small helpers every handler uses: who is acting, running use cases, replying."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from typing import ParamSpec, TypeVar
from weakref import WeakKeyDictionary

from telegram import Update, User
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from handlers.texts import refusal_text
from handlers.texts.redelivery import ALREADY_DONE
from organiser_bot.context import BotContext, BotData
from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.digest import MESSAGE_LIMIT, message_length
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import Refusal
from organiser_bot.usecases import actors
from organiser_bot.usecases.actors import AlreadyDone, UseCase, as_actor, once

T = TypeVar("T")
P = ParamSpec("P")

log = logging.getLogger(__name__)

#: Telegram refuses a message text over this many characters (UTF-16 code units).
MAX_MESSAGE = MESSAGE_LIMIT

#: How many recent updates :func:`was_committed` remembers (far more than run at once).
COMMITTED_MEMORY = 4096

# update_id of the updates whose unit of work committed in this process, oldest first.
_committed: WeakKeyDictionary[BotData, OrderedDict[int, None]] = WeakKeyDictionary()

# Set on a delivery's CallbackContext (one per ``Application.process_update``) once its
# processed key is claimed: later units of work of the same delivery run without claiming.
_CLAIMED = "_organiser_bot_claimed"


def update_key(update: object) -> str | None:
    """The processed key of ``update`` (``storage.processed``), or None when it has no source
    a redelivery could repeat (a chat-member change, a job).

    ``m:<chat id>:<message id>`` for a message, ``e:<chat id>:<message id>:<edit date>:<text
    hash>`` for an edit (each edit is its own update), ``cb:<callback query id>`` for a button.
    """
    if not isinstance(update, Update):
        return None
    if query := update.callback_query:
        return f"cb:{query.id}"
    if (msg := update.edited_message) is not None:
        # Telegram stamps edits in whole seconds: two edits in one second differ by their text
        # (a redelivery repeats both).
        stamp = int(msg.edit_date.timestamp()) if msg.edit_date else 0
        digest = hashlib.sha256((msg.text or msg.caption or "").encode()).hexdigest()[:12]
        return f"e:{msg.chat_id}:{msg.message_id}:{stamp}:{digest}"
    if (msg := update.message) is not None:
        return f"m:{msg.chat_id}:{msg.message_id}"
    return None


def _mark_committed(update: Update, context: BotContext) -> None:
    record = _committed.setdefault(context.bot_data, OrderedDict())
    record[update.update_id] = None
    record.move_to_end(update.update_id)
    while len(record) > COMMITTED_MEMORY:
        record.popitem(last=False)


def was_committed(update: object, context: BotContext) -> bool:
    """True when a unit of work :func:`run_as_actor` ran for ``update`` has committed, in this
    delivery or an earlier one (a redelivery finds the work done): the person must not be told
    it was not done. Remembers the last :data:`COMMITTED_MEMORY` updates of this process.
    """
    if not isinstance(update, Update):
        return False
    record = _committed.get(context.bot_data)
    return record is not None and update.update_id in record


class _ReplyStore:
    """Replies waiting to be stored, written in batches off the reply's path.

    A reply is stored after it was sent, in its own transaction; one write per reply would cost
    every quick log a second commit (on SQLite with ``synchronous=FULL``, a second fsync:
    bench/bench_quicklog.py). Instead replies queue here and one task writes whatever has queued,
    in one transaction, until none is left. A redelivery waits for the queue to drain before it
    reads the stored replies (:meth:`drained`). A crash loses only the replies still queued: a
    redelivery of those updates then says the work was already done.
    """

    def __init__(self, data: BotData) -> None:
        self._data = data
        self._queued: list[tuple[str, str]] = []
        self._writer: asyncio.Task[None] | None = None

    def add(self, key: str, text: str) -> None:
        self._queued.append((key, text))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                await self._data.db.run(actors.remember_replies, batch)
            except Exception:
                log.exception("could not store %d replies", len(batch))

    async def drained(self) -> None:
        """Return once every reply queued so far is stored (or failed and was logged)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)


_reply_stores: WeakKeyDictionary[BotData, _ReplyStore] = WeakKeyDictionary()


def _reply_store(data: BotData) -> _ReplyStore:
    store = _reply_stores.get(data)
    if store is None:
        store = _reply_stores[data] = _ReplyStore(data)
    return store


async def remember_reply(update: Update, context: BotContext, text: str) -> None:
    """Store ``text`` as (the next) reply to ``update``, for a redelivery to send again.

    Only an update whose processed key was claimed keeps replies (nothing stored otherwise).
    Queued and written in batches (:class:`_ReplyStore`); never raises: a failure is logged,
    and a redelivery then says the work was already done.
    """
    if (key := update_key(update)) is None:
        return
    _reply_store(context.bot_data).add(key, text)


async def stored_replies_written(data: BotData) -> None:
    """Wait until every reply remembered so far is written (before shutting down)."""
    await _reply_store(data).drained()


def identity_of(user: User) -> Identity:
    """The platform-neutral identity of a Telegram user."""
    return Identity(
        user_id=user.id, display_name=user.full_name or str(user.id), username=user.username
    )


async def run_as_actor(
    update: Update,
    context: BotContext,
    fn: UseCase[P, T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run ``fn(conn, actor, *args, **kwargs)`` in one transaction, off the event loop.

    This is the one place a :class:`~organiser_bot.domain.refusals.Refusal` becomes a reply: the
    transaction has rolled back, the person is told why in a short message, and the handler stops
    (``ApplicationHandlerStop``), so no handler branches on a refusal itself.

    It is also the one place a redelivered update is recognised: the update's processed key
    (:func:`update_key`) is claimed in the same transaction as the use case's change. When the
    key was claimed already (Telegram delivered the update again), the use case does not run:
    the replies stored by :func:`remember_reply` are sent again (or, if none were stored, that
    it was already done) and the handler stops. Later calls in the same delivery run unguarded.
    """
    user = update.effective_user
    assert user is not None
    identity = identity_of(user)
    data = context.bot_data
    unit = as_actor(identity, data.settings.admin_telegram_ids, fn, *args, **kwargs)
    key = update_key(update)
    try:
        if key is None or getattr(context, _CLAIMED, None) == key or actors.is_read_only(fn):
            # Nothing to guard: no source to repeat, already claimed by this delivery, or a
            # use case that changes nothing (a redelivery runs it again, for the same answer).
            result = await data.db.run(unit)
        else:
            outcome = await data.db.run(once(key, data.now(), unit))
            setattr(context, _CLAIMED, key)
            if isinstance(outcome, AlreadyDone):
                _mark_committed(update, context)
                # The first delivery's replies may have been queued, or written after this
                # transaction read them: read them again once every queued reply is written.
                await _reply_store(data).drained()
                outcome = AlreadyDone(await data.db.run(actors.stored_replies, key))
                await _reply_again(update, outcome)
                raise ApplicationHandlerStop
            result = outcome.value
    except Refusal as refusal:
        await reply_refusal(update, refusal)
        if key is not None and getattr(context, _CLAIMED, None) == key:
            # An earlier unit of this update committed: a redelivery hears the same refusal.
            await remember_reply(update, context, refusal_text(refusal))
        raise ApplicationHandlerStop from None
    _mark_committed(update, context)
    return result


async def _reply_again(update: Update, done: AlreadyDone) -> None:
    """Answer a redelivered update with what was said the first time, in plain messages."""
    replies = done.replies or (ALREADY_DONE,)
    if query := update.callback_query:
        # The popup shows the first line; the confirmation was edited the first time.
        await query.answer(replies[0].splitlines()[0][:190] if replies[0] else None)
    elif msg := update.effective_message:
        for reply in replies:
            for part in split_text(reply):
                try:
                    await msg.reply_text(part)
                except TelegramError:
                    # The message replied to may be gone: the same words, plain.
                    await msg.reply_text(part, do_quote=False)


async def reply_refusal(update: Update, refusal: Refusal) -> None:
    """Tell the person why nothing was done: a popup for a button, a reply otherwise."""
    text = refusal_text(refusal)
    if query := update.callback_query:
        try:
            await query.answer(text[:200])
        except TelegramError as exc:
            # The tap's answer window has passed (or it was answered): say it in the chat.
            log.info("could not answer a tap (%s); replying in the chat", exc)
            if query.message is not None:
                await query.get_bot().send_message(query.message.chat.id, text)
    elif msg := update.effective_message:
        # A refusal may quote what was typed: split like any reply, so it always fits.
        for part in split_text(text):
            await msg.reply_text(part)


def moment(context: BotContext) -> Moment:
    """The time, zone and kinds a use case runs in, for this update or job."""
    data = context.bot_data
    return Moment(now=data.now(), tz=data.settings.tz, kinds=data.kinds)


async def load(update: Update, context: BotContext) -> Actor:
    """Load the actor behind an update."""
    return await run_as_actor(update, context, _the_actor)


@actors.read_only
def _the_actor(_conn: object, actor: Actor) -> Actor:
    return actor


def _cut(line: str, limit: int) -> list[str]:
    """``line`` in pieces of at most ``limit`` UTF-16 units, never splitting a character."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = message_length(char)
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    pieces.append("".join(current))
    return pieces


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """``text`` as messages of at most ``limit`` UTF-16 code units each.

    Cut at line breaks (the break itself is dropped); a single line longer than ``limit`` is
    cut within itself, between characters. Messages that would hold only whitespace are left
    out (Telegram refuses them); an empty or blank ``text`` gives ``[]``.

    Args:
        text: What to send.
        limit: The largest message, in UTF-16 code units (Telegram's 4,096 by default).

    Returns:
        The messages in order; joined with line breaks they give back ``text``'s lines.
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _cut(line, limit) if message_length(line) > limit else [line]:
            joined = f"{current}\n{piece}" if current else piece
            if message_length(joined) <= limit:
                current = joined
                continue
            parts.append(current)
            current = piece
    parts.append(current)
    return [part for part in parts if part.strip()]
