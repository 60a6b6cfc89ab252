"""The same figures everywhere: one organisation's history, lived through the real use cases
(quick logs, undos, edits, members joining, leaving and coming back, absences, two teams and a
person in both), then every way the bot reports a period's totals is compared with every
other and with a count made here from what was logged:

* ``/totals <team> <range>`` (summed from ``daily_total``),
* ``/export <range>`` (rows of ``activity``, parsed back from the CSV),
* each week's digest (members' daily counts, from ``daily_total``) and its trend (from
  ``weekly_total``),
* a straight SQL count over live ``activity`` rows,
* the test's own ledger of what it logged, undid and corrected, dated by the local day,

for the 13 complete weeks before "now" and the 13 before those, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, func, select

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.measures import MeasuresSummary, TeamMeasures
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import to_utc
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import (
    digests,
    exports,
    logbook,
    measures,
    members,
    onboarding,
    reports,
)
from storage import people
from storage.engine import Database
from storage.models import Activity
from storage.query import table_of
from tests.conftest import _truncate_postgres

LONDON = ZoneInfo("Europe/London")
KINDS = KindRegistry()
ADMIN = 1
DAY = timedelta(days=1)

#: The history starts on a Monday, three weeks before the earlier 13-week window.
START = date(2026, 5, 4)
#: "Now": Thursday of 2026-W48. The last complete week is 2026-W47 (16-22 November).
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
#: The last 13 complete weeks and the 13 before them: first Monday, last Sunday, inclusive.
WEEKS13 = (date(2026, 8, 24), date(2026, 11, 22))
PREVIOUS13 = (date(2026, 5, 25), date(2026, 8, 23))
#: The last 4 complete weeks (the rolling resident-contact rate's window).
WEEKS4 = (date(2026, 10, 26), date(2026, 11, 22))

#: Local times of day messages are sent at. 00:20 in summer time is the previous day in UTC
#: (a Monday 00:20 is still Sunday in UTC): entries count for the local day.
SLOTS = (time(0, 20), time(8, 15), time(12, 40), time(18, 30), time(23, 50))
JOIN_AT = time(7, 0)
REMOVE_AT = time(23, 55)


@dataclass(frozen=True)
class Member:
    """A person of the organisation: their memberships as (team, role, first day, last day or
    None) spans, in the order they begin."""

    uid: int
    name: str
    username: str
    spans: tuple[tuple[str, Role, date, date | None], ...]


TEAMS = ("Leeds", "York")
PEOPLE = (
    Member(101, "Mia Hart", "mia", (("Leeds", Role.MANAGER, START, None),)),
    Member(102, "Alex Jones", "alex", (("Leeds", Role.ORGANISER, START, None),)),
    Member(103, "Cara Okafor", "cara", (("Leeds", Role.COUNCILLOR, START, None),)),
    # Joins in the middle of the 13 weeks.
    Member(104, "Cas Begum", "cas", (("Leeds", Role.CASEWORKER, date(2026, 9, 16), None),)),
    # Removed on a Wednesday inside the last 4 weeks.
    Member(105, "Lee Wong", "lee", (("Leeds", Role.ORGANISER, START, date(2026, 11, 4)),)),
    # Removed, then invited back: a gap inside the last 4 weeks.
    Member(
        106,
        "Rae Ali",
        "rae",
        (
            ("Leeds", Role.COUNCILLOR, START, date(2026, 10, 28)),
            ("Leeds", Role.COUNCILLOR, date(2026, 11, 11), None),
        ),
    ),
    Member(201, "Yan Li", "yan", (("York", Role.ORGANISER, START, None),)),
    # In York throughout, in Leeds too from late August (logs there with #leeds).
    Member(
        202,
        "Zed Evans",
        "zed",
        (
            ("York", Role.COUNCILLOR, START, None),
            ("Leeds", Role.ORGANISER, date(2026, 8, 26), None),
        ),
    ),
    # Joins York inside the earlier window, leaves inside the later one.
    Member(
        203, "Kim Smith", "kim", (("York", Role.CASEWORKER, date(2026, 6, 10), date(2026, 9, 30)),)
    ),
)
#: Absences: (uid, first day, last day, the day it is recorded).
ABSENCES = (
    (102, date(2026, 9, 7), date(2026, 9, 18), date(2026, 9, 1)),
    (103, date(2026, 11, 2), date(2026, 11, 6), date(2026, 10, 20)),
    (201, date(2026, 10, 30), date(2026, 11, 3), date(2026, 10, 15)),  # across a week's end
    (106, date(2026, 11, 16), date(2026, 11, 16), date(2026, 11, 12)),
)

#: What each role logs: (word typed, kind key, largest count).
LINES = {
    Role.MANAGER: (("121", "one_to_one", 2),),
    Role.ORGANISER: (("121", "one_to_one", 3), ("doors", "resident_contact", 12)),
    Role.COUNCILLOR: (("doors", "resident_contact", 15), ("case", "casework", 3)),
    Role.CASEWORKER: (("case", "casework", 4), ("contacts", "resident_contact", 6)),
}


@dataclass(frozen=True)
class Entry:
    """One entry as the test logged it."""

    uid: int
    team: str
    kind: str
    count: int
    day: date


@dataclass
class Ledger:
    """What the test logged, undid and corrected, kept by message, independent of the bot."""

    messages: dict[tuple[int, int], list[Entry]] = field(default_factory=dict)
    undone: set[tuple[int, int]] = field(default_factory=set)
    undone_in_windows: int = 0
    edited: int = 0
    #: Messages sent at 00:20 local on a summer Monday: still Sunday, the week before, in UTC.
    small_hours_mondays: int = 0
    team_ids: dict[str, int] = field(default_factory=dict)
    person_ids: dict[int, int] = field(default_factory=dict)

    def live(self) -> Iterator[Entry]:
        for key, entries in self.messages.items():
            if key not in self.undone:
                yield from entries

    def totals(self, first: date, last: date) -> dict[tuple[str, str], int]:
        """(team, kind) -> total over [first, last], without zeros."""
        out: Counter[tuple[str, str]] = Counter()
        for e in self.live():
            if first <= e.day <= last:
                out[(e.team, e.kind)] += e.count
        return {k: v for k, v in out.items() if v}


def member_of(person: Member, team: str, day: date) -> Role | None:
    """The person's role in ``team`` on ``day``, or None when not a member that day."""
    for t, role, first, last in person.spans:
        if t == team and first <= day and (last is None or day <= last):
            return role
    return None


