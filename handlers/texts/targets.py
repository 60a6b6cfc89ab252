"""What the bot says about targets (``/target``) and when a manager chooses a member from a
list (``/target member …``, ``/remove <team>``, an @username several members hold)."""

from __future__ import annotations

from handlers.texts import refusal_text
from organiser_bot.domain.names import distinct_names, isolated
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.identities import (
    MemberChoice,
    NoOneToChoose,
    SeveralHold,
    StaleChoice,
    StaleReason,
    UnknownMember,
)
from organiser_bot.usecases.members import RemoveNeedsConfirm, RemovePick
from organiser_bot.usecases.targets import (
    Fallback,
    NotRoleOrMember,
    TargetChange,
    TargetOutOfRange,
    TargetPick,
    TargetSet,
    TargetUsage,
    TargetValue,
    UnknownKind,
)

TARGET_USAGE = (
    "Usage: /target <role|@user|member> <kind> <n|none|reset> [team]\n"
    "e.g. /target organiser 121 12 north-ward · /target @sam 121 5 · /target @sam 121 reset "
    "(back to the role's target) · /target @sam 121 none (no target; 0 is the same) · "
    "/target member 121 5 (choose from the team's members)"
)

#: Longest label on a member's button, in characters.
BUTTON_LABEL = 48


def _target(n: int | None) -> str:
    return f"{n} a week" if n else "none"


def _was(n: int | None) -> str:
    return f"was {n}" if n else "was none"


def target_set(outcome: TargetSet) -> str:
    """The reply to ``/target`` (or a member tapped): the target now, and what it was."""
    label = outcome.kind.label
    team = outcome.team_name or "every team"
    if isinstance(outcome.whose, Role):
        subject = f"The {label} target for {outcome.whose.value}s in {team}"
    else:
        subject = f"{outcome.whose}'s {label} target in {team}"
    role = outcome.role.value
    if outcome.change is TargetChange.RESET:
        if outcome.fallback is Fallback.ROLE:
            source = f"the {role} target"
        elif outcome.fallback is Fallback.EVERY_TEAM:
            source = f"the target for {role}s in every team"
        else:
            source = "the built-in default"
        now = f"{source}, {outcome.weekly if outcome.weekly else 'none'}"
        if not outcome.changed:
            return f"{subject} is already {now}: nothing to reset."
        return f"✓ {subject} is now {now} ({_was(outcome.was)})."
    if not outcome.changed:
        return f"{subject} is already {_target(outcome.weekly)}: nothing changed."
    if outcome.change is TargetChange.CLEAR:
        back = f"the {role} target" if not isinstance(outcome.whose, Role) else "the default"
        # Already none through the role (or the default): stored now, so it stays none.
        now = "none" if outcome.was else "none, as it was already"
        was = f" ({_was(outcome.was)})" if outcome.was else ""
        return (
            f"✓ {subject} is now {now}{was}. "
            f"(0 and none both mean no target; reset goes back to {back}.)"
        )
    return f"✓ {subject} is now {_target(outcome.weekly)} ({_was(outcome.was)})."


def member_labels(choice: MemberChoice) -> list[str]:
    """One button label per member offered: names told apart where equal, the team added when
    the members come from several teams, cut to :data:`BUTTON_LABEL` characters."""
    names = distinct_names([(m.person_id, m.display_name, m.username) for m in choice.members])
    several_teams = len({m.team_id for m in choice.members}) > 1
    labels = []
    for m in choice.members:
        # The name is cut, never what tells it apart: ``A very long na… (@sam)``.
        told_apart = names[m.person_id][len(m.display_name) :]
        tail = told_apart + (f" · {m.team_name}" if several_teams else "")
        marks = len(isolated(m.display_name)) - len(m.display_name)  # FSI and PDI, if any
        room = max(BUTTON_LABEL - len(tail) - marks, 2)
        name = m.display_name if len(m.display_name) <= room else m.display_name[: room - 1] + "…"
        label = isolated(name) + tail
        labels.append(label if len(label) <= BUTTON_LABEL else label[: BUTTON_LABEL - 1] + "…")
    return labels


