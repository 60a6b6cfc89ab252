"""The scrutiny ledger: which reads record a look, and the counts ``/scrutiny`` shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection

from organiser_bot.domain.roles import Role
from storage import scrutiny as store
from storage.engine import Database
from tests.digest_factories import make_member, make_team

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _look(conn: Connection, at: datetime, viewer: int, what: str, *teams: int) -> None:
    store.record(conn, at=at, viewer=viewer, what=what, team_ids=teams)


def test_looks_by_team_counts_each_team_in_the_half_open_span(db: Database) -> None:
    with db.begin() as conn:
        north, south, east = (make_team(conn, n) for n in ("North", "South", "East"))
        mia = make_member(conn, north, 15, "Mia", Role.MANAGER)
        ada = make_member(conn, south, 16, "Ada", Role.MANAGER)
        start, end = NOW - timedelta(days=7), NOW
        _look(conn, start - timedelta(microseconds=1), mia, "totals", north)  # before
        _look(conn, start, mia, "totals", north, south)  # first instant: in
        _look(conn, NOW - timedelta(hours=1), ada, "export", south)
        _look(conn, NOW - timedelta(hours=1), mia, "team", north, north)  # one row per team
        _look(conn, end, ada, "totals", east)  # the end is not in the span
    with db.begin() as conn:
        assert store.looks_by_team(conn, start=start, end=end) == {north: 2, south: 2}
        looks = store.team_looks(conn, start=start, end=end)
    assert looks[south] == store.TeamLooks(2, 2, {"totals": 1, "export": 1})
    assert looks[north] == store.TeamLooks(2, 1, {"totals": 1, "team": 1})
    assert east not in looks


@pytest.mark.parametrize("span", [timedelta(0), timedelta(days=-1)])
def test_an_empty_span_has_no_looks(db: Database, span: timedelta) -> None:
    with db.begin() as conn:
        north = make_team(conn, "North")
        mia = make_member(conn, north, 15, "Mia", Role.MANAGER)
        _look(conn, NOW, mia, "totals", north)
        assert store.looks_by_team(conn, start=NOW, end=NOW + span) == {}
