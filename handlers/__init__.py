"""The Telegram adapter: reads updates, calls the domain and storage, replies."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import digests, entries, onboarding, reports
from handlers.errors import on_error
from handlers.keyboards import UNDO_PREFIX


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler, in order. Group 0 holds commands and messages; order matters
    only for the message handlers at the end, which catch what no command did."""
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    commands = {
        # private chat
        "start": onboarding.cmd_start,
        "help": onboarding.cmd_help,
        "use": onboarding.cmd_use,
        "log": entries.cmd_log,
        "undo": entries.cmd_undo,
        "week": reports.cmd_week,
        "diary": reports.cmd_diary,
        "away": entries.cmd_away,
        "pause": entries.cmd_pause,
        "resume": entries.cmd_resume,
        "mydata": reports.cmd_mydata,
        "forgetme": entries.cmd_forgetme,
        # managers and admins
        "newteam": onboarding.cmd_newteam,
        "invite": onboarding.cmd_invite,
        "revoke": onboarding.cmd_revoke,
        "newkind": onboarding.cmd_newkind,
        "target": reports.cmd_target,
        "totals": reports.cmd_totals,
        "team": reports.cmd_team,
        "export": reports.cmd_export,
        "ledger": digests.cmd_ledger,
    }
    for name, callback in commands.items():
        # Only new messages trigger commands: an edited "/log" is handled as a correction below.
        app.add_handler(
            CommandHandler(name, callback, filters=private & filters.UpdateType.MESSAGE)
        )
    app.add_handler(CommandHandler("help", onboarding.cmd_help, filters=groups))
    app.add_handler(CommandHandler("bind", onboarding.cmd_bind))
    app.add_handler(CommandHandler("digest", digests.cmd_digest))
    app.add_handler(CallbackQueryHandler(entries.on_undo_button, pattern=f"^{UNDO_PREFIX}"))
    # Edits of earlier messages correct their entries; must come before the new-message handler.
    app.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, entries.on_edit)
    )
    app.add_handler(
        MessageHandler(
            private & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
            entries.on_quick_log,
        )
    )
    # Anything else in private (stickers, photos, unknown commands): explain, store nothing.
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, entries.on_other_private))
    app.add_error_handler(on_error)
