"""Posting digests and nudges to Telegram: the Telegram side of the digest run.

:class:`TelegramPoster` is the :class:`~organiser_bot.usecases.digest_run.Poster` the scheduled
jobs hand to the run: it renders digests, posts them as an album of both charts and a text message,
sends nudges privately and tells admins and managers about failures. Telegram's errors become
:class:`~organiser_bot.usecases.digest_run.DeliveryFailed` here, worded plainly
(:func:`delivery_failure`), so the run never sees Telegram: a migrated group becomes
:class:`~organiser_bot.usecases.digest_run.ChatMoved`, a group the bot was removed from (or may
not post in) :class:`~organiser_bot.usecases.digest_run.ChatGone`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from telegram import Bot, InputMediaDocument, InputMediaPhoto
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from charts.rendering import render_digest
from handlers.groups import tell_chat_lost
from handlers.texts.digests import failure_summary, nudge_text
from organiser_bot.domain.digest import RenderedDigest, TeamDigest, digest_title
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.usecases.chats import ChatLoss, LostChat
from organiser_bot.usecases.digest_run import (
    ChatGone,
    ChatMoved,
    DeliveryFailed,
    PartCallback,
    Poster,
    TeamFailure,
)
from organiser_bot.usecases.digests import Nudge

log = logging.getLogger(__name__)

#: Telegram's limit on a text message.
MAX_TEXT = 4096
#: Telegram keeps photos at most this many pixels on their longest side.
MAX_PHOTO_SIDE = 2560


def fit_text(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut at a line break to fit one Telegram message (the charts show everyone)."""
    if len(text) <= limit:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    for i, line in enumerate(lines):
        tail = f"… and {len(lines) - i} more lines: see the charts."
        if len("\n".join([*kept, line, tail])) > limit:
            return "\n".join([*kept, tail])
        kept.append(line)
    return "\n".join(kept)  # pragma: no cover - the loop always returns for long text


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def describe(exc: TelegramError) -> str:
    """``RetryAfter: Flood control exceeded...``: the error's type and Telegram's message, for
    the log (Telegram's own "Forbidden: " or "Bad Request: " prefix not repeated)."""
    return f"{type(exc).__name__}: {telegram_words(exc)}"


def telegram_words(exc: TelegramError) -> str:
    """Telegram's description of an error without its status prefix ("Forbidden: ", ...)."""
    text = str(exc) or type(exc).__name__
    for prefix in ("Forbidden: ", "Bad Request: ", "Conflict: ", "Unauthorized: "):
        text = text.removeprefix(prefix)
    return text


#: Plain reasons for what Telegram refuses; admins, managers and /ledger read these.
REMOVED = "the bot was removed from the group"
NOT_ALLOWED = "the bot is not allowed to send messages in the group"
GROUP_GONE = "the group no longer exists, or the bot cannot see it"
TOPIC_GONE = "the forum topic the digest goes to no longer exists (a manager can /bind again)"
UPGRADED = "the group was upgraded and could not be reached"
SLOW_DOWN = "Telegram kept asking the bot to slow down"
NO_ANSWER = "Telegram did not answer"

_REMOVED_MARKS = ("kicked", "not a member", "was deleted", "deactivated")
_NOT_ALLOWED_MARKS = ("not enough rights", "have no rights", "chat_write_forbidden")


def delivery_failure(exc: TelegramError) -> DeliveryFailed:
    """Telegram's refusal of a post to a group, as the run's plain-worded failure.

    * ``ChatMigrated`` -> :class:`ChatMoved` with the new chat id.
    * 403 "bot was kicked" / "not a member", 400 "chat not found" -> :class:`ChatGone`
      (``REMOVED``); 403 otherwise and 400 "not enough rights" -> :class:`ChatGone` (``BLOCKED``).
    * 400 "message thread not found" -> permanent: the topic is gone, retrying cannot help.
    * 429 after the rate limiter's retries, time-outs, 5xx and network errors -> passing.
    * Any other 400 -> Telegram's own words, without its "Bad Request: " prefix.
    """
    words = telegram_words(exc)
    lower = words.lower()
    if isinstance(exc, ChatMigrated):
        return ChatMoved(UPGRADED, new_chat_id=exc.new_chat_id)
    if isinstance(exc, Forbidden):
        if any(mark in lower for mark in _REMOVED_MARKS):
            return ChatGone(REMOVED, reason=ChatLoss.REMOVED)
        return ChatGone(NOT_ALLOWED, reason=ChatLoss.BLOCKED)
    if isinstance(exc, BadRequest):
        if "thread not found" in lower:
            return DeliveryFailed(TOPIC_GONE, permanent=True)
        if "chat not found" in lower:
            return ChatGone(GROUP_GONE, reason=ChatLoss.REMOVED)
        if any(mark in lower for mark in _NOT_ALLOWED_MARKS):
            return ChatGone(NOT_ALLOWED, reason=ChatLoss.BLOCKED)
        return DeliveryFailed(f"Telegram refused the message ({words})")
    if isinstance(exc, RetryAfter):
        return DeliveryFailed(SLOW_DOWN)
    if isinstance(exc, TimedOut | NetworkError):
        return DeliveryFailed(NO_ANSWER)
    return DeliveryFailed(f"Telegram refused the message ({words})")


