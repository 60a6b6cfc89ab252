"""What an ``Actor``'s memberships allow, without a database."""

from __future__ import annotations

from organiser_bot.domain.access import Actor, Identity, TeamRole
from organiser_bot.domain.permissions import permits
from organiser_bot.domain.refusals import Action
from organiser_bot.domain.roles import Role

NORTH = TeamRole(team_id=1, slug="north", name="North", role=Role.MANAGER)
SOUTH = TeamRole(team_id=2, slug="south", name="South", role=Role.ORGANISER)
EAST_ID = 3


def actor(*teams: TeamRole, is_admin: bool = False, default_team_id: int | None = None) -> Actor:
    return Actor(
        identity=Identity(user_id=42, display_name="Sam Patel"),
        person_id=7 if teams or is_admin else None,
        is_admin=is_admin,
        teams=teams,
        default_team_id=default_team_id,
    )


def test_a_member_belongs_to_at_least_one_team() -> None:
    assert not actor().is_member
    assert not actor(is_admin=True).is_member  # an admin is not a member by being an admin
    assert actor(SOUTH).is_member


def test_managers_and_admins_may_make_managers_requests() -> None:
    def managerial(a: Actor) -> bool:
        return permits(a, Action.SEE_TOTALS, team_id=None)

    assert managerial(actor(NORTH))
    assert managerial(actor(SOUTH, NORTH))  # a manager of any one team
    assert managerial(actor(is_admin=True))
    assert not managerial(actor(SOUTH))
    assert not managerial(actor())


def test_role_in_is_the_role_in_that_team_only() -> None:
    sam = actor(NORTH, SOUTH)
    assert sam.role_in(1) is Role.MANAGER
    assert sam.role_in(2) is Role.ORGANISER
    assert sam.role_in(EAST_ID) is None


def test_a_manager_manages_their_own_team_and_an_admin_every_team() -> None:
    def manages(a: Actor, team_id: int) -> bool:
        return permits(a, Action.LIST_MEMBERS, team_id=team_id)

    sam = actor(NORTH, SOUTH)
    assert manages(sam, 1)
    assert not manages(sam, 2)  # an organiser there
    assert not manages(sam, EAST_ID)  # not a member there
    admin = actor(SOUTH, is_admin=True)
    assert manages(admin, 2) and manages(admin, EAST_ID)


def test_team_by_slug_finds_the_membership() -> None:
    sam = actor(NORTH, SOUTH)
    assert sam.team_by_slug("south") == SOUTH
    assert sam.team_by_slug("east") is None
    assert actor().team_by_slug("north") is None


def test_default_team_is_the_chosen_one_else_the_first_membership() -> None:
    assert actor().default_team is None
    assert actor(NORTH, SOUTH, default_team_id=2).default_team == SOUTH
    assert actor(NORTH, SOUTH).default_team == NORTH
    # A default the person is no longer a member of falls back to the first membership.
    assert actor(SOUTH, NORTH, default_team_id=EAST_ID).default_team == SOUTH
    # No memberships: no default team, whatever is stored.
    assert actor(default_team_id=1).default_team is None


def test_team_by_slug_finds_a_short_name_typed_without_its_accents() -> None:
    lodz = TeamRole(7, "łódź-północ", "Łódź Północ", Role.ORGANISER)
    sam = actor(NORTH, lodz)
    assert sam.team_by_slug("lodz-polnoc") == lodz
    assert sam.team_by_slug("łódź-północ") == lodz
    assert sam.team_by_slug("lodz") is None
