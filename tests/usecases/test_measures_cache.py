"""``/measures all`` keeps each team's summary figures (``team_measures_cache``): whatever is
written between two summaries, the one shown is exactly what an uncached read gives now, and a
log in the current week leaves the kept figures in place. On SQLite and PostgreSQL.

An organisation of three teams lives 31 weeks through the real use cases (joins by invite,
removals, quick logs, absences, check-in answers, organisers' marks, residents figures); then
each kind of write is made once between two ``/measures all``, and random sequences of them
are interleaved with summaries over several periods.
"""

from __future__ import annotations

import contextlib
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, update
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
from tests.conftest import postgres_database

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
        (
            ("Calder", Role.COUNCILLOR, START, None),
            ("Aire", Role.COUNCILLOR, date(2026, 8, 3), None),
        ),
    ),
    # Joins inside the earlier 13 weeks, leaves inside the later ones.
    Member(
        HAL, "Hal Shaw", "hal", (("Calder", Role.CASEWORKER, date(2026, 6, 1), date(2026, 10, 7)),)
    ),
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
        conn,
        _actor(conn, uid),
        text,
        chat_id=key[0],
        message_id=key[1],
        sent_at=moment.now,
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
    words = " ".join(period) or None
    spans = windows(today=TODAY, end=parse_period(words, today=TODAY).end)
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
    with postgres_database(request.getfixturevalue("postgres_url"), "measures_world") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url, _build(url)


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
    with postgres_database(source, "measures_copy", template=make_url(source).database) as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.close()


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


# --- One write between two /measures all ---------------------------------------------------------


def _now(minutes: int = 0) -> Moment:
    return _moment(NOW + timedelta(minutes=minutes))


def _latest(world: World, first: date, last: date, uid: int | None = None) -> Message:
    """The latest message about a day of ``[first, last]`` (by ``uid``, when given)."""
    found = world.in_span(first, last, uid)
    assert found, (first, last, uid)
    return found[-1]


def _recount(text: str, more: int) -> str:
    """``text`` with ``more`` added to each line's count (the word's second word)."""
    out = []
    for line in text.splitlines():
        word, count, *rest = line.split()
        out.append(" ".join([word, str(int(count) + more), *rest]))
    return "\n".join(out)


def _retag(world: World, conn: Connection) -> None:
    """Gus moves a message he logged for Aire in the 13 weeks to Calder."""
    message = next(m for m in reversed(world.in_span(*WEEKS13, GUS)) if m.text.endswith("#aire"))
    edit(conn, message, message.text.replace("#aire", "#calder"), _now(1))


@dataclass(frozen=True)
class Write:
    """One kind of write: what it does, and whether an uncached read differs after it."""

    name: str
    run: Callable[[Connection, World], Any]
    changes: bool


