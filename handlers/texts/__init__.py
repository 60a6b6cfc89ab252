"""What the bot says: help by role, and the one wording of every refusal.

Feature modules beside this one word their own outcomes; a feature's own refusal types register
their wording with ``@refusal_text.register``.
"""

from __future__ import annotations

from functools import singledispatch

from organiser_bot.domain.access import Actor
from organiser_bot.domain.permissions import Who, permits, who_is
from organiser_bot.domain.refusals import (
    Action,
    NoManagedTeam,
    NotAMember,
    NotPermitted,
    Refusal,
    UnknownTeam,
)

NOT_A_MEMBER = (
    "Hi! This bot is for members of organising teams. To join, open the invite link your team's "
    "manager sent you, or ask them for one. Nothing you send is stored until you join."
)

START_NO_CODE = (
    "Welcome! To join your team, open the invite link your manager sent you "
    "(it looks like t.me/…?start=…). No link yet? Ask your team's manager for one."
)

MEMBER_HELP = """\
Log as you go — one entry per line: the kind, then any count, day or time, and a note:
  121 Sam Patel tenants assoc
  case 2 housing repair
  doors 14 yesterday evening
  2x121 Jo and Sam last fri
  121 Priya x3 this morning
  contacts 6 at 9:30
  121 Sam 3 days ago
  121 "Sam said today was bad"
Counts: doors 14, 121 x3, 3x 121, 2x121.
When: today, yesterday, mon, last fri, 3 days ago, 20/11, 2026-11-20, at 18:30, 9am,
this morning, tonight, last night, yesterday evening, mon morning. Nothing in the future.
Kinds: 121 (1-2-1, one to one, had a 121 with Sam), case, doors (contact).
"Quotes" keep words as the note. Or tap a button below.
Add #team to log a line to another of your teams, e.g. 121 Sam #north-ward.

/log <kind> [count] [when] [note] — log one entry
/undo — remove your last entry (or edit your message to correct it)
/week — your week against your targets
/diary [period] — your dated entries
/use <team> — the team you log to by default
/away <from> <to> — record an absence; targets are pro-rated
/pause, /resume — mute or unmute mid-week nudges
/mydata — what the bot holds about you; /forgetme erases it
/access — who holds which role in every team, granted by whom
Once a month (its last day) I ask whether you were active; tap Yes or No (until the 7th)
/scrutiny [period] — how often managers and admins looked at each team's figures (4w)
/measures [team|all] [period] — your team's rolling measures (contacts a week, 13 weeks' trend)
Periods: week, last, 4w, 13w, 2026-W47, 2026-11-01..2026-11-30"""

MANAGER_HELP = """\

Managing teams:
/newteam <name> — create a team
/invite <team> <role> [uses] [days] — invite link
  (roles: organiser, councillor, caseworker, manager)
/revoke <code> — withdraw an invite
/target <role|@user|member> <kind> <n|none|reset> [team] — set, clear or reset a weekly target
/totals [team|all|@user] [period] — totals against targets
/measures [team|all] [period] — rolling measures: one team per person, several a line each
/diary @user [period] — a member's days: counts, entries, times (notes: your teams only)
/team [team] — members and their roles
/residents <team> <number> — record the team area's residents (/residents lists them)
/active @user [month] [no] — mark a member active for a month; /active [team] lists answers
/remove <team> [@user] — end someone's membership (asks first; no @user: choose from a list)
/export [period] — entries as CSV
/ledger — when each team's digest went out
/status — the bot's uptime (7 and 30 days), last poll, last digest run, database health
In a team's group chat: /bind <team> (make it, or the topic you send it in, the team's chat),
/digest (preview this week), /totals (the team's week so far, counts only)"""

ORGANISER_HELP = (
    "\n\nThe monthly check-in:"
    "\n/active @user [month] [no] — mark a member active (e.g. lastmonth, 2026-10, october)"
    "\n/active [team] [month] — who answered, who didn't"
)

ADMIN_NOT_IN_TEAM = (
    "You're an admin but not in a team yet."
    "\n/access — who holds which role in every team, granted by whom"
    "\n/scrutiny [period] — how often managers and admins looked at each team's figures (4w)"
)

ADMIN_HELP = (
    "\nAs an admin you can do all of this for every team, and add kinds of activity:"
    "\n/newkind <name> [aliases…] — e.g. /newkind training train"
    "\n/statuschat in a group — it gets the bot's start, stop and failure notices"
    " (/statuschat off stops them)"
)


