"""What the bot says about teams, invites, joining, binding chats and new kinds of activity."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.texts import refusal_text
from organiser_bot.domain.kinds import Kind
from organiser_bot.domain.names import isolated
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.onboarding import (
    MAX_KIND_WORD,
    MAX_TEAM_NAME,
    AlreadyInTeam,
    BadKindAliases,
    BadKindName,
    BindUsage,
    ChatBound,
    ChatTaken,
    DefaultTeam,
    DefaultTeamSet,
    InviteAlreadyRevoked,
    InviteCreated,
    InviteLimits,
    InviteProblem,
    InviteRevoked,
    InviteUnusable,
    InviteUsage,
    Joined,
    KindNameTaken,
    KindUsage,
    NoSuchInvite,
    NoTeamCalled,
    NoTeamToInvite,
    NoTeamYet,
    NotInTeam,
    TeamCreated,
    TeamExists,
    TeamNameInvalid,
    UnknownRole,
)

NEWTEAM_USAGE = "Usage: /newteam <name>, e.g. /newteam North Ward"
INVITE_USAGE = "Usage: /invite <team> <role> [uses] [days], e.g. /invite north-ward organiser 5"
REVOKE_USAGE = "Usage: /revoke <code>"
BIND_USAGE = "Usage: /bind <team>, in the team's group chat."
BIND_IN_PRIVATE = "Use /bind <team> in the team's group chat, not here."
NEWKIND_USAGE = "Usage: /newkind <name> [aliases…], e.g. /newkind training train tr"

_ASK_FOR_INVITE = "Ask your team's manager for a new invite link."
_INVITE_PROBLEMS: dict[InviteProblem, str] = {
    InviteProblem.INVALID: "That invite code isn't valid.",
    InviteProblem.WITHDRAWN: "That invite was withdrawn.",
    InviteProblem.EXPIRED: "That invite has expired.",
    InviteProblem.USED_UP: "That invite has already been used.",
}


#: How many of a person's teams a reply lists by name; the rest are counted. Short names are at
#: most 64 characters, so the list stays far inside Telegram's 4,096 however many teams there are.
LISTED_TEAMS = 20
#: How much of a name the person typed a refusal repeats back.
ECHOED_CHARS = 64


def team_list(slugs: Sequence[str], *, tags: bool = False) -> str:
    """The person's teams by short name, ``a, b and 3 more`` past :data:`LISTED_TEAMS`.

    Args:
        slugs: The short names, in the order to list them.
        tags: Write each as a ``#tag`` (``#north-ward``).
    """
    names = [f"#{slug}" if tags else slug for slug in slugs[:LISTED_TEAMS]]
    listed = ", ".join(names)
    if len(slugs) > LISTED_TEAMS:
        listed += f" and {len(slugs) - LISTED_TEAMS} more"
    return listed


def echoed(typed: str) -> str:
    """What the person typed, cut to :data:`ECHOED_CHARS` characters (``…`` when cut)."""
    return typed if len(typed) <= ECHOED_CHARS else typed[: ECHOED_CHARS - 1] + "…"


def invite_link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot with ``/start <code>``."""
    return f"https://t.me/{bot_username}?start={code}"


def team_created(outcome: TeamCreated) -> str:
    """The reply to ``/newteam``, with the next steps."""
    return (
        f"✓ Team {outcome.name} created (short name: {outcome.slug}).\n"
        f"Next: /invite {outcome.slug} organiser — and in the team's group chat, "
        f"/bind {outcome.slug}"
    )


def invite_created(outcome: InviteCreated, *, bot_username: str) -> str:
    """The reply to ``/invite``: who it admits, the link, and how to revoke it."""
    plural = "person" if outcome.uses == 1 else "people"
    link = invite_link(bot_username, outcome.code)
    return (
        f"Invite to {outcome.team_name} as {outcome.role.value}, for {outcome.uses} {plural}, "
        f"valid {outcome.days} days:\n"
        f"{link}\nCode: {outcome.code} (revoke with /revoke {outcome.code})"
    )


def invite_revoked(outcome: InviteRevoked) -> str:
    """The reply to ``/revoke``."""
    return f"✓ Invite {outcome.code} to {outcome.team_name} revoked."


def joined(outcome: Joined) -> str:
    """The welcome after ``/start <code>`` (the help follows it); joining a further team says
    where entries go and how to change that."""
    text = f"Welcome to {outcome.team_name}! You're in as {outcome.role.value}."
    if (still := outcome.still_logs_to) is None:
        return text
    slug = still.joined_slug
    return (
        f"{text}\nYour entries still go to {still.team_name}. /use {slug} makes "
        f"{outcome.team_name} your default; #{slug} on a line logs just that line there."
    )


