"""Running a use case as the person behind an update, the actor loaded in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor, Identity
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
        actor = load_actor(conn, identity, admin_ids=admin_ids)
        return fn(conn, actor, *args, **kwargs)

    return unit
