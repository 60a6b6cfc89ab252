"""The inputs of *residents per active monthly member*: ``/residents`` (a team area's
residents), the monthly check-in (asked by a daily job, answered on its buttons) and ``/active``
(an organiser marks a member active, or lists the month's answers).

Rules (dates are local, in ``TIMEZONE``; months as in :mod:`organiser_bot.domain.checkin`):

* ``/residents <team> <n>`` records a new figure (earlier ones are kept: each month is measured
  by the figure in force at its end); the same figure again records nothing.
* The check-in for a month is sent to every current member of a live team who joined by the
  month's last day and has no row for it yet; someone an organiser has marked already is not
  asked. Asking is claimed in the database before the message is sent, so a restart or a second
  run never asks twice.
* **The latest word stands.** A member's tap replaces an organiser's mark (so a member who
  answers No after being marked active is counted as not active: their own answer wins), and an
  organiser's ``/active`` replaces an earlier answer, e.g. for a member who tapped the wrong
  button after the check-in closed. Taps are honoured only while the month's check-in is open;
  ``/active`` works for any month up to this one.
* **Only months someone was a member in.** A tap or a mark counts only for a month in which the
  member belonged to a team on at least one day (a joiner from 1 December has nothing to answer
  for November). A member who left during a month may still be marked for it by the team's
  organisers, managers and admins: ``@user`` is looked up among the members of the teams one
  may mark during that month, not only the current ones.

Each use case returns a typed outcome or raises a :class:`~organiser_bot.domain.refusals.Refusal`
(nothing is changed then); the adapter words both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.checkin import (
    MAX_RESIDENTS,
    closes_on,
    due_month,
    is_open,
    names_a_month,
    parse_month,
    parse_residents,
)
from organiser_bot.domain.measures import (
    member_spans,
)
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.names import distinct_names
from organiser_bot.domain.periods import month_end, month_of
from organiser_bot.domain.permissions import permits, permits_every_team
from organiser_bot.domain.refusals import Action, NotPermitted, Refusal
from organiser_bot.usecases.digest_run import DeliveryFailed
from organiser_bot.usecases.guards import team_to_act_on
from organiser_bot.usecases.identities import actionable_team_ids
from organiser_bot.usecases.onboarding import NoTeamCalled
from storage import audit, people
from storage import residents as store
from storage.engine import Database
from storage.residents import DueCheckin

# Re-exported: the adapter words a figure by this type.
from storage.residents import ResidentsFigure as ResidentsFigure

log = logging.getLogger(__name__)

#: The words that mark a member not active (``/active @sam no``), and active (the default).
NOT_ACTIVE_WORDS = frozenset({"no", "not", "inactive", "n"})
ACTIVE_WORDS = frozenset({"yes", "active", "y"})


# Refusals.


@dataclass
class ResidentsUsage(Refusal):
    """``/residents <team> <n>`` with a figure that is not a whole number from 1 to
    ``maximum`` (``typed`` as given)."""

    typed: str
    maximum: int = MAX_RESIDENTS


@dataclass
class ActiveUsage(Refusal):
    """``/active`` with a word that is neither a month, ``no``/``yes``, nor (listing) one team;
    ``word`` is None when no team was named and the person has no team to list."""

    word: str | None = None


@dataclass
class NoMemberToMark(Refusal):
    """No member, current or former, of a team the person may mark holds ``username``
    (whether or not someone elsewhere does)."""

    username: str


@dataclass
class SeveralToMark(Refusal):
    """Several people among the members the person may mark hold ``username``."""

    username: str


@dataclass
class NotMemberThen(Refusal):
    """``name`` joined after ``month`` (its first day) ended, or (``left``) was otherwise not a
    member of the teams the person may mark on any day of it (had left before it began, or was
    away between leaving and joining again): there is nothing to mark."""

    name: str
    month: date
    left: bool = False


# Outcomes.


@dataclass(frozen=True, slots=True)
class ResidentsSet:
    """``/residents <team> <n>``: ``residents`` now, ``was`` the figure before (None: none);
    ``changed`` False when the figure was already in force (nothing recorded)."""

    team_name: str
    residents: int
    was: int | None
    changed: bool


@dataclass(frozen=True, slots=True)
class ResidentsShown:
    """``/residents <team>``: the figure in force, or None when none was recorded."""

    team_name: str
    figure: ResidentsFigure | None


@dataclass(frozen=True, slots=True)
class ResidentsList:
    """``/residents``: each team the person may record residents for, by name, with its figure
    in force (None: none)."""

    teams: tuple[tuple[str, ResidentsFigure | None], ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """What a check-in row says: ``active``, and whether it is the member's ``own`` answer (else
    an organiser's mark); ``marker_forgotten`` when it is a mark by someone since forgotten
    (``/forgetme``), so no longer known by name."""

    active: bool
    own: bool
    marker_forgotten: bool = False


@dataclass(frozen=True, slots=True)
class CheckinTap:
    """A tap on a check-in button: the month asked about (its first day) and the answer."""

    month: date
    active: bool


@dataclass(frozen=True, slots=True)
class CheckinRecorded:
    """A member's answer recorded (``changed`` False: it was their answer already).

    Attributes:
        open_until: The last day the answer may still be changed by tapping.
        was: What the row said before (None: nothing).
    """

    month: date
    active: bool
    open_until: date
    was: Answer | None
    changed: bool


@dataclass(frozen=True, slots=True)
class CheckinClosed:
    """A tap for a month whose check-in is not open (closed on ``closed_on``, or not open yet
    when that is after today): nothing was changed."""

    month: date
    closed_on: date


@dataclass(frozen=True, slots=True)
class CheckinNotMember:
    """A tap for a month (open or not) in which the tapper belonged to no team on any day (they
    joined after it ended, or had left before it began): nothing was changed."""

    month: date


@dataclass(frozen=True, slots=True)
class ActiveMarked:
    """``/active @user [month] [no]``: ``name`` marked ``active`` for ``month``; ``was`` what the
    row said before; ``changed`` False when it said so already (nothing written)."""

    name: str
    month: date
    active: bool
    was: Answer | None
    changed: bool


@dataclass(frozen=True, slots=True)
class ActiveList:
    """``/active [team] [month]``: the team's members in ``month`` by their answer, each a label
    that tells them apart (:func:`~organiser_bot.domain.names.distinct_names`), by name."""

    team_name: str
    month: date
    active: tuple[str, ...]
    not_active: tuple[str, ...]
    unanswered: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckinRound:
    """Whom the check-in job asks today: the month open (its first day) and who is due."""

    month: date
    due: tuple[DueCheckin, ...]


def _answer(state: store.CheckinState | None) -> Answer | None:
    if state is None or state.active is None:
        return None
    if state.own:
        return Answer(state.active, own=True)
    return Answer(state.active, own=False, marker_forgotten=state.marked_by is None)


# /residents


def _residents_teams(conn: Connection, actor: Actor) -> list[tuple[int, str]]:
    # The teams the person may record residents for: every live team for an admin.
    if permits_every_team(actor, Action.SET_RESIDENTS):
        return [(t.id, t.name) for t in people.list_teams(conn)]
    return [
        (tr.team_id, tr.name)
        for tr in actor.teams
        if permits(actor, Action.SET_RESIDENTS, team_id=tr.team_id)
    ]


def residents(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> ResidentsSet | ResidentsShown | ResidentsList:
    """``/residents``, ``/residents <team>`` or ``/residents <team> <n>``.

    The figure may be grouped by threes with ``,``, ``_`` or spaces (so it may span several
    words: ``12 400``); see :func:`~organiser_bot.domain.checkin.parse_residents`. A new figure
    is audited (``set_residents``).

    Raises:
        NotPermitted: the person manages no team (and is no admin), or not the team named.
        NoTeamCalled: no team the person may see has that short name (another team's is
            refused alike).
        ResidentsUsage: the figure is not a whole number from 1 to ``MAX_RESIDENTS``.
    """
    if not args:
        teams = _residents_teams(conn, actor)
        if not teams:
            raise NotPermitted(Action.SET_RESIDENTS)
        figures = store.current_residents(conn, [team_id for team_id, _ in teams])
        return ResidentsList(tuple((name, figures.get(team_id)) for team_id, name in teams))
    team = team_to_act_on(conn, actor, args[0], Action.SET_RESIDENTS, unknown=NoTeamCalled)
    before = store.current_residents(conn, [team.id]).get(team.id)
    if len(args) == 1:
        return ResidentsShown(team.name, before)
    typed = " ".join(args[1:])
    count = parse_residents(typed)
    if count is None:
        raise ResidentsUsage(typed)
    was = before.residents if before is not None else None
    if was == count:
        return ResidentsSet(team.name, count, was, changed=False)
    now = moment.now
    by = people.ensure_person(conn, actor.identity, now=now)
    store.record_residents(
        conn, team_id=team.id, residents=count, set_on=moment.today, set_by=by, set_at=now
    )
    audit.record(
        conn,
        at=now,
        actor=by,
        action="set_residents",
        entity="team",
        entity_id=team.id,
        residents=count,
        previous=was,
    )
    return ResidentsSet(team.name, count, was, changed=True)


# The check-in job


def checkins_due(conn: Connection, *, moment: Moment) -> CheckinRound | None:
    """Whom to ask today (:func:`~organiser_bot.domain.checkin.due_month`); None on a day no
    month's check-in is open."""
    month = due_month(moment.today)
    if month is None:
        return None
    due = store.due_checkins(conn, month=month, month_end=month_end(month))
    return CheckinRound(month, tuple(due))


