"""``/target``: set, clear or reset a weekly target for a role or a member, and the member
chosen from a list when no @username names them.

Forms, ``/target <who> <kind> <value> [team]``:

* ``who``: a role (``organiser``), an ``@username``, or ``member`` (choose from the team's
  current members on buttons; words after the team narrow the list by name).
* ``value``: a whole number from 1 to :data:`MAX_TARGET` sets the target; ``none`` (or ``0``,
  the same) sets no target; ``reset`` removes the override, so the role's target applies again
  (for a role: the target for that role in every team, else the built-in default).

Each returns a typed outcome or raises a :class:`~organiser_bot.domain.refusals.Refusal`; the
refusals particular to ``/target`` are defined here and worded by the adapter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.kinds import Kind
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.permissions import permits, permits_every_team
from organiser_bot.domain.refusals import Action, Refusal
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import TargetRow, effective_targets, person_scope, role_scope
from organiser_bot.usecases.guards import require_manager, require_manages, seen_team
from organiser_bot.usecases.identities import (
    MemberChoice,
    NoOneToChoose,
    StaleChoice,
    StaleReason,
    choice_of,
    current_member,
    members_named,
    narrowed,
)
from organiser_bot.usecases.onboarding import NoTeamCalled
from storage import audit, people
from storage import targets as target_store
from storage.people import CurrentMember

#: Largest weekly target ``/target`` accepts.
MAX_TARGET = 1000
#: The value that sets no target (``0`` means the same).
NO_TARGET = "none"
#: The value that removes an override, so the role's target applies again.
RESET = "reset"
#: The first word that asks for the team's members as buttons.
MEMBER = "member"


class TargetChange(StrEnum):
    """What a ``/target`` value does."""

    SET = "set"
    CLEAR = "clear"
    RESET = "reset"


class Fallback(StrEnum):
    """Whose target applies after a reset."""

    #: The member's role's target (in the team, else in every team, else the default).
    ROLE = "role"
    #: The role's target set for every team.
    EVERY_TEAM = "every_team"
    #: The built-in default for the role.
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class TargetValue:
    """A ``/target`` value: ``weekly`` is the number set (0 for :attr:`TargetChange.CLEAR`,
    unused for a reset)."""

    change: TargetChange
    weekly: int = 0

    @property
    def word(self) -> str:
        """The value as it is typed: ``5``, ``none`` or ``reset``."""
        if self.change is TargetChange.SET:
            return str(self.weekly)
        return NO_TARGET if self.change is TargetChange.CLEAR else RESET


def parse_target_value(text: str) -> TargetValue | None:
    """``5`` -> set 5, ``none`` or ``0`` -> no target, ``reset`` -> back to the role's target
    (words in any case); None for anything else, or a number over :data:`MAX_TARGET`."""
    word = text.strip().lower()
    if word == RESET:
        return TargetValue(TargetChange.RESET)
    if word == NO_TARGET:
        return TargetValue(TargetChange.CLEAR)
    if not (word.isascii() and word.isdigit()) or int(word) > MAX_TARGET:
        return None
    weekly = int(word)
    return TargetValue(TargetChange.SET, weekly) if weekly else TargetValue(TargetChange.CLEAR)


# Outcomes.


@dataclass(frozen=True, slots=True)
class TargetSet:
    """A weekly target set, cleared or reset.

    Attributes:
        kind: The kind the target is for.
        whose: A role (its target for everyone in it), or the display name of one member.
        role: The role concerned: ``whose``, or the member's role in the team.
        team_name: The team it applies in; None for every team.
        change: What was asked.
        weekly: The weekly target that applies now; None for no target.
        was: The weekly target that applied before; None for none.
        fallback: After a reset, whose target applies now; None otherwise.
        changed: False when nothing was done: a reset found nothing to remove, or the same
            target (or none) was stored already for ``whose`` there.
    """

    kind: Kind
    whose: Role | str
    role: Role
    team_name: str | None
    change: TargetChange
    weekly: int | None
    was: int | None
    fallback: Fallback | None = None
    changed: bool = True


@dataclass(frozen=True, slots=True)
class TargetPick:
    """``/target member …``, or an ``@username`` several members matched: nothing was done;
    the manager chooses the member.

    Attributes:
        states: For each member offered, the state of the targets their tap must still find
            (:func:`target_state`), so a tap after someone else changed them is refused.
    """

    kind: Kind
    value: TargetValue
    choice: MemberChoice
    states: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TargetTap:
    """A member chosen from a :class:`TargetPick`: who asked (Telegram user id), the team and
    person chosen, and what to do."""

    asker: int
    team_id: int
    person_id: int
    kind: str
    value: TargetValue
    state: str


# Refusals. Each leaves the database as it was.


class TargetUsage(Refusal):
    """``/target`` with too few words, or without a team where one is needed."""


@dataclass
class UnknownKind(Refusal):
    """``word`` names no kind of activity."""

    word: str


@dataclass
class TargetOutOfRange(Refusal):
    """The value is neither a whole number from 0 to ``maximum`` nor ``none`` or ``reset``."""

    maximum: int


@dataclass
class NotRoleOrMember(Refusal):
    """``word`` is neither a role, an ``@username`` nor ``member``."""

    word: str


def target_state(rows: Sequence[TargetRow], *, team_id: int, kind: str) -> str:
    """A short fingerprint (8 hex digits) of the overrides of ``kind`` that apply in
    ``team_id``: it changes whenever one of them is set, cleared or reset."""
    held = sorted(
        (r.team_id or 0, r.scope, r.weekly)
        for r in rows
        if r.kind == kind and r.team_id in (None, team_id)
    )
    return hashlib.sha256(repr(held).encode()).hexdigest()[:8]


def _default_team(actor: Actor) -> tuple[int, str] | None:
    # The team a manager's /target applies in when none is named: their default team if they
    # may set targets there, else the first such team.
    allowed = [tr for tr in actor.teams if permits(actor, Action.SET_TARGET, team_id=tr.team_id)]
    default = actor.default_team
    pick = default if default in allowed else next(iter(allowed), None)
    return (pick.team_id, pick.name) if pick is not None else None


def set_target(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> TargetSet | TargetPick:
    """``/target <role|@user|member> <kind> <n|none|reset> [team] [name]``.

    A role's target without a team applies, for an admin, in every team; for a manager, in
    their default team if they manage it, else the first team they manage. A member's target
    applies in one team: the one named, else the one team the @username was found in (found in
    several, or ``member``: the manager chooses on buttons, :class:`TargetPick`).

    Raises:
        NotPermitted: the person is neither a manager nor an admin, or does not manage the team.
        TargetUsage: fewer than three words, or no team to set it in.
        UnknownKind: the second word names no kind.
        TargetOutOfRange: the value is not a whole number from 0 to ``MAX_TARGET``, ``none``
            or ``reset``.
        NoTeamCalled: no team the person may see has that short name (another team's is
            refused alike).
        UnknownMember: no current member of a team the person manages has that ``@username``.
        NoOneToChoose: ``member`` and no current member matches.
        NotRoleOrMember: the first word is neither a role, an ``@username`` nor ``member``.
    """
    require_manager(actor, Action.SET_TARGET)
    if len(args) < 3:
        raise TargetUsage()
    who, kind_word, value_text, rest = args[0], args[1], args[2], args[3:]
    kind = moment.kinds.lookup(kind_word)
    if kind is None:
        raise UnknownKind(kind_word)
    value = parse_target_value(value_text)
    if value is None:
        raise TargetOutOfRange(MAX_TARGET)
    role = Role.parse(who)
    picking = who.lower() == MEMBER
    if role is None and not picking and not who.startswith("@"):
        raise NotRoleOrMember(who)
    # A team the manager may not see is read like a name no team has (not confirmed).
    team = seen_team(conn, actor, rest[0]) if rest else None
    if rest and team is None and not picking:
        raise NoTeamCalled(rest[0])
    name = " ".join(rest[1:] if team is not None else rest) or None
    if team is not None:
        require_manages(actor, Action.SET_TARGET, team_id=team.id, team_name=team.name)
    if role is not None:
        if team is not None:
            return _apply(conn, actor, team.id, team.name, role, None, kind, value, moment)
        if permits_every_team(actor, Action.SET_TARGET):
            return _apply(conn, actor, None, None, role, None, kind, value, moment)
        default = _default_team(actor)
        if default is None:
            raise TargetUsage()
        return _apply(conn, actor, *default, role, None, kind, value, moment)
    if picking:
        if team is not None:
            where, team_name = [team.id], team.name
        elif (default := _default_team(actor)) is not None:
            where, team_name = [default[0]], default[1]
        else:
            raise TargetUsage()
        members = narrowed(people.current_members(conn, team_ids=where), name)
        if not members:
            raise NoOneToChoose(team_name, name)
        return _pick(conn, kind, value, choice_of(members, name=name))
    found = members_named(
        conn, actor, who, Action.SET_TARGET, team_id=team.id if team is not None else None
    )
    if len(found) > 1:
        return _pick(conn, kind, value, choice_of(found, username=who))
    [member] = found
    return _apply(
        conn, actor, member.team_id, member.team_name, member.role, member, kind, value, moment
    )


def _pick(conn: Connection, kind: Kind, value: TargetValue, choice: MemberChoice) -> TargetPick:
    rows = target_store.overrides(conn, team_ids=sorted({m.team_id for m in choice.members}))
    states = tuple(target_state(rows, team_id=m.team_id, kind=kind.key) for m in choice.members)
    return TargetPick(kind, value, choice, states)


def set_chosen_target(
    conn: Connection, actor: Actor, tap: TargetTap, *, moment: Moment
) -> TargetSet:
    """A member tapped in a :class:`TargetPick`: set, clear or reset their target.

    Raises:
        StaleChoice: the tap is not the asker's, the member is no longer a current member of a
            team the person manages, or the team's targets of that kind changed since the list
            was sent.
    """
    if tap.asker != actor.identity.user_id:
        raise StaleChoice(StaleReason.NOT_YOURS)
    member = current_member(
        conn, actor, Action.SET_TARGET, team_id=tap.team_id, person_id=tap.person_id
    )
    if member is None:
        raise StaleChoice(StaleReason.GONE)
    rows = target_store.overrides(conn, team_ids=[tap.team_id])
    if target_state(rows, team_id=tap.team_id, kind=tap.kind) != tap.state:
        raise StaleChoice(StaleReason.CHANGED)
    kind = moment.kinds.get(tap.kind)
    return _apply(
        conn, actor, member.team_id, member.team_name, member.role, member, kind, tap.value, moment
    )


def _effective(
    rows: Sequence[TargetRow], role: Role, person_id: int, team_id: int | None, kind: str
) -> int | None:
    # Team 0 and person 0 match no stored override: a role's own target in every team.
    found = effective_targets(
        role=role, person_id=person_id, team_id=team_id or 0, overrides=rows
    ).get(kind)
    return found or None


def _apply(
    conn: Connection,
    actor: Actor,
    team_id: int | None,
    team_name: str | None,
    role: Role,
    member: CurrentMember | None,
    kind: Kind,
    value: TargetValue,
    moment: Moment,
) -> TargetSet:
    person_id = member.person_id if member is not None else 0
    scope = person_scope(person_id) if member is not None else role_scope(role)
    team_ids = [team_id] if team_id is not None else []
    before = target_store.overrides(conn, team_ids=team_ids)
    was = _effective(before, role, person_id, team_id, kind.key)
    now = moment.now
    by = people.ensure_person(conn, actor.identity, now=now)
    held = next(
        (
            r.weekly
            for r in before
            if r.team_id == team_id and r.scope == scope and r.kind == kind.key
        ),
        None,
    )
    if value.change is TargetChange.RESET:
        previous = target_store.delete_target(conn, team_id=team_id, scope=scope, kind=kind.key)
    elif held == value.weekly:
        previous = held  # the same override is stored already: nothing to write
    else:
        previous = target_store.set_target(
            conn,
            team_id=team_id,
            scope=scope,
            kind=kind.key,
            weekly=value.weekly,
            by=by,
            now=now,
        )
    after = target_store.overrides(conn, team_ids=team_ids)
    fallback: Fallback | None = None
    if value.change is TargetChange.RESET:
        every_team = any(
            r.team_id is None and r.scope == role_scope(role) and r.kind == kind.key for r in after
        )
        if member is not None:
            fallback = Fallback.ROLE
        elif team_id is not None and every_team:
            fallback = Fallback.EVERY_TEAM
        else:
            fallback = Fallback.DEFAULT
    resetting = value.change is TargetChange.RESET
    changed = previous is not None if resetting else held != value.weekly
    if changed:
        audit.record(
            conn,
            at=now,
            actor=by,
            action=value.change.value,
            entity="target",
            entity_id=team_id,
            scope=scope,
            kind=kind.key,
            weekly=None if value.change is TargetChange.RESET else value.weekly,
            previous=previous,
        )
    return TargetSet(
        kind,
        member.display_name if member is not None else role,
        role,
        team_name,
        value.change,
        _effective(after, role, person_id, team_id, kind.key),
        was,
        fallback,
        changed,
    )
