"""The tables, each stored entity defined once. Schema changes go through Alembic
(``storage/migrations``), never ``create_all``.

Queries use these classes' tables (:func:`storage.query.table_of`) and hand back instances of
them, or domain values built from their columns by name. Rows are inserted with Core statements
and only ever read back as models, so an instance always has its ``id``: the ids are typed
``int``, not ``int | None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from organiser_bot.domain.roles import Role
from storage.types import RoleType, UTCDateTime


def _utc_column(*, nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


def _role_column() -> Column[Role]:
    return Column(RoleType(), nullable=False)


class Person(SQLModel, table=True):
    """Someone the bot knows: a member of at least one team, or someone who was."""

    __tablename__ = "person"

    id: int = Field(primary_key=True)
    telegram_user_id: int = Field(sa_type=BigInteger, unique=True, index=True)
    display_name: str = Field(max_length=128)
    username: str | None = Field(default=None, max_length=64, index=True)
    default_team_id: int | None = Field(default=None, foreign_key="team.id")
    nudges_paused: bool = Field(default=False)
    created_at: datetime = Field(sa_column=_utc_column())


class Team(SQLModel, table=True):
    """A team of organisers, councillors and caseworkers, with its own chat and digest."""

    __tablename__ = "team"

    id: int = Field(primary_key=True)
    name: str = Field(max_length=64)
    slug: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(sa_column=_utc_column())
    archived_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # When the team last lost its chat without a manager unbinding it (the bot was removed from
    # the group or blocked), and why: /ledger shows it until the team binds a chat again.
    chat_lost_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    chat_lost_reason: str | None = Field(default=None, max_length=32)


class Membership(SQLModel, table=True):
    """A person's role in one team. A person can belong to several teams."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("person_id", "team_id", name="uq_membership_person_team"),)

    id: int = Field(primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    role: Role = Field(sa_column=_role_column())
    created_at: datetime = Field(sa_column=_utc_column())
    # The membership period, local dates in TIMEZONE, inclusive: targets count only for the days
    # of a week inside it (pro-rated like an absence); left_on NULL means still a member.
    joined_on: date
    left_on: date | None = Field(default=None)
    # Spans inside [joined_on, left_on] when the person was not a member (they left and joined
    # again): "YYYY-MM-DD..YYYY-MM-DD" separated by ";", inclusive. Empty for one unbroken period.
    gaps: str = Field(default="", sa_type=Text)
    # How the current role was granted (``/access``): the invite used (whose ``created_by`` is
    # who granted it) and when. ``granted_at`` set without an invite: the person created the
    # team. Both NULL: not recorded (memberships made before they were kept, and not in the
    # audit trail).
    invite_id: int | None = Field(default=None, foreign_key="invite.id")
    granted_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class Invite(SQLModel, table=True):
    """A code that lets someone join a team in a role (deep link ``?start=<code>``)."""

    __tablename__ = "invite"

    id: int = Field(primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    team_id: int = Field(foreign_key="team.id")
    role: Role = Field(sa_column=_role_column())
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_column=_utc_column())
    expires_at: datetime = Field(sa_column=_utc_column())
    uses_left: int = Field(default=1)
    revoked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))

    @property
    def revoked(self) -> bool:
        """True once a manager revoked the invite."""
        return self.revoked_at is not None


class TeamChat(SQLModel, table=True):
    """The Telegram group chat bound to a team, where its digest is posted."""

    __tablename__ = "team_chat"

    id: int = Field(primary_key=True)
    team_id: int = Field(foreign_key="team.id", unique=True)
    chat_id: int = Field(sa_type=BigInteger, unique=True)
    # The forum topic digests go to (Telegram's message_thread_id); NULL posts to the chat
    # itself, which in a forum is its General topic.
    thread_id: int | None = Field(default=None, sa_type=BigInteger)
    title: str | None = Field(default=None, max_length=256)
    bound_by: int | None = Field(default=None, foreign_key="person.id")
    bound_at: datetime = Field(sa_column=_utc_column())


class ActivityKind(SQLModel, table=True):
    """A kind of activity added by an admin, beyond the built-in ones."""

    __tablename__ = "activity_kind"

    key: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=64)
    aliases: str = Field(default="", max_length=256)  # space-separated, lower case
    created_at: datetime = Field(sa_column=_utc_column())