def claim_checkin(conn: Connection, *, person_id: int, month: date, now: datetime) -> bool:
    """Claim asking ``person_id`` about ``month`` before the message is sent; False when they
    were asked, answered or were marked already (then they are not asked)."""
    return store.claim_checkin(conn, person_id=person_id, month=month, now=now)


def release_checkin(conn: Connection, *, person_id: int, month: date, asked_at: datetime) -> bool:
    """Give a claim back after a send failed for a passing reason, so a later run asks again."""
    return store.release_checkin(conn, person_id=person_id, month=month, asked_at=asked_at)


class CheckinAsker(Protocol):
    """Sends the check-in question privately (the adapter: Telegram)."""

    async def ask(self, telegram_user_id: int, month: date, *, today: date) -> None:
        """Ask ``telegram_user_id`` about ``month``, with its Yes / No buttons, on the local day
        ``today`` (the month's last day, or up to the 7th of the next: the wording differs).

        Raises:
            DeliveryFailed: not delivered; ``permanent`` when they cannot be reached at all
                (they blocked the bot, their account was deleted).
        """
        ...


@dataclass
class CheckinReport:
    """What one run of the check-in did: the month asked about (None: none open today), and
    the Telegram user ids asked, refused for good (not asked again that month) and failed for
    now (asked again on a later run while the month is open)."""

    month: date | None = None
    sent: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


