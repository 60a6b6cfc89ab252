"""Each use case, driven as each standing on its own team, another team and no team, refuses
exactly when the permission table says no."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.permissions import PERMISSIONS, Scope, Who, allowed
from organiser_bot.domain.refusals import (
    Action,
    NotAMember,
    NotPermitted,
    Refusal,
    UnknownTeam,
)
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import (
    access,
    chats,
    digests,
    exports,
    identities,
    ledger_report,
    logbook,
    measures,
    member_diary,
    members,
    onboarding,
    privacy,
    reports,
    residents,
    scrutiny,
    status,
    targets,
)
from storage import people
from storage.engine import Database
from tests.digest_factories import LONDON, make_member, make_team

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NORTH_CHAT, SOUTH_CHAT, SPARE_CHAT = -100, -200, -300
USER = {
    Who.ADMIN: 1,
    Who.MANAGER: 2,
    Who.ORGANISER: 3,
    Who.COUNCILLOR: 4,
    Who.CASEWORKER: 5,
    Who.STRANGER: 9,
}
KIT, BOB, NIA = 6, 7, 8
#: The team each scope concerns; None: no one team.
SLUG = {Scope.OWN_TEAM: "north-ward", Scope.OTHER_TEAM: "south-side", Scope.NO_TEAM: None}
CHAT = {Scope.OWN_TEAM: NORTH_CHAT, Scope.OTHER_TEAM: SOUTH_CHAT}
CODE = {Scope.OWN_TEAM: "north-invite-code", Scope.OTHER_TEAM: "south-invite-code"}
ONE_OF_THEM = {Scope.OWN_TEAM: "@nia", Scope.OTHER_TEAM: "@bob"}

#: The refusals that mean "not yours to do"; any other outcome got past the permission check.
NOT_YOURS: tuple[type[Refusal], ...] = (
    NotPermitted,
    NotAMember,
    UnknownTeam,
    # Another team's name is answered like one no team has.
    onboarding.NoTeamCalled,
    reports.NoTeamOrPeriod,
    members.RemoveNotPermitted,
    members.RemoveSelf,
    chats.NotInChatTeam,
    onboarding.NoTeamYet,
    onboarding.NotInTeam,
    logbook.UnknownTeamTag,
    # A member of a team one may not act on is answered like a name no one holds.
    identities.UnknownMember,
    residents.NoMemberToMark,
)


@pytest.fixture
def org(db: Database) -> None:
    """North Ward: the admin (an organiser there), a manager, an organiser, a councillor, a
    caseworker and Nia. South Side: Kit (manager) and Bob. Each team has a chat and an
    invite; the stranger is in no team."""
    with db.begin() as conn:
        north = make_team(conn, "North Ward", chat_id=NORTH_CHAT)
        south = make_team(conn, "South Side", chat_id=SOUTH_CHAT)
        for who, role in [
            (Who.ADMIN, Role.ORGANISER),
            (Who.MANAGER, Role.MANAGER),
            (Who.ORGANISER, Role.ORGANISER),
            (Who.COUNCILLOR, Role.COUNCILLOR),
            (Who.CASEWORKER, Role.CASEWORKER),
        ]:
            make_member(
                conn, north, USER[who], f"North {who.value}", role, username=f"u{USER[who]}"
            )
        make_member(conn, north, NIA, "Nia North", Role.ORGANISER, username="nia")
        make_member(conn, south, KIT, "Kit South", Role.MANAGER)
        make_member(conn, south, BOB, "Bob South", Role.ORGANISER, username="bob")
        for scope, team in [(Scope.OWN_TEAM, north), (Scope.OTHER_TEAM, south)]:
            people.create_invite(
                conn,
                code=CODE[scope],
                team_id=team,
                role=Role.ORGANISER,
                created_by=None,
                now=NOW,
                expires_at=NOW + timedelta(days=7),
                uses=5,
            )


def _moment() -> Moment:
    return Moment(now=NOW, tz=LONDON, kinds=KindRegistry())


Attempt = Callable[[Connection, Actor, Scope], object]


def _slug(scope: Scope) -> list[str]:
    slug = SLUG[scope]
    return [slug] if slug else []


def _log(conn: Connection, actor: Actor, scope: Scope) -> object:
    tag = " #south-side" if scope is Scope.OTHER_TEAM else ""
    return logbook.log_text(
        conn,
        actor,
        f"121 Sam{tag}",
        chat_id=USER[Who.STRANGER],
        message_id=1,
        sent_at=NOW,
        moment=_moment(),
    )


#: How each action is driven, and in which scopes it can be asked for at all.
DRIVERS: dict[Action, tuple[tuple[Scope, ...], Attempt]] = {
    Action.SEE_OWN_DATA: (
        (Scope.NO_TEAM,),
        lambda c, a, s: privacy.my_data(c, a, admin_ids=frozenset({1}), moment=_moment()),
    ),
    Action.FORGET_ME: (
        (Scope.NO_TEAM,),
        lambda c, a, s: privacy.forget_me(c, a, [], moment=_moment()),
    ),
    Action.USE_TEAM: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: onboarding.use_team(c, a, SLUG[s] or ""),
    ),
    Action.LOG: ((Scope.OWN_TEAM, Scope.OTHER_TEAM), _log),
    Action.UNDO: ((Scope.OWN_TEAM,), lambda c, a, s: logbook.undo_last(c, a, moment=_moment())),
    Action.SEE_WEEK: ((Scope.OWN_TEAM,), lambda c, a, s: reports.my_week(c, a, moment=_moment())),
    Action.SEE_DIARY: (
        (Scope.OWN_TEAM,),
        lambda c, a, s: reports.my_diary(c, a, [], moment=_moment()),
    ),
    Action.RECORD_ABSENCE: (
        (Scope.OWN_TEAM,),
        lambda c, a, s: members.away(c, a, [], moment=_moment()),
    ),
    Action.PAUSE_NUDGES: ((Scope.OWN_TEAM,), lambda c, a, s: members.set_paused(c, a, True)),
    Action.RESUME_NUDGES: ((Scope.OWN_TEAM,), lambda c, a, s: members.set_paused(c, a, False)),
    Action.SEE_ACCESS: (
        (Scope.NO_TEAM,),
        lambda c, a, s: access.access_list(c, a, admin_ids=frozenset({1}), moment=_moment()),
    ),
    Action.SEE_SCRUTINY: (
        (Scope.NO_TEAM,),
        lambda c, a, s: scrutiny.scrutiny_report(c, a, [], moment=_moment()),
    ),
    Action.CREATE_TEAM: (
        (Scope.NO_TEAM,),
        lambda c, a, s: onboarding.create_team(c, a, "Fresh Team", moment=_moment()),
    ),
    Action.INVITE: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: onboarding.create_invite(c, a, [*_slug(s), "organiser"], moment=_moment()),
    ),
    Action.REVOKE_INVITE: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: onboarding.revoke_invite(c, a, CODE[s], moment=_moment()),
    ),
    Action.SET_TARGET: (
        tuple(Scope),
        lambda c, a, s: targets.set_target(
            c, a, ["organiser", "121", "3", *_slug(s)], moment=_moment()
        ),
    ),
    Action.SEE_TOTALS: (
        tuple(Scope),
        lambda c, a, s: reports.totals(c, a, _slug(s), moment=_moment()),
    ),
    Action.SEE_MEASURES: (
        tuple(Scope),
        lambda c, a, s: measures.measures(c, a, _slug(s), moment=_moment()),
    ),
    Action.SEE_MEMBER_DIARY: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: member_diary.member_diary(c, a, [ONE_OF_THEM[s]], moment=_moment()),
    ),
    Action.LIST_MEMBERS: (
        tuple(Scope),
        lambda c, a, s: reports.team_listing(c, a, _slug(s), moment=_moment()),
    ),
    Action.REMOVE_MEMBER: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: members.remove_member(c, a, [*_slug(s), ONE_OF_THEM[s]], moment=_moment()),
    ),
    Action.REMOVE_ONESELF: (
        (Scope.OWN_TEAM,),
        lambda c, a, s: members.remove_member(
            c, a, ["north-ward", f"@u{a.identity.user_id}"], moment=_moment()
        ),
    ),
    Action.EXPORT: (
        (Scope.NO_TEAM,),
        lambda c, a, s: exports.export_csv(c, a, [], moment=_moment()),
    ),
    Action.SEE_LEDGER: (
        (Scope.NO_TEAM,),
        lambda c, a, s: ledger_report.ledger_report(c, a, moment=_moment(), schedule=None),
    ),
    Action.SEE_STATUS: (
        (Scope.NO_TEAM,),
        lambda c, a, s: status.status_report(c, a, moment=_moment(), last_poll=None),
    ),
    Action.ADD_KIND: (
        (Scope.NO_TEAM,),
        lambda c, a, s: onboarding.add_kind(c, a, ["training"], moment=_moment()),
    ),
    Action.BIND_CHAT: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: onboarding.bind_chat(
            c, a, SLUG[s] or "", chat_id=SPARE_CHAT, chat_title="Spare", moment=_moment()
        ),
    ),
    Action.PREVIEW_DIGEST: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: digests.preview_for_chat(c, a, CHAT[s], moment=_moment()),
    ),
    Action.GROUP_TOTALS: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: chats.group_week(c, a, CHAT[s], moment=_moment()),
    ),
    Action.SET_RESIDENTS: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: residents.residents(c, a, [*_slug(s), "5000"], moment=_moment()),
    ),
    Action.MARK_ACTIVE: (
        (Scope.OWN_TEAM, Scope.OTHER_TEAM),
        lambda c, a, s: residents.mark_active(c, a, [ONE_OF_THEM[s]], moment=_moment()),
    ),
    Action.CHECK_IN: (
        (Scope.NO_TEAM,),
        lambda c, a, s: residents.answer_checkin(
            c, a, residents.CheckinTap(date(2026, 10, 1), True), moment=_moment()
        ),
    ),
    Action.SET_STATUS_CHAT: (
        (Scope.NO_TEAM,),
        lambda c, a, s: status.set_status_chat(
            c, a, chat_id=SPARE_CHAT, thread_id=None, title="Ops", now=NOW
        ),
    ),
}


def _refused(db: Database, who: Who, scope: Scope, attempt: Attempt) -> bool:
    """Whether ``attempt`` is refused as not the person's to do; whatever it did is undone."""
    with db.engine.connect() as conn, conn.begin() as tx:
        actor = people.load_actor(
            conn,
            Identity(USER[who], f"user {USER[who]}"),
            admin_ids=frozenset({USER[Who.ADMIN]}),
        )
        try:
            attempt(conn, actor, scope)
        except NOT_YOURS:
            return True
        except Refusal:
            return False  # past the permission check, refused for another reason
        finally:
            tx.rollback()
        return False


def test_every_action_a_use_case_serves_is_driven() -> None:
    # /start, /help and the group help decide nothing; the undo button, edits and quick logs
    # share the use cases of /undo and /log; whether a team is named is tried through replies.
    not_driven = {
        Action.START,
        Action.HELP,
        Action.GROUP_HELP,
        Action.QUICK_LOG,
        Action.EDIT_ENTRY,
        Action.UNDO_BUTTON,
        Action.SEE_TEAM_NAME,
    }
    assert set(DRIVERS) == set(Action) - not_driven


@pytest.mark.parametrize("action", list(DRIVERS))
def test_a_use_case_refuses_exactly_whom_the_table_refuses(
    db: Database, org: None, action: Action
) -> None:
    scopes, attempt = DRIVERS[action]
    [place] = PERMISSIONS[action].places
    seen = {}
    for who in Who:
        for scope in scopes:
            if who is Who.STRANGER and scope is Scope.OWN_TEAM:
                continue  # a stranger has no team of their own
            seen[who, scope] = not _refused(db, who, scope, attempt)
    expected = {key: allowed(key[0], action, key[1], place) for key in seen}
    assert seen == expected