def chat_bound(outcome: ChatBound) -> str:
    """The reply to ``/bind`` in a group: where the digest goes now, and which binding ended."""
    team = outcome.team_name
    if outcome.topic:
        text = f"✓ This topic is now {team}'s chat. The weekly digest will be posted in this topic."
    else:
        text = f"✓ This chat is now {team}'s chat. The weekly digest will be posted here."
    if outcome.took_from is not None:
        text += (
            f"\nIt was {outcome.took_from}'s chat until now: that binding has ended, and "
            f"{outcome.took_from} gets no digest until it binds another group."
        )
        if outcome.took_from_managers:
            text += f" {outcome.took_from}'s managers have been told."
    if outcome.left_chat:
        group = f'"{outcome.left_chat_title}"' if outcome.left_chat_title else "group"
        text += f"\n{team}'s previous {group} no longer receives its digest."
    return text


def chat_taken_notice(outcome: ChatBound, *, by: str) -> str:
    """The private message to each manager of the team whose group was bound to another team."""
    old = outcome.took_from
    return (
        f"{by} bound {old}'s group chat to {outcome.team_name}. {old}'s weekly digest no "
        f"longer goes there, and none will be posted until it has a group again: send "
        f"/bind {outcome.took_from_slug} in the team's group."
    )


def default_team(outcome: DefaultTeam | DefaultTeamSet) -> str:
    """The reply to ``/use``: the team entries go to, or the newly chosen one."""
    if isinstance(outcome, DefaultTeamSet):
        return f"✓ Entries now go to {outcome.team_name}. Add #team to a line to log it elsewhere."
    names = team_list(outcome.slugs)
    return f"You log to {outcome.current or '-'}. Your teams: {names}. /use <team>"


def kind_added(kind: Kind) -> str:
    """The reply to ``/newkind``: how to log the new kind and set its targets."""
    words = ", ".join((kind.key, *kind.aliases))
    return (
        f"✓ New kind: {kind.label} ({words}). Log it like: {kind.key} 2 note. "
        f"Set targets with /target <role> {kind.key} <n>."
    )


@refusal_text.register
def _(refusal: TeamNameInvalid) -> str:
    return (
        f"Give the team a name of up to {MAX_TEAM_NAME} characters with a letter or digit in it "
        "(letters of any script count; emoji and punctuation alone don't), "
        "e.g. /newteam North Ward"
    )


@refusal_text.register
def _(refusal: TeamExists) -> str:
    named = f" {isolated(refusal.name)} with the short name" if refusal.name else ""
    text = f"A team called{named} {refusal.slug} already exists. Give yours a name of its own"
    if refusal.suggestion is None:
        return text + "."
    return f"{text}, e.g. /newteam {refusal.suggestion}"


@refusal_text.register
def _(refusal: NoTeamCalled) -> str:
    return f"No team called {refusal.name} that you can see."


@refusal_text.register
def _(refusal: NoTeamToInvite) -> str:
    return f"No team called {refusal.name} that you can see. {INVITE_USAGE}"


@refusal_text.register
def _(refusal: InviteUsage) -> str:
    return INVITE_USAGE


@refusal_text.register
def _(refusal: UnknownRole) -> str:
    roles = ", ".join(r.value for r in Role)
    return f"Unknown role {refusal.word!r}. Roles: {roles}."


@refusal_text.register
def _(refusal: InviteLimits) -> str:
    return f"Uses must be 1–{refusal.max_uses} and days 1–{refusal.max_days}."


@refusal_text.register
def _(refusal: NoSuchInvite) -> str:
    return "No such invite code."


@refusal_text.register
def _(refusal: InviteAlreadyRevoked) -> str:
    return "That invite was already revoked."


@refusal_text.register
def _(refusal: InviteUnusable) -> str:
    return f"{_INVITE_PROBLEMS[refusal.problem]} {_ASK_FOR_INVITE}"


@refusal_text.register
def _(refusal: AlreadyInTeam) -> str:
    return f"You're already in {refusal.team_name} as {refusal.role.value}."


@refusal_text.register
def _(refusal: BindUsage) -> str:
    return BIND_USAGE


@refusal_text.register
def _(refusal: ChatTaken) -> str:
    return (
        f"This group is {refusal.current}'s chat. Binding it to {refusal.wanted} would end "
        f"that, so it needs someone who manages both teams, or an admin. Nothing changed."
    )


@refusal_text.register
def _(refusal: NoTeamYet) -> str:
    return "You're not in a team yet."


@refusal_text.register
def _(refusal: NotInTeam) -> str:
    return f"You're not in {echoed(refusal.name)}. Your teams: {team_list(refusal.slugs)}."


@refusal_text.register
def _(refusal: KindUsage) -> str:
    return NEWKIND_USAGE


@refusal_text.register
def _(refusal: BadKindName) -> str:
    return (
        f"A kind's name is 2–{MAX_KIND_WORD} letters, digits or _, starting with a letter. "
        + NEWKIND_USAGE
    )


@refusal_text.register
def _(refusal: KindNameTaken) -> str:
    return f"{', '.join(refusal.words)} already names a kind."


@refusal_text.register
def _(refusal: BadKindAliases) -> str:
    return f"Aliases are words of up to {MAX_KIND_WORD} characters, not numbers. " + NEWKIND_USAGE
