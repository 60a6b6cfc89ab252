"""One rule for membership periods, read by every figure: on the same data, the digest's member
targets, team attainment, cross-team median and trend, ``/totals`` (this week, last week, 4w) and
``/week`` agree with each other and with the rule worked by hand (DESIGN: targets count only the
days of a week inside someone's membership, pro-rated like absences; a team's figures start with
the week it was created). On SQLite and PostgreSQL."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection, select, update

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.digest import TeamDigest, member_line
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import Period, parse_period
from organiser_bot.domain.refusals import NotAMember, UnknownTeam
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import members, onboarding, reports
from organiser_bot.usecases.digests import build_week
from storage import people
from storage.engine import Database
from storage.models import AuditEntry, Person
from storage.query import table_of
from tests.digest_factories import LONDON, log, make_member, make_team

KINDS = KindRegistry()
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday of 2026-W48
THIS = date(2026, 11, 23)  # Monday of 2026-W48
LAST = THIS - timedelta(weeks=1)  # Monday of 2026-W47
MOMENT = Moment(NOW, LONDON, KINDS)
WEEKLY = 15  # an organiser's default one-to-one target


def rule(days: int, weekly: int = WEEKLY) -> int:
    """The rule by hand: ``weekly × days counted / 7``, rounded half up."""
    return (weekly * days * 2 + 7) // 14


@dataclass
class Org:
    leeds: int
    york: int
    bradford: int
    uids: dict[str, int]


def _setup(conn: Connection) -> Org:
    leeds = make_team(conn, "Leeds", chat_id=-1001)  # created in January
    york = make_team(conn, "York", chat_id=-1002)
    bradford = make_team(  # created this Wednesday
        conn, "Bradford", chat_id=-1003, created_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    )
    alex = make_member(conn, leeds, 11, "Alex Jones", Role.ORGANISER)
    sam = make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, joined_on=LAST + timedelta(2))
    nia = make_member(conn, leeds, 13, "Nia Khan", Role.ORGANISER, joined_on=THIS + timedelta(2))
    lee = make_member(
        conn, leeds, 14, "Lee Wong", Role.ORGANISER, left_on=LAST + timedelta(3)
    )  # left on Thursday of last week, after logging on its Monday
    yan = make_member(conn, york, 15, "Yan Li", Role.ORGANISER)
    bo = make_member(conn, bradford, 16, "Bo Hall", Role.ORGANISER, joined_on=THIS + timedelta(2))
    log(conn, alex, leeds, "one_to_one", 10, LAST)
    log(conn, alex, leeds, "one_to_one", 5, THIS)
    log(conn, sam, leeds, "one_to_one", 4, LAST + timedelta(3))
    log(conn, sam, leeds, "one_to_one", 3, THIS + timedelta(1))
    log(conn, nia, leeds, "one_to_one", 2, THIS + timedelta(3))
    log(conn, lee, leeds, "one_to_one", 5, LAST)
    log(conn, yan, york, "one_to_one", 15, LAST + timedelta(1))
    log(conn, yan, york, "one_to_one", 7, THIS + timedelta(1))
    log(conn, bo, bradford, "one_to_one", 1, THIS + timedelta(3))
    uids = {"alex": 11, "sam": 12, "nia": 13, "lee": 14}
    return Org(leeds, york, bradford, uids)


@pytest.fixture
def org(db: Database) -> Org:
    return db.call(_setup)


# Hand-computed from the rule: (member, target last week, target this week); None = not a
# member at all that week. Sam joined Wednesday of last week (5 days), Nia Wednesday of this week
# (5 days), Lee left Thursday of last week (Monday to Thursday, 4 days).
EXPECTED = {
    "Alex Jones": (rule(7), rule(7)),
    "Sam Patel": (rule(5), rule(7)),
    "Nia Khan": (None, rule(5)),
    "Lee Wong": (rule(4), None),
}
DONE = {
    "Alex Jones": (10, 5),
    "Sam Patel": (4, 3),
    "Nia Khan": (0, 2),
    "Lee Wong": (5, 0),
}


def _expected_attainment(week: int) -> float:
    pairs = [
        (DONE[name][week], target[week])
        for name, target in EXPECTED.items()
        if target[week] is not None
    ]
    return sum(min(d, t) for d, t in pairs if t is not None) / sum(t for _, t in pairs if t)


def _digests(db: Database, monday: date) -> dict[str, TeamDigest]:
    return {d.team_name: d for d in db.call(build_week, monday=monday, kinds=KINDS, tz=LONDON)}


@pytest.mark.parametrize("week", [0, 1], ids=["last week", "this week"])
def test_digest_member_targets_attainment_and_median_follow_the_rule(
    db: Database, org: Org, week: int
) -> None:
    digests = _digests(db, (LAST, THIS)[week])
    leeds = digests["Leeds"]
    shown = {m.name: dict(m.targets).get("one_to_one") for m in leeds.members}
    assert shown == {n: t[week] for n, t in EXPECTED.items() if t[week] is not None}
    assert leeds.attainment == pytest.approx(_expected_attainment(week))
    # York met 15 of 15 last week and 7 of 15 this week; Bradford (created this week, Bo joined
    # Wednesday) is compared only this week: 1 of rule(5).
    york = (1.0, 7 / rule(7))[week]
    scores = [_expected_attainment(week), york] + ([1 / rule(5)] if week else [])
    for d in digests.values():
        assert d.cross_team_median == pytest.approx(statistics.median(scores))
        assert d.teams_compared == len(scores)


def test_the_week_someone_joined_or_left_reads_so_and_before_joining_shows_nothing(
    db: Database, org: Org
) -> None:
    last = _digests(db, LAST)["Leeds"]
    lines = {m.name: member_line(m, last, KINDS) for m in last.members}
    assert lines["Sam Patel"] == f"• Sam Patel (joined Wed): one-to-one 4/{rule(5)} ✗"
    assert lines["Lee Wong"] == f"• Lee Wong (left Thu): one-to-one 5/{rule(4)} ✗"
    assert "Nia Khan" not in lines  # joined this week: no 0/15 ✗ last week
    this = _digests(db, THIS)["Leeds"]
    lines = {m.name: member_line(m, this, KINDS) for m in this.members}
    assert lines["Nia Khan"] == f"• Nia Khan (joined Wed): one-to-one 2/{rule(5)} ✗"
    assert "Lee Wong" not in lines  # left last week, logged nothing since


def test_trends_start_with_the_team_and_sum_the_members_targets(db: Database, org: Org) -> None:
    digests = _digests(db, THIS)
    leeds = digests["Leeds"].trend
    assert len(leeds) == 13
    by_week = {p.iso_week: dict(p.targets).get("one_to_one") for p in leeds}
    assert by_week["2026-W47"] == sum(t[0] for t in EXPECTED.values() if t[0] is not None)
    assert by_week["2026-W48"] == sum(t[1] for t in EXPECTED.values() if t[1] is not None)
    # Before Sam and Nia joined, only Alex and Lee count.
    assert by_week["2026-W46"] == 2 * WEEKLY
    # Bradford, created this week: one point, no zeros before it.
    [point] = digests["Bradford"].trend
    assert (point.iso_week, dict(point.targets), dict(point.totals)) == (
        "2026-W48",
        {"one_to_one": rule(5)},
        {"one_to_one": 1},
    )


def _totals(db: Database, team_id: int, period: Period) -> dict[str, reports.MemberTotals]:
    rows = db.call(reports.team_totals, team_id, period)
    return {m.name: m for m in rows}


def test_totals_agree_with_the_digest_this_week_last_week_and_over_4_weeks(
    db: Database, org: Org
) -> None:
    for week, text in ((0, "last"), (1, "week")):
        period = parse_period(text, today=MOMENT.today)
        got = _totals(db, org.leeds, period)
        digest = _digests(db, (LAST, THIS)[week])["Leeds"]
        assert {n: m.targets.get("one_to_one") for n, m in got.items()} == {
            m.name: dict(m.targets).get("one_to_one") for m in digest.members
        }
    last = _totals(db, org.leeds, parse_period("last", today=MOMENT.today))
    assert last["Sam Patel"].joined_on == LAST + timedelta(2)
    assert last["Lee Wong"].left_on == LAST + timedelta(3)
    four = _totals(db, org.leeds, parse_period("4w", today=MOMENT.today))
    # Four whole weeks, W45 to W48: each week's target summed.
    assert four["Alex Jones"].targets == {"one_to_one": 4 * WEEKLY}
    assert four["Sam Patel"].targets == {"one_to_one": rule(5) + WEEKLY}
    assert four["Nia Khan"].targets == {"one_to_one": rule(5)}  # not 1/48: only her days
    assert four["Lee Wong"].targets == {"one_to_one": 2 * WEEKLY + rule(4)}


def test_week_and_confirmations_use_the_same_targets(db: Database, org: Org) -> None:
    def week_of(conn: Connection, user_id: int) -> reports.MyWeek:
        actor = people.load_actor(conn, Identity(user_id, "x"), admin_ids=frozenset())
        return reports.my_week(conn, actor, moment=MOMENT)

    for name, key in (("Alex Jones", "alex"), ("Sam Patel", "sam"), ("Nia Khan", "nia")):
        [team] = db.call(week_of, org.uids[key]).teams
        [kind] = team.kinds
        assert (kind.done, kind.target) == (DONE[name][1], EXPECTED[name][1])
    # Lee has left Leeds: no longer one of their teams.
    with pytest.raises(NotAMember):
        db.call(week_of, org.uids["lee"])


def test_team_listing_leaves_out_members_who_left(db: Database, org: Org) -> None:
    def listing(conn: Connection) -> tuple[reports.TeamListing, ...]:
        admin = people.load_actor(conn, Identity(1, "Admin"), admin_ids=frozenset({1}))
        return reports.team_listing(conn, admin, ["leeds"], moment=MOMENT)

    [team] = db.call(listing)
    assert [m.name for m in team.members] == ["Alex Jones", "Nia Khan", "Sam Patel"]


# --- /remove -------------------------------------------------------------------------------------


def _actor(conn: Connection, user_id: int, *, admin: bool = False) -> Actor:
    admins = frozenset({user_id}) if admin else frozenset()
    return people.load_actor(conn, Identity(user_id, "x"), admin_ids=admins)


def _remove(db: Database, user_id: int, *args: str, admin: bool = False) -> object:
    def run(conn: Connection) -> object:
        return members.remove_member(
            conn, _actor(conn, user_id, admin=admin), list(args), moment=MOMENT
        )

    return db.call(run)


def test_remove_asks_then_ends_the_membership_today_keeping_past_weeks(
    db: Database, org: Org
) -> None:
    def named(conn: Connection) -> None:
        conn.execute(
            update(table_of(Person))
            .where(table_of(Person).c.telegram_user_id == 12)
            .values(username="sam")
        )

    db.call(named)
    asked = _remove(db, 1, "leeds", "@sam", admin=True)
    assert isinstance(asked, members.RemoveNeedsConfirm) and asked.last_day == MOMENT.today
    current = db.call(lambda c: people.team_members(c, org.leeds, current=True))
    assert "Sam Patel" in [m.display_name for m in current]  # nothing changed yet
    done = _remove(db, 1, "leeds", "@sam", "confirm", admin=True)
    assert done == members.MemberRemoved("Sam Patel", "Leeds", MOMENT.today)
    # Sam was a member Monday to Thursday of this week: 15 x 4/7; last week is unchanged.
    this = {m.name: dict(m.targets) for m in _digests(db, THIS)["Leeds"].members}
    assert this["Sam Patel"] == {"one_to_one": rule(4)}
    last = {m.name: dict(m.targets) for m in _digests(db, LAST)["Leeds"].members}
    assert last["Sam Patel"] == {"one_to_one": rule(5)}
    with pytest.raises(NotAMember):
        db.call(lambda c: reports.my_week(c, _actor(c, 12), moment=MOMENT))
    audit_rows = db.call(
        lambda c: c.execute(
            select(table_of(AuditEntry)).where(table_of(AuditEntry).c.action == "remove")
        ).all()
    )
    assert len(audit_rows) == 1
    with pytest.raises(members.NotInTeam):
        _remove(db, 1, "leeds", "@sam", "confirm", admin=True)


@pytest.mark.parametrize(
    ("user_id", "args", "refusal"),
    [
        (11, ["leeds", "@alex"], members.RemoveNotPermitted),  # an organiser
        (1, ["nowhere", "@alex"], UnknownTeam),
        (1, ["leeds", "@nobody"], members.NotInTeam),
        (1, ["york", "@alex"], members.NotInTeam),
    ],
)
def test_remove_refuses_what_it_must_and_changes_nothing(
    db: Database, org: Org, user_id: int, args: list[str], refusal: type[Exception]
) -> None:
    def named(conn: Connection) -> None:
        conn.execute(
            update(table_of(Person))
            .where(table_of(Person).c.telegram_user_id == 11)
            .values(username="alex")
        )

    db.call(named)
    before = db.call(lambda c: people.team_members(c, org.leeds))
    with pytest.raises(refusal):
        _remove(db, user_id, *args, "confirm", admin=user_id == 1)
    assert db.call(lambda c: people.team_members(c, org.leeds)) == before


def test_a_manager_cannot_remove_themselves(db: Database, org: Org) -> None:
    def manager(conn: Connection) -> None:
        make_member(conn, org.leeds, 20, "Mia Manager", Role.MANAGER, username="mia")

    db.call(manager)
    with pytest.raises(members.RemoveSelf):
        _remove(db, 20, "leeds", "@mia", "confirm")


def test_someone_removed_can_join_again_from_the_day_they_rejoin(db: Database, org: Org) -> None:
    def named(conn: Connection) -> None:
        conn.execute(
            update(table_of(Person))
            .where(table_of(Person).c.telegram_user_id == 11)
            .values(username="alex")
        )

    db.call(named)
    _remove(db, 1, "leeds", "@alex", "confirm", admin=True)
    invite = db.call(
        lambda c: onboarding.create_invite(
            c, _actor(c, 1, admin=True), ["leeds", "organiser"], moment=MOMENT
        )
    )
    later = Moment(NOW + timedelta(days=3), LONDON, KINDS)
    joined = db.call(lambda c: onboarding.join(c, _actor(c, 11), invite.code, moment=later))
    assert joined.role is Role.ORGANISER
    rows = db.call(lambda c: people.team_members(c, org.leeds, current=True))
    alex = next(m for m in rows if m.telegram_user_id == 11)
    assert (alex.role, alex.left_on) == (Role.ORGANISER, None)
    # The days between leaving (today) and rejoining are a gap; both periods count.
    assert alex.tenure.gaps == (
        (MOMENT.today + timedelta(days=1), later.today - timedelta(days=1)),
    )
    assert alex.tenure.contains(MOMENT.today) and alex.tenure.contains(later.today)
    assert not alex.tenure.contains(later.today - timedelta(days=1))
    # Last week keeps its figures from the earlier period.
    last = {m.name: dict(m.targets) for m in _digests(db, LAST)["Leeds"].members}
    assert last[alex.display_name] == {"one_to_one": rule(7)}
