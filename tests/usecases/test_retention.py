"""Notes retention: notes of entries dated more than ``NOTES_RETENTION_DAYS`` local days ago are
erased with the replies that could quote them; counts stay. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import to_utc
from organiser_bot.domain.roles import Role
from organiser_bot.settings import Settings
from organiser_bot.usecases import retention
from organiser_bot.usecases.retention import ErasedNotes
from storage import activities, processed
from storage.activities import NewEntry
from storage.engine import Database
from storage.models import Activity, AuditEntry, DailyTotal
from storage.query import table_of
from tests.digest_factories import LONDON, log, make_member, make_team

#: Thursday 26 Nov 2026, 12:00 UTC.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
MOMENT = Moment(now=NOW, tz=LONDON, kinds=KindRegistry())


@pytest.fixture
def sam(db: Database) -> tuple[int, int]:
    """(person id, team id) of Sam, an organiser in North Ward."""
    with db.begin() as conn:
        team = make_team(conn, "North Ward")
        return make_member(conn, team, 11, "Sam", Role.ORGANISER), team


def _notes(db: Database) -> dict[date, str | None]:
    a = table_of(Activity)
    with db.begin() as conn:
        return {day: note for day, note in conn.execute(select(a.c.occurred_on, a.c.note))}


def _total(db: Database) -> int:
    d = table_of(DailyTotal)
    with db.begin() as conn:
        return sum(conn.execute(select(d.c.total)).scalars())


def test_notes_older_than_the_setting_are_erased_and_counts_stay(
    db: Database, sam: tuple[int, int]
) -> None:
    person, team = sam
    days = {TODAY - timedelta(days=n): n for n in (0, 10, 365, 366, 800)}
    with db.begin() as conn:
        for day, n in days.items():
            row = log(conn, person, team, "one_to_one", 2, day, note=f"note {n}")
        # A withdrawn entry's note goes too.
        gone = log(conn, person, team, "casework", 1, TODAY - timedelta(days=400), note="old")
        activities.soft_delete(conn, [gone], now=NOW)
    assert row.note == "note 800"
    before_total = _total(db)
    with db.begin() as conn:
        erased = retention.erase_old_notes(conn, moment=MOMENT, days=365)
    assert erased == ErasedNotes(date(2025, 11, 26), 3, 0)
    notes = _notes(db)
    assert [notes[TODAY - timedelta(days=n)] for n in (0, 10, 365, 366, 800)] == [
        "note 0",
        "note 10",
        "note 365",
        None,
        None,
    ]
    assert notes[TODAY - timedelta(days=400)] is None
    assert _total(db) == before_total  # the entries and their counts stay
    with db.begin() as conn:  # a second run finds nothing more
        assert retention.erase_old_notes(conn, moment=MOMENT, days=365).notes == 0


def test_the_erasure_is_audited_with_its_counts(db: Database, sam: tuple[int, int]) -> None:
    person, team = sam
    with db.begin() as conn:
        log(conn, person, team, "one_to_one", 1, TODAY - timedelta(days=2), note="a")
        log(conn, person, team, "one_to_one", 1, TODAY - timedelta(days=1), note="b")
        retention.erase_old_notes(conn, moment=MOMENT, days=1)
    audit = table_of(AuditEntry)
    with db.begin() as conn:
        [(actor, detail)] = conn.execute(
            select(audit.c.actor_person_id, audit.c.detail).where(audit.c.action == "erase_notes")
        ).all()
    assert actor is None
    assert json.loads(detail) == {"before": "2026-11-25", "days": 1, "notes": 1, "replies": 0}


def test_replies_that_could_quote_an_erased_note_are_blanked(
    db: Database, sam: tuple[int, int]
) -> None:
    """With a short retention, replies kept for redelivery (a week) outlive notes: those stored
    before the cutoff day, and those answering a message whose notes go (logged late), are
    blanked; their keys stay, so a redelivery still changes nothing."""
    person, team = sam
    cutoff_start = to_utc(TODAY - timedelta(days=3), time(0), LONDON)
    with db.begin() as conn:
        # Sent today about an entry five days ago: recorded now, dated before the cutoff.
        late = NewEntry(
            person, team, "one_to_one", 1, NOW, TODAY - timedelta(days=5), "Jo", 70, 1, 0
        )
        activities.record(conn, [late], now=NOW)
        replies = {
            "m:1:1": cutoff_start - timedelta(minutes=1),  # stored before the cutoff day
            "m:1:2": cutoff_start + timedelta(minutes=1),  # after it: kept
            "m:70:1": NOW,  # answers the late message
            "e:70:1:1764158400:abc": NOW,  # and its edit
            "m:70:2": NOW,  # another message in the same chat: kept
            "cb:9": cutoff_start - timedelta(days=1),  # an old tap
        }
        for key, at in replies.items():
            assert processed.claim(conn, key, at=at)
            assert processed.add_reply(conn, key, f"reply to {key}")
        erased = retention.erase_old_notes(conn, moment=MOMENT, days=3)
    assert (erased.notes, erased.replies) == (1, 4)
    with db.begin() as conn:
        kept = {key: processed.replies(conn, key) for key in replies}
        assert not processed.claim(conn, "m:70:1", at=NOW)  # the key is still known
    assert {key for key, text in kept.items() if text} == {"m:1:2", "m:70:2"}


def test_less_than_a_day_is_refused() -> None:
    with pytest.raises(ValueError):
        retention.erase_old_notes(None, moment=MOMENT, days=0)  # type: ignore[arg-type]
    assert Settings(_env_file=None).notes_retention_days == 365  # type: ignore[call-arg]
    assert Settings(_env_file=None, notes_retention_days=30).notes_retention_days == 30  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(_env_file=None, notes_retention_days=0)  # type: ignore[call-arg]
