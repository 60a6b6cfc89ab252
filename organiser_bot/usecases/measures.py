"""``/measures``: the election review's rolling measures for the teams a person may see
(:mod:`organiser_bot.domain.measures` defines each one).

Every measure is read with one statement over all the teams shown (never one per team), summed
in SQL from the running totals; the days-present arithmetic is the domain's. The look is
recorded in the scrutiny ledger in the same transaction as the read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.measures import (
    RATE_ROLES,
    RESIDENT_CONTACT,
    KindChange,
    MonthActive,
    PersonRate,
    Rate,
    TeamMeasures,
    Windows,
    by_role,
    days_present,
    member_spans,
    month_end,
    pooled,
    windows,
)
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.names import distinct_names
from organiser_bot.domain.periods import PeriodError, parse_period
from organiser_bot.domain.permissions import permits
from organiser_bot.domain.refusals import Action, NoManagedTeam, UnknownTeam
from organiser_bot.domain.targets import AbsenceRow
from organiser_bot.usecases.actors import read_only
from organiser_bot.usecases.guards import permitted_teams, require_manager, seen_team
from organiser_bot.usecases.reports import BadPeriod, NoTeamOrPeriod, _starts_period
from organiser_bot.usecases.scrutiny import Look, record_looks
from storage import measures as store
from storage import people
from storage import targets as target_store
from storage.models import Team


@dataclass
class NoTeamOrPeriodToMeasure(NoTeamOrPeriod):
    """As :class:`~organiser_bot.usecases.reports.NoTeamOrPeriod`, for ``/measures``: the
    first word names no team whose measures the person may see and starts no period."""


#: Above this many people, absences are read for everyone rather than by a list of ids.
_ABSENCE_ID_LIMIT = 200
#: Above this many teams, the measures are read for every team and the others left out.
_LISTED_TEAMS = 50


def _labels(rows: Sequence[store.RateMember]) -> dict[int, str]:
    """:func:`~organiser_bot.domain.names.distinct_names` of ``rows``, without its work when
    every name is ASCII and no two are alike: for ASCII, ``name_key`` is the name lower-cased
    with its whitespace runs made one space (no format characters, NFKC the identity), and a
    name no one shares is its own label. ``/measures all`` labels every member of every team."""
    keys = set()
    for m in rows:
        if not m.display_name.isascii():
            break
        keys.add(" ".join(m.display_name.lower().split()))
    else:
        if len(keys) == len(rows):
            return {m.person_id: m.display_name for m in rows}
    return distinct_names([(m.person_id, m.display_name, m.username) for m in rows])


@read_only
def measures(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> tuple[TeamMeasures, ...]:
    """``/measures [team|all] [period]``: the rolling measures as at the period's end (today
    when sooner, or with no period).

    Managers see their teams per person and in aggregate, admins every team; other members
    their own teams' aggregates (per role and team) without per-person rows: the rows go with
    ``Action.SEE_TOTALS``. A manager's or admin's look is recorded (``Look.MEASURES``) for
    every team shown, in this transaction (a redelivered command is a new look).

    Args:
        args: Optionally a team's short name or ``all``, then a period
            (:func:`~organiser_bot.domain.periods.parse_period`); a first word that names no
            team the person may see is read as the start of the period. Without a team: the
            person's default team (an admin in no team: the first team by name).

    Returns:
        One :class:`TeamMeasures` per team shown, in the teams' order by name.

    Raises:
        NotPermitted: the person is in no team and not an admin.
        NoTeamOrPeriodToMeasure: the first word names no team the person may see and the words
            are no period (another team's short name alike).
        BadPeriod: the period could not be read.
        UnknownTeam: a team word (after which a period follows) the person may not see:
            answered exactly as a name no team has.
        NoManagedTeam: an admin when there is no team yet.
    """
    require_manager(actor, Action.SEE_MEASURES)
    visible = permitted_teams(actor, Action.SEE_MEASURES, people.list_teams(conn))
    who = args[0] if args else None
    period_text = " ".join(args[1:]) or None
    named: Team | None = None
    if who is not None and who.lower() != "all":
        named = seen_team(conn, actor, who)
        if named is None:
            # Not a team they may see: perhaps a period, e.g. "/measures lastmonth".
            period_text, who = " ".join(args), None
            if not _starts_period(args[0]):
                try:
                    parse_period(period_text, today=moment.today)
                except PeriodError:
                    raise NoTeamOrPeriodToMeasure(args[0], tuple(t.slug for t in visible)) from None
        elif not permits(actor, Action.SEE_MEASURES, team_id=named.id):  # pragma: no cover
            raise UnknownTeam(who)  # a team whose name one may see is one whose measures too
    try:
        period = parse_period(period_text, today=moment.today)
    except PeriodError as exc:
        raise BadPeriod(exc) from None
    if named is not None:
        teams = [named]
    elif who is not None:
        teams = visible
    else:
        chosen = actor.default_team
        teams = [t for t in visible if chosen and t.id == chosen.team_id] or visible[:1]
    if not teams:
        raise NoManagedTeam()
    spans = windows(today=moment.today, end=period.end)
    shown = team_measures(
        conn,
        teams,
        spans,
        per_person={t.id for t in teams if permits(actor, Action.SEE_TOTALS, team_id=t.id)},
        kind_order=moment.kinds.keys(),
    )
    record_looks(conn, actor, Look.MEASURES, [t.id for t in teams], moment=moment)
    return shown


def team_measures(
    conn: Connection,
    teams: Sequence[Team],
    spans: Windows,
    *,
    per_person: set[int],
    kind_order: Sequence[str] = (),
) -> tuple[TeamMeasures, ...]:
    """The measures of ``teams`` over ``spans``, with per-person rows for the teams in
    ``per_person``; kinds in ``kind_order`` first, then any others by key. Six statements
    whatever the number of teams."""
    # Every team (None) rather than a long list of ids: see storage.measures.
    ids = [t.id for t in teams] if len(teams) <= _LISTED_TEAMS else None
    first4, last4 = spans.weeks4
    members = store.rate_members(conn, team_ids=ids, roles=RATE_ROLES, first=first4, last=last4)
    person_ids = list(dict.fromkeys(m.person_id for m in members))
    away_rows = (
        target_store.absences(
            conn,
            start=first4,
            end=last4 + timedelta(days=1),
            person_ids=person_ids if len(person_ids) <= _ABSENCE_ID_LIMIT else None,
        )
        if person_ids
        else []
    )
    away: dict[int, list[AbsenceRow]] = defaultdict(list)
    for a in away_rows:
        away[a.person_id].append(a)
    contacts = store.kind_by_person(
        conn, team_ids=ids, kind=RESIDENT_CONTACT, first=first4, last=last4 - timedelta(days=6)
    )
    first13, last13 = spans.weeks13
    rolling = store.two_spans_by_kind(
        conn,
        team_ids=ids,
        first=spans.previous13[0],
        split=first13,
        last=last13 - timedelta(days=6),
    )
    months = [(m, month_end(m)) for m in spans.months]
    active: dict[tuple[int, date], int] = defaultdict(int)
    for counted in store.active_members(conn, team_ids=ids, months=months):
        if counted.tenure is None or member_spans(
            counted.tenure, counted.month, month_end(counted.month)
        ):
            active[(counted.team_id, counted.month)] += counted.count
    residents = store.residents_in_force(conn, team_ids=ids, month_ends=[e for _, e in months])

    by_team: dict[int, list[store.RateMember]] = defaultdict(list)
    for m in members:
        by_team[m.team_id].append(m)
    order = {kind: i for i, kind in enumerate(kind_order)}
    out = []
    for team in teams:
        rates = []
        for m in by_team.get(team.id, ()):
            count = contacts.get((team.id, m.person_id), 0)
            present = days_present(m.tenure, away.get(m.person_id, ()), first=first4, last=last4)
            # Someone whose every day of the weeks fell in a gap of their membership is not
            # listed (unless they logged a contact then); someone away all of them is.
            if present or count or member_spans(m.tenure, first4, last4):
                rates.append((m, Rate(count, present)))
        names = _labels([m for m, _ in rates]) if team.id in per_person else {}
        kinds = rolling.get(team.id, {})
        figures = residents.get(team.id)
        out.append(
            TeamMeasures(
                team_id=team.id,
                team_name=team.name,
                weeks4=spans.weeks4,
                weeks13=spans.weeks13,
                previous13=spans.previous13,
                rolling13=tuple(
                    KindChange(kind, *kinds[kind])
                    for kind in sorted(kinds, key=lambda k: (order.get(k, len(order)), k))
                ),
                people=tuple(
                    PersonRate(m.person_id, names[m.person_id], m.role, rate) for m, rate in rates
                )
                if team.id in per_person
                else (),
                by_role=by_role((m.role, rate) for m, rate in rates),
                team_rate=pooled(rate for _, rate in rates),
                months=tuple(
                    MonthActive(
                        month,
                        figures[i] if figures is not None else None,
                        active.get((team.id, month), 0),
                        month == spans.current_month,
                    )
                    for i, month in enumerate(spans.months)
                ),
            )
        )
    return tuple(out)
