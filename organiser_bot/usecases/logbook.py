"""Use cases for logging: record quick logs, confirm them, undo and correct them.

Each returns a typed outcome or raises a :class:`~organiser_bot.domain.refusals.Refusal`; the
refusals particular to logging are defined here and worded by the adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor, TeamRole
from organiser_bot.domain.kinds import Kind
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import as_utc, iso_week_label, local_date, week_monday
from organiser_bot.domain.permissions import permits
from organiser_bot.domain.quicklog import (
    LineError,
    ParsedEntry,
    QuickLog,
    command_word,
    is_chatter,
    parse_quick_log,
)
from organiser_bot.domain.refusals import Action, NotAMember, Refusal
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import week_targets
from organiser_bot.domain.teams import slugify
from organiser_bot.usecases.guards import permits_member, require_member
from storage import activities, audit, corrections, measures_cache
from storage.activities import NewEntry
from storage.models import Activity

# Outcomes.


@dataclass(frozen=True, slots=True)
class TeamRef:
    """The team an entry counts in."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class WeekTally:
    """Where the person stands in an entry's ISO week, in the entry's team, after the change.

    Attributes:
        monday: The Monday of the entry's week.
        current: True when that week is this week.
        done: The week's total of the entry's kind.
        target: The week's target for that kind (pro-rated for absence), or None without one.
    """

    monday: date
    current: bool
    done: int
    target: int | None


@dataclass(frozen=True, slots=True)
class Confirmed:
    """One entry as a confirmation shows it.

    Attributes:
        kind: The kind of activity.
        count: How many.
        day: The local day it happened.
        team: The team it counts in, or None when the person is no longer in that team.
        week: The running week total and target, or None when ``team`` is None.
        note: The entry's note as stored (empty when none).
        at: The local time of day, to the minute, when the person gave one (a clock time or a
            part of the day); None otherwise.
    """

    kind: Kind
    count: int
    day: date
    team: TeamRef | None
    week: WeekTally | None
    note: str = ""
    at: time | None = None


@dataclass(frozen=True, slots=True)
class SentDigest:
    """A team's weekly digest that had already gone out when a correction touched its week.

    The digest is a record of the week as it was sent; the correction changes the totals from
    now on, not that message.

    Attributes:
        team_name: The team whose digest it was.
        monday: The Monday of the week it covered.
    """

    team_name: str
    monday: date


@dataclass(frozen=True, slots=True)
class Logged:
    """The entries of one message, recorded (or found recorded) and confirmed.

    Attributes:
        entries: The message's live entries, in line order.
        source: (chat id, message id) of the message: what its Undo button undoes.
        several_teams: True when the person is in more than one team (confirmations then name it).
        replayed: True when the message had been logged before and nothing was added.
        updated: True when an edit of the message corrected its entries.
        digests_sent: For an edit, the weeks it changed whose digest had already gone out.
        removed: For an edit, the entries it withdrew (its lines that went), each with its
            week's total after the withdrawal.
        stale: True when an edit came that is no newer than one already applied (a late or
            repeated delivery): nothing changed and ``entries`` are as of the latest edit.
    """

    entries: tuple[Confirmed, ...]
    source: tuple[int, int]
    several_teams: bool
    replayed: bool = False
    updated: bool = False
    digests_sent: tuple[SentDigest, ...] = ()
    removed: tuple[Confirmed, ...] = ()
    stale: bool = False


@dataclass(frozen=True, slots=True)
class ReplayOfUndone:
    """A message logged before comes again, but its entries have been undone since."""


@dataclass(frozen=True, slots=True)
class EditOfUndone:
    """A message whose entries were undone was edited: they stay undone, nothing changed."""


@dataclass(frozen=True, slots=True)
class Chatter:
    """The message is plainly not a log (``thanks!``, ``ok``, an emoji); nothing was stored.

    Attributes:
        command: The command a bare word meant (``help`` -> "help", ``undo`` -> "undo"), if any.
        unchanged: True when it was an edit of a logged message: its entries stay as they were.
    """

    command: str | None = None
    unchanged: bool = False


