"""What every handler and job can reach: typed ``bot_data`` and the context type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from organiser_bot.domain.kinds import KindRegistry

if TYPE_CHECKING:
    from organiser_bot.settings import Settings
    from storage.engine import Database


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


class BotData:
    """Shared state of one running bot, filled in by ``build_application`` and ``post_init``."""

    settings: Settings
    db: Database
    clock: Callable[[], datetime]
    kinds: KindRegistry
    bot_username: str
    # When each distinct error was last reported to the admins (``handlers.errors``).
    error_notices: dict[str, datetime]

    def __init__(self) -> None:
        self.clock = utc_now
        self.kinds = KindRegistry()
        self.bot_username = "organiser_bot"
        self.error_notices = {}

    def now(self) -> datetime:
        """The bot's notion of now (a test can replace the clock)."""
        return self.clock()


BotContext = CallbackContext[ExtBot[None], dict[object, object], dict[object, object], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