def away_on(uid: int, day: date) -> bool:
    return any(u == uid and first <= day <= last for u, first, last, _ in ABSENCES)


def days_present(person: Member, team: str, first: date, last: date) -> int:
    """Days of [first, last] the person was a member of ``team`` and not away: counted day by
    day."""
    n = (last - first).days + 1
    days = (first + i * DAY for i in range(n))
    return sum(1 for d in days if member_of(person, team, d) and not away_on(person.uid, d))


def _identity(person: Member | None) -> Identity:
    if person is None:
        return Identity(ADMIN, "Ada Admin")
    return Identity(person.uid, person.name, person.username)


def _actor(conn: Connection, person: Member | None = None) -> Actor:
    return people.load_actor(conn, _identity(person), admin_ids=frozenset({ADMIN}))


def _moment(day: date, at: time) -> Moment:
    return Moment(to_utc(day, at, LONDON), LONDON, KINDS)


def _local_day(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


class Organisation:
    """Lives the history day by day through the use cases, keeping the ledger."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rng = random.Random(20261126)
        self.ledger = Ledger()
        self.message_ids = itertools.count(1)
        self.sent: dict[tuple[int, int], tuple[datetime, Member]] = {}
        # Each person's live messages, oldest first: what a later Undo button may reach.
        self.history: dict[int, list[tuple[int, int]]] = defaultdict(list)

    # -- one day ------------------------------------------------------------------------------

    def live(self) -> Ledger:
        self.db.call(self._create_teams)
        day = START
        while day <= TODAY:
            self._day(day)
            day += DAY

        def person_ids(conn: Connection) -> dict[int, int]:
            actors = {p.uid: _actor(conn, p) for p in PEOPLE}
            return {uid: a.person_id for uid, a in actors.items() if a.person_id is not None}

        self.ledger.person_ids = self.db.call(person_ids)
        return self.ledger

    def _create_teams(self, conn: Connection) -> None:
        moment = _moment(START, time(6, 0))
        for name in TEAMS:
            onboarding.create_team(conn, _actor(conn), name, moment=moment)
            team = people.find_team(conn, name.lower())
            assert team is not None
            self.ledger.team_ids[name] = team.id

    def _day(self, day: date) -> None:
        for person in PEOPLE:
            for team, role, first, _ in person.spans:
                if first == day:
                    self._join(person, team, role, day)
        for uid, first, last, on in ABSENCES:
            if on == day:
                person = next(p for p in PEOPLE if p.uid == uid)
                self._away(person, first, last, day)
        for person in PEOPLE:
            if away_on(person.uid, day):
                continue  # nobody logs while away: the rate's days away hold no contacts
            teams = [t for t in TEAMS if member_of(person, t, day)]
            if not teams or self.rng.random() > 0.45:
                continue
            joined_today = any(first == day for _, _, first, _ in person.spans)
            slots = SLOTS[1:] if joined_today else SLOTS
            self._log(person, teams, day, self.rng.choice(slots))
        for person in PEOPLE:
            for team, _, _, until in person.spans:
                if until == day:
                    self._remove(person, team, day)

    # -- the use cases ------------------------------------------------------------------------

    def _join(self, person: Member, team: str, role: Role, day: date) -> None:
        moment = _moment(day, JOIN_AT)

        def run(conn: Connection) -> None:
            invite = onboarding.create_invite(
                conn, _actor(conn), [team.lower(), role.value], moment=moment
            )
            joined = onboarding.join(conn, _actor(conn, person), invite.code, moment=moment)
            assert (joined.team_name, joined.role) == (team, role)

        self.db.call(run)

    def _remove(self, person: Member, team: str, day: date) -> None:
        moment = _moment(day, REMOVE_AT)

        def run(conn: Connection) -> None:
            args = [team.lower(), f"@{person.username}", "confirm"]
            done = members.remove_member(conn, _actor(conn), args, moment=moment)
            assert isinstance(done, members.MemberRemoved) and done.last_day == day

        self.db.call(run)

    def _away(self, person: Member, first: date, last: date, day: date) -> None:
        moment = _moment(day, time(9, 0))
        args = [first.isoformat(), last.isoformat()]
        recorded = self.db.call(lambda c: members.away(c, _actor(c, person), args, moment=moment))
        assert isinstance(recorded, members.AbsenceRecorded)

    def _lines(
        self, person: Member, teams: list[str], day: date, sent_day: date
    ) -> tuple[str, list[Entry]]:
        """A message of one to three lines and the entries it must make."""
        team = self.rng.choice(teams)
        role = member_of(person, team, day)
        assert role is not None
        tag = f" #{team.lower()}" if len(teams) > 1 else ""
        words, entries = [], []
        for _ in range(self.rng.choice((1, 1, 2, 3))):
            word, kind, most = self.rng.choice(LINES[role])
            count = self.rng.randint(1, most)
            yesterday = day != sent_day
            words.append(f"{word} {count}{' yesterday' if yesterday else ''}{tag}")
            entries.append(Entry(person.uid, team, kind, count, day))
        return "\n".join(words), entries

    def _log(self, person: Member, teams: list[str], sent_day: date, slot: time) -> None:
        sent_at = to_utc(sent_day, slot, LONDON)
        assert _local_day(sent_at) == sent_day
        # Now and then yesterday's work, when they were a member and not away yesterday.
        yesterday = sent_day - DAY
        day = sent_day
        if (
            self.rng.random() < 0.15
            and all(member_of(person, t, yesterday) for t in teams)
            and not away_on(person.uid, yesterday)
        ):
            day = yesterday
        text, entries = self._lines(person, teams, day, sent_day)
        key = (person.uid, next(self.message_ids))
        moment = Moment(sent_at, LONDON, KINDS)
        outcome = self.db.call(
            lambda c: logbook.log_text(
                c,
                _actor(c, person),
                text,
                chat_id=key[0],
                message_id=key[1],
                sent_at=sent_at,
                moment=moment,
            )
        )
        self._check_confirmed(outcome, entries)
        self.ledger.messages[key] = entries
        if sent_day.weekday() == 0 and sent_at.date() < sent_day and day == sent_day:
            self.ledger.small_hours_mondays += 1
        self.sent[key] = (sent_at, person)
        self.history[person.uid].append(key)
        roll = self.rng.random()
        if roll < 0.06:
            self._undo_last(person, sent_at + timedelta(minutes=2), key)
        elif roll < 0.13:
            self._edit(key, teams, day, sent_day, sent_at + timedelta(minutes=5))
        elif roll < 0.16 and len(self.history[person.uid]) > 3:
            # The Undo button under an older message, days later.
            older = self.rng.choice(self.history[person.uid][:-1])
            self._undo_button(person, older, sent_at + timedelta(minutes=1))

    def _check_confirmed(self, outcome: object, entries: list[Entry]) -> None:
        assert isinstance(outcome, logbook.Logged), outcome
        got = [(c.kind.key, c.count, c.day, c.team.id if c.team else None) for c in outcome.entries]
        assert got == [(e.kind, e.count, e.day, self.ledger.team_ids[e.team]) for e in entries]

    def _withdrawn(self, key: tuple[int, int]) -> None:
        self.ledger.undone.add(key)
        self.history[key[0]].remove(key)
        if any(PREVIOUS13[0] <= e.day <= WEEKS13[1] for e in self.ledger.messages[key]):
            self.ledger.undone_in_windows += 1

    def _undo_last(self, person: Member, at: datetime, key: tuple[int, int]) -> None:
        moment = Moment(at, LONDON, KINDS)
        undone = self.db.call(lambda c: logbook.undo_last(c, _actor(c, person), moment=moment))
        assert len(undone.entries) == len(self.ledger.messages[key])
        self._withdrawn(key)

    def _undo_button(self, person: Member, key: tuple[int, int], at: datetime) -> None:
        moment = Moment(at, LONDON, KINDS)
        undone = self.db.call(
            lambda c: logbook.undo_source(c, _actor(c, person), *key, moment=moment)
        )
        assert [(c.kind.key, c.count) for c in undone.entries] == [
            (e.kind, e.count) for e in self.ledger.messages[key]
        ]
        self._withdrawn(key)

    def _edit(
        self, key: tuple[int, int], teams: list[str], day: date, sent_day: date, at: datetime
    ) -> None:
        sent_at, person = self.sent[key]
        text, entries = self._lines(person, teams, day, sent_day)
        moment = Moment(at, LONDON, KINDS)
        outcome = self.db.call(
            lambda c: logbook.edit_text(
                c,
                _actor(c, person),
                text,
                chat_id=key[0],
                message_id=key[1],
                sent_at=sent_at,
                moment=moment,
                edited_at=at,
            )
        )
        self._check_confirmed(outcome, entries)
        self.ledger.messages[key] = entries
        self.ledger.edited += 1


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def lived(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, Ledger]]:
    """The organisation's history, lived once per database for the whole module (it takes
    seconds): the database and the ledger of what was logged. Read-only from then on."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("figures") / "figures.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
    database = Database(url)
    try:
        yield database, Organisation(database).live()
    finally:
        database.close()


