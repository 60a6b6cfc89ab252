"""Use cases that read: my week, my diary, team totals, members, targets (the CSV export is
:mod:`organiser_bot.usecases.exports`, my data :mod:`organiser_bot.usecases.privacy`).

Each returns a typed outcome or raises a :class:`~organiser_bot.domain.refusals.Refusal`; the
refusals particular to these commands are defined here and worded by the adapter.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.names import distinct_names
from organiser_bot.domain.periods import Period, PeriodError, as_utc, parse_period
from organiser_bot.domain.permissions import permits
from organiser_bot.domain.refusals import Action, NoManagedTeam, Refusal, UnknownTeam
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import (
    Pace,
    expected_by,
    pace,
    period_targets,
)
from organiser_bot.domain.teams import slugify
from organiser_bot.usecases import logbook
from organiser_bot.usecases.actors import read_only
from organiser_bot.usecases.guards import (
    permitted_teams,
    require_manager,
    require_member,
    seen_team,
)
from organiser_bot.usecases.identities import SeveralHold, UnknownMember
from organiser_bot.usecases.scrutiny import Look, record_looks
from storage import activities, chats, people
from storage import targets as target_store

#: Most entries ``/diary`` lists at once.
DIARY_LIMIT = 200


# Refusals particular to these commands. Each leaves the database as it was.


@dataclass
class BadPeriod(Refusal):
    """The period text could not be read; ``error`` says why."""

    error: PeriodError


@dataclass
class NoTeamOrPeriod(Refusal):
    """The first word (``typed``) names no team the person may see and does not start a
    period; ``slugs`` are the short names of the teams they may see, by name."""

    typed: str
    slugs: tuple[str, ...]


#: First words that start a period (:func:`~organiser_bot.domain.periods.parse_period`).
PERIOD_WORDS = frozenset(
    {"week", "this", "thisweek", "last", "lastweek", "month", "thismonth", "lastmonth"}
    | {"today", "yesterday"}
)


def starts_period(word: str) -> bool:
    """Whether ``word`` could begin a period: a period word, or a digit first (``4w``,
    ``2026-W47``, ``2026-11-20``)."""
    return word.lower() in PERIOD_WORDS or (word[:1].isascii() and word[:1].isdigit())


# Outcomes.


@dataclass(frozen=True, slots=True)
class KindWeek:
    """One kind in a person's week: the count so far and, with a target, the pace.

    Attributes:
        kind: The kind's key.
        done: Entries counted this week.
        target: The week's target, pro-rated for absence; None when the kind has none.
        pace: Where ``done`` stands against ``target`` today; None without a target.
        expected: What a steady pace would have reached by today (0 without a target).
    """

    kind: str
    done: int
    target: int | None = None
    pace: Pace | None = None
    expected: float = 0.0


@dataclass(frozen=True, slots=True)
class TeamWeek:
    """A person's week in one team: days away, and each kind with a target or an entry;
    ``joined_on`` is the day they joined when it falls in this week (targets and pace count
    from then), else None."""

    team_name: str
    away: int
    kinds: tuple[KindWeek, ...]
    joined_on: date | None = None


@dataclass(frozen=True, slots=True)
class MyWeek:
    """``/week``: the week starting ``monday`` in each of the person's teams."""

    monday: date
    days_left: int
    teams: tuple[TeamWeek, ...]


@dataclass(frozen=True, slots=True)
class DiaryEntry:
    """One entry in a person's diary.

    Attributes:
        on: The local day it counts for.
        at: When it happened, in the configured zone, when the person gave a time of day;
            None otherwise (the day alone is known).
        count: How many.
        kind: The kind's key.
        team_slug: The team's short name when the person is in more than one team, else None.
        note: The note, if any.
    """

    on: date
    at: datetime | None
    count: int
    kind: str
    team_slug: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Diary:
    """``/diary``: a person's entries over ``period``, oldest first; ``truncated`` when only
    the first ``DIARY_LIMIT`` are listed."""

    period: Period
    entries: tuple[DiaryEntry, ...]
    truncated: bool