async def send_checkins(asker: CheckinAsker, db: Database, *, moment: Moment) -> CheckinReport:
    """Ask everyone due (:func:`checkins_due`) about the month whose check-in is open today.

    Each ask is claimed in the database (its own transaction) before it is sent, so a rerun, a
    restart or a second bot never asks twice; a crash between the two loses that one ask rather
    than risking a second. A permanent failure keeps the claim (logged, not retried); a passing
    one gives it back (:func:`release_checkin`) for a later run.
    """
    report = CheckinReport()
    found = await db.run(checkins_due, moment=moment)
    if found is None:
        return report
    month, now = found.month, moment.now
    report.month = month
    for due in found.due:
        if not await db.run(claim_checkin, person_id=due.person_id, month=month, now=now):
            continue
        try:
            await asker.ask(due.telegram_user_id, month, today=moment.today)
        except DeliveryFailed as exc:
            if exc.permanent:
                report.refused.append(due.telegram_user_id)
                log.info("Check-in to %s refused, not retried: %s", due.telegram_user_id, exc)
                continue
            report.failed.append(due.telegram_user_id)
            log.warning("Check-in to %s failed, asked again later: %s", due.telegram_user_id, exc)
            await db.run(release_checkin, person_id=due.person_id, month=month, asked_at=now)
            continue
        report.sent.append(due.telegram_user_id)
    return report


# The tap


