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
    """Everything a person can ask of the bot: each command and button, as
    :data:`organiser_bot.domain.permissions.PERMISSIONS` rules on it. A :class:`NotPermitted`
    names the one refused."""

    # Anyone, in a private chat
    START = "start"
    HELP = "help"
    SEE_OWN_DATA = "see_own_data"
    FORGET_ME = "forget_me"
    # Members, in a private chat, on their own teams
    USE_TEAM = "use_team"
    LOG = "log"
    QUICK_LOG = "quick_log"
    EDIT_ENTRY = "edit_entry"
    UNDO = "undo"
    UNDO_BUTTON = "undo_button"
    SEE_WEEK = "see_week"
    SEE_DIARY = "see_diary"
    RECORD_ABSENCE = "record_absence"
    PAUSE_NUDGES = "pause_nudges"
    RESUME_NUDGES = "resume_nudges"
    # Anyone in the organisation: who holds which role, granted by whom; how often each
    # team's figures were looked at; the answer to one's own monthly check-in
    SEE_ACCESS = "see_access"
    SEE_SCRUTINY = "see_scrutiny"
    CHECK_IN = "check_in"
    # Members on their own team's aggregate measures; managers per person too
    SEE_MEASURES = "see_measures"
    # Managers and admins
    CREATE_TEAM = "create_team"
    INVITE = "invite"
    REVOKE_INVITE = "revoke_invite"
    SET_TARGET = "set_target"
    SEE_TOTALS = "see_totals"
    SEE_MEMBER_DIARY = "see_member_diary"
    SET_RESIDENTS = "set_residents"
    MARK_ACTIVE = "mark_active"
    LIST_MEMBERS = "list_members"
    REMOVE_MEMBER = "remove_member"
    REMOVE_ONESELF = "remove_oneself"
    EXPORT = "export"
    SEE_LEDGER = "see_ledger"
    SEE_STATUS = "see_status"
    ADD_KIND = "add_kind"
    # In a team's group chat
    BIND_CHAT = "bind_chat"
    PREVIEW_DIGEST = "preview_digest"
    GROUP_TOTALS = "group_totals"
    GROUP_HELP = "group_help"
    SET_STATUS_CHAT = "set_status_chat"
    # Not a command: whether a reply may name a team (its display name) to this person
    SEE_TEAM_NAME = "see_team_name"


@dataclass
class NotPermitted(Refusal):
    """The person's role does not allow ``action`` (in ``team_name``, when one team is meant and
    the person may see its name: see :func:`organiser_bot.usecases.guards.require_manages`)."""

    action: Action
    team_name: str | None = None


class NoManagedTeam(Refusal):
    """A manager-only request from a manager or admin who manages no team yet."""


@dataclass
class UnknownTeam(Refusal):
    """No team the person may act on is called ``slug``."""

    slug: str
