"""The command menus Telegram shows, per scope: private chats, groups, and each admin."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = [
    BotCommand("log", "Log an entry: /log 121 Sam"),
    BotCommand("week", "My week against my targets"),
    BotCommand("undo", "Remove my last entry"),
    BotCommand("diary", "My dated entries"),
    BotCommand("use", "Choose my default team"),
    BotCommand("away", "Record an absence"),
    BotCommand("pause", "Mute mid-week nudges"),
    BotCommand("resume", "Unmute mid-week nudges"),
    BotCommand("mydata", "What the bot holds about me"),
    BotCommand("forgetme", "Erase my data"),
    BotCommand("access", "Who holds which role, granted by whom"),
    BotCommand("measures", "Rolling measures: /measures [team|all] [period]"),
    BotCommand("scrutiny", "How often each team's figures were looked at"),
    BotCommand("help", "What I can do"),
]
MANAGER_COMMANDS = [
    BotCommand("totals", "Totals: /totals [team|all|@user] [period]"),
    BotCommand("team", "Members of a team"),
    BotCommand("active", "Mark a member active this month"),
    BotCommand("residents", "Record a team area's residents"),
    BotCommand("newteam", "Create a team"),
    BotCommand("invite", "Invite link: /invite <team> <role>"),
    BotCommand("revoke", "Withdraw an invite"),
    BotCommand("remove", "End someone's membership: /remove <team> [@user]"),
    BotCommand("target", "Set a weekly target"),
    BotCommand("export", "Entries as CSV"),
    BotCommand("ledger", "When each digest went out"),
    BotCommand("status", "Uptime, last poll, last digest run, database"),
    BotCommand("newkind", "Add a kind of activity (admins)"),
]
#: What works in a group (handlers.groups.GROUP_COMMANDS); the rest points to the private chat.
GROUP_COMMANDS = [
    BotCommand("bind", "Make this chat (or topic) a team's chat: /bind <team>"),
    BotCommand("digest", "Post this week's digest so far"),
    BotCommand("totals", "The team's week so far, counts only"),
    BotCommand("help", "What works in this group"),
]
#: Added for the groups' administrators: only the bot's admins can use it (the table says who).
GROUP_ADMIN_COMMANDS = [
    BotCommand("statuschat", "Send the bot's start, stop and failure notices here"),
]


#: Added for organisers (who are not managers): marking members active for the check-in.
ORGANISER_COMMANDS = [
    BotCommand("active", "Mark a member active this month"),
]


async def register_menus(
    bot: Bot,
    admin_ids: frozenset[int],
    manager_ids: frozenset[int] = frozenset(),
    organiser_ids: frozenset[int] = frozenset(),
) -> None:
    """Set the command menu for private chats, groups, and each admin's, manager's and
    organiser's chat."""
    await bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())
    await bot.set_my_commands(
        GROUP_COMMANDS + GROUP_ADMIN_COMMANDS, scope=BotCommandScopeAllChatAdministrators()
    )
    for user_id in sorted(admin_ids | manager_ids):
        await set_manager_menu(bot, user_id)
    for user_id in sorted(organiser_ids - admin_ids - manager_ids):
        await set_organiser_menu(bot, user_id)


async def set_manager_menu(bot: Bot, user_id: int) -> None:
    """Give one admin or manager the managers' commands in their private chat's menu."""
    try:
        await bot.set_my_commands(
            PRIVATE_COMMANDS + MANAGER_COMMANDS, scope=BotCommandScopeChat(user_id)
        )
    except TelegramError as exc:  # they have not opened a chat with the bot yet
        log.warning("Could not set the managers' menu for %s: %s", user_id, exc)


async def set_organiser_menu(bot: Bot, user_id: int) -> None:
    """Give one organiser ``/active`` in their private chat's menu, after the members' commands."""
    try:
        await bot.set_my_commands(
            PRIVATE_COMMANDS + ORGANISER_COMMANDS, scope=BotCommandScopeChat(user_id)
        )
    except TelegramError as exc:  # they have not opened a chat with the bot yet
        log.warning("Could not set the organisers' menu for %s: %s", user_id, exc)
