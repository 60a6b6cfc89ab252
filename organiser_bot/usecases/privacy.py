"""A person's own data: ``/mydata`` shows everything the bot holds about them, ``/forgetme``
erases or anonymises all of it, leaving their teams' figures as they were.

What is held, and how each table is forgotten, is decided in :mod:`storage.privacy`; the
refusals particular to these commands are defined here and worded by the adapter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.refusals import Refusal
from organiser_bot.usecases.actors import read_only
from storage import audit
from storage import privacy as privacy_store
from storage.privacy import HeldCheckin, Looker, PersonData

__all__ = [
    "FORGET_CONFIRM",
    "ForgetNeedsConfirm",
    "Forgotten",
    "HeldCheckin",
    "Looker",
    "MyData",
    "NothingHeld",
    "forget_me",
    "my_data",
]

#: The one argument that makes ``/forgetme`` go ahead.
FORGET_CONFIRM = "confirm"

#: What ``/mydata`` shows: everything stored about the caller, as stored.
MyData = PersonData


@dataclass(frozen=True, slots=True)
class ForgetNeedsConfirm:
    """``/forgetme`` without ``confirm``: nothing was done; the person is told what it would do."""


@dataclass(frozen=True, slots=True)
class Forgotten:
    """Everything held about the person was erased or anonymised; their ``entries`` live
    entries stay in their teams' totals as an anonymous former member's."""

    entries: int


class NothingHeld(Refusal):
    """``/forgetme`` from someone the bot holds nothing about."""


@read_only
def my_data(
    conn: Connection, actor: Actor, *, admin_ids: Iterable[int], moment: Moment
) -> MyData | None:
    """``/mydata``: everything the bot holds about the caller, from every table that refers to
    them (:data:`storage.privacy.REFERENCES`), as stored, never Telegram's live profile; and
    who looked at their figures (the scrutiny ledger), shown to them alone.

    Args:
        admin_ids: The Telegram user ids in ``ADMIN_TELEGRAM_IDS`` (who looked as an admin).
        moment: Its zone dates the looks and decides on which days they were a member.

    Returns:
        None when the bot holds nothing about them (no person stored, or forgotten: a
        forgotten person's row no longer carries their Telegram user id).
    """
    if actor.person_id is None:
        return None
    return privacy_store.held(conn, actor.person_id, tz=moment.tz, admin_ids=admin_ids)


def forget_me(
    conn: Connection, actor: Actor, args: list[str], *, moment: Moment
) -> ForgetNeedsConfirm | Forgotten:
    """``/forgetme``: erase or anonymise everything held about the actor.

    Asks first; ``/forgetme confirm`` does it (:func:`storage.privacy.forget_person`): notes
    erased; name, username and Telegram user id replaced, so their person row is an anonymous
    "former member"; memberships still current end today. Their entries, running totals,
    ended memberships and absences (up to today) stay under that row, so every team's totals,
    digests and trend keep the same counts, with them listed as "former member". Targets set
    for them alone stay on that row too, so past weeks' targets (and the cross-team median)
    are as before; nudges are deleted. What they set, created or did is kept without their
    identity. Writing again later makes them someone new to the bot, and so does a redelivery
    of an update they sent before. The audit trail records that a person was forgotten, and
    how many entries stayed in the totals.

    Args:
        args: The command's words; exactly ``confirm`` (any case) goes ahead.

    Returns:
        :class:`ForgetNeedsConfirm` without the confirmation, else :class:`Forgotten`.

    Raises:
        NothingHeld: the bot holds nothing about the actor.
    """
    if actor.person_id is None:
        raise NothingHeld()
    if [a.lower() for a in args] != [FORGET_CONFIRM]:
        return ForgetNeedsConfirm()
    kept = privacy_store.forget_person(conn, actor.person_id, now=moment.now, today=moment.today)
    audit.record(
        conn,
        at=moment.now,
        actor=None,
        action="forget",
        entity="person",
        entity_id=actor.person_id,
        entries=kept,
    )
    return Forgotten(kept)