async def post_digest(
    bot: Bot,
    chat_id: int,
    rendered: RenderedDigest,
    *,
    thread_id: int | None = None,
    done: Mapping[str, tuple[int, ...]] | None = None,
    on_part: PartCallback | None = None,
) -> dict[str, tuple[int, ...]]:
    """Post a digest to a chat: both charts as one album, then the text (one message, or more
    for a large team: :func:`~organiser_bot.domain.digest.render_digest_messages`).

    Args:
        bot: The bot (with the rate limiter when it is the application's).
        chat_id: The team chat.
        rendered: What to post.
        thread_id: The forum topic to post in (Telegram's ``message_thread_id``), or None for
            the chat itself (a forum's General topic).
        done: Parts an earlier attempt already delivered (``charts``, ``text``); skipped. For
            ``text``, the messages already delivered are skipped and the rest posted.
        on_part: Awaited with (part, message ids) as soon as each part is delivered, so the
            ledger knows about it even if the next part fails.

    Returns:
        Part name -> message ids, including ``done``.

    Raises:
        telegram.error.TelegramError: A part could not be delivered.
    """
    parts = dict(done or {})
    if "charts" not in parts:
        # Telegram scales photos down to MAX_PHOTO_SIDE on their longest side; a large team's
        # chart would become unreadable, so such charts go as documents, at full resolution.
        as_documents = any(png_size(png)[1] > MAX_PHOTO_SIDE for _, png in rendered.images)
        kind = InputMediaDocument if as_documents else InputMediaPhoto
        media = [
            kind(png, filename=name, caption=digest_title(rendered.digest) if i == 0 else None)
            for i, (name, png) in enumerate(rendered.images)
        ]
        messages = await bot.send_media_group(chat_id, media, message_thread_id=thread_id)
        parts["charts"] = tuple(m.message_id for m in messages)
        if on_part is not None:
            await on_part("charts", parts["charts"])
    # The text may be several messages (a large team); each is recorded as it is delivered, so
    # a resumed send posts only those still missing.
    sent = list(parts.get("text", ()))
    for text in rendered.messages[len(sent) :]:
        message = await bot.send_message(chat_id, text, message_thread_id=thread_id)
        sent.append(message.message_id)
        parts["text"] = tuple(sent)
        if on_part is not None:
            await on_part("text", parts["text"])
    return parts


class TelegramPoster(Poster):
    """Digests and nudges through a Telegram bot.

    Args:
        bot: The bot to send with (the application's, so its rate limiter paces the sending and
            retries a 429 after its ``retry_after``).
        admin_ids: Telegram user ids told privately about a run with failures.
    """

    def __init__(self, bot: Bot, *, admin_ids: Iterable[int] = ()) -> None:
        self._bot = bot
        self._admin_ids = sorted(admin_ids)

    def render(self, digest: TeamDigest, kinds: KindRegistry) -> RenderedDigest:
        """See :func:`handlers.rendering.render_digest`."""
        return render_digest(digest, kinds)

    async def post_digest(
        self,
        chat_id: int,
        rendered: RenderedDigest,
        *,
        thread_id: int | None = None,
        done: Mapping[str, tuple[int, ...]] | None = None,
        on_part: PartCallback | None = None,
    ) -> dict[str, tuple[int, ...]]:
        """:func:`post_digest`, with Telegram's errors as :func:`delivery_failure` words them."""
        try:
            return await post_digest(
                self._bot, chat_id, rendered, thread_id=thread_id, done=done, on_part=on_part
            )
        except TelegramError as exc:
            log.info("Posting to chat %s failed: %s", chat_id, describe(exc))
            raise delivery_failure(exc) from exc

    async def send_nudge(self, nudge: Nudge) -> None:
        """Send the nudge privately; a person who blocked the bot fails permanently."""
        try:
            await self._bot.send_message(nudge.telegram_user_id, nudge_text(nudge))
        except TelegramError as exc:
            raise DeliveryFailed(describe(exc), permanent=isinstance(exc, Forbidden)) from exc

    async def tell_chat_lost(self, lost: LostChat) -> None:
        """Tell the team's managers privately (:func:`handlers.groups.tell_chat_lost`)."""
        await tell_chat_lost(self._bot, lost)

    async def tell_admins(self, iso_week: str, failures: list[TeamFailure]) -> None:
        """Send each admin the failure summary privately; a failure to do so is only logged."""
        text = fit_text(failure_summary(iso_week, failures))
        for admin_id in self._admin_ids:
            try:
                await self._bot.send_message(admin_id, text)
            except Exception:  # telling admins must never break the run; it is logged instead
                log.warning("Could not tell admin %s about failed digests", admin_id, exc_info=True)
