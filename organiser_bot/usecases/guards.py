"""Guards every use case starts with: each returns what the use case needs or raises a refusal."""

from __future__ import annotations

from organiser_bot.domain.access import Actor, TeamRole
from organiser_bot.domain.refusals import Action, NotAMember, NotPermitted


def require_member(actor: Actor) -> int:
    """The person id of an actor who belongs to at least one team.

    Raises:
        NotAMember: the actor is in no team.
    """
    if not actor.is_member or actor.person_id is None:
        raise NotAMember()
    return actor.person_id


def require_default_team(actor: Actor) -> TeamRole:
    """The team a member's entries go to when no ``#team`` is given.

    Raises:
        NotAMember: the actor is in no team.
    """
    require_member(actor)
    team = actor.default_team
    if team is None:  # pragma: no cover - a member always has a default team
        raise NotAMember()
    return team


def require_manager(actor: Actor, action: Action) -> None:
    """Let admins and managers of at least one team through.

    Raises:
        NotPermitted: the actor manages no team and is not an admin.
    """
    if not actor.is_manager:
        raise NotPermitted(action)


def require_manages(actor: Actor, action: Action, *, team_id: int, team_name: str) -> None:
    """Let the team's managers and admins through.

    Raises:
        NotPermitted: the actor may not manage that team.
    """
    if not actor.manages(team_id):
        raise NotPermitted(action, team_name)


def require_admin(actor: Actor, action: Action) -> None:
    """Let admins through.

    Raises:
        NotPermitted: the actor is not an admin.
    """
    if not actor.is_admin:
        raise NotPermitted(action)
