"""The weekly digest as use cases: build it from storage, preview it, report the ledger, nudge.

The digest's data and its text summary are domain (:mod:`organiser_bot.domain.digest`); this
module reads what they are computed from, in a handful of queries in one transaction. Counts
only: nothing here ever reads a note.

Also here, because they share the member-week arithmetic: the mid-week nudge (who is behind
pace), the ``/digest`` preview and the ``/ledger`` report. Each returns typed data or raises a
:class:`~organiser_bot.domain.refusals.Refusal`; the adapter words it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.digest import (
    CrossTeam,
    MemberWeek,
    TeamDigest,
    TrendPoint,
    WeekScrutiny,
    cross_team,
    kinds_shown,
    scrutiny,
    team_attainment,
)
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.names import distinct_names
from organiser_bot.domain.periods import iso_week_label, local_date, to_utc, week_monday
from organiser_bot.domain.permissions import Place, permits
from organiser_bot.domain.refusals import Action, NotPermitted, Refusal
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import (
    AbsenceRow,
    Pace,
    TargetRow,
    effective_targets,
    expected_by,
    joined_day,
    pace,
    prorated_week,
)
from organiser_bot.usecases.actors import read_only
from storage import activities, chats, ledger, people
from storage import scrutiny as scrutiny_store
from storage import targets as target_store
from storage.models import Team
from storage.people import TeamMember

__all__ = [
    "TREND_WEEKS",
    "Behind",
    "ChatNotBound",
    "Nudge",
    "build_team_digest",
    "build_week",
    "build_week_by_slug",
    "build_week_by_team",
    "nudges_due",
    "preview_for_chat",
]

#: Weeks shown in the trend chart, ending with the digest's week.
TREND_WEEKS = 13

_WEEK = timedelta(days=7)
_UTC = ZoneInfo("UTC")


# --- Loading -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Loaded:
    """Everything a set of teams' digests are computed from, read in a handful of queries."""

    teams: Mapping[int, Team]
    members: Mapping[int, list[TeamMember]]
    # (team, person) -> kind -> seven daily counts, Monday first.
    daily: Mapping[tuple[int, int], Mapping[str, list[int]]]
    overrides: list[TargetRow]
    absences: Mapping[int, list[AbsenceRow]]
    # team -> Monday -> kind -> total, for the trend (only teams a trend was asked for).
    weekly: Mapping[int, Mapping[date, Mapping[str, int]]]
    # team -> the Monday of the week it was created in (local): no trend, no median before.
    started: Mapping[int, date]
    # (team, person) -> effective weekly targets before pro-rating, filled as first needed:
    # they are the same every week, and the trend asks for 13 weeks of each member.
    bases: dict[tuple[int, int], dict[str, int]] = field(default_factory=dict)


def _load(
    conn: Connection,
    *,
    monday: date,
    team_ids: Sequence[int],
    trend_team_ids: Sequence[int],
    tz: ZoneInfo | None,
) -> _Loaded:
    wanted = set(team_ids)
    teams = {t.id: t for t in people.list_teams(conn) if t.id in wanted}
    members = {team_id: people.team_members(conn, team_id) for team_id in teams}
    daily = activities.week_by_day(conn, monday=monday, team_ids=list(teams))
    first = monday - (TREND_WEEKS - 1) * _WEEK
    person_ids = sorted({m.person_id for ms in members.values() for m in ms})
    absences: dict[int, list[AbsenceRow]] = defaultdict(list)
    for a in target_store.absences(conn, start=first, end=monday + _WEEK, person_ids=person_ids):
        absences[a.person_id].append(a)
    mondays = [first + i * _WEEK for i in range(TREND_WEEKS)]
    weekly = {
        team_id: activities.weekly_team_totals(conn, team_id=team_id, mondays=mondays)
        for team_id in trend_team_ids
        if team_id in teams
    }
    return _Loaded(
        teams=teams,
        members=members,
        daily=daily,
        overrides=target_store.overrides(conn, team_ids=list(teams)),
        absences=absences,
        weekly=weekly,
        started={
            team_id: week_monday(local_date(team.created_at, tz or _UTC))
            for team_id, team in teams.items()
        },
    )


