"""What ``/status``, ``/statuschat`` and the status chat's notices say."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.texts.digests import duration
from organiser_bot.domain.uptime import Stretch, Uptime
from organiser_bot.usecases.status import DatabaseHealth, LastDigest, StatusReport

STATUS_CHAT_IN_PRIVATE = (
    "Send /statuschat in the group that should get the bot's start, stop and failure notices "
    "(/statuschat off there stops them)."
)
STATUS_CHAT_SET = (
    "This chat now gets the bot's start, stop and failure notices. /statuschat off stops them."
)
STATUS_CHAT_OFF = "This chat no longer gets the bot's notices."
STATUS_CHAT_WAS_OFF = "This chat wasn't getting the bot's notices."
STATUS_CHAT_USAGE = (
    "Use /statuschat to get the bot's notices here, or /statuschat off to stop them."
)


def _when(at: datetime, tz: ZoneInfo, *, seconds: bool = False) -> str:
    local = at.astimezone(tz)
    return f"{local.day} {local:%b %H:%M}" + (f":{local:%S}" if seconds else "")


def percent(ratio: float) -> str:
    """``0.99987`` -> ``99.98%``: rounded down, so only a full window reads ``100%``."""
    if ratio >= 1.0:
        return "100%"
    return f"{math.floor(ratio * 10_000) / 100:.2f}%"


def _uptime_line(label: str, up: Uptime, asked: timedelta, tz: ZoneInfo) -> str:
    if up.ratio is None:
        return f"{label}: no heartbeat recorded yet"
    parts = [percent(up.ratio)]
    if up.outages:
        spells = "1 outage" if up.outages == 1 else f"{up.outages} outages"
        parts.append(f"{spells}, longest {duration(up.longest_outage)}")
    if up.span < asked - timedelta(minutes=1):
        parts.append(f"since {_when(up.since, tz)} (first record)")
    return f"{label}: " + " · ".join(parts)


def _digest_line(last: LastDigest | None, tz: ZoneInfo) -> str:
    if last is None:
        return "Last digest run: none in the last 5 weeks"
    parts = [last.iso_week]
    if last.first is not None and last.spread is not None:
        within = "" if last.sent == 1 else f" within {duration(last.spread)}"
        parts.append(f"{last.sent} sent{within}, first {_when(last.first, tz)}")
    else:
        parts.append("none sent")
    if last.failed:
        parts.append(f"{last.failed} failed (/ledger)")
    return "Last digest run: " + " · ".join(parts)


def size(n: int) -> str:
    """Bytes in short: ``812 kB``, ``8.1 MB``, ``1.2 GB``."""
    if n < 1_000_000:
        return f"{max(1, round(n / 1000))} kB"
    if n < 1_000_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1_000_000_000:.1f} GB"


def _database_line(db: DatabaseHealth) -> str:
    ms = db.round_trip.total_seconds() * 1000
    parts = [db.backend, f"round trip {ms:.1f} ms"]
    if db.size_bytes is not None:
        parts.append(size(db.size_bytes))
    return "Database: " + " · ".join(parts)


def status_text(report: StatusReport) -> str:
    """``/status``: one line each, times in the bot's zone."""
    tz, now = report.tz, report.now
    lines = [
        f"Status · {_when(now, tz)} {tz.key}",
        _uptime_line("Uptime, 7 days", report.week, timedelta(days=7), tz),
        _uptime_line("Uptime, 30 days", report.month, timedelta(days=30), tz),
    ]
    if report.running_since is not None:
        up_for = duration(max(now - report.running_since, timedelta(0)))
        lines.append(f"Running since {_when(report.running_since, tz)} ({up_for})")
    if report.last_poll is None:
        lines.append("Last poll: none recorded yet")
    else:
        ago = duration(max(now - report.last_poll, timedelta(0)))
        lines.append(f"Last poll: {_when(report.last_poll, tz, seconds=True)} ({ago} ago)")
    lines.append(_digest_line(report.last_digest, tz))
    lines.append(_database_line(report.database))
    if report.status_chat is None:
        lines.append("Status chat: none (an admin sends /statuschat in a group to choose one)")
    else:
        lines.append(f"Status chat: {report.status_chat or 'set'}")
    return "\n".join(lines)


def started_text(now: datetime, tz: ZoneInfo, previous: Stretch | None) -> str:
    """The status chat's notice of a start: when, and how the run before ended."""
    head = f"Bot started at {_when(now, tz)} {tz.key}."
    if previous is None:
        return f"{head} No earlier run is recorded."
    down = duration(max(now - previous.beat, timedelta(0)))
    if previous.stopped:
        return f"{head} It stopped cleanly at {_when(previous.beat, tz)}; down {down}."
    return (
        f"{head} It did not stop cleanly: last heard of at {_when(previous.beat, tz)}; "
        f"down about {down}."
    )


def stopped_text(now: datetime, tz: ZoneInfo) -> str:
    """The status chat's notice of a clean stop."""
    return f"Bot stopping cleanly at {_when(now, tz)} {tz.key}."


def error_text(kind: str) -> str:
    """The status chat's notice of an unexpected error while handling an update or a job;
    ``kind`` is the error's class name. Nothing about who or what (the admins are told that,
    privately); an error of the same kind is told at most once an hour."""
    return (
        f"Something went wrong on the bot's side ({kind}). The admins were told the details, "
        "privately. The same error is reported at most once an hour."
    )


def digest_failed_text(iso_week: str, teams: int) -> str:
    """The status chat's notice of a digest run with failures; no team is named (the admins
    are told which, privately)."""
    count = "1 team" if teams == 1 else f"{teams} teams"
    return (
        f"The weekly digest for {iso_week} could not be posted for {count}. The admins were "
        "told which, privately; /ledger shows how it ends."
    )
