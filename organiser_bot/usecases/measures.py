"""``/measures``: the election review's rolling measures for the teams a person may see
(:mod:`organiser_bot.domain.measures` defines each one).

Every measure is read with one statement over all the teams shown (never one per team), summed
in SQL from the running totals; the days-present arithmetic is the domain's. One team is shown
in full (per person to its managers and admins); several as a line per team
(:func:`summary`), which makes nothing per member but for the few not present throughout the
four weeks, and shows each team's figures as kept (:mod:`storage.measures_cache`) until a write
they were read from changes them. The look is recorded in the scrutiny ledger in the same
transaction as the read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.measures import (
    RATE_ROLES,
    RESIDENT_CONTACT,
    KindChange,
    MeasuresSummary,
    MonthActive,
    PersonRate,
    Rate,
    RoleFigures,
    TeamFigures,
    TeamMeasures,
    TeamSummary,
    Windows,
    by_role,
    days_present,
    member_spans,
    pooled,
    windows,
)
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.names import distinct_names
from organiser_bot.domain.periods import PeriodError, month_end, parse_period
from organiser_bot.domain.permissions import permits
from organiser_bot.domain.refusals import Action, NoManagedTeam, UnknownTeam
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import AbsenceRow
from organiser_bot.usecases.actors import read_only
from organiser_bot.usecases.guards import permitted_teams, require_manager, seen_team
from organiser_bot.usecases.reports import BadPeriod, NoTeamOrPeriod, starts_period
from organiser_bot.usecases.scrutiny import Look, record_looks
from storage import measures as store
from storage import measures_cache as cache
from storage import targets as target_store


@dataclass
class NoTeamOrPeriodToMeasure(NoTeamOrPeriod):
    """As :class:`~organiser_bot.usecases.reports.NoTeamOrPeriod`, for ``/measures``: the
    first word names no team whose measures the person may see and starts no period."""


#: Above this many people, absences are read for everyone rather than by a list of ids.
_ABSENCE_ID_LIMIT = 200
#: Above this many teams, the measures are read for every team and the others left out.
_LISTED_TEAMS = 50


@read_only
def measures(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> TeamMeasures | MeasuresSummary:
    """``/measures [team|all] [period]``: the rolling measures as at the period's end (today
    when sooner, or with no period).

    One team shown (named, the default, or ``all`` when one may see one): its
    :class:`TeamMeasures`, per person to those with ``Action.SEE_TOTALS`` there (managers,
    admins), else per role and for the team only. Several teams: a :class:`MeasuresSummary`,
    a line per team and each role pooled over them all, nobody's own figures. A manager's or
    admin's look is recorded (``Look.MEASURES``) for every team shown, in this transaction (a
    redelivered command is a new look).

    Args:
        args: Optionally a team's short name or ``all``, then a period
            (:func:`~organiser_bot.domain.periods.parse_period`); a first word that names no
            team the person may see is read as the start of the period. Without a team: the
            person's default team (an admin in no team: the first team by name).

    Returns:
        The one team's measures, or the summary of several, teams in order by name.

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
    visible = permitted_teams(actor, Action.SEE_MEASURES, store.live_teams(conn))
    who = args[0] if args else None
    period_text = " ".join(args[1:]) or None
    named: store.TeamRow | None = None
    if who is not None and who.lower() != "all":
        found = seen_team(conn, actor, who)
        named = store.TeamRow(found.id, found.name, found.slug) if found is not None else None
        if named is None:
            # Not a team they may see: perhaps a period, e.g. "/measures lastmonth".
            period_text, who = " ".join(args), None
            if not starts_period(args[0]):
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
    shown: TeamMeasures | MeasuresSummary
    if len(teams) == 1:
        [team] = teams
        [shown] = team_measures(
            conn,
            teams,
            spans,
            per_person={team.id} if permits(actor, Action.SEE_TOTALS, team_id=team.id) else set(),
            kind_order=moment.kinds.keys(),
        )
    else:
        shown = summary(conn, teams, spans, kind_order=moment.kinds.keys())
    record_looks(conn, actor, Look.MEASURES, [t.id for t in teams], moment=moment)
    return shown


