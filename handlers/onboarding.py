"""Joining, help, teams, invites and binding group chats."""

from __future__ import annotations

from telegram import Update

from handlers import texts as help_texts
from handlers.common import load, moment, run_as_actor
from handlers.groups import place_of, tell_privately
from handlers.keyboards import one_tap_keyboard
from handlers.menu import set_manager_menu, set_organiser_menu
from handlers.replies import reply
from handlers.texts import onboarding as texts
from organiser_bot.context import BotContext
from organiser_bot.domain.permissions import Who, usable_in, who_is
from organiser_bot.domain.refusals import Action
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import onboarding


async def cmd_start(update: Update, context: BotContext) -> None:
    """Join a team with ``/start <code>``, or explain how to get an invite."""
    if not update.effective_message or not (user := update.effective_user):
        return
    kinds = context.bot_data.kinds
    if not context.args:
        actor = await load(update, context)
        if who_is(actor) is not Who.STRANGER:
            await reply(
                update,
                context,
                help_texts.help_text(actor),
                reply_markup=one_tap_keyboard(actor, kinds),
            )
        else:
            await reply(update, context, help_texts.START_NO_CODE)
        return
    joined = await run_as_actor(
        update, context, onboarding.join, context.args[0], moment=moment(context)
    )
    actor = await load(update, context)
    if joined.role is Role.MANAGER:
        await set_manager_menu(context.bot, user.id)
    elif (
        joined.role is Role.ORGANISER
        and not actor.is_admin
        and not any(tr.role is Role.MANAGER for tr in actor.teams)
    ):
        await set_organiser_menu(context.bot, user.id)
    await reply(
        update,
        context,
        f"{texts.joined(joined)}\n\n{help_texts.help_text(actor)}",
        reply_markup=one_tap_keyboard(actor, kinds),
    )


async def cmd_help(update: Update, context: BotContext) -> None:
    """List what the caller's role may do."""
    if not update.effective_message:
        return
    actor = await load(update, context)
    await reply(update, context, help_texts.help_text(actor))


async def cmd_newteam(update: Update, context: BotContext) -> None:
    """Create a team: ``/newteam <name>``."""
    if not update.effective_message:
        return
    name = " ".join(context.args or [])
    if not name:
        await reply(update, context, texts.NEWTEAM_USAGE)
        return
    created = await run_as_actor(
        update, context, onboarding.create_team, name, moment=moment(context)
    )
    await reply(update, context, texts.team_created(created))


async def cmd_invite(update: Update, context: BotContext) -> None:
    """Make an invite link: ``/invite <team> <role> [uses] [days]``."""
    if not update.effective_message:
        return
    invite = await run_as_actor(
        update, context, onboarding.create_invite, list(context.args or []), moment=moment(context)
    )
    await reply(
        update,
        context,
        texts.invite_created(invite, bot_username=context.bot_data.bot_username),
        link_previews=False,
    )


async def cmd_revoke(update: Update, context: BotContext) -> None:
    """Withdraw an invite: ``/revoke <code>``."""
    if not update.effective_message:
        return
    if not context.args:
        await reply(update, context, texts.REVOKE_USAGE)
        return
    revoked = await run_as_actor(
        update, context, onboarding.revoke_invite, context.args[0], moment=moment(context)
    )
    await reply(update, context, texts.invite_revoked(revoked))


async def cmd_bind(update: Update, context: BotContext) -> None:
    """Make this group, or the forum topic it is sent in, the team's chat: ``/bind <team>``."""
    if not (msg := update.effective_message) or not (chat := update.effective_chat):
        return
    if not usable_in(Action.BIND_CHAT, place_of(chat)):
        await reply(update, context, texts.BIND_IN_PRIVATE)
        return
    bound = await run_as_actor(
        update,
        context,
        onboarding.bind_chat,
        " ".join(context.args or []),
        chat_id=chat.id,
        chat_title=chat.title,
        moment=moment(context),
        # Sent in a forum topic (not General): the digest goes to that topic.
        thread_id=msg.message_thread_id if msg.is_topic_message else None,
    )
    await reply(update, context, texts.chat_bound(bound))
    if bound.took_from_managers and (user := update.effective_user):
        await tell_privately(
            context.bot,
            bound.took_from_managers,
            texts.chat_taken_notice(bound, by=user.full_name),
            about=f"{bound.took_from}'s chat bound to {bound.team_name}",
        )


async def cmd_use(update: Update, context: BotContext) -> None:
    """Show or choose the default team: ``/use [team]``."""
    if not update.effective_message:
        return
    outcome = await run_as_actor(update, context, onboarding.use_team, " ".join(context.args or []))
    await reply(update, context, texts.default_team(outcome))


async def cmd_newkind(update: Update, context: BotContext) -> None:
    """Add a kind of activity (admins): ``/newkind <name> [aliases...]``."""
    if not update.effective_message:
        return
    kind = await run_as_actor(
        update, context, onboarding.add_kind, list(context.args or []), moment=moment(context)
    )
    context.bot_data.kinds.add(kind)
    await reply(update, context, texts.kind_added(kind))
