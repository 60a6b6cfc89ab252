"""The wording of ``/access``: every role held, who granted it and when, and the changes."""

from __future__ import annotations

from datetime import date

from organiser_bot.usecases.access import (
    AccessChange,
    AccessList,
    ChangeKind,
    HeldRole,
    How,
)

HEADING = "Who holds which role. Everyone in the organisation can see this list."
ADMINS = "Admins, granted by the configuration (ADMIN_TELEGRAM_IDS):"
NO_TEAMS = "No teams yet."
CHANGES = "Role changes and removals, newest first:"
NO_CHANGES = "No role changes or removals yet."
#: Who granted a role through an invite whose creator was forgotten since.
SOMEONE_FORGOTTEN = "a former member"


def _day(on: date, today: date) -> str:
    """``26 Nov``, with the year when it is not this year's."""
    text = f"{on.day} {on:%b}"
    return text if on.year == today.year else f"{text} {on.year}"


def _held(h: HeldRole, today: date) -> str:
    if h.how is How.INVITE:
        how = f"by {h.by or SOMEONE_FORGOTTEN}, {_day(h.on, today)}"
    elif h.how is How.CREATED_TEAM:
        how = f"created the team, {_day(h.on, today)}"
    else:
        how = f"grant not recorded, member since {_day(h.on, today)}"
    return f"• {h.name} — {h.role.value}, {how}"


def _change(c: AccessChange, today: date) -> str:
    by = f", by {c.by}" if c.by else ""
    if c.kind is ChangeKind.ROLE_CHANGED and c.before and c.after:
        what = f"{c.name}: {c.before.value} → {c.after.value} in {c.team_name}{by}"
    elif c.kind is ChangeKind.REMOVED:
        what = f"{c.name} removed from {c.team_name}" + (f" by {c.by}" if c.by else "")
    else:
        what = f"{c.name} left {c.team_name}"
    return f"• {_day(c.on, today)} · {what}"


def access_list(access: AccessList, *, today: date) -> str:
    """The reply to ``/access``: the admins, each team's roles, then the changes. Plain text,
    one line per person, so :func:`handlers.replies.reply` can split it at line breaks."""
    blocks = [HEADING]
    admins = [f"• {name}" for name in access.admins]
    if access.unseen_admins:
        n = access.unseen_admins
        unseen = "1 admin who hasn't" if n == 1 else f"{n} admins who haven't"
        admins.append(f"• {unseen} written to the bot yet")
    if admins:
        blocks.append("\n".join([ADMINS, *admins]))
    if not access.teams:
        blocks.append(NO_TEAMS)
    for team in access.teams:
        n = len(team.holders)
        head = f"{team.name} ({team.slug}) · {n} member{'' if n == 1 else 's'}"
        blocks.append("\n".join([head, *(_held(h, today) for h in team.holders)]))
    if access.changes:
        blocks.append("\n".join([CHANGES, *(_change(c, today) for c in access.changes)]))
    else:
        blocks.append(NO_CHANGES)
    return "\n\n".join(blocks)
