"""Use cases that read: my week, my diary, team totals, members, CSV export, targets, my data."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from handlers import texts as help_texts
from organiser_bot.domain.access import Actor
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.periods import Period, PeriodError, local_date, parse_period, week_monday
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import away_days, effective_targets, pro_rate
from organiser_bot.domain.teams import slugify
from organiser_bot.usecases.logbook import week_status
from storage import activities, audit, people
from storage import targets as target_store

MAX_TARGET = 1000


def my_week(
    conn: Connection, actor: Actor, *, now: datetime, tz: ZoneInfo, kinds: KindRegistry
) -> str:
    """``/week``: each kind's total against target, days left, and whether on pace."""
    if not actor.is_member or actor.person_id is None:
        return help_texts.NOT_A_MEMBER
    today = local_date(now, tz)
    monday = week_monday(today)
    elapsed = (today - monday).days + 1
    days_left = 7 - elapsed
    blocks = []
    for team in actor.teams:
        totals, targets, away = week_status(conn, actor, team, monday=monday)
        lines = [f"{team.name} · week of {monday:%a %d %b}" + (f" · away {away}d" if away else "")]
        shown = list(dict.fromkeys([*targets, *totals]))
        if not shown:
            lines.append("  nothing logged yet, no targets")
        for kind in shown:
            done = totals.get(kind, 0)
            target = targets.get(kind)
            label = kinds.get(kind).label
            if target is None:
                lines.append(f"  {label}: {done}")
                continue
            present = max(0, 7 - away)
            expected = target * min(elapsed, 7) / 7 if present else 0
            if done >= target:
                pace = "✓ met"
            elif done >= expected:
                pace = "on pace"
            else:
                pace = f"behind pace (about {round(expected)} by today)"
            lines.append(f"  {label}: {done}/{target} · {pace}")
        blocks.append("\n".join(lines))
    footer = f"{days_left} day{'s' if days_left != 1 else ''} left this week."
    return "\n\n".join(blocks) + "\n" + footer


def _period(text: str | None, *, today: date) -> Period | str:
    try:
        return parse_period(text, today=today)
    except PeriodError as exc:
        return str(exc)


def my_diary(
    conn: Connection,
    actor: Actor,
    args: list[str],
    *,
    now: datetime,
    tz: ZoneInfo,
    kinds: KindRegistry,
) -> str:
    """``/diary [period]``: the caller's dated entries, notes included (theirs alone)."""
    if not actor.is_member or actor.person_id is None:
        return help_texts.NOT_A_MEMBER
    period = _period(" ".join(args) or None, today=local_date(now, tz))
    if isinstance(period, str):
        return period
    rows = activities.diary(conn, person_id=actor.person_id, start=period.start, end=period.end)
    if not rows:
        return f"No entries in {period.label}."
    teams = {tr.team_id: tr.slug for tr in actor.teams}
    lines = [f"Your diary · {period.label}"]
    current: date | None = None
    for r in rows:
        if r.occurred_on != current:
            current = r.occurred_on
            lines.append(f"{current:%a %d %b}")
        at = r.occurred_at.astimezone(tz)
        count = f"{r.count} × " if r.count != 1 else ""
        team = f" #{teams[r.team_id]}" if len(teams) > 1 and r.team_id in teams else ""
        note = f" — {r.note}" if r.note else ""
        lines.append(f"  {at:%H:%M} {count}{kinds.get(r.kind).label}{team}{note}")
    if len(rows) >= 200:
        lines.append("(first 200 shown; use a shorter period)")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class MemberTotals:
    """One member's totals and targets over a period."""

    person_id: int
    name: str
    role: Role
    totals: dict[str, int]
    targets: dict[str, int]
    weeks_away: float


def team_totals(conn: Connection, team_id: int, period: Period) -> list[MemberTotals]:
    """Totals per member and kind over ``period``, with targets summed over its weeks (each
    pro-rated for absence and for weeks the period covers only in part)."""
    members = people.team_members(conn, team_id)
    ids = [m.person_id for m in members]
    rows = activities.day_totals(conn, start=period.start, end=period.end, team_ids=[team_id])
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        totals[row.person_id][row.kind] += row.total
    overrides = target_store.overrides(conn, team_ids=[team_id])
    absences = target_store.absences(conn, start=period.start, end=period.end, person_ids=ids)
    out = []
    for m in members:
        base = effective_targets(
            role=m.role, person_id=m.person_id, team_id=team_id, overrides=overrides
        )
        mine = [a for a in absences if a.person_id == m.person_id]
        summed: dict[str, float] = defaultdict(float)
        away_total = 0.0
        for monday in period.mondays():
            covered = sum(
                1 for i in range(7) if period.start <= monday + timedelta(days=i) < period.end
            )
            away = away_days(mine, monday)
            away_total += away / 7
            for kind, n in pro_rate(base, away).items():
                summed[kind] += n * covered / 7
        out.append(
            MemberTotals(
                m.person_id,
                m.display_name,
                m.role,
                dict(totals.get(m.person_id, {})),
                {k: round(v) for k, v in summed.items() if round(v) > 0},
                away_total,
            )
        )
    return out


