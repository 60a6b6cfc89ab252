"""Digest rules that need no database: the content hash, and when a week's digest is due."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from organiser_bot.domain.digest import content_hash
from organiser_bot.domain.schedule import WeeklySchedule, due_week, scheduled_at

LONDON = ZoneInfo("Europe/London")


def test_content_hash_is_sha256_of_all_parts() -> None:
    one = content_hash("text", [b"a", b"b"])
    assert len(one) == 64 and one == content_hash("text", [b"a", b"b"])
    assert one != content_hash("text", [b"ab", b""])
    assert one != content_hash("texta", [b"b"])


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Monday 09:00 London is 09:00 UTC in winter ...
        (datetime(2026, 11, 23, 8, 59, tzinfo=UTC), None),
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), date(2026, 11, 16)),
        (datetime(2026, 11, 29, 23, 59, tzinfo=UTC), date(2026, 11, 16)),
        # ... and 08:00 UTC in summer.
        (datetime(2026, 6, 1, 7, 59, tzinfo=UTC), None),
        (datetime(2026, 6, 1, 8, 0, tzinfo=UTC), date(2026, 5, 25)),
        # Sunday 23:30 UTC in summer is already Monday 00:30 BST: a new week, not yet due.
        (datetime(2026, 6, 7, 23, 30, tzinfo=UTC), None),
    ],
)
def test_due_week_is_the_last_completed_week_from_the_local_slot(
    now: datetime, expected: date | None
) -> None:
    assert due_week(now, WeeklySchedule.parse("mon 09:00"), LONDON) == expected


def test_slots_in_the_dst_gap_and_overlap_resolve_like_apscheduler() -> None:
    sched = WeeklySchedule.parse("sun 01:30")
    # 2027-03-28 01:30 does not exist in London: it becomes 02:30 BST = 01:30 UTC.
    assert scheduled_at(date(2027, 3, 22), sched, LONDON) == datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC
    )
    # 2026-10-25 01:30 happens twice: the first, 01:30 BST = 00:30 UTC.
    assert scheduled_at(date(2026, 10, 19), sched, LONDON) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