def keep_summary_figures(conn: Connection, *, moment: Moment) -> int:
    """The ``keep-measures`` job's part: read and keep every live team's summary figures for
    the windows ``/measures all`` without a period reads today, where they are not kept
    already (a new week or month, or a write to a week they cover), so a look finds them
    kept. Records no look.

    Returns:
        How many teams' figures were read anew (0 when all were kept, or with fewer than two
        live teams, whose measures are never a summary).
    """
    teams = store.live_teams(conn)
    if len(teams) < 2:
        return 0
    spans = windows(today=moment.today, end=parse_period(None, today=moment.today).end)
    _, read = _kept_figures(conn, [t.id for t in teams], spans)
    return read


def _kind_sorter(kind_order: Iterable[str]) -> Callable[[str], tuple[int, str]]:
    """Kinds in ``kind_order`` first, then any others by key."""
    order = {kind: i for i, kind in enumerate(kind_order)}
    return lambda kind: (order.get(kind, len(order)), kind)


def summary(
    conn: Connection,
    teams: Sequence[store.TeamRow],
    spans: Windows,
    *,
    kind_order: Iterable[str] = (),
) -> MeasuresSummary:
    """The measures of ``teams`` (two or more) over ``spans``, a line per team: each figure the
    very one :func:`team_measures` gives, without per-person work.

    Each team's figures are those kept for ``spans`` (:mod:`storage.measures_cache`) while no
    write they were read from has changed; the others are read by :func:`team_figures`, for
    those teams only, and kept.
    """
    figures, _ = _kept_figures(conn, [t.id for t in teams], spans)
    return summarise(teams, spans, figures, kind_order=kind_order)


def _kept_figures(
    conn: Connection, ids: Sequence[int], spans: Windows
) -> tuple[dict[int, TeamFigures], int]:
    """Each of ``ids``' figures over ``spans``: those kept where they hold, the others read by
    :func:`team_figures` (after they are claimed) and kept. Returns the figures by team id and
    how many teams were read anew."""
    kept = cache.read(conn, ids if len(ids) <= _LISTED_TEAMS else None)
    key = cache.windows_key(spans)
    figures: dict[int, TeamFigures] = {}
    stale = []
    for team_id in ids:
        text = cache.holding(kept.get(team_id), key)
        if text is None:
            stale.append(team_id)
        else:
            figures[team_id] = cache.loads(text)
    if stale:
        revisions = cache.claim(conn, stale, spans)
        fresh = team_figures(conn, stale, spans)
        cache.keep(conn, spans, fresh, revisions)
        figures.update(fresh)
    return figures, len(stale)