def _format_totals(name: str, period: Period, rows: list[MemberTotals], kinds: KindRegistry) -> str:
    lines = [f"{name} · {period.label}"]
    team_done: dict[str, int] = defaultdict(int)
    team_target: dict[str, int] = defaultdict(int)
    for m in rows:
        shown = list(dict.fromkeys([*m.targets, *m.totals]))
        parts = []
        for kind in shown:
            done, target = m.totals.get(kind, 0), m.targets.get(kind)
            team_done[kind] += done
            if target:
                team_target[kind] += target
            label = kinds.get(kind).label
            parts.append(f"{label} {done}/{target}" if target else f"{label} {done}")
        lines.append(f"• {m.name} ({m.role.value}): " + (", ".join(parts) or "—"))
    if rows:
        summary = ", ".join(
            f"{kinds.get(k).label} {team_done[k]}/{team_target[k]}"
            if team_target.get(k)
            else f"{kinds.get(k).label} {team_done[k]}"
            for k in dict.fromkeys([*team_target, *team_done])
        )
        lines.append(f"Team: {summary or 'nothing logged'}")
    else:
        lines.append("No members yet.")
    return "\n".join(lines)


def totals(
    conn: Connection,
    actor: Actor,
    args: list[str],
    *,
    now: datetime,
    tz: ZoneInfo,
    kinds: KindRegistry,
) -> str:
    """``/totals [team|all|@user] [period]`` for managers (their teams) and admins (all)."""
    if not actor.is_manager:
        return "Only managers and admins can see team totals. /week shows yours."
    today = local_date(now, tz)
    who = args[0] if args else None
    period_text = " ".join(args[1:]) or None
    if (
        who is not None
        and not who.startswith("@")
        and who.lower() != "all"
        and people.find_team(conn, slugify(who)) is None
    ):
        # Not a team: perhaps a period, e.g. "/totals 4w".
        period_text, who = " ".join(args), None
    period = _period(period_text, today=today)
    if isinstance(period, str):
        return period
    managed = [t for t in people.list_teams(conn) if actor.manages(t.id)]
    if who is None:
        chosen = actor.default_team
        teams = [t for t in managed if chosen and t.id == chosen.team_id] or managed[:1]
    elif who.lower() == "all":
        teams = managed
    elif who.startswith("@"):
        found = people.find_person_by_username(conn, who)
        if found is None:
            return f"No member {who}."
        blocks = []
        for team in managed:
            rows = [m for m in team_totals(conn, team.id, period) if m.person_id == found[0]]
            if rows:
                blocks.append(_format_totals(team.name, period, rows, kinds))
        return "\n\n".join(blocks) or f"{who} isn't in a team you manage."
    else:
        named = people.find_team(conn, slugify(who))
        if named is None or not actor.manages(named.id):
            return f"You don't manage a team called {who}."
        teams = [named]
    if not teams:
        return "You don't manage any team yet."
    return "\n\n".join(
        _format_totals(t.name, period, team_totals(conn, t.id, period), kinds) for t in teams
    )


