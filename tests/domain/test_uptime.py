"""Uptime arithmetic: a reference count minute by minute, and the rules written out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from organiser_bot.domain.uptime import Stretch, merge, up_intervals, uptime

T0 = datetime(2026, 11, 1, tzinfo=UTC)
MIN = timedelta(minutes=1)
TOL = 3 * MIN


def at(minute: int) -> datetime:
    return T0 + minute * MIN


def _stretch(start: int, length: int, stopped: bool) -> Stretch:
    return Stretch(at(start), at(start + length), stopped)


stretches = st.lists(
    st.builds(
        _stretch,
        st.integers(0, 300),
        st.integers(0, 60),
        st.booleans(),
    ),
    max_size=8,
)


def _reference_up_minutes(found: list[Stretch], begin: int, now: int) -> int:
    """Minutes in [begin, now) the rules count as up, decided one minute at a time."""
    starts = sorted(s.start for s in found)

    def up(t: datetime) -> bool:
        for s in found:
            if s.start <= t < s.beat:
                return True
            if s.stopped:
                continue
            later = [x for x in starts if x > s.beat]
            nxt = min(later[0], at(now)) if later else at(now)
            if s.beat <= t < nxt and nxt - s.beat <= TOL:
                return True
        return False

    return sum(up(at(m)) for m in range(begin, now))


@given(stretches, st.integers(0, 400), st.integers(0, 400))
def test_up_time_matches_a_minute_by_minute_count(
    found: list[Stretch], since: int, now: int
) -> None:
    result = uptime(found, since=at(since), now=at(now), tolerance=TOL)
    if not found:
        assert result.span == timedelta(0) and result.ratio is None
        return
    first = min(int((s.start - T0) / MIN) for s in found)
    begin = min(max(since, first), now)
    assert result.since == at(begin)
    assert result.up == _reference_up_minutes(found, begin, now) * MIN


@given(stretches, st.integers(0, 400), st.integers(0, 400))
def test_up_and_outages_fill_the_window(found: list[Stretch], since: int, now: int) -> None:
    result = uptime(found, since=at(since), now=at(now), tolerance=TOL)
    down = result.span - result.up
    assert timedelta(0) <= result.up <= result.span
    assert (result.outages == 0) is (down == timedelta(0))
    assert result.longest_outage <= down
    assert result.outages * result.longest_outage >= down
    if result.ratio is not None:
        assert 0.0 <= result.ratio <= 1.0


@given(stretches, st.integers(0, 400))
def test_up_intervals_are_sorted_disjoint_and_end_by_now(found: list[Stretch], now: int) -> None:
    spans = up_intervals(found, now=at(now), tolerance=TOL)
    assert spans == merge(spans)
    assert all(start < end <= at(now) for start, end in spans)
    assert all(a[1] < b[0] for a, b in pairwise(spans))


def test_a_bot_beating_until_now_is_up_the_whole_window() -> None:
    running = [Stretch(at(0), at(10_079))]
    result = uptime(running, since=at(0), now=at(10_080), tolerance=TOL)
    assert result.ratio == 1.0
    assert result.outages == 0


def test_a_clean_stop_is_down_until_the_next_start_however_short() -> None:
    found = [Stretch(at(0), at(60), stopped=True), Stretch(at(61), at(120))]
    result = uptime(found, since=at(0), now=at(120), tolerance=TOL)
    assert result.up == 119 * MIN
    assert (result.outages, result.longest_outage) == (1, MIN)


def test_a_crash_gap_within_the_tolerance_counts_as_up_and_a_longer_one_all_down() -> None:
    short = [Stretch(at(0), at(60)), Stretch(at(63), at(120))]
    assert uptime(short, since=at(0), now=at(120), tolerance=TOL).up == 120 * MIN
    long = [Stretch(at(0), at(60)), Stretch(at(64), at(120))]
    result = uptime(long, since=at(0), now=at(120), tolerance=TOL)
    assert result.up == 116 * MIN
    assert result.longest_outage == 4 * MIN


def test_no_beat_for_longer_than_the_tolerance_is_down_until_now() -> None:
    result = uptime([Stretch(at(0), at(50))], since=at(0), now=at(60), tolerance=TOL)
    assert result.up == 50 * MIN
    assert result.outages == 1


def test_time_before_the_first_stretch_is_not_counted() -> None:
    result = uptime([Stretch(at(100), at(199))], since=at(0), now=at(200), tolerance=TOL)
    assert result.since == at(100)
    assert result.ratio == 1.0


def test_overlapping_stretches_count_once() -> None:
    found = [Stretch(at(0), at(100)), Stretch(at(50), at(150))]
    assert uptime(found, since=at(0), now=at(150), tolerance=TOL).up == 150 * MIN
