"""Identities: names and usernames kept current from every update, a username taken from whoever
held it before, and @user resolved only among the members a manager may act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, event, select, update

from organiser_bot.domain.access import Identity
from organiser_bot.domain.refusals import Action
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.actors import as_actor
from organiser_bot.usecases.identities import UnknownMember, members_named
from storage import people
from storage.engine import Database
from storage.models import Person
from storage.query import table_of
from tests.digest_factories import SETUP_AT, make_member, make_team

ADMIN, MIA, SAM_OLD, SAM_NEW, BEA, BOB = 1, 15, 12, 13, 16, 21
_person = table_of(Person)


@pytest.fixture
def teams(db: Database) -> tuple[int, int]:
    """Leeds (manager Mia, two organisers) and Bradford (manager Bea, organiser Bob @bob)."""
    with db.begin() as conn:
        leeds = make_team(conn, "Leeds")
        bradford = make_team(conn, "Bradford")
        make_member(conn, leeds, MIA, "Mia", Role.MANAGER)
        make_member(conn, leeds, SAM_OLD, "Sam Old", Role.ORGANISER, username="sam")
        make_member(conn, leeds, SAM_NEW, "Sam New", Role.ORGANISER, username="samnew")
        make_member(conn, bradford, BEA, "Bea", Role.MANAGER)
        make_member(conn, bradford, BOB, "Bob", Role.ORGANISER, username="bob")
    return leeds, bradford


def _stored(db: Database) -> dict[int, tuple[str, str | None]]:
    rows = db.call(
        lambda c: c.execute(
            select(_person.c.telegram_user_id, _person.c.display_name, _person.c.username)
        ).all()
    )
    return {r.telegram_user_id: (r.display_name, r.username) for r in rows}


def _update_from(db: Database, identity: Identity) -> None:
    """Run a use case as ``identity``, the way every update's unit of work loads its actor."""
    db.call(as_actor(identity, frozenset({ADMIN}), lambda conn, actor: actor))


def test_every_update_keeps_the_name_and_username_current(
    db: Database, teams: tuple[int, int]
) -> None:
    _update_from(db, Identity(BOB, "Robert", "bobby"))
    assert _stored(db)[BOB] == ("Robert", "bobby")
    _update_from(db, Identity(BOB, "Robert"))  # gave the username up
    assert _stored(db)[BOB] == ("Robert", None)


def test_a_username_moves_to_whoever_sends_it_now(db: Database, teams: tuple[int, int]) -> None:
    # Sam Old gave up @sam without writing since; it is stored twice (as before this rule).
    db.call(
        lambda c: c.execute(
            update(_person).where(_person.c.telegram_user_id == SAM_NEW).values(username="sam")
        )
    )
    holders = db.call(lambda c: people.current_members(c, team_ids=None, username="@sam"))
    assert len(holders) == 2
    # Nothing about the new holder changed: the shared username alone is settled.
    _update_from(db, Identity(SAM_NEW, "Sam New", "sam"))
    stored = _stored(db)
    assert stored[SAM_NEW] == ("Sam New", "sam") and stored[SAM_OLD] == ("Sam Old", None)
    [holder] = db.call(lambda c: people.current_members(c, team_ids=None, username="sam"))
    assert holder.display_name == "Sam New"


def test_a_new_person_takes_the_username_too(db: Database, teams: tuple[int, int]) -> None:
    db.call(lambda c: people.ensure_person(c, Identity(99, "Newcomer", "bob"), now=SETUP_AT))
    stored = _stored(db)
    assert stored[99] == ("Newcomer", "bob") and stored[BOB] == ("Bob", None)


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_loading_an_unchanged_person_costs_one_statement(
    db: Database, teams: tuple[int, int]
) -> None:
    def load(identity: Identity) -> list[str]:
        with _statements(db) as seen:
            db.call(lambda c: people.load_actor(c, identity, admin_ids=frozenset(), refresh=True))
        return [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT"))]

    assert len(load(Identity(BOB, "Bob", "bob"))) == 1
    # A change reads what is given up, stores the new, and looks for kept replies naming the
    # old (none here: nothing to blank).
    assert len(load(Identity(BOB, "Bobby", "bob"))) == 4  # the name changed
    assert len(load(Identity(BOB, "Bobby", "BOB"))) == 4  # the username's case only
    assert len(load(Identity(BOB, "Bobby", "rob"))) == 5  # a new username: taken, then stored


def _named(db: Database, user_id: int, username: str, team_id: int | None = None) -> list[str]:
    def run(conn: Connection) -> list[str]:
        actor = people.load_actor(conn, Identity(user_id, "x"), admin_ids=frozenset({ADMIN}))
        found = members_named(conn, actor, username, Action.SET_TARGET, team_id=team_id)
        return [f"{m.display_name}@{m.team_name}" for m in found]

    return db.call(run)


def test_a_username_resolves_only_among_members_the_manager_may_act_on(
    db: Database, teams: tuple[int, int]
) -> None:
    leeds, bradford = teams
    assert _named(db, MIA, "@sam") == ["Sam Old@Leeds"]
    assert _named(db, BEA, "BOB") == ["Bob@Bradford"]
    assert _named(db, ADMIN, "@bob") == ["Bob@Bradford"]
    refused = []
    for user_id, name, team in [
        (MIA, "@bob", None),
        (MIA, "@nobody", None),
        (MIA, "@bob", bradford),
        (BEA, "@sam", leeds),
        (ADMIN, "@sam", bradford),
        (BOB, "@bob", None),  # an organiser manages no team
    ]:
        with pytest.raises(UnknownMember) as caught:
            _named(db, user_id, name, team)
        refused.append(caught.value)
    assert {type(r) for r in refused} == {UnknownMember}
    assert [r.username for r in refused] == ["@bob", "@nobody", "@bob", "@sam", "@sam", "@bob"]


def test_someone_who_left_is_not_found(db: Database, teams: tuple[int, int]) -> None:
    leeds, _ = teams
    sam = db.call(
        lambda c: people.ensure_person(c, Identity(SAM_OLD, "Sam Old", "sam"), now=SETUP_AT)
    )
    db.call(
        lambda c: people.end_membership(c, person_id=sam, team_id=leeds, left_on=SETUP_AT.date())
    )
    with pytest.raises(UnknownMember):
        _named(db, MIA, "@sam")


def test_a_username_sent_by_someone_not_stored_is_taken_from_its_holder(
    db: Database, teams: tuple[int, int]
) -> None:
    # Bob gave up @bob without writing since; a stranger took it (in another case) and wrote.
    _update_from(db, Identity(99, "Zed", "BOB"))

    stored = _stored(db)
    assert stored[BOB] == ("Bob", None)
    assert 99 not in stored  # the stranger is still not stored
    with pytest.raises(UnknownMember):
        _named(db, BEA, "@bob")


def test_loading_someone_not_stored_costs_a_lookup_only_with_a_username(
    db: Database, teams: tuple[int, int]
) -> None:
    def load(identity: Identity) -> list[str]:
        with _statements(db) as seen:
            db.call(lambda c: people.load_actor(c, identity, admin_ids=frozenset(), refresh=True))
        return [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT"))]

    assert len(load(Identity(99, "Zed"))) == 1
    assert len(load(Identity(99, "Zed", "zed"))) == 2  # no one holds it: a read, no write
    assert _stored(db)[SAM_OLD] == ("Sam Old", "sam")