@dataclass(frozen=True, slots=True)
class MemberTotals:
    """One member's totals and targets over a period.

    Attributes:
        name: Display name, with ``(@username)`` or ``(n)`` when another member of the team
            shares it (:func:`~organiser_bot.domain.names.distinct_names`).
        totals: Count per kind key.
        targets: Target per kind key, summed over the period's weeks (zeros left out).
        weeks_away: Weeks of absence over the period.
        joined_on: The day they joined the team, when it falls inside the period (targets count
            from then); None otherwise.
        left_on: Their last day in the team, when it falls inside the period; None otherwise.
    """

    person_id: int
    name: str
    role: Role
    totals: dict[str, int]
    targets: dict[str, int]
    weeks_away: float
    joined_on: date | None = None
    left_on: date | None = None


@dataclass(frozen=True, slots=True)
class TeamTotals:
    """One team's members' totals over ``period``."""

    team_name: str
    period: Period
    members: tuple[MemberTotals, ...]

    def summary(self) -> tuple[tuple[str, int, int | None], ...]:
        """The team's (kind key, total, summed target or None) per kind, kinds with targets
        first, each in the order members first show them."""
        done: dict[str, int] = defaultdict(int)
        target: dict[str, int] = defaultdict(int)
        for m in self.members:
            for kind in dict.fromkeys([*m.targets, *m.totals]):
                done[kind] += m.totals.get(kind, 0)
                if m.targets.get(kind):
                    target[kind] += m.targets[kind]
        return tuple(
            (kind, done[kind], target.get(kind) or None) for kind in dict.fromkeys([*target, *done])
        )


@dataclass(frozen=True, slots=True)
class ListedMember:
    """A member as ``/team`` lists them.

    Attributes:
        name: Display name, with ``(@username)`` or ``(n)`` when another member shares it
            (:func:`~organiser_bot.domain.names.distinct_names`).
    """

    name: str
    username: str | None
    role: Role


@dataclass(frozen=True, slots=True)
class TeamListing:
    """A team, whether it has a group chat bound, and its members by name."""

    name: str
    slug: str
    has_chat: bool
    members: tuple[ListedMember, ...]


def _period(text: str | None, *, today: date) -> Period:
    try:
        return parse_period(text, today=today)
    except PeriodError as exc:
        raise BadPeriod(exc) from None


@read_only
def my_week(conn: Connection, actor: Actor, *, moment: Moment) -> MyWeek:
    """``/week``: each kind's total against target, days left, and whether on pace.

    Raises:
        NotAMember: the person is in no team.
    """
    require_member(actor, Action.SEE_WEEK)
    monday = moment.this_monday
    elapsed = moment.days_elapsed
    teams = []
    for team in actor.teams:
        totals, targets, away, joined = logbook.week_joined_on(conn, actor, team, monday=monday)
        joined_day = (joined - monday).days if joined is not None else 0
        kinds = []
        for kind in dict.fromkeys([*targets, *totals]):
            done = totals.get(kind, 0)
            target = targets.get(kind)
            if target is None:
                kinds.append(KindWeek(kind, done))
                continue
            kinds.append(
                KindWeek(
                    kind,
                    done,
                    target,
                    pace(done, target, days_elapsed=elapsed, away=away, joined_day=joined_day),
                    expected_by(target, days_elapsed=elapsed, away=away, joined_day=joined_day),
                )
            )
        teams.append(TeamWeek(team.name, away, tuple(kinds), joined))
    return MyWeek(monday, 7 - elapsed, tuple(teams))


