"""What the bot says in group chats, and to managers about their team's group."""

from __future__ import annotations

from organiser_bot.usecases.chats import ChatLoss, LostChat

_LOSS_REASONS: dict[ChatLoss, str] = {
    ChatLoss.REMOVED: "the bot was removed from the group",
    ChatLoss.BLOCKED: "the bot is no longer allowed to send messages there",
}


def chat_lost(lost: LostChat) -> str:
    """The private message to each of a team's managers when the bot lost the team's group."""
    group = f'the group "{lost.chat_title}"' if lost.chat_title else "its group"
    return (
        f"{lost.team_name}'s weekly digest can no longer be posted in {group}: "
        f"{_LOSS_REASONS[lost.reason]}. No digest will go to {lost.team_name} until a group "
        "is bound again: add the bot to the team's group (allowed to send messages) and send "
        "/bind there."
    )
