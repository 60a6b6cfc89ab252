"""``/diary @user [period]``: one member's activity day by day, for their team's managers and
admins.

The election review behind the bot asked for "diarised casework and resident contact
activities by elected officials": this is that diary, for any member. Each day of the period
(up to today) has the day's counts per kind, read from the running daily totals, and the day's
entries with their time of day when one was given. A note is shown only to a manager of the
entry's team: DESIGN.md, "Notes never appear ... to people outside the team's managers", so an
admin who does not manage the team sees counts and times alone.

The look is recorded in the scrutiny ledger in the same transaction as the read.
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
from organiser_bot.domain.refusals import Action
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.actors import read_only
from organiser_bot.usecases.guards import require_manager
from organiser_bot.usecases.identities import SeveralHold, actionable_team_ids, members_named
from organiser_bot.usecases.reports import BadPeriod
from organiser_bot.usecases.scrutiny import Look, record_looks
from storage import member_diary as store
from storage import people

#: Most days one reply covers; a longer period shows its last :data:`MAX_DAYS` days.
MAX_DAYS = 92
#: Most entries listed under the days; the days after the last one listed show counts only.
ENTRY_LIMIT = 500

_ACTION = Action.SEE_MEMBER_DIARY


@dataclass(frozen=True, slots=True)
class MemberEntry:
    """One entry under a day.

    Attributes:
        at: When it happened, in the configured zone, when a time of day was given; else None.
        count: How many.
        kind: The kind's key.
        team_slug: The team's short name when the diary covers several teams, else None.
        note: The note, only for a viewer who manages the entry's team; else None.
    """

    at: datetime | None
    count: int
    kind: str
    team_slug: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class MemberDay:
    """One local day of a member's diary.

    Attributes:
        on: The day.
        counts: (kind key, total) for the kinds with entries that day, in the registry's order
            (kinds it does not know after, alphabetically); empty for a day with nothing.
        entries: The day's entries, oldest first (none beyond :data:`ENTRY_LIMIT` overall).
    """

    on: date
    counts: tuple[tuple[str, int], ...]
    entries: tuple[MemberEntry, ...]


@dataclass(frozen=True, slots=True)
class MemberDiary:
    """``/diary @user``: a member's days over a period.

    Attributes:
        name: The member's name, told apart from namesakes in the teams shown
            (:func:`~organiser_bot.domain.names.distinct_names`).
        period: The period asked for.
        days: Every day from the period's first (or, when capped, the one :data:`MAX_DAYS`
            days before the last shown) to its last or today, whichever is sooner, oldest
            first; empty when the period has not begun.
        capped: True when the period's earlier days were left out (more than :data:`MAX_DAYS`).
        entries_cut: True when more than :data:`ENTRY_LIMIT` entries fell in the days shown.
        notes_withheld: True when some entry shown is in a team the viewer does not manage, so
            its note (if any) is not shown.
    """

    name: str
    period: Period
    days: tuple[MemberDay, ...]
    capped: bool = False
    entries_cut: bool = False
    notes_withheld: bool = False


def _period(words: list[str], today: date) -> Period:
    try:
        return parse_period(" ".join(words) or None, today=today)
    except PeriodError as exc:
        raise BadPeriod(exc) from None


def days_shown(period: Period, today: date) -> tuple[date, date, bool]:
    """The days of ``period`` a member's diary shows: those up to ``today``, at most the last
    :data:`MAX_DAYS` of them.

    Returns:
        (first day, the day after the last, whether earlier days were left out); the first two
        are equal when the period begins after today.
    """
    end = min(period.end, today + timedelta(days=1))
    start = period.start
    capped = (end - start).days > MAX_DAYS
    if capped:
        start = end - timedelta(days=MAX_DAYS)
    return start, max(start, end), capped


def _ordered(counts: dict[str, int], moment: Moment) -> tuple[tuple[str, int], ...]:
    known = [k.key for k in moment.kinds if counts.get(k.key)]
    rest = sorted(k for k in counts if k not in set(known) and counts[k])
    return tuple((k, counts[k]) for k in [*known, *rest])


@read_only
def member_diary(conn: Connection, actor: Actor, args: list[str], *, moment: Moment) -> MemberDiary:
    """``/diary @user [period]``: a member's day-by-day counts and entries, in the teams the
    viewer may act on (``Action.SEE_MEMBER_DIARY``: the teams they manage; every team for an
    admin). Records the look (:func:`~organiser_bot.usecases.scrutiny.record_looks`); like the
    other reports it is run again when Telegram redelivers the command, and so counts again.

    Args:
        args: The ``@username``, then optionally a period
            (:func:`~organiser_bot.domain.periods.parse_period`; this week by default).

    Raises:
        NotPermitted: the person manages no team and is not an admin.
        BadPeriod: the period could not be read.
        UnknownMember: no current member of a team the person may act on holds the username
            (also when only someone in another team does: nothing about that team is told).
        SeveralHold: more than one person among those members holds it.
    """
    require_manager(actor, _ACTION)
    username = args[0] if args else "@"
    period = _period(args[1:], moment.today)
    found = members_named(conn, actor, username, _ACTION)
    if len({m.person_id for m in found}) > 1:
        raise SeveralHold(username, tuple(dict.fromkeys(m.team_slug for m in found)))
    subject = found[0].person_id
    live = {t.id: t for t in people.list_teams(conn)}
    allowed = actionable_team_ids(actor, _ACTION)
    team_ids = sorted(live) if allowed is None else [t for t in allowed if t in live]

    start, end, capped = days_shown(period, moment.today)
    totals = store.day_totals(conn, person_id=subject, team_ids=team_ids, start=start, end=end)
    rows = store.entries(
        conn, person_id=subject, team_ids=team_ids, start=start, end=end, limit=ENTRY_LIMIT + 1
    )
    entries_cut = len(rows) > ENTRY_LIMIT
    rows = rows[:ENTRY_LIMIT]

    shown = list(
        dict.fromkeys(
            [m.team_id for m in found]
            + [t for day in totals.values() for t in day]
            + [r.team_id for r in rows]
        )
    )
    several = len(shown) > 1
    managed = {t for t in shown if actor.role_in(t) is Role.MANAGER}
    by_day: dict[date, list[MemberEntry]] = defaultdict(list)
    for r in rows:
        by_day[r.occurred_on].append(
            MemberEntry(
                as_utc(r.occurred_at).astimezone(moment.tz) if r.time_given else None,
                r.count,
                r.kind,
                live[r.team_id].slug if several else None,
                r.note if r.team_id in managed else None,
            )
        )
    days = []
    for i in range((end - start).days):
        on = start + timedelta(days=i)
        summed: dict[str, int] = defaultdict(int)
        for kinds in totals.get(on, {}).values():
            for kind, n in kinds.items():
                summed[kind] += n
        days.append(MemberDay(on, _ordered(summed, moment), tuple(by_day.get(on, ()))))

    # Told apart as /totals tells them apart: among everyone who has been in the teams shown.
    everyone = [m for t in shown for m in people.team_members(conn, t)]
    names = distinct_names(
        [(m.person_id, m.display_name, m.username) for m in everyone]
        + [(subject, found[0].display_name, found[0].username)]
    )
    record_looks(conn, actor, Look.DIARY, shown, moment=moment, subject=subject)
    return MemberDiary(
        names[subject],
        period,
        tuple(days),
        capped=capped,
        entries_cut=entries_cut,
        notes_withheld=any(r.team_id not in managed for r in rows),
    )
