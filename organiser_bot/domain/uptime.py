"""Uptime over a window, from the stretches the bot recorded running (its heartbeat).

A stretch runs from its start to its last beat (beats come every :data:`BEAT` while the bot
runs). Between the end of one stretch and the next start (or now) the bot counts as up when
that gap is at most the tolerance (a few beats: a late beat or a quick restart) and the stretch
was not stopped on purpose; otherwise the whole gap is down. Overlapping stretches (two
processes) count once. The window starts no earlier than the first stretch ever recorded: time
before the bot was installed is not downtime.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

#: How often a running bot records a beat.
BEAT = timedelta(minutes=1)
#: A gap of more than this many beats between beats (or from the last beat to now) is down.
TOLERATED_BEATS = 3


@dataclass(frozen=True, slots=True)
class Stretch:
    """The bot running from ``start`` to its last beat ``beat`` (aware UTC, ``start <= beat``);
    ``stopped`` when it ended with a clean shutdown."""

    start: datetime
    beat: datetime
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class Uptime:
    """Uptime over one window.

    Attributes:
        since: Where the window starts: the asked start, or the first stretch if later.
        until: Where it ends (now).
        up: Time up within it.
        outages: Separate spells of down time within it.
        longest_outage: The longest of them (zero when none).
    """

    since: datetime
    until: datetime
    up: timedelta
    outages: int
    longest_outage: timedelta

    @property
    def span(self) -> timedelta:
        """The window's length (zero when nothing was recorded before ``until``)."""
        return max(self.until - self.since, timedelta(0))

    @property
    def ratio(self) -> float | None:
        """``up / span`` in [0, 1], or None for an empty window."""
        if self.span <= timedelta(0):
            return None
        return min(self.up / self.span, 1.0)


def up_intervals(
    stretches: Iterable[Stretch], *, now: datetime, tolerance: timedelta
) -> list[tuple[datetime, datetime]]:
    """The times the bot counts as up, as sorted disjoint ``(start, end)`` pairs up to ``now``.

    Each stretch is up from its start to its last beat; the gap after it (to the next start
    after its last beat, or to ``now``) is up too when it is at most ``tolerance`` and the
    stretch was not stopped.
    """
    ordered = sorted(stretches, key=lambda s: s.start)
    starts = [s.start for s in ordered]
    raw: list[tuple[datetime, datetime]] = []
    for s in ordered:
        end = s.beat
        if not s.stopped:
            i = bisect_right(starts, s.beat)
            nxt = min(starts[i], now) if i < len(starts) else now
            if s.beat <= nxt and nxt - s.beat <= tolerance:
                end = nxt
        start, end = s.start, min(end, now)
        if start < end:
            raw.append((start, end))
    return merge(raw)


def merge(intervals: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """``intervals`` as sorted disjoint pairs (touching ones joined)."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def uptime(
    stretches: Sequence[Stretch],
    *,
    since: datetime,
    now: datetime,
    tolerance: timedelta = BEAT * TOLERATED_BEATS,
) -> Uptime:
    """Uptime from ``since`` to ``now`` (aware UTC), by the rules in the module docstring.

    Args:
        stretches: What the heartbeat recorded: every stretch reaching ``since``, and the one
            before (its gap may reach into the window).
        since: The window's asked start; moved to the first stretch's start when that is later.
        now: The window's end.
        tolerance: The longest gap after a last beat still counted as up.

    Returns:
        The uptime; with no stretch at all, an empty window at ``now``.
    """
    if not stretches:
        return Uptime(now, now, timedelta(0), 0, timedelta(0))
    first = min(s.start for s in stretches)
    begin = min(max(since, first), now)
    up = timedelta(0)
    downs: list[timedelta] = []
    cursor = begin
    for start, end in up_intervals(stretches, now=now, tolerance=tolerance):
        start, end = max(start, begin), min(end, now)
        if end <= start:
            continue
        if start > cursor:
            downs.append(start - cursor)
        up += end - start
        cursor = max(cursor, end)
    if now > cursor:
        downs.append(now - cursor)
    return Uptime(begin, now, up, len(downs), max(downs, default=timedelta(0)))
