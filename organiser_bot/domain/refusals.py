"""Refusals: typed reasons a use case declined to act. Raised by guards, worded by the adapter.

A refusal is raised inside a use case's transaction, so the transaction rolls back and nothing
changes. The adapter turns it into one short reply in one place (``handlers.texts.refusal_text``),
so a handler never branches on reply text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Refusal(Exception):
    """A use case declined to act; nothing was changed."""


class NotAMember(Refusal):
    """The person belongs to no team (and is not an admin where that would do)."""


class Action(StrEnum):
    """Things only some roles may do; a :class:`NotPermitted` names the one refused."""

    CREATE_TEAM = "create_team"
    INVITE = "invite"
    REVOKE_INVITE = "revoke_invite"
    BIND_CHAT = "bind_chat"
    ADD_KIND = "add_kind"
    SET_TARGET = "set_target"
    SEE_TOTALS = "see_totals"
    LIST_MEMBERS = "list_members"
    EXPORT = "export"
    PREVIEW_DIGEST = "preview_digest"
    SEE_LEDGER = "see_ledger"


@dataclass
class NotPermitted(Refusal):
    """The person's role does not allow ``action`` (in ``team_name``, when one team is meant)."""

    action: Action
    team_name: str | None = None


class NoManagedTeam(Refusal):
    """A manager-only request from a manager or admin who manages no team yet."""


@dataclass
class UnknownTeam(Refusal):
    """No team the person may act on is called ``slug``."""

    slug: str