@dataclass(frozen=True, slots=True)
class Undone:
    """The entries of one message, withdrawn; each tally is the week after the withdrawal.

    Attributes:
        entries: The withdrawn entries.
        several_teams: True when the person is in more than one team.
        digests_sent: The weeks it changed whose digest had already gone out.
    """

    entries: tuple[Confirmed, ...]
    several_teams: bool
    digests_sent: tuple[SentDigest, ...] = ()


#: What a new message comes to.
LogOutcome = Logged | ReplayOfUndone | Chatter
#: What an edit comes to; None when it needs no reply.
EditOutcome = Logged | ReplayOfUndone | EditOfUndone | Chatter | None


# Refusals particular to logging. Each leaves the database as it was.


@dataclass
class UnreadableLine(Refusal):
    """A line of a quick log (or of an edit of one) could not be read; nothing was logged.

    Attributes:
        error: The first line that failed, and why.
        lines: How many non-blank lines the message has.
        editing: True for an edit of a logged message (its entries stay as they were).
    """

    error: LineError
    lines: int
    editing: bool = False


@dataclass
class UnknownTeamTag(Refusal):
    """A line's ``#team`` tag names none of the person's teams; nothing was logged.

    Attributes:
        line_no: 1-based line number of the tagged line.
        tag: The tag as typed, without ``#``.
        slugs: The short names of the teams the person is in.
        editing: True for an edit of a logged message (its entries stay as they were).
    """

    line_no: int
    tag: str
    slugs: tuple[str, ...]
    editing: bool = False


@dataclass
class NotYourEntries(Refusal):
    """The message's entries belong to someone else; ``editing`` for an edit, else an undo."""

    editing: bool = False


@dataclass
class NothingToUndo(Refusal):
    """No live entries to undo: from that message when ``from_message``, else from the person."""

    from_message: bool = False


class AlreadyUndone(Refusal):
    """The message's entries were undone before."""


def week_status(
    conn: Connection, actor: Actor, team: TeamRole, *, monday: date
) -> tuple[dict[str, int], dict[str, int], int]:
    """A member's standing for one ISO week in one team, read in one statement.

    Args:
        actor: A member (``person_id`` set).
        team: One of the actor's memberships.
        monday: The Monday of the week.

    Returns:
        (total per kind key; target per kind key, pro-rated for absence and for days outside
        the membership, without zeros; days away that week while a member, 0-7).
    """
    assert actor.person_id is not None
    return _week_status(conn, actor.person_id, team.team_id, team.role, monday)


def week_joined_on(
    conn: Connection, actor: Actor, team: TeamRole, *, monday: date
) -> tuple[dict[str, int], dict[str, int], int, date | None]:
    """:func:`week_status`, plus the day the actor joined the team when it falls in the week
    (their targets and pace count from then), else None; still one statement."""
    assert actor.person_id is not None
    snap, targets, away = _standing(conn, actor.person_id, team.team_id, team.role, monday)
    joined = (
        snap.tenure.joined_between(monday, monday + timedelta(days=6))
        if snap.tenure is not None
        else None
    )
    return snap.totals, targets, away, joined


def _week_status(
    conn: Connection, person_id: int, team_id: int, role: Role, monday: date
) -> tuple[dict[str, int], dict[str, int], int]:
    snap, targets, away = _standing(conn, person_id, team_id, role, monday)
    return snap.totals, targets, away


def _standing(
    conn: Connection, person_id: int, team_id: int, role: Role, monday: date
) -> tuple[activities.WeekSnapshot, dict[str, int], int]:
    snap = activities.week_snapshot(
        conn, person_id=person_id, team_id=team_id, role=role.value, monday=monday
    )
    targets, away = week_targets(
        role=role,
        person_id=person_id,
        team_id=team_id,
        overrides=snap.overrides,
        absences=snap.absences,
        monday=monday,
        tenure=snap.tenure,
    )
    return snap, targets, away