def team_listing(conn: Connection, actor: Actor, args: list[str]) -> str:
    """``/team [team]``: members and roles (managers of that team and admins)."""
    if not actor.is_manager:
        return "Only managers and admins can list a team's members."
    if args:
        team = people.find_team(conn, slugify(args[0]))
        if team is None or not actor.manages(team.id):
            return f"You don't manage a team called {args[0]}."
        teams = [team]
    else:
        teams = [t for t in people.list_teams(conn) if actor.manages(t.id)]
    if not teams:
        return "No teams yet. /newteam <name> creates one."
    bound = {team.id for team, _ in people.bound_chats(conn)}
    blocks = []
    for team in teams:
        members = people.team_members(conn, team.id)
        chat = (
            "has a chat" if team.id in bound else (f"no chat yet: /bind {team.slug} in its group")
        )
        lines = [f"{team.name} ({team.slug}) · {len(members)} members · {chat}"]
        lines += [
            f"• {m.display_name}" + (f" @{m.username}" if m.username else "") + f" — {m.role.value}"
            for m in members
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


@dataclass(frozen=True, slots=True)
class CsvExport:
    """A CSV document, or a reason there is none."""

    text: str
    filename: str | None = None
    content: bytes | None = None


def export_csv(
    conn: Connection,
    actor: Actor,
    args: list[str],
    *,
    now: datetime,
    tz: ZoneInfo,
    kinds: KindRegistry,
) -> CsvExport:
    """``/export [period]``: entries of the teams the caller manages, notes included (only
    managers of the team and admins ever receive notes)."""
    if not actor.is_manager:
        return CsvExport("Only managers and admins can export entries.")
    period = _period(" ".join(args) or None, today=local_date(now, tz))
    if isinstance(period, str):
        return CsvExport(period)
    team_ids = [t.id for t in people.list_teams(conn) if actor.manages(t.id)]
    rows = activities.export_rows(conn, team_ids=team_ids, start=period.start, end=period.end)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["date", "time", "team", "person", "kind", "count", "note", "recorded_at"])
    for row, person, team in rows:
        at = row.occurred_at.astimezone(tz)
        writer.writerow(
            [
                f"{row.occurred_on}",
                f"{at:%H:%M}",
                team,
                person,
                kinds.get(row.kind).label,
                row.count,
                row.note or "",
                "",
            ]
        )
    audit.record(
        conn,
        at=now,
        actor=actor.person_id,
        action="export",
        entity="activity",
        entity_id=None,
        rows=len(rows),
        period=period.label,
    )
    name = f"entries-{period.start}-{period.end - timedelta(days=1)}.csv"
    return CsvExport(
        f"{len(rows)} entries · {period.label}. "
        "Contains notes: keep it within the team's managers.",
        name,
        buf.getvalue().encode("utf-8"),
    )


def set_target(
    conn: Connection, actor: Actor, args: list[str], *, now: datetime, kinds: KindRegistry
) -> str:
    """``/target <role|@user> <kind> <n> [team]``: override a weekly target."""
    usage = (
        "Usage: /target <role|@user> <kind> <n> [team], e.g. /target organiser 121 12 north-ward"
    )
    if not actor.is_manager:
        return "Only managers and admins can set targets."
    if len(args) < 3:
        return usage
    who, kind_word, n_text = args[0], args[1], args[2]
    kind = kinds.lookup(kind_word)
    if kind is None:
        return f"Unknown kind {kind_word!r}. " + usage
    if not n_text.isdigit() or int(n_text) > MAX_TARGET:
        return f"The target must be a whole number from 0 to {MAX_TARGET}."
    team_id: int | None = None
    team_name = "every team"
    if len(args) > 3:
        team = people.find_team(conn, slugify(args[3]))
        if team is None:
            return f"No team called {args[3]}."
        team_id, team_name = team.id, team.name
    if team_id is None and not actor.is_admin:
        default = actor.default_team
        managed = [tr for tr in actor.teams if tr.role is Role.MANAGER]
        pick = default if default and default.role is Role.MANAGER else next(iter(managed), None)
        if pick is None:
            return usage
        team_id, team_name = pick.team_id, pick.name
    if team_id is not None and not actor.manages(team_id):
        return f"You don't manage {team_name}."
    if who.startswith("@"):
        found = people.find_person_by_username(conn, who)
        if found is None:
            return f"No member {who}."
        scope, whose = f"person:{found[0]}", found[1]
    else:
        role = Role.parse(who)
        if role is None:
            return f"{who!r} is neither a role nor an @user. " + usage
        scope, whose = f"role:{role.value}", f"{role.value}s"
    person_id = people.ensure_person(conn, actor.identity, now=now)
    weekly = int(n_text)
    previous = target_store.set_target(
        conn, team_id=team_id, scope=scope, kind=kind.key, weekly=weekly, by=person_id, now=now
    )
    audit.record(
        conn,
        at=now,
        actor=person_id,
        action="set",
        entity="target",
        entity_id=team_id,
        scope=scope,
        kind=kind.key,
        weekly=weekly,
        previous=previous,
    )
    was = f" (was {previous})" if previous is not None else ""
    return f"✓ Weekly {kind.label} target for {whose} in {team_name}: {weekly}{was}."


def my_data(conn: Connection, actor: Actor, *, now: datetime, tz: ZoneInfo) -> str:
    """``/mydata``: what the bot holds about the caller."""
    if actor.person_id is None:
        return "The bot holds nothing about you."
    teams = ", ".join(f"{tr.name} ({tr.role.value})" for tr in actor.teams) or "none"
    rows = activities.diary(
        conn, person_id=actor.person_id, start=date.min, end=date.max, limit=100_000
    )
    notes = sum(1 for r in rows if r.note)
    return (
        f"Name: {actor.identity.display_name}\nTeams: {teams}\n"
        f"Entries: {len(rows)} ({notes} with notes)\nNudges: "
        f"{'paused' if actor.nudges_paused else 'on'}\n"
        "/diary shows your entries; /undo removes the latest; /forgetme erases everything."
    )
