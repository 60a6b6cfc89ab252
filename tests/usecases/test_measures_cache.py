"""``/measures all`` keeps each team's summary figures (``team_measures_cache``): whatever is
written between two summaries, the one shown is exactly what an uncached read gives now, and a
log in the current week leaves the kept figures in place. On SQLite and PostgreSQL.

An organisation of three teams lives 31 weeks through the real use cases (joins by invite,
removals, quick logs, absences, check-in answers, organisers' marks, residents figures); then
each kind of write is made once between two ``/measures all``, and random sequences of them
are interleaved with summaries over several periods.
"""

from __future__ import annotations

import random
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select, text, update
from sqlalchemy.engine import make_url

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.measures import MeasuresSummary, windows
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import parse_period, to_utc
from organiser_bot.domain.refusals import Refusal
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import logbook, members, onboarding, privacy, residents
from organiser_bot.usecases.measures import measures, summarise, team_figures
from storage import measures as store
from storage import measures_cache as cache
from storage import migrate, people
from storage.engine import Database, make_engine
from storage.models import Team, TeamMeasuresCache
from storage.query import table_of

LONDON = ZoneInfo("Europe/London")
KINDS = KindRegistry()
ADMIN = 1
DAY = timedelta(days=1)
_cache = table_of(TeamMeasuresCache)
_team = table_of(Team)

#: "Now": Monday 30 November 2026, noon (London is on UTC): November's last day, so its
#: check-in is open. The last complete week is 23-29 November.
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
#: The history begins on a Monday 31 weeks back, five weeks before the earlier 13 weeks.
START = date(2026, 4, 27)
#: The spans of ``/measures`` as at now (first Monday, last Sunday).
WEEKS4 = (date(2026, 11, 2), date(2026, 11, 29))
WEEKS13 = (date(2026, 8, 31), date(2026, 11, 29))
PREVIOUS13 = (date(2026, 6, 1), date(2026, 8, 30))
SEP, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)

TEAMS = ("Aire", "Calder", "Don")


@dataclass(frozen=True)
class Member:
    """A person: their memberships as (team, role, first day, last day or None)."""

    uid: int
    name: str
    username: str
    spans: tuple[tuple[str, Role, date, date | None], ...]

    def role_in(self, team: str, day: date) -> Role | None:
        for t, role, first, last in self.spans:
            if t == team and first <= day and (last is None or day <= last):
                return role
        return None

    def teams_on(self, day: date) -> list[str]:
        return [t for t in TEAMS if self.role_in(t, day) is not None]