def _confirm(
    conn: Connection,
    actor: Actor,
    rows: Sequence[Activity | NewEntry],
    moment: Moment,
    timed: frozenset[int] = frozenset(),
) -> tuple[Confirmed, ...]:
    """Each row as a confirmation shows it; rows whose ``source_line`` is in ``timed`` show
    their local time of day as well."""
    assert actor.person_id is not None
    teams = {tr.team_id: tr for tr in actor.teams}
    this_monday = moment.this_monday
    kinds = moment.kinds
    # One read per (team, week), however many lines of the message fall in it.
    weeks: dict[tuple[int, date], tuple[dict[str, int], dict[str, int], int]] = {}
    out: list[Confirmed] = []
    for row in rows:
        kind = kinds.get(row.kind)
        note = row.note or ""
        at = _local_minute(row.occurred_at, moment) if row.source_line in timed else None
        team = teams.get(row.team_id)
        if team is None:
            out.append(Confirmed(kind, row.count, row.occurred_on, None, None, note, at))
            continue
        monday = week_monday(row.occurred_on)
        status = weeks.get((team.team_id, monday))
        if status is None:
            status = _week_status(conn, actor.person_id, team.team_id, team.role, monday)
            weeks[(team.team_id, monday)] = status
        totals, targets, _ = status
        tally = WeekTally(
            monday, monday == this_monday, totals.get(row.kind, 0), targets.get(row.kind)
        )
        ref = TeamRef(team.team_id, team.name)
        out.append(Confirmed(kind, row.count, row.occurred_on, ref, tally, note, at))
    return tuple(out)


def _local_minute(at: datetime, moment: Moment) -> time:
    return as_utc(at).astimezone(moment.tz).time().replace(second=0, microsecond=0)


def _timed(entries: Sequence[ParsedEntry]) -> frozenset[int]:
    """The line indexes (``source_line``) of entries the person gave a time of day for."""
    return frozenset(i for i, entry in enumerate(entries) if entry.timed)


def _sent_digests(conn: Connection, rows: Iterable[Activity | NewEntry]) -> tuple[SentDigest, ...]:
    """The weeks (per team) of ``rows`` whose digest had already gone out, by week then team.

    Read only for corrections: a new log never pays for this query.
    """
    mondays = {iso_week_label(m): m for m in {week_monday(r.occurred_on) for r in rows}}
    pairs = {(r.team_id, iso_week_label(r.occurred_on)) for r in rows}
    return tuple(
        SentDigest(week.team_name, mondays[week.iso_week])
        for week in corrections.sent_digest_weeks(conn, pairs)
    )


def _resolve(
    actor: Actor,
    parsed: Sequence[ParsedEntry],
    *,
    chat_id: int,
    message_id: int,
    moment: Moment,
    editing: bool,
    stored: Sequence[Activity] = (),
) -> list[NewEntry]:
    """Entries ready to store, each in its tagged team or else the team it belongs to.

    A ``#tag`` names a team by its short name, compared as :func:`slugify` makes them
    (``#5-Towns`` and ``#5-towns`` both name ``5-towns``, ``#Северный-район`` names
    ``северный-район``). A line without one goes to the actor's default team, except in an
    edit (``stored`` holds the message's entries as they are): changing the default with
    ``/use`` since must not move what was logged, so an untagged line keeps the team of the
    entry stored for that line, and a line the edit adds goes where the message's entries
    are (see :func:`_message_team`). A stored team the actor has left since is not kept.

    Raises:
        UnknownTeamTag: a line's ``#team`` is not one of the actor's teams.
    """
    default = actor.default_team
    assert actor.person_id is not None and default is not None
    teams = {tr.team_id: tr for tr in actor.teams}
    kept = {r.source_line: teams[r.team_id] for r in stored if r.team_id in teams}
    added = _message_team(stored, teams) or default
    tz = moment.tz
    out: list[NewEntry] = []
    for i, entry in enumerate(parsed):
        team = kept.get(i, added) if stored else default
        if entry.team:
            tagged = actor.team_by_slug(slugify(entry.team))
            if tagged is None:
                slugs = tuple(tr.slug for tr in actor.teams)
                raise UnknownTeamTag(i + 1, entry.team, slugs, editing)
            team = tagged
        out.append(
            NewEntry(
                person_id=actor.person_id,
                team_id=team.team_id,
                kind=entry.kind,
                count=entry.count,
                occurred_at=entry.occurred_at,
                occurred_on=local_date(entry.occurred_at, tz),
                note=entry.note or None,
                source_chat_id=chat_id,
                source_message_id=message_id,
                source_line=i,
                time_given=entry.timed,
            )
        )
    return out


