"""What the bot says about digests: /digest, /ledger, nudges, and the admins' failure summary.

The digest itself is worded by the domain (``organiser_bot.domain.digest``): every team gets the
same text.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.texts import refusal_text
from organiser_bot.usecases.digest_run import CATCH_UP_INTERVAL, MAX_ATTEMPTS, TeamFailure
from organiser_bot.usecases.digests import Behind, ChatNotBound, Nudge
from organiser_bot.usecases.ledger_report import (
    LedgerEntry,
    LedgerReport,
    LedgerState,
    LedgerWeek,
)

DIGEST_IN_PRIVATE = (
    "/digest works in a team's group chat: it posts the week so far there, for everyone "
    "in the team to see. /week shows your own week."
)

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@refusal_text.register
def _(refusal: ChatNotBound) -> str:
    return (
        "This chat isn't a team's chat yet. A manager can /bind <team> here; "
        "then /digest posts the week so far."
    )


# --- /ledger -------------------------------------------------------------------------------------


def ledger_text(report: LedgerReport) -> str:
    """``/ledger``: a header, then each week with a line per team, then the schedule."""
    tz = report.tz
    lines = [f"Digest ledger · last {len(report.weeks)} weeks · times {tz.key}"]
    for week in report.weeks:
        lines.append(f"{week.iso_week} ({week.monday.day} {week.monday:%b}){_spread(week)}")
        lines += [f"• {e.team_name}: {_ledger_status(e, report)}" for e in week.entries] or [
            "• no digest was due (no team had a chat)"
        ]
    if report.schedule is None:
        lines.append("The weekly digest is turned off (DIGEST_SCHEDULE=off).")
    else:
        lines.append(
            f"Template version now: {report.template_version}. Schedule: {report.schedule}."
        )
    return "\n".join(lines)


def _spread(week: LedgerWeek) -> str:
    """`` · 12 sent within 41 s``: how close together the week's digests went out."""
    if week.spread is None or week.sent == 0:
        return ""
    if week.sent == 1:
        return " · 1 sent"
    return f" · {week.sent} sent within {duration(week.spread)}"


def duration(span: timedelta) -> str:
    """A short span in words: ``0 s``, ``41 s``, ``3 min 5 s``, ``2 h 5 min``, ``1 day 3 h``."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _day(at: datetime, report: LedgerReport) -> str:
    local = at.astimezone(report.tz)
    return f"{_DAY_NAMES[local.weekday()]} {local.day} {local:%b}"


#: How /ledger words a lost chat's reason (``ChatLoss`` values).
_LOST_REASONS = {
    "removed": "the bot was removed from the group",
    "blocked": "the bot is not allowed to send messages in the group",
}


def _ledger_status(e: LedgerEntry, report: LedgerReport) -> str:
    tries = f"{e.attempts} attempt{'s' if e.attempts != 1 else ''}"
    error = e.error.splitlines()[0][:100] if e.error else ""
    match e.state:
        case LedgerState.SENT:
            assert e.sent_at is not None
            at = e.sent_at.astimezone(report.tz)
            return f"sent {_day(at, report)} {at:%H:%M} · template {e.template_version}"
        case LedgerState.FAILED:
            return f"failed ({tries}, will be retried){': ' + error if error else ''}"
        case LedgerState.GIVEN_UP:
            return f"given up ({tries}){': ' + error if error else ''}"
        case LedgerState.CHAT_LOST:
            why = _LOST_REASONS.get(e.lost_reason or "", "the bot lost the group")
            when = f" on {_day(e.lost_at, report)}" if e.lost_at is not None else ""
            return f"no chat: {why}{when}; a manager can /bind a group again"
        case LedgerState.SENDING:
            return f"sending ({tries})"
        case LedgerState.TURNED_OFF:
            return "not sent (digest turned off)"
        case LedgerState.NOT_DUE:
            return f"not due yet ({report.schedule})"
        case LedgerState.MISSING:
            return "missing"


# --- Nudges and failures -------------------------------------------------------------------------


def nudge_text(nudge: Nudge) -> str:
    """The private mid-week check-in: one line per kind behind, then how to see more or mute."""
    return (
        "Midweek check-in, just for you:\n"
        + "\n".join(_behind_line(b) for b in nudge.behind)
        + "\nThere's still time this week. /week shows where you are; /pause mutes these."
    )


def _behind_line(b: Behind) -> str:
    where = "" if b.team_name is None else f" ({b.team_name})"
    return (
        f"• {b.label}{where}: {b.done}/{b.target}, about {round(b.expected)} by today "
        "would be on pace"
    )


def failure_summary(iso_week: str, failures: list[TeamFailure]) -> str:
    """The private message admins get when teams' digests fail: each team once a week, at its
    first failure, with the plain reason and whether the bot will try again."""
    minutes = int(CATCH_UP_INTERVAL.total_seconds() // 60)
    teams = "1 team" if len(failures) == 1 else f"{len(failures)} teams"
    lines = [f"The weekly digest for {iso_week} could not be posted for {teams}:"]
    for f in failures:
        then = (
            f"the bot tries again every {minutes} minutes, up to {MAX_ATTEMPTS} attempts"
            if f.will_retry
            else "it will not be tried again this week"
        )
        lines.append(f"• {f.team}: {f.error[:200]}; {then}.")
    lines.append(
        "You will not be told about these teams again this week; /ledger shows how it ends."
    )
    return "\n".join(lines)
