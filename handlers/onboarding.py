"""Joining, help, teams, invites and binding group chats."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from handlers import texts as help_texts
from handlers.common import identity_of, load, run_as_actor
from handlers.keyboards import one_tap_keyboard
from handlers.menu import set_manager_menu
from organiser_bot.context import BotContext
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import onboarding
from storage.people import load_actor


async def cmd_start(update: Update, context: BotContext) -> None:
    """Join a team with ``/start <code>``, or explain how to get an invite."""
    if not (msg := update.effective_message) or not (user := update.effective_user):
        return
    data = context.bot_data
    if not context.args:
        actor = await load(update, context)
        if actor.is_member or actor.is_admin:
            await msg.reply_text(
                help_texts.help_text(actor), reply_markup=one_tap_keyboard(actor, data.kinds)
            )
        else:
            await msg.reply_text(help_texts.START_NO_CODE)
        return
    identity = identity_of(user)
    result = await data.db.run(onboarding.join, identity, context.args[0], now=data.now())
    if not result.joined:
        await msg.reply_text(result.text)
        return
    actor = await data.db.run(load_actor, identity, admin_ids=data.settings.admin_telegram_ids)
    if result.role is Role.MANAGER:
        await set_manager_menu(context.bot, user.id)
    await msg.reply_text(
        f"{result.text}\n\n{help_texts.help_text(actor)}",
        reply_markup=one_tap_keyboard(actor, data.kinds),
    )


async def cmd_help(update: Update, context: BotContext) -> None:
    """List what the caller's role may do."""
    if not (msg := update.effective_message):
        return
    actor = await load(update, context)
    await msg.reply_text(help_texts.help_text(actor))


async def cmd_newteam(update: Update, context: BotContext) -> None:
    """Create a team: ``/newteam <name>``."""
    if not (msg := update.effective_message):
        return
    name = " ".join(context.args or [])
    if not name:
        await msg.reply_text("Usage: /newteam <name>, e.g. /newteam North Ward")
        return
    text = await run_as_actor(
        update, context, onboarding.create_team, name, now=context.bot_data.now()
    )
    await msg.reply_text(text)


async def cmd_invite(update: Update, context: BotContext) -> None:
    """Make an invite link: ``/invite <team> <role> [uses] [days]``."""
    if not (msg := update.effective_message):
        return
    data = context.bot_data
    result = await run_as_actor(
        update,
        context,
        onboarding.create_invite,
        list(context.args or []),
        now=data.now(),
        bot_username=data.bot_username,
    )
    await msg.reply_text(result.text, disable_web_page_preview=True)


async def cmd_revoke(update: Update, context: BotContext) -> None:
    """Withdraw an invite: ``/revoke <code>``."""
    if not (msg := update.effective_message):
        return
    if not context.args:
        await msg.reply_text("Usage: /revoke <code>")
        return
    text = await run_as_actor(
        update, context, onboarding.revoke_invite, context.args[0], now=context.bot_data.now()
    )
    await msg.reply_text(text)


async def cmd_bind(update: Update, context: BotContext) -> None:
    """Make this group the team's chat: ``/bind <team>``."""
    if not (msg := update.effective_message) or not (chat := update.effective_chat):
        return
    if chat.type == ChatType.PRIVATE:
        await msg.reply_text("Use /bind <team> in the team's group chat, not here.")
        return
    text = await run_as_actor(
        update,
        context,
        onboarding.bind_chat,
        " ".join(context.args or []),
        chat_id=chat.id,
        chat_title=chat.title,
        now=context.bot_data.now(),
    )
    await msg.reply_text(text)


async def cmd_use(update: Update, context: BotContext) -> None:
    """Choose the default team: ``/use <team>``."""
    if not (msg := update.effective_message):
        return
    text = await run_as_actor(update, context, onboarding.use_team, " ".join(context.args or []))
    await msg.reply_text(text)


async def cmd_newkind(update: Update, context: BotContext) -> None:
    """Add a kind of activity (admins): ``/newkind <name> [aliases...]``."""
    if not (msg := update.effective_message):
        return
    data = context.bot_data
    text, kind = await run_as_actor(
        update,
        context,
        onboarding.add_kind,
        list(context.args or []),
        kinds=data.kinds,
        now=data.now(),
    )
    if kind is not None:
        data.kinds.add(kind)
    await msg.reply_text(text)


async def not_a_member(update: Update, context: BotContext) -> None:
    """Explain to someone outside every team how to join; store nothing."""
    if msg := update.effective_message:
        await msg.reply_text(help_texts.NOT_A_MEMBER)
