"""People, teams, memberships, invites and team chats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, text, update

from organiser_bot.domain.access import Actor, Identity, TeamRole
from organiser_bot.domain.roles import Role
from storage import tables as t

_LOAD_ACTOR = text(
    "SELECT p.id, p.default_team_id, p.nudges_paused, m.team_id, t.slug, t.name, m.role"
    " FROM person p"
    " LEFT JOIN membership m ON m.person_id = p.id"
    " LEFT JOIN team t ON t.id = m.team_id AND t.archived_at IS NULL"
    " WHERE p.telegram_user_id = :user_id"
    " ORDER BY t.name, t.id"
)


def load_actor(conn: Connection, identity: Identity, *, admin_ids: frozenset[int]) -> Actor:
    """Load the person behind ``identity`` with their memberships, in one query (every update
    does this, so it is a prepared statement)."""
    rows = conn.execute(_LOAD_ACTOR, {"user_id": identity.user_id}).all()
    is_admin = identity.user_id in admin_ids
    if not rows:
        return Actor(identity=identity, person_id=None, is_admin=is_admin)
    first = rows[0]
    return Actor(
        identity=identity,
        person_id=int(first[0]),
        is_admin=is_admin,
        teams=tuple(
            TeamRole(int(r[3]), str(r[4]), str(r[5]), Role(r[6])) for r in rows if r[4] is not None
        ),
        default_team_id=first[1],
        nudges_paused=bool(first[2]),
    )


def ensure_person(conn: Connection, identity: Identity, *, now: datetime) -> int:
    """Return the person id for ``identity``, creating or refreshing the row."""
    row = conn.execute(
        select(t.person.c.id, t.person.c.display_name, t.person.c.username).where(
            t.person.c.telegram_user_id == identity.user_id
        )
    ).first()
    if row is None:
        return int(
            conn.execute(
                insert(t.person)
                .values(
                    telegram_user_id=identity.user_id,
                    display_name=identity.display_name[:128],
                    username=identity.username,
                    nudges_paused=False,
                    created_at=now,
                )
                .returning(t.person.c.id)
            ).scalar_one()
        )
    if (row.display_name, row.username) != (identity.display_name[:128], identity.username):
        conn.execute(
            update(t.person)
            .where(t.person.c.id == row.id)
            .values(display_name=identity.display_name[:128], username=identity.username)
        )
    return int(row.id)


def set_default_team(conn: Connection, person_id: int, team_id: int) -> None:
    """Make ``team_id`` where the person's entries go by default."""
    conn.execute(update(t.person).where(t.person.c.id == person_id).values(default_team_id=team_id))


def set_nudges_paused(conn: Connection, person_id: int, paused: bool) -> None:
    """Mute or unmute mid-week nudges for a person."""
    conn.execute(update(t.person).where(t.person.c.id == person_id).values(nudges_paused=paused))


def find_person_by_username(conn: Connection, username: str) -> tuple[int, str] | None:
    """Return (person id, display name) for a Telegram @username, case-insensitive."""
    row = conn.execute(
        select(t.person.c.id, t.person.c.display_name).where(
            func.lower(t.person.c.username) == username.lower().lstrip("@")
        )
    ).first()
    return (int(row.id), str(row.display_name)) if row else None


@dataclass(frozen=True, slots=True)
class TeamRow:
    """A team as stored."""

    id: int
    name: str
    slug: str


def find_team(conn: Connection, slug: str) -> TeamRow | None:
    """The live team with ``slug``, or None."""
    row = conn.execute(
        select(t.team.c.id, t.team.c.name, t.team.c.slug).where(
            t.team.c.slug == slug, t.team.c.archived_at.is_(None)
        )
    ).first()
    return TeamRow(row.id, row.name, row.slug) if row else None


def manager_user_ids(conn: Connection) -> frozenset[int]:
    """Telegram user ids of everyone who manages a team."""
    rows = conn.execute(
        select(t.person.c.telegram_user_id)
        .join(t.membership, t.membership.c.person_id == t.person.c.id)
        .where(t.membership.c.role == Role.MANAGER.value)
    ).scalars()
    return frozenset(int(r) for r in rows)