def answer_checkin(
    conn: Connection, actor: Actor, tap: CheckinTap, *, moment: Moment
) -> CheckinRecorded | CheckinClosed | CheckinNotMember:
    """A member taps Yes or No under the check-in for ``tap.month``: record their own answer
    (replacing an organiser's mark), if they were a member of some team in that month and
    while the month's check-in is open. ``tap.month`` may be any month a date can hold (button
    data can be forged): one they were no member in gives :class:`CheckinNotMember`, else one
    not open :class:`CheckinClosed`, and nothing is changed.

    Raises:
        NotPermitted: the tapper is in no team (a stranger, someone who left every team, or a
            forgotten person writing again: someone new to the bot).
    """
    person_id = actor.person_id
    if person_id is None or not permits(actor, Action.CHECK_IN, team_id=None):
        raise NotPermitted(Action.CHECK_IN)
    # Membership first: "closed, an organiser can still mark you" would be untrue for a month
    # they were no member in.
    last = month_end(tap.month)
    tenures = store.tenures_touching(conn, person_id=person_id, month=tap.month, month_end=last)
    if not any(member_spans(tenure, tap.month, last) for tenure in tenures):
        return CheckinNotMember(tap.month)
    if not is_open(tap.month, moment.today):
        return CheckinClosed(tap.month, closes_on(tap.month))
    state = store.checkin_state(conn, person_id=person_id, month=tap.month)
    was = _answer(state)
    if was == Answer(tap.active, own=True):
        return CheckinRecorded(tap.month, tap.active, closes_on(tap.month), was, changed=False)
    store.set_active(
        conn,
        person_id=person_id,
        month=tap.month,
        active=tap.active,
        now=moment.now,
        marked_by=None,
    )
    return CheckinRecorded(tap.month, tap.active, closes_on(tap.month), was, changed=True)


# /active


def _month_phrases(words: list[str]) -> list[str]:
    """``words`` with ``last month`` and ``this month`` (as the check-in says them) made one
    word each: ``lastmonth``, ``thismonth``."""
    out: list[str] = []
    for word in words:
        if word.casefold() == "month" and out and out[-1].casefold() in ("last", "this"):
            out[-1] = f"{out[-1]}month"
        else:
            out.append(word)
    return out


def _mark_words(words: list[str], today: date) -> tuple[date, bool]:
    """The month (default this one) and whether active (default yes) of ``/active @user``'s
    other words. A second month, or a word that is neither, is refused: nothing is guessed."""
    month, active = month_of(today), True
    named_already = False
    for word in words:
        lower = word.casefold()
        if lower in NOT_ACTIVE_WORDS:
            active = False
        elif lower in ACTIVE_WORDS:
            active = True
        elif not named_already and (named := parse_month(word, today)) is not None:
            month, named_already = named, True
        else:
            raise ActiveUsage(word)
    return month, active