def help_text(actor: Actor) -> str:
    """The help a person sees, according to their role."""
    if who_is(actor) is Who.STRANGER:
        return NOT_A_MEMBER
    text = MEMBER_HELP if actor.is_member else ADMIN_NOT_IN_TEAM
    # The managers' requests that name no team (/newteam, /totals, ...) and the admins' /newkind.
    if permits(actor, Action.CREATE_TEAM, team_id=None):
        text += MANAGER_HELP
    elif any(permits(actor, Action.MARK_ACTIVE, team_id=tr.team_id) for tr in actor.teams):
        text += ORGANISER_HELP
    if permits(actor, Action.ADD_KIND, team_id=None):
        text += ADMIN_HELP
    return text


# The apology for a fault on the bot's side (the error handler sends it).
SORRY = "Sorry — something went wrong on my side and that wasn't done. Please try again shortly."
#: After the work committed and only its reply failed: what was done, never "wasn't done".
SAVED_NOT_SHOWN = "Your entries were saved, but I couldn't show the confirmation: /week shows them."
UNDONE_NOT_SHOWN = "That was undone, but I couldn't show the details: /week shows your entries now."
DONE_NOT_SHOWN = "That was done, but I couldn't show the full reply."
#: A report whose reply failed: nothing was changed, and the look was recorded (scrutiny).
NOT_SHOWN = (
    "Something went wrong on my side and I couldn't show you that. Please try again shortly."
)

NO_MANAGED_TEAM = "You don't manage any team yet."

#: Who may do what, as the refusal says it ("Only managers and admins can <this>.").
_ONLY_MANAGERS: dict[Action, str] = {
    Action.CREATE_TEAM: "Only managers and admins can create teams.",
    Action.INVITE: "Only managers and admins can invite people.",
    Action.REVOKE_INVITE: "Only the team's managers and admins can revoke its invites.",
    Action.BIND_CHAT: "Only managers and admins can bind a chat to a team.",
    Action.ADD_KIND: "Only admins can add kinds of activity.",
    Action.SET_TARGET: "Only managers and admins can set targets.",
    Action.SEE_TOTALS: "Only managers and admins can see team totals. /week shows yours.",
    Action.LIST_MEMBERS: "Only managers and admins can list a team's members.",
    Action.EXPORT: "Only managers and admins can export entries.",
    Action.PREVIEW_DIGEST: "Only managers and admins can post a preview. /week shows yours.",
    Action.SEE_LEDGER: "Only managers and admins can see the digest ledger.",
    Action.SEE_STATUS: "Only managers and admins can see the bot's status.",
    Action.SET_STATUS_CHAT: "Only admins can choose the chat for the bot's notices.",
    Action.SEE_MEMBER_DIARY: (
        "Only the team's managers and admins can see a member's diary. /diary shows yours."
    ),
    Action.SET_RESIDENTS: "Only the team's managers and admins can record its residents.",
    Action.MARK_ACTIVE: "Only the team's organisers, managers and admins can mark members active.",
    Action.CHECK_IN: "The monthly check-in is for members of a team: you aren't in one now.",
    Action.SEE_MEASURES: "The measures are for members of a team and admins.",
}

#: The same refusals when one team is meant.
_ONLY_TEAM_MANAGERS: dict[Action, str] = {
    Action.INVITE: "Only {team}'s managers and admins can invite people to it.",
    Action.BIND_CHAT: "Only {team}'s managers and admins can bind a chat to it.",
    Action.SET_TARGET: "You don't manage {team}.",
    Action.PREVIEW_DIGEST: (
        "Only {team}'s manager or an admin can post a preview. /week shows yours."
    ),
}


@singledispatch
def refusal_text(refusal: Refusal) -> str:
    """The short reply that tells a person why nothing was done."""
    return "That can't be done."


@refusal_text.register
def _(refusal: NotAMember) -> str:
    return NOT_A_MEMBER


@refusal_text.register
def _(refusal: NotPermitted) -> str:
    if refusal.team_name is not None and refusal.action in _ONLY_TEAM_MANAGERS:
        return _ONLY_TEAM_MANAGERS[refusal.action].format(team=refusal.team_name)
    return _ONLY_MANAGERS.get(refusal.action, "You can't do that.")


@refusal_text.register
def _(refusal: NoManagedTeam) -> str:
    return NO_MANAGED_TEAM


@refusal_text.register
def _(refusal: UnknownTeam) -> str:
    return f"You don't manage a team called {refusal.slug}."
