"""Use cases for setting up teams and bringing people in: teams, invites, joining, binding chats.

Each returns a typed outcome or raises a :class:`~organiser_bot.domain.refusals.Refusal`; the
refusals particular to these commands are defined here and worded by the adapter.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor, TeamRole
from organiser_bot.domain.kinds import Kind
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.permissions import Place, permits, permits_every_team
from organiser_bot.domain.refusals import Action, Refusal
from organiser_bot.domain.roles import Role
from organiser_bot.domain.teams import slugify
from organiser_bot.usecases.guards import (
    require_admin,
    require_manager,
    require_manages,
    team_to_act_on,
)
from storage import access as access_store
from storage import audit, chats, people

#: Days an invite stays valid when no number of days is given.
INVITE_DAYS = 7
MAX_INVITE_USES = 200
MAX_INVITE_DAYS = 90
#: Longest team name, in characters.
MAX_TEAM_NAME = 64
#: Longest kind name or alias, in characters.
MAX_KIND_WORD = 32

_KIND_KEY = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


# Refusals particular to these commands. Each leaves the database as it was.


class TeamNameInvalid(Refusal):
    """The team name is empty once made a short name, or longer than ``MAX_TEAM_NAME``."""


@dataclass
class TeamExists(Refusal):
    """A team with the short name ``slug`` exists already, called ``name`` (the one found, which
    may differ from the name asked for in case or accents); ``suggestion`` is a name whose
    short name is free (the name asked for with a number after it), or None when none of the
    first few is."""

    slug: str
    suggestion: str | None = None
    name: str | None = None


@dataclass
class NoTeamCalled(Refusal):
    """No team has the short name of ``name`` (as the person typed it)."""

    name: str


class InviteUsage(Refusal):
    """``/invite`` without a team and a role, or with uses or days that are not numbers."""


@dataclass
class NoTeamToInvite(NoTeamCalled):
    """``/invite`` names no team; the reply repeats how to use the command."""


@dataclass
class UnknownRole(Refusal):
    """``word`` names no role."""

    word: str


@dataclass
class InviteLimits(Refusal):
    """The uses or days asked for an invite are out of range."""

    max_uses: int
    max_days: int


class NoSuchInvite(Refusal):
    """No invite has that code (revoking)."""


class InviteAlreadyRevoked(Refusal):
    """The invite was revoked before."""


class InviteProblem(StrEnum):
    """Why an invite code cannot be used to join."""

    INVALID = "invalid"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    USED_UP = "used_up"


@dataclass
class InviteUnusable(Refusal):
    """A ``/start <code>`` that cannot join anyone, and why."""

    problem: InviteProblem


@dataclass
class AlreadyInTeam(Refusal):
    """The person joining is already in the invite's team, as ``role``."""

    team_name: str
    role: Role


class BindUsage(Refusal):
    """``/bind`` without a team."""


@dataclass
class ChatTaken(Refusal):
    """``/bind`` in a group that is ``current``'s chat, to another team ``wanted``, by someone
    who may not manage ``current``: moving a team's chat needs the right to manage both teams."""

    current: str
    wanted: str


class NoTeamYet(Refusal):
    """``/use`` from someone in no team."""


@dataclass
class NotInTeam(Refusal):
    """``/use`` names a team the person is not in; ``slugs`` are the teams they are in."""

    name: str
    slugs: tuple[str, ...]


class KindUsage(Refusal):
    """``/newkind`` without a name."""


class BadKindName(Refusal):
    """A new kind's name is not 2-32 letters, digits or ``_`` starting with a letter."""


@dataclass
class KindNameTaken(Refusal):
    """``words`` already name kinds (the new name or its aliases)."""

    words: tuple[str, ...]


class BadKindAliases(Refusal):
    """An alias is longer than ``MAX_KIND_WORD`` or is a number."""


# Outcomes.


@dataclass(frozen=True, slots=True)
class TeamCreated:
    """A new team and its short name."""

    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class InviteCreated:
    """An invite made: ``code`` joins ``uses`` people to ``team_name`` as ``role`` for ``days``."""

    team_name: str
    role: Role
    uses: int
    days: int
    code: str


@dataclass(frozen=True, slots=True)
class InviteRevoked:
    """Invite ``code`` to ``team_name`` can no longer be used."""

    code: str
    team_name: str


@dataclass(frozen=True, slots=True)
class StillLogsTo:
    """After joining a further team, entries still go to ``team_name`` by default.

    Attributes:
        team_name: The person's default team, unchanged by the join.
        joined_slug: The short name of the team just joined (what ``/use`` or a ``#tag`` takes).
    """

    team_name: str
    joined_slug: str


