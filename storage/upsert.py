"""Dialect-aware INSERT ... ON CONFLICT, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(
    conn: Connection, table: Table, values: Mapping[str, Any], *, conflict: Sequence[str]
) -> Any | None:
    """Insert ``values`` unless a row with the same ``conflict`` columns exists.

    Returns:
        The new row's first primary-key value, or None when nothing was inserted. (RETURNING,
        not ``rowcount``, which drivers do not report reliably for ON CONFLICT.)
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(*table.primary_key.columns)
    )
    row = conn.execute(stmt).first()
    return None if row is None else row[0]


def add_to_counter_many(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    column: str,
) -> None:
    """Add each row's ``column`` to the row with the same ``key`` columns, creating it if
    absent; one executemany for all of ``rows``."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key), set_={column: table.c[column] + stmt.excluded[column]}
    )
    conn.execute(stmt, list(rows))