@pytest.fixture
def db(lived: tuple[Database, Ledger]) -> Database:
    return lived[0]


@pytest.fixture
def ledger(lived: tuple[Database, Ledger]) -> Ledger:
    return lived[1]


# --- Each way of reporting a window's totals: (team name, kind key) -> total, no zeros -----------


def _span(window: tuple[date, date]) -> str:
    return f"{window[0].isoformat()}..{window[1].isoformat()}"


def via_totals(db: Database, window: tuple[date, date]) -> dict[tuple[str, str], int]:
    """``/totals <team> <first>..<last>`` for each team, as an admin."""
    moment = Moment(NOW, LONDON, KINDS)
    out: dict[tuple[str, str], int] = {}
    for team in TEAMS:
        args = [team.lower(), _span(window)]
        blocks = db.call(lambda c: reports.totals(c, _actor(c), args, moment=moment))  # noqa: B023
        [block] = blocks
        assert (block.team_name, block.period.start, block.period.end) == (
            team,
            window[0],
            window[1] + DAY,
        )
        out.update({(team, kind): done for kind, done, _ in block.summary() if done})
    return out


def via_export(db: Database, window: tuple[date, date]) -> dict[tuple[str, str], int]:
    """The rows of ``/export <first>..<last>`` as an admin, parsed back from the CSV."""
    moment = Moment(NOW, LONDON, KINDS)

    def run(conn: Connection) -> bytes:
        export = exports.export_csv(conn, _actor(conn), [_span(window)], moment=moment)
        with export.file as file:
            return file.read()

    text = db.call(run).decode("utf-8-sig")
    names = {t.lower(): t for t in TEAMS}
    kinds = {KINDS.get(k).label: k for k in ("one_to_one", "casework", "resident_contact")}
    out: Counter[tuple[str, str]] = Counter()
    for row in csv.DictReader(io.StringIO(text)):
        day = date.fromisoformat(row["date"])
        assert window[0] <= day <= window[1]
        out[(names[row["team"]], kinds[row["kind"]])] += int(row["count"])
    return dict(out)