WRITES = (
    Write("a quick log today", lambda c, w: quick_log(c, w, BEN, "doors 3", _now()), False),
    Write(
        "a log of yesterday: the last complete week",
        lambda c, w: quick_log(c, w, BEN, "doors 4 yesterday", _now()),
        True,
    ),
    Write(
        "a log backdated into the last 4 weeks",
        lambda c, w: quick_log(c, w, CAT, "doors 5 2026-11-10", _now()),
        True,
    ),
    # A quick log reaches 8 weeks back (to 5 October): the 13 weeks' first weeks and those
    # before are reached by editing (or undoing) an older message.
    Write(
        "a log backdated into the 13 weeks",
        lambda c, w: quick_log(c, w, FAY, "121 2 2026-10-06", _now()),
        True,
    ),
    Write(
        "an edit adding a line to a message of the 13 before",
        lambda c, w: edit(c, (m := _latest(w, *PREVIOUS13, JO)), m.text + "\ncase 2", _now(1)),
        True,
    ),
    Write(
        "an edit of a message before every span",
        lambda c, w: edit(
            c, (m := _latest(w, START, PREVIOUS13[0] - DAY)), _recount(m.text, 3), _now(1)
        ),
        False,
    ),
    Write(
        "undo of an entry in the last 4 weeks",
        lambda c, w: undo(c, _latest(w, *WEEKS4), _now()),
        True,
    ),
    Write(
        "undo of an entry in the 13 before",
        lambda c, w: undo(c, _latest(w, *PREVIOUS13), _now()),
        True,
    ),
    Write(
        "an edit of the count of an entry in the last 4 weeks",
        lambda c, w: edit(c, (m := _latest(w, *WEEKS4)), _recount(m.text, 7), _now(1)),
        True,
    ),
    Write("an edit moving an entry to another team", lambda c, w: _retag(w, c), True),
    Write(
        "someone new joins",
        lambda c, w: invite_and_join(c, 40, "don", Role.COUNCILLOR, _now()),
        False,
    ),
    Write(
        "a member active this month joins another team",
        lambda c, w: invite_and_join(c, CAT, "don", Role.COUNCILLOR, _now()),
        True,
    ),
    Write("a removal", lambda c, w: remove(c, BEN, "aire", _now()), False),
    Write(
        "a rejoin in the same role",
        lambda c, w: invite_and_join(c, ELI, "aire", Role.ORGANISER, _now()),
        False,
    ),
    Write(
        "a rejoin in another role",
        lambda c, w: invite_and_join(c, ELI, "aire", Role.COUNCILLOR, _now()),
        True,
    ),
    Write(
        "an absence added",
        lambda c, w: away(c, BEN, ["2026-11-16", "2026-11-18"], _now()),
        True,
    ),
    Write("an absence withdrawn", lambda c, w: away(c, CAT, ["cancel"], _now()), True),
    Write("a check-in answered yes", lambda c, w: tap(c, BEN, NOV, True, _now()), True),
    Write("a check-in answer changed to no", lambda c, w: tap(c, CAT, NOV, False, _now()), True),
    Write("an organiser's mark", lambda c, w: mark(c, KAI, ["@jo"], _now()), True),
    Write(
        "an organiser's mark of not active, of someone in two teams",
        lambda c, w: mark(c, FAY, ["@gus", "no"], _now()),
        True,
    ),
    Write("a residents figure set", lambda c, w: set_residents(c, "don", 3000, _now()), True),
    # Forgetting someone leaves every team figure they counted in as it was.
    Write("/forgetme of a member with history", lambda c, w: forget(c, JO, _now()), False),
    Write("/forgetme of a member in two teams", lambda c, w: forget(c, GUS, _now()), False),
    Write("a team renamed", lambda c, w: rename_team(c, "don", "Avon"), True),
    Write("a team archived", lambda c, w: archive_team(c, "calder"), True),
    Write("a team created", lambda c, w: create_team(c, "Esk", _now()), True),
)


@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_after_a_write_the_summary_is_what_an_uncached_read_gives(
    db: Database, world: World, write: Write
) -> None:
    first = db.call(shown)
    before = db.call(uncached)
    assert first == before
    db.call(write.run, world)
    after = db.call(uncached)
    assert (after != before) == write.changes, "the write should change the figures (or not)"
    again = db.call(shown)
    assert again == after
    # Everything shown is kept now, for these windows.
    key = cache.windows_key(windows(today=TODAY, end=TODAY + DAY))
    kept = db.call(kept_rows)
    assert {t.team_id for t in again.teams} <= set(kept)
    assert all(cache.holding(kept[t.team_id], key) is not None for t in again.teams)
    # And read again with nothing written: the same.
    assert db.call(shown) == after


def test_a_log_in_the_current_week_leaves_the_kept_figures_in_place(
    db: Database, world: World
) -> None:
    aire = db.call(team_id, "aire")
    first = db.call(shown)
    kept = db.call(kept_rows)
    for words in ("doors 3", "121 2\ncase 1", "doors 2 2026-11-30 #calder"):
        sender = GUS if "#" in words else BEN
        db.call(lambda c: quick_log(c, world, sender, words, _now()))  # noqa: B023
    # An entry today, undone and edited: still the current week.
    db.call(lambda c: undo(c, world.messages[-2], _now(1)))
    db.call(lambda c: edit(c, world.messages[-3], "doors 9", _now(2)))
    assert db.call(kept_rows) == kept  # no revision moved, nothing dropped
    assert kept[aire].figures_revision == kept[aire].revision
    assert db.call(shown) == first == db.call(uncached)
    assert db.call(kept_rows) == kept  # read from what was kept, not read again