def _week_scrutiny(
    conn: Connection, *, monday: date, tz: ZoneInfo | None, team_ids: Sequence[int]
) -> WeekScrutiny:
    """The looks at each team's figures during the week starting ``monday`` (local Monday 00:00
    to the next Monday 00:00, as UTC instants), and the median over the teams that get a
    digest: those bound to a chat and created before the week ended, whichever of them are
    being built (a catch-up run builds only those still owed one), so a dry run shows what the
    run sends. With no chat bound at
    all (``organiser-bot demo``), the teams in ``team_ids`` are the ones that get one."""
    zone = tz or _UTC
    start, end = to_utc(monday, time(0), zone), to_utc(monday + _WEEK, time(0), zone)
    # A team created after the week is not a team of that week (as in the cross-team median).
    receiving = [team.id for team, _ in chats.bound_chats(conn) if team.created_at < end]
    receiving = receiving or list(team_ids)
    return scrutiny(scrutiny_store.looks_by_team(conn, start=start, end=end), receiving)


# --- Building ------------------------------------------------------------------------------------


def _member_targets(
    data: _Loaded, team_id: int, member: TeamMember, monday: date
) -> tuple[dict[str, int], int]:
    """(pro-rated targets, days away) of one member in one week: the rule /week uses too
    (:func:`~organiser_bot.domain.targets.week_targets`), membership period included."""
    key = (team_id, member.person_id)
    base = data.bases.get(key)
    if base is None:
        base = data.bases[key] = effective_targets(
            role=member.role, person_id=member.person_id, team_id=team_id, overrides=data.overrides
        )
    return prorated_week(
        base,
        absences=data.absences.get(member.person_id, ()),
        monday=monday,
        tenure=member.tenure,
    )


def _member_weeks(data: _Loaded, team_id: int, monday: date) -> list[MemberWeek]:
    out = []
    members = data.members.get(team_id, [])
    # Labels from everyone who has been a member, so they stay the same from week to week.
    names = distinct_names([(m.person_id, m.display_name, m.username) for m in members])
    for m in members:
        targets, away = _member_targets(data, team_id, m, monday)
        daily = {k: tuple(v) for k, v in sorted(data.daily.get((team_id, m.person_id), {}).items())}
        logged = any(sum(v) for v in daily.values())
        member_days = m.tenure.week_days(monday)
        # A week wholly outside someone's membership lists them only for what they logged.
        # Managers are listed only when they have something to measure; field roles always are,
        # so a member who logged nothing shows as 0/T rather than quietly disappearing.
        if not logged and not any(member_days):
            continue
        if m.role is Role.MANAGER and not targets and not logged:
            continue
        out.append(MemberWeek(names[m.person_id], m.role.value, daily, targets, away, member_days))
    return out


def _trend(data: _Loaded, team_id: int, monday: date) -> tuple[TrendPoint, ...]:
    points = []
    weekly = data.weekly.get(team_id, {})
    started = data.started.get(team_id, monday)
    for i in range(TREND_WEEKS):
        week = monday - (TREND_WEEKS - 1 - i) * _WEEK
        if week < started:
            continue
        targets: dict[str, int] = defaultdict(int)
        for m in data.members.get(team_id, []):
            for kind, n in _member_targets(data, team_id, m, week)[0].items():
                targets[kind] += n
        points.append(
            TrendPoint(
                iso_week_label(week),
                dict(sorted(weekly.get(week, {}).items())),
                dict(sorted(targets.items())),
            )
        )
    return tuple(points)


def _digest(
    data: _Loaded,
    team_id: int,
    members: list[MemberWeek],
    *,
    monday: date,
    kinds: KindRegistry,
    preview: bool,
    cross: CrossTeam | None,
    looked: WeekScrutiny,
) -> TeamDigest:
    shown = kinds_shown(members, kinds)
    return TeamDigest(
        team_name=data.teams[team_id].name,
        iso_week=iso_week_label(monday),
        week_start=monday,
        kinds=shown,
        kind_labels={k: kinds.get(k).label for k in shown},
        members=tuple(members),
        trend=_trend(data, team_id, monday),
        attainment=team_attainment(members),
        cross_team_median=cross.median if cross else None,
        teams_compared=cross.teams if cross else 0,
        preview=preview,
        looks=looked.of(team_id),
        looks_median=looked.median,
    )