def team_figures(
    conn: Connection, team_ids: Sequence[int], spans: Windows
) -> dict[int, TeamFigures]:
    """The figures of each of ``team_ids`` over ``spans`` (:class:`TeamFigures`), read now.

    Days present are counted in SQL for the members present throughout the four weeks
    (:func:`~organiser_bot.domain.measures.present_throughout`: 28 each) and by
    :func:`~organiser_bot.domain.measures.days_present` for the others only; contacts are
    summed in SQL per team and role. Residents per active member is read for the as-at month
    only. Six statements whatever the number of teams (a seventh for absences when someone is
    not present throughout, an eighth in the rare case of someone whose four weeks all fell in
    a gap of their membership).
    """
    ids = list(team_ids) if len(team_ids) <= _LISTED_TEAMS else None
    first4, last4 = spans.weeks4
    window = (last4 - first4).days + 1
    throughout = store.present_throughout(
        conn, team_ids=ids, roles=RATE_ROLES, first=first4, last=last4
    )
    others = store.present_sometimes(conn, team_ids=ids, roles=RATE_ROLES, first=first4, last=last4)
    contacts = store.kind_by_role(
        conn,
        team_ids=ids,
        roles=RATE_ROLES,
        kind=RESIDENT_CONTACT,
        weeks=(first4, last4 - timedelta(days=6)),
        window=spans.weeks4,
    )
    # Days present per (team, role), and the roles someone is listed in (TeamMeasures.people):
    # present a day, a member on a day of the weeks, or with a contact logged.
    days: dict[tuple[int, Role], int] = defaultdict(int)
    for key, members in throughout.items():
        days[key] = members * window
    listed = set(throughout)
    if others:
        away: dict[int, list[AbsenceRow]] = defaultdict(list)
        for a in store.absences(conn, first=first4, last=last4):
            away[a.person_id].append(a)
        unsure: list[tuple[int, int, Role]] = []
        for p in others:
            key = (p.team_id, p.role)
            present = days_present(p.tenure, away.get(p.person_id, ()), first=first4, last=last4)
            days[key] += present
            if present or member_spans(p.tenure, first4, last4):
                listed.add(key)
            elif key not in listed:
                unsure.append((p.team_id, p.person_id, p.role))
        if unsure:
            # Every day of the weeks in a gap of their membership: listed only with a contact.
            logged = store.kind_by_person(
                conn,
                team_ids=sorted({team_id for team_id, _, _ in unsure}),
                kind=RESIDENT_CONTACT,
                first=first4,
                last=last4 - timedelta(days=6),
            )
            listed.update((t, role) for t, person, role in unsure if logged.get((t, person)))
    first13, last13 = spans.weeks13
    rolling = store.two_spans_by_kind(
        conn,
        team_ids=ids,
        first=spans.previous13[0],
        split=first13,
        last=last13 - timedelta(days=6),
    )
    month = spans.months[-1]
    end = month_end(month)
    active: dict[int, int] = defaultdict(int)
    for counted in store.active_members(conn, team_ids=ids, months=[(month, end)]):
        if counted.tenure is None or member_spans(counted.tenure, month, end):
            active[counted.team_id] += counted.count
    residents = store.residents_in_force(conn, team_ids=ids, month_ends=[end])

    out = {}
    for team_id in team_ids:
        roles = []
        for role in RATE_ROLES:
            key = (team_id, role)
            n, d = contacts.get(key, 0), days.get(key, 0)
            if n or d or key in listed:
                roles.append(RoleFigures(role, Rate(n, d), key in listed))
        kinds = rolling.get(team_id, {})
        figure = residents.get(team_id)
        out[team_id] = TeamFigures(
            roles=tuple(roles),
            rolling13=tuple(KindChange(k, *kinds[k]) for k in sorted(kinds)),
            residents=figure[0] if figure is not None else None,
            active=active.get(team_id, 0),
        )
    return out


def summarise(
    teams: Sequence[store.TeamRow],
    spans: Windows,
    figures: Mapping[int, TeamFigures],
    *,
    kind_order: Iterable[str] = (),
) -> MeasuresSummary:
    """The :class:`MeasuresSummary` of ``teams`` over ``spans`` from each team's ``figures``:
    a line per team in the order given, each role pooled over the teams where someone is
    listed in it, and the kinds of the teams shown in ``kind_order``."""
    sort_key = _kind_sorter(kind_order)
    kinds_shown = tuple(
        sorted({k.kind for team in teams for k in figures[team.id].rolling13}, key=sort_key)
    )
    month = spans.months[-1]
    so_far = month == spans.current_month
    roles: dict[Role, list[int]] = {}
    lines = []
    for team in teams:
        f = figures[team.id]
        for part in f.roles:
            if part.listed:
                pooled_role = roles.setdefault(part.role, [0, 0])
                pooled_role[0] += part.rate.contacts
                pooled_role[1] += part.rate.days_present
        by_kind = {k.kind: k for k in f.rolling13}
        lines.append(
            TeamSummary(
                team.id,
                team.name,
                pooled(part.rate for part in f.roles),
                tuple(by_kind[k] for k in kinds_shown if k in by_kind),
                MonthActive(month, f.residents, f.active, so_far),
            )
        )
    by_role = tuple((role, Rate(*roles[role])) for role in RATE_ROLES if role in roles)
    return MeasuresSummary(
        weeks4=spans.weeks4,
        weeks13=spans.weeks13,
        previous13=spans.previous13,
        by_role=by_role,
        rate=pooled(rate for _, rate in by_role),
        kinds=kinds_shown,
        teams=tuple(lines),
    )


def team_measures(
    conn: Connection,
    teams: Sequence[store.TeamRow],
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
    sort_key = _kind_sorter(kind_order)
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
        names = (
            distinct_names([(m.person_id, m.display_name, m.username) for m, _ in rates])
            if team.id in per_person
            else {}
        )
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
                    KindChange(kind, *kinds[kind]) for kind in sorted(kinds, key=sort_key)
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
