"""What the bot says in group chats, and to managers about their team's group."""

from __future__ import annotations

from handlers.texts import refusal_text
from organiser_bot.usecases.chats import ChatLoss, LostChat, MovedChat, NotInChatTeam

_LOSS_REASONS: dict[ChatLoss, str] = {
    ChatLoss.REMOVED: "the bot was removed from the group",
    ChatLoss.BLOCKED: "the bot is no longer allowed to send messages there",
}


def private_link(bot_username: str) -> str:
    """The link that opens a private chat with the bot."""
    return f"https://t.me/{bot_username}"


def chat_lost(lost: LostChat) -> str:
    """The private message to each of a team's managers when the bot lost the team's group."""
    group = f'the group "{lost.chat_title}"' if lost.chat_title else "its group"
    return (
        f"{lost.team_name}'s weekly digest can no longer be posted in {group}: "
        f"{_LOSS_REASONS[lost.reason]}. No digest will go to {lost.team_name} until a group "
        "is bound again: add the bot to the team's group (allowed to send messages) and send "
        "/bind there."
    )


def chat_moved(moved: MovedChat) -> str:
    """Posted in a team's group once it became a supergroup (Telegram gave it a new id)."""
    return (
        f"This group is now a supergroup and is still {moved.team_name}'s chat: "
        "the weekly digest will be posted here as before."
    )


def group_help(bot_username: str) -> str:
    """``/help`` in a group: what works here, and where the rest is."""
    return (
        "In a team's group chat:\n"
        "/bind <team short name> — make this group the team's chat, where its weekly digest "
        "is posted (sent inside a topic, the digest goes to that topic); for the team's "
        "managers and admins\n"
        "/digest — post the team's digest so far (managers and admins)\n"
        "/totals — the team's week so far, counts only (the team's members)\n"
        "Logging, /week and everything else happen in a private chat with me, not here: "
        f"{private_link(bot_username)}"
    )


def private_only(command: str, bot_username: str) -> str:
    """The one-line pointer for a private-chat command sent in a group."""
    return f"/{command} works in a private chat with me: {private_link(bot_username)}"


def unknown_command(command: str) -> str:
    """A command this bot does not have, addressed to it by name in a group."""
    return f"I don't know /{command}. /help lists what works here."


def added_to_group(bot_username: str) -> str:
    """The bot's one message when it is added to a group."""
    return (
        "Hello! I post a team's weekly digest in its group chat, for everyone in the team "
        "to see at the same time.\n"
        "To make this the team's chat, a manager of the team or an admin sends "
        "/bind <team short name> here, e.g. /bind north-ward (send it inside a topic to have "
        "the digest posted in that topic).\n"
        f"Logging happens in a private chat with me: {private_link(bot_username)}"
    )


def post_as_yourself(*, anonymous_admin: bool) -> str:
    """The reply to a command sent on behalf of the group (an anonymous admin) or a channel:
    the bot cannot tell who sent it, so it does nothing."""
    if anonymous_admin:
        how = (
            "you're posting anonymously, as the group. Turn off “Remain anonymous” "
            "(group settings → Administrators → you) and send it again."
        )
    else:
        how = (
            "it was sent as a channel. Choose your own account as the sender "
            "(the “Send as” picture beside the message box) and send it again."
        )
    return f"I can't tell who sent that, so nothing was done: {how}"


@refusal_text.register
def _(refusal: NotInChatTeam) -> str:
    return (
        f"Only {refusal.team_name}'s members can see its totals here. "
        "/week in a private chat with me shows yours."
    )