def _mondays(window: tuple[date, date]) -> list[date]:
    return [window[0] + timedelta(weeks=i) for i in range(13)]


def via_digests(db: Database, window: tuple[date, date]) -> dict[tuple[str, str], int]:
    """Each week's digest: every member's daily counts, summed over the window's 13 weeks."""
    out: Counter[tuple[str, str]] = Counter()
    for monday in _mondays(window):
        built = db.call(
            lambda c: digests.build_week(c, monday=monday, kinds=KINDS, tz=LONDON)  # noqa: B023
        )
        for digest in built:
            assert digest.week_start == monday
            for member in digest.members:
                for kind, days in member.daily.items():
                    out[(digest.team_name, kind)] += sum(days)
    return {k: v for k, v in out.items() if v}


def via_trend(db: Database, window: tuple[date, date]) -> dict[tuple[str, str], int]:
    """The 13-week trend of the digest for the window's last week, summed."""
    out: Counter[tuple[str, str]] = Counter()
    monday = window[1] - timedelta(days=6)
    for digest in db.call(lambda c: digests.build_week(c, monday=monday, kinds=KINDS, tz=LONDON)):
        assert len(digest.trend) == 13
        for point in digest.trend:
            for kind, total in point.totals.items():
                out[(digest.team_name, kind)] += total
    return {k: v for k, v in out.items() if v}


