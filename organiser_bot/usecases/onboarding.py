"""Use cases for setting up teams and bringing people in: teams, invites, joining, binding chats."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import Kind, KindRegistry
from organiser_bot.domain.roles import Role
from organiser_bot.domain.teams import slugify
from storage import audit, people

INVITE_DAYS = 7
MAX_INVITE_USES = 200
MAX_INVITE_DAYS = 90


def new_invite_code() -> str:
    """A fresh invite code: unguessable, and safe inside a ``?start=`` deep link."""
    return secrets.token_urlsafe(9)


def invite_link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot with ``/start <code>``."""
    return f"https://t.me/{bot_username}?start={code}"


def create_team(conn: Connection, actor: Actor, name: str, *, now: datetime) -> str:
    """Create a team; a manager who creates one becomes its manager (admins manage all)."""
    if not actor.is_manager:
        return "Only managers and admins can create teams."
    name = " ".join(name.split())
    slug = slugify(name)
    if not slug or len(name) > 64:
        return "Give the team a name of up to 64 characters, e.g. /newteam North Ward"
    if people.find_team(conn, slug):
        return f"A team called {slug} already exists."
    person_id = people.ensure_person(conn, actor.identity, now=now)
    team_id = people.create_team(conn, name=name, slug=slug, now=now)
    if not actor.is_admin:
        # Admins manage every team already; a manager who creates a team becomes its manager.
        people.add_membership(
            conn, person_id=person_id, team_id=team_id, role=Role.MANAGER, now=now
        )
    audit.record(
        conn, at=now, actor=person_id, action="create", entity="team", entity_id=team_id, name=name
    )
    return (
        f"✓ Team {name} created (short name: {slug}).\n"
        f"Next: /invite {slug} organiser — and in the team's group chat, /bind {slug}"
    )


@dataclass(frozen=True, slots=True)
class InviteResult:
    """What ``create_invite`` answered; ``link`` is set when an invite was made."""

    text: str
    link: str | None = None


