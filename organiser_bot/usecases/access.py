"""``/access``: who holds which role in which team, who granted it and when, and the role
changes and removals before; anyone in the organisation may see it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.names import distinct_names
from organiser_bot.domain.periods import local_date
from organiser_bot.domain.permissions import permits
from organiser_bot.domain.refusals import Action, NotAMember
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.actors import read_only
from storage import access as store
from storage.privacy import FORMER_MEMBER, forgotten_user_id


class How(StrEnum):
    """How a role was granted."""

    INVITE = "invite"
    CREATED_TEAM = "created the team"
    NOT_RECORDED = "not recorded"


@dataclass(frozen=True, slots=True)
class HeldRole:
    """One person's role in one team.

    Attributes:
        name: The person, told apart from everyone else listed (:func:`distinct_names`).
        by: Who created the invite (``How.INVITE``); None when that person was forgotten.
        on: The local day it was granted; for ``How.NOT_RECORDED`` the first day of the
            membership.
    """

    name: str
    role: Role
    how: How
    by: str | None
    on: date


@dataclass(frozen=True, slots=True)
class TeamAccess:
    """A live team and everyone holding a role in it, by name."""

    name: str
    slug: str
    holders: tuple[HeldRole, ...]


class ChangeKind(StrEnum):
    """What happened to a membership."""

    ROLE_CHANGED = "role changed"
    REMOVED = "removed"
    LEFT = "left"


@dataclass(frozen=True, slots=True)
class AccessChange:
    """A role change (joining again in another role), a removal, or a membership that ended
    without one (the person asked to be forgotten).

    Attributes:
        on: The local day.
        by: Who granted the new role or removed them; None when not known or forgotten.
        before, after: The roles (``ROLE_CHANGED``); ``before`` is the role ended otherwise,
            when known.
    """

    on: date
    kind: ChangeKind
    name: str
    team_name: str
    by: str | None
    before: Role | None = None
    after: Role | None = None


@dataclass(frozen=True, slots=True)
class AccessList:
    """The reply to ``/access``.

    Attributes:
        admins: The configured admins the bot holds, by name.
        unseen_admins: Configured admins who have never written to the bot.
        teams: Every live team, by name.
        changes: Newest first.
    """

    admins: tuple[str, ...]
    unseen_admins: int
    teams: tuple[TeamAccess, ...]
    changes: tuple[AccessChange, ...]


@read_only
def access_list(
    conn: Connection, actor: Actor, *, admin_ids: Iterable[int], moment: Moment
) -> AccessList:
    """``/access``: every role held in every live team, who granted it and when, and the
    changes before.

    Args:
        admin_ids: The Telegram user ids in ``ADMIN_TELEGRAM_IDS``.

    Raises:
        NotAMember: the person is in no team and not an admin.
    """
    if not permits(actor, Action.SEE_ACCESS, team_id=None):
        raise NotAMember()
    admin_ids = frozenset(admin_ids)
    teams = {t.id: t for t in store.live_teams(conn)}
    grants = store.current_grants(conn)
    events = [e for e in store.membership_events(conn) if e.team_id in teams]
    ended = store.ended_memberships(conn)
    ids = {g.person_id for g in grants} | {g.granted_by for g in grants if g.granted_by}
    ids |= {e.person_id for e in events} | {e.by for e in events if e.by is not None}
    ids |= {m.person_id for m in ended}
    held = store.people_named(conn, person_ids=ids, user_ids=admin_ids)
    label = _labels(held)
    for person_id in ids:  # a person the trail names but the bot no longer holds
        label.setdefault(person_id, FORMER_MEMBER)

    def name(person_id: int | None) -> str | None:
        return label.get(person_id) if person_id is not None else None

    def day(grant: store.Grant) -> date:
        at = grant.granted_at
        return local_date(at, moment.tz) if at is not None else grant.joined_on

    by_team: dict[int, list[HeldRole]] = {team_id: [] for team_id in teams}
    for g in grants:
        how = How.INVITE if g.invite_id is not None else How.CREATED_TEAM
        how = how if g.granted_at is not None else How.NOT_RECORDED
        by_team[g.team_id].append(
            HeldRole(label[g.person_id], g.role, how, name(g.granted_by), day(g))
        )
    listed = tuple(
        TeamAccess(t.name, t.slug, tuple(sorted(by_team[t.id], key=lambda h: h.name.casefold())))
        for t in teams.values()
    )
    admins = sorted(
        (label[p.person_id] for p in held if p.telegram_user_id in admin_ids), key=str.casefold
    )
    changes = _changes(
        events, ended, teams={i: t.name for i, t in teams.items()}, label=label, moment=moment
    )
    return AccessList(tuple(admins), len(admin_ids) - len(admins), listed, changes)


def _labels(held: list[store.NamedPerson]) -> dict[int, str]:
    """Person id -> the name shown: forgotten people are each "former member"; the others are
    told apart across the whole organisation."""
    forgotten = {p.person_id for p in held if p.telegram_user_id == forgotten_user_id(p.person_id)}
    label = distinct_names(
        [(p.person_id, p.display_name, p.username) for p in held if p.person_id not in forgotten]
    )
    label.update(dict.fromkeys(forgotten, FORMER_MEMBER))
    return label


def _changes(
    events: list[store.MembershipEvent],
    ended: list[store.EndedMembership],
    *,
    teams: dict[int, str],
    label: dict[int, str],
    moment: Moment,
) -> tuple[AccessChange, ...]:
    """Role changes and removals from the trail, and memberships ended with no removal after
    their last join, newest first."""
    last_role: dict[tuple[int, int], Role] = {}
    removed_last: dict[tuple[int, int], bool] = {}
    found: list[tuple[date, int, AccessChange]] = []
    for n, e in enumerate(events):
        key = (e.person_id, e.team_id)
        on = local_date(e.at, moment.tz)
        by = label.get(e.by) if e.by is not None else None
        if e.action == store.JOIN[0] and e.role is not None:
            before = e.previous_role or last_role.get(key)
            if before is not None and before != e.role:
                change = AccessChange(
                    on,
                    ChangeKind.ROLE_CHANGED,
                    label[e.person_id],
                    teams[e.team_id],
                    by,
                    before,
                    e.role,
                )
                found.append((on, n, change))
            last_role[key] = e.role
            removed_last[key] = False
        elif e.action == store.REMOVE[0]:
            change = AccessChange(
                on, ChangeKind.REMOVED, label[e.person_id], teams[e.team_id], by, last_role.get(key)
            )
            found.append((on, n, change))
            removed_last[key] = True
    for m in ended:
        if not removed_last.get((m.person_id, m.team_id), False):
            change = AccessChange(
                m.left_on, ChangeKind.LEFT, label[m.person_id], teams[m.team_id], None, m.role
            )
            found.append((m.left_on, len(events), change))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return tuple(change for _, _, change in found)
