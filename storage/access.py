"""Who holds which role, and how they came to: each membership's grant (the invite used, and
when), and the audit trail's joins and removals (``/access``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, or_, select, update

from organiser_bot.domain.roles import Role
from storage.models import AuditEntry, Invite, Membership, Person, Team
from storage.query import table_of

_person = table_of(Person)
_team = table_of(Team)
_membership = table_of(Membership)
_invite = table_of(Invite)
_audit = table_of(AuditEntry)

#: The audit trail's names for a membership starting and ending (``action``, ``entity``).
JOIN = ("join", "membership")
REMOVE = ("remove", "membership")


@dataclass(frozen=True, slots=True)
class Grant:
    """A current membership of a live team and how its role was granted.

    Attributes:
        granted_at: When (aware UTC); None when not recorded.
        invite_id: The invite used; None when the person created the team (``granted_at``
            set) or when not recorded.
        granted_by: The person who created the invite; None without an invite, or when that
            person was forgotten since (the invite then names no one).
        joined_on: First day of the membership (local date), for memberships whose grant
            was not recorded.
    """

    person_id: int
    team_id: int
    role: Role
    granted_at: datetime | None
    invite_id: int | None
    granted_by: int | None
    joined_on: date


@dataclass(frozen=True, slots=True)
class MembershipEvent:
    """A join or a removal from the audit trail.

    Attributes:
        action: ``"join"`` or ``"remove"``.
        person_id: Whose membership.
        by: Who did it: for a join, the invite's creator (None when unknown or forgotten);
            for a removal, the person who removed them (None when forgotten).
        role: The role joined in (joins only).
        previous_role: The role held before, when a join restarted an ended membership and
            the trail recorded it.
    """

    at: datetime
    action: str
    person_id: int
    team_id: int
    by: int | None
    role: Role | None = None
    previous_role: Role | None = None


@dataclass(frozen=True, slots=True)
class EndedMembership:
    """A membership of a live team that has ended: its last role and last day (local date)."""

    person_id: int
    team_id: int
    role: Role
    left_on: date


@dataclass(frozen=True, slots=True)
class NamedPerson:
    """A person as the bot holds them."""

    person_id: int
    telegram_user_id: int
    display_name: str
    username: str | None


def record_grant(
    conn: Connection, *, person_id: int, team_id: int, invite_id: int | None, at: datetime
) -> None:
    """Record how the person's current role in the team was granted: through ``invite_id``,
    or (None) by creating the team."""
    conn.execute(
        update(_membership)
        .where(_membership.c.person_id == person_id, _membership.c.team_id == team_id)
        .values(invite_id=invite_id, granted_at=at)
    )


def ended_role(conn: Connection, *, person_id: int, team_id: int) -> Role | None:
    """The role the person last held in the team when that membership has ended; None when
    they were never a member or still are."""
    role: Role | None = conn.execute(
        select(_membership.c.role).where(
            _membership.c.person_id == person_id,
            _membership.c.team_id == team_id,
            _membership.c.left_on.is_not(None),
        )
    ).scalar_one_or_none()
    return role


def live_teams(conn: Connection) -> list[Team]:
    """Teams not archived, by name."""
    rows = conn.execute(
        select(_team).where(_team.c.archived_at.is_(None)).order_by(_team.c.name, _team.c.id)
    ).all()
    return [Team.model_validate(row._mapping) for row in rows]


def current_grants(conn: Connection) -> list[Grant]:
    """Every current membership of a live team with its grant, by team (id) then person id."""
    stmt = (
        select(
            _membership.c.person_id,
            _membership.c.team_id,
            _membership.c.role,
            _membership.c.granted_at,
            _membership.c.invite_id,
            _invite.c.created_by.label("granted_by"),
            _membership.c.joined_on,
        )
        .join(_team, _team.c.id == _membership.c.team_id)
        .outerjoin(_invite, _invite.c.id == _membership.c.invite_id)
        .where(_membership.c.left_on.is_(None), _team.c.archived_at.is_(None))
        .order_by(_membership.c.team_id, _membership.c.person_id)
    )
    return [Grant(**row._mapping) for row in conn.execute(stmt).all()]


def ended_memberships(conn: Connection) -> list[EndedMembership]:
    """Every ended membership of a live team."""
    stmt = (
        select(
            _membership.c.person_id,
            _membership.c.team_id,
            _membership.c.role,
            _membership.c.left_on,
        )
        .join(_team, _team.c.id == _membership.c.team_id)
        .where(_membership.c.left_on.is_not(None), _team.c.archived_at.is_(None))
    )
    return [EndedMembership(**row._mapping) for row in conn.execute(stmt).all()]


def membership_events(conn: Connection) -> list[MembershipEvent]:
    """Every join and removal in the audit trail, oldest first.

    A join's ``by`` is its invite's creator (the audit detail's ``invite_id``); a removal's
    person is the detail's ``person_id``. Entries missing those are skipped.
    """
    rows = conn.execute(
        select(
            _audit.c.at,
            _audit.c.actor_person_id,
            _audit.c.action,
            _audit.c.entity_id,
            _audit.c.detail,
        )
        .where(
            _audit.c.entity == JOIN[1],
            or_(_audit.c.action == JOIN[0], _audit.c.action == REMOVE[0]),
        )
        .order_by(_audit.c.at, _audit.c.id)
    ).all()
    invites = conn.execute(select(_invite.c.id, _invite.c.created_by))
    creators = {invite_id: by for invite_id, by in invites}
    events = []
    for at, actor, action, team_id, raw in rows:
        detail = json.loads(raw or "{}")
        if team_id is None:
            continue
        if action == JOIN[0]:
            if actor is None:
                continue
            events.append(
                MembershipEvent(
                    at,
                    action,
                    actor,
                    team_id,
                    creators.get(detail.get("invite_id")),
                    Role.parse(str(detail.get("role", ""))),
                    Role.parse(str(detail.get("previous_role", ""))),
                )
            )
        elif isinstance(person := detail.get("person_id"), int):
            events.append(MembershipEvent(at, action, person, team_id, actor))
    return events


def people_named(
    conn: Connection, *, person_ids: Iterable[int] = (), user_ids: Iterable[int] = ()
) -> list[NamedPerson]:
    """The people with these person ids or Telegram user ids, by person id."""
    ids, users = list(set(person_ids)), list(set(user_ids))
    if not ids and not users:
        return []
    stmt = (
        select(
            _person.c.id.label("person_id"),
            _person.c.telegram_user_id,
            _person.c.display_name,
            _person.c.username,
        )
        .where(or_(_person.c.id.in_(ids), _person.c.telegram_user_id.in_(users)))
        .order_by(_person.c.id)
    )
    return [NamedPerson(**row._mapping) for row in conn.execute(stmt).all()]
