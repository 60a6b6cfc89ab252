"""Issue #9, point 1 tried adversarially: membership periods read the same by every figure.

Each test builds a small organisation on real SQLite and PostgreSQL and compares what the digest,
``/totals`` (team_totals), ``/week`` (my_week), a log confirmation and the mid-week nudge say
about the same member and week, against the rule worked by hand: a weekly target counts
``target x days counted / 7`` (half up), days counted being the days inside the membership and
not away. Tests marked xfail(strict) expose a bug and say which in one line.
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection, update

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.digest import TeamDigest, member_line
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import parse_period
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import person_scope, role_scope
from organiser_bot.usecases import logbook, members, onboarding, reports
from organiser_bot.usecases.digests import TREND_WEEKS, build_week, nudges_due
from storage import people
from storage.engine import Database
from storage.models import Person
from storage.query import table_of
from tests.digest_factories import LONDON, away, log, make_member, make_team, set_target

KINDS = KindRegistry()
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday of 2026-W48 (GMT)
THIS = date(2026, 11, 23)  # Monday of 2026-W48
LAST = THIS - timedelta(weeks=1)
MOMENT = Moment(NOW, LONDON, KINDS)
WEEKLY = 15  # an organiser's default one-to-one target
OLD = date(2026, 1, 5)  # the factories' setup day


def rule(days: int, weekly: int = WEEKLY) -> int:
    """``weekly x days / 7``, rounded half up: the rule by hand."""
    return (weekly * days * 2 + 7) // 14


def _actor(conn: Connection, user_id: int, *, admin: bool = False, name: str = "x") -> Actor:
    admins = frozenset({user_id}) if admin else frozenset()
    return people.load_actor(conn, Identity(user_id, name), admin_ids=admins)


def _digest(db: Database, monday: date, team: str = "Leeds") -> TeamDigest:
    return {d.team_name: d for d in db.call(build_week, monday=monday, kinds=KINDS, tz=LONDON)}[
        team
    ]


def _digest_target(db: Database, monday: date, name: str) -> int | None:
    found = [m for m in _digest(db, monday).members if m.name == name]
    return dict(found[0].targets).get("one_to_one") if found else None


def _totals_target(db: Database, team_id: int, text: str, name: str, today: date) -> int | None:
    period = parse_period(text, today=today)
    rows = {m.name: m for m in db.call(reports.team_totals, team_id, period)}
    return rows[name].targets.get("one_to_one") if name in rows else None


def _week_target(db: Database, user_id: int, moment: Moment, team: str = "Leeds") -> int | None:
    week = db.call(lambda c: reports.my_week(c, _actor(c, user_id), moment=moment))
    [tw] = [t for t in week.teams if t.team_name == team]
    kinds = {k.kind: k for k in tw.kinds}
    return kinds["one_to_one"].target if "one_to_one" in kinds else None


def _confirmed_target(
    db: Database, user_id: int, text: str, moment: Moment, msg: int
) -> int | None:
    def run(conn: Connection) -> logbook.LogOutcome:
        return logbook.log_text(
            conn,
            _actor(conn, user_id),
            text,
            chat_id=user_id,
            message_id=msg,
            sent_at=moment.now,
            moment=moment,
        )

    outcome = db.call(run)
    assert isinstance(outcome, logbook.Logged), outcome
    [entry] = outcome.entries
    assert entry.week is not None
    return entry.week.target


def _name(db: Database, user_id: int, username: str) -> None:
    db.call(
        lambda c: c.execute(
            update(table_of(Person))
            .where(table_of(Person).c.telegram_user_id == user_id)
            .values(username=username)
        )
    )


# --- One member, every reader ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("joined", "left", "expected_days", "note"),
    [
        (THIS, None, 7, ""),  # joined on Monday: the whole week, no "(joined Mon)"
        (THIS + timedelta(6), None, 1, " (joined Sun)"),
        (THIS + timedelta(1), THIS + timedelta(3), 3, " (joined Tue, left Thu)"),
        (OLD, THIS, 1, " (left Mon)"),
        (THIS + timedelta(3), None, 4, " (joined Thu)"),
    ],
    ids=["joined-mon", "joined-sun", "joined-tue-left-thu", "left-mon", "joined-today-thu"],
)
def test_digest_totals_and_line_agree_for_one_week(
    db: Database, joined: date, left: date | None, expected_days: int, note: str
) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        make_member(conn, leeds, 11, "Alex Jones", Role.ORGANISER)
        p = make_member(
            conn, leeds, 12, "Sam Patel", Role.ORGANISER, joined_on=joined, left_on=left
        )
        log(conn, p, leeds, "one_to_one", 1, joined if left is None else left)
        return leeds

    leeds = db.call(setup)
    want = rule(expected_days)
    assert _digest_target(db, THIS, "Sam Patel") == want
    # /totals for this week (today is Thursday; the week is the whole ISO week).
    assert _totals_target(db, leeds, "week", "Sam Patel", MOMENT.today) == want
    assert _totals_target(db, leeds, "2026-W48", "Sam Patel", MOMENT.today) == want
    d = _digest(db, THIS)
    [sam] = [m for m in d.members if m.name == "Sam Patel"]
    line = member_line(sam, d, KINDS)
    assert line == f"• Sam Patel{note}: one-to-one 1/{want} ✗"
    # Last week: before joining, no target, no line (unless they had left before).
    if joined > LAST + timedelta(6):
        assert _digest_target(db, LAST, "Sam Patel") is None
        assert "Sam Patel" not in {m.name for m in _digest(db, LAST).members}
        assert _totals_target(db, leeds, "last", "Sam Patel", MOMENT.today) is None


def test_week_confirmation_digest_and_totals_agree_for_a_joiner_of_today(db: Database) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, joined_on=MOMENT.today)
        return leeds

    leeds = db.call(setup)
    want = rule(4)  # Thursday to Sunday
    assert _week_target(db, 12, MOMENT) == want
    assert _confirmed_target(db, 12, "121 2", MOMENT, 1) == want
    assert _digest_target(db, THIS, "Sam Patel") == want
    assert _totals_target(db, leeds, "week", "Sam Patel", MOMENT.today) == want
    # /totals 4w: only her days, not 4 x 15.
    assert _totals_target(db, leeds, "4w", "Sam Patel", MOMENT.today) == want
    assert _totals_target(db, leeds, "13w", "Sam Patel", MOMENT.today) == want
    # /week's pace counts her day so far out of her four days in the team.
    week = db.call(lambda c: reports.my_week(c, _actor(c, 12), moment=MOMENT))
    [tw] = week.teams
    assert tw.joined_on == MOMENT.today
    [kind] = tw.kinds
    assert kind.expected == pytest.approx(want * 1 / 4)


def test_away_days_before_joining_count_once(db: Database) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        p = make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, joined_on=THIS + timedelta(3))
        away(conn, p, THIS - timedelta(2), THIS + timedelta(4))  # Sat before .. Friday
        return leeds

    leeds = db.call(setup)
    want = rule(2)  # a member Thu-Sun, away Thu and Fri
    d = _digest(db, THIS)
    [sam] = d.members
    assert (dict(sam.targets).get("one_to_one"), sam.away_days) == (want, 2)
    assert member_line(sam, d, KINDS) == f"• Sam Patel (joined Thu, away 2d): one-to-one 0/{want} ✗"
    assert _totals_target(db, leeds, "week", "Sam Patel", MOMENT.today) == want
    assert _week_target(db, 12, MOMENT) == want


def test_away_all_of_the_membership_reads_away_and_is_left_out_of_attainment(
    db: Database,
) -> None:
    def setup(conn: Connection) -> None:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        alex = make_member(conn, leeds, 11, "Alex Jones", Role.ORGANISER)
        p = make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, joined_on=THIS + timedelta(5))
        away(conn, p, THIS + timedelta(5), THIS + timedelta(6))
        log(conn, alex, leeds, "one_to_one", 15, THIS)

    db.call(setup)
    d = _digest(db, THIS)
    sam = next(m for m in d.members if m.name == "Sam Patel")
    assert member_line(sam, d, KINDS) == "• Sam Patel (joined Sat): away"
    assert d.attainment == pytest.approx(1.0)


def test_someone_in_two_teams_counts_from_each_joining(db: Database) -> None:
    def setup(conn: Connection) -> tuple[int, int]:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        york = make_team(conn, "York", chat_id=-1002)
        make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, joined_on=LAST + timedelta(4))
        make_member(conn, york, 12, "Sam Patel", Role.ORGANISER, joined_on=THIS + timedelta(1))
        return leeds, york

    leeds, york = db.call(setup)
    assert _week_target(db, 12, MOMENT, "Leeds") == WEEKLY
    assert _week_target(db, 12, MOMENT, "York") == rule(6)
    assert _digest_target(db, LAST, "Sam Patel") == rule(3)
    york_last = {m.name for m in _digest(db, LAST, "York").members}
    assert "Sam Patel" not in york_last
    assert _totals_target(db, york, "4w", "Sam Patel", MOMENT.today) == rule(6)
    assert _totals_target(db, leeds, "4w", "Sam Patel", MOMENT.today) == rule(3) + WEEKLY


def test_a_manager_with_a_personal_target_who_joined_mid_week(db: Database) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        p = make_member(conn, leeds, 20, "Mia Boss", Role.MANAGER, joined_on=THIS + timedelta(2))
        set_target(conn, person_scope(p), "one_to_one", 7, team_id=leeds)
        return leeds

    leeds = db.call(setup)
    want = rule(5, weekly=7)
    assert _digest_target(db, THIS, "Mia Boss") == want
    assert _week_target(db, 20, MOMENT) == want
    assert _totals_target(db, leeds, "week", "Mia Boss", MOMENT.today) == want
    # Last week, before she joined, a manager is not listed at all.
    assert "Mia Boss" not in {m.name for m in _digest(db, LAST).members}


def test_role_target_zero_gives_no_target_and_no_attainment(db: Database) -> None:
    def setup(conn: Connection) -> None:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        york = make_team(conn, "York", chat_id=-1002)
        make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, joined_on=THIS + timedelta(2))
        y = make_member(conn, york, 13, "Yan Li", Role.ORGANISER)
        log(conn, y, york, "one_to_one", 15, THIS)
        set_target(conn, role_scope(Role.ORGANISER), "one_to_one", 0, team_id=leeds)

    db.call(setup)
    d = _digest(db, THIS)
    [sam] = d.members
    assert dict(sam.targets) == {}
    assert member_line(sam, d, KINDS) == "• Sam Patel (joined Wed): —"
    assert d.attainment is None
    assert d.cross_team_median == pytest.approx(1.0)
    assert d.teams_compared == 1


# --- Teams: median and trend ---------------------------------------------------------------------


def test_a_team_whose_members_all_joined_this_week_is_compared_on_their_days(
    db: Database,
) -> None:
    def setup(conn: Connection) -> None:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        york = make_team(conn, "York", chat_id=-1002)
        hull = make_team(  # created last Sunday 23:30 local (GMT in November)
            conn, "Hull", chat_id=-1003, created_at=datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
        )
        a = make_member(conn, leeds, 11, "Alex Jones", Role.ORGANISER)
        y = make_member(conn, york, 13, "Yan Li", Role.ORGANISER)
        h = make_member(conn, hull, 14, "Hal Ng", Role.ORGANISER, joined_on=THIS + timedelta(5))
        log(conn, a, leeds, "one_to_one", 15, THIS)
        log(conn, y, york, "one_to_one", 5, THIS)
        log(conn, h, hull, "one_to_one", 1, THIS + timedelta(5))

    db.call(setup)
    d = _digest(db, THIS)
    hull = rule(2)
    assert d.teams_compared == 3
    assert d.cross_team_median == pytest.approx(statistics.median([1.0, 5 / 15, 1 / hull]))
    # Last week Hull existed for its Sunday evening, with no member yet: no targets, so not
    # compared; its trend starts with that week, which has nothing to measure.
    assert _digest(db, LAST).teams_compared == 2
    trend = _digest(db, THIS, "Hull").trend
    assert [(p.iso_week, dict(p.targets)) for p in trend] == [
        ("2026-W47", {}),
        ("2026-W48", {"one_to_one": hull}),
    ]


@pytest.mark.parametrize(
    ("created_at", "first_week"),
    [
        # Summer (BST, UTC+1): Sunday 23:30 local is 22:30 UTC, the same Sunday.
        (datetime(2026, 6, 14, 22, 30, tzinfo=UTC), "2026-W24"),
        # Monday 00:30 BST is Sunday 23:30 UTC: locally the new week has begun.
        (datetime(2026, 6, 14, 23, 30, tzinfo=UTC), "2026-W25"),
    ],
    ids=["sun-23:30-bst", "mon-00:30-bst"],
)
def test_a_team_created_around_midnight_in_summer_starts_on_its_local_week(
    db: Database, created_at: datetime, first_week: str
) -> None:
    monday = date(2026, 6, 15)  # W25

    def setup(conn: Connection) -> None:
        t = make_team(conn, "Leeds", chat_id=-1001, created_at=created_at)
        make_member(conn, t, 11, "Alex Jones", Role.ORGANISER, joined_on=date(2026, 6, 14))

    db.call(setup)
    d = _digest(db, monday)
    assert d.trend[0].iso_week == first_week
    last = _digest(db, monday - timedelta(weeks=1))
    compared = 1 if first_week == "2026-W24" else 0
    assert last.teams_compared == compared
    assert len(last.trend) == compared


@pytest.mark.parametrize("weeks_old", [1, 2, 13, 20])
def test_trend_length_follows_the_teams_age(db: Database, weeks_old: int) -> None:
    created = THIS - timedelta(weeks=weeks_old - 1) + timedelta(days=2)

    def setup(conn: Connection) -> None:
        t = make_team(
            conn,
            "Leeds",
            chat_id=-1001,
            created_at=datetime.combine(created, datetime.min.time(), UTC),
        )
        make_member(conn, t, 11, "Alex Jones", Role.ORGANISER, joined_on=created)

    db.call(setup)
    trend = _digest(db, THIS).trend
    assert len(trend) == min(weeks_old, TREND_WEEKS)
    targets = [dict(p.targets).get("one_to_one") for p in trend]
    # The first week counts the days from Wednesday; every later week is whole.
    expected = [WEEKLY] * len(trend)
    if weeks_old <= TREND_WEEKS:
        expected[0] = rule(5)
    assert targets == expected


# --- /totals over partial weeks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "member_days"),
    [
        ("today", 1),  # Thursday, the day she joined
        ("2026-11-23..2026-11-26", 1),  # Monday to today: one day as a member
        ("2026-11-25..2026-11-29", 4),  # Wednesday to Sunday: four days as a member
        ("2026-11-26..2026-12-06", 11),  # from joining, over two weeks
    ],
)
def test_totals_over_a_range_starting_mid_week_counts_the_member_days_in_it(
    db: Database, period: str, member_days: int
) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, joined_on=MOMENT.today)
        return leeds

    leeds = db.call(setup)
    # 15 a week over the days she was a member in the range.
    assert _totals_target(db, leeds, period, "Sam Patel", MOMENT.today) == round(
        WEEKLY * member_days / 7
    )


def test_totals_over_the_last_days_of_someone_who_left(db: Database) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, left_on=LAST + timedelta(1))
        return leeds

    leeds = db.call(setup)
    # Monday and Tuesday of last week, both days as a member: 15 x 2/7 -> 4.
    assert _totals_target(db, leeds, "2026-11-16..2026-11-17", "Sam Patel", MOMENT.today) == rule(2)


def test_totals_over_a_range_inside_the_membership_is_plain_pro_rating(db: Database) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        make_member(conn, leeds, 11, "Alex Jones", Role.ORGANISER)
        return leeds

    leeds = db.call(setup)
    # A member all along: partial weeks are plain days/7 (held).
    assert _totals_target(db, leeds, "2026-11-25..2026-11-29", "Alex Jones", MOMENT.today) == round(
        WEEKLY * 5 / 7
    )
    assert _totals_target(db, leeds, "last", "Alex Jones", MOMENT.today) == WEEKLY


# --- Nudges --------------------------------------------------------------------------------------


def test_nudge_of_someone_who_joined_yesterday_paces_over_their_days(db: Database) -> None:
    def setup2(conn: Connection) -> None:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, joined_on=THIS + timedelta(2))
        nia = make_member(
            conn, leeds, 13, "Nia Khan", Role.ORGANISER, joined_on=THIS + timedelta(2)
        )
        # Two days in (Wed, Thu) of five: expected 11 x 2/5 = 4.4; Nia has 5.
        log(conn, nia, leeds, "one_to_one", 5, THIS + timedelta(2))

    db.call(setup2)
    due = db.call(lambda c: nudges_due(c, moment=MOMENT))
    assert [n.telegram_user_id for n in due] == [12]
    [behind] = due[0].behind
    target = rule(5)
    assert behind.target == target
    assert behind.expected == pytest.approx(target * 2 / 5)


# --- /remove and rejoining -----------------------------------------------------------------------


def _remove(db: Database, user_id: int, moment: Moment, *args: str, admin: bool = False) -> object:
    return db.call(
        lambda c: members.remove_member(
            c, _actor(c, user_id, admin=admin), list(args), moment=moment
        )
    )


def test_remove_then_totals_for_the_week_they_left(db: Database) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        make_member(conn, leeds, 20, "Mia Boss", Role.MANAGER)
        sam = make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, username="sam")
        log(conn, sam, leeds, "one_to_one", 3, THIS)
        return leeds

    leeds = db.call(setup)
    assert isinstance(_remove(db, 20, MOMENT, "leeds", "@sam"), members.RemoveNeedsConfirm)
    done = _remove(db, 20, MOMENT, "leeds", "@sam", "confirm")
    assert done == members.MemberRemoved("Sam Patel", "Leeds", MOMENT.today)
    with pytest.raises(members.NotInTeam):
        _remove(db, 20, MOMENT, "leeds", "@sam", "confirm")
    want = rule(4)  # Monday to Thursday
    assert _totals_target(db, leeds, "week", "Sam Patel", MOMENT.today) == want
    assert _digest_target(db, THIS, "Sam Patel") == want
    assert _totals_target(db, leeds, "last", "Sam Patel", MOMENT.today) == WEEKLY
    rows = {
        m.name: m
        for m in db.call(reports.team_totals, leeds, parse_period("week", today=MOMENT.today))
    }
    assert rows["Sam Patel"].left_on == MOMENT.today
    # Next week they are not listed and have no target.
    assert _digest_target(db, THIS + timedelta(weeks=1), "Sam Patel") is None


def test_remove_by_a_manager_of_another_team_changes_nothing(db: Database) -> None:
    def setup(conn: Connection) -> None:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        york = make_team(conn, "York", chat_id=-1002)
        make_member(conn, york, 21, "Yara Boss", Role.MANAGER)
        make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, username="sam")

    db.call(setup)
    from organiser_bot.domain.refusals import UnknownTeam

    with pytest.raises(UnknownTeam):
        _remove(db, 21, MOMENT, "leeds", "@sam", "confirm")
    with pytest.raises(members.NotInTeam):
        _remove(db, 21, MOMENT, "york", "@sam", "confirm")
    assert _week_target(db, 12, MOMENT) == WEEKLY


def test_rejoining_keeps_the_weeks_of_the_earlier_membership(db: Database) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        sam = make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, username="sam")
        log(conn, sam, leeds, "one_to_one", 15, LAST)
        return leeds

    leeds = db.call(setup)
    before = _digest(db, LAST)
    assert _digest_target(db, LAST, "Sam Patel") == WEEKLY
    wednesday = Moment(datetime(2026, 11, 18, 12, 0, tzinfo=UTC), LONDON, KINDS)
    _remove(db, 1, wednesday, "leeds", "@sam", "confirm", admin=True)
    assert _digest_target(db, LAST, "Sam Patel") == rule(3)
    invite = db.call(
        lambda c: onboarding.create_invite(
            c, _actor(c, 1, admin=True), ["leeds", "organiser"], moment=MOMENT
        )
    )
    db.call(
        lambda c: onboarding.join(c, _actor(c, 12, name="Sam Patel"), invite.code, moment=MOMENT)
    )
    # Last week: a member Monday to Wednesday, whatever happened since.
    assert _digest_target(db, LAST, "Sam Patel") == rule(3)
    assert _totals_target(db, leeds, "last", "Sam Patel", MOMENT.today) == rule(3)
    # The week before: a member all week; its attainment does not change.
    assert _digest(db, LAST - timedelta(weeks=1)).members[0].targets == {"one_to_one": WEEKLY}
    assert before.attainment == pytest.approx(1.0)


def test_rejoining_in_a_later_week_counts_from_the_day_they_rejoin(db: Database) -> None:
    def setup(conn: Connection) -> int:
        leeds = make_team(conn, "Leeds", chat_id=-1001)
        make_member(conn, leeds, 12, "Sam Patel", Role.ORGANISER, username="sam")
        return leeds

    leeds = db.call(setup)
    wednesday = Moment(datetime(2026, 11, 18, 12, 0, tzinfo=UTC), LONDON, KINDS)
    _remove(db, 1, wednesday, "leeds", "@sam", "confirm", admin=True)
    invite = db.call(
        lambda c: onboarding.create_invite(
            c, _actor(c, 1, admin=True), ["leeds", "organiser"], moment=MOMENT
        )
    )
    db.call(
        lambda c: onboarding.join(c, _actor(c, 12, name="Sam Patel"), invite.code, moment=MOMENT)
    )
    want = rule(4)  # back on Thursday
    assert _week_target(db, 12, MOMENT) == want
    assert _digest_target(db, THIS, "Sam Patel") == want
    assert _totals_target(db, leeds, "week", "Sam Patel", MOMENT.today) == want
