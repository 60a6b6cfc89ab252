"""Running a use case as the person behind an update, the actor loaded in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor, Identity
from storage import processed
from storage.people import load_actor

T = TypeVar("T")
P = ParamSpec("P")

#: A use case: ``fn(conn, actor, *args, **kwargs) -> outcome``, one transaction.
UseCase = Callable[Concatenate[Connection, Actor, P], T]


def as_actor(
    identity: Identity,
    admin_ids: frozenset[int],
    fn: UseCase[P, T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Callable[[Connection], T]:
    """The unit of work that loads the actor behind ``identity`` and runs ``fn`` as them.

    Args:
        identity: Who sent the update, as the chat platform describes them.
        admin_ids: Platform user ids of the configured admins (``ADMIN_TELEGRAM_IDS``).
        fn: The use case; ``args`` and ``kwargs`` are checked against its signature.

    Returns:
        A function of the connection, for ``Database.run``.
    """

    def unit(conn: Connection) -> T:
        # Every update carries the sender's current name and @username: the stored ones follow.
        actor = load_actor(conn, identity, admin_ids=admin_ids, refresh=True)
        return fn(conn, actor, *args, **kwargs)

    return unit


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """The unit of work ran (first delivery of its update); ``value`` is its outcome."""

    value: T


@dataclass(frozen=True, slots=True)
class AlreadyDone:
    """The update was carried out before (a redelivery): the unit of work did not run again.

    ``replies`` are the texts sent the first time, in order; empty when none were stored (the
    process stopped between the commit and the reply).
    """

    replies: tuple[str, ...]


def once(
    key: str, at: datetime, unit: Callable[[Connection], T]
) -> Callable[[Connection], Done[T] | AlreadyDone]:
    """``unit`` guarded by the update's processed ``key``, claimed in the same transaction.

    The key is inserted first: a new key runs ``unit`` and commits both together; a known key
    (a redelivered update) runs nothing and answers the stored replies. A refusal or error
    raised by ``unit`` rolls the claim back with everything else, so a refused update is
    refused again when redelivered.

    Args:
        key: The update's source (``storage.processed`` describes the forms).
        at: When it was processed (aware UTC), for pruning.
        unit: The unit of work, e.g. from :func:`as_actor`.
    """

    def guarded(conn: Connection) -> Done[T] | AlreadyDone:
        if not processed.claim(conn, key, at=at):
            return AlreadyDone(processed.replies(conn, key))
        return Done(unit(conn))

    return guarded


def remember_replies(conn: Connection, replies: Sequence[tuple[str, str]]) -> int:
    """Append each (key, text) to the replies kept for the processed key (what a redelivery of
    its update is sent again), in order, in one transaction; a key never claimed keeps nothing.
    Returns how many were kept."""
    return sum(processed.add_reply(conn, key, text) for key, text in replies)


def stored_replies(conn: Connection, key: str) -> tuple[str, ...]:
    """The replies kept for the processed ``key``, in the order they were sent."""
    return processed.replies(conn, key)


#: How long a carried-out update's key is kept: Telegram keeps an unconfirmed update for 24
#: hours, so a key a week old can no longer be redelivered.
PROCESSED_KEPT = timedelta(days=7)


def forget_old_updates(conn: Connection, *, now: datetime) -> int:
    """Forget processed-update keys older than :data:`PROCESSED_KEPT`; returns how many."""
    return processed.prune(conn, before=now - PROCESSED_KEPT)


_F = TypeVar("_F", bound=Callable[..., object])
_READ_ONLY: set[Callable[..., object]] = set()


def read_only(fn: _F) -> _F:
    """Mark a use case that changes nothing (a report, a preview, an export).

    A redelivered update of such a use case simply runs it again, for the same answer as fresh
    as the first (a document included), instead of replaying stored replies: there is nothing a
    second run could do twice.
    """
    _READ_ONLY.add(fn)
    return fn


def is_read_only(fn: object) -> bool:
    """True for a use case marked :func:`read_only`."""
    return fn in _READ_ONLY
