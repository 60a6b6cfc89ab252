"""/digest (a preview in a team chat) and /ledger (when each digest went out)."""

from __future__ import annotations

import asyncio

from telegram import Update

from charts.rendering import render_digest
from handlers.common import moment, run_as_actor
from handlers.groups import place_of
from handlers.posting import post_digest
from handlers.replies import reply
from handlers.texts import digests as texts
from organiser_bot.context import BotContext
from organiser_bot.domain.permissions import usable_in
from organiser_bot.domain.refusals import Action
from organiser_bot.usecases import digests, ledger_report


async def cmd_digest(update: Update, context: BotContext) -> None:
    """Post this week's digest so far in the team's chat, marked as a preview (in the forum
    topic the command was sent in, if any)."""
    if not (msg := update.effective_message) or not (chat := update.effective_chat):
        return
    if not usable_in(Action.PREVIEW_DIGEST, place_of(chat)):
        await reply(update, context, texts.DIGEST_IN_PRIVATE)
        return
    at = moment(context)
    digest = await run_as_actor(update, context, digests.preview_for_chat, chat.id, moment=at)
    # Charts are CPU work: render them in a thread so other people's messages are not held up.
    rendered = await asyncio.to_thread(render_digest, digest, at.kinds)
    topic = msg.message_thread_id if msg.is_topic_message else None
    await post_digest(context.bot, chat.id, rendered, thread_id=topic)


async def cmd_ledger(update: Update, context: BotContext) -> None:
    """Show when each team's digest went out, and with which template version."""
    if not update.effective_message:
        return
    report = await run_as_actor(
        update,
        context,
        ledger_report.ledger_report,
        moment=moment(context),
        schedule=context.bot_data.settings.digest_at,
    )
    await reply(update, context, texts.ledger_text(report))
