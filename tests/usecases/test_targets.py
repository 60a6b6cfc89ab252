"""``/target``: set, clear and reset forms, the target before and after, member lists and taps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from sqlalchemy import Connection, update

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import Action, NotPermitted
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import targets
from organiser_bot.usecases.identities import (
    NoOneToChoose,
    StaleChoice,
    StaleReason,
    UnknownMember,
)
from organiser_bot.usecases.onboarding import NoTeamCalled
from organiser_bot.usecases.targets import (
    Fallback,
    NotRoleOrMember,
    TargetChange,
    TargetOutOfRange,
    TargetPick,
    TargetSet,
    TargetTap,
    TargetUsage,
    TargetValue,
    UnknownKind,
    parse_target_value,
)
from storage import people
from storage import targets as target_store
from storage.engine import Database
from storage.models import Person
from storage.query import table_of
from tests.digest_factories import LONDON, make_member, make_team

T = TypeVar("T")

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KINDS = KindRegistry()
ONE_TO_ONE = KINDS.get("one_to_one")
ADMIN, MIA, ALICE, SAM1, SAM2, BEA, BOB = 1, 15, 11, 12, 13, 16, 21
#: Each person's Telegram name and @username, as the updates they send carry them.
IDENTITIES = {
    ADMIN: Identity(ADMIN, "Ada"),
    MIA: Identity(MIA, "Mia"),
    ALICE: Identity(ALICE, "Alice", "alice"),
    SAM1: Identity(SAM1, "Sam Murphy"),
    SAM2: Identity(SAM2, "Sam Murphy"),
    BEA: Identity(BEA, "Bea"),
    BOB: Identity(BOB, "Bob", "bob"),
}
#: The built-in organiser target for one-to-ones.
DEFAULT = 15


@pytest.fixture
def teams(db: Database) -> tuple[int, int]:
    """Leeds (manager Mia, organisers Alice @alice and two called Sam Murphy with no username)
    and Bradford (manager Bea, organiser Bob @bob)."""
    with db.begin() as conn:
        leeds = make_team(conn, "Leeds")
        bradford = make_team(conn, "Bradford")
        make_member(conn, leeds, MIA, "Mia", Role.MANAGER)
        make_member(conn, leeds, ALICE, "Alice", Role.ORGANISER, username="alice")
        make_member(conn, leeds, SAM1, "Sam Murphy", Role.ORGANISER)
        make_member(conn, leeds, SAM2, "Sam Murphy", Role.ORGANISER)
        make_member(conn, bradford, BEA, "Bea", Role.MANAGER)
        make_member(conn, bradford, BOB, "Bob", Role.ORGANISER, username="bob")
    return leeds, bradford


def _as(db: Database, user_id: int, fn: Callable[[Connection, Actor], T]) -> T:
    with db.begin() as conn:
        identity = IDENTITIES[user_id]
        actor = people.load_actor(conn, identity, admin_ids=frozenset({ADMIN}), refresh=True)
        return fn(conn, actor)


def _moment() -> Moment:
    return Moment(now=NOW, tz=LONDON, kinds=KINDS)


def _target(db: Database, user_id: int, *args: str) -> TargetSet | TargetPick:
    return _as(db, user_id, lambda c, a: targets.set_target(c, a, list(args), moment=_moment()))


def _set(db: Database, user_id: int, *args: str) -> TargetSet:
    outcome = _target(db, user_id, *args)
    assert isinstance(outcome, TargetSet), outcome
    return outcome


def _pick(db: Database, user_id: int, *args: str) -> TargetPick:
    outcome = _target(db, user_id, *args)
    assert isinstance(outcome, TargetPick), outcome
    return outcome


def _overrides(db: Database) -> list[target_store.TargetRow]:
    return db.call(lambda c: target_store.overrides(c))


def _person(db: Database, user_id: int) -> int:
    return db.call(
        lambda c: people.load_actor(c, Identity(user_id, "x"), admin_ids=frozenset()).person_id or 0
    )


def test_values_read_as_set_clear_or_reset() -> None:
    assert parse_target_value("5") == TargetValue(TargetChange.SET, 5)
    assert parse_target_value("none") == TargetValue(TargetChange.CLEAR)
    assert parse_target_value("0") == parse_target_value("NONE")
    assert parse_target_value("Reset") == TargetValue(TargetChange.RESET)
    assert parse_target_value(str(targets.MAX_TARGET)) is not None
    for bad in (str(targets.MAX_TARGET + 1), "-1", "2.5", "５", "lots", ""):
        assert parse_target_value(bad) is None, bad


def test_a_members_target_is_set_cleared_and_reset_with_before_and_after(
    db: Database, teams: tuple[int, int]
) -> None:
    assert _set(db, MIA, "@alice", "121", "5") == TargetSet(
        ONE_TO_ONE, "Alice", Role.ORGANISER, "Leeds", TargetChange.SET, 5, DEFAULT
    )
    cleared = _set(db, MIA, "@alice", "121", "none", "leeds")
    assert (cleared.change, cleared.weekly, cleared.was) == (TargetChange.CLEAR, None, 5)
    zero = _set(db, MIA, "@ALICE", "121", "0")  # 0 means the same as none
    assert (zero.change, zero.weekly, zero.was) == (TargetChange.CLEAR, None, None)
    reset = _set(db, MIA, "@alice", "121", "reset")
    assert (reset.weekly, reset.was, reset.fallback) == (DEFAULT, None, Fallback.ROLE)
    assert _overrides(db) == []
    again = _set(db, MIA, "@alice", "121", "reset")
    assert (again.changed, again.weekly, again.was) == (False, DEFAULT, DEFAULT)


def test_a_roles_target_resets_to_every_teams_then_to_the_default(
    db: Database, teams: tuple[int, int]
) -> None:
    everywhere = _set(db, ADMIN, "organiser", "121", "12")
    assert (everywhere.team_name, everywhere.weekly, everywhere.was) == (None, 12, DEFAULT)
    leeds = _set(db, MIA, "organiser", "121", "10")
    assert (leeds.team_name, leeds.weekly, leeds.was) == ("Leeds", 10, 12)
    # Alice follows her role's target in Leeds.
    assert _set(db, MIA, "@alice", "121", "reset").weekly == 10
    back = _set(db, MIA, "organiser", "121", "reset")
    assert (back.weekly, back.was, back.fallback) == (12, 10, Fallback.EVERY_TEAM)
    default = _set(db, ADMIN, "organiser", "121", "reset")
    assert (default.weekly, default.was, default.fallback) == (DEFAULT, 12, Fallback.DEFAULT)
    assert _overrides(db) == []


def test_a_name_in_another_team_is_refused_like_a_name_no_one_holds(
    db: Database, teams: tuple[int, int]
) -> None:
    refusals = []
    for name in ("@bob", "@nobody"):
        with pytest.raises(UnknownMember) as caught:
            _target(db, MIA, name, "121", "5")
        refusals.append(caught.value)
    assert refusals == [UnknownMember("@bob"), UnknownMember("@nobody")]
    assert _overrides(db) == []
    # The admin may set anyone's; Bob's own manager too.
    assert _set(db, BEA, "@bob", "121", "4").team_name == "Bradford"
    assert _set(db, ADMIN, "@bob", "121", "6").was == 4


def test_member_lists_the_teams_current_members_narrowed_by_name(
    db: Database, teams: tuple[int, int]
) -> None:
    pick = _pick(db, MIA, "member", "121", "5")
    names = [m.display_name for m in pick.choice.members]
    assert names == ["Alice", "Mia", "Sam Murphy", "Sam Murphy"]
    assert pick.value == TargetValue(TargetChange.SET, 5) and pick.kind == ONE_TO_ONE
    assert len(pick.states) == 4 and pick.choice.username is None
    sams = _pick(db, MIA, "member", "121", "reset", "leeds", "murphy")
    assert [m.person_id for m in sams.choice.members] == [_person(db, SAM1), _person(db, SAM2)]
    # With no team named, part of a name follows the value directly.
    assert _pick(db, MIA, "member", "121", "3", "ali").choice.total == 1
    with pytest.raises(NoOneToChoose):
        _target(db, MIA, "member", "121", "5", "zed")
    assert _overrides(db) == []


def _tap(pick: TargetPick, index: int, asker: int = MIA) -> TargetTap:
    member = pick.choice.members[index]
    return TargetTap(
        asker, member.team_id, member.person_id, pick.kind.key, pick.value, pick.states[index]
    )


def _chosen(db: Database, user_id: int, tap: TargetTap) -> TargetSet:
    return _as(db, user_id, lambda c, a: targets.set_chosen_target(c, a, tap, moment=_moment()))


def test_a_tapped_member_gets_the_target_and_a_stale_tap_changes_nothing(
    db: Database, teams: tuple[int, int]
) -> None:
    leeds, _ = teams
    pick = _pick(db, MIA, "member", "121", "5")
    sam1 = next(i for i, m in enumerate(pick.choice.members) if m.person_id == _person(db, SAM1))
    with pytest.raises(StaleChoice) as caught:
        _chosen(db, BEA, _tap(pick, sam1, asker=BEA))  # a list sent to Mia, tapped by Bea
    assert caught.value.reason is StaleReason.GONE
    with pytest.raises(StaleChoice) as caught:
        _chosen(db, BEA, _tap(pick, sam1))
    assert caught.value.reason is StaleReason.NOT_YOURS
    done = _chosen(db, MIA, _tap(pick, sam1))
    assert (done.whose, done.weekly, done.was) == ("Sam Murphy", 5, DEFAULT)
    # The team's targets changed since the list went out: the other taps are refused.
    with pytest.raises(StaleChoice) as caught:
        _chosen(db, MIA, _tap(pick, sam1 + 1))
    assert caught.value.reason is StaleReason.CHANGED
    # A member who left is refused.
    fresh = _pick(db, MIA, "member", "121", "7")
    sam2 = _person(db, SAM2)
    left = db.call(
        lambda c: people.end_membership(c, person_id=sam2, team_id=leeds, left_on=NOW.date())
    )
    assert left
    with pytest.raises(StaleChoice) as caught:
        _chosen(db, MIA, _tap(fresh, sam1 + 1))
    assert caught.value.reason is StaleReason.GONE
    assert [(r.scope, r.weekly) for r in _overrides(db)] == [(f"person:{_person(db, SAM1)}", 5)]


def test_an_ambiguous_username_lists_its_holders(db: Database, teams: tuple[int, int]) -> None:
    person = table_of(Person)
    # Stored before usernames were kept unique: both Sams hold @sam.
    db.call(
        lambda c: c.execute(
            update(person).where(person.c.display_name == "Sam Murphy").values(username="sam")
        )
    )
    pick = _pick(db, MIA, "@sam", "121", "5")
    assert pick.choice.username == "@sam" and pick.choice.total == 2
    assert _overrides(db) == []


def test_one_person_in_two_managed_teams_is_chosen_per_team(
    db: Database, teams: tuple[int, int]
) -> None:
    _, bradford = teams
    db.call(lambda c: make_member(c, bradford, ALICE, "Alice", Role.CASEWORKER, username="alice"))
    pick = _pick(db, ADMIN, "@alice", "121", "5")
    assert [m.team_name for m in pick.choice.members] == ["Bradford", "Leeds"]
    # Mia manages Leeds only: Alice is found there alone.
    assert _set(db, MIA, "@alice", "121", "5").team_name == "Leeds"


@pytest.mark.parametrize(
    ("user_id", "args", "refusal"),
    [
        (ALICE, ["organiser", "121", "1"], NotPermitted(Action.SET_TARGET)),
        (MIA, ["organiser", "121"], TargetUsage()),
        (MIA, ["organiser", "lunch", "3"], UnknownKind("lunch")),
        (MIA, ["organiser", "121", "x"], TargetOutOfRange(targets.MAX_TARGET)),
        (MIA, ["organiser", "121", "1001"], TargetOutOfRange(targets.MAX_TARGET)),
        (MIA, ["organiser", "121", "3", "nowhere"], NoTeamCalled("nowhere")),
        (MIA, ["@alice", "121", "3", "nowhere"], NoTeamCalled("nowhere")),
        (MIA, ["wizard", "121", "3"], NotRoleOrMember("wizard")),
        (MIA, ["@bob", "121", "3"], UnknownMember("@bob")),
        # Another team's short name reads as a name no team has: never confirmed.
        (MIA, ["member", "121", "3", "bradford"], NoOneToChoose("Leeds", "bradford")),
        (MIA, ["member", "121", "3", "nowhere"], NoOneToChoose("Leeds", "nowhere")),
        (MIA, ["@bob", "121", "3", "bradford"], NoTeamCalled("bradford")),
        (MIA, ["organiser", "121", "3", "bradford"], NoTeamCalled("bradford")),
    ],
)
def test_target_refusals_change_nothing(
    db: Database, teams: tuple[int, int], user_id: int, args: list[str], refusal: Exception
) -> None:
    with pytest.raises(type(refusal)) as caught:
        _target(db, user_id, *args)
    assert vars(caught.value) == vars(refusal)
    assert _overrides(db) == []
