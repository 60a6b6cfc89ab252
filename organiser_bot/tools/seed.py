"""Synthetic organisations: a small realistic one for the demo, large ones for benchmarks."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, insert, select

from organiser_bot.domain.kinds import DEFAULT_TARGETS
from organiser_bot.domain.periods import local_date, to_utc, week_monday
from organiser_bot.domain.roles import Role
from organiser_bot.domain.teams import slugify
from storage.models import (
    Activity,
    DailyTotal,
    Membership,
    Person,
    Team,
    TeamChat,
    TeamWeeklyTotal,
    WeeklyTotal,
)
from storage.query import table_of
from storage.upsert import add_to_counter_many

_team = table_of(Team)
_team_chat = table_of(TeamChat)
_person = table_of(Person)
_membership = table_of(Membership)
_activity = table_of(Activity)

FIRST = [
    "Sam",
    "Priya",
    "Tom",
    "Aisha",
    "Kwame",
    "Megan",
    "Olu",
    "Hannah",
    "Ravi",
    "Grace",
    "Liam",
    "Fatima",
    "Dan",
    "Zara",
    "Chris",
    "Nadia",
    "Joe",
    "Amara",
    "Ben",
    "Leah",
]
LAST = ["Patel", "Okafor", "Jones", "Khan", "Smith", "Evans", "Begum", "Murphy", "Ali", "Clarke"]
WARDS = [
    "North Ward",
    "Riverside",
    "Hill Top",
    "Old Town",
    "Canal Side",
    "Market Ward",
    "Park East",
    "Station Ward",
]
ROLE_MIX = (Role.ORGANISER, Role.ORGANISER, Role.COUNCILLOR, Role.CASEWORKER)
#: Seeded people's Telegram ids start here, far from real ones.
SEED_USER_BASE = 9_000_000_000


@dataclass(frozen=True, slots=True)
class SeedSummary:
    """What a seed run created."""

    teams: int
    people: int
    entries: int
    weeks: int

    def __str__(self) -> str:
        return (
            f"Seeded {self.teams} teams, {self.people} people and {self.entries} entries "
            f"over {self.weeks} weeks."
        )


def seed(
    engine: Engine,
    *,
    teams: int,
    members: int,
    weeks: int,
    tz: ZoneInfo,
    random_seed: int = 1,
    now: datetime | None = None,
    realistic: bool = False,
) -> SeedSummary:
    """Create ``teams`` teams of ``members`` people with ``weeks`` weeks of activity.

    Entries and their daily totals are written in bulk, so a million entries take seconds.
    Each member works at their own steady rate, with some weeks off and some misses, so digests
    show a spread of met and missed targets.
    """
    if teams < 1 or members < 0 or weeks < 1:
        raise ValueError("teams and weeks must be at least 1, members at least 0")
    rng = random.Random(random_seed)
    now = now or datetime.now(UTC)
    today = local_date(now, tz)
    first_day = week_monday(today) - timedelta(weeks=weeks - 1)
    # Teams and memberships date from the first seeded day, so every seeded week counts in full
    # (targets count only from the day someone joined; a trend starts with the team's week).
    founded = to_utc(first_day, time(9, 0), tz)
    with engine.begin() as conn:
        start_team = int(conn.execute(select(func.count()).select_from(_team)).scalar_one())
        start_person = int(conn.execute(select(func.count()).select_from(_person)).scalar_one())
        team_ids: list[int] = []
        for i in range(teams):
            n = start_team + i
            name = WARDS[n] if realistic and n < len(WARDS) else f"Team {n + 1:03d}"
            slug = slugify(name)
            team_id = conn.execute(
                insert(_team).values(name=name, slug=slug, created_at=founded).returning(_team.c.id)
            ).scalar_one()
            team_ids.append(int(team_id))
            conn.execute(
                insert(_team_chat).values(
                    team_id=team_id, chat_id=-1_000_000_000_000 - n, title=name, bound_at=now
                )
            )
        entries: list[dict[str, object]] = []
        total = 0
        daily: dict[tuple[int, int, str, date], int] = defaultdict(int)
        person_n = start_person
        for team_id in team_ids:
            for m in range(members):
                role = Role.MANAGER if m == 0 and members > 3 else ROLE_MIX[m % len(ROLE_MIX)]
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                user_id = SEED_USER_BASE + person_n
                person_n += 1
                person_id = int(
                    conn.execute(
                        insert(_person)
                        .values(
                            telegram_user_id=user_id,
                            display_name=name,
                            nudges_paused=False,
                            created_at=now,
                        )
                        .returning(_person.c.id)
                    ).scalar_one()
                )
                conn.execute(
                    insert(_membership).values(
                        person_id=person_id,
                        team_id=team_id,
                        role=role,
                        created_at=founded,
                        joined_on=first_day,
                    )
                )
                targets = DEFAULT_TARGETS.get(role) or {"resident_contact": 5}
                rate = rng.uniform(0.5, 1.25)  # share of target this person usually reaches
                message_id = 0
                for day_n in range((today - first_day).days + 1):
                    day = first_day + timedelta(days=day_n)
                    if day.weekday() == 6 and rng.random() < 0.7:
                        continue  # most people rest on Sundays
                    for kind, weekly in targets.items():
                        expected = weekly * rate / 6
                        # Uneven days, as real weeks are: some busy, some empty.
                        count = max(0, round(rng.gauss(expected, max(0.8, expected * 0.7))))
                        for _ in range(count if kind == "one_to_one" else min(count, 1)):
                            n_logged = 1 if kind == "one_to_one" else count
                            message_id += 1
                            at = to_utc(
                                day, time(rng.randint(9, 20), rng.choice((0, 15, 30, 45))), tz
                            )
                            if at > now:
                                continue
                            entries.append(
                                {
                                    "person_id": person_id,
                                    "team_id": team_id,
                                    "kind": kind,
                                    "count": n_logged,
                                    "occurred_at": at,
                                    "occurred_on": day,
                                    "note": None,
                                    "source_chat_id": user_id,
                                    "source_message_id": message_id,
                                    "source_line": 0,
                                    "recorded_at": at,
                                }
                            )
                            daily[(person_id, team_id, kind, day)] += n_logged
                if len(entries) >= 20_000:
                    total += _flush(conn, entries, daily)
        total += _flush(conn, entries, daily)
    return SeedSummary(teams, person_n - start_person, total, weeks)


def _flush(
    conn: Connection,
    entries: list[dict[str, object]],
    daily: dict[tuple[int, int, str, date], int],
) -> int:
    """Write buffered entries and their daily totals; return how many entries were written."""
    written = len(entries)
    if entries:
        conn.execute(insert(_activity), entries)
    rows = [
        {"person_id": p, "team_id": tm, "kind": k, "day": d, "total": n}
        for (p, tm, k, d), n in daily.items()
    ]
    if rows:
        add_to_counter_many(
            conn,
            table_of(DailyTotal),
            rows,
            key=("person_id", "team_id", "kind", "day"),
            column="total",
        )
        weeks: dict[tuple[int, int, str, date], int] = defaultdict(int)
        for (p, tm, k, d), n in daily.items():
            weeks[(p, tm, k, d - timedelta(days=d.weekday()))] += n
        add_to_counter_many(
            conn,
            table_of(WeeklyTotal),
            [
                {"person_id": p, "team_id": tm, "kind": k, "week": w, "total": n}
                for (p, tm, k, w), n in weeks.items()
            ],
            key=("person_id", "team_id", "kind", "week"),
            column="total",
        )
        team_weeks: dict[tuple[int, str, date], int] = defaultdict(int)
        for (_p, tm, k, w), n in weeks.items():
            team_weeks[(tm, k, w)] += n
        add_to_counter_many(
            conn,
            table_of(TeamWeeklyTotal),
            [
                {"team_id": tm, "kind": k, "week": w, "total": n}
                for (tm, k, w), n in team_weeks.items()
            ],
            key=("team_id", "kind", "week"),
            column="total",
        )
    entries.clear()
    daily.clear()
    return written
