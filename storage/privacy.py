"""Everything stored about one person: read it all (``/mydata``), erase or anonymise it all
(``/forgetme``), and tell which rows still identify them.

:data:`REFERENCES` names every place a person is referenced: each column with a foreign key to
``person.id`` and the columns that refer to a person without one (a target's ``scope``, the
audit trail's ``detail``, the private chat id an entry came from, the replies kept for
redelivery, the raw updates kept until carried out). ``tests/storage/test_person_references.py``
walks the tables and fails when a reference is missing from it, so a table added later cannot
be left out.

After :func:`forget_person` the person's row stays, as the anonymous "former member" that their
entries, running totals, ended memberships and absences point to, so every team figure they
counted in stays as it was: no name, no username, and a Telegram user id replaced by
:func:`forgotten_user_id`, which no Telegram user has. The same person writing again is someone
new to the bot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    delete,
    distinct,
    exists,
    func,
    or_,
    select,
    update,
)

from organiser_bot.domain.names import distinct_names
from organiser_bot.domain.periods import local_date, to_utc
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import person_scope
from storage import inbox, processed
from storage.models import (
    Absence,
    Activity,
    AuditEntry,
    DailyTotal,
    InboxUpdate,
    Invite,
    Membership,
    MonthlyCheckin,
    NudgeLog,
    Person,
    ProcessedUpdate,
    Scrutiny,
    Target,
    Team,
    TeamChat,
    TeamResidents,
    WeeklyTotal,
    parse_gaps,
)
from storage.query import table_of

_person = table_of(Person)
_team = table_of(Team)
_membership = table_of(Membership)
_invite = table_of(Invite)
_team_chat = table_of(TeamChat)
_activity = table_of(Activity)
_daily = table_of(DailyTotal)
_weekly = table_of(WeeklyTotal)
_target = table_of(Target)
_absence = table_of(Absence)
_audit = table_of(AuditEntry)
_nudge_log = table_of(NudgeLog)
_processed = table_of(ProcessedUpdate)
_inbox = table_of(InboxUpdate)
_scrutiny = table_of(Scrutiny)
_residents = table_of(TeamResidents)
_checkin = table_of(MonthlyCheckin)

#: The display name a forgotten person's row keeps.
FORMER_MEMBER = "former member"
#: Telegram user and chat ids have at most 52 significant bits (Bot API, ``User.id``), so ids
#: below this one are no one's: a forgotten person's row and private chat get one of them.
FORGOTTEN_ID_BASE = -(2**53)
#: The scope left in audit entries about a target that was set for a forgotten person.
FORGOTTEN_SCOPE = "person"
#: The commands whose look at a whole team's figures is a look at each member's
#: (``/team`` lists names and roles, not figures; ``/diary`` always names its person).
TEAM_FIGURES = ("totals", "export", "measures")
#: The order commands are listed in.
_COMMANDS = ("totals", "team", "export", "diary", "measures")


def forgotten_user_id(person_id: int) -> int:
    """The Telegram user id stored for person ``person_id`` once forgotten (unique, and no
    Telegram user's or chat's)."""
    return FORGOTTEN_ID_BASE - person_id


@dataclass(frozen=True, slots=True)
class HeldMembership:
    """A membership, current or ended, with its period (local dates, inclusive)."""

    team_name: str
    role: Role
    joined_on: date
    left_on: date | None
    gaps: tuple[tuple[date, date], ...]


@dataclass(frozen=True, slots=True)
class HeldAbsence:
    """An absence (local dates, inclusive); ``cancelled`` ones are still stored."""

    starts_on: date
    ends_on: date
    cancelled: bool


@dataclass(frozen=True, slots=True)
class HeldKind:
    """Live entries of one kind: how many rows, and the sum of their counts."""

    kind: str
    entries: int
    total: int


@dataclass(frozen=True, slots=True)
class HeldTarget:
    """A weekly target set for the person alone; ``team_name`` None means every team."""

    team_name: str | None
    kind: str
    weekly: int


@dataclass(frozen=True, slots=True)
class Looker:
    """Someone (a manager or admin) who looked at the person's figures.

    Attributes:
        name: Their name as stored now, told apart from the other lookers listed
            (:func:`~organiser_bot.domain.names.distinct_names`), or :data:`FORMER_MEMBER`.
        admin: They are an admin now (``ADMIN_TELEGRAM_IDS``).
        roles: Their current roles now, as (team name, role), by team name.
        looks: Looks per command (``totals``, ``team``, ``export``, ``diary``, ``measures``),
            commands with none left out.
        last_on: The local day of their latest look.
    """

    name: str
    admin: bool
    roles: tuple[tuple[str, Role], ...]
    looks: tuple[tuple[str, int], ...]
    last_on: date

    @property
    def total(self) -> int:
        """All their looks."""
        return sum(n for _, n in self.looks)


@dataclass(frozen=True, slots=True)
class HeldCheckin:
    """A monthly check-in: ``month`` is its first day; ``active`` None until answered or
    marked; ``marked`` when someone else marked them active (not their own answer)."""

    month: date
    asked: bool
    active: bool | None
    marked: bool


@dataclass(frozen=True, slots=True)
class PersonData:
    """Everything the bot holds about one person, as stored (never Telegram's live profile).

    Attributes:
        telegram_user_id: Their Telegram user id (also their private chat's id).
        display_name, username: The name and ``@username`` stored, as last seen.
        created_at: When the bot first stored them (aware UTC).
        default_team: The team entries go to without a ``#team``, if one was chosen.
        memberships: Every team they belong or belonged to, by team name.
        absences: Their absences, cancelled ones included, by first day.
        entries: Live entries by kind; ``withdrawn`` undone or edited-away entries still stored;
            ``notes`` entries (live or withdrawn) that carry a note.
        day_totals, week_totals: Running total rows kept from their entries (per team, kind and
            day or week).
        targets_for_them: Weekly targets set for them alone.
        targets_set, invites_created: Targets they set and invites they created.
        chats_bound: Names of the teams whose group chat they bound.
        audit_by: Audit entries of changes they made; ``audit_about`` entries naming them.
        nudges: ISO weeks (``2026-W48``) they were sent a mid-week nudge.
        replies_kept: Replies to their private messages kept for redelivery (up to 7 days).
        updates_kept: Updates they sent, stored as Telegram sent them and not yet carried out
            (``storage.inbox`` blanks an update's payload once it is).
        looked_at_you: Who else looked at their figures (the scrutiny ledger): looks with
            them as the subject, and looks at the figures of a whole team
            (:data:`TEAM_FIGURES`) on a day they were its member; most looks first.
        looks_taken: Looks they took at teams' or people's figures, as a manager or admin.
        residents_set: Residents figures they recorded for a team (``/residents``).
        checkins: Their monthly check-ins, by month.
        marked_active: Months they marked someone else active (``/active``).
    """

    telegram_user_id: int
    display_name: str
    username: str | None
    created_at: datetime
    default_team: str | None
    nudges_paused: bool
    memberships: tuple[HeldMembership, ...]
    absences: tuple[HeldAbsence, ...]
    entries: tuple[HeldKind, ...]
    withdrawn: int
    notes: int
    day_totals: int
    week_totals: int
    targets_for_them: tuple[HeldTarget, ...]
    targets_set: int
    invites_created: int
    chats_bound: tuple[str, ...]
    audit_by: int
    audit_about: int
    nudges: tuple[str, ...]
    replies_kept: int
    updates_kept: int
    looked_at_you: tuple[Looker, ...] = ()
    looks_taken: int = 0
    residents_set: int = 0
    checkins: tuple[HeldCheckin, ...] = ()
    marked_active: int = 0


#: Every column that refers to a person -> the :class:`PersonData` field that shows it.
#: Foreign keys to ``person.id`` first, then references without a foreign key.
REFERENCES: Mapping[tuple[str, str], str] = {
    ("person", "id"): "display_name",
    ("membership", "person_id"): "memberships",
    ("invite", "created_by"): "invites_created",
    ("team_chat", "bound_by"): "chats_bound",
    ("activity", "person_id"): "entries",
    ("daily_total", "person_id"): "day_totals",
    ("weekly_total", "person_id"): "week_totals",
    ("target", "set_by"): "targets_set",
    ("absence", "person_id"): "absences",
    ("audit", "actor_person_id"): "audit_by",
    ("nudge_log", "person_id"): "nudges",
    ("scrutiny", "viewer_person_id"): "looks_taken",
    ("scrutiny", "subject_person_id"): "looked_at_you",
    ("team_residents", "set_by"): "residents_set",
    ("monthly_checkin", "person_id"): "checkins",
    ("monthly_checkin", "marked_by"): "marked_active",
    # No foreign key: ``person:<id>``; ``{"person_id": <id>}`` or their user id in the JSON;
    # the private chat (id = their user id) an entry came from; keys ``m:<chat id>:...``;
    # the raw update's ``"id": <user id>``.
    ("target", "scope"): "targets_for_them",
    ("audit", "detail"): "audit_about",
    ("activity", "source_chat_id"): "entries",
    ("processed_update", "reply"): "replies_kept",
    ("inbox_update", "payload"): "updates_kept",
}


def _json_number(column: Any, value: int, keys: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """``column`` (JSON text, ``json.dumps`` spacing) holds the number ``value``: under one of
    ``keys``, or anywhere when none are given."""
    if keys:
        heads = [f'"{key}": {value}' for key in keys]
        return or_(*(column.like(f"%{h}{end}%") for h in heads for end in (",", "}")))
    return or_(
        *(column.like(f"%{start}{value}{end}%") for start in (": ", "[", ", ") for end in ",}]")
    )


def _audit_mentions(person_id: int, user_id: int) -> ColumnElement[bool]:
    detail = _audit.c.detail
    return or_(
        _json_number(detail, person_id, ("person_id",)),
        detail.like(f'%"{person_scope(person_id)}"%'),
        _json_number(detail, user_id),
    )


def _private_keys(user_id: int) -> ColumnElement[bool]:
    # The key forms storage.processed documents: a message's and an edit's name the chat.
    key = _processed.c.key
    return or_(key.like(f"m:{user_id}:%"), key.like(f"e:{user_id}:%"))


def _inbox_mentions(user_id: int) -> ColumnElement[bool]:
    # An object whose "id" is the user's: only rows not yet done hold a payload.
    payload = _inbox.c.payload
    return or_(payload.like(f'%"id": {user_id},%'), payload.like(f'%"id": {user_id}}}%'))


def _named(person_id: int, user_id: int) -> ColumnElement[bool]:
    """Person ``person_id``'s row still identifies them: it has their Telegram user id, a
    username, or a name other than :data:`FORMER_MEMBER`."""
    return and_(
        _person.c.id == person_id,
        or_(
            _person.c.telegram_user_id == user_id,
            _person.c.username.is_not(None),
            _person.c.display_name != FORMER_MEMBER,
        ),
    )


def _identifying(person_id: int, user_id: int) -> Mapping[tuple[str, str], ColumnElement[bool]]:
    """For each of :data:`REFERENCES`, which of its table's rows identify the person.

    Entries (without notes), running totals, memberships, absences, targets set for them
    alone, looks they took or that were taken at their figures, and their monthly check-ins
    that point to a forgotten person's anonymous row name no one: they identify the person only
    while that row does.
    """
    mine = person_id  # short, to keep one reference a line
    named = exists(select(_person.c.id).where(_named(mine, user_id)))

    def theirs(table: Table) -> ColumnElement[bool]:
        return and_(table.c.person_id == mine, named)

    return {
        ("person", "id"): _named(mine, user_id),
        ("membership", "person_id"): theirs(_membership),
        ("invite", "created_by"): _invite.c.created_by == mine,
        ("team_chat", "bound_by"): _team_chat.c.bound_by == mine,
        ("activity", "person_id"): or_(
            theirs(_activity), and_(_activity.c.person_id == mine, _activity.c.note.is_not(None))
        ),
        ("daily_total", "person_id"): theirs(_daily),
        ("weekly_total", "person_id"): theirs(_weekly),
        ("target", "set_by"): _target.c.set_by == mine,
        ("absence", "person_id"): theirs(_absence),
        ("audit", "actor_person_id"): _audit.c.actor_person_id == mine,
        ("nudge_log", "person_id"): _nudge_log.c.person_id == mine,
        ("scrutiny", "viewer_person_id"): and_(_scrutiny.c.viewer_person_id == mine, named),
        ("scrutiny", "subject_person_id"): and_(_scrutiny.c.subject_person_id == mine, named),
        ("team_residents", "set_by"): _residents.c.set_by == mine,
        ("monthly_checkin", "person_id"): theirs(_checkin),
        ("monthly_checkin", "marked_by"): _checkin.c.marked_by == mine,
        ("target", "scope"): and_(_target.c.scope == person_scope(mine), named),
        ("audit", "detail"): _audit_mentions(mine, user_id),
        ("activity", "source_chat_id"): _activity.c.source_chat_id == user_id,
        ("processed_update", "reply"): and_(
            _private_keys(user_id), _processed.c.reply.is_not(None)
        ),
        ("inbox_update", "payload"): _inbox_mentions(user_id),
    }


_TABLES = {
    t.name: t
    for t in (
        _person,
        _membership,
        _invite,
        _team_chat,
        _activity,
        _daily,
        _weekly,
        _target,
        _absence,
        _audit,
        _nudge_log,
        _processed,
        _inbox,
        _scrutiny,
        _residents,
        _checkin,
    )
}


def identifying_rows(conn: Connection, person_id: int, user_id: int) -> dict[tuple[str, str], int]:
    """How many rows of each of :data:`REFERENCES` still identify person ``person_id`` whose
    Telegram user id is (or was) ``user_id``: zero everywhere once they are forgotten."""
    found = {}
    for (table, column), where in _identifying(person_id, user_id).items():
        found[table, column] = _count(conn, _TABLES[table], where)
    return found


def _count(conn: Connection, table: Table, where: ColumnElement[bool]) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return to_utc(day, time(0), tz)


def _looks_at(conn: Connection, person_id: int, tz: ZoneInfo) -> ColumnElement[bool]:
    """The looks at person ``person_id``'s figures: with them as the subject, or at a whole
    team's figures (:data:`TEAM_FIGURES`) at an instant inside one of their memberships of
    that team (local days in ``tz``, gaps left out)."""
    s = _scrutiny.c
    spans = []
    for m in conn.execute(
        select(
            _membership.c.team_id,
            _membership.c.joined_on,
            _membership.c.left_on,
            _membership.c.gaps,
        ).where(_membership.c.person_id == person_id)
    ):
        inside = [s.team_id == m.team_id, s.at >= _day_start(m.joined_on, tz)]
        if m.left_on is not None:
            inside.append(s.at < _day_start(m.left_on + timedelta(days=1), tz))
        for first, last in parse_gaps(m.gaps):
            away = and_(
                s.at >= _day_start(first, tz), s.at < _day_start(last + timedelta(days=1), tz)
            )
            inside.append(~away)
        spans.append(and_(*inside))
    subject = s.subject_person_id == person_id
    if not spans:
        return subject
    team = and_(s.subject_person_id.is_(None), s.what.in_(TEAM_FIGURES), or_(*spans))
    return or_(subject, team)


def _lookers(
    conn: Connection, person_id: int, *, tz: ZoneInfo, admin_ids: frozenset[int]
) -> tuple[Looker, ...]:
    """Who else looked at person ``person_id``'s figures (:func:`_looks_at`), grouped by who
    looked and counted by command in SQL, each with their name and roles as they are now.

    A command answered is counted once however many teams it showed (the ledger has a row per
    team, all at the instant the command was read), so a look is one distinct ``at`` per
    viewer and command. Their own looks at their own team are left out."""
    s = _scrutiny.c
    counted: dict[int, dict[str, int]] = {}
    last: dict[int, datetime] = {}
    for viewer, what, looks, latest in conn.execute(
        select(s.viewer_person_id, s.what, func.count(distinct(s.at)), func.max(s.at))
        .where(_looks_at(conn, person_id, tz), s.viewer_person_id != person_id)
        .group_by(s.viewer_person_id, s.what)
    ):
        counted.setdefault(viewer, {})[what] = int(looks)
        last[viewer] = max(latest, last.get(viewer, latest))
    if not counted:
        return ()
    viewers = conn.execute(
        select(
            _person.c.id, _person.c.telegram_user_id, _person.c.display_name, _person.c.username
        ).where(_person.c.id.in_(counted))
    ).all()
    forgotten = {v.id for v in viewers if v.telegram_user_id == forgotten_user_id(v.id)}
    names = distinct_names(
        [(v.id, v.display_name, v.username) for v in viewers if v.id not in forgotten]
    )
    admins = {v.id for v in viewers if v.telegram_user_id in admin_ids}
    roles: dict[int, list[tuple[str, Role]]] = {}
    for r in conn.execute(
        select(_membership.c.person_id, _team.c.name, _membership.c.role)
        .join(_team, _team.c.id == _membership.c.team_id)
        .where(
            _membership.c.person_id.in_(counted),
            _membership.c.left_on.is_(None),
            _team.c.archived_at.is_(None),
        )
        .order_by(_team.c.name, _team.c.id)
    ):
        roles.setdefault(r.person_id, []).append((r.name, Role(r.role)))
    lookers = [
        Looker(
            names.get(viewer, FORMER_MEMBER),
            viewer in admins,
            tuple(roles.get(viewer, ())),
            tuple((c, by_command[c]) for c in _COMMANDS if c in by_command)
            + tuple(sorted((c, n) for c, n in by_command.items() if c not in _COMMANDS)),
            local_date(last[viewer], tz),
        )
        for viewer, by_command in counted.items()
    ]
    lookers.sort(key=lambda looker: (-looker.total, -looker.last_on.toordinal(), looker.name))
    return tuple(lookers)


def held(
    conn: Connection, person_id: int, *, tz: ZoneInfo, admin_ids: Iterable[int] = ()
) -> PersonData | None:
    """Everything stored about person ``person_id``, read in the caller's transaction; None
    when there is no such person.

    Args:
        tz: The zone (``TIMEZONE``) whose local days decide whether a look at a team's figures
            fell inside one of their memberships, and date the looks.
        admin_ids: The Telegram user ids in ``ADMIN_TELEGRAM_IDS``, to tell who looked as an
            admin.
    """
    person = conn.execute(select(_person).where(_person.c.id == person_id)).first()
    if person is None:
        return None
    user_id = int(person.telegram_user_id)
    where = _identifying(person_id, user_id)
    default_team = None
    if person.default_team_id is not None:
        default_team = conn.execute(
            select(_team.c.name).where(_team.c.id == person.default_team_id)
        ).scalar_one_or_none()
    memberships = tuple(
        HeldMembership(r.name, r.role, r.joined_on, r.left_on, parse_gaps(r.gaps))
        for r in conn.execute(
            select(
                _team.c.name,
                _membership.c.role,
                _membership.c.joined_on,
                _membership.c.left_on,
                _membership.c.gaps,
            )
            .join(_team, _team.c.id == _membership.c.team_id)
            .where(_membership.c.person_id == person_id)
            .order_by(_team.c.name, _team.c.id)
        )
    )
    absences = tuple(
        HeldAbsence(r.starts_on, r.ends_on, r.deleted_at is not None)
        for r in conn.execute(
            select(_absence.c.starts_on, _absence.c.ends_on, _absence.c.deleted_at)
            .where(_absence.c.person_id == person_id)
            .order_by(_absence.c.starts_on, _absence.c.id)
        )
    )
    mine = _activity.c.person_id == person_id
    entries = tuple(
        HeldKind(r.kind, int(r.entries), int(r.total))
        for r in conn.execute(
            select(
                _activity.c.kind,
                func.count().label("entries"),
                func.sum(_activity.c.count).label("total"),
            )
            .where(mine, _activity.c.deleted_at.is_(None))
            .group_by(_activity.c.kind)
            .order_by(_activity.c.kind)
        )
    )
    targets = tuple(
        HeldTarget(r.name, r.kind, int(r.weekly))
        for r in conn.execute(
            select(_team.c.name, _target.c.kind, _target.c.weekly)
            .select_from(_target)
            .outerjoin(_team, _team.c.id == _target.c.team_id)
            .where(where["target", "scope"])
            .order_by(_team.c.name, _target.c.kind)
        )
    )
    chats_bound = tuple(
        conn.execute(
            select(_team.c.name)
            .join(_team_chat, _team_chat.c.team_id == _team.c.id)
            .where(where["team_chat", "bound_by"])
            .order_by(_team.c.name)
        ).scalars()
    )
    nudges = tuple(
        conn.execute(
            select(_nudge_log.c.iso_week)
            .where(where["nudge_log", "person_id"])
            .order_by(_nudge_log.c.iso_week)
        ).scalars()
    )
    return PersonData(
        telegram_user_id=user_id,
        display_name=person.display_name,
        username=person.username,
        created_at=person.created_at,
        default_team=default_team,
        nudges_paused=bool(person.nudges_paused),
        memberships=memberships,
        absences=absences,
        entries=entries,
        withdrawn=_count(conn, _activity, and_(mine, _activity.c.deleted_at.is_not(None))),
        notes=_count(conn, _activity, and_(mine, _activity.c.note.is_not(None))),
        day_totals=_count(conn, _daily, _daily.c.person_id == person_id),
        week_totals=_count(conn, _weekly, _weekly.c.person_id == person_id),
        targets_for_them=targets,
        targets_set=_count(conn, _target, where["target", "set_by"]),
        invites_created=_count(conn, _invite, where["invite", "created_by"]),
        chats_bound=chats_bound,
        audit_by=_count(conn, _audit, where["audit", "actor_person_id"]),
        audit_about=_count(conn, _audit, where["audit", "detail"]),
        nudges=nudges,
        replies_kept=_count(conn, _processed, where["processed_update", "reply"]),
        updates_kept=_count(conn, _inbox, where["inbox_update", "payload"]),
        looked_at_you=_lookers(conn, person_id, tz=tz, admin_ids=frozenset(admin_ids)),
        looks_taken=_count(conn, _scrutiny, _scrutiny.c.viewer_person_id == person_id),
        residents_set=_count(conn, _residents, where["team_residents", "set_by"]),
        checkins=tuple(
            # A mark leaves answered_at empty (its marker may since have been forgotten).
            HeldCheckin(
                r.month,
                r.asked_at is not None,
                r.active,
                r.active is not None and r.answered_at is None,
            )
            for r in conn.execute(
                select(
                    _checkin.c.month, _checkin.c.asked_at, _checkin.c.active, _checkin.c.answered_at
                )
                .where(_checkin.c.person_id == person_id)
                .order_by(_checkin.c.month)
            )
        ),
        marked_active=_count(conn, _checkin, where["monthly_checkin", "marked_by"]),
    )


def _scrub(value: Any, person_id: int, user_id: int) -> Any:
    """``value`` (decoded audit detail) without the person: their ids become None, a target
    scope of theirs :data:`FORGOTTEN_SCOPE`."""
    if isinstance(value, dict):
        return {
            k: None if k == "person_id" and v == person_id else _scrub(v, person_id, user_id)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v, person_id, user_id) for v in value]
    if value == person_scope(person_id):
        return FORGOTTEN_SCOPE
    if isinstance(value, int) and not isinstance(value, bool) and value == user_id:
        return None
    return value


def _forget_audit(conn: Connection, person_id: int, user_id: int) -> None:
    conn.execute(
        update(_audit).where(_audit.c.actor_person_id == person_id).values(actor_person_id=None)
    )
    rows = conn.execute(
        select(_audit.c.id, _audit.c.detail).where(_audit_mentions(person_id, user_id))
    ).all()
    for row in rows:
        detail = _scrub(json.loads(row.detail), person_id, user_id)
        conn.execute(
            update(_audit)
            .where(_audit.c.id == row.id)
            .values(detail=json.dumps(detail, default=str, sort_keys=True))
        )


def _naming(terms: set[str]) -> Callable[[str], bool]:
    """Whether a text holds one of ``terms`` not inside a word (``Sam`` is not found in
    ``Samira``)."""
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    return lambda text: pattern.search(text) is not None


def forget_mentions(conn: Connection, terms: Iterable[str]) -> int:
    """Blank the replies kept for redelivery that hold one of ``terms`` (a name, an
    ``@username``, a note) as a whole word: replies to others can name a person (``Zofia's
    target is now 5``) and taps' replies can quote a note. A redelivery of a blanked reply's
    update is answered that the work was already done.

    Run by :func:`forget_person`, and when a person's stored name or ``@username`` changes
    (``storage.people.refresh_identity``), with the ones they held before, so a reply naming
    them by an old name does not outlast ``/forgetme``.

    Returns:
        How many replies were blanked.
    """
    wanted = {t for t in terms if t}
    if not wanted:
        return 0
    names = _naming(wanted)
    # A LIKE narrows the replies read to those holding a term anywhere (on SQLite, in any
    # case); the whole-word match then decides.
    anywhere = or_(*(_processed.c.reply.contains(t, autoescape=True) for t in sorted(wanted)))
    replies = conn.execute(
        select(_processed.c.key, _processed.c.reply).where(
            _processed.c.reply.is_not(None), anywhere
        )
    ).all()
    keys = [r.key for r in replies if names(r.reply)]
    if keys:
        conn.execute(update(_processed).where(_processed.c.key.in_(keys)).values(reply=None))
    return len(keys)


def forget_person(conn: Connection, person_id: int, *, now: datetime, today: date) -> int:
    """Erase or anonymise everything stored about person ``person_id`` (every one of
    :data:`REFERENCES`), in the caller's transaction, leaving every team figure they counted in
    as it was.

    Their notes are erased and their entries' private chat id replaced; their entries (live ones
    still counted), running totals, memberships and absences stay, pointing to their row, which
    keeps only :data:`FORMER_MEMBER` and :func:`forgotten_user_id`. Memberships still current
    end on ``today`` (joined and gap days kept; one not yet begun is deleted). Absences stay as
    spans of days, clipped to end by ``today``; cancelled ones and ones after ``today`` are
    deleted. Nudges are deleted. Targets set for them alone stay on the anonymous row, so the
    weeks they counted in are measured as before; so do their monthly check-ins (each month's
    active members stay counted) and the looks they took or that were taken at their figures
    (every team's count in ``/scrutiny`` stays as it was). Targets, invites and chat bindings
    they made, residents figures they recorded, months they marked others active, and audit
    entries by or about them, stay without their identity; the replies kept for
    redelivery that are theirs, or that name them or quote their notes, are blanked
    (:func:`forget_mentions`). The keys of their updates carried out move to
    :func:`forgotten_user_id` as the chat id (``storage.processed.forget_chat``): no key holds
    their Telegram id, and a redelivery of an old update of theirs is handled as one from
    someone new. Finished updates keep no payload (``storage.inbox.finish``); updates not yet
    carried out, this one among them, are blanked once they are.

    Args:
        now: When (aware UTC).
        today: The local date (``TIMEZONE``) taken as their last day in every team.

    Returns:
        How many live entries stay in the totals as the former member's; 0 also when there
        is no such person.
    """
    person = conn.execute(
        select(_person.c.telegram_user_id, _person.c.display_name, _person.c.username).where(
            _person.c.id == person_id
        )
    ).first()
    if person is None:
        return 0
    user_id = int(person.telegram_user_id)
    mine = _activity.c.person_id == person_id
    notes = conn.execute(select(_activity.c.note).where(mine, _activity.c.note.is_not(None)))
    terms = {person.display_name, *notes.scalars()}
    if person.username:
        terms.add(f"@{person.username}")
    kept = _count(conn, _activity, and_(mine, _activity.c.deleted_at.is_(None)))
    conn.execute(update(_activity).where(mine).values(note=None))
    conn.execute(
        update(_activity)
        .where(mine, _activity.c.source_chat_id == user_id)
        .values(source_chat_id=forgotten_user_id(person_id))
    )
    _end_memberships(conn, person_id, today)
    _clip_absences(conn, person_id, today)
    conn.execute(delete(_nudge_log).where(_nudge_log.c.person_id == person_id))
    conn.execute(update(_target).where(_target.c.set_by == person_id).values(set_by=None))
    conn.execute(update(_invite).where(_invite.c.created_by == person_id).values(created_by=None))
    conn.execute(update(_team_chat).where(_team_chat.c.bound_by == person_id).values(bound_by=None))
    conn.execute(update(_residents).where(_residents.c.set_by == person_id).values(set_by=None))
    conn.execute(update(_checkin).where(_checkin.c.marked_by == person_id).values(marked_by=None))
    _forget_audit(conn, person_id, user_id)
    processed.forget_chat(conn, user_id, as_chat=forgotten_user_id(person_id))
    inbox.blank_done(conn)
    forget_mentions(conn, terms)
    conn.execute(
        update(_person)
        .where(_person.c.id == person_id)
        .values(
            telegram_user_id=forgotten_user_id(person_id),
            display_name=FORMER_MEMBER,
            username=None,
            default_team_id=None,
            nudges_paused=False,
        )
    )
    return kept


def _end_memberships(conn: Connection, person_id: int, today: date) -> None:
    """End on ``today`` every current membership of the person (as ``/remove`` does)."""
    theirs = _membership.c.person_id == person_id
    conn.execute(delete(_membership).where(theirs, _membership.c.joined_on > today))
    conn.execute(
        update(_membership).where(theirs, _membership.c.left_on.is_(None)).values(left_on=today)
    )


def _clip_absences(conn: Connection, person_id: int, today: date) -> None:
    """Keep the person's absences only as far as they still change a figure: up to ``today``,
    and not cancelled."""
    theirs = _absence.c.person_id == person_id
    conn.execute(
        delete(_absence).where(
            theirs, or_(_absence.c.deleted_at.is_not(None), _absence.c.starts_on > today)
        )
    )
    conn.execute(update(_absence).where(theirs, _absence.c.ends_on > today).values(ends_on=today))
