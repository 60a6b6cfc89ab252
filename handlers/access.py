"""/access: who holds which role in which team, granted by whom."""

from __future__ import annotations

from telegram import Update

from handlers.common import moment, run_as_actor
from handlers.replies import reply
from handlers.texts import access as texts
from organiser_bot.context import BotContext
from organiser_bot.usecases import access


async def cmd_access(update: Update, context: BotContext) -> None:
    """List every role held in every team, who granted it and when, and the changes."""
    when = moment(context)
    listing = await run_as_actor(
        update,
        context,
        access.access_list,
        admin_ids=context.bot_data.settings.admin_telegram_ids,
        moment=when,
    )
    await reply(update, context, texts.access_list(listing, today=when.today))
