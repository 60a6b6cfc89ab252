"""The wording of ``/scrutiny``: how many looks each team's figures received, by whom never."""

from __future__ import annotations

from organiser_bot.usecases.scrutiny import ScrutinyReport, TeamScrutiny

HEADING = (
    "Scrutiny: how often managers and admins looked at each team's figures ({period}). "
    "Everyone in the organisation sees this list. It never says who looked or what they saw."
)
NO_TEAMS = "No teams yet."
FOOTER = (
    "A look is one /totals, /team, /export, /diary @user or /measures answer from a manager or "
    "admin, counted once for each team it showed. /mydata shows who looked at your own figures."
)


def _looks(n: float) -> str:
    shown = f"{n:g}" if n == int(n) else f"{n:.1f}"
    return f"{shown} look{'' if n == 1 else 's'}"


def _team(t: TeamScrutiny) -> str:
    if not t.looks:
        return f"• {t.name} — no looks"
    people = f"{t.viewers} {'person' if t.viewers == 1 else 'people'}"
    commands = ", ".join(f"{look.value} {n}" for look, n in t.by_command)
    return f"• {t.name} — {_looks(t.looks)} by {people}: {commands}"


def scrutiny(report: ScrutinyReport) -> str:
    """The reply to ``/scrutiny``: one line per live team, most looked at first, then the
    median team. Plain text, one team a line, so :func:`handlers.replies.reply` can split it
    at line breaks."""
    blocks = [HEADING.format(period=report.period.label)]
    if not report.teams:
        blocks.append(NO_TEAMS)
        return "\n\n".join(blocks)
    blocks.append("\n".join(_team(t) for t in report.teams))
    blocks.append(f"Median team: {_looks(report.median)}.")
    blocks.append(FOOTER)
    return "\n\n".join(blocks)