def create_invite(
    conn: Connection,
    actor: Actor,
    args: list[str],
    *,
    now: datetime,
    bot_username: str,
) -> InviteResult:
    """``/invite <team> <role> [uses] [days]``: make an invite code for a team and role."""
    usage = "Usage: /invite <team> <role> [uses] [days], e.g. /invite north-ward organiser 5"
    if len(args) < 2:
        return InviteResult(usage)
    team = people.find_team(conn, slugify(args[0]))
    if team is None:
        return InviteResult(f"No team called {args[0]}. {usage}")
    if not actor.manages(team.id):
        return InviteResult(f"Only {team.name}'s managers and admins can invite people to it.")
    role = Role.parse(args[1])
    if role is None:
        roles = ", ".join(r.value for r in Role)
        return InviteResult(f"Unknown role {args[1]!r}. Roles: {roles}.")
    try:
        uses = int(args[2]) if len(args) > 2 else 1
        days = int(args[3]) if len(args) > 3 else INVITE_DAYS
    except ValueError:
        return InviteResult(usage)
    if not (1 <= uses <= MAX_INVITE_USES and 1 <= days <= MAX_INVITE_DAYS):
        return InviteResult(f"Uses must be 1–{MAX_INVITE_USES} and days 1–{MAX_INVITE_DAYS}.")
    person_id = people.ensure_person(conn, actor.identity, now=now)
    code = new_invite_code()
    expires = now + timedelta(days=days)
    invite_id = people.create_invite(
        conn,
        code=code,
        team_id=team.id,
        role=role,
        created_by=person_id,
        now=now,
        expires_at=expires,
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
    link = invite_link(bot_username, code)
    plural = "person" if uses == 1 else "people"
    return InviteResult(
        f"Invite to {team.name} as {role.value}, for {uses} {plural}, valid {days} days:\n"
        f"{link}\nCode: {code} (revoke with /revoke {code})",
        link,
    )


def revoke_invite(conn: Connection, actor: Actor, code: str, *, now: datetime) -> str:
    """``/revoke <code>``: stop an invite from being used."""
    invite = people.find_invite(conn, code.strip())
    if invite is None:
        return "No such invite code."
    if not actor.manages(invite.team_id):
        return "Only the team's managers and admins can revoke its invites."
    if invite.revoked:
        return "That invite was already revoked."
    people.revoke_invite(conn, invite.id, now=now)
    audit.record(
        conn, at=now, actor=actor.person_id, action="revoke", entity="invite", entity_id=invite.id
    )
    return f"✓ Invite {code} to {invite.team_name} revoked."


@dataclass(frozen=True, slots=True)
class JoinResult:
    """What happened to a ``/start <code>``."""

    joined: bool
    text: str
    role: Role | None = None


def join(conn: Connection, identity: Identity, code: str, *, now: datetime) -> JoinResult:
    """``/start <code>``: join a team through an invite; bad codes change nothing."""
    ask = "Ask your team's manager for a new invite link."
    invite = people.find_invite(conn, code.strip(), for_update=True)
    if invite is None:
        return JoinResult(False, f"That invite code isn't valid. {ask}")
    if invite.revoked:
        return JoinResult(False, f"That invite was withdrawn. {ask}")
    if invite.expires_at <= now:
        return JoinResult(False, f"That invite has expired. {ask}")
    if invite.uses_left <= 0:
        return JoinResult(False, f"That invite has already been used. {ask}")
    existing = people.membership_role(conn, identity.user_id, invite.team_id)
    if existing is not None:
        return JoinResult(
            False, f"You're already in {invite.team_name} as {existing.value}.", existing
        )
    if not people.use_invite(conn, invite.id):
        return JoinResult(False, f"That invite has already been used. {ask}")
    person_id = people.ensure_person(conn, identity, now=now)
    people.add_membership(
        conn, person_id=person_id, team_id=invite.team_id, role=invite.role, now=now
    )
    audit.record(
        conn,
        at=now,
        actor=person_id,
        action="join",
        entity="membership",
        entity_id=invite.team_id,
        invite_id=invite.id,
        role=invite.role.value,
    )
    return JoinResult(
        True,
        f"Welcome to {invite.team_name}! You're in as {invite.role.value}.",
        invite.role,
    )


def bind_chat(
    conn: Connection,
    actor: Actor,
    slug: str,
    *,
    chat_id: int,
    chat_title: str | None,
    now: datetime,
) -> str:
    """``/bind <team>`` in a group: make it the team's chat, where its digest is posted."""
    if not slug:
        return "Usage: /bind <team>, in the team's group chat."
    team = people.find_team(conn, slugify(slug))
    if team is None:
        return f"No team called {slug}."
    if not actor.manages(team.id):
        return f"Only {team.name}'s managers and admins can bind a chat to it."
    person_id = people.ensure_person(conn, actor.identity, now=now)
    previous = people.bind_chat(
        conn, team_id=team.id, chat_id=chat_id, title=chat_title, by=person_id, now=now
    )
    audit.record(
        conn,
        at=now,
        actor=person_id,
        action="bind",
        entity="team_chat",
        entity_id=team.id,
        chat_id=chat_id,
        previous_team=previous,
    )
    return f"✓ This chat is now {team.name}'s chat. The weekly digest will be posted here."


def use_team(conn: Connection, actor: Actor, slug: str) -> str:
    """``/use <team>``: choose the team entries go to by default."""
    if not actor.teams:
        return "You're not in a team yet."
    names = ", ".join(tr.slug for tr in actor.teams)
    if not slug:
        current = actor.default_team
        return f"You log to {current.name if current else '-'}. Your teams: {names}. /use <team>"
    chosen = actor.team_by_slug(slugify(slug))
    if chosen is None or actor.person_id is None:
        return f"You're not in {slug}. Your teams: {names}."
    people.set_default_team(conn, actor.person_id, chosen.team_id)
    return f"✓ Entries now go to {chosen.name}. Add #team to a line to log it elsewhere."


_KIND_KEY = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def add_kind(
    conn: Connection, actor: Actor, args: list[str], *, kinds: KindRegistry, now: datetime
) -> tuple[str, Kind | None]:
    """``/newkind <key> [aliases...]``: an admin adds a kind of activity, e.g. ``training``.

    Returns the reply and the new kind (for the caller to add to the live registry).
    """
    usage = "Usage: /newkind <name> [aliases…], e.g. /newkind training train tr"
    if not actor.is_admin:
        return "Only admins can add kinds of activity.", None
    if not args:
        return usage, None
    key = args[0].lower()
    aliases = tuple(dict.fromkeys(a.lower() for a in args[1:]))
    if not _KIND_KEY.match(key):
        return "A kind's name is 2–32 letters, digits or _, starting with a letter. " + usage, None
    taken = [w for w in (key, *aliases) if kinds.lookup(w) is not None]
    if taken:
        return f"{', '.join(taken)} already names a kind.", None
    if any(len(a) > 32 or a.isdigit() for a in aliases):
        return "Aliases are words of up to 32 characters, not numbers. " + usage, None
    kind = Kind(key, key.replace("_", " "), aliases)
    person_id = people.ensure_person(conn, actor.identity, now=now)
    people.add_kind(conn, key=kind.key, label=kind.label, aliases=aliases, now=now)
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
    words = ", ".join((key, *aliases))
    return (
        f"✓ New kind: {kind.label} ({words}). Log it like: {key} 2 note. "
        f"Set targets with /target <role> {key} <n>.",
        kind,
    )
