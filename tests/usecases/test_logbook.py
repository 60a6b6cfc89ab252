"""Logging use cases return typed outcomes and raise typed refusals, without a word of English."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Connection, func, select

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import NotAMember
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import logbook
from organiser_bot.usecases.logbook import (
    AlreadyUndone,
    Chatter,
    Confirmed,
    EditOfUndone,
    Logged,
    NothingToUndo,
    NotYourEntries,
    ReplayOfUndone,
    SentDigest,
    TeamRef,
    Undone,
    UnknownTeamTag,
    UnreadableLine,
    WeekTally,
)
from storage import ledger, people
from storage.engine import Database
from storage.models import Activity
from storage.query import table_of
from tests.digest_factories import LONDON, away, make_member, make_team

#: Thursday 26 Nov 2026, as in the handler tests.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
THURSDAY = date(2026, 11, 26)
MONDAY = date(2026, 11, 23)
KINDS = KindRegistry()
SAM, PRIYA, STRANGER = 11, 12, 99
CHAT = 5000


@pytest.fixture
def north(db: Database) -> int:
    """Team North Ward with Sam (organiser) and Priya (organiser)."""
    with db.begin() as conn:
        team = make_team(conn, "North Ward")
        make_member(conn, team, SAM, "Sam", Role.ORGANISER)
        make_member(conn, team, PRIYA, "Priya", Role.ORGANISER)
    return team


def _as(user_id: int, fn: Callable[[Connection, Actor], object], db: Database) -> object:
    with db.begin() as conn:
        actor = people.load_actor(conn, Identity(user_id, str(user_id)), admin_ids=frozenset())
        return fn(conn, actor)


def _moment(now: datetime = NOW) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


def _log(db: Database, user_id: int, text: str, message_id: int, **kw: object) -> object:
    sent_at = kw.pop("sent_at", NOW)
    now = kw.pop("now", NOW)
    assert isinstance(sent_at, datetime) and isinstance(now, datetime)
    return _as(
        user_id,
        lambda conn, actor: logbook.log_text(
            conn,
            actor,
            text,
            chat_id=CHAT + user_id,
            message_id=message_id,
            sent_at=sent_at,
            moment=_moment(now),
        ),
        db,
    )


def _rows(db: Database) -> int:
    with db.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table_of(Activity))).scalar_one())


def test_a_log_confirms_each_entry_with_its_week_tally(db: Database, north: int) -> None:
    outcome = _log(db, SAM, "121 Sam Patel\ndoors 14 yesterday\n121 3 Priya 2026-11-20", 1)
    team = TeamRef(north, "North Ward")
    assert outcome == Logged(
        entries=(
            Confirmed(
                KINDS.get("one_to_one"),
                1,
                THURSDAY,
                team,
                WeekTally(MONDAY, True, 1, 15),
                note="Sam Patel",
            ),
            Confirmed(
                KINDS.get("resident_contact"),
                14,
                date(2026, 11, 25),
                team,
                WeekTally(MONDAY, True, 14, None),
            ),
            Confirmed(
                KINDS.get("one_to_one"),
                3,
                date(2026, 11, 20),
                team,
                WeekTally(date(2026, 11, 16), False, 3, 15),
                note="Priya",
            ),
        ),
        source=(CHAT + SAM, 1),
        several_teams=False,
    )


def test_a_replay_confirms_without_counting_twice_and_says_when_undone(
    db: Database, north: int
) -> None:
    first = _log(db, SAM, "doors 5", 1)
    again = _log(db, SAM, "doors 5", 1, now=NOW + timedelta(weeks=9))
    assert isinstance(first, Logged) and isinstance(again, Logged)
    assert again.replayed and not first.replayed
    assert again.entries[0].count == 5 and again.entries[0].week == WeekTally(
        MONDAY, False, 5, None
    )
    assert _rows(db) == 1
    _as(SAM, lambda conn, actor: logbook.undo_last(conn, actor, moment=_moment()), db)
    assert _log(db, SAM, "doors 5", 1) == ReplayOfUndone()


def test_an_unreadable_line_refuses_with_the_line_and_logs_nothing(
    db: Database, north: int
) -> None:
    with pytest.raises(UnreadableLine) as caught:
        _log(db, SAM, "121 Sam\n\nhello there\ndoors 3", 1)
    assert caught.value.error.line_no == 3 and caught.value.error.example
    assert caught.value.lines == 3 and not caught.value.editing
    assert _rows(db) == 0


def test_an_unknown_team_tag_refuses_with_the_tag_and_the_persons_teams(
    db: Database, north: int
) -> None:
    with db.begin() as conn:
        south = make_team(conn, "South Ward")
        make_member(conn, south, SAM, "Sam", Role.COUNCILLOR)
    with pytest.raises(UnknownTeamTag) as caught:
        _log(db, SAM, "doors 2\ndoors 1 #nowhere", 1)
    assert caught.value == UnknownTeamTag(2, "nowhere", ("north-ward", "south-ward"))
    assert _rows(db) == 0
    tagged = _log(db, SAM, "doors 4 #south-ward", 2)
    assert isinstance(tagged, Logged) and tagged.several_teams
    assert tagged.entries[0].team == TeamRef(south, "South Ward")


def test_someone_in_no_team_is_refused(db: Database, north: int) -> None:
    with pytest.raises(NotAMember):
        _log(db, STRANGER, "121 Sam", 1)
    with pytest.raises(NotAMember):
        _as(STRANGER, lambda conn, actor: logbook.undo_last(conn, actor, moment=_moment()), db)


def test_undo_is_for_the_owner_once_and_reports_the_week_after(db: Database, north: int) -> None:
    _log(db, SAM, "121 2 Sam", 1)
    _log(db, SAM, "121 Sam", 2)

    def undo(user_id: int, message_id: int) -> object:
        return _as(
            user_id,
            lambda conn, actor: logbook.undo_source(
                conn, actor, CHAT + SAM, message_id, moment=_moment()
            ),
            db,
        )

    with pytest.raises(NotYourEntries) as caught:
        undo(PRIYA, 1)
    assert not caught.value.editing
    removed = undo(SAM, 1)
    assert isinstance(removed, Undone) and not removed.several_teams
    [entry] = removed.entries
    assert (entry.count, entry.week) == (2, WeekTally(MONDAY, True, 1, 15))
    with pytest.raises(AlreadyUndone):
        undo(SAM, 1)
    with pytest.raises(NothingToUndo) as nothing:
        undo(SAM, 99)
    assert nothing.value.from_message

    last = _as(SAM, lambda conn, actor: logbook.undo_last(conn, actor, moment=_moment()), db)
    assert isinstance(last, Undone) and last.entries[0].week == WeekTally(MONDAY, True, 0, 15)
    with pytest.raises(NothingToUndo) as none_left:
        _as(SAM, lambda conn, actor: logbook.undo_last(conn, actor, moment=_moment()), db)
    assert not none_left.value.from_message


def _edit(
    db: Database, user_id: int, text: str, message_id: int, edited_at: datetime | None = None
) -> object:
    return _as(
        user_id,
        lambda conn, actor: logbook.edit_text(
            conn,
            actor,
            text,
            chat_id=CHAT + SAM,
            message_id=message_id,
            sent_at=NOW,
            moment=_moment(),
            edited_at=edited_at,
        ),
        db,
    )


def test_an_edit_corrects_the_entries_or_changes_nothing(db: Database, north: int) -> None:
    _log(db, SAM, "121 Sam", 1)
    fixed = _edit(db, SAM, "doors 5 Elm Road", 1)
    assert isinstance(fixed, Logged) and fixed.updated and fixed.source == (CHAT + SAM, 1)
    assert [(e.kind.key, e.count) for e in fixed.entries] == [("resident_contact", 5)]
    with pytest.raises(UnreadableLine) as caught:
        _edit(db, SAM, "lunch with Sam", 1)
    assert caught.value.editing and caught.value.lines == 1
    with pytest.raises(UnknownTeamTag) as tag:
        _edit(db, SAM, "doors 5 #nowhere", 1)
    assert tag.value.editing
    with pytest.raises(NotYourEntries) as theirs:
        _edit(db, PRIYA, "doors 6", 1)
    assert theirs.value.editing
    assert _edit(db, STRANGER, "doors 6", 1) is None
    # An edit of a message that was never logged is logged as new.
    new = _edit(db, SAM, "case 2", 7)
    assert isinstance(new, Logged) and not new.updated


def test_a_confirmation_carries_the_note_and_the_time_when_one_was_given(
    db: Database, north: int
) -> None:
    outcome = _log(db, SAM, "121 Jo yesterday evening\ndoors 3 Elm Road\ncase 2 mon", 1)
    assert isinstance(outcome, Logged)
    assert [(e.note, e.day, e.at) for e in outcome.entries] == [
        ("Jo", date(2026, 11, 25), time(18, 0)),
        ("Elm Road", THURSDAY, None),
        ("", MONDAY, None),
    ]
    again = _log(db, SAM, "121 Jo yesterday evening\ndoors 3 Elm Road\ncase 2 mon", 1)
    assert isinstance(again, Logged) and again.replayed and again.entries == outcome.entries


def test_chatter_is_not_an_error_unless_the_person_meant_to_log(db: Database, north: int) -> None:
    assert _log(db, SAM, "thanks!", 1) == Chatter()
    assert _log(db, SAM, "👍", 2) == Chatter()
    with pytest.raises(UnreadableLine):
        _as(
            SAM,
            lambda conn, actor: logbook.log_text(
                conn,
                actor,
                "thanks",
                chat_id=CHAT,
                message_id=3,
                sent_at=NOW,
                moment=_moment(),
                explicit=True,
            ),
            db,
        )
    with pytest.raises(NotAMember):
        _log(db, STRANGER, "thanks!", 4)
    assert _rows(db) == 0


def test_an_edit_of_an_undone_message_changes_nothing(db: Database, north: int) -> None:
    _log(db, SAM, "121 Jay\ndoors 3", 1)
    _as(SAM, lambda conn, actor: logbook.undo_last(conn, actor, moment=_moment()), db)
    assert _edit(db, SAM, "121 Jay Smith\ndoors 4", 1) == EditOfUndone()
    # Even an unreadable edit: the message stays undone, and that is what the person hears.
    assert _edit(db, SAM, "lunch", 1) == EditOfUndone()
    with db.begin() as conn:
        rows = conn.execute(select(table_of(Activity))).all()
    assert [(r.note, r.deleted_at is not None) for r in rows] == [("Jay", True), (None, True)]


def test_an_edit_that_drops_a_line_can_bring_it_back(db: Database, north: int) -> None:
    _log(db, SAM, "121 Jay\ndoors 3", 1)
    dropped = _edit(db, SAM, "121 Jay", 1)
    assert isinstance(dropped, Logged) and len(dropped.entries) == 1
    back = _edit(db, SAM, "121 Jay\ndoors 4", 1)
    assert isinstance(back, Logged) and [e.count for e in back.entries] == [1, 4]


def test_an_edit_older_than_the_last_applied_one_changes_nothing(db: Database, north: int) -> None:
    _log(db, SAM, "121 A", 1)
    first, second = NOW + timedelta(seconds=10), NOW + timedelta(seconds=20)
    x2 = _edit(db, SAM, "121 A x2", 1, first)
    assert isinstance(x2, Logged) and x2.updated and not x2.stale
    x3 = _edit(db, SAM, "121 A x3", 1, second)
    assert isinstance(x3, Logged) and [e.count for e in x3.entries] == [3]
    # The first edit delivered again, late: the newer count stands and the reply says so.
    late = _edit(db, SAM, "121 A x2", 1, first)
    assert isinstance(late, Logged) and late.stale and not late.updated
    assert [(e.count, e.note) for e in late.entries] == [(3, "A")]
    assert late.entries[0].week == WeekTally(MONDAY, True, 3, 15)
    # Another edit in the same second as the latest: Telegram dates edits to the second, so
    # both are applied, in the order handled (a repeated delivery of one edit is recognised by
    # its processed key, which holds the edit's date and text, before it gets here).
    again = _edit(db, SAM, "121 A x5", 1, second)
    assert isinstance(again, Logged) and not again.stale
    assert [e.count for e in again.entries] == [5]
    # A newer edit applies; one whose date is unknown applies whatever came before.
    newer = _edit(db, SAM, "121 A x4", 1, NOW + timedelta(seconds=30))
    assert isinstance(newer, Logged) and not newer.stale and [e.count for e in newer.entries] == [4]
    undated = _edit(db, SAM, "121 A", 1)
    assert isinstance(undated, Logged) and not undated.stale
    assert [e.count for e in undated.entries] == [1]
    with db.begin() as conn:
        stamps = conn.execute(select(table_of(Activity).c.edited_at)).scalars().all()
    assert [s.replace(tzinfo=UTC) for s in stamps] == [NOW + timedelta(seconds=30)]


def test_the_first_edit_of_an_unlogged_message_is_dated_too(db: Database, north: int) -> None:
    assert _log(db, SAM, "thanks!", 1) == Chatter()
    with pytest.raises(UnreadableLine):
        _edit(db, SAM, "lunch", 1)
    first = _edit(db, SAM, "121 A", 1, NOW + timedelta(seconds=10))
    assert isinstance(first, Logged) and not first.updated
    _edit(db, SAM, "121 A x2", 1, NOW + timedelta(seconds=20))
    late = _edit(db, SAM, "121 A", 1, NOW + timedelta(seconds=10))
    assert isinstance(late, Logged) and late.stale and [e.count for e in late.entries] == [2]


def test_an_edit_that_removes_lines_returns_what_it_removed(db: Database, north: int) -> None:
    _log(db, SAM, "121 Jay\ndoors 3\n121 Sam", 1)
    fixed = _edit(db, SAM, "121 Jay", 1)
    assert isinstance(fixed, Logged) and fixed.updated
    assert [(e.kind.key, e.count, e.note) for e in fixed.entries] == [("one_to_one", 1, "Jay")]
    assert [(e.kind.key, e.count, e.note) for e in fixed.removed] == [
        ("resident_contact", 3, ""),
        ("one_to_one", 1, "Sam"),
    ]
    # Each removed entry carries its week after the edit: Sam's one-to-one no longer counts.
    assert [e.week for e in fixed.removed] == [
        WeekTally(MONDAY, True, 0, None),
        WeekTally(MONDAY, True, 1, 15),
    ]
    # An edit that removes nothing says nothing removed.
    same = _edit(db, SAM, "121 Jay Smith", 1)
    assert isinstance(same, Logged) and same.removed == ()


def test_an_edit_keeps_each_line_in_its_team_whatever_the_default_is_now(
    db: Database, north: int
) -> None:
    with db.begin() as conn:
        south = make_team(conn, "South Ward")
        sam = make_member(conn, south, SAM, "Sam", Role.ORGANISER)
    _log(db, SAM, "121 Sam\ndoors 2 #south-ward", 1)
    with db.begin() as conn:
        people.set_default_team(conn, sam, south)
    # Untagged lines keep their team; a line the edit adds goes with the message's first line.
    fixed = _edit(db, SAM, "121 Sam Patel\ndoors 3\ncase 1", 1)
    assert isinstance(fixed, Logged) and fixed.updated
    north_ref, south_ref = TeamRef(north, "North Ward"), TeamRef(south, "South Ward")
    assert [(e.kind.key, e.team) for e in fixed.entries] == [
        ("one_to_one", north_ref),
        ("resident_contact", south_ref),
        ("casework", north_ref),
    ]
    # A tag still moves a line.
    moved = _edit(db, SAM, "121 Sam Patel #south-ward\ndoors 3\ncase 1", 1)
    assert isinstance(moved, Logged)
    assert [e.team for e in moved.entries] == [south_ref, south_ref, north_ref]
    # A message of one line keeps its team when the edit adds lines too.
    _log(db, SAM, "121 Jo #north-ward", 2)
    grown = _edit(db, SAM, "121 Jo\ndoors 4", 2)
    assert isinstance(grown, Logged)
    assert [e.team for e in grown.entries] == [north_ref, north_ref]


def test_an_edit_into_chatter_changes_nothing_and_is_no_error(db: Database, north: int) -> None:
    _log(db, SAM, "121 Sam", 1)
    assert _edit(db, SAM, "thanks", 1) == Chatter(unchanged=True)
    assert _edit(db, SAM, "👍", 1) == Chatter(unchanged=True)
    assert _edit(db, SAM, "undo", 1) == Chatter("undo", unchanged=True)
    with pytest.raises(UnreadableLine) as caught:
        _as(
            SAM,
            lambda conn, actor: logbook.edit_text(
                conn,
                actor,
                "thanks",
                chat_id=CHAT + SAM,
                message_id=1,
                sent_at=NOW,
                moment=_moment(),
                explicit=True,
            ),
            db,
        )
    assert caught.value.editing
    with db.begin() as conn:
        rows = conn.execute(select(table_of(Activity))).all()
    assert [(r.note, r.deleted_at) for r in rows] == [("Sam", None)]


def _sent(db: Database, team_id: int, iso_week: str) -> None:
    with db.begin() as conn:
        ledger.claim(
            conn,
            team_id=team_id,
            iso_week=iso_week,
            template_version="1",
            chat_id=-1,
            now=NOW,
            stale_after=timedelta(hours=1),
        )
        ledger.mark_sent(
            conn, team_id=team_id, iso_week=iso_week, template_version="1", content_hash="", now=NOW
        )


def test_corrections_name_the_weeks_whose_digest_went_out(db: Database, north: int) -> None:
    with db.begin() as conn:
        south = make_team(conn, "South Ward")
        make_member(conn, south, SAM, "Sam", Role.COUNCILLOR)
    _sent(db, north, "2026-W47")
    _sent(db, south, "2026-W48")
    last_week = SentDigest("North Ward", date(2026, 11, 16))
    _log(db, SAM, "121 Sam fri\ndoors 3", 1)
    # Unchanged lines are no correction: the doors line stays as it was.
    fixed = _edit(db, SAM, "121 Sam Patel fri\ndoors 3", 1)
    assert isinstance(fixed, Logged) and fixed.digests_sent == (last_week,)
    moved = _edit(db, SAM, "121 Sam Patel\ndoors 3 #south-ward", 1)
    assert isinstance(moved, Logged) and moved.digests_sent == (
        last_week,
        SentDigest("South Ward", MONDAY),
    )
    same = _edit(db, SAM, "121 Sam Patel\ndoors 3 #south-ward", 1)
    assert isinstance(same, Logged) and same.digests_sent == ()
    undone = _as(SAM, lambda conn, actor: logbook.undo_last(conn, actor, moment=_moment()), db)
    assert isinstance(undone, Undone) and undone.digests_sent == (SentDigest("South Ward", MONDAY),)
    # A new log never reads the ledger: it says nothing of digests.
    new = _log(db, SAM, "121 Jo fri", 2)
    assert isinstance(new, Logged) and new.digests_sent == ()


def test_week_status_pro_rates_targets_by_days_away(db: Database, north: int) -> None:
    _log(db, SAM, "121 4 Sam", 1)
    with db.begin() as conn:
        actor = people.load_actor(conn, Identity(SAM, "Sam"), admin_ids=frozenset())
        assert actor.person_id is not None
        away(conn, actor.person_id, MONDAY, MONDAY + timedelta(days=2))
        [team] = actor.teams
        totals, targets, days_away = logbook.week_status(conn, actor, team, monday=MONDAY)
    # Away Mon-Wed: 15 one-to-ones × 4/7 rounds to 9.
    assert (totals, targets["one_to_one"], days_away) == ({"one_to_one": 4}, 9, 3)


def test_logging_use_cases_do_not_import_the_telegram_adapter() -> None:
    code = (
        "import sys; import organiser_bot.usecases.logbook, organiser_bot.usecases.members; "
        "bad = sorted(m for m in sys.modules if m == 'handlers' or m.startswith('handlers.') "
        "or m == 'telegram' or m.startswith('telegram.')); print(bad); sys.exit(bool(bad))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
