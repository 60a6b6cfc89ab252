"""Onboarding use cases return typed outcomes or raise typed refusals, without a word of English."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Connection, Table, func, select, update

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import Kind, KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import Action, NotPermitted
from organiser_bot.domain.roles import Role
from organiser_bot.domain.teams import slugify
from organiser_bot.usecases import onboarding
from organiser_bot.usecases.onboarding import (
    AlreadyInTeam,
    BadKindAliases,
    BadKindName,
    BindUsage,
    ChatBound,
    DefaultTeam,
    DefaultTeamSet,
    InviteAlreadyRevoked,
    InviteCreated,
    InviteLimits,
    InviteProblem,
    InviteRevoked,
    InviteUnusable,
    InviteUsage,
    Joined,
    KindNameTaken,
    KindUsage,
    NoSuchInvite,
    NoTeamCalled,
    NoTeamToInvite,
    NoTeamYet,
    NotInTeam,
    StillLogsTo,
    TeamCreated,
    TeamExists,
    TeamNameInvalid,
    UnknownRole,
)
from storage import chats, people
from storage.engine import Database
from storage.models import Invite, Membership, Team
from storage.query import table_of
from tests.digest_factories import LONDON, make_member, make_team

T = TypeVar("T")

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ADMIN, MANAGER, SAM, STRANGER = 1, 15, 11, 99
GROUP = -100123


@pytest.fixture
def north(db: Database) -> int:
    """North Ward with a manager and Sam (organiser); South Side with no one."""
    with db.begin() as conn:
        team = make_team(conn, "North Ward")
        make_member(conn, team, MANAGER, "Mia", Role.MANAGER)
        make_member(conn, team, SAM, "Sam", Role.ORGANISER)
        make_team(conn, "South Side")
    return team


def _moment(now: datetime = NOW, kinds: KindRegistry | None = None) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=kinds or KindRegistry())


def _as(db: Database, user_id: int, fn: Callable[[Connection, Actor], T]) -> T:
    with db.begin() as conn:
        actor = people.load_actor(
            conn, Identity(user_id, f"user {user_id}"), admin_ids=frozenset({ADMIN})
        )
        return fn(conn, actor)


def _count(db: Database, table: Table) -> int:
    with db.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _invite(db: Database, *args: str, by: int = ADMIN) -> InviteCreated:
    return _as(db, by, lambda c, a: onboarding.create_invite(c, a, list(args), moment=_moment()))


def _join(db: Database, user_id: int, code: str, now: datetime = NOW) -> Joined:
    return _as(db, user_id, lambda c, a: onboarding.join(c, a, code, moment=_moment(now)))


def test_a_manager_creates_a_team_and_becomes_its_manager(db: Database, north: int) -> None:
    created = _as(
        db, MANAGER, lambda c, a: onboarding.create_team(c, a, " East   End ", moment=_moment())
    )
    assert created == TeamCreated("East End", "east-end")
    team = _as(db, MANAGER, lambda c, a: a.team_by_slug("east-end"))
    assert team is not None and team.role is Role.MANAGER


def test_creating_a_team_is_refused_to_members_bad_names_and_taken_short_names(
    db: Database, north: int
) -> None:
    teams = _count(db, table_of(Team))

    def create(user_id: int, name: str) -> TeamCreated:
        return _as(db, user_id, lambda c, a: onboarding.create_team(c, a, name, moment=_moment()))

    for user_id, name, refusal in [
        (SAM, "Rogue", NotPermitted(Action.CREATE_TEAM)),
        (ADMIN, "!!!", TeamNameInvalid()),
        (ADMIN, "x" * 65, TeamNameInvalid()),
        (ADMIN, "north  WARD", TeamExists("north-ward", "north WARD 2", "North Ward")),
    ]:
        with pytest.raises(type(refusal)) as caught:
            create(user_id, name)
        assert vars(caught.value) == vars(refusal)
    assert _count(db, table_of(Team)) == teams


@pytest.mark.parametrize("name", ["Old Town", "old  TOWN"])
def test_an_archived_teams_short_name_is_refused_as_taken_never_an_error(
    db: Database, north: int, name: str
) -> None:
    """Archived teams keep their short names (an administrator archives in the database):
    creating a team with one is refused like a live team's, and the suggestion is a name no
    team, live or archived, holds."""
    with db.begin() as conn:
        for archived in ("Old Town", "Old Town 2"):
            team = people.create_team(
                conn, name=archived, slug=slugify(archived), now=_moment().now
            )
            conn.execute(
                update(table_of(Team))
                .where(table_of(Team).c.id == team)
                .values(archived_at=_moment().now)
            )
    teams = _count(db, table_of(Team))
    with pytest.raises(TeamExists) as caught:
        _as(db, ADMIN, lambda c, a: onboarding.create_team(c, a, name, moment=_moment()))
    suggestion = " ".join(name.split()) + " 3"  # spaces collapsed, as in the team's name
    assert vars(caught.value) == vars(TeamExists("old-town", suggestion, "Old Town"))
    assert _count(db, table_of(Team)) == teams


def test_an_invite_carries_its_team_role_uses_days_and_a_code(db: Database, north: int) -> None:
    invite = _invite(db, "north-ward", "councillor", "3", "2", by=MANAGER)
    assert invite == InviteCreated("North Ward", Role.COUNCILLOR, 3, 2, invite.code)
    assert len(invite.code) >= 12
    assert _invite(db, "north-ward", "organiser").uses == 1
    assert _invite(db, "north-ward", "organiser").days == onboarding.INVITE_DAYS


@pytest.mark.parametrize(
    ("args", "by", "refusal"),
    [
        (["north-ward"], ADMIN, InviteUsage()),
        (["north-ward", "organiser", "two"], ADMIN, InviteUsage()),
        (["nowhere", "organiser"], ADMIN, NoTeamToInvite("nowhere")),
        # Not her team: its name is not hers to see, so it is refused as a name no team has.
        (["south-side", "organiser"], MANAGER, NoTeamToInvite("south-side")),
        (["north-ward", "organiser"], SAM, NotPermitted(Action.INVITE, "North Ward")),
        (["north-ward", "wizard"], ADMIN, UnknownRole("wizard")),
        (["north-ward", "organiser", "0"], ADMIN, InviteLimits(200, 90)),
        (["north-ward", "organiser", "1", "91"], ADMIN, InviteLimits(200, 90)),
    ],
)
def test_bad_invites_are_refused_and_nothing_is_stored(
    db: Database, north: int, args: list[str], by: int, refusal: Exception
) -> None:
    with pytest.raises(type(refusal)) as caught:
        _invite(db, *args, by=by)
    assert vars(caught.value) == vars(refusal)
    assert _count(db, table_of(Invite)) == 0


def test_joining_through_an_invite_gives_the_invites_role(db: Database, north: int) -> None:
    invite = _invite(db, "north-ward", "caseworker")
    assert _join(db, STRANGER, invite.code) == Joined("North Ward", Role.CASEWORKER)
    actor = _as(db, STRANGER, lambda c, a: a)
    assert [tr.role for tr in actor.teams] == [Role.CASEWORKER]


def test_unusable_invites_say_why_and_change_nothing(db: Database, north: int) -> None:
    used = _invite(db, "north-ward", "organiser")
    _join(db, 50, used.code)
    revoked = _invite(db, "north-ward", "organiser")
    _as(db, ADMIN, lambda c, a: onboarding.revoke_invite(c, a, revoked.code, moment=_moment()))
    short = _invite(db, "north-ward", "organiser", "1", "1")
    members = _count(db, table_of(Membership))
    for code, now, problem in [
        ("nosuchcode", NOW, InviteProblem.INVALID),
        (used.code, NOW, InviteProblem.USED_UP),
        (revoked.code, NOW, InviteProblem.WITHDRAWN),
        (short.code, NOW + timedelta(days=2), InviteProblem.EXPIRED),
    ]:
        with pytest.raises(InviteUnusable) as caught:
            _join(db, STRANGER, code, now)
        assert caught.value.problem is problem
    assert _count(db, table_of(Membership)) == members


def test_joining_a_team_one_is_in_already_is_refused_with_ones_role(
    db: Database, north: int
) -> None:
    invite = _invite(db, "north-ward", "manager")
    with pytest.raises(AlreadyInTeam) as caught:
        _join(db, SAM, invite.code)
    assert (caught.value.team_name, caught.value.role) == ("North Ward", Role.ORGANISER)
    assert _join(db, STRANGER, invite.code).role is Role.MANAGER  # the use was not spent


def test_revoking_an_invite(db: Database, north: int) -> None:
    invite = _invite(db, "north-ward", "organiser")

    def revoke(user_id: int, code: str) -> InviteRevoked:
        return _as(db, user_id, lambda c, a: onboarding.revoke_invite(c, a, code, moment=_moment()))

    with pytest.raises(NotPermitted) as caught:
        revoke(SAM, invite.code)
    assert caught.value.action is Action.REVOKE_INVITE
    with pytest.raises(NoSuchInvite):
        revoke(ADMIN, "nosuchcode")
    assert revoke(MANAGER, invite.code) == InviteRevoked(invite.code, "North Ward")
    with pytest.raises(InviteAlreadyRevoked):
        revoke(ADMIN, invite.code)


def test_binding_a_chat_names_the_team_and_refuses_others(db: Database, north: int) -> None:
    def bind(user_id: int, slug: str) -> ChatBound:
        return _as(
            db,
            user_id,
            lambda c, a: onboarding.bind_chat(
                c, a, slug, chat_id=GROUP, chat_title="North chat", moment=_moment()
            ),
        )

    with pytest.raises(BindUsage):
        bind(MANAGER, "")
    with pytest.raises(NoTeamCalled) as missing:
        bind(MANAGER, "Nowhere")
    assert missing.value.name == "Nowhere"
    # Another team's short name is refused as one no team has.
    with pytest.raises(NoTeamCalled) as other:
        bind(MANAGER, "south-side")
    assert other.value.name == "south-side"
    assert bind(MANAGER, "north-ward") == ChatBound("North Ward")
    with db.begin() as conn:
        assert [(team.name, chat) for team, chat in chats.bound_chats(conn)] == [
            ("North Ward", GROUP)
        ]


def test_use_shows_and_chooses_the_default_team(db: Database, north: int) -> None:
    with db.begin() as conn:
        south = people.find_team(conn, "south-side")
        assert south is not None
        make_member(conn, south.id, SAM, "Sam", Role.ORGANISER)

    def use(user_id: int, slug: str) -> DefaultTeam | DefaultTeamSet:
        return _as(db, user_id, lambda c, a: onboarding.use_team(c, a, slug))

    assert use(SAM, "") == DefaultTeam("North Ward", ("north-ward", "south-side"))
    assert use(SAM, "South Side") == DefaultTeamSet("South Side")
    assert use(SAM, "") == DefaultTeam("South Side", ("north-ward", "south-side"))
    with pytest.raises(NotInTeam) as caught:
        use(MANAGER, "south-side")
    assert (caught.value.name, caught.value.slugs) == ("south-side", ("north-ward",))
    with pytest.raises(NoTeamYet):
        use(STRANGER, "north-ward")


def _default(db: Database, user_id: int) -> str | None:
    team = _as(db, user_id, lambda c, a: a.default_team)
    return team.name if team else None


def test_a_first_team_becomes_the_default_and_later_ones_leave_it(db: Database, north: int) -> None:
    with db.begin() as conn:
        make_team(conn, "Ashton")  # sorts before every other team
        make_team(conn, "5 Towns")
    assert _join(db, STRANGER, _invite(db, "south-side", "organiser").code) == Joined(
        "South Side", Role.ORGANISER
    )
    assert _default(db, STRANGER) == "South Side"
    for slug, name in [("ashton", "Ashton"), ("5-towns", "5 Towns")]:
        joined = _join(db, STRANGER, _invite(db, slug, "councillor").code)
        assert joined == Joined(name, Role.COUNCILLOR, StillLogsTo("South Side", slug))
        assert _default(db, STRANGER) == "South Side"
    _as(db, STRANGER, lambda c, a: onboarding.use_team(c, a, "ashton"))
    assert _default(db, STRANGER) == "Ashton"


def test_a_default_never_stored_is_kept_as_it_was_when_another_team_comes(
    db: Database, north: int
) -> None:
    # Sam joined North Ward before defaults were stored: the first team by name was the default.
    assert _as(db, SAM, lambda c, a: a.default_team_id) is None
    with db.begin() as conn:
        make_team(conn, "Ashton")
    joined = _join(db, SAM, _invite(db, "ashton", "organiser").code)
    assert joined.still_logs_to == StillLogsTo("North Ward", "ashton")
    assert _default(db, SAM) == "North Ward"


def test_a_manager_creating_a_team_keeps_their_default(db: Database, north: int) -> None:
    _as(db, MANAGER, lambda c, a: onboarding.create_team(c, a, "Aardvark", moment=_moment()))
    assert _default(db, MANAGER) == "North Ward"
    assert {tr.slug for tr in _as(db, MANAGER, lambda c, a: a.teams)} == {"aardvark", "north-ward"}


def test_an_admin_adds_a_kind_and_gets_it_back_for_the_registry(db: Database, north: int) -> None:
    kinds = KindRegistry()

    def add(user_id: int, *args: str) -> Kind:
        return _as(
            db,
            user_id,
            lambda c, a: onboarding.add_kind(c, a, list(args), moment=_moment(kinds=kinds)),
        )

    for user_id, args, refusal in [
        (MANAGER, ("training",), NotPermitted(Action.ADD_KIND)),
        (ADMIN, (), KindUsage()),
        (ADMIN, ("9lives",), BadKindName()),
        (ADMIN, ("training", "DOORS", "121"), KindNameTaken(("doors", "121"))),
        (ADMIN, ("training", "123"), BadKindAliases()),
        (ADMIN, ("training", "t" * 33), BadKindAliases()),
    ]:
        with pytest.raises(type(refusal)) as caught:
            add(user_id, *args)
        assert vars(caught.value) == vars(refusal)
    kind = add(ADMIN, "Phone_Bank", "pb", "PB", "calls")
    assert kind == Kind("phone_bank", "phone bank", ("pb", "calls"))
    with db.begin() as conn:
        kinds = [(k.key, k.label, k.aliases) for k in people.custom_kinds(conn)]
    assert kinds == [("phone_bank", "phone bank", ("pb", "calls"))]


def test_onboarding_use_cases_do_not_import_the_telegram_adapter() -> None:
    code = (
        "import sys; import organiser_bot.usecases.onboarding; "
        "bad = sorted(m for m in sys.modules if m == 'handlers' or m.startswith('handlers.') "
        "or m == 'telegram' or m.startswith('telegram.')); print(bad); sys.exit(bool(bad))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