@read_only
def my_diary(conn: Connection, actor: Actor, args: list[str], *, moment: Moment) -> Diary:
    """``/diary [period]``: the caller's dated entries, notes included (theirs alone).

    Raises:
        NotAMember: the person is in no team.
        BadPeriod: the period could not be read.
    """
    person_id = require_member(actor, Action.SEE_DIARY)
    period = _period(" ".join(args) or None, today=moment.today)
    rows = activities.diary(
        conn, person_id=person_id, start=period.start, end=period.end, limit=DIARY_LIMIT
    )
    slugs = {tr.team_id: tr.slug for tr in actor.teams}
    several = len(slugs) > 1
    entries = tuple(
        DiaryEntry(
            r.occurred_on,
            as_utc(r.occurred_at).astimezone(moment.tz) if r.time_given else None,
            r.count,
            r.kind,
            slugs.get(r.team_id) if several else None,
            r.note,
        )
        for r in rows
    )
    return Diary(period, entries, len(rows) >= DIARY_LIMIT)


def team_totals(conn: Connection, team_id: int, period: Period) -> list[MemberTotals]:
    """Totals per member and kind over ``period``, with targets summed over its weeks (each
    pro-rated for absence, for the days outside the member's membership period and for weeks
    the period covers only in part). Someone who was not a member at any time in the period is
    left out unless they logged something in it (then with counts only). Members who share a
    display name are told apart (:func:`~organiser_bot.domain.names.distinct_names`)."""
    members = people.team_members(conn, team_id)
    names = distinct_names([(m.person_id, m.display_name, m.username) for m in members])
    ids = [m.person_id for m in members]
    totals = activities.totals_by_member(conn, team_id=team_id, start=period.start, end=period.end)
    overrides = target_store.overrides(conn, team_ids=[team_id])
    absences = target_store.absences(conn, start=period.start, end=period.end, person_ids=ids)
    out = []
    last_day = period.end - timedelta(days=1)
    for m in members:
        counts = dict(totals.get(m.person_id, {}))
        overlaps = m.joined_on <= last_day and (m.left_on is None or m.left_on >= period.start)
        if not overlaps and not any(counts.values()):
            continue
        targets, away = period_targets(
            role=m.role,
            person_id=m.person_id,
            team_id=team_id,
            overrides=overrides,
            absences=[a for a in absences if a.person_id == m.person_id],
            period=period,
            tenure=m.tenure,
        )
        out.append(
            MemberTotals(
                m.person_id,
                names[m.person_id],
                m.role,
                counts,
                targets,
                away,
                # Only a change inside the period is worth a note: someone who joined on its
                # first day (or left on its last) was a member for all of it.
                m.tenure.joined_between(period.start, last_day),
                m.tenure.left_between(period.start, last_day),
            )
        )
    return out


