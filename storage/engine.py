"""The engine factory and the unit-of-work runner.

Every use case runs in one transaction on one connection (``with db.begin() as conn``). The bot
runs them in a small thread pool (``await db.run(fn)``) so a slow query or an SQLite checkpoint
never stalls the event loop that serves everybody else's messages.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

T = TypeVar("T")
P = ParamSpec("P")

SQLITE_BUSY_TIMEOUT_MS = 30_000

#: PostgreSQL's SQLSTATEs for a transaction it rolled back so that another could go on
#: (``deadlock_detected``, ``serialization_failure``): run again, the transaction succeeds.
RETRY_SQLSTATES = frozenset({"40P01", "40001"})
#: How many times such a transaction is run again before its error is raised.
RETRIES = 3

log = logging.getLogger(__name__)


def _to_retry(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in RETRY_SQLSTATES


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before the bot confirms it, so a confirmed entry survives a
    # power cut (NORMAL in WAL mode may lose the last commits). The fsync happens in the
    # database thread, off the event loop.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with the settings this project relies on.

    SQLite gets WAL, a busy timeout and foreign keys; PostgreSQL gets a pre-ping pool.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            poolclass=StaticPool if in_memory else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Database:
    """An engine plus the thread pool that database work runs in, off the event loop."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite allows one writer at a time: one worker serialises writes without lock waits.
        workers = 1 if self.is_sqlite else 4
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="db")

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction, committed on success and rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    def call(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, *args, **kwargs)`` in one transaction, synchronously.

        A transaction PostgreSQL rolled back for another's sake (a deadlock, a serialization
        failure: :data:`RETRY_SQLSTATES`) is run again, up to :data:`RETRIES` times, so an
        entry is never lost to one; ``fn`` does nothing outside the transaction.

        Typed with ``ParamSpec``: a misspelt or missing argument is a type error at the call site.

        Raises:
            DBAPIError: the database's error, when it is not one to retry or retries ran out.
        """
        for attempt in range(RETRIES + 1):
            try:
                with self.engine.begin() as conn:
                    return fn(conn, *args, **kwargs)
            except DBAPIError as exc:
                if attempt == RETRIES or not _to_retry(exc):
                    raise
                log.warning(
                    "transaction rolled back by the database (%s); running it again",
                    getattr(exc.orig, "sqlstate", None),
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def run(
        self, fn: Callable[Concatenate[Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, *args, **kwargs)`` in one transaction in the database thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self.call, fn, *args, **kwargs)
        )

    def close(self) -> None:
        """Wait for running work, then release the pool and its connections."""
        self._executor.shutdown(wait=True)
        self.engine.dispose()
