"""The permission table, checked cell by cell against a grid written out here."""

from __future__ import annotations

import pytest

from organiser_bot.domain.access import Actor, Identity, TeamRole
from organiser_bot.domain.permissions import (
    PERMISSIONS,
    Place,
    Scope,
    Who,
    allowed,
    permissions_markdown,
    permits,
    standing,
    who_is,
)
from organiser_bot.domain.refusals import Action
from organiser_bot.domain.roles import Role

# Who may do what. One column per standing; in each cell the scopes allowed: O own team,
# T other team, N no team concerned, - none. The last column: P private chat, G group.
EXPECTED = """
action          admin  manager  organiser  councillor  caseworker  stranger  where
start           N      N        N          N           N           N         P
help            N      N        N          N           N           N         P
see_own_data    N      N        N          N           N           N         P
forget_me       N      N        N          N           N           N         P
use_team        O      O        O          O           O           -         P
log             O      O        O          O           O           -         P
quick_log       O      O        O          O           O           -         P
edit_entry      O      O        O          O           O           -         P
undo            O      O        O          O           O           -         P
undo_button     N      N        N          N           N           N         P
see_week        O      O        O          O           O           -         P
see_diary       O      O        O          O           O           -         P
record_absence  O      O        O          O           O           -         P
pause_nudges    O      O        O          O           O           -         P
resume_nudges   O      O        O          O           O           -         P
see_access      N      N        N          N           N           -         P
see_scrutiny    N      N        N          N           N           -         P
check_in        N      N        N          N           N           -         P
see_measures    OTN    ON       ON         ON          ON          -         P
create_team     N      N        -          -           -           -         P
invite          OT     O        -          -           -           -         P
revoke_invite   OT     O        -          -           -           -         P
set_target      OTN    ON       -          -           -           -         P
see_totals      OTN    ON       -          -           -           -         P
see_member_diary OTN   ON       -          -           -           -         P
set_residents   OT     O        -          -           -           -         P
mark_active     OT     O        O          -           -           -         P
list_members    OTN    ON       -          -           -           -         P
remove_member   OTN    ON       -          -           -           -         P
remove_oneself  O      -        -          -           -           -         P
export          OTN    ON       -          -           -           -         P
see_ledger      OTN    ON       -          -           -           -         P
see_status      N      N        -          -           -           -         P
add_kind        N      -        -          -           -           -         P
bind_chat       OT     O        -          -           -           -         G
preview_digest  OT     O        -          -           -           -         G
group_totals    OT     O        O          O           O           -         G
group_help      N      N        N          N           N           N         G
set_status_chat N      -        -          -           -           -         G
see_team_name   OT     O        O          O           O           -         PG
"""

_SCOPE_LETTER = {Scope.OWN_TEAM: "O", Scope.OTHER_TEAM: "T", Scope.NO_TEAM: "N"}
_PLACE_LETTER = {Place.PRIVATE: "P", Place.GROUP: "G"}


def _grid() -> dict[Action, tuple[dict[Who, str], str]]:
    head, *rows = EXPECTED.strip().splitlines()
    whos = [Who(w) for w in head.split()[1:-1]]
    grid = {}
    for row in rows:
        action, *cells, where = row.split()
        grid[Action(action)] = (dict(zip(whos, cells, strict=True)), where)
    return grid


GRID = _grid()
CELLS = [(w, a, s, p) for a in Action for w in Who for s in Scope for p in Place]


def test_the_grid_covers_every_action_and_standing_once() -> None:
    assert list(GRID) == list(Action)
    assert list(PERMISSIONS) == list(Action)  # the README's rows in the enum's order
    assert all(list(cells) == list(Who) for cells, _ in GRID.values())


@pytest.mark.parametrize(("who", "action", "scope", "place"), CELLS)
def test_every_cell_of_the_table_is_as_written(
    who: Who, action: Action, scope: Scope, place: Place
) -> None:
    cells, where = GRID[action]
    expected = _SCOPE_LETTER[scope] in cells[who] and _PLACE_LETTER[place] in where
    assert allowed(who, action, scope, place) is expected


def test_no_one_outside_a_team_may_see_its_name_but_admins() -> None:
    for who in Who:
        for place in Place:
            seen = allowed(who, Action.SEE_TEAM_NAME, Scope.OTHER_TEAM, place)
            assert seen is (who is Who.ADMIN)