ANN, BEN, CAT, DEV, ELI = 11, 12, 13, 14, 15
FAY, GUS, HAL, IVY = 21, 22, 23, 24
JO, KAI = 31, 32
PEOPLE = (
    Member(ANN, "Ann Moss", "ann", (("Aire", Role.MANAGER, START, None),)),
    Member(BEN, "Ben Ode", "ben", (("Aire", Role.ORGANISER, START, None),)),
    Member(CAT, "Cat Lund", "cat", (("Aire", Role.COUNCILLOR, START, None),)),
    # Joins inside the 13 weeks.
    Member(DEV, "Dev Rao", "dev", (("Aire", Role.CASEWORKER, date(2026, 9, 14), None),)),
    # Removed inside the last four weeks: one to invite back.
    Member(ELI, "Eli Park", "eli", (("Aire", Role.ORGANISER, START, date(2026, 11, 10)),)),
    Member(FAY, "Fay Nash", "fay", (("Calder", Role.ORGANISER, START, None),)),
    # In Calder throughout, and in Aire too from August (logs there with #aire).
    Member(
        GUS,
        "Gus Hale",
        "gus",
        (("Calder", Role.COUNCILLOR, START, None), ("Aire", Role.COUNCILLOR, date(2026, 8, 3), None)),
    ),
    # Joins inside the earlier 13 weeks, leaves inside the later ones.
    Member(HAL, "Hal Shaw", "hal", (("Calder", Role.CASEWORKER, date(2026, 6, 1), date(2026, 10, 7)),)),
    Member(IVY, "Ivy Cole", "ivy", (("Calder", Role.MANAGER, START, None),)),
    Member(JO, "Jo Reid", "jo", (("Don", Role.COUNCILLOR, START, None),)),
    Member(KAI, "Kai Bell", "kai", (("Don", Role.ORGANISER, START, None),)),
)
BY_UID = {p.uid: p for p in PEOPLE}
#: Absences: (uid, first day, last day, the day it is recorded with /away).
ABSENCES = (
    (CAT, date(2026, 11, 2), date(2026, 11, 6), date(2026, 10, 20)),
    (FAY, date(2026, 10, 30), date(2026, 11, 3), date(2026, 10, 15)),  # across a week's end
    (JO, date(2026, 11, 16), date(2026, 12, 4), date(2026, 11, 12)),  # on past today
)
#: Check-in taps: (uid, month, active, the day tapped: inside the month's window).
TAPS = (
    (BEN, SEP, True, date(2026, 10, 2)),
    (CAT, SEP, True, date(2026, 10, 2)),
    (FAY, SEP, True, date(2026, 10, 3)),
    (GUS, SEP, False, date(2026, 10, 3)),
    (BEN, OCT, True, date(2026, 11, 2)),
    (CAT, OCT, True, date(2026, 11, 2)),
    (ELI, OCT, True, date(2026, 11, 3)),
    (JO, OCT, True, date(2026, 11, 4)),
    (KAI, OCT, False, date(2026, 11, 4)),
    (CAT, NOV, True, TODAY),
    (FAY, NOV, True, TODAY),
    (GUS, NOV, True, TODAY),
)
#: Organisers' marks: (organiser uid, member's username, month word, the day marked).
MARKS = ((FAY, "hal", "2026-10", date(2026, 11, 5)),)
#: Residents figures: (team slug, figure, the day set).
RESIDENTS = (
    ("aire", 5000, date(2026, 9, 10)),
    ("calder", 8000, date(2026, 10, 1)),
    ("aire", 5200, date(2026, 10, 20)),
)
#: What each role logs: (word typed, largest count).
WORDS = {
    Role.MANAGER: (("121", 2),),
    Role.ORGANISER: (("121", 3), ("doors", 12)),
    Role.COUNCILLOR: (("doors", 15), ("case", 3)),
    Role.CASEWORKER: (("case", 4), ("contacts", 6)),
}


def _moment(at: datetime) -> Moment:
    return Moment(at, LONDON, KINDS)


def _at(day: date, clock: time = time(12, 0)) -> Moment:
    return _moment(to_utc(day, clock, LONDON))


def _actor(conn: Connection, uid: int = ADMIN) -> Actor:
    person = BY_UID.get(uid)
    identity = (
        Identity(uid, person.name, person.username) if person else Identity(uid, f"User {uid}")
    )
    return people.load_actor(conn, identity, admin_ids=frozenset({ADMIN}))


@dataclass
class Message:
    """A quick log as sent: who, from which chat and message, when, and its words."""

    uid: int
    key: tuple[int, int]
    sent_at: datetime
    day: date
    text: str


@dataclass
class World:
    """The organisation's history, and the messages logged in it (to undo and edit later)."""

    messages: list[Message] = field(default_factory=list)
    last_id: int = 0

    def new_key(self, uid: int) -> tuple[int, int]:
        self.last_id += 1
        return (uid, self.last_id)

    def copy(self) -> World:
        return World([replace(m) for m in self.messages], self.last_id)

    def in_span(self, first: date, last: date, uid: int | None = None) -> list[Message]:
        return [
            m for m in self.messages if first <= m.day <= last and (uid is None or m.uid == uid)
        ]


# --- The use cases, as the bot calls them --------------------------------------------------------


def invite_and_join(conn: Connection, uid: int, slug: str, role: Role, moment: Moment) -> None:
    invite = onboarding.create_invite(conn, _actor(conn), [slug, role.value], moment=moment)
    onboarding.join(conn, _actor(conn, uid), invite.code, moment=moment)


def quick_log(conn: Connection, world: World, uid: int, text: str, moment: Moment) -> Message:
    key = world.new_key(uid)
    done = logbook.log_text(
        conn, _actor(conn, uid), text, chat_id=key[0], message_id=key[1], sent_at=moment.now,
        moment=moment,
    )
    assert isinstance(done, logbook.Logged), done
    [day] = {e.day for e in done.entries}
    message = Message(uid, key, moment.now, day, text)
    world.messages.append(message)
    return message


