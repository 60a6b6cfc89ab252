"""Reading commands: /week, /diary, /totals, /team, /export, /target, /mydata; and /remove."""

from __future__ import annotations

from telegram import InputFile, Update

from handlers import pickers
from handlers.common import moment, run_as_actor
from handlers.replies import reply
from handlers.texts import member_diary as member_diary_texts
from handlers.texts import privacy as privacy_texts
from handlers.texts import reports as texts
from organiser_bot.context import BotContext
from organiser_bot.usecases import exports, member_diary, members, privacy, reports, targets


async def _reply(update: Update, context: BotContext, text: str) -> None:
    await reply(update, context, text)


async def cmd_week(update: Update, context: BotContext) -> None:
    """Show the caller's week against their targets."""
    when = moment(context)
    week = await run_as_actor(update, context, reports.my_week, moment=when)
    await _reply(update, context, texts.my_week(week, when.kinds))


async def cmd_diary(update: Update, context: BotContext) -> None:
    """List the caller's dated entries for a period, or (``@user`` first) a member's days."""
    when = moment(context)
    if context.args and context.args[0].startswith("@"):
        days = await run_as_actor(
            update, context, member_diary.member_diary, list(context.args), moment=when
        )
        await _reply(update, context, member_diary_texts.member_diary(days, when.kinds))
        return
    diary = await run_as_actor(
        update, context, reports.my_diary, list(context.args or []), moment=when
    )
    await _reply(update, context, texts.diary(diary, when.kinds))


async def cmd_totals(update: Update, context: BotContext) -> None:
    """Totals against targets for a team, all teams or one person."""
    when = moment(context)
    blocks = await run_as_actor(
        update, context, reports.totals, list(context.args or []), moment=when
    )
    await _reply(update, context, texts.totals(blocks, when.kinds))


async def cmd_team(update: Update, context: BotContext) -> None:
    """List a team's members and roles."""
    teams = await run_as_actor(
        update, context, reports.team_listing, list(context.args or []), moment=moment(context)
    )
    await _reply(update, context, texts.team_listing(teams))


async def cmd_export(update: Update, context: BotContext) -> None:
    """Send the entries of the caller's managed teams as a CSV document."""
    if not (msg := update.effective_message):
        return
    export = await run_as_actor(
        update, context, exports.export_csv, list(context.args or []), moment=moment(context)
    )
    with export.file:
        # Streamed from the temporary file as it is uploaded, not read into memory first.
        document = InputFile(
            export.file, filename=texts.export_filename(export.period), read_file_handle=False
        )
        await msg.reply_document(document, caption=texts.export_caption(export))


async def cmd_target(update: Update, context: BotContext) -> None:
    """Set, clear or reset a weekly target for a role or a member (or list members to choose)."""
    outcome = await run_as_actor(
        update, context, targets.set_target, list(context.args or []), moment=moment(context)
    )
    await pickers.answer_target(update, context, outcome)


async def cmd_mydata(update: Update, context: BotContext) -> None:
    """Tell the caller what the bot holds about them."""
    when = moment(context)
    data = await run_as_actor(
        update,
        context,
        privacy.my_data,
        admin_ids=context.bot_data.settings.admin_telegram_ids,
        moment=when,
    )
    await _reply(update, context, privacy_texts.my_data(data, when.kinds))


async def cmd_remove(update: Update, context: BotContext) -> None:
    """End someone's membership of a team (asks first; ``confirm`` does it)."""
    outcome = await run_as_actor(
        update, context, members.remove_member, list(context.args or []), moment=moment(context)
    )
    await pickers.answer_remove(update, context, outcome)