def test_a_stranger_is_never_in_their_own_team() -> None:
    assert not any(allowed(Who.STRANGER, a, Scope.OWN_TEAM, p) for a in Action for p in Place)


NORTH, SOUTH, EAST = 1, 2, 3


def _actor(*roles: tuple[int, Role], is_admin: bool = False) -> Actor:
    teams = tuple(TeamRole(team_id, f"t{team_id}", f"Team {team_id}", r) for team_id, r in roles)
    return Actor(Identity(7, "Pat"), 70 if teams or is_admin else None, is_admin, teams)


@pytest.mark.parametrize(
    ("actor", "team_id", "expected"),
    [
        (_actor(), None, (Who.STRANGER, Scope.NO_TEAM)),
        (_actor(), NORTH, (Who.STRANGER, Scope.OTHER_TEAM)),
        (_actor(is_admin=True), NORTH, (Who.ADMIN, Scope.OTHER_TEAM)),
        (_actor((NORTH, Role.ORGANISER), is_admin=True), NORTH, (Who.ADMIN, Scope.OWN_TEAM)),
        (_actor((NORTH, Role.MANAGER)), NORTH, (Who.MANAGER, Scope.OWN_TEAM)),
        (_actor((NORTH, Role.MANAGER)), SOUTH, (Who.MANAGER, Scope.OTHER_TEAM)),
        # Their role in the team concerned counts, not their highest one.
        (
            _actor((NORTH, Role.MANAGER), (SOUTH, Role.CASEWORKER)),
            SOUTH,
            (Who.CASEWORKER, Scope.OWN_TEAM),
        ),
        # Outside it, their highest role.
        (
            _actor((NORTH, Role.CASEWORKER), (SOUTH, Role.MANAGER)),
            EAST,
            (Who.MANAGER, Scope.OTHER_TEAM),
        ),
        (
            _actor((NORTH, Role.CASEWORKER), (SOUTH, Role.ORGANISER)),
            None,
            (Who.ORGANISER, Scope.NO_TEAM),
        ),
        (_actor((NORTH, Role.COUNCILLOR)), None, (Who.COUNCILLOR, Scope.NO_TEAM)),
    ],
)
def test_standing_is_the_role_in_the_team_concerned_else_the_highest(
    actor: Actor, team_id: int | None, expected: tuple[Who, Scope]
) -> None:
    assert standing(actor, team_id) == expected


def test_a_manager_manages_only_their_own_teams_and_an_admin_all() -> None:
    mia = _actor((NORTH, Role.MANAGER), (SOUTH, Role.ORGANISER))
    assert permits(mia, Action.INVITE, team_id=NORTH)
    assert not permits(mia, Action.INVITE, team_id=SOUTH)  # an organiser there
    assert not permits(mia, Action.INVITE, team_id=EAST)  # not a member there
    assert permits(mia, Action.SEE_TEAM_NAME, team_id=SOUTH)
    assert not permits(mia, Action.SEE_TEAM_NAME, team_id=EAST)
    admin = _actor(is_admin=True)
    assert permits(admin, Action.INVITE, team_id=EAST)
    assert not permits(admin, Action.LOG, team_id=None)  # no team of their own to log to
    assert who_is(_actor()) is Who.STRANGER
    assert who_is(admin) is Who.ADMIN


def test_the_place_decides_bind_and_digest() -> None:
    mia = _actor((NORTH, Role.MANAGER))
    assert permits(mia, Action.BIND_CHAT, team_id=NORTH, place=Place.GROUP)
    assert not permits(mia, Action.BIND_CHAT, team_id=NORTH, place=Place.PRIVATE)
    assert not permits(mia, Action.LOG, team_id=NORTH, place=Place.GROUP)


def test_the_markdown_table_has_one_row_per_action_and_shows_each_cell() -> None:
    lines = permissions_markdown({Action.INVITE: "/invite"}).splitlines()
    assert len(lines) == 2 + len(Action)
    assert lines[0].split(" | ")[1:-1] == [w.value for w in Who]
    row = next(line for line in lines if line.startswith("| /invite |"))
    assert row.split(" | ")[1:] == [
        "own team, other team",
        "own team",
        "—",
        "—",
        "—",
        "—",
        "private |",
    ]
    assert "| add kind | no team | — |" in "\n".join(lines)
