"""Small helpers every handler uses: who is acting, running use cases, replying."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection
from telegram import Update, User

from organiser_bot.context import BotContext
from organiser_bot.domain.access import Actor, Identity
from storage.people import load_actor

T = TypeVar("T")

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
    fn: Callable[..., T],
    /,
    *args: Any,
    **kwargs: Any,
) -> T:
    """Run ``fn(conn, actor, *args, **kwargs)`` in one transaction, off the event loop."""
    user = update.effective_user
    assert user is not None
    identity = identity_of(user)
    admin_ids = context.bot_data.settings.admin_telegram_ids

    def unit(conn: Connection) -> T:
        actor = load_actor(conn, identity, admin_ids=admin_ids)
        return fn(conn, actor, *args, **kwargs)

    return await context.bot_data.db.run(unit)


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
