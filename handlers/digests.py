"""/digest (a preview in a team chat) and /ledger (when each digest went out)."""

from __future__ import annotations

from telegram import Update

from organiser_bot.context import BotContext


async def cmd_digest(update: Update, context: BotContext) -> None:
    """Post this week's digest so far in the team's chat, marked as a preview."""
    if msg := update.effective_message:
        await msg.reply_text("Digests are not available yet.")


async def cmd_ledger(update: Update, context: BotContext) -> None:
    """Show when each team's digest went out, and with which template version."""
    if msg := update.effective_message:
        await msg.reply_text("The digest ledger is not available yet.")
