"""``Database.call`` runs again a transaction PostgreSQL rolled back for another's sake (a
deadlock, a serialization failure), so nothing it wrote is lost to one; other errors, and the
last of too many, are raised. The errors are PostgreSQL's own, raised by the server with their
SQLSTATE."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError

from storage import people
from storage.engine import RETRIES, Database
from storage.models import Team
from storage.query import table_of
from tests.conftest import FakeClock


def _raise(conn: Connection, sqlstate: str) -> None:
    conn.execute(
        text(f"DO $$ BEGIN RAISE EXCEPTION 'rolled back' USING ERRCODE = '{sqlstate}'; END $$")
    )


def _teams(db: Database) -> int:
    with db.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table_of(Team))).scalar_one())


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_transaction_rolled_back_for_another_is_run_again(db: Database, sqlstate: str) -> None:
    tries: list[int] = []

    def unit(conn: Connection) -> int:
        tries.append(1)
        team = people.create_team(
            conn, name=f"Ward {len(tries)}", slug=f"ward-{len(tries)}", now=FakeClock().now
        )
        if len(tries) < 3:
            _raise(conn, sqlstate)  # after a write: the write is rolled back with it
        return team

    team = db.call(unit)
    assert len(tries) == 3
    with db.begin() as conn:
        names = conn.execute(select(table_of(Team).c.name)).scalars().all()
    assert names == ["Ward 3"] and team > 0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_other_errors_and_the_last_retry_are_raised(db: Database) -> None:
    tries: list[int] = []

    def unit(conn: Connection, sqlstate: str) -> None:
        tries.append(1)
        people.create_team(
            conn, name=f"Ward {len(tries)}", slug=f"ward-{len(tries)}", now=FakeClock().now
        )
        _raise(conn, sqlstate)

    with pytest.raises(DBAPIError) as raised:
        db.call(unit, "23505")  # unique_violation: not run again
    assert getattr(raised.value.orig, "sqlstate", None) == "23505" and len(tries) == 1
    tries.clear()
    with pytest.raises(DBAPIError) as raised:
        db.call(unit, "40P01")
    assert getattr(raised.value.orig, "sqlstate", None) == "40P01"
    assert len(tries) == RETRIES + 1
    assert _teams(db) == 0
