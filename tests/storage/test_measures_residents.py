"""``storage.measures.residents_in_force`` against its definition, row by row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from storage import measures as store
from storage.engine import Database
from storage.models import TeamResidents
from storage.query import table_of
from tests.digest_factories import make_team

RESIDENTS = table_of(TeamResidents)
DAY0 = date(2026, 8, 1)
SET_AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

#: (team index, day offset from DAY0, residents), inserted in this order (ids ascending).
_rows = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 120), st.integers(0, 99_999)), max_size=25
)
_ends = st.lists(st.integers(-5, 130), min_size=1, max_size=3).map(sorted)


def _expected(rows: list[tuple[int, int, int]], team: int, end: date) -> int | None:
    """The latest row (by day, then id) set on or before ``end``, else the first by day and
    id; None with no row."""
    mine = [(DAY0 + timedelta(days=d), i, n) for i, (t, d, n) in enumerate(rows) if t == team]
    if not mine:
        return None
    by_then = [r for r in mine if r[0] <= end]
    return max(by_then)[2] if by_then else min(mine)[2]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_rows, ends=_ends, listed=st.booleans())
def test_the_figure_in_force_at_each_month_end(
    db: Database, rows: list[tuple[int, int, int]], ends: list[int], listed: bool
) -> None:
    month_ends = [DAY0 + timedelta(days=e) for e in ends]
    with db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            teams = [make_team(conn, f"Team {i}") for i in range(3)]
            for t, d, n in rows:
                conn.execute(
                    insert(RESIDENTS).values(
                        team_id=teams[t],
                        residents=n,
                        set_on=DAY0 + timedelta(days=d),
                        set_at=SET_AT,
                    )
                )
            got = store.residents_in_force(
                conn, team_ids=teams[:2] if listed else None, month_ends=month_ends
            )
            shown = range(2) if listed else range(3)
            want = {
                teams[t]: tuple(_expected(rows, t, end) for end in month_ends)
                for t in shown
                if any(r[0] == t for r in rows)
            }
            assert got == want
        finally:
            transaction.rollback()