def test_another_period_and_back(db: Database, world: World) -> None:
    """``/measures all lastmonth`` after ``/measures all`` keeps other windows; going back, and
    writes made meanwhile to weeks either read, each summary is what an uncached read gives."""
    assert db.call(shown) == db.call(uncached)
    db.call(lambda c: quick_log(c, world, CAT, "doors 6 2026-10-14", _now()))
    october = db.call(shown, "lastmonth")
    assert october == db.call(uncached, "lastmonth")
    assert october.weeks4 == (date(2026, 9, 28), date(2026, 10, 25))
    kept = db.call(kept_rows)
    aire = db.call(team_id, "aire")
    # A week after those October's figures read: they hold.
    db.call(lambda c: quick_log(c, world, CAT, "doors 7 2026-11-10", _now(1)))
    assert db.call(kept_rows)[aire] == kept[aire]
    for period in [(), ("lastmonth",), ("2026-W45",), (), ("2026-10-01..2026-10-28",)]:
        assert db.call(shown, *period) == db.call(uncached, *period), period
    db.call(lambda c: undo(c, world.messages[-2], _now(2)))  # the 14 October entry
    for period in [("lastmonth",), ()]:
        assert db.call(shown, *period) == db.call(uncached, *period), period
    assert db.call(shown, "lastmonth") != october


# --- Random sequences of writes and summaries ----------------------------------------------------

UIDS = (BEN, CAT, DEV, ELI, FAY, GUS, HAL, JO, KAI, 40, 41)
MARKERS = (ADMIN, BEN, FAY, KAI)
PERIODS = ((), ("lastmonth",), ("2026-W45",), ("2026-10-01..2026-10-28",))
_uid = st.sampled_from(UIDS)
_team_no = st.integers(0, 5)

#: One step: a write (as a tuple of its name and arguments), or ``/measures all [period]``.
STEPS = st.one_of(
    st.tuples(
        st.just("log"),
        _uid,
        st.integers(0, 56),  # days back: today (the current week) to the oldest a log reaches
        st.sampled_from(("121", "doors", "case", "contacts")),
        st.integers(1, 9),
        _team_no,
    ),
    st.tuples(st.just("undo"), st.integers(0, 10_000)),
    st.tuples(st.just("edit"), st.integers(0, 10_000), st.integers(1, 9)),
    st.tuples(st.just("join"), _uid, _team_no, st.sampled_from(list(Role))),
    st.tuples(st.just("remove"), _uid, _team_no),
    st.tuples(st.just("away"), _uid, st.integers(-50, 5), st.integers(0, 10)),
    st.tuples(st.just("cancel"), _uid),
    st.tuples(st.just("tap"), _uid, st.booleans()),
    st.tuples(
        st.just("mark"),
        st.sampled_from(MARKERS),
        _uid,
        st.sampled_from(("thismonth", "2026-10")),
        st.booleans(),
    ),
    st.tuples(st.just("residents"), _team_no, st.integers(1, 20_000)),
    st.tuples(st.just("forget"), _uid),
    st.tuples(st.just("rename"), _team_no, st.sampled_from(("Avon", "Brue", "Zeta"))),
    st.tuples(st.just("archive"), _team_no),
    st.tuples(st.just("create"), st.sampled_from(("Esk", "Frome", "Avon"))),
    st.tuples(st.just("measures"), st.sampled_from(PERIODS)),
)


def _username(uid: int) -> str:
    person = BY_UID.get(uid)
    return person.username if person else f"user{uid}"


def _team_slugs(conn: Connection) -> list[str]:
    """The live teams' short names, in the order they were created."""
    return [t.slug for t in sorted(store.live_teams(conn))]


