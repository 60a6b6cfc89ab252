"""Use cases a member runs on their own account (absences, nudges, their data), and a manager's
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
from organiser_bot.domain.refusals import Refusal, UnknownTeam
from organiser_bot.domain.targets import AbsenceRow
from organiser_bot.domain.teams import slugify
from organiser_bot.usecases.guards import require_member
from storage import audit, inbox, people, processed
from storage import targets as target_store

#: Longest absence, in days (both ends included).
MAX_ABSENCE_DAYS = 366
#: How far back a member may record an absence themselves, and how far back ``/away`` lists.
ABSENCE_BACKDATE_WEEKS = 8
#: The one argument that makes ``/forgetme`` go ahead.
FORGET_CONFIRM = "confirm"
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


@dataclass(frozen=True, slots=True)
class ForgetNeedsConfirm:
    """``/forgetme`` without ``confirm``: nothing was done; the person is told what it would do."""


@dataclass(frozen=True, slots=True)
class Forgotten:
    """The person's notes were erased, ``entries`` entries withdrawn and every team left."""

    entries: int


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


class NothingHeld(Refusal):
    """``/forgetme`` from someone the bot holds nothing about."""


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
    person_id = require_member(actor)
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
    person_id = require_member(actor)
    people.set_nudges_paused(conn, person_id, paused)
    return NudgesSet(paused)


def forget_me(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> ForgetNeedsConfirm | Forgotten:
    """``/forgetme``: erase the actor's notes, withdraw their entries and leave every team.

    Asks first; ``/forgetme confirm`` does it. Digests already sent keep their counts.

    Args:
        args: The command's words; exactly ``confirm`` (any case) goes ahead.

    Returns:
        :class:`ForgetNeedsConfirm` without the confirmation, else :class:`Forgotten`.

    Raises:
        NothingHeld: the bot holds nothing about the actor.
    """
    if actor.person_id is None:
        raise NothingHeld()
    if [a.lower() for a in args] != [FORGET_CONFIRM]:
        return ForgetNeedsConfirm()
    erased = people.forget_person(conn, actor.person_id, now=moment.now)
    # What they typed is also kept, briefly, to carry updates out exactly once: the replies
    # kept for redelivery (which quote notes) and the inbox's finished updates.
    processed.forget_chat(conn, actor.identity.user_id)
    inbox.forget_user(conn, actor.identity.user_id)
    audit.record(
        conn,
        at=moment.now,
        actor=None,
        action="forget",
        entity="person",
        entity_id=actor.person_id,
        entries=erased,
    )
    return Forgotten(erased)


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
class RemoveUnknownMember(Refusal):
    """No one has the Telegram ``@username``."""

    username: str


@dataclass
class NotInTeam(Refusal):
    """``username`` is not a current member of ``team_name``."""

    username: str
    team_name: str


class RemoveSelf(Refusal):
    """A manager tried to remove themselves (an admin can)."""


def remove_member(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> RemoveNeedsConfirm | MemberRemoved:
    """``/remove <team> @username [confirm]``: end someone's membership of a team today.

    Today is their last day as a member (``membership.left_on``, inclusive): their targets stop
    counting after it, past weeks still count the days they were a member, and the team no
    longer lists them. Their entries stay. Asks first; with ``confirm`` it is done and audited.

    Raises:
        RemoveNotPermitted: the actor manages no team and is not an admin.
        RemoveUsage: no team or no ``@username`` given.
        UnknownTeam: the actor manages no team of that name.
        RemoveUnknownMember: no one has that ``@username``.
        NotInTeam: they are not a current member of the team.
        RemoveSelf: a manager (not an admin) named themselves.
    """
    if not actor.is_manager:
        raise RemoveNotPermitted()
    if len(args) < 2 or not args[1].startswith("@") or len(args[1]) < 2:
        raise RemoveUsage()
    team = people.find_team(conn, slugify(args[0]))
    if team is None or not actor.manages(team.id):
        raise UnknownTeam(args[0])
    found = people.find_person_by_username(conn, args[1])
    if found is None:
        raise RemoveUnknownMember(args[1])
    current = {m.person_id for m in people.team_members(conn, team.id, current=True)}
    if found.id not in current:
        raise NotInTeam(args[1], team.name)
    if found.id == actor.person_id and not actor.is_admin:
        raise RemoveSelf()
    today = moment.today
    if [a.lower() for a in args[2:]] != [REMOVE_CONFIRM]:
        return RemoveNeedsConfirm(found.display_name, team.name, team.slug, args[1], today)
    people.end_membership(conn, person_id=found.id, team_id=team.id, left_on=today)
    audit.record(
        conn,
        at=moment.now,
        actor=actor.person_id,
        action="remove",
        entity="membership",
        entity_id=team.id,
        person_id=found.id,
        left_on=today.isoformat(),
    )
    return MemberRemoved(found.display_name, team.name, today)
