"""Who may do what: the one permission table, and the functions that answer it.

Every decision on whether a person may do something asks :func:`permits` (use cases, through
:mod:`organiser_bot.usecases.guards`) or :func:`usable_in` (the adapter, for where a command
works). The table reads per action: which places it works in, and who may do it when the team
concerned is one of their own, another team, or when no one team is concerned.

``who`` is the person's standing: ``ADMIN`` for the people in ``ADMIN_TELEGRAM_IDS``; otherwise
their role in the team concerned; otherwise (another team, or no team concerned) their
highest role in any team (manager, then organiser, councillor, caseworker); ``STRANGER`` for
someone in no team at all. ``scope`` is ``OWN_TEAM`` when the person holds a role in the team
concerned, ``OTHER_TEAM`` when they hold none there, ``NO_TEAM`` when the request concerns no one
team (``/newteam``, ``/mydata``, or a report over every team the person may see). ``place`` is
the chat the request came from: private, or a group (groups and supergroups alike).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from organiser_bot.domain.refusals import Action
from organiser_bot.domain.roles import Role

if TYPE_CHECKING:
    from organiser_bot.domain.access import Actor


class Who(StrEnum):
    """A person's standing towards the team concerned (see the module docstring)."""

    ADMIN = "admin"
    MANAGER = "manager"
    ORGANISER = "organiser"
    COUNCILLOR = "councillor"
    CASEWORKER = "caseworker"
    STRANGER = "stranger"


class Scope(StrEnum):
    """Which team a request concerns, seen from the person asking."""

    OWN_TEAM = "own team"
    OTHER_TEAM = "other team"
    NO_TEAM = "no team"


class Place(StrEnum):
    """Where a request was sent."""

    PRIVATE = "private"
    GROUP = "group"


EVERYONE = frozenset(Who)
#: Anyone holding a role in a team; an admin counts wherever an admin is asked.
MEMBERS = frozenset(Who) - {Who.STRANGER}
MANAGERS = frozenset({Who.ADMIN, Who.MANAGER})
#: Managers, admins and organisers (who may mark a member active for a month).
ORGANISERS = frozenset({Who.ADMIN, Who.MANAGER, Who.ORGANISER})
ADMINS = frozenset({Who.ADMIN})
NOBODY: frozenset[Who] = frozenset()