def list_teams(conn: Connection) -> list[TeamRow]:
    """Every live team, by name."""
    rows = conn.execute(
        select(t.team.c.id, t.team.c.name, t.team.c.slug)
        .where(t.team.c.archived_at.is_(None))
        .order_by(t.team.c.name)
    ).all()
    return [TeamRow(r.id, r.name, r.slug) for r in rows]


def create_team(conn: Connection, *, name: str, slug: str, now: datetime) -> int:
    """Insert a team; the caller has checked the slug is free."""
    return int(
        conn.execute(
            insert(t.team).values(name=name, slug=slug, created_at=now).returning(t.team.c.id)
        ).scalar_one()
    )


def add_membership(
    conn: Connection, *, person_id: int, team_id: int, role: Role, now: datetime
) -> bool:
    """Add a person to a team in ``role``; returns False if they were already a member."""
    exists = conn.execute(
        select(t.membership.c.id).where(
            t.membership.c.person_id == person_id, t.membership.c.team_id == team_id
        )
    ).first()
    if exists:
        return False
    conn.execute(
        insert(t.membership).values(
            person_id=person_id, team_id=team_id, role=role.value, created_at=now
        )
    )
    return True


def membership_role(conn: Connection, telegram_user_id: int, team_id: int) -> Role | None:
    """The role of the Telegram user in a team, or None."""
    role = conn.execute(
        select(t.membership.c.role)
        .join(t.person, t.person.c.id == t.membership.c.person_id)
        .where(t.person.c.telegram_user_id == telegram_user_id, t.membership.c.team_id == team_id)
    ).scalar_one_or_none()
    return Role(role) if role else None


@dataclass(frozen=True, slots=True)
class InviteRow:
    """An invite code as stored."""

    id: int
    code: str
    team_id: int
    team_name: str
    role: Role
    expires_at: datetime
    uses_left: int
    revoked: bool


def create_invite(
    conn: Connection,
    *,
    code: str,
    team_id: int,
    role: Role,
    created_by: int | None,
    now: datetime,
    expires_at: datetime,
    uses: int,
) -> int:
    """Store a new invite code."""
    return int(
        conn.execute(
            insert(t.invite)
            .values(
                code=code,
                team_id=team_id,
                role=role.value,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
                uses_left=uses,
            )
            .returning(t.invite.c.id)
        ).scalar_one()
    )


def find_invite(conn: Connection, code: str, *, for_update: bool = False) -> InviteRow | None:
    """The invite with ``code``, locked for update where the backend supports it."""
    stmt = (
        select(
            t.invite.c.id,
            t.invite.c.code,
            t.invite.c.team_id,
            t.team.c.name,
            t.invite.c.role,
            t.invite.c.expires_at,
            t.invite.c.uses_left,
            t.invite.c.revoked_at,
        )
        .join(t.team, t.team.c.id == t.invite.c.team_id)
        .where(t.invite.c.code == code)
    )
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=t.invite)
    row = conn.execute(stmt).first()
    if row is None:
        return None
    return InviteRow(
        row.id,
        row.code,
        row.team_id,
        row.name,
        Role(row.role),
        row.expires_at,
        row.uses_left,
        row.revoked_at is not None,
    )


def use_invite(conn: Connection, invite_id: int) -> bool:
    """Spend one use of an invite; False if none were left (a concurrent join took it)."""
    result = conn.execute(
        update(t.invite)
        .where(t.invite.c.id == invite_id, t.invite.c.uses_left > 0)
        .values(uses_left=t.invite.c.uses_left - 1)
    )
    return result.rowcount == 1


def revoke_invite(conn: Connection, invite_id: int, *, now: datetime) -> None:
    """Revoke an invite so it can no longer be used."""
    conn.execute(update(t.invite).where(t.invite.c.id == invite_id).values(revoked_at=now))


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
        select(t.team_chat.c.team_id).where(t.team_chat.c.chat_id == chat_id)
    ).scalar_one_or_none()
    conn.execute(t.team_chat.delete().where(t.team_chat.c.chat_id == chat_id))
    conn.execute(t.team_chat.delete().where(t.team_chat.c.team_id == team_id))
    conn.execute(
        insert(t.team_chat).values(
            team_id=team_id, chat_id=chat_id, title=title, bound_by=by, bound_at=now
        )
    )
    return int(previous) if previous is not None and previous != team_id else None