def _message_team(stored: Sequence[Activity], teams: Mapping[int, TeamRole]) -> TeamRole | None:
    """The team a line added to a message by an edit goes to: that of the message's first
    live entry (by line) whose team the person is still in, else of its first withdrawn one;
    None when there is no such entry."""
    ordered = sorted(stored, key=lambda r: (r.deleted, r.source_line))
    return next((teams[r.team_id] for r in ordered if r.team_id in teams), None)


def _read(text: str, *, sent_at: datetime, moment: Moment) -> QuickLog:
    # Parsed relative to when the message was sent, so a replay parses exactly as the original.
    return parse_quick_log(text, now=min(sent_at, moment.now), tz=moment.tz, kinds=moment.kinds)


def _unreadable(text: str, error: LineError, *, editing: bool) -> UnreadableLine:
    lines = sum(1 for line in text.splitlines() if line.strip())
    return UnreadableLine(error, lines, editing)


def log_text(
    conn: Connection,
    actor: Actor,
    text: str,
    *,
    chat_id: int,
    message_id: int,
    sent_at: datetime,
    moment: Moment,
    explicit: bool = False,
) -> LogOutcome:
    """Record every entry of a quick-log message, all or nothing, and confirm.

    Args:
        text: The message text (one entry per line).
        chat_id, message_id: Where it came from; together they key the entries, so a
            redelivered or replayed message is confirmed again without counting twice.
        sent_at: When the message was sent; ``yesterday`` and weekdays are relative to it.
        moment: The time of recording, the zone and the kinds in force.
        explicit: True when the person asked to log (``/log``): plain chatter is then refused
            like any unreadable line instead of coming back as :class:`Chatter`.

    Returns:
        :class:`Logged` with each entry (its note, and its time when one was given) and its
        week's running total; :class:`ReplayOfUndone` for a replayed message whose entries
        were undone since; :class:`Chatter` for text that is plainly not a log (nothing stored).

    Raises:
        NotAMember: the actor is in no team.
        UnreadableLine: a line could not be read; nothing was logged.
        UnknownTeamTag: a ``#team`` is not one of the actor's teams; nothing was logged.
    """
    require_member(actor)
    parsed = _read(text, sent_at=sent_at, moment=moment)
    if parsed.error is not None:
        # Only a failed reading pays for the chatter check.
        if not explicit and (command := command_word(text)):
            return Chatter(command)
        if not explicit and is_chatter(text, moment.kinds):
            return Chatter()
        raise _unreadable(text, parsed.error, editing=False)
    entries = parsed.entries
    resolved = _resolve(
        actor, entries, chat_id=chat_id, message_id=message_id, moment=moment, editing=False
    )
    # The entry row itself records who logged what, when and from which message; the audit
    # trail records later changes (edits, undo), keeping the hot path to a few statements.
    ids = activities.record(conn, resolved, now=moment.now)
    several = len(actor.teams) > 1
    timed = _timed(entries)
    source = (chat_id, message_id)
    if not ids:
        # A redelivered or replayed message (its entries exist): confirm them, add nothing.
        live = _live(conn, chat_id, message_id)
        if not live:
            return ReplayOfUndone()
        return Logged(_confirm(conn, actor, live, moment, timed), source, several, True)
    # Fewer inserted than resolved: a concurrent copy of this message got there first.
    rows: Sequence[Activity | NewEntry] = (
        resolved if len(ids) == len(resolved) else _live(conn, chat_id, message_id)
    )
    return Logged(_confirm(conn, actor, rows, moment, timed), source, several)


