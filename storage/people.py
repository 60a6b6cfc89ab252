"""People, teams, memberships, invites, team chats and the kinds admins add."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, and_, bindparam, exists, func, insert, or_, select, update
from sqlmodel import col
from sqlmodel import select as select_model

from organiser_bot.domain.access import Actor, Identity, TeamRole
from organiser_bot.domain.kinds import Kind
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import Tenure
from organiser_bot.domain.teams import match_slug
from storage import privacy
from storage.models import (
    ActivityKind,
    Invite,
    Membership,
    Person,
    Team,
    TeamChat,
    format_gaps,
    parse_gaps,
)
from storage.query import fetch_all, fetch_rows, table_of
from storage.upsert import insert_ignore

_person = table_of(Person)
_team = table_of(Team)
_membership = table_of(Membership)
_invite = table_of(Invite)
_team_chat = table_of(TeamChat)
_activity_kind = table_of(ActivityKind)

# Every update loads its actor, so the statement is built once: ~38 µs per execution on SQLite,
# against ~280 µs built per call and ~53 µs as text() (bench/bench_statements.py). The outer
# joins keep a person who is in no live team: their row comes back with the team columns NULL.
# A membership that has ended (``left_on`` set) is not one of the actor's teams.
_other = _person.alias("other_person")
# Whether another row holds the person's username too (stored before usernames were taken from
# their previous holders): an indexed lookup, so the update that loads the person settles it.
_USERNAME_SHARED = (
    exists()
    .where(_other.c.username == _person.c.username, _other.c.id != _person.c.id)
    .label("username_shared")
)
_LOAD_ACTOR = (
    select(
        _person.c.id.label("person_id"),
        _person.c.display_name.label("stored_name"),
        _person.c.username.label("stored_username"),
        _USERNAME_SHARED,
        _person.c.default_team_id,
        _person.c.nudges_paused,
        _membership.c.team_id,
        _team.c.slug,
        _team.c.name,
        _membership.c.role,
    )
    .outerjoin(
        _membership,
        (_membership.c.person_id == _person.c.id) & _membership.c.left_on.is_(None),
    )
    .outerjoin(_team, (_team.c.id == _membership.c.team_id) & _team.c.archived_at.is_(None))
    .where(_person.c.telegram_user_id == bindparam("user_id"))
    .order_by(_team.c.name, _team.c.id)
)


def load_actor(
    conn: Connection, identity: Identity, *, admin_ids: frozenset[int], refresh: bool = False
) -> Actor:
    """Load the person behind ``identity`` with their memberships, in one query.

    With ``refresh`` (every update a person sends), a stored person whose display name or
    @username differs from ``identity`` is brought up to date in the same transaction
    (:func:`refresh_identity`); when nothing changed, the load stays one statement. Someone
    not stored (a stranger) who sends an @username takes it from any stored person holding it
    (:func:`_take_username`: one more lookup, only for them).
    """
    rows = conn.execute(_LOAD_ACTOR, {"user_id": identity.user_id}).all()
    is_admin = identity.user_id in admin_ids
    if not rows:
        if refresh and identity.username:
            _take_username(conn, identity.username)
        return Actor(identity=identity, person_id=None, is_admin=is_admin)
    first = rows[0]
    stored = (first.stored_name, first.stored_username)
    if refresh and (stored != _stored_identity(identity) or first.username_shared):
        taken = (first.stored_username or "").lower() != (identity.username or "").lower()
        refresh_identity(conn, first.person_id, identity, taken=taken or first.username_shared)
    return Actor(
        identity=identity,
        person_id=first.person_id,
        is_admin=is_admin,
        teams=tuple(
            TeamRole(team_id=r.team_id, slug=r.slug, name=r.name, role=r.role)
            for r in rows
            if r.slug is not None
        ),
        default_team_id=first.default_team_id,
        nudges_paused=bool(first.nudges_paused),
    )


_USERNAME_HOLDERS = func.lower(_person.c.username) == bindparam("taken_username")
_USERNAME_HELD = select(_person.c.username).where(_USERNAME_HOLDERS)


def _take_username(conn: Connection, username: str) -> None:
    """Clear ``username`` (any case) from the stored people holding it: someone the bot does
    not store sent it, so they gave it up. A read first; a write only when someone holds it,
    and then the name given up is blanked from the replies kept for redelivery, as
    :func:`refresh_identity` does."""
    key = {"taken_username": username.lower()}
    held = conn.execute(_USERNAME_HELD, key).scalars().all()
    if not held:
        return
    conn.execute(update(_person).where(_USERNAME_HOLDERS).values(username=None), key)
    privacy.forget_mentions(conn, {f"@{u}" for u in held})


def _stored_identity(identity: Identity) -> tuple[str, str | None]:
    # What the person row holds for ``identity``: the name cut to its column, the username as
    # Telegram spells it (compared case-insensitively only when taken from someone else).
    return identity.display_name[:128], identity.username or None


def refresh_identity(
    conn: Connection, person_id: int, identity: Identity, *, taken: bool = True
) -> None:
    """Store ``identity``'s display name and @username on the person row ``person_id``.

    Telegram lets a user give up a username and another take it, and the bot hears of it only
    when one of them writes: so a username new to this row is taken from whoever held it
    before (cleared on any other row holding it, case-insensitively). ``taken`` False says the
    row held the username already (only the name changed).

    A name or @username given up (this row's old ones, and the @username taken from another
    row) is blanked from the replies kept for redelivery (``storage.privacy.forget_mentions``),
    which ``/forgetme`` finds only by the names stored then. Runs only when something changed.
    """
    name, username = _stored_identity(identity)
    this_row = _person.c.id == person_id
    holders = and_(
        func.lower(_person.c.username) == (username or "").lower(), _person.c.id != person_id
    )
    take = username is not None and taken
    # This row's name and @username, and the rows the @username is taken from, in one read.
    given_up: set[str] = set()
    for row in conn.execute(
        select(_person.c.id, _person.c.display_name, _person.c.username).where(
            or_(this_row, holders) if take else this_row
        )
    ):
        if row.id != person_id:
            given_up.add(f"@{row.username}")
            continue
        if row.display_name != name:
            given_up.add(row.display_name)
        if row.username and row.username != username:
            given_up.add(f"@{row.username}")
    if take:
        conn.execute(update(_person).where(holders).values(username=None))
    conn.execute(
        update(_person)
        .where(_person.c.id == person_id)
        .values(display_name=name, username=username)
    )
    privacy.forget_mentions(conn, given_up)


def ensure_person(conn: Connection, identity: Identity, *, now: datetime) -> int:
    """Return the person id for ``identity``, creating or refreshing the row.

    Safe when a new person's first updates are handled side by side: the row is inserted with
    ``ON CONFLICT DO NOTHING`` on the Telegram user id, so a concurrent first insert (which
    PostgreSQL makes this one wait for) leaves this one to read the row instead of failing.
    """
    find = select(_person.c.id, _person.c.display_name, _person.c.username).where(
        _person.c.telegram_user_id == identity.user_id
    )
    row = conn.execute(find).first()
    if row is None:
        name, username = _stored_identity(identity)
        if username is not None:
            # The new person takes the username from whoever held it before.
            conn.execute(
                update(_person)
                .where(func.lower(_person.c.username) == username.lower())
                .values(username=None)
            )
        created = insert_ignore(
            conn,
            _person,
            {
                "telegram_user_id": identity.user_id,
                "display_name": name,
                "username": username,
                "nudges_paused": False,
                "created_at": now,
            },
            conflict=("telegram_user_id",),
        )
        if created is not None:
            return int(created)
        row = conn.execute(find).one()
    if (row.display_name, row.username) != _stored_identity(identity):
        taken = (row.username or "").lower() != (identity.username or "").lower()
        refresh_identity(conn, int(row.id), identity, taken=taken)
    return int(row.id)


def set_default_team(conn: Connection, person_id: int, team_id: int) -> None:
    """Make ``team_id`` where the person's entries go by default."""
    conn.execute(update(_person).where(_person.c.id == person_id).values(default_team_id=team_id))


