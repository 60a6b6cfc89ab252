"""/digest (a preview in a team chat) and /ledger (when each digest went out)."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.constants import ChatType

from handlers import jobs
from handlers.common import chunks, run_as_actor
from organiser_bot.context import BotContext
from organiser_bot.usecases import digests as digest


async def cmd_digest(update: Update, context: BotContext) -> None:
    """Post this week's digest so far in the team's chat, marked as a preview."""
    if not (msg := update.effective_message) or not (chat := update.effective_chat):
        return
    if chat.type == ChatType.PRIVATE:
        await msg.reply_text(
            "/digest works in a team's group chat: it posts the week so far there, for everyone "
            "in the team to see. /week shows your own week."
        )
        return
    data = context.bot_data
    result = await run_as_actor(
        update,
        context,
        digest.preview_for_chat,
        chat.id,
        now=data.now(),
        tz=data.settings.tz,
        kinds=data.kinds,
    )
    if isinstance(result, str):
        await msg.reply_text(result)
        return
    # Charts are CPU work: render them in a thread so other people's messages are not held up.
    rendered = await asyncio.to_thread(digest.render_digest, result, data.kinds)
    await jobs.post_digest(context.bot, chat.id, rendered)


async def cmd_ledger(update: Update, context: BotContext) -> None:
    """Show when each team's digest went out, and with which template version."""
    if not (msg := update.effective_message):
        return
    data = context.bot_data
    text = await run_as_actor(
        update,
        context,
        digest.ledger_report,
        now=data.now(),
        tz=data.settings.tz,
        schedule=data.settings.digest_at,
    )
    for part in chunks(text):
        await msg.reply_text(part)