def _live(conn: Connection, chat_id: int, message_id: int) -> list[Activity]:
    return [r for r in activities.entries_from_source(conn, chat_id, message_id) if not r.deleted]


def undo_source(
    conn: Connection, actor: Actor, chat_id: int, message_id: int, *, moment: Moment
) -> Undone:
    """Withdraw the entries that came from one message; only their owner may.

    Someone who has since left every team may still undo their own entries.

    Returns:
        :class:`Undone` with each withdrawn entry and its week's total after the withdrawal,
        and the weeks whose digest had already gone out (the digest itself is not changed).

    Raises:
        NotAMember: the bot holds nothing about the actor.
        NothingToUndo: no entries came from that message.
        NotYourEntries: they are someone else's.
        AlreadyUndone: they were undone before.
    """
    if actor.person_id is None or not permits(actor, Action.UNDO_BUTTON, team_id=None):
        raise NotAMember()
    rows = activities.entries_from_source(conn, chat_id, message_id)
    if not rows:
        raise NothingToUndo(from_message=True)
    if any(r.person_id != actor.person_id for r in rows):
        raise NotYourEntries()
    removed = activities.soft_delete(conn, rows, now=moment.now)
    if not removed:
        raise AlreadyUndone()
    audit.record(
        conn,
        at=moment.now,
        actor=actor.person_id,
        action="undo",
        entity="activity",
        entity_id=removed[0].id,
        ids=[r.id for r in removed],
    )
    return Undone(
        _confirm(conn, actor, removed, moment),
        len(actor.teams) > 1,
        _sent_digests(conn, removed),
    )


def undo_last(conn: Connection, actor: Actor, *, moment: Moment) -> Undone:
    """``/undo``: withdraw the actor's most recent entry (every line of that message).

    Raises:
        NotAMember: the actor is in no team.
        NothingToUndo: the actor has no live entry.
    """
    person_id = require_member(actor, Action.UNDO)
    source = activities.last_live_source(conn, person_id)
    if source is None:
        raise NothingToUndo()
    return undo_source(conn, actor, *source, moment=moment)


