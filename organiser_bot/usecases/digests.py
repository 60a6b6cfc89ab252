"""The weekly digest as a use case: build it from storage, write its text, decide when it is due.

One template for every team: the same data (:class:`~organiser_bot.domain.digest.TeamDigest`), the
same text layout and the same cross-team line, so every team is measured by the same yardstick.
Counts only: nothing here ever reads a note.

Also here, because they share the member-week arithmetic: the mid-week nudge (who is behind
pace), the ``/digest`` preview and the ``/ledger`` report.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from charts import render_diarised_chart, render_trend_chart
from organiser_bot.domain.access import Actor
from organiser_bot.domain.digest import TEMPLATE_VERSION, MemberWeek, TeamDigest, TrendPoint
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.periods import iso_week_label, local_date, week_monday
from organiser_bot.domain.roles import Role
from organiser_bot.domain.schedule import WeeklySchedule, scheduled_at
from organiser_bot.domain.targets import (
    AbsenceRow,
    TargetRow,
    attainment,
    away_days,
    effective_targets,
    pro_rate,
)
from storage import activities, ledger, people
from storage import targets as target_store
from storage.people import MemberRow, TeamRow

__all__ = [
    "TREND_WEEKS",
    "CrossTeam",
    "Nudge",
    "RenderedDigest",
    "build_team_digest",
    "build_week",
    "build_week_by_team",
    "content_hash",
    "cross_team_line",
    "ledger_report",
    "nudges_due",
    "preview_for_chat",
    "render_digest",
    "render_digest_text",
    "write_week_digests",
]

#: Weeks shown in the trend chart, ending with the digest's week.
TREND_WEEKS = 13

#: Weeks ``/ledger`` lists.
LEDGER_WEEKS = 4

_WEEK = timedelta(days=7)
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class CrossTeam:
    """The context line every team's digest shares.

    Attributes:
        median: Median attainment (0.0-1.0) over the teams that had targets, or None.
        teams: How many teams the median is taken over.
    """

    median: float | None
    teams: int


# --- Loading -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Loaded:
    """Everything a set of teams' digests are computed from, read in a handful of queries."""

    teams: Mapping[int, TeamRow]
    members: Mapping[int, list[MemberRow]]
    # (team, person) -> kind -> seven daily counts, Monday first.
    daily: Mapping[tuple[int, int], Mapping[str, list[int]]]
    overrides: list[TargetRow]
    absences: Mapping[int, list[AbsenceRow]]
    # team -> Monday -> kind -> total, for the trend (only teams a trend was asked for).
    weekly: Mapping[int, Mapping[date, Mapping[str, int]]]


def _load(
    conn: Connection, *, monday: date, team_ids: Sequence[int], trend_team_ids: Sequence[int]
) -> _Loaded:
    wanted = set(team_ids)
    teams = {t.id: t for t in people.list_teams(conn) if t.id in wanted}
    members = {team_id: people.team_members(conn, team_id) for team_id in teams}
    daily: dict[tuple[int, int], dict[str, list[int]]] = defaultdict(dict)
    for row in activities.day_totals(conn, start=monday, end=monday + _WEEK, team_ids=list(teams)):
        counts = daily[(row.team_id, row.person_id)].setdefault(row.kind, [0] * 7)
        counts[(row.day - monday).days] += row.total
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
    )


# --- Building ------------------------------------------------------------------------------------


def _member_targets(
    data: _Loaded, team_id: int, member: MemberRow, monday: date
) -> tuple[dict[str, int], int]:
    """(pro-rated targets, days away) of one member in one week: the rule /week uses too."""
    base = effective_targets(
        role=member.role, person_id=member.person_id, team_id=team_id, overrides=data.overrides
    )
    away = away_days(data.absences.get(member.person_id, ()), monday)
    return pro_rate(base, away), away


def _member_weeks(data: _Loaded, team_id: int, monday: date) -> list[MemberWeek]:
    out = []
    for m in data.members.get(team_id, []):
        targets, away = _member_targets(data, team_id, m, monday)
        daily = {k: tuple(v) for k, v in sorted(data.daily.get((team_id, m.person_id), {}).items())}
        # Managers are listed only when they have something to measure; field roles always are,
        # so a member who logged nothing shows as 0/T rather than quietly disappearing.
        if m.role is Role.MANAGER and not targets and not any(sum(v) for v in daily.values()):
            continue
        out.append(MemberWeek(m.display_name, m.role.value, daily, targets, away))
    return out


