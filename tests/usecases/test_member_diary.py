"""``/diary @user``: a member's days for their team's managers and admins, notes only to the
team's managers, the look recorded; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select, update

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import Period
from organiser_bot.domain.refusals import NotPermitted
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.identities import SeveralHold, UnknownMember
from organiser_bot.usecases.member_diary import (
    ENTRY_LIMIT,
    MAX_DAYS,
    MemberDay,
    MemberDiary,
    MemberEntry,
    days_shown,
    member_diary,
)
from organiser_bot.usecases.reports import BadPeriod
from storage import activities, people
from storage.engine import Database
from storage.models import Activity, Person, Scrutiny
from storage.query import table_of
from tests.digest_factories import LONDON, log, make_member, make_team

T = TypeVar("T")

#: Thursday 26 Nov 2026, noon UTC.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MONDAY, TUESDAY, WEDNESDAY, THURSDAY = (date(2026, 11, 23) + timedelta(days=i) for i in range(4))
KINDS = KindRegistry()
ADMIN, MIA, SAM, KIT, CLEO, ADA = 1, 15, 11, 13, 12, 16
_scrutiny = table_of(Scrutiny)


@pytest.fixture
def teams(db: Database) -> tuple[int, int]:
    """North (manager Mia, organiser Sam, councillor Cleo) and South (manager Ada, caseworker
    Kit, and Sam); Sam logs in both."""
    with db.begin() as conn:
        north = make_team(conn, "North", chat_id=-100)
        south = make_team(conn, "South", chat_id=-200)
        make_member(conn, north, MIA, "Mia", Role.MANAGER)
        sam = make_member(conn, north, SAM, "Sam", Role.ORGANISER, username="sam")
        make_member(conn, north, CLEO, "Cleo", Role.COUNCILLOR, username="cleo")
        make_member(conn, south, ADA, "Ada", Role.MANAGER)
        make_member(conn, south, KIT, "Kit", Role.CASEWORKER, username="kit")
        make_member(conn, south, SAM, "Sam", Role.ORGANISER, username="sam")
        log(conn, sam, north, "one_to_one", 1, MONDAY, note="Priya", at=time(9, 30))
        log(conn, sam, north, "one_to_one", 2, THURSDAY, note="tenants assoc", at=time(14, 0))
        untimed = log(conn, sam, north, "casework", 1, THURSDAY)
        # Logged without a time of day: the diary gives the day alone.
        conn.execute(
            update(table_of(Activity))
            .where(table_of(Activity).c.id == untimed.id)
            .values(time_given=False)
        )
        log(conn, sam, south, "resident_contact", 3, WEDNESDAY, note="Elm Road")
        # A withdrawn entry counts nowhere.
        gone = log(conn, sam, north, "casework", 5, TUESDAY, note="withdrawn")
        activities.soft_delete(conn, [gone], now=NOW)
    return north, south


def _moment(now: datetime = NOW) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


def _as(db: Database, user_id: int, fn: Callable[[Connection, Actor], T]) -> T:
    with db.begin() as conn:
        actor = people.load_actor(
            conn, Identity(user_id, f"user {user_id}"), admin_ids=frozenset({ADMIN})
        )
        return fn(conn, actor)


def _diary(db: Database, user_id: int, *args: str, now: datetime = NOW) -> MemberDiary:
    return _as(db, user_id, lambda c, a: member_diary(c, a, list(args), moment=_moment(now)))


def _looks(db: Database) -> list[tuple[int, int | None, str]]:
    with db.begin() as conn:
        rows = conn.execute(
            select(_scrutiny.c.team_id, _scrutiny.c.subject_person_id, _scrutiny.c.what).order_by(
                _scrutiny.c.team_id
            )
        ).all()
    return [tuple(r) for r in rows]


def _person(db: Database, user_id: int) -> int:
    with db.begin() as conn:
        actor = people.load_actor(conn, Identity(user_id, "x"), admin_ids=frozenset())
    assert actor.person_id is not None
    return actor.person_id


def test_a_manager_sees_the_members_days_in_their_own_team_with_notes(
    db: Database, teams: tuple[int, int]
) -> None:
    north, _ = teams
    diary = _diary(db, MIA, "@sam")
    at = datetime(2026, 11, 23, 9, 30, tzinfo=LONDON)
    assert diary == MemberDiary(
        "Sam",
        diary.period,
        (
            MemberDay(
                MONDAY, (("one_to_one", 1),), (MemberEntry(at, 1, "one_to_one", None, "Priya"),)
            ),
            MemberDay(TUESDAY, (), ()),
            # Sam's South entry on Wednesday is not Mia's to see.
            MemberDay(WEDNESDAY, (), ()),
            MemberDay(
                THURSDAY,
                (("one_to_one", 2), ("casework", 1)),
                (
                    MemberEntry(None, 1, "casework", None, None),
                    MemberEntry(
                        datetime(2026, 11, 26, 14, 0, tzinfo=LONDON),
                        2,
                        "one_to_one",
                        None,
                        "tenants assoc",
                    ),
                ),
            ),
        ),
    )
    assert diary.period.label == "week 2026-W48"
    assert _looks(db) == [(north, _person(db, SAM), "diary")]


def test_an_admin_sees_every_team_with_counts_and_times_but_no_notes(
    db: Database, teams: tuple[int, int]
) -> None:
    north, south = teams
    diary = _diary(db, ADMIN, "@SAM", "week")
    entries = [e for d in diary.days for e in d.entries]
    assert [(e.kind, e.count, e.team_slug) for e in entries] == [
        ("one_to_one", 1, "north"),
        ("resident_contact", 3, "south"),
        ("casework", 1, "north"),
        ("one_to_one", 2, "north"),
    ]
    assert all(e.note is None for e in entries) and diary.notes_withheld
    assert entries[0].at == datetime(2026, 11, 23, 9, 30, tzinfo=LONDON)
    assert diary.days[2].counts == (("resident_contact", 3),)
    sam = _person(db, SAM)
    assert _looks(db) == [(north, sam, "diary"), (south, sam, "diary")]


def test_an_admin_who_manages_one_team_reads_only_that_teams_notes(
    db: Database, teams: tuple[int, int]
) -> None:
    north, _ = teams
    with db.begin() as conn:
        make_member(conn, north, ADMIN, "Ann", Role.MANAGER)
    entries = [e for d in _diary(db, ADMIN, "@sam").days for e in d.entries]
    assert [(e.team_slug, e.note) for e in entries] == [
        ("north", "Priya"),
        ("south", None),
        ("north", None),
        ("north", "tenants assoc"),
    ]


def test_refusals_leave_no_look_behind(db: Database, teams: tuple[int, int]) -> None:
    with pytest.raises(NotPermitted):
        _diary(db, SAM, "@cleo")
    # Kit is only in South: to North's manager, the same as a name no one holds.
    with pytest.raises(UnknownMember) as kit:
        _diary(db, MIA, "@kit")
    with pytest.raises(UnknownMember) as nobody:
        _diary(db, MIA, "@nobody")
    assert (kit.value.username, nobody.value.username) == ("@kit", "@nobody")
    with pytest.raises(BadPeriod) as bad:
        _diary(db, MIA, "@sam", "fortnight")
    assert "fortnight" in bad.value.error.problem
    assert _looks(db) == []


def test_a_username_two_people_hold_is_refused_rather_than_merged(
    db: Database, teams: tuple[int, int]
) -> None:
    kit = _person(db, KIT)
    with db.begin() as conn:
        # Kit took @sam without Sam having written since: both rows still hold it.
        conn.execute(
            update(table_of(Person)).where(table_of(Person).c.id == kit).values(username="sam")
        )
    with pytest.raises(SeveralHold) as several:
        _diary(db, ADMIN, "@sam")
    assert set(several.value.team_slugs) == {"north", "south"}
    assert _looks(db) == []


def test_days_run_to_today_and_a_long_period_shows_its_last_days(
    db: Database, teams: tuple[int, int]
) -> None:
    november = _diary(db, MIA, "@sam", "month")
    assert [d.on for d in november.days] == [
        date(2026, 11, 1) + timedelta(days=i) for i in range(26)
    ]
    assert not november.capped
    long = _diary(db, MIA, "@sam", "2026-01-01..2026-12-31")
    assert long.capped and len(long.days) == MAX_DAYS
    assert long.days[-1].on == THURSDAY
    assert long.days[0].on == THURSDAY - timedelta(days=MAX_DAYS - 1)
    future = _diary(db, MIA, "@sam", "2027-W02")
    assert future.days == () and not future.capped


def test_namesakes_are_told_apart_and_long_lists_of_entries_are_cut(
    db: Database, teams: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    north, _ = teams
    with db.begin() as conn:
        other = make_member(conn, north, 21, "Sam", Role.COUNCILLOR, username="sam_b")
        log(conn, other, north, "casework", 1, TUESDAY)
    assert _diary(db, MIA, "@sam").name == "Sam (@sam)"
    assert _diary(db, MIA, "@sam_b").name == "Sam (@sam_b)"
    monkeypatch.setattr("organiser_bot.usecases.member_diary.ENTRY_LIMIT", 1)
    cut = _diary(db, MIA, "@sam")
    assert cut.entries_cut
    assert sum(len(d.entries) for d in cut.days) == 1
    # The counts still come from the day totals: Thursday's entries are not listed, its counts are.
    assert cut.days[3].entries == () and cut.days[3].counts == (("one_to_one", 2), ("casework", 1))
    assert ENTRY_LIMIT == 500


def test_the_counts_are_read_from_the_day_totals(db: Database, teams: tuple[int, int]) -> None:
    north, _ = teams
    sam = _person(db, SAM)
    with db.begin() as conn:
        log(conn, sam, north, "one_to_one", 4, MONDAY, note="Jo")
    monday = _diary(db, MIA, "@sam").days[0]
    assert monday.counts == (("one_to_one", 5),)
    assert [e.count for e in monday.entries] == [1, 4]


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    length=st.integers(min_value=1, max_value=800),
    today=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
)
def test_the_days_shown_are_the_periods_last_days_up_to_today(
    start: date, length: int, today: date
) -> None:
    period = Period(start, start + timedelta(days=length), "p")
    first, end, capped = days_shown(period, today)
    days = (end - first).days
    # The period's days up to today, oldest first: none of them after today or outside it.
    wanted = [d for d in (start + timedelta(days=i) for i in range(length)) if d <= today]
    assert capped == (len(wanted) > MAX_DAYS)
    assert [first + timedelta(days=i) for i in range(days)] == wanted[-MAX_DAYS:]