def _cut(choice: MemberChoice, command: str) -> str:
    if not choice.cut:
        return ""
    return (
        f"\n{len(choice.members)} of {choice.total} shown: add part of a name to narrow the list, "
        f"e.g. {command} sam"
    )


def _value(value: TargetValue, role_word: str = "their role's target") -> str:
    if value.change is TargetChange.RESET:
        return f"goes back to {role_word}"
    if value.change is TargetChange.CLEAR:
        return "becomes none"
    return f"becomes {value.weekly} a week"


def target_pick(pick: TargetPick, *, team_slug: str | None = None) -> str:
    """The question above the members' buttons for ``/target``."""
    choice = pick.choice
    teams = {m.team_name for m in choice.members}
    where = f" in {next(iter(teams))}" if len(teams) == 1 else ""
    head = (
        f"Several members hold {choice.username}: tap the one you mean."
        if choice.username
        else "Tap the member whose target to change."
    )
    command = f"/target member {pick.kind.key} {pick.value.word} {team_slug or '<team>'}"
    return f"{head}\nTheir {pick.kind.label} target{where} {_value(pick.value)}." + _cut(
        choice, command
    )


def remove_pick(pick: RemovePick, *, team_slug: str) -> str:
    """The question above the members' buttons for ``/remove <team>``."""
    choice = pick.choice
    head = (
        f"Several members of {pick.team_name} hold {choice.username}: tap the one you mean."
        if choice.username
        else f"Tap the member whose membership of {pick.team_name} ends today."
    )
    return f"{head} You will be asked to confirm." + _cut(choice, f"/remove {team_slug}")


def remove_confirm(outcome: RemoveNeedsConfirm) -> str:
    """What ending a chosen member's membership does, above the button that confirms it."""
    day = outcome.last_day
    return (
        f"This ends {outcome.name}'s membership of {outcome.team_name}: today "
        f"({day:%a} {day.day} {day:%b}) is their last day, their targets stop after it, and "
        "past weeks still count their days. Their entries stay.\nTap below to go ahead."
    )


def remove_confirm_button(outcome: RemoveNeedsConfirm) -> str:
    """The label of the button that confirms ending a membership."""
    return f"End {outcome.name}'s membership"[:BUTTON_LABEL]


#: Said when a member's button is tapped after the list it belongs to went out of date.
STALE = {
    StaleReason.NOT_YOURS: "This list was sent to someone else.",
    StaleReason.GONE: "That member is no longer in a team you manage. Nothing was changed.",
    StaleReason.CHANGED: (
        "That target was changed since this list was sent. Nothing was changed: "
        "send the command again."
    ),
}


@refusal_text.register
def _(refusal: StaleChoice) -> str:
    return STALE[refusal.reason]


@refusal_text.register
def _(refusal: UnknownMember) -> str:
    return (
        f"No member {refusal.username} in a team you can act on. Check the spelling; /team "
        "lists a team's members with their @usernames (a member with none can be chosen from a "
        "list with /target member or /remove <team>)."
    )


@refusal_text.register
def _(refusal: SeveralHold) -> str:
    slugs = refusal.team_slugs
    where = slugs[0] if len(slugs) == 1 else "<team>"
    yours = f" ({', '.join(slugs)})" if len(slugs) > 1 else ""
    return (
        f"Several members hold {refusal.username}, so their figures are not shown as one. "
        f"/totals {where}{yours} shows each member by name."
    )


@refusal_text.register
def _(refusal: NoOneToChoose) -> str:
    if refusal.name:
        return f"No member of {refusal.team_name} matches {refusal.name!r}."
    return f"{refusal.team_name} has no members to choose from."


@refusal_text.register
def _(refusal: TargetUsage) -> str:
    return TARGET_USAGE


@refusal_text.register
def _(refusal: UnknownKind) -> str:
    return f"Unknown kind {refusal.word!r}. " + TARGET_USAGE


@refusal_text.register
def _(refusal: TargetOutOfRange) -> str:
    return (
        f"The target must be a whole number from 0 to {refusal.maximum}, none (no target) or "
        "reset (back to the role's target)."
    )


@refusal_text.register
def _(refusal: NotRoleOrMember) -> str:
    return f"{refusal.word!r} is neither a role, an @user nor member. " + TARGET_USAGE