def _team_attainment(members: Iterable[MemberWeek]) -> float | None:
    pairs = [
        (m.total(kind), target)
        for m in members
        if not m.away
        for kind, target in sorted(m.targets.items())
    ]
    return attainment(pairs)


def _kinds_shown(members: Sequence[MemberWeek], kinds: KindRegistry) -> tuple[str, ...]:
    used = {k for m in members for k in m.targets} | {
        k for m in members for k, v in m.daily.items() if sum(v)
    }
    known = [kind.key for kind in kinds if kind.key in used]
    return (*known, *sorted(used - set(known)))


def _trend(data: _Loaded, team_id: int, monday: date) -> tuple[TrendPoint, ...]:
    points = []
    weekly = data.weekly.get(team_id, {})
    for i in range(TREND_WEEKS):
        week = monday - (TREND_WEEKS - 1 - i) * _WEEK
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
    cross_team: CrossTeam | None,
) -> TeamDigest:
    shown = _kinds_shown(members, kinds)
    return TeamDigest(
        team_name=data.teams[team_id].name,
        iso_week=iso_week_label(monday),
        week_start=monday,
        kinds=shown,
        kind_labels={k: kinds.get(k).label for k in shown},
        members=tuple(members),
        trend=_trend(data, team_id, monday),
        attainment=_team_attainment(members),
        cross_team_median=cross_team.median if cross_team else None,
        teams_compared=cross_team.teams if cross_team else 0,
        preview=preview,
    )


def build_team_digest(
    conn: Connection,
    *,
    team_id: int,
    monday: date,
    tz: ZoneInfo,
    kinds: KindRegistry,
    preview: bool = False,
    cross_team: CrossTeam | None = None,
) -> TeamDigest:
    """One team's digest for the ISO week starting ``monday``.

    Members come with their daily counts per kind (Monday to Sunday, from the daily totals), their
    effective targets (person > team role > role default) pro-rated for days away, and their days
    away; the trend covers the 13 weeks ending with this one, with the team's totals and the sum of
    its members' targets for each week.

    Args:
        conn: A connection in a transaction.
        team_id: The team.
        monday: The week's Monday (local date); any other day is moved back to its Monday.
        tz: The configured zone. Days are already stored as local dates, so it is only used to
            keep the signature the same as the other week functions.
        kinds: The kind registry, for display order and labels.
        preview: Mark the digest as a mid-week preview.
        cross_team: The cross-team context, when the caller computed it (see :func:`build_week`).

    Returns:
        The digest.

    Raises:
        LookupError: No live team has that id.
    """
    del tz  # see the docstring
    monday = week_monday(monday)
    data = _load(conn, monday=monday, team_ids=[team_id], trend_team_ids=[team_id])
    if team_id not in data.teams:
        raise LookupError(f"no live team with id {team_id}")
    members = _member_weeks(data, team_id, monday)
    return _digest(
        data, team_id, members, monday=monday, kinds=kinds, preview=preview, cross_team=cross_team
    )


def build_week(
    conn: Connection,
    *,
    monday: date,
    tz: ZoneInfo,
    kinds: KindRegistry,
    team_ids: Sequence[int] | None = None,
    preview: bool = False,
) -> list[TeamDigest]:
    """Every team's digest for one week, with one cross-team median shared by all of them.

    The median is taken once, over every live team that had targets that week (whether or not it
    has a chat, and whether or not it is in ``team_ids``), so every digest carries the very same
    number.

    Args:
        conn: A connection in a transaction.
        monday: The week's Monday (local date).
        tz: The configured zone (see :func:`build_team_digest`).
        kinds: The kind registry.
        team_ids: Build only these teams' digests (the median still covers every team).
        preview: Mark the digests as mid-week previews.

    Returns:
        The digests, ordered by team name; unknown or archived ids are left out.
    """
    built = build_week_by_team(
        conn, monday=monday, tz=tz, kinds=kinds, team_ids=team_ids, preview=preview
    )
    return list(built.values())