def _step(conn: Connection, world: World, step: tuple[Any, ...], minute: int) -> None:
    """Make the write ``step`` names, as the bot would, at ``minute`` past now. A refusal is
    answered and changes nothing: the sequence goes on."""
    moment = _now(minute)
    name, *args = step
    slugs = _team_slugs(conn)
    if name == "log":
        uid, back, word, count, team_no = args
        actor = _actor(conn, uid)
        tag = f" #{actor.teams[team_no % len(actor.teams)].slug}" if len(actor.teams) > 1 else ""
        day = TODAY - timedelta(days=back)
        key = world.new_key(uid)
        logbook.log_text(
            conn,
            actor,
            f"{word} {count} {day.isoformat()}{tag}",
            chat_id=key[0],
            message_id=key[1],
            sent_at=moment.now,
            moment=moment,
        )
        world.messages.append(Message(uid, key, moment.now, day, f"{word} {count}{tag}"))
    elif name == "undo":
        message = world.messages[args[0] % len(world.messages)]
        undo(conn, message, moment)
    elif name == "edit":
        index, count = args
        message = world.messages[index % len(world.messages)]
        recounted = "\n".join(
            " ".join([line.split()[0], str(count), *line.split()[2:]])
            for line in message.text.splitlines()
        )
        logbook.edit_text(
            conn,
            _actor(conn, message.uid),
            recounted,
            chat_id=message.key[0],
            message_id=message.key[1],
            sent_at=message.sent_at,
            moment=moment,
            edited_at=moment.now,
        )
    elif name == "join":
        uid, team_no, role = args
        invite_and_join(conn, uid, slugs[team_no % len(slugs)], role, moment)
    elif name == "remove":
        uid, team_no = args
        words = [slugs[team_no % len(slugs)], f"@{_username(uid)}", "confirm"]
        members.remove_member(conn, _actor(conn), words, moment=moment)
    elif name == "away":
        uid, start, length = args
        first = TODAY + timedelta(days=start)
        away(conn, uid, [first.isoformat(), (first + timedelta(days=length)).isoformat()], moment)
    elif name == "cancel":
        away(conn, args[0], ["cancel"], moment)
    elif name == "tap":
        uid, active = args
        residents.answer_checkin(
            conn, _actor(conn, uid), residents.CheckinTap(NOV, active), moment=moment
        )
    elif name == "mark":
        marker, uid, month, active = args
        words = [f"@{_username(uid)}", month, "yes" if active else "no"]
        residents.mark_active(conn, _actor(conn, marker), words, moment=moment)
    elif name == "residents":
        team_no, figure = args
        set_residents(conn, slugs[team_no % len(slugs)], figure, moment)
    elif name == "forget":
        privacy.forget_me(conn, _actor(conn, args[0]), ["confirm"], moment=moment)
    elif name == "rename":
        team_no, new_name = args
        rename_team(conn, slugs[team_no % len(slugs)], f"{new_name} {minute}")
    elif name == "archive":
        if len(store.live_teams(conn)) > 2:  # /measures all shows two teams at least
            archive_team(conn, slugs[args[0] % len(slugs)])
    elif name == "create":
        create_team(conn, args[0], moment)
    else:  # pragma: no cover
        raise AssertionError(step)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(STEPS, min_size=1, max_size=14))
def test_any_writes_between_summaries_leave_each_summary_as_an_uncached_read(
    db: Database, world: World, steps: list[tuple[Any, ...]]
) -> None:
    """Random writes interleaved with ``/measures all`` over several periods: every summary is
    what an uncached read gives at that point. Each sequence runs in one transaction on the
    lived database (whose figures are kept for now), rolled back after it, so every sequence
    starts from the same kept figures."""
    with db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            mine = world.copy()
            for minute, step in enumerate([*steps, ("measures", ())]):
                if step[0] == "measures":
                    period = step[1]
                    assert shown(conn, *period) == uncached(conn, *period), (minute, steps)
                    continue
                # A refusal is answered, and the next step goes on.
                with contextlib.suppress(Refusal):
                    _step(conn, mine, step, minute)
        finally:
            transaction.rollback()
