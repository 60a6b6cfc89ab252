"""``storage.scrutiny.record``: one row per team shown (each once), written in one ``INSERT …
SELECT``, with the moment to the microsecond and the subject; an id that is no team refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError

from organiser_bot.domain.roles import Role
from storage import scrutiny as store
from storage.engine import Database
from storage.models import Scrutiny
from storage.query import table_of
from tests.digest_factories import make_member, make_team

LOOK = table_of(Scrutiny)
AT = datetime(2026, 11, 26, 12, 30, 15, 123456, tzinfo=UTC)


def _rows(conn: Connection) -> list[tuple[datetime, int, int, int | None, str]]:
    return sorted(
        tuple(row)  # type: ignore[misc]
        for row in conn.execute(
            select(
                LOOK.c.at,
                LOOK.c.viewer_person_id,
                LOOK.c.team_id,
                LOOK.c.subject_person_id,
                LOOK.c.what,
            )
        )
    )


def test_one_row_per_team_shown_with_the_subject(db: Database) -> None:
    with db.begin() as conn:
        teams = [make_team(conn, f"Team {i}") for i in range(5)]
        mia = make_member(conn, teams[0], 15, "Mia", Role.MANAGER)
        sam = make_member(conn, teams[1], 16, "Sam", Role.ORGANISER)
    shown = [teams[3], teams[0], teams[3], teams[4], teams[0]]  # repeats: one row each
    for subject in (None, sam):
        with db.begin() as conn:
            conn.execute(delete(LOOK))
            count = store.record(
                conn, at=AT, viewer=mia, what="measures", team_ids=shown, subject=subject
            )
            assert count == 3
            assert _rows(conn) == sorted(
                (AT, mia, t, subject, "measures") for t in (teams[3], teams[0], teams[4])
            )


def test_no_team_writes_nothing(db: Database) -> None:
    with db.begin() as conn:
        team = make_team(conn, "North")
        mia = make_member(conn, team, 15, "Mia", Role.MANAGER)
        assert store.record(conn, at=AT, viewer=mia, what="measures", team_ids=[]) == 0
        assert _rows(conn) == []


def test_an_id_that_is_no_team_is_refused(db: Database) -> None:
    with db.begin() as conn:
        team = make_team(conn, "North")
        mia = make_member(conn, team, 15, "Mia", Role.MANAGER)
    with pytest.raises(IntegrityError), db.begin() as conn:
        store.record(conn, at=AT, viewer=mia, what="measures", team_ids=[team, team + 99])
    with db.begin() as conn:
        assert _rows(conn) == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(picks=st.lists(st.integers(0, 7), max_size=30))
def test_any_list_of_teams_gives_one_row_per_team_in_it(db: Database, picks: list[int]) -> None:
    with db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            teams = [make_team(conn, f"Team {i}") for i in range(8)]
            mia = make_member(conn, teams[0], 15, "Mia", Role.MANAGER)
            shown = [teams[i] for i in picks]
            count = store.record(conn, at=AT, viewer=mia, what="totals", team_ids=shown)
            assert count == len(set(shown))
            assert _rows(conn) == sorted((AT, mia, t, None, "totals") for t in set(shown))
        finally:
            transaction.rollback()