def via_sql(db: Database, window: tuple[date, date]) -> dict[tuple[str, str], int]:
    """A straight count over live ``activity`` rows."""
    a = table_of(Activity)
    names = {team_id: name for name, team_id in _team_ids(db).items()}
    rows = db.call(
        lambda c: c.execute(
            select(a.c.team_id, a.c.kind, func.sum(a.c.count))
            .where(
                a.c.deleted_at.is_(None),
                a.c.occurred_on >= window[0],
                a.c.occurred_on <= window[1],
            )
            .group_by(a.c.team_id, a.c.kind)
        ).all()
    )
    return {(names[t], k): int(n) for t, k, n in rows if n}


def _team_ids(db: Database) -> dict[str, int]:
    return {t.name: t.id for t in db.call(people.list_teams)}


def _all_ways(db: Database, window: tuple[date, date]) -> dict[str, dict[tuple[str, str], int]]:
    return {
        "/totals": via_totals(db, window),
        "/export": via_export(db, window),
        "digests": via_digests(db, window),
        "trend": via_trend(db, window),
        "activity": via_sql(db, window),
    }


# --- The checks ----------------------------------------------------------------------------------


def test_the_history_exercises_what_could_make_figures_differ(db: Database, ledger: Ledger) -> None:
    """The scenario is not a trivial one: entries undone and corrected inside the windows, on
    both teams, with every kind, and an entry dated 00:20 local on a summer Monday (Sunday in
    UTC)."""
    assert ledger.undone_in_windows >= 5 and ledger.edited >= 5
    assert ledger.small_hours_mondays >= 1
    for window in (WEEKS13, PREVIOUS13):
        totals = ledger.totals(*window)
        assert {team for team, _ in totals} == set(TEAMS)
        assert {kind for _, kind in totals} == {"one_to_one", "casework", "resident_contact"}
    # A withdrawn entry would change the straight count: the undos are visible in the windows.
    a = table_of(Activity)
    withdrawn = db.call(
        lambda c: c.execute(
            select(func.count()).where(
                a.c.deleted_at.is_not(None),
                a.c.occurred_on >= PREVIOUS13[0],
                a.c.occurred_on <= WEEKS13[1],
            )
        ).scalar_one()
    )
    assert withdrawn >= ledger.undone_in_windows
    assert ledger.totals(*WEEKS13) != ledger.totals(*PREVIOUS13)


