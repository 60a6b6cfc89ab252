"""The Telegram adapter: reads updates, calls the domain and storage, replies."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import (
    access,
    digests,
    entries,
    groups,
    measures,
    onboarding,
    pickers,
    reports,
    residents,
    scrutiny,
    status,
)
from handlers.errors import on_error
from handlers.keyboards import (
    CHECKIN_PREFIX,
    REMOVE_PICK_PREFIX,
    TARGET_PICK_PREFIX,
    UNDO_PREFIX,
)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler, in order. Group -1 turns away commands sent as a group or a
    channel before any command runs; group 0 holds commands and messages, where order matters
    only for the message handlers at the end, which catch what no command did."""
    private = filters.ChatType.PRIVATE
    in_groups = filters.ChatType.GROUPS
    new_message = filters.UpdateType.MESSAGE
    # An anonymous admin or a channel: the bot cannot tell who asked, so nothing runs.
    app.add_handler(
        MessageHandler(
            in_groups & filters.SenderChat.ALL & filters.COMMAND, groups.on_sender_chat_command
        ),
        group=-1,
    )
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
        "access": access.cmd_access,
        "scrutiny": scrutiny.cmd_scrutiny,
        "measures": measures.cmd_measures,
        # managers and admins
        "newteam": onboarding.cmd_newteam,
        "invite": onboarding.cmd_invite,
        "revoke": onboarding.cmd_revoke,
        "newkind": onboarding.cmd_newkind,
        "target": reports.cmd_target,
        "totals": reports.cmd_totals,
        "team": reports.cmd_team,
        "remove": reports.cmd_remove,
        "export": reports.cmd_export,
        "ledger": digests.cmd_ledger,
        "status": status.cmd_status,
        "residents": residents.cmd_residents,
        "active": residents.cmd_active,
    }
    for name, callback in commands.items():
        # Only new messages trigger commands: an edited "/log" is handled as a correction below.
        app.add_handler(CommandHandler(name, callback, filters=private & new_message))
    # In groups: /help and /totals speak of the group's team; /bind and /digest work anywhere
    # (in private they explain where to send them); the private chat's commands point there.
    app.add_handler(CommandHandler("help", groups.cmd_group_help, filters=in_groups & new_message))
    app.add_handler(
        CommandHandler("totals", groups.cmd_group_totals, filters=in_groups & new_message)
    )
    # An edited command is not a new one: in a group it is not run again.
    app.add_handler(CommandHandler("bind", onboarding.cmd_bind, filters=new_message))
    app.add_handler(CommandHandler("digest", digests.cmd_digest, filters=new_message))
    app.add_handler(CommandHandler("statuschat", status.cmd_statuschat, filters=new_message))
    app.add_handler(
        CommandHandler(
            list(groups.PRIVATE_ONLY_COMMANDS),
            groups.cmd_private_only,
            filters=in_groups & new_message,
        )
    )
    # A group upgraded to a supergroup: its team's chat moves with it.
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, groups.on_migration))
    # The bot added to, removed from or silenced in a group.
    app.add_handler(ChatMemberHandler(groups.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CallbackQueryHandler(entries.on_undo_button, pattern=f"^{UNDO_PREFIX}"))
    # Members chosen from a list (/target member, /remove <team>).
    app.add_handler(CallbackQueryHandler(pickers.on_target_tap, pattern=f"^{TARGET_PICK_PREFIX}"))
    app.add_handler(CallbackQueryHandler(pickers.on_remove_tap, pattern=f"^{REMOVE_PICK_PREFIX}"))
    # The monthly check-in's Yes / No.
    app.add_handler(CallbackQueryHandler(residents.on_checkin_tap, pattern=f"^{CHECKIN_PREFIX}"))
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
    app.add_handler(MessageHandler(private & new_message, entries.on_other_private))
    # Unknown commands in groups: answered only when addressed to this bot by name.
    app.add_handler(
        MessageHandler(in_groups & new_message & filters.COMMAND, groups.on_group_command)
    )
    app.add_error_handler(on_error)
