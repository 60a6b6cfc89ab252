"""What the bot says about digests: /digest, /ledger, nudges, and the admins' failure summary.

The digest itself is worded by the domain (``organiser_bot.domain.digest``): every team gets the
same text.
"""

from __future__ import annotations

from handlers.texts import refusal_text
from organiser_bot.usecases.digest_run import CATCH_UP_INTERVAL, MAX_ATTEMPTS, DigestRunReport
from organiser_bot.usecases.digests import Behind, ChatNotBound, Nudge
from organiser_bot.usecases.ledger_report import LedgerEntry, LedgerReport, LedgerState

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
        lines.append(f"{week.iso_week} ({week.monday.day} {week.monday:%b})")
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


def _ledger_status(e: LedgerEntry, report: LedgerReport) -> str:
    tries = f"{e.attempts} attempt{'s' if e.attempts != 1 else ''}"
    match e.state:
        case LedgerState.SENT:
            assert e.sent_at is not None
            at = e.sent_at.astimezone(report.tz)
            when = f"{_DAY_NAMES[at.weekday()]} {at.day} {at:%b %H:%M}"
            return f"sent {when} · template {e.template_version}"
        case LedgerState.FAILED:
            error = e.error.splitlines()[0][:60] if e.error else ""
            return f"failed ({tries}){': ' + error if error else ''}"
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


def failure_summary(report: DigestRunReport) -> str:
    """The private message admins get after a digest run with failures."""
    lines = [
        f"Weekly digest {report.iso_week}: {len(report.failed)} team(s) failed, "
        f"{len(report.sent)} sent in this run."
    ]
    for f in report.failed:
        then = (
            f"will be retried within {int(CATCH_UP_INTERVAL.total_seconds() // 60)} minutes"
            if f.will_retry
            else f"given up after {MAX_ATTEMPTS} attempts"
        )
        lines.append(f"• {f.team}: {f.error[:200]} ({then})")
    lines.append("/ledger shows every team's digest.")
    return "\n".join(lines)
