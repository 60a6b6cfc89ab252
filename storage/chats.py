"""Team chats: which Telegram group (and forum topic) each team's digest goes to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlmodel import col
from sqlmodel import select as select_model

from storage.models import Team, TeamChat
from storage.query import fetch_all, fetch_rows, table_of

_team = table_of(Team)
_team_chat = table_of(TeamChat)


def bind_chat(
    conn: Connection,
    *,
    team_id: int,
    chat_id: int,
    title: str | None,
    by: int | None,
    now: datetime,
    thread_id: int | None = None,
) -> int | None:
    """Make ``chat_id`` (and forum topic ``thread_id``, None for a plain group or the General
    topic) the team's chat, and clear any record of the team's chat being lost.

    A chat serves one team and a team posts to one chat: the chat's binding to another team and
    the team's binding to another chat both end. Binding a team again to the group it is bound
    to (another topic, or the same) keeps the binding's time, so a week it was owed stays owed.
    Returns the team id the chat was bound to before, if another team.
    """
    previous = conn.execute(
        select(_team_chat.c.team_id).where(_team_chat.c.chat_id == chat_id)
    ).scalar_one_or_none()
    if previous == team_id:
        conn.execute(
            update(_team_chat)
            .where(_team_chat.c.team_id == team_id)
            .values(thread_id=thread_id, title=title, bound_by=by)
        )
        conn.execute(
            update(_team)
            .where(_team.c.id == team_id)
            .values(chat_lost_at=None, chat_lost_reason=None)
        )
        return None
    conn.execute(delete(_team_chat).where(_team_chat.c.chat_id == chat_id))
    conn.execute(delete(_team_chat).where(_team_chat.c.team_id == team_id))
    conn.execute(
        insert(_team_chat).values(
            team_id=team_id,
            chat_id=chat_id,
            thread_id=thread_id,
            title=title,
            bound_by=by,
            bound_at=now,
        )
    )
    conn.execute(
        update(_team).where(_team.c.id == team_id).values(chat_lost_at=None, chat_lost_reason=None)
    )
    return int(previous) if previous is not None and previous != team_id else None


def team_chat(conn: Connection, team_id: int) -> TeamChat | None:
    """The team's chat binding (chat id, forum topic, title, when and by whom bound), or None."""
    found = fetch_all(conn, select_model(TeamChat).where(col(TeamChat.team_id) == team_id))
    return found[0] if found else None


def migrate_chat(conn: Connection, *, old_chat_id: int, new_chat_id: int) -> int | None:
    """Move the binding of ``old_chat_id`` to ``new_chat_id`` (a group upgraded to a supergroup).

    The binding keeps its ``bound_at`` (a migration is not a new binding); its forum topic is
    cleared, as topic ids do not carry over. Returns the team id moved, or None when
    ``old_chat_id`` is not bound: a second call, or the other of Telegram's two service
    messages, finds nothing to move. When ``new_chat_id`` is bound already, that binding stands
    and the old one is dropped (None is returned).
    """
    team_id = conn.execute(
        select(_team_chat.c.team_id).where(_team_chat.c.chat_id == old_chat_id)
    ).scalar_one_or_none()
    if team_id is None:
        return None
    taken = conn.execute(
        select(_team_chat.c.team_id).where(_team_chat.c.chat_id == new_chat_id)
    ).scalar_one_or_none()
    if taken is not None:
        conn.execute(delete(_team_chat).where(_team_chat.c.chat_id == old_chat_id))
        return None
    moved = conn.execute(
        update(_team_chat)
        .where(_team_chat.c.chat_id == old_chat_id)
        .values(chat_id=new_chat_id, thread_id=None)
    )
    # Telegram's two service messages may be handled at once: the one whose update found the
    # row gone (moved by the other, committed meanwhile) moved nothing.
    return int(team_id) if moved.rowcount else None


def lose_chat(conn: Connection, *, chat_id: int, reason: str, now: datetime) -> int | None:
    """Unbind ``chat_id`` because the bot can no longer post there, recording on its team when
    and why (``team.chat_lost_at`` / ``chat_lost_reason``, cleared by the next binding).

    Returns the team id, or None when the chat was not bound (nothing changes).
    """
    team_id = conn.execute(
        select(_team_chat.c.team_id).where(_team_chat.c.chat_id == chat_id)
    ).scalar_one_or_none()
    if team_id is None:
        return None
    # Two events about the same loss may be handled at once: only the one that deletes the
    # row reports it, so the managers are told once.
    if not conn.execute(delete(_team_chat).where(_team_chat.c.chat_id == chat_id)).rowcount:
        return None
    conn.execute(
        update(_team).where(_team.c.id == team_id).values(chat_lost_at=now, chat_lost_reason=reason)
    )
    return int(team_id)


def team_for_chat(conn: Connection, chat_id: int) -> Team | None:
    """The team bound to a group chat, or None."""
    found = fetch_all(
        conn,
        select_model(Team)
        .join(TeamChat, col(TeamChat.team_id) == col(Team.id))
        .where(col(TeamChat.chat_id) == chat_id),
    )
    return found[0] if found else None


def bound_chats(conn: Connection) -> list[tuple[Team, int]]:
    """Every live team that has a chat, by name, with the chat id."""
    return fetch_rows(
        conn,
        select_model(Team, col(TeamChat.chat_id))
        .join(TeamChat, col(TeamChat.team_id) == col(Team.id))
        .where(col(Team.archived_at).is_(None))
        .order_by(col(Team.name)),
    )


def chats_bound_at(conn: Connection) -> dict[int, datetime]:
    """When each live team's current chat was bound, by team id (teams without a chat absent)."""
    rows = conn.execute(
        select(_team_chat.c.team_id, _team_chat.c.bound_at)
        .join(_team, _team.c.id == _team_chat.c.team_id)
        .where(_team.c.archived_at.is_(None))
    ).all()
    return {row.team_id: row.bound_at for row in rows}
