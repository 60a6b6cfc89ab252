"""Who a manager means: an ``@username`` resolved among the members they may act on, or a member
chosen from a team's list.

A name is looked up only among the current members of the teams the actor may act on (for the
action asked); a name held by someone elsewhere is refused exactly like a name no one holds, so
a reply never reveals who is in another team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.names import name_key
from organiser_bot.domain.permissions import permits, permits_every_team
from organiser_bot.domain.refusals import Action, Refusal
from storage import people

# Re-exported: the adapter names a member offered on a button by this type.
from storage.people import CurrentMember as CurrentMember

#: Most members one choice offers as buttons; more are narrowed by part of a name.
PICK_LIMIT = 40


@dataclass
class UnknownMember(Refusal):
    """No current member of a team the person may act on holds ``username`` (whether or not
    someone elsewhere does)."""

    username: str


@dataclass
class SeveralHold(Refusal):
    """Several people among the members the person may act on hold ``username`` (one gave it
    up and has not written since), where a report cannot offer them to choose from;
    ``team_slugs`` are the short names of the teams they are in, by name."""

    username: str
    team_slugs: tuple[str, ...]


@dataclass
class NoOneToChoose(Refusal):
    """No current member of ``team_name`` matches ``name`` (None: the team has no members)."""

    team_name: str
    name: str | None = None


class StaleReason(StrEnum):
    """Why a tap on a list of members is no longer honoured."""

    #: Someone other than the person the list was sent to tapped it.
    NOT_YOURS = "not_yours"
    #: The member is no longer a current member of a team the person may act on.
    GONE = "gone"
    #: What the list was about changed since it was sent (e.g. the target was changed).
    CHANGED = "changed"


@dataclass
class StaleChoice(Refusal):
    """A tap on a list of members that no longer holds; nothing was done."""

    reason: StaleReason


@dataclass(frozen=True, slots=True)
class MemberChoice:
    """Members to choose from, one button each.

    Attributes:
        members: The members offered, at most :data:`PICK_LIMIT`, by team then name; the same
            person appears once per team.
        total: How many matched, offered or not.
        username: The ``@username`` that several members matched; None when a list was asked for.
        name: The part of a name the list was narrowed by, if any.
    """

    members: tuple[CurrentMember, ...]
    total: int
    username: str | None = None
    name: str | None = None

    @property
    def cut(self) -> bool:
        """True when more members matched than are offered."""
        return self.total > len(self.members)


def actionable_team_ids(actor: Actor, action: Action) -> list[int] | None:
    """The teams whose members the actor may do ``action`` to: None for every team (admins),
    else the ids of their teams the permission table allows it in."""
    if permits_every_team(actor, action):
        return None
    return [tr.team_id for tr in actor.teams if permits(actor, action, team_id=tr.team_id)]


def members_named(
    conn: Connection,
    actor: Actor,
    username: str,
    action: Action,
    *,
    team_id: int | None = None,
) -> list[CurrentMember]:
    """The current members holding ``username`` (``@`` optional, any case) in the teams the
    actor may do ``action`` in, or in ``team_id`` only; one row per (person, team).

    Usernames are kept unique by :func:`storage.people.refresh_identity`, so several rows are
    one person in several teams, or a person who gave the name up and has not written since.

    Raises:
        UnknownMember: none (also when only someone in another team holds it).
    """
    allowed = actionable_team_ids(actor, action)
    if team_id is not None:
        allowed = [team_id] if allowed is None or team_id in allowed else []
    found = (
        people.current_members(conn, team_ids=allowed, username=username) if allowed != [] else []
    )
    if not found:
        raise UnknownMember(username)
    return found


def narrowed(members: Sequence[CurrentMember], name: str | None) -> list[CurrentMember]:
    """The members whose display name or username contains ``name`` (compared as
    :func:`~organiser_bot.domain.names.name_key` compares names); all of them without one."""
    if not name:
        return list(members)
    part = name_key(name).lstrip("@")
    return [
        m
        for m in members
        if part in name_key(m.display_name) or (m.username and part in m.username.casefold())
    ]


def choice_of(
    members: Sequence[CurrentMember], *, username: str | None = None, name: str | None = None
) -> MemberChoice:
    """A :class:`MemberChoice` of ``members`` (the first :data:`PICK_LIMIT`)."""
    return MemberChoice(tuple(members[:PICK_LIMIT]), len(members), username, name)


def current_member(
    conn: Connection, actor: Actor, action: Action, *, team_id: int, person_id: int
) -> CurrentMember | None:
    """The person ``person_id`` as a current member of ``team_id``, when the actor may do
    ``action`` in that team; else None (left, never a member, or not the actor's to act on)."""
    if not permits(actor, action, team_id=team_id):
        return None
    found = people.current_members(conn, team_ids=[team_id], person_id=person_id)
    return found[0] if found else None