def build_team_digest(
    conn: Connection,
    *,
    team_id: int,
    monday: date,
    kinds: KindRegistry,
    preview: bool = False,
    cross: CrossTeam | None = None,
    tz: ZoneInfo | None = None,
) -> TeamDigest:
    """One team's digest for the ISO week starting ``monday``.

    Members come with their daily counts per kind (Monday to Sunday, from the daily totals), their
    week targets (:func:`~organiser_bot.domain.targets.week_targets`) and their days away; the
    trend covers the 13 weeks ending with this one, with the team's totals and the sum of its
    members' targets for each week, starting no earlier than the week the team was created.
    Targets count only the days of each member's membership period. The team's looks that week
    are compared with the median over the teams bound to a chat (this one alone when none is).

    Args:
        conn: A connection in a transaction.
        team_id: The team.
        monday: The week's Monday (local date); any other day is moved back to its Monday.
        kinds: The kind registry, for display order and labels.
        preview: Mark the digest as a mid-week preview.
        cross: The cross-team context, when the caller computed it (see :func:`build_week`).
        tz: The zone (``TIMEZONE``) the team's creation is dated in; None dates it in UTC.

    Returns:
        The digest.

    Raises:
        LookupError: No live team has that id.
    """
    monday = week_monday(monday)
    data = _load(conn, monday=monday, team_ids=[team_id], trend_team_ids=[team_id], tz=tz)
    if team_id not in data.teams:
        raise LookupError(f"no live team with id {team_id}")
    members = _member_weeks(data, team_id, monday)
    looked = _week_scrutiny(conn, monday=monday, tz=tz, team_ids=[team_id])
    return _digest(
        data,
        team_id,
        members,
        monday=monday,
        kinds=kinds,
        preview=preview,
        cross=cross,
        looked=looked,
    )


def build_week(
    conn: Connection,
    *,
    monday: date,
    kinds: KindRegistry,
    team_ids: Sequence[int] | None = None,
    preview: bool = False,
    tz: ZoneInfo | None = None,
) -> list[TeamDigest]:
    """Every team's digest for one week, with one cross-team median shared by all of them.

    The median is taken once, over every live team that had targets that week (whether or not it
    has a chat, and whether or not it is in ``team_ids``), so every digest carries the very same
    number. A team created after the week is not compared.

    Likewise the scrutiny line: each team's looks during the week (Monday 00:00 to Monday 00:00
    local time), against one median over every team bound to a chat (every team built here
    when none is), zeros included, whichever teams are built.

    Args:
        conn: A connection in a transaction.
        monday: The week's Monday (local date).
        kinds: The kind registry.
        team_ids: Build only these teams' digests (the median still covers every team).
        preview: Mark the digests as mid-week previews.
        tz: The zone (``TIMEZONE``) teams' creation is dated in; None dates it in UTC.

    Returns:
        The digests, ordered by team name; unknown or archived ids are left out.
    """
    built = build_week_by_team(
        conn, monday=monday, kinds=kinds, team_ids=team_ids, preview=preview, tz=tz
    )
    return list(built.values())


def build_week_by_team(
    conn: Connection,
    *,
    monday: date,
    kinds: KindRegistry,
    team_ids: Sequence[int] | None = None,
    preview: bool = False,
    tz: ZoneInfo | None = None,
) -> dict[int, TeamDigest]:
    """:func:`build_week`, keyed by team id (in the same order)."""
    monday = week_monday(monday)
    all_ids = [t.id for t in people.list_teams(conn)]
    wanted = all_ids if team_ids is None else [i for i in all_ids if i in set(team_ids)]
    data = _load(conn, monday=monday, team_ids=all_ids, trend_team_ids=wanted, tz=tz)
    members = {team_id: _member_weeks(data, team_id, monday) for team_id in all_ids}
    cross = cross_team(
        team_attainment(ms) for team_id, ms in members.items() if data.started[team_id] <= monday
    )
    looked = _week_scrutiny(conn, monday=monday, tz=tz, team_ids=wanted)
    return {
        team_id: _digest(
            data,
            team_id,
            members[team_id],
            monday=monday,
            kinds=kinds,
            preview=preview,
            cross=cross,
            looked=looked,
        )
        for team_id in wanted
    }


def build_week_by_slug(
    conn: Connection, *, monday: date, kinds: KindRegistry, tz: ZoneInfo | None = None
) -> dict[str, TeamDigest]:
    """Every live team's digest for one week keyed by the team's short name, in name order.

    For files named after teams (``organiser-bot digest --dry-run``, ``organiser-bot demo``).
    """
    slugs = {t.id: t.slug for t in people.list_teams(conn)}
    built = build_week_by_team(conn, monday=monday, kinds=kinds, tz=tz)
    return {slugs[team_id]: d for team_id, d in built.items()}