def set_nudges_paused(conn: Connection, person_id: int, paused: bool) -> None:
    """Mute or unmute mid-week nudges for a person."""
    conn.execute(update(_person).where(_person.c.id == person_id).values(nudges_paused=paused))


def people_with_username(conn: Connection, username: str) -> list[Person]:
    """Everyone stored with a Telegram @username (case-insensitive, ``@`` optional): usually
    one person, more when someone gave the name up and has not written since."""
    return fetch_all(
        conn,
        select_model(Person)
        .where(func.lower(col(Person.username)) == username.lower().lstrip("@"))
        .order_by(col(Person.id)),
    )


# Team reads run in most commands: like the actor's, their statements are built once.
_LIVE_TEAMS = select_model(Team).where(col(Team.archived_at).is_(None))
_TEAM_BY_SLUG = _LIVE_TEAMS.where(col(Team.slug) == bindparam("slug"))
_TEAMS_BY_NAME = _LIVE_TEAMS.order_by(col(Team.name))


def find_team(conn: Connection, slug: str) -> Team | None:
    """The live team with ``slug``, or None. A short name typed without its accents finds the
    one team it can only mean (:func:`organiser_bot.domain.teams.match_slug`: ``lodz-polnoc``
    finds ``łódź-północ``)."""
    found = fetch_all(conn, _TEAM_BY_SLUG, {"slug": slug})
    if found:
        return found[0]
    teams = list_teams(conn)
    matched = match_slug(slug, (t.slug for t in teams))
    return next((t for t in teams if t.slug == matched), None)


