"""Group life: chats that migrate or lose the bot, the bot added to a group, commands in groups."""

from __future__ import annotations

import logging

from telegram import Bot

from handlers.texts import groups as texts
from organiser_bot.usecases.chats import LostChat

log = logging.getLogger(__name__)


async def tell_chat_lost(bot: Bot, lost: LostChat) -> None:
    """Tell each of the team's managers, privately, that the team's group was lost and how to
    bind one again. Never raises: a manager who cannot be reached is logged and skipped."""
    text = texts.chat_lost(lost)
    for user_id in lost.manager_user_ids:
        try:
            await bot.send_message(user_id, text)
        except Exception as exc:  # a notice must not break the update or job that sent it
            log.warning(
                "Could not tell manager %s that team %s lost its chat: %s",
                user_id,
                lost.team_id,
                exc,
            )
