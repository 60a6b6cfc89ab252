"""``/residents``, the check-in's claims and taps, and ``/active``: on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Connection, select, update

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import Action, NotPermitted
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import residents
from organiser_bot.usecases.onboarding import NoTeamCalled
from organiser_bot.usecases.residents import (
    ActiveList,
    ActiveMarked,
    ActiveUsage,
    Answer,
    CheckinClosed,
    CheckinNotMember,
    CheckinRecorded,
    CheckinTap,
    NoMemberToMark,
    NotMemberThen,
    ResidentsList,
    ResidentsSet,
    ResidentsShown,
    ResidentsUsage,
    SeveralToMark,
)
from storage import people
from storage import residents as store
from storage.engine import Database
from storage.models import AuditEntry, MonthlyCheckin, Person, TeamResidents
from storage.privacy import forget_person
from storage.query import table_of
from tests.digest_factories import LONDON, make_member, make_team

T = TypeVar("T")

#: Sunday 29 November 2026, midday: not yet November's last day.
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
NOVEMBER, OCTOBER = date(2026, 11, 1), date(2026, 10, 1)
KINDS = KindRegistry()
ADMIN, MIA, ALICE, CAL, BEA, BOB, NEW = 1, 15, 11, 12, 16, 21, 30
IDENTITIES = {
    ADMIN: Identity(ADMIN, "Ada"),
    MIA: Identity(MIA, "Mia"),
    ALICE: Identity(ALICE, "Alice", "alice"),
    CAL: Identity(CAL, "Cal", "cal"),
    BEA: Identity(BEA, "Bea"),
    BOB: Identity(BOB, "Bob", "bob"),
    NEW: Identity(NEW, "Nell", "nell"),
}


@pytest.fixture
def teams(db: Database) -> tuple[int, int]:
    """North Ward (manager Mia, organiser Alice @alice, councillor Cal @cal) and Bradford
    (manager Bea, organiser Bob @bob); Nell @nell joined North Ward on 1 December."""
    with db.begin() as conn:
        north = make_team(conn, "North Ward")
        bradford = make_team(conn, "Bradford")
        make_member(conn, north, MIA, "Mia", Role.MANAGER)
        make_member(conn, north, ALICE, "Alice", Role.ORGANISER, username="alice")
        make_member(conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal")
        make_member(conn, bradford, BEA, "Bea", Role.MANAGER)
        make_member(conn, bradford, BOB, "Bob", Role.ORGANISER, username="bob")
        make_member(
            conn, north, NEW, "Nell", Role.ORGANISER, username="nell", joined_on=date(2026, 12, 1)
        )
    return north, bradford


def _moment(now: datetime = NOW) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


def _as(db: Database, user_id: int, fn: Callable[[Connection, Actor], T]) -> T:
    with db.begin() as conn:
        actor = people.load_actor(
            conn, IDENTITIES[user_id], admin_ids=frozenset({ADMIN}), refresh=True
        )
        return fn(conn, actor)


def _residents(db: Database, user_id: int, *args: str, now: datetime = NOW) -> object:
    return _as(db, user_id, lambda c, a: residents.residents(c, a, list(args), moment=_moment(now)))


def _active(db: Database, user_id: int, *args: str, now: datetime = NOW) -> object:
    return _as(
        db, user_id, lambda c, a: residents.mark_active(c, a, list(args), moment=_moment(now))
    )


def _tap(db: Database, user_id: int, month: date, active: bool, now: datetime) -> object:
    tap = CheckinTap(month, active)
    return _as(db, user_id, lambda c, a: residents.answer_checkin(c, a, tap, moment=_moment(now)))


def _rows(db: Database, model: type) -> list[dict[str, object]]:
    table = table_of(model)
    with db.begin() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


def _person(db: Database, user_id: int) -> int:
    return _as(db, user_id, lambda _c, a: a.person_id or 0)


def _audits(db: Database, action: str) -> list[dict[str, object]]:
    return [
        json.loads(str(row["detail"])) for row in _rows(db, AuditEntry) if row["action"] == action
    ]


# /residents


def test_a_manager_records_residents_and_hears_what_it_was(
    db: Database, teams: tuple[int, int]
) -> None:
    north, _ = teams
    first = _residents(db, MIA, "north-ward", "11,000")
    assert first == ResidentsSet("North Ward", 11000, None, changed=True)
    later = NOW + timedelta(days=3)
    assert _residents(db, MIA, "north-ward", "12", "400", now=later) == ResidentsSet(
        "North Ward", 12400, 11000, changed=True
    )
    rows = _rows(db, TeamResidents)
    assert [(r["team_id"], r["residents"], r["set_on"]) for r in rows] == [
        (north, 11000, date(2026, 11, 29)),
        (north, 12400, date(2026, 12, 2)),
    ]
    assert {r["set_by"] for r in rows} == {_person(db, MIA)}
    assert [(a["residents"], a["previous"]) for a in _audits(db, "set_residents")] == [
        (11000, None),
        (12400, 11000),
    ]
    shown = _residents(db, MIA, "north-ward")
    assert isinstance(shown, ResidentsShown)
    assert shown.figure is not None
    assert (shown.figure.residents, shown.figure.set_on, shown.figure.set_by_name) == (
        12400,
        date(2026, 12, 2),
        "Mia",
    )


def test_the_same_figure_again_records_nothing(db: Database, teams: tuple[int, int]) -> None:
    _residents(db, MIA, "north-ward", "12400")
    assert _residents(db, MIA, "north-ward", "12_400") == ResidentsSet(
        "North Ward", 12400, 12400, changed=False
    )
    assert len(_rows(db, TeamResidents)) == 1
    assert len(_audits(db, "set_residents")) == 1


@pytest.mark.parametrize("typed", ["0", "-5", "12.5", "lots", "100,000,001", "12 40"])
def test_bad_figures_are_refused_and_nothing_changes(
    db: Database, teams: tuple[int, int], typed: str
) -> None:
    with pytest.raises(ResidentsUsage) as refused:
        _residents(db, MIA, "north-ward", *typed.split())
    assert refused.value.typed == typed
    assert _rows(db, TeamResidents) == []


def test_another_teams_name_is_refused_as_no_teams(db: Database, teams: tuple[int, int]) -> None:
    with pytest.raises(NoTeamCalled) as other:
        _residents(db, MIA, "bradford", "5000")
    with pytest.raises(NoTeamCalled) as none:
        _residents(db, MIA, "nowhere", "5000")
    assert (other.value.name, none.value.name) == ("bradford", "nowhere")
    with pytest.raises(NotPermitted) as member:
        _residents(db, ALICE, "north-ward", "5000")
    assert member.value.action is Action.SET_RESIDENTS
    with pytest.raises(NotPermitted):
        _residents(db, ALICE)
    assert _rows(db, TeamResidents) == []


def test_the_list_shows_the_teams_one_manages_and_every_team_to_an_admin(
    db: Database, teams: tuple[int, int]
) -> None:
    _residents(db, BEA, "bradford", "9,000")
    mia = _residents(db, MIA)
    assert isinstance(mia, ResidentsList)
    assert [(name, fig) for name, fig in mia.teams] == [("North Ward", None)]
    admin = _residents(db, ADMIN)
    assert isinstance(admin, ResidentsList)
    assert [(n, f.residents if f else None) for n, f in admin.teams] == [
        ("Bradford", 9000),
        ("North Ward", None),
    ]
    assert _residents(db, ADMIN, "north-ward", "5000") == ResidentsSet(
        "North Ward", 5000, None, changed=True
    )


# The check-in: who is due, claims, taps


def test_members_due_are_asked_once_and_a_late_joiner_is_not(
    db: Database, teams: tuple[int, int]
) -> None:
    last_day = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    assert db.call(residents.checkins_due, moment=_moment(NOW)) is None
    found = db.call(residents.checkins_due, moment=_moment(last_day))
    assert found is not None and found.month == NOVEMBER
    due = {d.person_id for d in found.due}
    assert due == {_person(db, u) for u in (MIA, ALICE, CAL, BEA, BOB)}  # not Nell
    claim = db.call(residents.claim_checkin, person_id=_person(db, ALICE), month=NOVEMBER, now=NOW)
    again = db.call(residents.claim_checkin, person_id=_person(db, ALICE), month=NOVEMBER, now=NOW)
    assert (claim, again) == (True, False)
    after = db.call(residents.checkins_due, moment=_moment(last_day + timedelta(days=1)))
    assert after is not None
    assert _person(db, ALICE) not in {d.person_id for d in after.due}
    december = db.call(
        residents.checkins_due, moment=_moment(datetime(2026, 12, 31, 11, tzinfo=UTC))
    )
    assert december is not None and _person(db, NEW) in {d.person_id for d in december.due}


def test_a_released_claim_is_asked_again_but_not_once_answered(
    db: Database, teams: tuple[int, int]
) -> None:
    alice = _person(db, ALICE)
    assert db.call(residents.claim_checkin, person_id=alice, month=NOVEMBER, now=NOW)
    assert db.call(residents.release_checkin, person_id=alice, month=NOVEMBER, asked_at=NOW)
    assert _rows(db, MonthlyCheckin) == []
    assert db.call(residents.claim_checkin, person_id=alice, month=NOVEMBER, now=NOW)
    _tap(db, ALICE, NOVEMBER, True, datetime(2026, 12, 1, 9, tzinfo=UTC))
    assert not db.call(residents.release_checkin, person_id=alice, month=NOVEMBER, asked_at=NOW)
    [row] = _rows(db, MonthlyCheckin)
    assert (row["active"], row["asked_at"], row["marked_by"]) == (True, NOW, None)


def test_forgotten_and_departed_people_are_not_asked(db: Database, teams: tuple[int, int]) -> None:
    north, _ = teams
    cal = _person(db, CAL)
    with db.begin() as conn:
        forget_person(conn, cal, now=NOW, today=date(2026, 11, 29))
        people.end_membership(
            conn, person_id=_person(db, ALICE), team_id=north, left_on=date(2026, 11, 20)
        )
    found = db.call(residents.checkins_due, moment=_moment(datetime(2026, 12, 2, tzinfo=UTC)))
    assert found is not None
    assert {d.person_id for d in found.due} == {_person(db, u) for u in (MIA, BEA, BOB)}


def test_a_tap_records_the_members_own_answer_while_the_month_is_open(
    db: Database, teams: tuple[int, int]
) -> None:
    on_first = datetime(2026, 12, 1, 9, tzinfo=UTC)
    yes = _tap(db, ALICE, NOVEMBER, True, on_first)
    assert yes == CheckinRecorded(NOVEMBER, True, date(2026, 12, 7), None, changed=True)
    again = _tap(db, ALICE, NOVEMBER, True, on_first)
    assert again == CheckinRecorded(
        NOVEMBER, True, date(2026, 12, 7), Answer(True, own=True), changed=False
    )
    no = _tap(db, ALICE, NOVEMBER, False, on_first + timedelta(days=6))
    assert isinstance(no, CheckinRecorded) and no.changed and not no.active
    closed = _tap(db, ALICE, NOVEMBER, True, datetime(2026, 12, 8, 9, tzinfo=UTC))
    assert closed == CheckinClosed(NOVEMBER, date(2026, 12, 7))
    [row] = _rows(db, MonthlyCheckin)
    assert (row["active"], row["marked_by"]) == (False, None)


def test_a_stranger_or_a_forgotten_person_cannot_tap(db: Database, teams: tuple[int, int]) -> None:
    IDENTITIES[99] = Identity(99, "Stranger")
    on_first = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with pytest.raises(NotPermitted):
        _tap(db, 99, NOVEMBER, True, on_first)
    with db.begin() as conn:
        forget_person(conn, _person(db, CAL), now=NOW, today=date(2026, 11, 29))
    with pytest.raises(NotPermitted):
        _tap(db, CAL, NOVEMBER, True, on_first)
    assert _rows(db, MonthlyCheckin) == []


def test_a_members_no_replaces_an_organisers_mark(db: Database, teams: tuple[int, int]) -> None:
    marked = _active(db, ALICE, "@cal", "lastmonth", now=datetime(2026, 12, 1, 9, tzinfo=UTC))
    assert marked == ActiveMarked("Cal", NOVEMBER, True, None, changed=True)
    no = _tap(db, CAL, NOVEMBER, False, datetime(2026, 12, 2, 9, tzinfo=UTC))
    assert isinstance(no, CheckinRecorded)
    assert (no.active, no.was) == (False, Answer(True, own=False))
    [row] = _rows(db, MonthlyCheckin)
    assert (row["active"], row["marked_by"]) == (False, None)


# /active


def test_an_organiser_marks_a_member_and_hears_what_it_was(
    db: Database, teams: tuple[int, int]
) -> None:
    alice, cal = _person(db, ALICE), _person(db, CAL)
    assert _active(db, ALICE, "@cal") == ActiveMarked("Cal", NOVEMBER, True, None, changed=True)
    assert _active(db, ALICE, "@cal", "no") == ActiveMarked(
        "Cal", NOVEMBER, False, Answer(True, own=False), changed=True
    )
    assert _active(db, MIA, "@CAL", "no", "november") == ActiveMarked(
        "Cal", NOVEMBER, False, Answer(False, own=False), changed=False
    )
    assert _active(db, MIA, "@cal", "2026-10") == ActiveMarked(
        "Cal", OCTOBER, True, None, changed=True
    )
    rows = {(r["person_id"], r["month"]): r for r in _rows(db, MonthlyCheckin)}
    assert rows[(cal, NOVEMBER)]["marked_by"] == alice
    assert rows[(cal, NOVEMBER)]["asked_at"] is None
    assert rows[(cal, OCTOBER)]["marked_by"] == _person(db, MIA)
    assert [(a["month"], a["active"], a["previous"]) for a in _audits(db, "mark_active")] == [
        ("2026-11-01", True, None),
        ("2026-11-01", False, True),
        ("2026-10-01", True, None),
    ]


def test_a_mark_matching_the_members_own_answer_keeps_it_theirs(
    db: Database, teams: tuple[int, int]
) -> None:
    _tap(db, CAL, NOVEMBER, True, datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert _active(db, ALICE, "@cal") == ActiveMarked(
        "Cal", NOVEMBER, True, Answer(True, own=True), changed=False
    )
    [row] = _rows(db, MonthlyCheckin)
    assert row["marked_by"] is None


def test_members_of_other_teams_and_unknown_names_get_the_same_refusal(
    db: Database, teams: tuple[int, int]
) -> None:
    with pytest.raises(NoMemberToMark) as bob:
        _active(db, ALICE, "@bob")
    with pytest.raises(NoMemberToMark) as nobody:
        _active(db, ALICE, "@nobody")
    assert (bob.value.username, nobody.value.username) == ("@bob", "@nobody")
    with pytest.raises(NotPermitted):
        _active(db, CAL, "@alice")  # a councillor may not mark
    assert _active(db, ADMIN, "@bob").changed  # type: ignore[attr-defined]


def test_bad_words_future_months_and_late_joiners_are_refused(
    db: Database, teams: tuple[int, int]
) -> None:
    for words in (["@cal", "2027-01"], ["@cal", "maybe"], ["north-ward", "oct", "extra"]):
        with pytest.raises(ActiveUsage):
            _active(db, ALICE, *words)
    with pytest.raises(NotMemberThen) as late:
        _active(db, MIA, "@nell", "november")
    assert (late.value.name, late.value.month) == ("Nell", NOVEMBER)
    with pytest.raises(NoTeamCalled):
        _active(db, ALICE, "bradford")
    assert _rows(db, MonthlyCheckin) == []


def test_the_list_sorts_the_months_members_by_answer(db: Database, teams: tuple[int, int]) -> None:
    _active(db, ALICE, "@cal", "no")
    _tap(db, ALICE, NOVEMBER, True, datetime(2026, 11, 30, 12, tzinfo=UTC))
    listed = _active(db, ALICE)
    assert listed == ActiveList("North Ward", NOVEMBER, ("Alice",), ("Cal",), ("Mia",))
    december = _active(db, MIA, "north-ward", "december", now=datetime(2026, 12, 2, tzinfo=UTC))
    assert december == ActiveList(
        "North Ward", date(2026, 12, 1), (), (), ("Alice", "Cal", "Mia", "Nell")
    )
    with pytest.raises(ActiveUsage) as no_team:
        _active(db, ADMIN)
    assert no_team.value.word is None
    assert _active(db, ADMIN, "bradford") == ActiveList(
        "Bradford", NOVEMBER, (), (), ("Bea", "Bob")
    )


def test_namesakes_are_told_apart_in_the_list(db: Database, teams: tuple[int, int]) -> None:
    north, _ = teams
    with db.begin() as conn:
        make_member(conn, north, 41, "Sam Murphy", Role.ORGANISER)
        make_member(conn, north, 42, "Sam Murphy", Role.ORGANISER)
    listed = _active(db, MIA)
    assert isinstance(listed, ActiveList)
    assert listed.unanswered == ("Alice", "Cal", "Mia", "Sam Murphy (1)", "Sam Murphy (2)")


def test_store_keeps_every_residents_figure_and_reads_the_latest(
    db: Database, teams: tuple[int, int]
) -> None:
    north, bradford = teams
    mia = _person(db, MIA)
    with db.begin() as conn:
        for n, day in ((100, 3), (300, 1), (200, 3)):
            store.record_residents(
                conn, team_id=north, residents=n, set_on=date(2026, 11, day), set_by=mia, set_at=NOW
            )
        figures = store.current_residents(conn, [north, bradford])
    assert list(figures) == [north]
    assert figures[north].residents == 200


# Months at the edges, months someone was no member in, leavers, forgotten markers, word order

#: Wednesday 2 December 2026, midday: November's check-in is open.
DEC_2 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
DECEMBER = date(2026, 12, 1)
LEO, LOU, SAM, OLD_SAM = 17, 22, 18, 19
IDENTITIES.update(
    {
        LEO: Identity(LEO, "Leo", "leo"),
        LOU: Identity(LOU, "Lou", "lou"),
        SAM: Identity(SAM, "Sam", "sam"),
        OLD_SAM: Identity(OLD_SAM, "Old Sam"),
    }
)


@pytest.mark.parametrize(
    "month",
    [
        date(1, 1, 1),
        date(1, 12, 1),
        date(1999, 12, 1),
        date(2026, 12, 1),
        date(2100, 6, 1),
        date(9999, 11, 1),
        date(9999, 12, 1),  # no date holds its next month
    ],
)
@pytest.mark.parametrize("active", [True, False])
def test_a_tap_for_any_month_a_date_can_hold_outside_its_window_changes_nothing(
    db: Database, teams: tuple[int, int], month: date, active: bool
) -> None:
    outcome = _tap(db, CAL, month, active, DEC_2)
    if month < date(2026, 1, 1):  # before Cal joined
        assert outcome == CheckinNotMember(month)
    else:
        assert isinstance(outcome, CheckinClosed) and outcome.month == month
        assert outcome.closed_on >= month  # December 9999 closes on the last day a date holds
    assert _rows(db, MonthlyCheckin) == []


def _rejoin(db: Database, user_id: int, team_id: int, left_on: date, back_on: date) -> None:
    """``user_id`` leaves ``team_id`` on ``left_on`` and joins it again on ``back_on``."""
    person_id = _person(db, user_id)
    with db.begin() as conn:
        assert people.end_membership(conn, person_id=person_id, team_id=team_id, left_on=left_on)
        people.add_membership(
            conn,
            person_id=person_id,
            team_id=team_id,
            role=Role.COUNCILLOR,
            now=NOW,
            joined_on=back_on,
        )


def test_a_tap_counts_only_for_a_month_the_member_belonged_to_a_team_in(
    db: Database, teams: tuple[int, int]
) -> None:
    north, bradford = teams
    # Cal left on 31 October and came back on 1 December: away the whole of November.
    _rejoin(db, CAL, north, date(2026, 10, 31), DECEMBER)
    # Bob left Bradford on 10 November and joined North Ward on 1 December.
    with db.begin() as conn:
        people.end_membership(
            conn, person_id=_person(db, BOB), team_id=bradford, left_on=date(2026, 11, 10)
        )
        make_member(conn, north, BOB, "Bob", Role.ORGANISER, joined_on=DECEMBER)
    assert _tap(db, NEW, NOVEMBER, True, DEC_2) == CheckinNotMember(NOVEMBER)  # joined 1 Dec
    assert _tap(db, CAL, NOVEMBER, False, DEC_2) == CheckinNotMember(NOVEMBER)  # away
    late = datetime(2027, 1, 20, 12, tzinfo=UTC)  # November's check-in has closed too
    assert _tap(db, NEW, NOVEMBER, True, late) == CheckinNotMember(NOVEMBER)
    assert _tap(db, NEW, DECEMBER, True, late) == CheckinClosed(DECEMBER, date(2027, 1, 7))
    bob = _tap(db, BOB, NOVEMBER, True, DEC_2)  # in Bradford until the 10th
    assert isinstance(bob, CheckinRecorded) and bob.changed
    rows = _rows(db, MonthlyCheckin)
    assert [(r["person_id"], r["month"], r["active"]) for r in rows] == [
        (_person(db, BOB), NOVEMBER, True)
    ]
    # The check-in does not ask Cal about the month he was away for, and the list leaves him out.
    found = db.call(residents.checkins_due, moment=_moment(DEC_2))
    assert found is not None
    assert _person(db, CAL) not in {d.person_id for d in found.due}
    listed = _active(db, MIA, "north-ward", "november", now=DEC_2)
    assert isinstance(listed, ActiveList) and "Cal" not in listed.unanswered


def test_a_member_who_left_mid_month_is_marked_for_the_months_they_were_in(
    db: Database, teams: tuple[int, int]
) -> None:
    north, bradford = teams
    with db.begin() as conn:
        make_member(
            conn, north, LEO, "Leo", Role.COUNCILLOR, username="leo", left_on=date(2026, 11, 20)
        )
        make_member(
            conn, bradford, LOU, "Lou", Role.COUNCILLOR, username="lou", left_on=date(2026, 11, 20)
        )
    assert _active(db, ALICE, "@leo", "november", now=DEC_2) == ActiveMarked(
        "Leo", NOVEMBER, True, None, changed=True
    )
    assert _active(db, MIA, "@LEO", "2026-10", "no", now=DEC_2) == ActiveMarked(
        "Leo", OCTOBER, False, None, changed=True
    )
    assert _active(db, ADMIN, "@leo", "november", "no", now=DEC_2) == ActiveMarked(
        "Leo", NOVEMBER, False, Answer(True, own=False), changed=True
    )
    with pytest.raises(NotMemberThen) as after:
        _active(db, ALICE, "@leo", now=DEC_2)  # December: he had left
    assert (after.value.name, after.value.month, after.value.left) == ("Leo", DECEMBER, True)
    # Another team's leaver reads like nobody; their own team's manager may mark them.
    for tail in ([], ["november"], ["november", "no"]):
        with pytest.raises(NoMemberToMark) as lou:
            _active(db, ALICE, "@lou", *tail, now=DEC_2)
        with pytest.raises(NoMemberToMark) as nobody:
            _active(db, ALICE, "@nobody", *tail, now=DEC_2)
        assert (lou.value.username, nobody.value.username) == ("@lou", "@nobody")
    assert _active(db, BEA, "@lou", "november", now=DEC_2) == ActiveMarked(
        "Lou", NOVEMBER, True, None, changed=True
    )
    assert [(a["month"], a["active"]) for a in _audits(db, "mark_active")] == [
        ("2026-11-01", True),
        ("2026-10-01", False),
        ("2026-11-01", False),
        ("2026-11-01", True),
    ]


def test_a_member_away_for_the_whole_month_is_not_marked_for_it(
    db: Database, teams: tuple[int, int]
) -> None:
    north, _ = teams
    _rejoin(db, CAL, north, date(2026, 10, 31), DECEMBER)
    with pytest.raises(NotMemberThen) as away:
        _active(db, ALICE, "@cal", "november", now=DEC_2)
    assert (away.value.name, away.value.left) == ("Cal", True)
    assert _active(db, ALICE, "@cal", "october", now=DEC_2).changed  # type: ignore[attr-defined]
    assert _active(db, ALICE, "@cal", now=DEC_2).changed  # type: ignore[attr-defined]
    with pytest.raises(NotMemberThen) as late:
        _active(db, ALICE, "@nell", "november", now=DEC_2)
    assert late.value.left is False


def test_a_username_means_whoever_held_it_as_a_member_that_month(
    db: Database, teams: tuple[int, int]
) -> None:
    north, _ = teams
    with db.begin() as conn:
        old = make_member(
            conn, north, OLD_SAM, "Old Sam", Role.COUNCILLOR, left_on=date(2026, 10, 31)
        )
        make_member(conn, north, SAM, "Sam", Role.COUNCILLOR, username="sam", joined_on=NOVEMBER)
        # Old Sam gave the name up and has not written since: his row still holds it.
        p = table_of(Person)
        conn.execute(update(p).where(p.c.id == old).values(username="sam"))
    assert _active(db, ALICE, "@sam", "november", now=DEC_2) == ActiveMarked(
        "Sam", NOVEMBER, True, None, changed=True
    )
    assert _active(db, ALICE, "@sam", "october", now=DEC_2) == ActiveMarked(
        "Old Sam", OCTOBER, True, None, changed=True
    )
    with pytest.raises(SeveralToMark):
        _active(db, ALICE, "@sam", "2025-12", now=DEC_2)  # neither was a member: can't tell
    marked = {(r["person_id"], r["month"]) for r in _rows(db, MonthlyCheckin)}
    assert marked == {(_person(db, SAM), NOVEMBER), (old, OCTOBER)}


def test_a_mark_stays_a_mark_after_whoever_made_it_is_forgotten(
    db: Database, teams: tuple[int, int]
) -> None:
    _tap(db, MIA, NOVEMBER, True, datetime(2026, 12, 1, 9, tzinfo=UTC))  # Mia's own answer
    _active(db, ALICE, "@cal", "lastmonth", now=datetime(2026, 12, 1, 9, tzinfo=UTC))
    with db.begin() as conn:
        forget_person(conn, _person(db, ALICE), now=DEC_2, today=DEC_2.date())
    rows = {r["person_id"]: r for r in _rows(db, MonthlyCheckin)}
    cal, mia = _person(db, CAL), _person(db, MIA)
    assert (rows[cal]["marked_by"], rows[cal]["answered_at"]) == (None, None)
    assert rows[mia]["answered_at"] is not None
    gone = Answer(True, own=False, marker_forgotten=True)
    assert _active(db, MIA, "@cal", "lastmonth", now=DEC_2) == ActiveMarked(
        "Cal", NOVEMBER, True, gone, changed=False
    )
    IDENTITIES[MIA] = Identity(MIA, "Mia", "mia")
    assert _active(db, MIA, "@mia", "lastmonth", now=DEC_2) == ActiveMarked(
        "Mia", NOVEMBER, True, Answer(True, own=True), changed=False
    )
    no = _tap(db, CAL, NOVEMBER, False, DEC_2)
    assert isinstance(no, CheckinRecorded) and no.was == gone
    assert _active(db, MIA, "@cal", "lastmonth", now=DEC_2) == ActiveMarked(
        "Cal", NOVEMBER, True, Answer(False, own=True), changed=True
    )


@pytest.mark.parametrize("name", ["May", "Oct", "Last", "This", "Month"])
def test_a_team_named_like_a_month_is_listed_whichever_word_comes_first(
    db: Database, name: str
) -> None:
    with db.begin() as conn:
        team = make_team(conn, name)
        make_member(conn, team, ALICE, "Alice", Role.ORGANISER, username="alice")
        make_member(conn, team, CAL, "Cal", Role.COUNCILLOR, username="cal")
    slug = name.lower()
    for month_word, month in (("thismonth", NOVEMBER), ("2026-10", OCTOBER), ("june", None)):
        shown = month or date(2026, 6, 1)
        expected = ActiveList(name, shown, (), (), ("Alice", "Cal"))
        assert _active(db, ALICE, slug, month_word) == expected
        assert _active(db, ALICE, month_word, slug) == expected


def test_another_teams_name_reads_like_no_teams_in_either_order(
    db: Database, teams: tuple[int, int]
) -> None:
    with db.begin() as conn:
        june = make_team(conn, "June")
        make_member(conn, june, BOB, "Bob", Role.ORGANISER, username="bob")
    for other in ("bradford", "june"):
        for words in ([other, "thismonth"], ["thismonth", other], [other, "may"]):
            with pytest.raises(NoTeamCalled) as refused:
                _active(db, ALICE, *words)
            assert refused.value.name == other
    with pytest.raises(NoTeamCalled) as none:
        _active(db, ALICE, "thismonth", "zzz")
    assert none.value.name == "zzz"
    with pytest.raises(NotPermitted):
        _active(db, CAL, "thismonth", "north-ward")  # his team, but a councillor may not mark