def undo(conn: Connection, message: Message, moment: Moment) -> None:
    logbook.undo_source(conn, _actor(conn, message.uid), *message.key, moment=moment)


def edit(conn: Connection, message: Message, text: str, moment: Moment) -> None:
    done = logbook.edit_text(
        conn,
        _actor(conn, message.uid),
        text,
        chat_id=message.key[0],
        message_id=message.key[1],
        sent_at=message.sent_at,
        moment=moment,
        edited_at=moment.now,
    )
    assert isinstance(done, logbook.Logged), done
    message.text = text


def remove(conn: Connection, uid: int, slug: str, moment: Moment) -> None:
    person = BY_UID[uid]
    done = members.remove_member(
        conn, _actor(conn), [slug, f"@{person.username}", "confirm"], moment=moment
    )
    assert isinstance(done, members.MemberRemoved)


def away(conn: Connection, uid: int, words: list[str], moment: Moment) -> None:
    members.away(conn, _actor(conn, uid), words, moment=moment)


def tap(conn: Connection, uid: int, month: date, active: bool, moment: Moment) -> None:
    done = residents.answer_checkin(
        conn, _actor(conn, uid), residents.CheckinTap(month, active), moment=moment
    )
    assert isinstance(done, residents.CheckinRecorded), done


def mark(conn: Connection, uid: int, words: list[str], moment: Moment) -> None:
    done = residents.mark_active(conn, _actor(conn, uid), words, moment=moment)
    assert isinstance(done, residents.ActiveMarked), done


def set_residents(conn: Connection, slug: str, figure: int, moment: Moment) -> None:
    residents.residents(conn, _actor(conn), [slug, str(figure)], moment=moment)


def forget(conn: Connection, uid: int, moment: Moment) -> None:
    done = privacy.forget_me(conn, _actor(conn, uid), ["confirm"], moment=moment)
    assert isinstance(done, privacy.Forgotten)


def rename_team(conn: Connection, slug: str, name: str) -> None:
    """No command renames a team: an administrator does it in the database."""
    done = conn.execute(update(_team).where(_team.c.slug == slug).values(name=name))
    assert done.rowcount == 1


def archive_team(conn: Connection, slug: str) -> None:
    """No command archives a team: an administrator does it in the database."""
    done = conn.execute(update(_team).where(_team.c.slug == slug).values(archived_at=NOW))
    assert done.rowcount == 1


def create_team(conn: Connection, name: str, moment: Moment) -> None:
    onboarding.create_team(conn, _actor(conn), name, moment=moment)


# --- The history ---------------------------------------------------------------------------------


def _log_words(rng: random.Random, person: Member, team: str, day: date) -> str:
    role = person.role_in(team, day)
    assert role is not None
    tag = f" #{team.lower()}" if len(person.teams_on(day)) > 1 else ""
    lines = []
    for _ in range(rng.choice((1, 1, 2))):
        word, most = rng.choice(WORDS[role])
        lines.append(f"{word} {rng.randint(1, most)}{tag}")
    return "\n".join(lines)


def live(conn: Connection) -> World:
    """Live the history, day by day, in ``conn``."""
    world = World()
    rng = random.Random(20261130)
    for name in TEAMS:
        create_team(conn, name, _at(START, time(6, 0)))
    day = START
    while day <= TODAY:
        for person in PEOPLE:
            for team, role, first, _ in person.spans:
                if first == day:
                    invite_and_join(conn, person.uid, team.lower(), role, _at(day, time(7, 0)))
        for uid, first, last, on in ABSENCES:
            if on == day:
                away(conn, uid, [first.isoformat(), last.isoformat()], _at(day, time(8, 0)))
        for person in PEOPLE:
            teams = person.teams_on(day)
            if not teams or rng.random() > 0.18:
                continue
            text = _log_words(rng, person, rng.choice(teams), day)
            quick_log(conn, world, person.uid, text, _at(day, time(rng.choice((9, 13, 19)))))
        for uid, month, active, on in TAPS:
            if on == day:
                tap(conn, uid, month, active, _at(day, time(10, 0)))
        for uid, username, month_word, on in MARKS:
            if on == day:
                mark(conn, uid, [f"@{username}", month_word], _at(day, time(10, 30)))
        for slug, figure, on in RESIDENTS:
            if on == day:
                set_residents(conn, slug, figure, _at(day, time(11, 0)))
        for person in PEOPLE:
            for team, _, _, until in person.spans:
                if until == day:
                    remove(conn, person.uid, team.lower(), _at(day, time(20, 0)))
        day += DAY
    return world


