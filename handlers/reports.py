"""Reading commands: /week, /diary, /totals, /team, /export, /target, /mydata."""

from __future__ import annotations

from telegram import InputFile, Update

from handlers.common import chunks, run_as_actor
from organiser_bot.context import BotContext
from organiser_bot.usecases import reports


async def _reply(update: Update, text: str) -> None:
    if msg := update.effective_message:
        for part in chunks(text):
            await msg.reply_text(part)


async def cmd_week(update: Update, context: BotContext) -> None:
    """Show the caller's week against their targets."""
    data = context.bot_data
    text = await run_as_actor(
        update, context, reports.my_week, now=data.now(), tz=data.settings.tz, kinds=data.kinds
    )
    await _reply(update, text)


async def cmd_diary(update: Update, context: BotContext) -> None:
    """List the caller's dated entries for a period."""
    data = context.bot_data
    text = await run_as_actor(
        update,
        context,
        reports.my_diary,
        list(context.args or []),
        now=data.now(),
        tz=data.settings.tz,
        kinds=data.kinds,
    )
    await _reply(update, text)


async def cmd_totals(update: Update, context: BotContext) -> None:
    """Totals against targets for a team, all teams or one person."""
    data = context.bot_data
    text = await run_as_actor(
        update,
        context,
        reports.totals,
        list(context.args or []),
        now=data.now(),
        tz=data.settings.tz,
        kinds=data.kinds,
    )
    await _reply(update, text)


async def cmd_team(update: Update, context: BotContext) -> None:
    """List a team's members and roles."""
    text = await run_as_actor(update, context, reports.team_listing, list(context.args or []))
    await _reply(update, text)


async def cmd_export(update: Update, context: BotContext) -> None:
    """Send the entries of the caller's managed teams as a CSV document."""
    if not (msg := update.effective_message):
        return
    data = context.bot_data
    result = await run_as_actor(
        update,
        context,
        reports.export_csv,
        list(context.args or []),
        now=data.now(),
        tz=data.settings.tz,
        kinds=data.kinds,
    )
    if result.content is None or result.filename is None:
        await msg.reply_text(result.text)
        return
    await msg.reply_document(
        InputFile(result.content, filename=result.filename), caption=result.text
    )


async def cmd_target(update: Update, context: BotContext) -> None:
    """Set a weekly target for a role or a person."""
    data = context.bot_data
    text = await run_as_actor(
        update,
        context,
        reports.set_target,
        list(context.args or []),
        now=data.now(),
        kinds=data.kinds,
    )
    await _reply(update, text)


async def cmd_mydata(update: Update, context: BotContext) -> None:
    """Tell the caller what the bot holds about them."""
    data = context.bot_data
    text = await run_as_actor(update, context, reports.my_data, now=data.now(), tz=data.settings.tz)
    await _reply(update, text)