@dataclass(frozen=True, slots=True)
class Joined:
    """The person joined ``team_name`` as ``role``.

    Attributes:
        team_name: The team joined.
        role: The person's role in it.
        still_logs_to: Where entries go when the person was in a team already (their default
            does not move); None for a first team, which becomes the default.
    """

    team_name: str
    role: Role
    still_logs_to: StillLogsTo | None = None


@dataclass(frozen=True, slots=True)
class ChatBound:
    """The chat (or forum topic) is now ``team_name``'s chat, where its digest is posted.

    Attributes:
        team_name: The team bound.
        topic: The binding is a forum topic of the group, where the digest will be posted.
        took_from: The team whose chat this group was until now, if another.
        took_from_slug: Its short name.
        took_from_managers: Telegram user ids of ``took_from``'s managers, to tell (the person
            binding left out).
        left_chat: The team had another group until now, which no longer gets its digest.
        left_chat_title: That group's title, when known.
    """

    team_name: str
    topic: bool = False
    took_from: str | None = None
    took_from_slug: str | None = None
    took_from_managers: tuple[int, ...] = ()
    left_chat: bool = False
    left_chat_title: str | None = None


@dataclass(frozen=True, slots=True)
class DefaultTeam:
    """Where entries go now (``current`` is None only for a person with no default) and the
    short names of the person's teams."""

    current: str | None
    slugs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DefaultTeamSet:
    """Entries now go to ``team_name`` by default."""

    team_name: str


def new_invite_code() -> str:
    """A fresh invite code: unguessable, and safe inside a ``?start=`` deep link."""
    return secrets.token_urlsafe(9)


def create_team(conn: Connection, actor: Actor, name: str, *, moment: Moment) -> TeamCreated:
    """Create a team; a manager who creates one becomes its manager (admins manage all).

    Args:
        name: The team's name as typed; runs of spaces become one.

    Raises:
        NotPermitted: the person is neither a manager nor an admin.
        TeamNameInvalid: the name has no letters or digits, or is over ``MAX_TEAM_NAME``.
        TeamExists: a team has the same short name.
    """
    require_manager(actor, Action.CREATE_TEAM)
    now = moment.now
    name = " ".join(name.split())
    slug = slugify(name)
    if not slug or len(name) > MAX_TEAM_NAME:
        raise TeamNameInvalid()
    # A live team it finds, or an archived one holding the short name (never given twice).
    existing = people.find_team(conn, slug) or people.team_holding_slug(conn, slug)
    if existing is not None:
        raise TeamExists(existing.slug, _free_team_name(conn, name), existing.name)
    person_id = people.ensure_person(conn, actor.identity, now=now)
    team_id = people.create_team(conn, name=name, slug=slug, now=now)
    if not permits_every_team(actor, Action.INVITE):
        # Admins manage every team already; a manager who creates a team becomes its manager.
        people.add_membership(
            conn,
            person_id=person_id,
            team_id=team_id,
            role=Role.MANAGER,
            now=now,
            joined_on=moment.today,
        )
        access_store.record_grant(
            conn, person_id=person_id, team_id=team_id, invite_id=None, at=now
        )
        _keep_default(conn, actor, person_id, team_id)
    audit.record(
        conn, at=now, actor=person_id, action="create", entity="team", entity_id=team_id, name=name
    )
    return TeamCreated(name, slug)


def _free_team_name(conn: Connection, name: str) -> str | None:
    """``name`` with the first of 2..9 after it whose short name no team has, cut to fit
    ``MAX_TEAM_NAME``; None when all are taken. Short names stay distinct: a team is never
    given a short name it did not ask for."""
    for n in range(2, 10):
        candidate = f"{name[: MAX_TEAM_NAME - 2].rstrip()} {n}"
        slug = slugify(candidate)
        if people.find_team(conn, slug) is None and people.team_holding_slug(conn, slug) is None:
            return candidate
    return None