PRIVATE_CHAT = frozenset({Place.PRIVATE})
GROUP_CHAT = frozenset({Place.GROUP})
ANY_CHAT = frozenset(Place)


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may do one action, per scope, and the places it works in."""

    own_team: frozenset[Who] = NOBODY
    other_team: frozenset[Who] = NOBODY
    no_team: frozenset[Who] = NOBODY
    places: frozenset[Place] = PRIVATE_CHAT

    def whos(self, scope: Scope) -> frozenset[Who]:
        """The standings allowed in ``scope``."""
        if scope is Scope.OWN_TEAM:
            return self.own_team
        if scope is Scope.OTHER_TEAM:
            return self.other_team
        return self.no_team


#: The permission table. A manager's request that names no team (``/totals``, ``/team``,
#: ``/export``, ``/ledger``, ``/target`` without a team) asks ``no_team`` first, then each team's
#: own rule for the teams it covers. A member's action on their own entries is ``own_team``:
#: someone in no team has none.
PERMISSIONS: Mapping[Action, Rule] = {
    # Anyone, in a private chat
    Action.START: Rule(no_team=EVERYONE),
    Action.HELP: Rule(no_team=EVERYONE),
    Action.SEE_OWN_DATA: Rule(no_team=EVERYONE),
    Action.FORGET_ME: Rule(no_team=EVERYONE),
    # Members, on their own teams' entries (their own)
    Action.USE_TEAM: Rule(own_team=MEMBERS),
    Action.LOG: Rule(own_team=MEMBERS),
    Action.QUICK_LOG: Rule(own_team=MEMBERS),
    Action.EDIT_ENTRY: Rule(own_team=MEMBERS),
    Action.UNDO: Rule(own_team=MEMBERS),
    # The button under an entry's confirmation: only the entries' owner may tap it (checked
    # against the entries), even after leaving every team.
    Action.UNDO_BUTTON: Rule(no_team=EVERYONE),
    Action.SEE_WEEK: Rule(own_team=MEMBERS),
    Action.SEE_DIARY: Rule(own_team=MEMBERS),
    Action.RECORD_ABSENCE: Rule(own_team=MEMBERS),
    Action.PAUSE_NUDGES: Rule(own_team=MEMBERS),
    Action.RESUME_NUDGES: Rule(own_team=MEMBERS),
    # Anyone in the organisation (a member of any team, or an admin): every team's roles
    Action.SEE_ACCESS: Rule(no_team=MEMBERS),
    # How many looks each team's figures received, and from how many people: every team alike
    Action.SEE_SCRUTINY: Rule(no_team=MEMBERS),
    # The button under the monthly "Were you active this month?": one's own answer
    Action.CHECK_IN: Rule(no_team=MEMBERS),
    # The review's measures: a member sees their own team's aggregate (per role and team);
    # the per-person rows go with SEE_TOTALS. No team named: the teams the person may see.
    Action.SEE_MEASURES: Rule(own_team=MEMBERS, other_team=ADMINS, no_team=MEMBERS),
    # Managers on their own teams, admins on every team
    Action.CREATE_TEAM: Rule(no_team=MANAGERS),
    Action.INVITE: Rule(own_team=MANAGERS, other_team=ADMINS),
    Action.REVOKE_INVITE: Rule(own_team=MANAGERS, other_team=ADMINS),
    Action.SET_TARGET: Rule(own_team=MANAGERS, other_team=ADMINS, no_team=MANAGERS),
    Action.SEE_TOTALS: Rule(own_team=MANAGERS, other_team=ADMINS, no_team=MANAGERS),
    # /diary @user: one member's day-by-day entries (notes only to the team's managers)
    Action.SEE_MEMBER_DIARY: Rule(own_team=MANAGERS, other_team=ADMINS, no_team=MANAGERS),
    # /residents: the team area's residents, for residents per active member
    Action.SET_RESIDENTS: Rule(own_team=MANAGERS, other_team=ADMINS),
    # /active: mark a member active for a month (as if they had answered the check-in yes)
    Action.MARK_ACTIVE: Rule(own_team=ORGANISERS, other_team=ADMINS),
    Action.LIST_MEMBERS: Rule(own_team=MANAGERS, other_team=ADMINS, no_team=MANAGERS),
    Action.REMOVE_MEMBER: Rule(own_team=MANAGERS, other_team=ADMINS, no_team=MANAGERS),
    # A team keeps its manager: only an admin may end their own membership.
    Action.REMOVE_ONESELF: Rule(own_team=ADMINS),
    Action.EXPORT: Rule(own_team=MANAGERS, other_team=ADMINS, no_team=MANAGERS),
    Action.SEE_LEDGER: Rule(own_team=MANAGERS, other_team=ADMINS, no_team=MANAGERS),
    # The bot's uptime, last poll, last digest run and database health: no team's figures
    Action.SEE_STATUS: Rule(no_team=MANAGERS),
    Action.ADD_KIND: Rule(no_team=ADMINS),
    # In a team's group chat
    Action.BIND_CHAT: Rule(own_team=MANAGERS, other_team=ADMINS, places=GROUP_CHAT),
    Action.PREVIEW_DIGEST: Rule(own_team=MANAGERS, other_team=ADMINS, places=GROUP_CHAT),
    Action.GROUP_TOTALS: Rule(own_team=MEMBERS, other_team=ADMINS, places=GROUP_CHAT),
    Action.GROUP_HELP: Rule(no_team=EVERYONE, places=GROUP_CHAT),
    # The group told when the bot starts, stops or a digest run fails: any group, no team's
    Action.SET_STATUS_CHAT: Rule(no_team=ADMINS, places=GROUP_CHAT),
    # Whether a reply may name a team: its members and admins, anywhere
    Action.SEE_TEAM_NAME: Rule(own_team=MEMBERS, other_team=ADMINS, places=ANY_CHAT),
}

#: Roles from most to least able, for a person's standing outside the team concerned.
_RANK = (Role.MANAGER, Role.ORGANISER, Role.COUNCILLOR, Role.CASEWORKER)


def allowed(who: Who, action: Action, scope: Scope, place: Place) -> bool:
    """Whether the table lets ``who`` do ``action`` in ``scope`` from ``place``.

    A stranger holds no role anywhere, so no team is their own: ``(STRANGER, OWN_TEAM)`` is
    never allowed.
    """
    rule = PERMISSIONS[action]
    if place not in rule.places:
        return False
    if who is Who.STRANGER and scope is Scope.OWN_TEAM:
        return False
    return who in rule.whos(scope)


def standing(actor: Actor, team_id: int | None) -> tuple[Who, Scope]:
    """The person's standing and the request's scope when it concerns ``team_id`` (None: no
    one team)."""
    role = actor.role_in(team_id) if team_id is not None else None
    if team_id is None:
        scope = Scope.NO_TEAM
    else:
        scope = Scope.OWN_TEAM if role is not None else Scope.OTHER_TEAM
    if actor.is_admin:
        return Who.ADMIN, scope
    if role is None:
        held = {tr.role for tr in actor.teams}
        role = next((r for r in _RANK if r in held), None)
    return (Who(role.value) if role is not None else Who.STRANGER), scope


def who_is(actor: Actor) -> Who:
    """The person's standing when no one team is concerned: ``STRANGER`` for someone in no
    team who is not an admin."""
    return standing(actor, None)[0]


def permits(
    actor: Actor, action: Action, *, team_id: int | None, place: Place = Place.PRIVATE
) -> bool:
    """Whether ``actor`` may do ``action`` on the team ``team_id`` (None: no one team) from
    ``place``: :func:`allowed` at the actor's :func:`standing`."""
    who, scope = standing(actor, team_id)
    return allowed(who, action, scope, place)


def permits_every_team(actor: Actor, action: Action, *, place: Place = Place.PRIVATE) -> bool:
    """Whether the table lets ``actor`` do ``action`` on teams they hold no role in, and so on
    every team (admins, for managers' actions)."""
    return allowed(who_is(actor), action, Scope.OTHER_TEAM, place)


def usable_in(action: Action, place: Place) -> bool:
    """Whether ``action`` works in ``place`` for anyone (else the adapter points elsewhere)."""
    return place in PERMISSIONS[action].places


_NONE = "—"


def permissions_markdown(labels: Mapping[Action, str] | None = None) -> str:
    """The table as Markdown, for the README: one row per action, one column per standing,
    each cell the scopes allowed (own team, other team, no team) or a dash, then the places.

    Args:
        labels: How each action is asked for (e.g. ``/invite``); the action's name otherwise.
    """
    labels = labels or {}
    head = ["asked as", *(w.value for w in Who), "where"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for action, rule in PERMISSIONS.items():
        cells = [labels.get(action, action.value.replace("_", " "))]
        for who in Who:
            scopes = [
                s.value for s in Scope if any(allowed(who, action, s, p) for p in rule.places)
            ]
            cells.append(", ".join(scopes) or _NONE)
        cells.append(", ".join(p.value for p in Place if p in rule.places))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