def team_for_chat(conn: Connection, chat_id: int) -> TeamRow | None:
    """The team bound to a group chat, or None."""
    row = conn.execute(
        select(t.team.c.id, t.team.c.name, t.team.c.slug)
        .join(t.team_chat, t.team_chat.c.team_id == t.team.c.id)
        .where(t.team_chat.c.chat_id == chat_id)
    ).first()
    return TeamRow(row.id, row.name, row.slug) if row else None


def bound_chats(conn: Connection) -> list[tuple[TeamRow, int]]:
    """Every live team that has a chat, with the chat id."""
    rows = conn.execute(
        select(t.team.c.id, t.team.c.name, t.team.c.slug, t.team_chat.c.chat_id)
        .join(t.team_chat, t.team_chat.c.team_id == t.team.c.id)
        .where(t.team.c.archived_at.is_(None))
        .order_by(t.team.c.name)
    ).all()
    return [(TeamRow(r.id, r.name, r.slug), int(r.chat_id)) for r in rows]


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member of a team."""

    person_id: int
    telegram_user_id: int
    display_name: str
    username: str | None
    role: Role
    nudges_paused: bool


def team_members(conn: Connection, team_id: int) -> list[MemberRow]:
    """Members of a team, by name."""
    rows = conn.execute(
        select(
            t.person.c.id,
            t.person.c.telegram_user_id,
            t.person.c.display_name,
            t.person.c.username,
            t.membership.c.role,
            t.person.c.nudges_paused,
        )
        .join(t.membership, t.membership.c.person_id == t.person.c.id)
        .where(t.membership.c.team_id == team_id)
        .order_by(t.person.c.display_name, t.person.c.id)
    ).all()
    return [
        MemberRow(
            r.id, r.telegram_user_id, r.display_name, r.username, Role(r.role), r.nudges_paused
        )
        for r in rows
    ]


def chats_bound_at(conn: Connection) -> dict[int, datetime]:
    """When each live team's current chat was bound, by team id (teams without a chat absent)."""
    rows = conn.execute(
        select(t.team_chat.c.team_id, t.team_chat.c.bound_at)
        .join(t.team, t.team.c.id == t.team_chat.c.team_id)
        .where(t.team.c.archived_at.is_(None))
    ).all()
    return {int(r.team_id): r.bound_at for r in rows}


def forget_person(conn: Connection, person_id: int, *, now: datetime) -> int:
    """Erase a person's notes and name, withdraw their live entries (keeping totals in step) and
    remove their memberships. Returns how many entries were withdrawn."""
    from storage import activities

    live = conn.execute(
        select(t.activity.c.source_chat_id, t.activity.c.source_message_id)
        .where(t.activity.c.person_id == person_id, t.activity.c.deleted_at.is_(None))
        .distinct()
    ).all()
    withdrawn = 0
    for chat_id, message_id in live:
        rows = activities.entries_from_source(conn, chat_id, message_id)
        withdrawn += len(activities.soft_delete(conn, rows, now=now))
    conn.execute(update(t.activity).where(t.activity.c.person_id == person_id).values(note=None))
    conn.execute(t.membership.delete().where(t.membership.c.person_id == person_id))
    conn.execute(
        update(t.person)
        .where(t.person.c.id == person_id)
        .values(display_name="former member", username=None, default_team_id=None)
    )
    return withdrawn


def custom_kinds(conn: Connection) -> list[tuple[str, str, tuple[str, ...]]]:
    """Kinds added by admins: (key, label, aliases)."""
    rows = conn.execute(
        select(t.activity_kind.c.key, t.activity_kind.c.label, t.activity_kind.c.aliases).order_by(
            t.activity_kind.c.created_at
        )
    ).all()
    return [
        (str(k), str(label), tuple(str(a) for a in aliases.split())) for k, label, aliases in rows
    ]


def add_kind(
    conn: Connection, *, key: str, label: str, aliases: tuple[str, ...], now: datetime
) -> None:
    """Store a kind added by an admin."""
    conn.execute(
        insert(t.activity_kind).values(
            key=key, label=label, aliases=" ".join(aliases), created_at=now
        )
    )
