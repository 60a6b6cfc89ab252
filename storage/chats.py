"""Team chats: which Telegram group (and forum topic) each team's digest goes to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select
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
) -> int | None:
    """Make ``chat_id`` the team's chat. Returns the team id the chat was bound to before, if any
    other; a chat serves one team and a team posts to one chat."""
    previous = conn.execute(
        select(_team_chat.c.team_id).where(_team_chat.c.chat_id == chat_id)
    ).scalar_one_or_none()
    conn.execute(delete(_team_chat).where(_team_chat.c.chat_id == chat_id))
    conn.execute(delete(_team_chat).where(_team_chat.c.team_id == team_id))
    conn.execute(
        insert(_team_chat).values(
            team_id=team_id, chat_id=chat_id, title=title, bound_by=by, bound_at=now
        )
    )
    return int(previous) if previous is not None and previous != team_id else None


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
