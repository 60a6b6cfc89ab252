"""Group life: chats that migrate or lose the bot, the bot added to a group, commands in groups.

What works in a group is /bind, /digest, /totals and /help; every other command of the bot gets
a one-line pointer to the private chat. Commands addressed to another bot (``/week@otherbot``)
and unknown commands not addressed to this bot by name stay unanswered: a group may hold
several bots.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, Chat, ChatMember, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ApplicationHandlerStop

from handlers.common import moment, run_as_actor, split_text
from handlers.replies import reply
from handlers.texts import groups as texts
from organiser_bot.context import BotContext
from organiser_bot.domain.digest import render_digest_messages
from organiser_bot.domain.permissions import Place, usable_in
from organiser_bot.domain.refusals import Action
from organiser_bot.usecases import chats
from organiser_bot.usecases.chats import ChatLoss, LostChat

log = logging.getLogger(__name__)

#: What each command asks for, in a private chat and in a group (``/totals`` and ``/help`` say
#: different things in each); where each works is the permission table's answer.
COMMAND_ACTIONS: dict[str, tuple[Action, ...]] = {
    "start": (Action.START,),
    "help": (Action.HELP, Action.GROUP_HELP),
    "use": (Action.USE_TEAM,),
    "log": (Action.LOG,),
    "undo": (Action.UNDO,),
    "week": (Action.SEE_WEEK,),
    "diary": (Action.SEE_DIARY, Action.SEE_MEMBER_DIARY),
    "away": (Action.RECORD_ABSENCE,),
    "pause": (Action.PAUSE_NUDGES,),
    "resume": (Action.RESUME_NUDGES,),
    "mydata": (Action.SEE_OWN_DATA,),
    "forgetme": (Action.FORGET_ME,),
    "access": (Action.SEE_ACCESS,),
    "scrutiny": (Action.SEE_SCRUTINY,),
    "measures": (Action.SEE_MEASURES,),
    "newteam": (Action.CREATE_TEAM,),
    "invite": (Action.INVITE,),
    "revoke": (Action.REVOKE_INVITE,),
    "newkind": (Action.ADD_KIND,),
    "target": (Action.SET_TARGET,),
    "totals": (Action.SEE_TOTALS, Action.GROUP_TOTALS),
    "team": (Action.LIST_MEMBERS,),
    "remove": (Action.REMOVE_MEMBER,),
    "residents": (Action.SET_RESIDENTS,),
    "active": (Action.MARK_ACTIVE,),
    "export": (Action.EXPORT,),
    "ledger": (Action.SEE_LEDGER,),
    "status": (Action.SEE_STATUS,),
    "bind": (Action.BIND_CHAT,),
    "digest": (Action.PREVIEW_DIGEST,),
    "statuschat": (Action.SET_STATUS_CHAT,),
}


def place_of(chat: Chat) -> Place:
    """Where a message was sent: a private chat, or a group (a channel counts as a group)."""
    return Place.PRIVATE if chat.type == ChatType.PRIVATE else Place.GROUP


def works_in(command: str, place: Place) -> bool:
    """Whether ``command`` does anything in ``place`` (else the reply points elsewhere)."""
    return any(usable_in(action, place) for action in COMMAND_ACTIONS[command])


#: Commands that work in a group chat.
GROUP_COMMANDS = tuple(name for name in COMMAND_ACTIONS if works_in(name, Place.GROUP))
#: Commands that work only in a private chat with the bot; in a group each gets a pointer.
PRIVATE_ONLY_COMMANDS = tuple(name for name in COMMAND_ACTIONS if name not in GROUP_COMMANDS)
#: How each action is asked for, as the README's table of who can do what names it.
ACTION_LABELS: dict[Action, str] = {
    **{
        action: f"/{name}" + (" in a group" if action.name.startswith("GROUP_") else "")
        for name, actions in COMMAND_ACTIONS.items()
        for action in actions
    },
    Action.QUICK_LOG: "a quick log (plain text)",
    Action.EDIT_ENTRY: "editing a logged message",
    Action.UNDO_BUTTON: "the Undo button",
    Action.SEE_MEMBER_DIARY: "/diary @user",
    Action.CHECK_IN: "the monthly check-in buttons",
    Action.REMOVE_ONESELF: "/remove yourself",
    Action.SEE_TEAM_NAME: "a team's name in a reply",
}
_GROUP_CHATS = (ChatType.GROUP, ChatType.SUPERGROUP)


def command_of(msg: Message) -> tuple[str, str | None] | None:
    """The command a message starts with, lower case, and the bot it is addressed to
    (``/week@somebot`` -> ``("week", "somebot")``); None when it starts with no command."""
    text = msg.text or ""
    if not text.startswith("/"):
        return None
    word = text.split(maxsplit=1)[0][1:]
    name, _, bot = word.partition("@")
    return name.lower(), (bot or None)


def _for_this_bot(msg: Message, context: BotContext) -> tuple[str, bool] | None:
    """The command name and whether it was addressed to this bot by name, or None when the
    message is no command or one addressed to another bot."""
    found = command_of(msg)
    if found is None:
        return None
    name, addressed = found
    if addressed is None:
        return name, False
    if addressed.lower() != context.bot_data.bot_username.lower():
        return None
    return name, True


async def on_sender_chat_command(update: Update, context: BotContext) -> None:
    """A command sent as the group (an anonymous admin) or as a channel: say to post as
    oneself, do nothing else, and stop (the bot cannot tell who asked)."""
    if not (msg := update.effective_message) or not (sender := msg.sender_chat):
        return
    found = _for_this_bot(msg, context)
    if found is None:
        return
    name, addressed = found
    if not addressed and name not in GROUP_COMMANDS + PRIVATE_ONLY_COMMANDS:
        return  # another bot's command: not ours to answer
    await reply(update, context, texts.post_as_yourself(anonymous_admin=sender.id == msg.chat.id))
    raise ApplicationHandlerStop


async def cmd_group_help(update: Update, context: BotContext) -> None:
    """List what works in a group chat, and where the rest is."""
    if not update.effective_message:
        return
    await reply(
        update, context, texts.group_help(context.bot_data.bot_username), link_previews=False
    )


async def cmd_group_totals(update: Update, context: BotContext) -> None:
    """Show the team's week so far in its group, counts only, as the digest does."""
    if not update.effective_message or not (chat := update.effective_chat):
        return
    at = moment(context)
    digest = await run_as_actor(update, context, chats.group_week, chat.id, moment=at)
    await reply(update, context, render_digest_messages(digest, at.kinds))


