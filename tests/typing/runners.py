"""Typing check, run by ``mypy`` (not pytest): the unit-of-work runners check their arguments.

``Database.run`` and ``run_as_actor`` are typed with ``ParamSpec``/``Concatenate``, so a misspelt
or missing keyword at a call site is a type error. Each ``type: ignore[...]`` below marks a call
mypy must reject; with ``warn_unused_ignores`` the check works both ways: if the runners stopped
catching these mistakes, an ignore would be unused and ``mypy`` (run by CI) would fail.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection
from telegram import Update

from handlers.common import run_as_actor
from organiser_bot.context import BotContext
from organiser_bot.domain.access import Actor
from organiser_bot.domain.moment import Moment
from organiser_bot.usecases import logbook
from storage.engine import Database


def count_rows(conn: Connection, table: str, *, limit: int) -> int:
    """A stand-in unit of work for ``Database.run``."""
    return limit


async def accepted(db: Database, update: Update, context: BotContext, moment: Moment) -> int:
    """Calls as the handlers write them."""
    await run_as_actor(
        update,
        context,
        logbook.log_text,
        "121 Sam",
        chat_id=1,
        message_id=2,
        sent_at=datetime.now(UTC),
        moment=moment,
    )
    return await db.run(count_rows, "activity", limit=3)


async def misspelt_keyword(update: Update, context: BotContext, moment: Moment) -> None:
    """``messge_id`` for ``message_id``."""
    await run_as_actor(  # type: ignore[call-arg]
        update,
        context,
        logbook.log_text,
        "121 Sam",
        chat_id=1,
        messge_id=2,
        sent_at=datetime.now(UTC),
        moment=moment,
    )


async def missing_keyword(update: Update, context: BotContext) -> None:
    """``moment`` left out."""
    await run_as_actor(update, context, logbook.undo_last)  # type: ignore[call-arg]


async def misspelt_keyword_in_db_run(db: Database) -> int:
    """``limt`` for ``limit``."""
    return await db.run(count_rows, "activity", limt=3)  # type: ignore[call-arg]


async def wrong_type(db: Database) -> int:
    """A number where the unit of work takes a table name."""
    return await db.run(count_rows, 42, limit=3)  # type: ignore[arg-type]


def actor_first(actor: Actor) -> Actor:
    """Keeps the ``Actor`` import honest for readers: use cases take (conn, actor, ...)."""
    return actor