_ANY_TEAM_BY_SLUG = select_model(Team).where(col(Team.slug) == bindparam("slug"))


def team_holding_slug(conn: Connection, slug: str) -> Team | None:
    """The team, live or archived, whose short name is exactly ``slug`` (short names are unique
    over every team), or None."""
    found = fetch_all(conn, _ANY_TEAM_BY_SLUG, {"slug": slug})
    return found[0] if found else None


def list_teams(conn: Connection) -> list[Team]:
    """Every live team, by name."""
    return fetch_all(conn, _TEAMS_BY_NAME)


def role_holder_ids(conn: Connection, role: Role) -> frozenset[int]:
    """Telegram user ids of everyone who holds ``role`` in a team (memberships that have ended
    aside)."""
    rows = conn.execute(
        select(_person.c.telegram_user_id)
        .join(_membership, _membership.c.person_id == _person.c.id)
        .where(_membership.c.role == role, _membership.c.left_on.is_(None))
    ).scalars()
    return frozenset(int(r) for r in rows)


def manager_user_ids(conn: Connection) -> frozenset[int]:
    """Telegram user ids of everyone who manages a team (memberships that have ended aside)."""
    return role_holder_ids(conn, Role.MANAGER)


def create_team(conn: Connection, *, name: str, slug: str, now: datetime) -> int:
    """Insert a team; the caller has checked the slug is free."""
    return int(
        conn.execute(
            insert(_team).values(name=name, slug=slug, created_at=now).returning(_team.c.id)
        ).scalar_one()
    )


def add_membership(
    conn: Connection,
    *,
    person_id: int,
    team_id: int,
    role: Role,
    now: datetime,
    joined_on: date | None = None,
) -> bool:
    """Add a person to a team in ``role`` from ``joined_on`` (a local date; ``now``'s date when
    not given); returns False if they are a member already.

    Someone who left and joins again is a member again from ``joined_on``, in the new role; the
    days between are recorded as a gap (``membership.gaps``), so the weeks of their earlier
    period keep their figures.
    """
    joined_on = joined_on or now.date()
    exists = conn.execute(
        select(
            _membership.c.id, _membership.c.joined_on, _membership.c.left_on, _membership.c.gaps
        ).where(_membership.c.person_id == person_id, _membership.c.team_id == team_id)
    ).first()
    if exists is not None:
        if exists.left_on is None:
            return False
        before = Tenure(exists.joined_on, exists.left_on, parse_gaps(exists.gaps))
        after = before.rejoined(max(joined_on, exists.joined_on))
        conn.execute(
            update(_membership)
            .where(_membership.c.id == exists.id)
            .values(role=role, left_on=None, gaps=format_gaps(after.gaps))
        )
        return True
    conn.execute(
        insert(_membership).values(
            person_id=person_id,
            team_id=team_id,
            role=role,
            created_at=now,
            joined_on=joined_on,
        )
    )
    return True


def membership_role(conn: Connection, telegram_user_id: int, team_id: int) -> Role | None:
    """The role of the Telegram user in a team, or None (also when their membership ended)."""
    role: Role | None = conn.execute(
        select(_membership.c.role)
        .join(_person, _person.c.id == _membership.c.person_id)
        .where(
            _person.c.telegram_user_id == telegram_user_id,
            _membership.c.team_id == team_id,
            _membership.c.left_on.is_(None),
        )
    ).scalar_one_or_none()
    return role


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
            insert(_invite)
            .values(
                code=code,
                team_id=team_id,
                role=role,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
                uses_left=uses,
            )
            .returning(_invite.c.id)
        ).scalar_one()
    )


def find_invite(
    conn: Connection, code: str, *, for_update: bool = False
) -> tuple[Invite, Team] | None:
    """The invite with ``code`` and its team, the invite locked for update where the backend
    supports it."""
    stmt = (
        select_model(Invite, Team)
        .join(Team, col(Team.id) == col(Invite.team_id))
        .where(col(Invite.code) == code)
    )
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Invite)
    found = fetch_rows(conn, stmt)
    return found[0] if found else None


def use_invite(conn: Connection, invite_id: int) -> bool:
    """Spend one use of an invite; False if none were left (a concurrent join took it)."""
    result = conn.execute(
        update(_invite)
        .where(_invite.c.id == invite_id, _invite.c.uses_left > 0)
        .values(uses_left=_invite.c.uses_left - 1)
    )
    return result.rowcount == 1


def revoke_invite(conn: Connection, invite_id: int, *, now: datetime) -> None:
    """Revoke an invite so it can no longer be used."""
    conn.execute(update(_invite).where(_invite.c.id == invite_id).values(revoked_at=now))


