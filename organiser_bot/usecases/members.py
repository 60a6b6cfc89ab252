"""Use cases a member runs on their own account (absences, nudges), and a manager's
ending of someone's membership (``/remove``).

Each returns a typed outcome or raises a :class:`~organiser_bot.domain.refusals.Refusal`; the
refusals particular to these commands are defined here and worded by the adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import parse_day
from organiser_bot.domain.permissions import permits
from organiser_bot.domain.refusals import Action, Refusal, UnknownTeam
from organiser_bot.domain.targets import AbsenceRow
from organiser_bot.domain.teams import slugify
from organiser_bot.usecases.guards import require_member
from organiser_bot.usecases.identities import (
    MemberChoice,
    NoOneToChoose,
    StaleChoice,
    StaleReason,
    UnknownMember,
    choice_of,
    current_member,
    members_named,
    narrowed,
)
from storage import audit, people
from storage import targets as target_store
from storage.people import CurrentMember

#: Longest absence, in days (both ends included).
MAX_ABSENCE_DAYS = 366
#: How far back a member may record an absence themselves, and how far back ``/away`` lists.
ABSENCE_BACKDATE_WEEKS = 8
#: The last argument that makes ``/remove <team> @username`` go ahead.
REMOVE_CONFIRM = "confirm"
#: The ``/away`` argument that withdraws the latest absence.
AWAY_CANCEL = "cancel"

# Outcomes.


@dataclass(frozen=True, slots=True)
class Absences:
    """The member's absences from ``ABSENCE_BACKDATE_WEEKS`` ago onwards (possibly none)."""

    absences: tuple[AbsenceRow, ...]


@dataclass(frozen=True, slots=True)
class AbsenceCancelled:
    """The latest absence was withdrawn."""

    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class AbsenceRecorded:
    """An absence from ``starts_on`` to ``ends_on`` inclusive, ``days`` long, was recorded."""

    starts_on: date
    ends_on: date
    days: int


@dataclass(frozen=True, slots=True)
class NudgesSet:
    """Mid-week nudges are now paused (``paused``) or back on."""

    paused: bool


# Refusals particular to these commands. Each leaves the database as it was.


class AwayUsage(Refusal):
    """``/away`` arguments that are not days."""


class AbsenceBackwards(Refusal):
    """The absence ends before it starts."""


class AbsenceTooLong(Refusal):
    """The absence is longer than ``MAX_ABSENCE_DAYS``."""


class AbsenceTooOld(Refusal):
    """The absence starts more than ``ABSENCE_BACKDATE_WEEKS`` ago."""


class NoAbsenceToCancel(Refusal):
    """``/away cancel`` with no absence from ``ABSENCE_BACKDATE_WEEKS`` ago onwards."""


