"""Storage: SQLModel tables, the engine and unit-of-work runner, queries and Alembic migrations."""

from storage.engine import Database, make_engine

__all__ = ["Database", "make_engine"]
