"""``/measures``: the election review's rolling measures for the teams one may see."""

from __future__ import annotations

from telegram import Update

from handlers.common import moment, run_as_actor
from handlers.replies import reply
from handlers.texts import measures as texts
from organiser_bot.context import BotContext
from organiser_bot.usecases import measures


async def cmd_measures(update: Update, context: BotContext) -> None:
    """Show a team's (or every team's) rolling measures as at a period's end."""
    when = moment(context)
    shown = await run_as_actor(
        update, context, measures.measures, list(context.args or []), moment=when
    )
    await reply(update, context, texts.measures(shown, when.kinds))