class Activity(SQLModel, table=True):
    """One logged entry. Keyed by the chat, message and line it came from, so a redelivered or
    replayed update can never count twice."""

    __tablename__ = "activity"
    __table_args__ = (
        UniqueConstraint(
            "source_chat_id", "source_message_id", "source_line", name="uq_activity_source"
        ),
        Index("ix_activity_person_day", "person_id", "occurred_on"),
        Index("ix_activity_team_day", "team_id", "occurred_on"),
    )

    id: int = Field(primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    team_id: int = Field(foreign_key="team.id")
    kind: str = Field(max_length=32)
    count: int = Field(default=1)
    occurred_at: datetime = Field(sa_column=_utc_column())
    occurred_on: date  # local date in TIMEZONE; the day the entry counts for
    note: str | None = Field(default=None, sa_type=Text)
    # Whether the person gave a time of day (``121 Jo 2pm``); without one ``occurred_at`` is the
    # message's time, or noon of the day named, and reports show the date alone.
    time_given: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    source_chat_id: int = Field(sa_type=BigInteger)
    source_message_id: int = Field(sa_type=BigInteger)
    source_line: int = Field(default=0)
    recorded_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    deleted_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # When Telegram says the source message was last edited, of the edits applied: an edit
    # delivered late (older than, or the same as, this one) must not undo a newer one.
    edited_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))

    @property
    def deleted(self) -> bool:
        """True once the entry was withdrawn (undone, or dropped from its edited message)."""
        return self.deleted_at is not None


class DailyTotal(SQLModel, table=True):
    """Running totals per person, team, kind and local day, kept in step with ``activity`` in the
    same transaction. Week and period totals read these (at most 7 rows per person, kind and
    week) instead of scanning the growing activity history."""

    __tablename__ = "daily_total"
    __table_args__ = (Index("ix_daily_total_team_day", "team_id", "day"),)

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    kind: str = Field(max_length=32, primary_key=True)
    day: date = Field(primary_key=True)
    total: int = Field(default=0)


class WeeklyTotal(SQLModel, table=True):
    """Running totals per person, team, kind and ISO week (keyed by the week's Monday), kept in
    step with ``daily_total``. Week, trend and cross-team reads touch one row per person and
    kind per week, however long the history grows."""

    __tablename__ = "weekly_total"
    __table_args__ = (
        Index("ix_weekly_total_team_week", "team_id", "week"),
        # Covering index for cross-team reads of a span of weeks (every team, every member).
        Index("ix_weekly_total_week", "week", "team_id", "person_id", "kind", "total"),
        # Covering index for one kind over a span of weeks (/measures' resident contacts).
        Index("ix_weekly_total_kind_week", "kind", "week", "team_id", "person_id", "total"),
    )

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True)
    kind: str = Field(max_length=32, primary_key=True)
    week: date = Field(primary_key=True)  # the Monday, local date
    total: int = Field(default=0)


class TeamWeeklyTotal(SQLModel, table=True):
    """Running totals per team, kind and ISO week (keyed by the week's Monday), kept in step
    with ``weekly_total`` in the same transaction: the sum of its rows over the team's members.
    Rolling measures over every team (``/measures all``, 13 weeks against the 13 before) read
    one row per team, kind and week, not one per member."""

    __tablename__ = "team_weekly_total"
    __table_args__ = (
        # Covering index for a span of weeks of one kind and team: on SQLite the rolling
        # measures find the kinds by seeking the next one and seek each (kind, team) pair's
        # spans, a few rows each, whatever the length of the history, with no sort.
        Index("ix_team_weekly_total_kind_team", "kind", "team_id", "week", "total"),
    )

    team_id: int = Field(foreign_key="team.id", primary_key=True)
    kind: str = Field(max_length=32, primary_key=True)
    week: date = Field(primary_key=True)  # the Monday, local date
    total: int = Field(default=0)


