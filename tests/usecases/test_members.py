"""A member's own account: absences and nudges as typed outcomes and refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import NotAMember
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import members
from organiser_bot.usecases.members import (
    AbsenceBackwards,
    AbsenceCancelled,
    AbsenceRecorded,
    Absences,
    AbsenceTooLong,
    AbsenceTooOld,
    AwayUsage,
    NoAbsenceToCancel,
    NudgesSet,
)
from storage import people
from storage.engine import Database
from tests.digest_factories import LONDON, make_member, make_team

#: Thursday 26 Nov 2026.
MOMENT = Moment(now=datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tz=LONDON, kinds=KindRegistry())
SAM, STRANGER = 11, 99


@pytest.fixture
def sam(db: Database) -> int:
    """Sam, an organiser in North Ward; returns the person id."""
    with db.begin() as conn:
        return make_member(conn, make_team(conn, "North Ward"), SAM, "Sam", Role.ORGANISER)


def _as(user_id: int, fn: Callable[[Connection, Actor], object], db: Database) -> object:
    with db.begin() as conn:
        actor = people.load_actor(conn, Identity(user_id, str(user_id)), admin_ids=frozenset())
        return fn(conn, actor)


def _away(db: Database, *args: str, user_id: int = SAM) -> object:
    return _as(user_id, lambda conn, a: members.away(conn, a, list(args), moment=MOMENT), db)


def test_away_records_lists_and_cancels_absences(db: Database, sam: int) -> None:
    assert _away(db) == Absences(())
    assert _away(db, "2026-11-23", "25/11") == AbsenceRecorded(
        date(2026, 11, 23), date(2026, 11, 25), 3
    )
    assert _away(db, "tomorrow") == AbsenceRecorded(date(2026, 11, 27), date(2026, 11, 27), 1)
    listed = _away(db)
    assert isinstance(listed, Absences)
    assert [(a.starts_on, a.ends_on) for a in listed.absences] == [
        (date(2026, 11, 23), date(2026, 11, 25)),
        (date(2026, 11, 27), date(2026, 11, 27)),
    ]
    assert _away(db, "CANCEL") == AbsenceCancelled(date(2026, 11, 27), date(2026, 11, 27))
    assert _away(db, "cancel") == AbsenceCancelled(date(2026, 11, 23), date(2026, 11, 25))
    with pytest.raises(NoAbsenceToCancel):
        _away(db, "cancel")


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (("someday",), AwayUsage),
        (("1/12", "31/2"), AwayUsage),
        (("2026-11-25", "2026-11-23"), AbsenceBackwards),
        (("2026-12-01", "2027-12-02"), AbsenceTooLong),  # 367 days
        (("2026-09-30", "2026-10-02"), AbsenceTooOld),
    ],
)
def test_away_refuses_days_that_make_no_absence(
    db: Database, sam: int, args: tuple[str, ...], refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        _away(db, *args)
    assert _away(db) == Absences(())


def test_a_year_long_absence_and_one_eight_weeks_back_are_accepted(db: Database, sam: int) -> None:
    year = _away(db, "2026-12-01", "2027-12-01")
    assert isinstance(year, AbsenceRecorded) and year.days == members.MAX_ABSENCE_DAYS
    assert _away(db, "2026-10-01") == AbsenceRecorded(date(2026, 10, 1), date(2026, 10, 1), 1)


def test_pause_and_resume(db: Database, sam: int) -> None:
    pause = _as(SAM, lambda conn, a: members.set_paused(conn, a, True), db)
    assert pause == NudgesSet(paused=True)
    with db.begin() as conn:
        assert people.load_actor(conn, Identity(SAM, "Sam"), admin_ids=frozenset()).nudges_paused
    assert _as(SAM, lambda conn, a: members.set_paused(conn, a, False), db) == NudgesSet(False)


def test_someone_in_no_team_is_refused(db: Database) -> None:
    with pytest.raises(NotAMember):
        _away(db, user_id=STRANGER)
    with pytest.raises(NotAMember):
        _as(STRANGER, lambda conn, a: members.set_paused(conn, a, True), db)