# --- /digest preview -----------------------------------------------------------------------------


class ChatNotBound(Refusal):
    """A team-chat request in a group that is not bound to any team."""


@read_only
def preview_for_chat(conn: Connection, actor: Actor, chat_id: int, *, moment: Moment) -> TeamDigest:
    """``/digest`` in a team chat: the digest of this week so far, marked as a preview.

    Only the team's manager or an admin may post it; it is never written to the ledger.

    Returns:
        The team's preview digest (its cross-team median covers every team).

    Raises:
        ChatNotBound: The chat is not a team's chat.
        NotPermitted: The actor may not manage the chat's team (``Action.PREVIEW_DIGEST``).
    """
    team = chats.team_for_chat(conn, chat_id)
    if team is None:
        raise ChatNotBound()
    if not permits(actor, Action.PREVIEW_DIGEST, team_id=team.id, place=Place.GROUP):
        # The chat is the team's own, where its digest is posted under its name: naming the
        # team there tells no one in the group anything new.
        raise NotPermitted(Action.PREVIEW_DIGEST, team.name)
    [digest] = build_week(
        conn,
        monday=moment.this_monday,
        kinds=moment.kinds,
        team_ids=[team.id],
        preview=True,
        tz=moment.tz,
    )
    return digest


# --- Mid-week nudges -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Behind:
    """One kind a person is behind pace on, in one team.

    Attributes:
        kind: The kind's key.
        label: Its human label.
        team_name: The team, when the person is in more than one (None otherwise).
        done: Done so far this week.
        target: The week's target.
        expected: What a steady pace would have done by today
            (:func:`~organiser_bot.domain.targets.expected_by`).
    """

    kind: str
    label: str
    team_name: str | None
    done: int
    target: int
    expected: float


@dataclass(frozen=True, slots=True)
class Nudge:
    """A private reminder for one person who is behind pace.

    Attributes:
        person_id: Who.
        telegram_user_id: Their private chat.
        iso_week: The week it is for (a person is nudged at most once per week).
        behind: What they are behind on, by team name then kind.
    """

    person_id: int
    telegram_user_id: int
    iso_week: str
    behind: tuple[Behind, ...]


def nudges_due(conn: Connection, *, moment: Moment) -> list[Nudge]:
    """Members behind pace this week who have not paused nudges nor been nudged this week.

    Behind pace is :func:`~organiser_bot.domain.targets.pace`'s ``BEHIND`` for some kind with a
    target (today counts as a day so far), the rule ``/week`` uses. Members away all week,
    managers without targets, paused members and members who have left are never nudged. One
    nudge per person, covering every team they are behind in.

    Returns:
        Nudges ordered by person id.
    """
    monday = moment.this_monday
    week = iso_week_label(monday)
    elapsed = moment.days_elapsed
    teams = people.list_teams(conn)
    data = _load(
        conn, monday=monday, team_ids=[t.id for t in teams], trend_team_ids=[], tz=moment.tz
    )
    already = ledger.nudged(conn, iso_week=week)
    memberships: dict[int, int] = defaultdict(int)
    for ms in data.members.values():
        for m in ms:
            memberships[m.person_id] += 1
    behind: dict[int, list[Behind]] = defaultdict(list)
    who: dict[int, TeamMember] = {}
    for team in sorted(data.teams.values(), key=lambda t: (t.name, t.id)):
        for m in data.members.get(team.id, []):
            if m.nudges_paused or m.person_id in already or m.left_on is not None:
                continue
            targets, away = _member_targets(data, team.id, m, monday)
            if away >= 7:
                continue
            joined = joined_day(m.tenure, monday)
            counts = data.daily.get((team.id, m.person_id), {})
            for kind, target in sorted(targets.items()):
                done = sum(counts.get(kind, ()))
                if (
                    pace(done, target, days_elapsed=elapsed, away=away, joined_day=joined)
                    is not Pace.BEHIND
                ):
                    continue
                behind[m.person_id].append(
                    Behind(
                        kind,
                        moment.kinds.get(kind).label,
                        team.name if memberships[m.person_id] > 1 else None,
                        done,
                        target,
                        expected_by(target, days_elapsed=elapsed, away=away, joined_day=joined),
                    )
                )
                who[m.person_id] = m
    return [
        Nudge(person_id, who[person_id].telegram_user_id, week, tuple(behind[person_id]))
        for person_id in sorted(behind)
    ]