def build_week_by_team(
    conn: Connection,
    *,
    monday: date,
    tz: ZoneInfo,
    kinds: KindRegistry,
    team_ids: Sequence[int] | None = None,
    preview: bool = False,
) -> dict[int, TeamDigest]:
    """:func:`build_week`, keyed by team id (in the same order)."""
    del tz
    monday = week_monday(monday)
    all_ids = [t.id for t in people.list_teams(conn)]
    wanted = all_ids if team_ids is None else [i for i in all_ids if i in set(team_ids)]
    data = _load(conn, monday=monday, team_ids=all_ids, trend_team_ids=wanted)
    members = {team_id: _member_weeks(data, team_id, monday) for team_id in all_ids}
    scores = [s for ms in members.values() if (s := _team_attainment(ms)) is not None]
    cross = CrossTeam(statistics.median(scores) if scores else None, len(scores))
    return {
        team_id: _digest(
            data,
            team_id,
            members[team_id],
            monday=monday,
            kinds=kinds,
            preview=preview,
            cross_team=cross,
        )
        for team_id in wanted
    }


# --- Text ----------------------------------------------------------------------------------------


def _pct(share: float) -> str:
    # Half up, not Python's banker's rounding: 0.745 reads as 75% in every digest.
    return f"{math.floor(share * 100 + 0.5)}%"


def _member_line(m: MemberWeek, d: TeamDigest, kinds: KindRegistry) -> str:
    if m.away:
        return f"• {m.name}: away"
    parts = []
    for kind in d.kinds:
        done, target = m.total(kind), m.targets.get(kind)
        label = d.kind_labels.get(kind) or kinds.get(kind).label
        if target:
            parts.append(f"{label} {done}/{target} {'✓' if done >= target else '✗'}")
        elif done:
            parts.append(f"{label} {done}")
    away = f" (away {m.away_days}d)" if m.away_days else ""
    return f"• {m.name}{away}: " + (" · ".join(parts) or "—")


def _week_span(monday: date) -> str:
    sunday = monday + timedelta(days=6)
    return f"{monday:%a} {monday.day} {monday:%b} – {sunday:%a} {sunday.day} {sunday:%b}"


def cross_team_line(d: TeamDigest) -> str:
    """The sentence every team's digest ends with; identical for every team in a week.

    Without a cross-team median (no team had targets, or none was computed) only the promise of
    evenness remains.
    """
    teams = "1 team" if d.teams_compared == 1 else f"{d.teams_compared} teams"
    if d.preview:
        median = (
            f"So far this week the median attainment across {teams} is "
            f"{_pct(d.cross_team_median)}. "
            if d.cross_team_median is not None
            else ""
        )
        return median + "Preview only: not recorded in the digest ledger."
    median = (
        f"Across {teams} the median attainment was {_pct(d.cross_team_median)}. "
        if d.cross_team_median is not None
        else ""
    )
    return median + "Every team gets this same digest at the same time."


def render_digest_text(d: TeamDigest, kinds: KindRegistry) -> str:
    """The digest's text summary: short enough to read on a phone.

    A header ``<team> · <iso week>`` (plus ``· preview``), the week's dates, one line per member
    with ``kind N/T ✓`` or ``✗`` per target (or ``away`` for a member away all week), the team's
    attainment, and the cross-team line every team shares. Counts only, never notes.

    Args:
        d: The digest.
        kinds: The kind registry, for labels the digest does not carry.

    Returns:
        Plain text (no markup), lines separated by ``\\n``.
    """
    header = f"{d.team_name} · {d.iso_week}" + (" · preview" if d.preview else "")
    lines = [header, _week_span(d.week_start) + (" (so far)" if d.preview else "")]
    lines += [_member_line(m, d, kinds) for m in d.members] or [
        "Nobody with targets or entries this week."
    ]
    if d.attainment is None:
        lines.append("Team: no targets this week.")
    else:
        lines.append(f"Team attainment: {_pct(d.attainment)} of targets met.")
    lines.append(cross_team_line(d))
    return "\n".join(lines)


def content_hash(text: str, images: Sequence[bytes]) -> str:
    """SHA-256 (hex) of a digest's text and images, recorded in the ledger.

    Each part is length-prefixed, so moving bytes between parts changes the hash.
    """
    digest = hashlib.sha256()
    for part in (text.encode("utf-8"), *images):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    """A digest ready to post: its text, its two charts (PNG) and their joint hash.

    Attributes:
        digest: The data it was rendered from.
        text: The text summary.
        images: (file name, PNG bytes) for the diarised chart, then the trend chart.
        content_hash: :func:`content_hash` of the text and images.
    """

    digest: TeamDigest
    text: str
    images: tuple[tuple[str, bytes], ...]
    content_hash: str