def mark_active(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> ActiveMarked | ActiveList:
    """``/active @user [month] [no]`` marks a member active (or, with ``no``, not active) for a
    month (default this month); ``/active [team] [month]`` (or ``[month] [team]``) lists the
    team's members that month by their answer (no team: the person's default team, else the
    first they may mark in). Of two words that both read as a month (a team may be called
    ``may``), the first that names a team the person may see is the team, a month's name tried
    before ``thismonth``, ``lastmonth`` or ``2026-10``; when neither does, the refusal names the
    one tried first.

    ``@user`` is looked up among the members, current or former, of the teams the person may
    mark in, and must have been a member on at least one day of the month (so a member who left
    mid-month can be marked for that month).

    A mark is audited (``mark_active``). Marking what the row says already writes nothing, so
    a member's own answer is not turned into a mark.

    Raises:
        NotPermitted: the person may mark no one (not an organiser, manager or admin), or may
            not mark in the team named.
        NoTeamCalled: no team the person may see has that short name.
        NoMemberToMark: no member, current or former, of a team the person may mark holds the
            username (someone in another team is refused alike).
        SeveralToMark: several people there hold it.
        NotMemberThen: the member was not a member on any day of the month (joined after it
            ended, had left before it began, or was between leaving and joining again).
        ActiveUsage: a word is neither a month, ``no``/``yes`` nor a team; or nothing to list.
    """
    if not permits_every_team(actor, Action.MARK_ACTIVE) and not any(
        permits(actor, Action.MARK_ACTIVE, team_id=tr.team_id) for tr in actor.teams
    ):
        raise NotPermitted(Action.MARK_ACTIVE)
    today = moment.today
    args = _month_phrases(args)
    if args and args[0].startswith("@"):
        month, active = _mark_words(args[1:], today)
        return _mark(conn, actor, args[0], month, active, moment)
    if len(args) > 2:
        raise ActiveUsage(args[2])
    months = [parse_month(word, today) for word in args]
    if not args:
        return _list(conn, actor, None, month_of(today))
    if len(args) == 1:
        named = months[0]
        if named is not None:
            return _list(conn, actor, None, named)
        return _list(conn, actor, args[0], month_of(today))
    # Two words: one the team, the other the month, in either order. When both read as a month,
    # a month's name (``may``) is tried as the team before ``thismonth`` or ``2026-10`` are.
    readings = sorted(
        (
            (args[team], when)
            for team, other in ((0, 1), (1, 0))
            if (when := months[other]) is not None
        ),
        key=lambda reading: not names_a_month(reading[0]),
    )
    if not readings:
        raise ActiveUsage(args[1])
    refusals: list[NoTeamCalled] = []
    for team_word, when in readings:
        try:
            team = team_to_act_on(conn, actor, team_word, Action.MARK_ACTIVE, unknown=NoTeamCalled)
        except NoTeamCalled as refusal:
            refusals.append(refusal)
            continue
        return _team_list(conn, team.id, team.name, when)
    raise refusals[0]


def _member_then(conn: Connection, actor: Actor, username: str, month: date) -> tuple[int, str]:
    # Whom ``username`` means for ``month``: (person id, display name) of the one person holding
    # it who was a member of a team the actor may mark on some day of ``month``.
    held = store.memberships_holding(
        conn, username=username, team_ids=actionable_team_ids(actor, Action.MARK_ACTIVE)
    )
    if not held:
        raise NoMemberToMark(username)
    last = month_end(month)
    then = [m for m in held if member_spans(m.tenure, month, last)]
    persons = {m.person_id for m in then or held}
    if len(persons) > 1:
        raise SeveralToMark(username)
    if not then:
        joined_after = all(m.tenure.joined_on > last for m in held)
        raise NotMemberThen(held[0].display_name, month, left=not joined_after)
    return then[0].person_id, then[0].display_name


def _mark(
    conn: Connection, actor: Actor, username: str, month: date, active: bool, moment: Moment
) -> ActiveMarked:
    person_id, name = _member_then(conn, actor, username, month)
    state = store.checkin_state(conn, person_id=person_id, month=month)
    was = _answer(state)
    if was is not None and was.active == active:
        return ActiveMarked(name, month, active, was, changed=False)
    now = moment.now
    by = people.ensure_person(conn, actor.identity, now=now)
    store.set_active(conn, person_id=person_id, month=month, active=active, now=now, marked_by=by)
    audit.record(
        conn,
        at=now,
        actor=by,
        action="mark_active",
        entity="person",
        entity_id=person_id,
        month=month.isoformat(),
        active=active,
        previous=None if was is None else was.active,
    )
    return ActiveMarked(name, month, active, was, changed=True)


def _list(conn: Connection, actor: Actor, team_word: str | None, month: date) -> ActiveList:
    if team_word is not None:
        team = team_to_act_on(conn, actor, team_word, Action.MARK_ACTIVE, unknown=NoTeamCalled)
        team_id, team_name = team.id, team.name
    else:
        allowed = [
            tr for tr in actor.teams if permits(actor, Action.MARK_ACTIVE, team_id=tr.team_id)
        ]
        default = actor.default_team
        pick = default if default in allowed else next(iter(allowed), None)
        if pick is None:
            raise ActiveUsage(None)
        team_id, team_name = pick.team_id, pick.name
    return _team_list(conn, team_id, team_name, month)


def _team_list(conn: Connection, team_id: int, team_name: str, month: date) -> ActiveList:
    last = month_end(month)
    members = [m for m in people.team_members(conn, team_id) if member_spans(m.tenure, month, last)]
    labels = distinct_names([(m.person_id, m.display_name, m.username) for m in members])
    states = store.month_checkins(conn, month=month, person_ids=[m.person_id for m in members])
    active: list[str] = []
    not_active: list[str] = []
    unanswered: list[str] = []
    for m in members:
        answer = _answer(states.get(m.person_id))
        where = unanswered if answer is None else active if answer.active else not_active
        where.append(labels[m.person_id])
    return ActiveList(team_name, month, tuple(active), tuple(not_active), tuple(unanswered))
