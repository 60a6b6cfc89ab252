"""The weekly schedule: a weekday and a local time, and when a week's digest is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from organiser_bot.domain.periods import local_date, to_utc, week_monday

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE_RE = re.compile(r"^\s*([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
_WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """A weekday and local time, e.g. Monday 09:00."""

    weekday: int  # 0 = Monday
    at: time

    @classmethod
    def parse(cls, text: str) -> WeeklySchedule:
        """Parse ``mon 09:00``; raise ValueError with a short reason otherwise."""
        match = _SCHEDULE_RE.match(text)
        if not match or match.group(1).lower() not in WEEKDAYS:
            raise ValueError(f"expected a weekday and a time such as 'mon 09:00', got {text!r}")
        hour, minute = int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r} is not a valid time of day")
        return cls(WEEKDAYS.index(match.group(1).lower()), time(hour, minute))

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at:%H:%M}"


def scheduled_at(monday: date, schedule: WeeklySchedule, tz: ZoneInfo) -> datetime:
    """The UTC instant of the week's scheduled slot (e.g. Monday 09:00 local).

    A slot in the spring-forward gap moves forward by the gap (Sun 01:30 -> 02:30 BST); an
    ambiguous slot in the autumn is its first occurrence. This is how APScheduler's cron trigger
    resolves the same wall time, so the job and this rule agree.
    """
    return to_utc(week_monday(monday) + timedelta(days=schedule.weekday), schedule.at, tz)


def due_week(now: datetime, schedule: WeeklySchedule, tz: ZoneInfo) -> date | None:
    """The Monday of the week whose digest is due at ``now``, or None before this week's slot.

    The digest is always for the last completed week (the week before the one ``now`` falls in,
    in ``tz``), and it is due from this week's slot onwards. A bot that was down at the slot sends
    it on start; a week that passed entirely while the bot was down is not sent late.
    """
    this_monday = week_monday(local_date(now, tz))
    if now < scheduled_at(this_monday, schedule, tz):
        return None
    return this_monday - _WEEK


def week_slot(monday: date, schedule: WeeklySchedule, tz: ZoneInfo) -> datetime:
    """The UTC instant the digest of the week starting ``monday`` is due: the slot in the week
    after it (:func:`scheduled_at` of the next Monday)."""
    return scheduled_at(week_monday(monday) + _WEEK, schedule, tz)


def digest_due_for_chat(
    bound_at: datetime, monday: date, schedule: WeeklySchedule, tz: ZoneInfo
) -> bool:
    """Whether a chat bound at ``bound_at`` (aware) is owed the digest of the week starting
    ``monday``: only when it was bound at or before that week's slot (:func:`week_slot`).

    A chat bound after the slot (say on the Sunday before the next one) gets nothing until the
    next slot, so a late binding never brings an off-schedule digest; a slot missed while the bot
    was down is still owed to every chat bound by then. The digest run and ``/ledger`` both ask
    this, so they agree on what was due.
    """
    return bound_at <= week_slot(monday, schedule, tz)