def render_digest(d: TeamDigest, kinds: KindRegistry) -> RenderedDigest:
    """Render the text and both charts of a digest.

    CPU-bound (matplotlib, ~0.1-0.4 s): the bot calls it in a worker thread, never on the loop.
    """
    text = render_digest_text(d, kinds)
    images = (
        ("week.png", render_diarised_chart(d)),
        ("trend.png", render_trend_chart(d)),
    )
    return RenderedDigest(d, text, images, content_hash(text, [png for _, png in images]))


def write_week_digests(
    conn: Connection, *, monday: date, out_dir: Path, tz: ZoneInfo, kinds: KindRegistry
) -> list[Path]:
    """Render every live team's digest for a week into ``out_dir``, sending nothing.

    For each team, in name order: ``<slug>-<week>-week.png`` (the diarised chart),
    ``<slug>-<week>-trend.png`` and ``<slug>-<week>.txt`` (the text summary). The ledger is not
    touched. Used by ``organiser-bot digest --dry-run`` and ``organiser-bot demo``.

    Args:
        conn: A connection (only read from).
        monday: The week's Monday.
        out_dir: The folder; created if missing; files of the same name are overwritten.
        tz: The configured zone.
        kinds: The kind registry.

    Returns:
        The files written, in order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    slugs = {t.id: t.slug for t in people.list_teams(conn)}
    written: list[Path] = []
    for team_id, d in build_week_by_team(conn, monday=monday, tz=tz, kinds=kinds).items():
        rendered = render_digest(d, kinds)
        stem = f"{slugs[team_id]}-{d.iso_week}"
        for name, png in rendered.images:
            path = out_dir / f"{stem}-{name}"
            path.write_bytes(png)
            written.append(path)
        path = out_dir / f"{stem}.txt"
        path.write_text(rendered.text + "\n", encoding="utf-8")
        written.append(path)
    return written


# --- When ----------------------------------------------------------------------------------------


# --- /digest preview -----------------------------------------------------------------------------


def preview_for_chat(
    conn: Connection,
    actor: Actor,
    chat_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    kinds: KindRegistry,
) -> TeamDigest | str:
    """``/digest`` in a team chat: this week so far, or a short reason why not.

    Only the team's manager or an admin may post it; it is marked as a preview and never written
    to the ledger.
    """
    team = people.team_for_chat(conn, chat_id)
    if team is None:
        return (
            "This chat isn't a team's chat yet. A manager can /bind <team> here; "
            "then /digest posts the week so far."
        )
    if not actor.manages(team.id):
        return f"Only {team.name}'s manager or an admin can post a preview. /week shows yours."
    monday = week_monday(local_date(now, tz))
    [digest] = build_week(conn, monday=monday, tz=tz, kinds=kinds, team_ids=[team.id], preview=True)
    return digest


# --- /ledger -------------------------------------------------------------------------------------


def ledger_report(
    conn: Connection,
    actor: Actor,
    *,
    now: datetime,
    tz: ZoneInfo,
    schedule: WeeklySchedule | None,
) -> str:
    """``/ledger``: for the last four completed weeks, when each team's digest went out.

    Managers see the teams they manage, admins every team. A team with a chat but no ledger row
    for a week whose digest was due is shown as missing.
    """
    if not actor.is_manager:
        return "Only managers and admins can see the digest ledger."
    visible = [t for t in people.list_teams(conn) if actor.manages(t.id)]
    if not visible:
        return "You don't manage any team yet."
    bound_at = people.chats_bound_at(conn)
    last = week_monday(local_date(now, tz)) - _WEEK
    mondays = [last - i * _WEEK for i in range(LEDGER_WEEKS)]
    rows = {
        (r.team_id, r.iso_week): r
        for r in ledger.entries(
            conn, iso_weeks=[iso_week_label(m) for m in mondays], team_ids=[t.id for t in visible]
        )
    }
    lines = [f"Digest ledger · last {LEDGER_WEEKS} weeks · times {tz.key}"]
    for monday in mondays:
        week = iso_week_label(monday)
        # A week's digest is due at the slot in the week after it.
        slot = scheduled_at(monday + _WEEK, schedule, tz) if schedule else None
        lines.append(f"{week} ({monday.day} {monday:%b})")
        shown = 0
        for team in visible:
            row = rows.get((team.id, week))
            if row is not None:
                status = _ledger_status(row, tz)
            elif team.id not in bound_at:
                continue
            elif slot is None:
                status = "not sent (digest turned off)"
            elif now < slot:
                status = f"not due yet ({schedule})"
            elif bound_at[team.id] > slot:
                continue  # the chat was bound after this week's digest was due
            else:
                status = "missing"
            lines.append(f"• {team.name}: {status}")
            shown += 1
        if not shown:
            lines.append("• no digest was due (no team had a chat)")
    if schedule is None:
        lines.append("The weekly digest is turned off (DIGEST_SCHEDULE=off).")
    else:
        lines.append(f"Template version now: {TEMPLATE_VERSION}. Schedule: {schedule}.")
    return "\n".join(lines)


def _ledger_status(row: ledger.LedgerRow, tz: ZoneInfo) -> str:
    if row.status == ledger.SENT and row.sent_at is not None:
        at = row.sent_at.astimezone(tz)
        when = f"{_DAY_NAMES[at.weekday()]} {at.day} {at:%b %H:%M}"
        return f"sent {when} · template {row.template_version}"
    tries = f"{row.attempts} attempt{'s' if row.attempts != 1 else ''}"
    if row.status == ledger.FAILED:
        error = (row.last_error or "").splitlines()[0][:60] if row.last_error else ""
        return f"failed ({tries}){': ' + error if error else ''}"
    return f"sending ({tries})"


# --- Mid-week nudges -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Nudge:
    """A private reminder for one person who is behind pace.

    Attributes:
        person_id: Who.
        telegram_user_id: Their private chat.
        iso_week: The week it is for (a person is nudged at most once per week).
        text: The message.
    """

    person_id: int
    telegram_user_id: int
    iso_week: str
    text: str


def nudges_due(
    conn: Connection, *, now: datetime, tz: ZoneInfo, kinds: KindRegistry
) -> list[Nudge]:
    """Members behind pace this week who have not paused nudges nor been nudged this week.

    Behind pace means, for some kind with a target, fewer done than ``target × days so far / 7``
    (today counts as a day so far), the rule ``/week`` uses. Members away all week, managers
    without targets and paused members are never nudged. One nudge per person, covering every team
    they are behind in.

    Returns:
        Nudges ordered by person id.
    """
    today = local_date(now, tz)
    monday = week_monday(today)
    week = iso_week_label(monday)
    elapsed = (today - monday).days + 1
    teams = people.list_teams(conn)
    data = _load(conn, monday=monday, team_ids=[t.id for t in teams], trend_team_ids=[])
    already = ledger.nudged(conn, iso_week=week)
    memberships: dict[int, int] = defaultdict(int)
    for ms in data.members.values():
        for m in ms:
            memberships[m.person_id] += 1
    behind: dict[int, list[str]] = defaultdict(list)
    who: dict[int, MemberRow] = {}
    for team in sorted(data.teams.values(), key=lambda t: (t.name, t.id)):
        for m in data.members.get(team.id, []):
            if m.nudges_paused or m.person_id in already:
                continue
            targets, away = _member_targets(data, team.id, m, monday)
            if away >= 7:
                continue
            counts = data.daily.get((team.id, m.person_id), {})
            for kind, target in sorted(targets.items()):
                done = sum(counts.get(kind, ()))
                expected = target * min(elapsed, 7) / 7
                if done < expected:
                    label = kinds.get(kind).label
                    where = f" ({team.name})" if memberships[m.person_id] > 1 else ""
                    behind[m.person_id].append(
                        f"• {label}{where}: {done}/{target}, about {round(expected)} by today "
                        "would be on pace"
                    )
                    who[m.person_id] = m
    return [
        Nudge(
            person_id,
            who[person_id].telegram_user_id,
            week,
            "Midweek check-in, just for you:\n"
            + "\n".join(behind[person_id])
            + "\nThere's still time this week. /week shows where you are; /pause mutes these.",
        )
        for person_id in sorted(behind)
    ]