# --- /measures all, and the uncached read ---------------------------------------------------------


def shown(conn: Connection, *period: str) -> MeasuresSummary:
    """``/measures all [period]`` as the admin, now."""
    got = measures(conn, _actor(conn), ["all", *period], moment=_moment(NOW))
    assert isinstance(got, MeasuresSummary), got
    return got


def uncached(conn: Connection, *period: str) -> MeasuresSummary:
    """The summary read from the tables now, without the kept figures: every live team (the
    admin sees them all), figures by :func:`team_figures`."""
    text = " ".join(period) or None
    spans = windows(today=TODAY, end=parse_period(text, today=TODAY).end)
    teams = store.live_teams(conn)
    figures = team_figures(conn, [t.id for t in teams], spans)
    return summarise(teams, spans, figures, kind_order=KINDS.keys())


def kept_rows(conn: Connection) -> dict[int, cache.Kept]:
    return cache.read(conn, None)


def team_id(conn: Connection, slug: str) -> int:
    team = people.find_team(conn, slug)
    assert team is not None
    return team.id


def _build(url: str) -> World:
    """Live the history on the migrated database at ``url``, then run one ``/measures all``
    (which keeps every team's figures); all committed."""
    database = Database(url)
    try:
        lived = database.call(live)
        summary = database.call(shown)
        assert [t.team_name for t in summary.teams] == list(TEAMS)
        holding = database.call(kept_rows)
        key = cache.windows_key(windows(today=TODAY, end=TODAY + DAY))
        assert len(holding) == len(TEAMS)
        assert all(cache.holding(k, key) is not None for k in holding.values())
    finally:
        database.close()
    return lived


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def lived(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World]]:
    """The history lived once per database for the module (it takes seconds), in a database
    each test gets a copy of: (the copy's source, the world). An SQLite file, or a PostgreSQL
    database to use as a template."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("measures-cache") / "world.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}", _build(f"sqlite:///{path}")
        return
    base = make_url(request.getfixturevalue("postgres_url"))
    name = f"measures_world_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url, _build(url)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(lived: tuple[str, World], tmp_path: Path) -> Iterator[Database]:
    """A copy of the lived database, for this test alone."""
    source, _ = lived
    if source.startswith("sqlite"):
        path = tmp_path / "copy.db"
        shutil.copy(source.removeprefix("sqlite:///"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.close()
        return
    url = make_url(source)
    name = f"measures_copy_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    database = Database(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield database
    finally:
        database.close()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def world(lived: tuple[str, World]) -> World:
    """The history's messages, for this test to undo and edit."""
    return lived[1].copy()


def test_the_history_is_one_the_figures_can_tell_apart(db: Database, world: World) -> None:
    """Every team has figures in each span, so a write that a kept figure missed would show."""
    summary = db.call(uncached)
    assert (summary.weeks4, summary.weeks13, summary.previous13) == (WEEKS4, WEEKS13, PREVIOUS13)
    for line in summary.teams:
        assert line.team_rate.days_present > 0, line
        assert any(k.total for k in line.rolling13) and any(k.previous for k in line.rolling13)
    aire, calder, don = summary.teams
    assert (aire.month.residents, calder.month.residents, don.month.residents) == (5200, 8000, None)
    assert (aire.month.active, calder.month.active, don.month.active) == (2, 2, 0)
    assert {Role.ORGANISER, Role.COUNCILLOR, Role.CASEWORKER} == {r for r, _ in summary.by_role}
    assert world.in_span(*WEEKS4) and world.in_span(*PREVIOUS13)