@pytest.mark.parametrize("window", [WEEKS13, PREVIOUS13], ids=["last 13 weeks", "13 before"])
def test_totals_export_digests_and_activity_agree_with_the_ledger(
    db: Database, ledger: Ledger, window: tuple[date, date]
) -> None:
    expected = ledger.totals(*window)
    for way, got in _all_ways(db, window).items():
        assert got == expected, way


def test_entries_outside_the_windows_stay_out(db: Database, ledger: Ledger) -> None:
    """This week's entries (the week is not complete) and those before the earlier window are
    in the ledger, and in no window's figures."""
    this_week = ledger.totals(date(2026, 11, 23), TODAY)
    before = ledger.totals(START, PREVIOUS13[0] - DAY)
    assert this_week and before
    both = Counter(ledger.totals(*WEEKS13)) + Counter(ledger.totals(*PREVIOUS13))
    everything = Counter(ledger.totals(START, TODAY))
    assert everything == both + Counter(this_week) + Counter(before)
    assert Counter(via_sql(db, (START, TODAY))) == everything


# --- /measures -----------------------------------------------------------------------------------


def _measures(db: Database, person: Member | None = None) -> dict[str, TeamMeasures]:
    """``/measures <team>`` for each team as at ``NOW`` (for an admin, or for ``person``: their
    one team, ``/measures all``), by team name. Several teams are a summary of each team's own
    figures: checked to be these very figures."""
    moment = Moment(NOW, LONDON, KINDS)

    def one(args: list[str]) -> TeamMeasures:
        shown = db.call(lambda c: measures.measures(c, _actor(c, person), args, moment=moment))
        assert isinstance(shown, TeamMeasures)
        return shown

    if person is not None:
        mine = one(["all"])
        return {mine.team_name: mine}
    alone = {team: one([team.lower()]) for team in TEAMS}
    summary = db.call(lambda c: measures.measures(c, _actor(c), ["all"], moment=moment))
    assert isinstance(summary, MeasuresSummary)
    assert [(t.team_name, t.team_rate, t.rolling13, t.month) for t in summary.teams] == [
        (m.team_name, m.team_rate, m.rolling13, m.months[-1]) for m in alone.values()
    ]
    return alone


def test_measures_windows_are_the_complete_weeks_before_now(db: Database, ledger: Ledger) -> None:
    for team in _measures(db).values():
        assert (team.weeks4, team.weeks13, team.previous13) == (WEEKS4, WEEKS13, PREVIOUS13)


def test_measures_rolling_totals_agree_with_every_other_way(db: Database, ledger: Ledger) -> None:
    """The three-month rolling totals (summed from ``team_weekly_total``) are the ledger's, and
    so those of /totals, /export, the digests, their trend and the straight count, for the
    last 13 weeks and the 13 before."""
    shown = _measures(db)
    later = {(t, c.kind): c.total for t, m in shown.items() for c in m.rolling13 if c.total}
    earlier = {(t, c.kind): c.previous for t, m in shown.items() for c in m.rolling13 if c.previous}
    assert later == ledger.totals(*WEEKS13)
    assert earlier == ledger.totals(*PREVIOUS13)
    for way, got in _all_ways(db, WEEKS13).items():
        assert later == got, way
    for way, got in _all_ways(db, PREVIOUS13).items():
        assert earlier == got, way


def _expected_rates(ledger: Ledger, team: str) -> dict[int, tuple[Role, int, int]]:
    """Each councillor, organiser and caseworker of ``team`` with a day of membership in the
    last 4 weeks: uid -> (role, resident contacts there, days present), counted day by day."""
    first, last = WEEKS4
    days = [first + i * DAY for i in range((last - first).days + 1)]
    out = {}
    for person in PEOPLE:
        roles = {member_of(person, team, d) for d in days} - {None}
        if not roles or Role.MANAGER in roles:
            continue
        [role] = roles
        contacts = sum(
            e.count
            for e in ledger.live()
            if e.uid == person.uid
            and e.team == team
            and e.kind == "resident_contact"
            and first <= e.day <= last
        )
        assert role is not None
        out[person.uid] = (role, contacts, days_present(person, team, first, last))
    return out