@read_only
def totals(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> tuple[TeamTotals, ...]:
    """``/totals [team|all|@user] [period]`` for managers (their teams) and admins (all).

    Args:
        args: Optionally a team's short name, ``all`` or an ``@username``, then a period; a
            first word that names no team is read as the start of the period.

    Returns:
        One block per team shown; for an ``@username``, only the teams they are in, with
        only them as members. Each team shown is a look in the scrutiny ledger (with the person
        as its subject for an ``@username``), recorded in this transaction when the caller
        stands as a manager or admin towards it
        (:func:`~organiser_bot.usecases.scrutiny.record_looks`).

    Raises:
        NotPermitted: the person is neither a manager nor an admin.
        NoTeamOrPeriod: the first word names no team the person may see, does not start a
            period, and the words are no period.
        BadPeriod: the period could not be read.
        UnknownMember: no one in the teams the person may see has that ``@username`` (also
            when someone in another team has it: the reply reveals nothing about that team).
        SeveralHold: more than one person in those teams holds that ``@username``.
        UnknownTeam: the person manages no team of that name.
        NoManagedTeam: the person manages no team at all.
    """
    require_manager(actor, Action.SEE_TOTALS)
    who = args[0] if args else None
    period_text = " ".join(args[1:]) or None
    if (
        who is not None
        and not who.startswith("@")
        and who.lower() != "all"
        and seen_team(conn, actor, who) is None
    ):
        # Not a team: perhaps a period, e.g. "/totals 4w".
        period_text, who = " ".join(args), None
        if not starts_period(args[0]):
            try:
                parse_period(period_text, today=moment.today)
            except PeriodError:
                seen = permitted_teams(actor, Action.SEE_TOTALS, people.list_teams(conn))
                raise NoTeamOrPeriod(args[0], tuple(t.slug for t in seen)) from None
    period = _period(period_text, today=moment.today)
    managed = permitted_teams(actor, Action.SEE_TOTALS, people.list_teams(conn))
    if who is None:
        chosen = actor.default_team
        teams = [t for t in managed if chosen and t.id == chosen.team_id] or managed[:1]
    elif who.lower() == "all":
        teams = managed
    elif who.startswith("@"):
        holders = {p.id for p in people.people_with_username(conn, who)}
        blocks: list[TeamTotals] = []
        looked: list[int] = []
        for team in managed if holders else ():
            rows = [m for m in team_totals(conn, team.id, period) if m.person_id in holders]
            if rows:
                blocks.append(TeamTotals(team.name, period, tuple(rows)))
                looked.append(team.id)
        if not blocks:
            raise UnknownMember(who)
        subjects = {m.person_id for b in blocks for m in b.members}
        if len(subjects) > 1:
            # Two people hold it (one gave it up unseen): never added together as one.
            slugs = [t.slug for t in managed if any(b.team_name == t.name for b in blocks)]
            raise SeveralHold(who, tuple(slugs))
        record_looks(conn, actor, Look.TOTALS, looked, moment=moment, subject=subjects.pop())
        return tuple(blocks)
    else:
        named = seen_team(conn, actor, who)
        if named is None or not permits(actor, Action.SEE_TOTALS, team_id=named.id):
            raise UnknownTeam(who)
        teams = [named]
    if not teams:
        raise NoManagedTeam()
    shown = tuple(TeamTotals(t.name, period, tuple(team_totals(conn, t.id, period))) for t in teams)
    record_looks(conn, actor, Look.TOTALS, [t.id for t in teams], moment=moment)
    return shown


@read_only
def team_listing(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> tuple[TeamListing, ...]:
    """``/team [team]``: current members and roles (managers of that team and admins); members
    who have left are not listed. Each team listed is a look in the scrutiny ledger, recorded
    in this transaction (:func:`~organiser_bot.usecases.scrutiny.record_looks`; ``moment``
    gives its time).

    Returns:
        The team named, or every team the person manages (none when there are no teams).

    Raises:
        NotPermitted: the person is neither a manager nor an admin.
        UnknownTeam: the person manages no team of that name.
    """
    require_manager(actor, Action.LIST_MEMBERS)
    if args:
        team = people.find_team(conn, slugify(args[0]))
        if team is None or not permits(actor, Action.LIST_MEMBERS, team_id=team.id):
            raise UnknownTeam(args[0])
        teams = [team]
    else:
        teams = permitted_teams(actor, Action.LIST_MEMBERS, people.list_teams(conn))
    bound = {team.id for team, _ in chats.bound_chats(conn)}
    listings = []
    for team in teams:
        # Told apart as in /totals and the digest: labels from everyone who has been a member.
        everyone = people.team_members(conn, team.id)
        names = distinct_names([(m.person_id, m.display_name, m.username) for m in everyone])
        current = people.team_members(conn, team.id, current=True)
        listed = tuple(ListedMember(names[m.person_id], m.username, m.role) for m in current)
        listings.append(TeamListing(team.name, team.slug, team.id in bound, listed))
    record_looks(conn, actor, Look.TEAM, [t.id for t in teams], moment=moment)
    return tuple(listings)