def create_invite(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> InviteCreated:
    """``/invite <team> <role> [uses] [days]``: make an invite code for a team and role.

    Args:
        args: The command's words: team, role, then optionally uses (default 1) and days
            (default ``INVITE_DAYS``).

    Raises:
        InviteUsage: fewer than two words, or uses or days not whole numbers.
        NoTeamToInvite: no team the person may see has that short name (another team's is
            refused alike).
        NotPermitted: the person is in the team but does not manage it.
        UnknownRole: the second word names no role.
        InviteLimits: uses or days out of range.
    """
    if len(args) < 2:
        raise InviteUsage()
    team = team_to_act_on(conn, actor, args[0], Action.INVITE, unknown=NoTeamToInvite)
    role = Role.parse(args[1])
    if role is None:
        raise UnknownRole(args[1])
    try:
        uses = int(args[2]) if len(args) > 2 else 1
        days = int(args[3]) if len(args) > 3 else INVITE_DAYS
    except ValueError:
        raise InviteUsage() from None
    if not (1 <= uses <= MAX_INVITE_USES and 1 <= days <= MAX_INVITE_DAYS):
        raise InviteLimits(MAX_INVITE_USES, MAX_INVITE_DAYS)
    now = moment.now
    person_id = people.ensure_person(conn, actor.identity, now=now)
    code = new_invite_code()
    invite_id = people.create_invite(
        conn,
        code=code,
        team_id=team.id,
        role=role,
        created_by=person_id,
        now=now,
        expires_at=now + timedelta(days=days),
        uses=uses,
    )
    audit.record(
        conn,
        at=now,
        actor=person_id,
        action="create",
        entity="invite",
        entity_id=invite_id,
        team_id=team.id,
        role=role.value,
        uses=uses,
    )
    return InviteCreated(team.name, role, uses, days, code)


def revoke_invite(conn: Connection, actor: Actor, code: str, *, moment: Moment) -> InviteRevoked:
    """``/revoke <code>``: stop an invite from being used.

    Raises:
        NoSuchInvite: no invite has that code.
        NotPermitted: the person does not manage the invite's team.
        InviteAlreadyRevoked: the invite was revoked before.
    """
    found = people.find_invite(conn, code.strip())
    if found is None:
        raise NoSuchInvite()
    invite, team = found
    require_manages(actor, Action.REVOKE_INVITE, team_id=team.id, team_name=team.name)
    if invite.revoked:
        raise InviteAlreadyRevoked()
    people.revoke_invite(conn, invite.id, now=moment.now)
    audit.record(
        conn,
        at=moment.now,
        actor=actor.person_id,
        action="revoke",
        entity="invite",
        entity_id=invite.id,
    )
    return InviteRevoked(code, team.name)


def join(conn: Connection, actor: Actor, code: str, *, moment: Moment) -> Joined:
    """``/start <code>``: join a team through an invite; bad codes change nothing.

    The first team a person joins becomes their default; joining another leaves the default
    where it was (only ``/use`` moves it).

    Raises:
        InviteUnusable: the code is unknown, revoked, expired or used up.
        AlreadyInTeam: the person is in the invite's team already.
    """
    now = moment.now
    found = people.find_invite(conn, code.strip(), for_update=True)
    if found is None:
        raise InviteUnusable(InviteProblem.INVALID)
    invite, team = found
    if invite.revoked:
        raise InviteUnusable(InviteProblem.WITHDRAWN)
    if invite.expires_at <= now:
        raise InviteUnusable(InviteProblem.EXPIRED)
    if invite.uses_left <= 0:
        raise InviteUnusable(InviteProblem.USED_UP)
    identity = actor.identity
    existing = people.membership_role(conn, identity.user_id, invite.team_id)
    if existing is not None:
        raise AlreadyInTeam(team.name, existing)
    if not people.use_invite(conn, invite.id):
        raise InviteUnusable(InviteProblem.USED_UP)
    person_id = people.ensure_person(conn, identity, now=now)
    before = access_store.ended_role(conn, person_id=person_id, team_id=invite.team_id)
    people.add_membership(
        conn,
        person_id=person_id,
        team_id=invite.team_id,
        role=invite.role,
        now=now,
        joined_on=moment.today,
    )
    access_store.record_grant(
        conn, person_id=person_id, team_id=invite.team_id, invite_id=invite.id, at=now
    )
    kept = _keep_default(conn, actor, person_id, invite.team_id)
    audit.record(
        conn,
        at=now,
        actor=person_id,
        action="join",
        entity="membership",
        entity_id=invite.team_id,
        invite_id=invite.id,
        role=invite.role.value,
        # Joining again in another role: /access lists the change.
        **({"previous_role": before.value} if before is not None else {}),
    )
    still = StillLogsTo(kept.name, team.slug) if kept is not None else None
    return Joined(team.name, invite.role, still)


def _keep_default(
    conn: Connection, actor: Actor, person_id: int, new_team_id: int
) -> TeamRole | None:
    """Pin the person's default team across a new membership; returns it, or None when the
    new team is their first (it becomes the default).

    Without a stored default (people who joined before defaults were stored, or whose default
    team went) the default is the first of their teams by name, so a new team whose name sorts
    first would silently take it over: the default in force is stored instead.
    """
    before = actor.default_team
    if before is None:
        people.set_default_team(conn, person_id, new_team_id)
        return None
    if actor.default_team_id != before.team_id:
        people.set_default_team(conn, person_id, before.team_id)
    return before


def bind_chat(
    conn: Connection,
    actor: Actor,
    slug: str,
    *,
    chat_id: int,
    chat_title: str | None,
    moment: Moment,
    thread_id: int | None = None,
) -> ChatBound:
    """``/bind <team>`` in a group: make it (or its forum topic ``thread_id``) the team's chat,
    where its digest is posted.

    A group serves one team and a team posts to one group: binding a group that is another
    team's chat ends that binding, and needs the right to manage both teams (admins may); the
    team's previous group, if any, no longer gets the digest.

    Raises:
        BindUsage: no team given.
        NoTeamCalled: no team the person may see has that short name (another team's is
            refused alike).
        NotPermitted: the person is in the team but does not manage it.
        ChatTaken: the group is another team's chat and the person does not manage that team.
    """
    if not slug:
        raise BindUsage()
    team = team_to_act_on(
        conn, actor, slug, Action.BIND_CHAT, place=Place.GROUP, unknown=NoTeamCalled
    )
    current = chats.team_for_chat(conn, chat_id)
    taken = current if current is not None and current.id != team.id else None
    if taken is not None and not permits(
        actor, Action.BIND_CHAT, team_id=taken.id, place=Place.GROUP
    ):
        raise ChatTaken(taken.name, team.name)
    before = chats.team_chat(conn, team.id)
    left = before if before is not None and before.chat_id != chat_id else None
    now = moment.now
    person_id = people.ensure_person(conn, actor.identity, now=now)
    chats.bind_chat(
        conn,
        team_id=team.id,
        chat_id=chat_id,
        title=chat_title,
        by=person_id,
        now=now,
        thread_id=thread_id,
    )
    audit.record(
        conn,
        at=now,
        actor=person_id,
        action="bind",
        entity="team_chat",
        entity_id=team.id,
        chat_id=chat_id,
        thread_id=thread_id,
        previous_team=taken.id if taken is not None else None,
        previous_chat=left.chat_id if left is not None else None,
    )
    managers: tuple[int, ...] = ()
    if taken is not None:
        managers = tuple(
            sorted(
                m.telegram_user_id
                for m in people.team_members(conn, taken.id, current=True)
                if m.role == Role.MANAGER and m.telegram_user_id != actor.identity.user_id
            )
        )
    return ChatBound(
        team.name,
        topic=thread_id is not None,
        took_from=taken.name if taken is not None else None,
        took_from_slug=taken.slug if taken is not None else None,
        took_from_managers=managers,
        left_chat=left is not None,
        left_chat_title=left.title if left is not None else None,
    )


def use_team(conn: Connection, actor: Actor, slug: str) -> DefaultTeam | DefaultTeamSet:
    """``/use [team]``: show, or choose, the team entries go to by default.

    Returns:
        :class:`DefaultTeam` when no team is named, else :class:`DefaultTeamSet`.

    Raises:
        NoTeamYet: the person is in no team.
        NotInTeam: the person is not in the team named.
    """
    if not actor.teams:
        raise NoTeamYet()
    slugs = tuple(tr.slug for tr in actor.teams)
    if not slug:
        current = actor.default_team
        return DefaultTeam(current.name if current else None, slugs)
    chosen = actor.team_by_slug(slugify(slug))
    if chosen is None or actor.person_id is None:
        raise NotInTeam(slug, slugs)
    people.set_default_team(conn, actor.person_id, chosen.team_id)
    return DefaultTeamSet(chosen.name)


def add_kind(conn: Connection, actor: Actor, args: list[str], *, moment: Moment) -> Kind:
    """``/newkind <key> [aliases...]``: an admin adds a kind of activity, e.g. ``training``.

    Returns:
        The new kind, for the caller to add to the live registry (``moment.kinds``).

    Raises:
        NotPermitted: the person is not an admin.
        KindUsage: no name given.
        BadKindName: the name is not 2-32 letters, digits or ``_`` starting with a letter.
        KindNameTaken: the name or an alias already names a kind.
        BadKindAliases: an alias is too long or a number.
    """
    require_admin(actor, Action.ADD_KIND)
    if not args:
        raise KindUsage()
    key = args[0].lower()
    aliases = tuple(dict.fromkeys(a.lower() for a in args[1:]))
    if not _KIND_KEY.match(key):
        raise BadKindName()
    taken = tuple(w for w in (key, *aliases) if moment.kinds.lookup(w) is not None)
    if taken:
        raise KindNameTaken(taken)
    if any(len(a) > MAX_KIND_WORD or a.isdigit() for a in aliases):
        raise BadKindAliases()
    kind = Kind(key, key.replace("_", " "), aliases)
    now = moment.now
    person_id = people.ensure_person(conn, actor.identity, now=now)
    people.add_kind(conn, kind, now=now)
    audit.record(
        conn,
        at=now,
        actor=person_id,
        action="create",
        entity="activity_kind",
        entity_id=None,
        key=key,
        aliases=list(aliases),
    )
    return kind
