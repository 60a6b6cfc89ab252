"""What happens to a team's chat when Telegram changes it: a group upgraded to a supergroup, or
the bot removed from (or silenced in) the group.

The migration and loss of a chat are system events, not requests: no actor, no refusals. Each
runs in one transaction, writes an audit row when it changed something, and returns None when
there was nothing to do, so the same event arriving twice (Telegram sends a migration as two
service messages, and ``my_chat_member`` may repeat) acts once. ``/totals`` in a team's group
is here too: what a group is shown of its team.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.digest import TeamDigest
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.permissions import Place, permits
from organiser_bot.domain.refusals import Action, Refusal
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.actors import read_only
from organiser_bot.usecases.digests import ChatNotBound, build_week
from storage import audit, chats, people


class ChatLoss(StrEnum):
    """Why the bot can no longer post in a team's chat (stored as ``team.chat_lost_reason``)."""

    #: The bot was removed from the group, or left it.
    REMOVED = "removed"
    #: The bot is still in the group but may not send messages (restricted, no rights).
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class MovedChat:
    """A team's chat moved from ``old_chat_id`` to ``new_chat_id`` (group -> supergroup)."""

    team_id: int
    team_name: str
    old_chat_id: int
    new_chat_id: int


@dataclass(frozen=True, slots=True)
class LostChat:
    """A team lost its chat; whom to tell.

    Attributes:
        team_id: The team.
        team_name: Its name.
        chat_title: The lost group's title when known.
        reason: Why the chat was lost.
        manager_user_ids: Telegram user ids of the team's managers, ascending (may be empty).
    """

    team_id: int
    team_name: str
    chat_title: str | None
    reason: ChatLoss
    manager_user_ids: tuple[int, ...]


def chat_migrated(
    conn: Connection, *, old_chat_id: int, new_chat_id: int, moment: Moment
) -> MovedChat | None:
    """Move the team bound to ``old_chat_id`` to ``new_chat_id``; the binding keeps its time.

    Returns:
        What moved, or None when ``old_chat_id`` was not bound (or the move happened already).
    """
    team = chats.team_for_chat(conn, old_chat_id)
    if team is None:
        return None
    if chats.migrate_chat(conn, old_chat_id=old_chat_id, new_chat_id=new_chat_id) is None:
        return None
    audit.record(
        conn,
        at=moment.now,
        actor=None,
        action="migrate",
        entity="team_chat",
        entity_id=team.id,
        old_chat_id=old_chat_id,
        new_chat_id=new_chat_id,
    )
    return MovedChat(team.id, team.name, old_chat_id, new_chat_id)


def chat_lost(
    conn: Connection, *, chat_id: int, reason: ChatLoss, moment: Moment
) -> LostChat | None:
    """Unbind ``chat_id`` because the bot can no longer post there, recording why on the team.

    Returns:
        The team and its managers to tell, or None when nothing was bound to ``chat_id`` (so
        the managers are told once however many events arrive).
    """
    team = chats.team_for_chat(conn, chat_id)
    if team is None:
        return None
    binding = chats.team_chat(conn, team.id)
    title = binding.title if binding is not None else None
    if chats.lose_chat(conn, chat_id=chat_id, reason=reason.value, now=moment.now) is None:
        return None  # the same loss, reported by another event handled at the same time
    audit.record(
        conn,
        at=moment.now,
        actor=None,
        action="lose",
        entity="team_chat",
        entity_id=team.id,
        chat_id=chat_id,
        reason=reason.value,
    )
    managers = tuple(
        sorted(
            m.telegram_user_id
            for m in people.team_members(conn, team.id, current=True)
            if m.role == Role.MANAGER
        )
    )
    return LostChat(team.id, team.name, title, reason, managers)


# --- /totals in a team's group -------------------------------------------------------------------


@dataclass
class NotInChatTeam(Refusal):
    """``/totals`` in ``team_name``'s group by someone neither in that team nor an admin."""

    team_name: str


@read_only
def group_week(conn: Connection, actor: Actor, chat_id: int, *, moment: Moment) -> TeamDigest:
    """``/totals`` in a team's group: the team's week so far, as the digest shows it (counts
    against targets, never notes), marked as a preview and never written to the ledger.

    Members of the team, its managers and admins may see it: everyone in the group may see
    the digest itself, but a group can hold people who are not in the team.

    Raises:
        ChatNotBound: the chat is not a team's chat.
        NotInChatTeam: the person is not in the chat's team and is not an admin.
    """
    team = chats.team_for_chat(conn, chat_id)
    if team is None:
        raise ChatNotBound()
    if not permits(actor, Action.GROUP_TOTALS, team_id=team.id, place=Place.GROUP):
        # The group is the team's chat, where its digest is posted under its name: naming the
        # team there tells no one in the group anything new.
        raise NotInChatTeam(team.name)
    [digest] = build_week(
        conn, monday=moment.this_monday, kinds=moment.kinds, team_ids=[team.id], preview=True
    )
    return digest


def chat_team_name(conn: Connection, chat_id: int) -> str | None:
    """The name of the team whose chat ``chat_id`` is, or None."""
    team = chats.team_for_chat(conn, chat_id)
    return team.name if team is not None else None
