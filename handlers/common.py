"""Small helpers every handler uses: who is acting, running use cases, replying."""

from __future__ import annotations

from typing import ParamSpec, TypeVar

from telegram import Update, User
from telegram.ext import ApplicationHandlerStop

from handlers.texts import refusal_text
from organiser_bot.context import BotContext
from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import Refusal
from organiser_bot.usecases.actors import UseCase, as_actor

T = TypeVar("T")
P = ParamSpec("P")

#: Telegram refuses messages over 4096 characters.
MAX_MESSAGE = 4096


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
    """
    user = update.effective_user
    assert user is not None
    identity = identity_of(user)
    admin_ids = context.bot_data.settings.admin_telegram_ids
    try:
        return await context.bot_data.db.run(as_actor(identity, admin_ids, fn, *args, **kwargs))
    except Refusal as refusal:
        await reply_refusal(update, refusal)
        raise ApplicationHandlerStop from None


async def reply_refusal(update: Update, refusal: Refusal) -> None:
    """Tell the person why nothing was done: a popup for a button, a reply otherwise."""
    text = refusal_text(refusal)
    if query := update.callback_query:
        await query.answer(text[:200])
    elif msg := update.effective_message:
        await msg.reply_text(text)


def moment(context: BotContext) -> Moment:
    """The time, zone and kinds a use case runs in, for this update or job."""
    data = context.bot_data
    return Moment(now=data.now(), tz=data.settings.tz, kinds=data.kinds)


async def load(update: Update, context: BotContext) -> Actor:
    """Load the actor behind an update."""
    return await run_as_actor(update, context, lambda _conn, actor: actor)


def chunks(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split ``text`` at line breaks into pieces Telegram accepts."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current or not parts:
        parts.append(current)
    return parts