class Target(SQLModel, table=True):
    """A weekly target overriding the role default.

    ``scope`` is one of ``role:<role>`` or ``person:<person id>``; ``team_id`` NULL means every
    team. ``scope_key`` makes the (team, scope, kind) triple unique on every backend, NULLs
    included.
    """

    __tablename__ = "target"

    id: int = Field(primary_key=True)
    scope_key: str = Field(max_length=128, unique=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    scope: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    weekly: int
    set_by: int | None = Field(default=None, foreign_key="person.id")
    set_at: datetime = Field(sa_column=_utc_column())


class Absence(SQLModel, table=True):
    """A span of days a person is away; their targets are pro-rated for those weeks."""

    __tablename__ = "absence"

    id: int = Field(primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    starts_on: date
    ends_on: date  # inclusive
    created_at: datetime = Field(sa_column=_utc_column())
    deleted_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class AuditEntry(SQLModel, table=True):
    """Who changed what, and when."""

    __tablename__ = "audit"
    # /access reads the memberships' joins and removals out of a growing trail.
    __table_args__ = (Index("ix_audit_entity_action_at", "entity", "action", "at"),)

    id: int = Field(primary_key=True)
    at: datetime = Field(sa_column=_utc_column())
    actor_person_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=32)
    entity: str = Field(max_length=32)
    entity_id: int | None = Field(default=None)
    detail: str = Field(default="", sa_type=Text)


class DigestLedger(SQLModel, table=True):
    """One row per team and ISO week: the proof that each team's digest went out exactly once."""

    __tablename__ = "digest_ledger"
    __table_args__ = (UniqueConstraint("team_id", "iso_week", name="uq_digest_team_week"),)

    id: int = Field(primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    iso_week: str = Field(max_length=10, index=True)
    template_version: str = Field(max_length=16)
    content_hash: str = Field(default="", max_length=64)
    status: str = Field(max_length=16)  # sending | sent | failed
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=Text)
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    # The message ids delivered so far, by part: see format_parts.
    message_ids: str = Field(default="", max_length=256)
    claimed_at: datetime = Field(sa_column=_utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    # When the admins were told this team's digest failed this week: they are told once.
    admins_told_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))

    @property
    def parts(self) -> dict[str, tuple[int, ...]]:
        """Part name (``charts``, ``text``) -> Telegram message ids already delivered."""
        return parse_parts(self.message_ids)

    @property
    def delivered_ids(self) -> tuple[int, ...]:
        """Every message id delivered, in part order."""
        return tuple(i for ids in self.parts.values() for i in ids)


def format_parts(parts: Mapping[str, Sequence[int]]) -> str:
    """``{"charts": [11, 12], "text": [13]}`` -> ``"charts:11,12;text:13"`` (``message_ids``)."""
    return ";".join(f"{name}:{','.join(str(i) for i in ids)}" for name, ids in parts.items())


def parse_parts(text: str) -> dict[str, tuple[int, ...]]:
    """The inverse of :func:`format_parts`; an empty string gives no parts."""
    parts: dict[str, tuple[int, ...]] = {}
    for chunk in filter(None, text.split(";")):
        name, _, ids = chunk.partition(":")
        parts[name] = tuple(int(i) for i in ids.split(",") if i)
    return parts


def parse_gaps(text: str) -> tuple[tuple[date, date], ...]:
    """``membership.gaps`` (``"2026-11-19..2026-11-25;..."``) as (first, last) day pairs."""
    spans = []
    for chunk in filter(None, text.split(";")):
        first, _, last = chunk.partition("..")
        spans.append((date.fromisoformat(first), date.fromisoformat(last)))
    return tuple(spans)


def format_gaps(gaps: tuple[tuple[date, date], ...]) -> str:
    """The inverse of :func:`parse_gaps`."""
    return ";".join(f"{first.isoformat()}..{last.isoformat()}" for first, last in gaps)


class NudgeLog(SQLModel, table=True):
    """A mid-week nudge sent to a person, once per ISO week at most."""

    __tablename__ = "nudge_log"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    iso_week: str = Field(max_length=10, primary_key=True)
    sent_at: datetime = Field(sa_column=_utc_column())


class ProcessedUpdate(SQLModel, table=True):
    """A state-changing update carried out: written in the same transaction as the change, so a
    redelivered update (Telegram resends after an unclean restart) changes nothing more and gets
    the same reply.

    ``key`` names the update's source, not its ``update_id``: ``m:<chat id>:<message id>`` for a
    message, ``e:<chat id>:<message id>:<edit date>:<text hash>`` for an edit,
    ``cb:<callback query id>`` for a button.
    """

    __tablename__ = "processed_update"

    key: str = Field(primary_key=True, max_length=96)
    reply: str | None = Field(default=None, sa_type=Text)
    processed_at: datetime = Field(sa_column=_utc_column())


