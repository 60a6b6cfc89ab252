"""Guards every use case starts with: each asks the permission table
(:mod:`organiser_bot.domain.permissions`) and returns what the use case needs or raises a refusal.

A refusal names a team (its display name) only to someone the table lets see that team's name
(``Action.SEE_TEAM_NAME``): its members and admins. Anyone else is told only what they typed,
and a short name typed for a team they may not see is refused exactly as one no team has
(:func:`team_to_act_on`), so a reply never confirms that another team exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor, TeamRole
from organiser_bot.domain.permissions import Place, permits
from organiser_bot.domain.refusals import Action, NotAMember, NotPermitted, Refusal, UnknownTeam
from organiser_bot.domain.teams import slugify
from storage import people
from storage.models import Team


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=_HasId)


def permits_member(actor: Actor, action: Action) -> bool:
    """Whether the table lets the actor do a member's ``action`` on their own entries (which
    go to their default team) from their private chat, and the bot holds the person."""
    team = actor.default_team
    team_id = team.team_id if team is not None else None
    return actor.person_id is not None and permits(actor, action, team_id=team_id)


def require_member(actor: Actor, action: Action = Action.LOG) -> int:
    """The person id of an actor who may do the member's ``action`` on their own entries
    (:func:`permits_member`; the member actions share one rule: the actor is in a team).

    Raises:
        NotAMember: the table refuses (the actor is in no team).
    """
    if not permits_member(actor, action) or actor.person_id is None:
        raise NotAMember()
    return actor.person_id


def require_default_team(actor: Actor, action: Action = Action.LOG) -> TeamRole:
    """The team a member's entries go to when no ``#team`` is given.

    Raises:
        NotAMember: the actor is in no team.
    """
    require_member(actor, action)
    team = actor.default_team
    if team is None:  # pragma: no cover - a member always has a default team
        raise NotAMember()
    return team


def require_manager(actor: Actor, action: Action) -> None:
    """Let through whoever the table allows ``action`` when no one team is named (admins and
    managers of at least one team, for managers' actions).

    Raises:
        NotPermitted: the table refuses (no team is named in the refusal).
    """
    if not permits(actor, action, team_id=None):
        raise NotPermitted(action)


def require_admin(actor: Actor, action: Action) -> None:
    """Let through whoever the table allows an admin-only ``action`` (admins).

    Raises:
        NotPermitted: the table refuses.
    """
    require_manager(actor, action)


def visible_name(actor: Actor, *, team_id: int, team_name: str, place: Place) -> str | None:
    """``team_name`` when the table lets the actor see the team's name, else None."""
    seen = permits(actor, Action.SEE_TEAM_NAME, team_id=team_id, place=place)
    return team_name if seen else None


def require_manages(
    actor: Actor,
    action: Action,
    *,
    team_id: int,
    team_name: str,
    place: Place = Place.PRIVATE,
) -> None:
    """Let through whoever the table allows ``action`` on the team ``team_id`` from ``place``
    (for managers' actions: the team's managers and admins).

    Raises:
        NotPermitted: the table refuses; the refusal names the team only when the actor may
            see its name.
    """
    if not permits(actor, action, team_id=team_id, place=place):
        raise NotPermitted(
            action, visible_name(actor, team_id=team_id, team_name=team_name, place=place)
        )


def permitted_teams(
    actor: Actor, action: Action, teams: Iterable[T], *, place: Place = Place.PRIVATE
) -> list[T]:
    """The teams (anything with an ``id``) among ``teams`` the table allows ``action`` on, in
    the order given."""
    return [t for t in teams if permits(actor, action, team_id=t.id, place=place)]


def seen_team(
    conn: Connection, actor: Actor, typed: str, *, place: Place = Place.PRIVATE
) -> Team | None:
    """The live team whose short name is ``typed`` (as :func:`storage.people.find_team` reads
    it), when the table lets the actor see its name (``Action.SEE_TEAM_NAME``: its members and
    admins); None when no team has that short name or the actor may not see it, alike."""
    team = people.find_team(conn, slugify(typed)) if typed else None
    if team is None or not permits(actor, Action.SEE_TEAM_NAME, team_id=team.id, place=place):
        return None
    return team


def team_to_act_on(
    conn: Connection,
    actor: Actor,
    typed: str,
    action: Action,
    *,
    place: Place = Place.PRIVATE,
    unknown: Callable[[str], Refusal] = UnknownTeam,
) -> Team:
    """The team called ``typed`` (its short name, as typed) that the actor may do ``action`` on
    from ``place``.

    Args:
        unknown: The refusal for a name that finds no team the actor may see, given ``typed``
            (a command may add its usage); :class:`UnknownTeam` unless given.

    Raises:
        Refusal: ``unknown(typed)``: no team has that short name, or the actor may not see the
            team's name (:func:`seen_team`): the same refusal for both, so another team's
            short name is never confirmed.
        NotPermitted: the actor may see the team (a member of it) but the table refuses
            ``action``; it names the team.
    """
    team = seen_team(conn, actor, typed, place=place)
    if team is None:
        raise unknown(typed)
    require_manages(actor, action, team_id=team.id, team_name=team.name, place=place)
    return team
