"""The digest's scrutiny line, built from the scrutiny ledger on SQLite and PostgreSQL: each team's
looks during the digest's week (local Monday 00:00 to the next Monday 00:00), the median over
every team that gets a digest with zeros included, the same line in every team's digest, and
never cut however long the digest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection

from organiser_bot.domain.access import Identity
from organiser_bot.domain.digest import (
    TeamDigest,
    cross_team_line,
    render_digest_messages,
    scrutiny_line,
)
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.digests import build_week, build_week_by_team, preview_for_chat
from storage import chats, people
from storage import scrutiny as store
from storage.engine import Database
from tests.digest_factories import LONDON, SETUP_AT, log, make_member, make_team

KINDS = KindRegistry()
#: 2026-W47: London is on GMT, so local midnight is UTC midnight.
W47 = date(2026, 11, 16)
#: 2026-W27: London is on BST, so the week runs from Sun 28 Jun 23:00 UTC to Sun 5 Jul 23:00 UTC.
W27 = date(2026, 6, 29)
#: 2026-W13: the clocks go forward on its Sunday (29 Mar): it starts at 00:00 UTC and ends at
#: 23:00 UTC on the Sunday.
W13 = date(2026, 3, 23)
NORTH_CHAT, SOUTH_CHAT, EAST_CHAT = -100, -200, -300


def _look(conn: Connection, viewer: int, team: int, at: datetime, times: int = 1) -> None:
    for _ in range(times):
        store.record(conn, at=at, viewer=viewer, what="totals", team_ids=[team])


def _teams(conn: Connection) -> tuple[int, int, int, int, int]:
    """North, South and East bound to chats, West with none; and a manager to look."""
    north = make_team(conn, "North", chat_id=NORTH_CHAT)
    south = make_team(conn, "South", chat_id=SOUTH_CHAT)
    east = make_team(conn, "East", chat_id=EAST_CHAT)
    west = make_team(conn, "West")
    mia = make_member(conn, north, 15, "Mia", Role.MANAGER)
    for team in (south, east, west):
        make_member(conn, team, 16 + team, f"Member {team}", Role.ORGANISER)
    return north, south, east, west, mia


def _lines(digests: list[TeamDigest]) -> dict[str, str]:
    return {d.team_name: scrutiny_line(d) for d in digests}


def test_each_team_gets_its_own_count_against_one_median_with_zeros(db: Database) -> None:
    with db.begin() as conn:
        north, south, east, west, mia = _teams(conn)
        at = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
        _look(conn, mia, north, at, 5)
        _look(conn, mia, south, at, 2)
        # West gets no digest (no chat): its looks are its own, not in the median.
        _look(conn, mia, west, at, 9)
        # The week before and the week after count for other digests.
        _look(conn, mia, east, at - timedelta(days=7), 4)
        _look(conn, mia, east, at + timedelta(days=7), 4)
    digests = db.call(build_week, monday=W47, kinds=KINDS, tz=LONDON)
    # North 5, South 2, East 0: the median team's 2.
    assert {d.team_name: (d.looks, d.looks_median) for d in digests} == {
        "North": (5, 2),
        "South": (2, 2),
        "East": (0, 2),
        "West": (9, 2),
    }
    assert _lines(digests) == {
        "North": "Your team's figures were opened 5 times this week; the median team's 2.",
        "South": "Your team's figures were opened 2 times this week; the median team's 2.",
        "East": "Your team's figures were opened 0 times this week; the median team's 2.",
        "West": "Your team's figures were opened 9 times this week; the median team's 2.",
    }


def test_an_even_number_of_teams_gives_a_half(db: Database) -> None:
    with db.begin() as conn:
        north, south, _, west, mia = _teams(conn)
        chats.bind_chat(conn, team_id=west, chat_id=-400, title="West", by=None, now=SETUP_AT)
        at = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
        _look(conn, mia, north, at, 4)
        _look(conn, mia, south, at, 1)
    # 0, 0, 1, 4: halfway between 0 and 1.
    digests = db.call(build_week, monday=W47, kinds=KINDS, tz=LONDON)
    assert {d.looks_median for d in digests} == {0.5}
    assert _lines(digests)["South"] == (
        "Your team's figures were opened 1 time this week; the median team's 0.5."
    )


def test_a_run_that_builds_some_teams_shows_them_the_same_median(db: Database) -> None:
    with db.begin() as conn:
        north, south, east, _, mia = _teams(conn)
        at = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
        _look(conn, mia, north, at, 6)
        _look(conn, mia, south, at, 3)
        _look(conn, mia, east, at, 1)
    everyone = db.call(build_week_by_team, monday=W47, kinds=KINDS, tz=LONDON)
    # A catch-up run builds only the team still owed its digest.
    owed = db.call(build_week_by_team, monday=W47, kinds=KINDS, team_ids=[east], tz=LONDON)
    assert scrutiny_line(owed[east]) == scrutiny_line(everyone[east])
    assert owed[east].looks_median == 3


@pytest.mark.parametrize(
    ("monday", "first", "end"),
    [
        (W47, datetime(2026, 11, 16, 0, 0, tzinfo=UTC), datetime(2026, 11, 23, 0, 0, tzinfo=UTC)),
        (W27, datetime(2026, 6, 28, 23, 0, tzinfo=UTC), datetime(2026, 7, 5, 23, 0, tzinfo=UTC)),
        (W13, datetime(2026, 3, 23, 0, 0, tzinfo=UTC), datetime(2026, 3, 29, 23, 0, tzinfo=UTC)),
    ],
)
def test_the_week_runs_from_local_monday_midnight_to_the_next(
    db: Database, monday: date, first: datetime, end: datetime
) -> None:
    tick = timedelta(microseconds=1)
    with db.begin() as conn:
        north, _, _, _, mia = _teams(conn)
        _look(conn, mia, north, first - tick)  # Sunday before, local: last week
        _look(conn, mia, north, first)  # Monday 00:00 local: in
        _look(conn, mia, north, end - tick)  # Sunday 23:59:59.999999 local: in
        _look(conn, mia, north, end)  # the next Monday 00:00 local: next week
    [d] = db.call(build_week, monday=monday, kinds=KINDS, team_ids=[north], tz=LONDON)
    assert d.looks == 2


def test_the_preview_counts_the_week_so_far(db: Database) -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    with db.begin() as conn:
        north, south, _, _, mia = _teams(conn)
        _look(conn, mia, north, now - timedelta(hours=1), 3)
        _look(conn, mia, south, now - timedelta(days=4), 1)  # Sunday of last week: not counted
        actor = people.load_actor(conn, Identity(15, "Mia"), admin_ids=frozenset())
        preview = preview_for_chat(
            conn, actor, NORTH_CHAT, moment=Moment(now=now, tz=LONDON, kinds=KINDS)
        )
    assert scrutiny_line(preview) == (
        "Your team's figures were opened 3 times so far this week; the median team's 0."
    )


@pytest.mark.parametrize("limit", [700, 4096])
def test_a_long_digest_keeps_the_line_whole_before_the_cross_team_line(
    db: Database, limit: int
) -> None:
    with db.begin() as conn:
        north, _, _, _, mia = _teams(conn)
        for i in range(150):
            person = make_member(
                conn, north, 10_000 + i, f"Member With A Long Name {i}", Role.ORGANISER
            )
            log(conn, person, north, "one_to_one", 1 + i % 5, W47)
        _look(conn, mia, north, datetime(2026, 11, 19, 8, 0, tzinfo=UTC), 11)
    digests = {d.team_name: d for d in db.call(build_week, monday=W47, kinds=KINDS, tz=LONDON)}
    messages = render_digest_messages(digests["North"], KINDS, limit=limit)
    assert len(messages) > 1
    last = messages[-1].splitlines()
    assert last[-2:] == [scrutiny_line(digests["North"]), cross_team_line(digests["North"])]
    assert last[-2] == "Your team's figures were opened 11 times this week; the median team's 0."
    # Exactly once across the messages, and in the short digest of another team too.
    assert sum(m.count("Your team's figures were opened") for m in messages) == 1
    [south_text] = render_digest_messages(digests["South"], KINDS, limit=limit)
    assert south_text.splitlines()[-2] == (
        "Your team's figures were opened 0 times this week; the median team's 0."
    )
