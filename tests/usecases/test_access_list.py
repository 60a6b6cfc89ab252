"""/access: every role held, who granted it and when, and the role changes and removals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import NotAMember
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import members, onboarding, privacy
from organiser_bot.usecases.access import (
    AccessChange,
    AccessList,
    ChangeKind,
    HeldRole,
    How,
    access_list,
)
from storage import people
from storage.engine import Database
from tests.digest_factories import LONDON, make_member, make_team

#: Thursday 26 Nov 2026, 12:00 UTC.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ADMIN, MIA, SAM, BOB, SAM2, STRANGER = 1000, 1500, 2001, 2002, 2003, 9999
ADMINS = frozenset({ADMIN, 1001})  # 1001 has never written to the bot
NAMES = {ADMIN: "Ada Admin", MIA: "Mia Khan", SAM: "Sam Patel", BOB: "Bob Brown"}


def _moment(at: datetime = NOW) -> Moment:
    return Moment(now=at, tz=LONDON, kinds=KindRegistry())


def _actor(
    db: Database, user_id: int, name: str | None = None, username: str | None = None
) -> Actor:
    with db.begin() as conn:
        identity = Identity(user_id, name or NAMES.get(user_id, str(user_id)), username)
        return people.load_actor(conn, identity, admin_ids=ADMINS)


def _invite(db: Database, by: int, team: str, role: str, at: datetime) -> str:
    with db.begin() as conn:
        made = onboarding.create_invite(conn, _actor(db, by), [team, role], moment=_moment(at))
    return made.code


def _join(
    db: Database,
    user_id: int,
    code: str,
    at: datetime,
    name: str | None = None,
    username: str | None = None,
) -> None:
    actor = _actor(db, user_id, name, username)
    with db.begin() as conn:
        onboarding.join(conn, actor, code, moment=_moment(at))


def _access(db: Database, user_id: int, at: datetime = NOW) -> AccessList:
    actor = _actor(db, user_id)
    with db.begin() as conn:
        return access_list(conn, actor, admin_ids=ADMINS, moment=_moment(at))


@pytest.fixture
def leeds(db: Database) -> Database:
    """Leeds, created by the admin on Mon 2 Nov; Mia invited as manager by the admin on 3 Nov
    and Sam as organiser by Mia on 10 Nov; Bradford created by Mia (its manager) on 12 Nov."""
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with db.begin() as conn:
        onboarding.create_team(conn, _actor(db, ADMIN), "Leeds", moment=_moment(start))
    _join(db, MIA, _invite(db, ADMIN, "leeds", "manager", start), start + timedelta(days=1))
    day10 = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)
    _join(db, SAM, _invite(db, MIA, "leeds", "organiser", day10), day10, username="sam")
    with db.begin() as conn:
        onboarding.create_team(
            conn, _actor(db, MIA), "Bradford", moment=_moment(day10 + timedelta(days=2))
        )
    return db


def test_every_role_shows_who_granted_it_and_when(leeds: Database) -> None:
    seen = _access(leeds, SAM)
    assert [t.name for t in seen.teams] == ["Bradford", "Leeds"]
    bradford, leeds_team = seen.teams
    assert bradford.holders == (
        HeldRole("Mia Khan", Role.MANAGER, How.CREATED_TEAM, None, date(2026, 11, 12)),
    )
    assert leeds_team.holders == (
        HeldRole("Mia Khan", Role.MANAGER, How.INVITE, "Ada Admin", date(2026, 11, 3)),
        HeldRole("Sam Patel", Role.ORGANISER, How.INVITE, "Mia Khan", date(2026, 11, 10)),
    )
    assert seen.admins == ("Ada Admin",)
    assert seen.unseen_admins == 1
    assert seen.changes == ()


def test_the_day_granted_is_the_local_day(leeds: Database) -> None:
    # 23:30 UTC on Sun 31 May is already Mon 1 June in London (summer time).
    late = datetime(2027, 5, 31, 23, 30, tzinfo=UTC)
    _join(leeds, BOB, _invite(leeds, MIA, "leeds", "caseworker", late), late)
    leeds_team = _access(leeds, BOB, late).teams[1]
    [bob] = [h for h in leeds_team.holders if h.name == "Bob Brown"]
    assert bob.on == date(2027, 6, 1)


def test_strangers_may_not_see_it_and_admins_outside_teams_may(leeds: Database) -> None:
    with pytest.raises(NotAMember):
        _access(leeds, STRANGER)
    assert [t.name for t in _access(leeds, ADMIN).teams] == ["Bradford", "Leeds"]


def test_role_changes_and_removals_are_listed_newest_first(leeds: Database) -> None:
    day20 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    with leeds.begin() as conn:
        members.remove_member(
            conn, _actor(leeds, MIA), ["leeds", "@sam", "confirm"], moment=_moment(day20)
        )
    # Joined again two days later, in another role, through Mia's invite.
    day22 = day20 + timedelta(days=2)
    _join(leeds, SAM, _invite(leeds, MIA, "leeds", "manager", day22), day22)
    _join(leeds, BOB, _invite(leeds, MIA, "leeds", "organiser", day22), day22, username="bob")
    with leeds.begin() as conn:
        members.remove_member(
            conn, _actor(leeds, ADMIN), ["leeds", "@bob", "confirm"], moment=_moment(NOW)
        )
    seen = _access(leeds, MIA)
    assert seen.changes == (
        AccessChange(
            date(2026, 11, 26),
            ChangeKind.REMOVED,
            "Bob Brown",
            "Leeds",
            "Ada Admin",
            Role.ORGANISER,
        ),
        AccessChange(
            date(2026, 11, 22),
            ChangeKind.ROLE_CHANGED,
            "Sam Patel",
            "Leeds",
            "Mia Khan",
            Role.ORGANISER,
            Role.MANAGER,
        ),
        AccessChange(
            date(2026, 11, 20), ChangeKind.REMOVED, "Sam Patel", "Leeds", "Mia Khan", Role.ORGANISER
        ),
    )
    leeds_team = seen.teams[1]
    assert [(h.name, h.role, h.by, h.on) for h in leeds_team.holders] == [
        ("Mia Khan", Role.MANAGER, "Ada Admin", date(2026, 11, 3)),
        ("Sam Patel", Role.MANAGER, "Mia Khan", date(2026, 11, 22)),
    ]


def test_joining_again_in_the_same_role_is_no_role_change(leeds: Database) -> None:
    with leeds.begin() as conn:
        members.remove_member(
            conn, _actor(leeds, MIA), ["leeds", "@sam", "confirm"], moment=_moment(NOW)
        )
    later = NOW + timedelta(days=1)
    _join(leeds, SAM, _invite(leeds, MIA, "leeds", "organiser", later), later)
    kinds = [c.kind for c in _access(leeds, SAM, later).changes]
    assert kinds == [ChangeKind.REMOVED]


def test_a_forgotten_person_is_a_former_member(leeds: Database) -> None:
    with leeds.begin() as conn:
        privacy.forget_me(conn, _actor(leeds, MIA), ["confirm"], moment=_moment(NOW))
    seen = _access(leeds, SAM)
    text = repr(seen)
    assert "Mia" not in text and "Khan" not in text
    bradford, leeds_team = seen.teams
    assert bradford.holders == ()
    # Sam's role was granted through the invite Mia created: its creator is no longer named.
    assert leeds_team.holders == (
        HeldRole("Sam Patel", Role.ORGANISER, How.INVITE, None, date(2026, 11, 10)),
    )
    assert set(seen.changes) == {
        AccessChange(date(2026, 11, 26), ChangeKind.LEFT, "former member", team, None, Role.MANAGER)
        for team in ("Bradford", "Leeds")
    }


def test_namesakes_are_told_apart_across_teams(leeds: Database) -> None:
    _join(
        leeds, SAM2, _invite(leeds, MIA, "bradford", "councillor", NOW), NOW, "Sam Patel", "sam_b"
    )
    seen = _access(leeds, SAM)
    bradford, leeds_team = seen.teams
    [sam_b] = [h.name for h in bradford.holders if h.role is Role.COUNCILLOR]
    [sam] = [h.name for h in leeds_team.holders if h.role is Role.ORGANISER]
    assert sam != sam_b
    assert sam.startswith("Sam Patel (") and sam_b == "Sam Patel (@sam_b)"


def test_a_membership_made_without_a_grant_is_listed_as_not_recorded(db: Database) -> None:
    with db.begin() as conn:
        team = make_team(conn, "Hull")
        make_member(conn, team, BOB, "Bob Brown", Role.CASEWORKER)
    [hull] = _access(db, BOB).teams
    [bob] = hull.holders
    assert (bob.name, bob.how, bob.by) == ("Bob Brown", How.NOT_RECORDED, None)