@dataclass(frozen=True, slots=True)
class TeamMember:
    """A member of a team: the person, with their role in that team and their membership period
    (a membership row joined to its person, so no one table holds it).

    Attributes:
        joined_on: First day of the membership (local date).
        left_on: Last day of the membership (local date, inclusive); None while still a member.
    """

    person_id: int
    telegram_user_id: int
    display_name: str
    username: str | None
    role: Role
    nudges_paused: bool
    joined_on: date
    left_on: date | None = None
    gaps: str = ""

    tenure: Tenure = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # The membership period, as the target rule takes it (built once: the digest's trend
        # asks for it for every week of every member).
        tenure = Tenure(self.joined_on, self.left_on, parse_gaps(self.gaps))
        object.__setattr__(self, "tenure", tenure)


_TEAM_MEMBERS = (
    select(
        _person.c.id.label("person_id"),
        _person.c.telegram_user_id,
        _person.c.display_name,
        _person.c.username,
        _membership.c.role,
        _person.c.nudges_paused,
        _membership.c.joined_on,
        _membership.c.left_on,
        _membership.c.gaps,
    )
    .join(_membership, _membership.c.person_id == _person.c.id)
    .where(_membership.c.team_id == bindparam("team_id"))
    .order_by(_person.c.display_name, _person.c.id)
)
_CURRENT_MEMBERS = _TEAM_MEMBERS.where(_membership.c.left_on.is_(None))


def team_members(conn: Connection, team_id: int, *, current: bool = False) -> list[TeamMember]:
    """Members of a team, by name: everyone who has been a member (past weeks count them for
    the days they were), or with ``current`` only those whose membership has not ended."""
    stmt = _CURRENT_MEMBERS if current else _TEAM_MEMBERS
    rows = conn.execute(stmt, {"team_id": team_id}).all()
    return [TeamMember(**row._mapping) for row in rows]


@dataclass(frozen=True, slots=True)
class CurrentMember:
    """A current member of a live team, with the team: one row per (person, team).

    Attributes:
        joined_on: First day of the membership (local date).
    """

    person_id: int
    display_name: str
    username: str | None
    role: Role
    joined_on: date
    team_id: int
    team_name: str
    team_slug: str


_CURRENT_MEMBERSHIPS = (
    select(
        _person.c.id.label("person_id"),
        _person.c.display_name,
        _person.c.username,
        _membership.c.role,
        _membership.c.joined_on,
        _team.c.id.label("team_id"),
        _team.c.name.label("team_name"),
        _team.c.slug.label("team_slug"),
    )
    .join(_membership, _membership.c.person_id == _person.c.id)
    .join(_team, _team.c.id == _membership.c.team_id)
    .where(_membership.c.left_on.is_(None), _team.c.archived_at.is_(None))
    .order_by(_team.c.name, _team.c.id, _person.c.display_name, _person.c.id)
)


def current_members(
    conn: Connection,
    *,
    team_ids: Sequence[int] | None,
    username: str | None = None,
    person_id: int | None = None,
) -> list[CurrentMember]:
    """Current members of the live teams ``team_ids`` (None: every live team), by team then
    name; with ``username`` (``@`` optional, any case) only those who hold it, with
    ``person_id`` only that person."""
    stmt = _CURRENT_MEMBERSHIPS
    if team_ids is not None:
        stmt = stmt.where(_membership.c.team_id.in_(list(team_ids)))
    if person_id is not None:
        stmt = stmt.where(_person.c.id == person_id)
    if username is not None:
        stmt = stmt.where(func.lower(_person.c.username) == username.lower().lstrip("@"))
    return [CurrentMember(**row._mapping) for row in conn.execute(stmt).all()]


def end_membership(conn: Connection, *, person_id: int, team_id: int, left_on: date) -> bool:
    """Record that a person's membership of a team ended on ``left_on`` (local date, the last
    day they were a member); False when they were not a current member."""
    result = conn.execute(
        update(_membership)
        .where(
            _membership.c.person_id == person_id,
            _membership.c.team_id == team_id,
            _membership.c.left_on.is_(None),
        )
        .values(left_on=left_on)
    )
    return result.rowcount == 1


def custom_kinds(conn: Connection) -> list[Kind]:
    """Kinds added by admins, oldest first."""
    rows = conn.execute(
        select(_activity_kind.c.key, _activity_kind.c.label, _activity_kind.c.aliases).order_by(
            _activity_kind.c.created_at
        )
    ).all()
    # ``aliases`` is stored space-separated.
    return [Kind(key=r.key, label=r.label, aliases=tuple(r.aliases.split())) for r in rows]


def add_kind(conn: Connection, kind: Kind, *, now: datetime) -> None:
    """Store a kind added by an admin."""
    conn.execute(
        insert(_activity_kind).values(
            key=kind.key, label=kind.label, aliases=" ".join(kind.aliases), created_at=now
        )
    )
