"""/scrutiny: how often each team's figures were looked at, for everyone to see."""

from __future__ import annotations

from telegram import Update

from handlers.common import moment, run_as_actor
from handlers.replies import reply
from handlers.texts import scrutiny as texts
from organiser_bot.context import BotContext
from organiser_bot.usecases import scrutiny


async def cmd_scrutiny(update: Update, context: BotContext) -> None:
    """List every team's looks by managers and admins over a period (default: 4 weeks)."""
    report = await run_as_actor(
        update, context, scrutiny.scrutiny_report, list(context.args or []), moment=moment(context)
    )
    await reply(update, context, texts.scrutiny(report))