def edit_text(
    conn: Connection,
    actor: Actor,
    text: str,
    *,
    chat_id: int,
    message_id: int,
    sent_at: datetime,
    moment: Moment,
    explicit: bool = False,
    edited_at: datetime | None = None,
) -> EditOutcome:
    """Correct the entries of an edited message; an unreadable edit changes nothing.

    An edit of a message that was never logged (it did not parse, say) is logged as new. An
    edit of a message whose entries were undone changes nothing: undone stays undone. Edits
    may arrive late or twice: one dated no later than the last applied edit of the message
    changes nothing, so an older text never overwrites a newer one. An edit moves an entry to
    another team only when its line says so with a ``#team`` tag: an untagged line keeps the
    team of the entry stored for it, and a line the edit adds goes where the message's entries
    are, whatever the person's default team is now.

    Args:
        explicit: True for an edited ``/log`` command (see :func:`log_text`): an edit into
            chatter is then refused like any unreadable line.
        edited_at: When the edit was made (Telegram's ``edit_date``, aware); None when not
            known, and then the edit is applied whatever came before.

    Returns:
        :class:`Logged` (``updated`` set when existing entries were corrected, with the
        entries it removed and the weeks it changed whose digest had already gone out;
        ``stale`` set, with the entries as they stand, for an edit no newer than one
        already applied), :class:`EditOfUndone` when the
        message's entries had been undone, :class:`Chatter` (``unchanged`` set) for an edit
        into text that is plainly not a log (nothing changed), the outcome of
        :func:`log_text` for a message not logged before, or None when the edit needs no
        reply (the person is not a member).

    Raises:
        NotYourEntries: the message's entries are someone else's.
        UnreadableLine: a line of the edit could not be read; the entries are unchanged.
        UnknownTeamTag: a ``#team`` is not one of the actor's teams; the entries are unchanged.
    """
    if not permits_member(actor, Action.EDIT_ENTRY) or actor.person_id is None:
        return None
    rows = activities.entries_from_source(conn, chat_id, message_id)
    if not rows:
        # The original was not logged (e.g. it did not parse): treat the edit as a new log.
        outcome = log_text(
            conn,
            actor,
            text,
            chat_id=chat_id,
            message_id=message_id,
            sent_at=sent_at,
            moment=moment,
            explicit=explicit,
        )
        if isinstance(outcome, Logged) and edited_at is not None:
            corrections.mark_edited(conn, chat_id, message_id, edited_at=edited_at)
        return outcome
    if any(r.person_id != actor.person_id for r in rows):
        raise NotYourEntries(editing=True)
    if all(r.deleted for r in rows):
        # Undo withdraws every line of a message, while an edit always leaves at least one, so
        # a message with no live entry was undone: an edit must not bring it back.
        return EditOfUndone()
    if _superseded(rows, edited_at):
        live = [r for r in rows if not r.deleted]
        source = (chat_id, message_id)
        several = len(actor.teams) > 1
        return Logged(_confirm(conn, actor, live, moment), source, several, stale=True)
    parsed = _read(text, sent_at=sent_at, moment=moment)
    if parsed.error is not None:
        # An edit into a thank-you or a bare command word is no attempt at a correction.
        if not explicit and (command := command_word(text)):
            return Chatter(command, unchanged=True)
        if not explicit and is_chatter(text, moment.kinds):
            return Chatter(unchanged=True)
        raise _unreadable(text, parsed.error, editing=True)
    entries = parsed.entries
    resolved = _resolve(
        actor,
        entries,
        chat_id=chat_id,
        message_id=message_id,
        moment=moment,
        editing=True,
        stored=rows,
    )
    now = moment.now
    by_line = {r.source_line: r for r in rows}
    # Every team the edit may write totals of, locked first, in one order (see hold).
    measures_cache.hold(conn, [r.team_id for r in rows] + [e.team_id for e in resolved])
    # The rows whose weeks this edit changes, as they were and as they are now.
    touched: list[Activity | NewEntry] = []
    for new in resolved:
        old = by_line.pop(new.source_line, None)
        if old is None:
            activities.record(conn, [new], now=now)
        elif not old.deleted and (
            old.team_id,
            old.kind,
            old.count,
            old.occurred_at,
            old.note,
            old.time_given,
        ) == (new.team_id, new.kind, new.count, new.occurred_at, new.note, new.time_given):
            continue
        else:
            activities.replace(conn, old, new, now=now)
            if not old.deleted:
                touched.append(old)
        touched.append(new)
    dropped = activities.soft_delete(conn, by_line.values(), now=now)
    touched.extend(dropped)
    if edited_at is not None:
        corrections.mark_edited(conn, chat_id, message_id, edited_at=edited_at)
    audit.record(
        conn,
        at=now,
        actor=actor.person_id,
        action="edit",
        entity="activity",
        entity_id=rows[0].id,
        chat_id=chat_id,
        message_id=message_id,
        lines=len(resolved),
    )
    live = _live(conn, chat_id, message_id)
    # Confirmed together, so a week shared by kept and removed lines is read once.
    confirmed = _confirm(conn, actor, [*live, *dropped], moment, _timed(entries))
    return Logged(
        confirmed[: len(live)],
        (chat_id, message_id),
        len(actor.teams) > 1,
        updated=True,
        digests_sent=_sent_digests(conn, touched),
        removed=confirmed[len(live) :],
    )


def _superseded(rows: Sequence[Activity], edited_at: datetime | None) -> bool:
    """True when an edit dated ``edited_at`` is older than the last one applied to ``rows``.

    Telegram dates edits to the second. Two edits in the same second are both applied, in the
    order they are handled; a repeated delivery of one edit never gets here (its processed key,
    which holds the edit's date and text, is known: ``handlers.common.update_key``).
    """
    if edited_at is None:
        return False
    applied = [as_utc(r.edited_at) for r in rows if r.edited_at is not None]
    return bool(applied) and as_utc(edited_at) < max(applied)
