"""Use cases a member runs on their own account: absences, nudges, their data.

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
from organiser_bot.domain.refusals import Refusal
from organiser_bot.domain.targets import AbsenceRow
from organiser_bot.usecases.guards import require_member
from storage import audit, people
from storage import targets as target_store

#: Longest absence, in days (both ends included).
MAX_ABSENCE_DAYS = 366
#: How far back a member may record an absence themselves, and how far back ``/away`` lists.
ABSENCE_BACKDATE_WEEKS = 8
#: The one argument that makes ``/forgetme`` go ahead.
FORGET_CONFIRM = "confirm"
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