async def cmd_private_only(update: Update, context: BotContext) -> None:
    """Point a private-chat command sent in a group to the private chat."""
    if not (msg := update.effective_message) or not (found := command_of(msg)):
        return
    await reply(
        update,
        context,
        texts.private_only(found[0], context.bot_data.bot_username),
        link_previews=False,
    )


async def on_group_command(update: Update, context: BotContext) -> None:
    """An unknown command in a group: answered only when addressed to this bot by name."""
    if not (msg := update.effective_message) or not (found := _for_this_bot(msg, context)):
        return
    name, addressed = found
    if addressed:
        await reply(update, context, texts.unknown_command(name))


async def on_migration(update: Update, context: BotContext) -> None:
    """A group upgraded to a supergroup: move the team's chat to the new id.

    Telegram sends two service messages, ``migrate_to_chat_id`` in the old group and
    ``migrate_from_chat_id`` in the new supergroup; whichever comes first moves the binding,
    the other finds nothing left to move. The move is announced once in the new supergroup,
    so the group knows its digest still comes.
    """
    if not (msg := update.effective_message):
        return
    if msg.migrate_to_chat_id:
        old, new = msg.chat.id, msg.migrate_to_chat_id
    elif msg.migrate_from_chat_id:
        old, new = msg.migrate_from_chat_id, msg.chat.id
    else:
        return
    at = moment(context)
    moved = await context.bot_data.db.run(
        lambda conn: chats.chat_migrated(conn, old_chat_id=old, new_chat_id=new, moment=at)
    )
    if moved is None:
        return
    log.info("Team %s's chat moved from %s to %s", moved.team_id, old, new)
    try:
        await context.bot.send_message(new, texts.chat_moved(moved))
    except Exception as exc:  # the binding moved; the announcement is a courtesy
        log.warning("Could not announce the move of team %s's chat: %s", moved.team_id, exc)


def _in_chat(member: ChatMember) -> bool:
    if member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
    ):
        return True
    return member.status == ChatMemberStatus.RESTRICTED and bool(
        getattr(member, "is_member", False)
    )


def _can_post(member: ChatMember) -> bool:
    if not _in_chat(member):
        return False
    return member.status != ChatMemberStatus.RESTRICTED or bool(
        getattr(member, "can_send_messages", False)
    )


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """The bot's own membership of a group changed.

    Removed, or no longer allowed to send messages: the team's chat is unbound, why is recorded,
    and the team's managers are told once, privately. Added (or allowed to post again) in a
    group no team uses: one message says what the bot does and how to bind the group.
    """
    if not (change := update.my_chat_member) or change.chat.type not in _GROUP_CHATS:
        return
    could, can = _can_post(change.old_chat_member), _can_post(change.new_chat_member)
    chat_id = change.chat.id
    at = moment(context)
    db = context.bot_data.db
    if could and not can:
        reason = ChatLoss.BLOCKED if _in_chat(change.new_chat_member) else ChatLoss.REMOVED
        lost = await db.run(
            lambda conn: chats.chat_lost(conn, chat_id=chat_id, reason=reason, moment=at)
        )
        if lost is not None:
            log.info("Team %s lost its chat %s: %s", lost.team_id, chat_id, reason.value)
            await tell_chat_lost(context.bot, lost)
    elif can and not could:
        if await db.run(lambda conn: chats.chat_team_name(conn, chat_id)) is not None:
            return  # a migrated team chat arriving in its new supergroup: nothing to explain
        try:
            await context.bot.send_message(
                chat_id,
                texts.added_to_group(context.bot_data.bot_username),
                disable_web_page_preview=True,
            )
        except Exception as exc:  # the greeting is a courtesy: never fail the update for it
            log.warning("Could not greet group %s: %s", chat_id, exc)


async def tell_privately(bot: Bot, user_ids: Iterable[int], text: str, *, about: str) -> None:
    """Send ``text`` to each user in their private chat with the bot. Never raises: someone who
    cannot be reached (never opened a chat with the bot, or blocked it) is logged and skipped."""
    for user_id in user_ids:
        try:
            for part in split_text(text):
                await bot.send_message(user_id, part)
        except Exception as exc:  # a notice must not break the update or job that sent it
            log.warning("Could not tell %s about %s: %s", user_id, about, exc)


async def tell_chat_lost(bot: Bot, lost: LostChat) -> None:
    """Tell each of the team's managers, privately, that the team's group was lost and how to
    bind one again. Never raises: a manager who cannot be reached is logged and skipped."""
    await tell_privately(
        bot, lost.manager_user_ids, texts.chat_lost(lost), about=f"team {lost.team_id}'s lost chat"
    )