def test_measures_rates_agree_with_a_day_by_day_count(db: Database, ledger: Ledger) -> None:
    """Per person, per role (pooled) and per team: resident contacts over the last 4 complete
    weeks and the days present in them (membership, its gap, leaving mid-window, absences
    across a week's end), against a count made day by day from what was logged."""
    uid_of = {pid: uid for uid, pid in ledger.person_ids.items()}
    shown = _measures(db)
    for team in TEAMS:
        expected = _expected_rates(ledger, team)
        got = {
            uid_of[p.person_id]: (p.role, p.rate.contacts, p.rate.days_present)
            for p in shown[team].people
        }
        assert got == expected, team
        pooled: dict[Role, tuple[int, int]] = {}
        for role, contacts, days in expected.values():
            c, d = pooled.get(role, (0, 0))
            pooled[role] = (c + contacts, d + days)
        assert {r: (x.contacts, x.days_present) for r, x in shown[team].by_role} == pooled
        rate = shown[team].team_rate
        assert (rate.contacts, rate.days_present) == tuple(
            map(sum, zip(*pooled.values(), strict=True))
        )
        assert rate.per_week == pytest.approx(rate.contacts * 7 / rate.days_present)
    # The day-by-day count, checked by hand: every case that makes days present differ from 28
    # is there, and nobody outside the 4 weeks (Kim left York in September) is listed.
    short = {
        team: {uid: d for uid, (_, _, d) in _expected_rates(ledger, team).items() if d < 28}
        for team in TEAMS
    }
    assert short == {
        # Cara away Mon 2 - Fri 6 Nov; Lee removed Wed 4 Nov (26 Oct - 4 Nov); Rae 26-28 Oct
        # and 11-22 Nov, away 16 Nov.
        "Leeds": {103: 23, 105: 10, 106: 3 + 12 - 1},
        "York": {201: 23},  # away Fri 30 Oct - Tue 3 Nov, across a week's end
    }
    assert 203 not in _expected_rates(ledger, "York")


def test_a_members_view_shows_the_same_aggregates(db: Database, ledger: Ledger) -> None:
    """A councillor sees Leeds's aggregate only, with the very figures an admin sees."""
    admin = _measures(db)["Leeds"]
    cara = next(p for p in PEOPLE if p.uid == 103)
    [mine] = _measures(db, cara).values()
    assert mine.people == ()
    assert (mine.rolling13, mine.by_role, mine.team_rate) == (
        admin.rolling13,
        admin.by_role,
        admin.team_rate,
    )


def test_a_managers_view_shows_the_admins_figures(db: Database, ledger: Ledger) -> None:
    """Leeds's manager sees Leeds only, person by person, with the very figures an admin sees
    (for Zed, who is in York too, only his Leeds contacts)."""
    admin = _measures(db)["Leeds"]
    mia = next(p for p in PEOPLE if p.uid == 101)
    assert _measures(db, mia) == {"Leeds": admin}
    zed = next(p for p in admin.people if p.person_id == ledger.person_ids[202])
    assert zed.rate.contacts == _expected_rates(ledger, "Leeds")[202][1]
    assert zed.rate.contacts != _expected_rates(ledger, "York")[202][1]


def test_measures_all_pools_each_role_over_every_team(db: Database, ledger: Ledger) -> None:
    """``/measures all`` over both teams: each role's contacts and days present pooled over
    every team (someone in both teams counted in each), and everyone pooled, against the
    day-by-day count; the weeks are the complete weeks before now."""
    moment = Moment(NOW, LONDON, KINDS)
    summary = db.call(lambda c: measures.measures(c, _actor(c), ["all"], moment=moment))
    assert isinstance(summary, MeasuresSummary)
    assert (summary.weeks4, summary.weeks13, summary.previous13) == (WEEKS4, WEEKS13, PREVIOUS13)
    pooled: dict[Role, tuple[int, int]] = {}
    for team in TEAMS:
        for role, contacts, days in _expected_rates(ledger, team).values():
            c, d = pooled.get(role, (0, 0))
            pooled[role] = (c + contacts, d + days)
    assert {r: (x.contacts, x.days_present) for r, x in summary.by_role} == pooled
    everyone = tuple(map(sum, zip(*pooled.values(), strict=True)))
    assert (summary.rate.contacts, summary.rate.days_present) == everyone
    assert [t.team_name for t in summary.teams] == list(TEAMS)
