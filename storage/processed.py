"""Updates already carried out, so a redelivered update changes nothing more.

Telegram delivers an update again when the bot did not confirm it (an unclean restart). The key
of every update a unit of work ran for is written in that unit's transaction
(:func:`claim`); a second delivery finds it and gets the replies stored with it
(:func:`replies`) instead of running again. Keys (``storage.models.ProcessedUpdate``):
``m:<chat id>:<message id>``, ``e:<chat id>:<message id>:<edit date>:<text hash>``,
``cb:<query id>``. A forgotten person's keys name a chat id no Telegram chat has instead of
theirs (:func:`forget_chat`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, String, delete, func, literal, or_, select, update

from storage.models import ProcessedUpdate
from storage.query import table_of
from storage.upsert import insert_ignore

_processed = table_of(ProcessedUpdate)

#: Between two replies stored for one update (ASCII record separator: never in a reply).
SEPARATOR = "\x1e"


def claim(conn: Connection, key: str, *, at: datetime) -> bool:
    """Record ``key`` as carried out, in the caller's transaction.

    Returns:
        True when the key is new (run the update's work), False when it was carried out
        already. On PostgreSQL a concurrent claim of the same key waits for this transaction
        and then finds the key; a rollback (a refusal, an error) removes the claim.
    """
    values = {"key": key, "processed_at": at}
    return insert_ignore(conn, _processed, values, conflict=["key"]) is not None


def replies(conn: Connection, key: str) -> tuple[str, ...]:
    """The replies stored for ``key``, in the order they were sent; empty when none were (a
    crash between the commit and the reply) or the key is unknown."""
    text = conn.execute(select(_processed.c.reply).where(_processed.c.key == key)).scalar()
    return tuple(text.split(SEPARATOR)) if text else ()


def add_reply(conn: Connection, key: str, text: str) -> bool:
    """Append ``text`` to the replies stored for ``key``.

    Returns:
        False when ``key`` was never claimed (nothing was carried out, so nothing is stored).
    """
    current = conn.execute(select(_processed.c.reply).where(_processed.c.key == key)).first()
    if current is None:
        return False
    joined = text if not current[0] else f"{current[0]}{SEPARATOR}{text}"
    conn.execute(update(_processed).where(_processed.c.key == key).values(reply=joined))
    return True


def prune(conn: Connection, *, before: datetime) -> int:
    """Forget keys carried out before ``before`` (aware UTC); returns how many.

    Telegram keeps an unconfirmed update for 24 hours, so keys older than a few days can no
    longer be redelivered.
    """
    result = conn.execute(delete(_processed).where(_processed.c.processed_at < before))
    return result.rowcount


def forget_chat(conn: Connection, chat_id: int, *, as_chat: int) -> int:
    """Move the keys of updates from the private chat ``chat_id`` (a person who asked to be
    forgotten) to the chat id ``as_chat`` (one no Telegram chat has), blanking their replies
    (replies can quote notes), so no key holds the person's id.

    The message and edit ids stay under ``as_chat`` until pruned. A redelivery of one of the
    person's old updates no longer finds its key: it is handled as an update sent now by
    someone new to the bot (refused, unless it is a ``/start`` with an invite still open or
    they joined again).

    Returns:
        How many keys were moved.
    """
    moved = 0
    for kind in ("m", "e"):
        old, new = f"{kind}:{int(chat_id)}:", f"{kind}:{int(as_chat)}:"
        moved += conn.execute(
            update(_processed)
            .where(_processed.c.key.like(f"{old}%"))
            .values(
                key=literal(new, String).concat(func.substr(_processed.c.key, len(old) + 1)),
                reply=None,
            )
        ).rowcount
    return moved


def forget_replies(
    conn: Connection, *, before: datetime, sources: Iterable[tuple[int, int]] = ()
) -> int:
    """Blank the replies kept for updates carried out before ``before`` (aware UTC), and for
    the messages ``sources`` ((chat id, message id): the message and each of its edits), since
    replies can quote notes. The keys stay, so a redelivery still changes nothing. Returns how
    many replies were blanked."""
    kept = _processed.c.reply.is_not(None)
    blanked = conn.execute(
        update(_processed).where(kept, _processed.c.processed_at < before).values(reply=None)
    ).rowcount
    pairs = list(sources)
    for i in range(0, len(pairs), 100):
        keys = [f"m:{chat}:{message}" for chat, message in pairs[i : i + 100]]
        edits = [
            _processed.c.key.like(f"e:{chat}:{message}:%") for chat, message in pairs[i : i + 100]
        ]
        blanked += conn.execute(
            update(_processed)
            .where(kept, or_(_processed.c.key.in_(keys), *edits))
            .values(reply=None)
        ).rowcount
    return blanked