def away(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> Absences | AbsenceCancelled | AbsenceRecorded:
    """``/away <from> <to>`` records an absence, no arguments lists them, ``cancel`` withdraws one.

    Args:
        args: The command's words: none, ``cancel``, or one or two days
            (:func:`~organiser_bot.domain.periods.parse_day`); one day means a one-day absence.
        moment: The time of the request and the zone days are read in.

    Returns:
        :class:`Absences` (listing), :class:`AbsenceCancelled` or :class:`AbsenceRecorded`.

    Raises:
        NotAMember: the actor is in no team.
        NoAbsenceToCancel: ``cancel`` with no recent absence.
        AwayUsage: the days cannot be read.
        AbsenceBackwards, AbsenceTooLong, AbsenceTooOld: the days make no acceptable absence.
    """
    person_id = require_member(actor, Action.RECORD_ABSENCE)
    today = moment.today
    earliest = today - timedelta(weeks=ABSENCE_BACKDATE_WEEKS)
    if not args or args[0].lower() == AWAY_CANCEL:
        upcoming = target_store.absences(conn, start=earliest, end=date.max, person_ids=[person_id])
        if not args:
            return Absences(tuple(upcoming))
        if not upcoming:
            raise NoAbsenceToCancel()
        latest = max(upcoming, key=lambda a: a.id)
        target_store.cancel_absence(conn, latest.id, now=moment.now)
        audit.record(
            conn,
            at=moment.now,
            actor=person_id,
            action="cancel",
            entity="absence",
            entity_id=latest.id,
        )
        return AbsenceCancelled(latest.starts_on, latest.ends_on)
    start = parse_day(args[0], today=today)
    end = parse_day(args[1], today=today) if len(args) > 1 else start
    if start is None or end is None:
        raise AwayUsage()
    if end < start:
        raise AbsenceBackwards()
    days = (end - start).days + 1
    if days > MAX_ABSENCE_DAYS:
        raise AbsenceTooLong()
    if start < earliest:
        raise AbsenceTooOld()
    absence_id = target_store.add_absence(
        conn, person_id=person_id, starts_on=start, ends_on=end, now=moment.now
    )
    audit.record(
        conn,
        at=moment.now,
        actor=person_id,
        action="create",
        entity="absence",
        entity_id=absence_id,
        starts_on=start,
        ends_on=end,
    )
    return AbsenceRecorded(start, end, days)


def set_paused(conn: Connection, actor: Actor, paused: bool) -> NudgesSet:
    """``/pause`` and ``/resume``: mute or unmute mid-week nudges.

    Raises:
        NotAMember: the actor is in no team.
    """
    person_id = require_member(actor, Action.PAUSE_NUDGES if paused else Action.RESUME_NUDGES)
    people.set_nudges_paused(conn, person_id, paused)
    return NudgesSet(paused)


# --- /remove -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RemoveNeedsConfirm:
    """``/remove <team> @username`` without ``confirm``: nothing was done; the manager is told
    what it would do (``name`` leaves ``team_name`` after ``last_day``)."""

    name: str
    team_name: str
    team_slug: str
    username: str
    last_day: date


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    """``name``'s membership of ``team_name`` ended; ``last_day`` was their last day in it."""

    name: str
    team_name: str
    last_day: date


class RemoveUsage(Refusal):
    """``/remove`` without a team and an ``@username``."""


class RemoveNotPermitted(Refusal):
    """Someone who manages no team (and is not an admin) tried ``/remove``."""


@dataclass
class NotInTeam(Refusal):
    """``username`` is not a current member of ``team_name``."""

    username: str
    team_name: str


class RemoveSelf(Refusal):
    """A manager tried to remove themselves (an admin can)."""


@dataclass(frozen=True, slots=True)
class RemovePick:
    """``/remove <team>`` without an ``@username``, or one several members hold: nothing was
    done; the manager chooses the member from ``choice``."""

    team_name: str
    choice: MemberChoice


@dataclass(frozen=True, slots=True)
class RemoveTap:
    """A member tapped in a :class:`RemovePick` (``confirm`` False) or on the confirmation that
    follows (``confirm`` True): who asked (Telegram user id), the team and the person."""

    asker: int
    team_id: int
    person_id: int
    confirm: bool = False


def remove_member(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> RemoveNeedsConfirm | MemberRemoved | RemovePick:
    """``/remove <team> [@username|name] [confirm]``: end someone's membership of a team today.

    Today is their last day as a member (``membership.left_on``, inclusive): their targets stop
    counting after it, past weeks still count the days they were a member, and the team no
    longer lists them. Their entries stay. Asks first; with ``confirm`` it is done and audited.
    Without an ``@username`` (optionally with part of a name), the team's current members are
    offered to choose from (:class:`RemovePick`).

    Raises:
        RemoveNotPermitted: the actor manages no team and is not an admin.
        RemoveUsage: no team given (an ``@username`` first).
        UnknownTeam: the actor manages no team of that name.
        NotInTeam: no current member of the team has that ``@username`` (the same whether or
            not someone elsewhere has it).
        NoOneToChoose: no current member of the team matches the name.
        RemoveSelf: a manager (not an admin) named themselves.
    """
    if not permits(actor, Action.REMOVE_MEMBER, team_id=None):
        raise RemoveNotPermitted()
    if (
        not args
        or args[0].startswith("@")  # the @username without its team first
        or (args[1:] and args[1].startswith("@") and len(args[1]) < 2)
    ):
        raise RemoveUsage()
    team = people.find_team(conn, slugify(args[0]))
    if team is None or not permits(actor, Action.REMOVE_MEMBER, team_id=team.id):
        raise UnknownTeam(args[0])
    if not args[1:] or not args[1].startswith("@"):
        name = " ".join(args[1:]) or None
        members = [
            m
            for m in narrowed(people.current_members(conn, team_ids=[team.id]), name)
            if m.person_id != actor.person_id
            or permits(actor, Action.REMOVE_ONESELF, team_id=team.id)
        ]
        if not members:
            raise NoOneToChoose(team.name, name)
        return RemovePick(team.name, choice_of(members, name=name))
    try:
        found = members_named(conn, actor, args[1], Action.REMOVE_MEMBER, team_id=team.id)
    except UnknownMember:
        raise NotInTeam(args[1], team.name) from None
    if len(found) > 1:
        return RemovePick(team.name, choice_of(found, username=args[1]))
    [member] = found
    if [a.lower() for a in args[2:]] != [REMOVE_CONFIRM]:
        if _removing_oneself(actor, member):
            raise RemoveSelf()
        return RemoveNeedsConfirm(member.display_name, team.name, team.slug, args[1], moment.today)
    return _end_membership(conn, actor, member, moment=moment)


def remove_chosen(
    conn: Connection, actor: Actor, tap: RemoveTap, *, moment: Moment
) -> RemoveNeedsConfirm | MemberRemoved:
    """A member tapped in a :class:`RemovePick`: ask to confirm; the confirmation tapped: end
    their membership today, as :func:`remove_member` does.

    Raises:
        StaleChoice: the tap is not the asker's, or the person is no longer a current member of
            a team the actor may remove members from.
        RemoveSelf: a manager (not an admin) chose themselves.
    """
    if tap.asker != actor.identity.user_id:
        raise StaleChoice(StaleReason.NOT_YOURS)
    member = current_member(
        conn, actor, Action.REMOVE_MEMBER, team_id=tap.team_id, person_id=tap.person_id
    )
    if member is None:
        raise StaleChoice(StaleReason.GONE)
    if not tap.confirm:
        if _removing_oneself(actor, member):
            raise RemoveSelf()
        handle = f"@{member.username}" if member.username else ""
        return RemoveNeedsConfirm(
            member.display_name, member.team_name, member.team_slug, handle, moment.today
        )
    return _end_membership(conn, actor, member, moment=moment)


def _removing_oneself(actor: Actor, member: CurrentMember) -> bool:
    """True when the actor would end their own membership and the table does not allow it."""
    return member.person_id == actor.person_id and not permits(
        actor, Action.REMOVE_ONESELF, team_id=member.team_id
    )


def _end_membership(
    conn: Connection, actor: Actor, member: CurrentMember, *, moment: Moment
) -> MemberRemoved:
    if _removing_oneself(actor, member):
        raise RemoveSelf()
    today = moment.today
    people.end_membership(conn, person_id=member.person_id, team_id=member.team_id, left_on=today)
    audit.record(
        conn,
        at=moment.now,
        actor=actor.person_id,
        action="remove",
        entity="membership",
        entity_id=member.team_id,
        person_id=member.person_id,
        left_on=today.isoformat(),
    )
    return MemberRemoved(member.display_name, member.team_name, today)