class InboxUpdate(SQLModel, table=True):
    """An update fetched from Telegram, stored before the next ``getUpdates`` offset confirms it,
    so a crash cannot lose it: rows not ``done`` are processed again on start."""

    __tablename__ = "inbox_update"
    __table_args__ = (Index("ix_inbox_update_done_at", "done_at"),)

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    payload: str = Field(sa_type=Text)  # the update as Telegram sent it (JSON)
    received_at: datetime = Field(sa_column=_utc_column())
    done_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class Heartbeat(SQLModel, table=True):
    """One stretch of the bot running: from ``started_at`` to its latest beat (every minute).

    A start opens a stretch; a beat moves ``beat_at`` on, or opens a new stretch when the last
    beat is too long ago (the process stalled); a clean stop sets ``stopped_at``. So 30 days
    hold one row per start or stall, not one per minute. ``polled_at`` is the last time
    ``getUpdates`` answered, as of the latest beat.
    """

    __tablename__ = "heartbeat"
    __table_args__ = (Index("ix_heartbeat_beat_at", "beat_at"),)

    id: int = Field(primary_key=True)
    started_at: datetime = Field(sa_column=_utc_column())
    beat_at: datetime = Field(sa_column=_utc_column())
    stopped_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    polled_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class StatusChat(SQLModel, table=True):
    """The one chat (and forum topic) told when the bot starts, stops, or a digest run fails.

    At most one row, ``id`` 1; who set it is in the audit trail.
    """

    __tablename__ = "status_chat"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    chat_id: int = Field(sa_type=BigInteger)
    thread_id: int | None = Field(default=None)
    title: str | None = Field(default=None, max_length=128)
    set_at: datetime = Field(sa_column=_utc_column())


class Scrutiny(SQLModel, table=True):
    """One look by a manager or admin at a team's or a person's figures (``/totals``,
    ``/team``, ``/export``, ``/diary @user``, ``/measures``), written in the same transaction
    as the read. What was shown is not kept: who looked, at which team (and person), with
    which command, and when.

    A look at several teams is one row per team; ``subject_person_id`` is set when one
    person's figures were asked for (``/totals @user``, ``/diary @user``), else NULL.
    """

    __tablename__ = "scrutiny"
    __table_args__ = (
        Index("ix_scrutiny_at_team", "at", "team_id", "what", "viewer_person_id"),
        Index("ix_scrutiny_subject", "subject_person_id"),
    )

    id: int = Field(primary_key=True)
    at: datetime = Field(sa_column=_utc_column())
    viewer_person_id: int = Field(foreign_key="person.id", index=True)
    team_id: int = Field(foreign_key="team.id")
    subject_person_id: int | None = Field(default=None, foreign_key="person.id")
    what: str = Field(max_length=16)  # totals | team | export | diary | measures


class TeamResidents(SQLModel, table=True):
    """How many residents a team's area has, as a manager recorded it (``/residents``): every
    figure is kept, so each month is measured by the figure in force at its end."""

    __tablename__ = "team_residents"
    __table_args__ = (Index("ix_team_residents_team_set_on", "team_id", "set_on"),)

    id: int = Field(primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    residents: int
    set_on: date  # local date in TIMEZONE
    set_by: int | None = Field(default=None, foreign_key="person.id")
    set_at: datetime = Field(sa_column=_utc_column())


class MonthlyCheckin(SQLModel, table=True):
    """Whether a person was active in a calendar month: their answer to the monthly private
    check-in ("Were you active this month (November 2026)?"), or an organiser's mark.

    One row per person and month (``month`` is the month's first day, local). ``asked_at`` is
    when the check-in was sent (NULL: never asked, e.g. only marked); ``active`` is NULL until
    answered or marked, and the latest word stands. ``answered_at`` is set by the person's own
    answer and cleared by a mark, so a row with ``active`` set and no ``answered_at`` is a mark;
    ``marked_by`` is who marked it (NULL once that person is forgotten).
    A person active in a month counts as an active member of every team they were a member of
    in that month.
    """

    __tablename__ = "monthly_checkin"
    __table_args__ = (Index("ix_monthly_checkin_month", "month", "active", "person_id"),)

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    month: date = Field(primary_key=True)
    asked_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    active: bool | None = Field(default=None)
    answered_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    marked_by: int | None = Field(default=None, foreign_key="person.id")


class TeamMeasuresCache(SQLModel, table=True):
    """A team's figures in ``/measures`` summaries, kept for the windows they were read over
    until a write they were read from changes them (:mod:`storage.measures_cache`).

    One row per team, made with the team (a trigger on ``team``). Triggers made by migration
    0010 raise ``revision`` on every write that can change the figures: a running total
    (``weekly_total``, ``team_weekly_total``) of a week on or before ``covered_to``, and any
    write to the team's memberships, its residents figures, or its members' absences and
    monthly check-ins. ``figures`` (JSON) hold while ``figures_revision`` equals ``revision``
    and ``windows`` names the windows asked for.
    """

    __tablename__ = "team_measures_cache"

    team_id: int = Field(
        foreign_key="team.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    revision: int = Field(default=0)
    covered_to: date | None = Field(default=None)  # the last week's Monday the figures read
    windows: str | None = Field(default=None, max_length=64)
    figures_revision: int | None = Field(default=None)
    figures: str | None = Field(default=None, sa_type=Text)
