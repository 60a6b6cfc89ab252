"""How queries reach the models: a model's Core table, and model instances read on a connection.

Each stored entity is defined once, as its SQLModel class in :mod:`storage.models`. Statements
use that class's table (``table_of(Activity).c.person_id``): Core statements are the cheapest to
build and run, and the hot path builds its statements once at import. Functions that hand back
whole stored rows return the model instances themselves, loaded by the ORM on the caller's
connection (:func:`fetch_all`), inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import Connection, Table
from sqlmodel import Session, SQLModel
from sqlmodel.sql.expression import Select, SelectOfScalar

M = TypeVar("M", bound=SQLModel)
Ts = TypeVarTuple("Ts")


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class.

    Raises:
        TypeError: ``model`` is not a table (``table=True``).
    """
    # SQLModel does not declare ``__table__`` to type checkers.
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


def fetch_all(
    conn: Connection, stmt: SelectOfScalar[M], params: Mapping[str, Any] | None = None
) -> list[M]:
    """Run ``stmt`` (a ``select(Model)``) on ``conn`` and return the model instances.

    The instances are loaded by the ORM in a session that lives for this call only and joins
    the caller's transaction (it neither commits nor rolls back); they come back detached, as
    plain values with every column loaded.
    """
    with Session(conn) as session:
        return list(session.exec(stmt, params=params))


def fetch_rows(
    conn: Connection, stmt: Select[*Ts], params: Mapping[str, Any] | None = None
) -> list[tuple[*Ts]]:
    """Like :func:`fetch_all` for a ``select`` of several models or columns: one tuple each."""
    with Session(conn) as session:
        return list(session.exec(stmt, params=params))
