"""Benchmark the digest charts against the naive stacked-bar chart the design warns about.

Run from the project root::

    python bench/bench_charts.py

Prints the median milliseconds per team (after a warm-up) for a naive 3-panel stacked-by-day bar
chart drawn with one ``ax.bar`` call per member per day, for ``render_diarised_chart`` and for
``render_trend_chart``, at 25 and 60 members x 3 kinds, and for a 25-member team named in many
scripts (Arabic, Urdu, Bengali, Gurmukhi, Chinese, Hebrew, Devanagari, emoji: the shaped text
path), whose first render, with cold text caches, is printed too. First it prints the RSS over
200 renders, to show that nothing accumulates between calls. About 40 s on an idle 2-core host.
"""

from __future__ import annotations

import io
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from charts import render_diarised_chart, render_trend_chart
from organiser_bot.domain.digest import MemberWeek, TeamDigest, TrendPoint

KINDS = ("one_to_one", "casework", "resident_contact")
LABELS = {
    "one_to_one": "one-to-one",
    "casework": "casework",
    "resident_contact": "resident contact",
}
TARGETS = {
    "organiser": {"one_to_one": 15},
    "councillor": {"resident_contact": 20, "casework": 5},
    "caseworker": {"casework": 15},
}
FIRST = ("Sam", "Priya", "Aisha", "Tom", "Grace", "Mohammed", "Olu", "Kasia", "Liam", "Niamh")
LAST = ("Patel", "Okonkwo", "Smith", "Nowak", "Jones", "Khan", "Adeyemi", "Evans", "Walsh", "Shah")
# Names that need shaping, right-to-left layout, another font or a visible stand-in.
SCRIPT_NAMES = (
    "علي حسن",
    "عمران خانے",
    "রহিম উদ্দিন",
    "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ",
    "王小明",
    "שרה כהן",
    "प्रिया शर्मा",
    "Ali 🌟",
    "Łukasz Żółć",
    "Олена Коваль",
)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RUNS = 10


def make_team(members: int, seed: int = 2026, scripts: bool = False) -> TeamDigest:
    """A seeded, random-ish team: three roles, every kind logged, a few people away.

    With ``scripts``, members (numbered, so each name is new) and team are named in
    :data:`SCRIPT_NAMES`.
    """
    rng = random.Random(seed)
    people = []
    for i in range(members):
        role = rng.choice(tuple(TARGETS))
        away = rng.choice((0,) * 9 + (2, 7))
        targets = {k: round(v * (7 - away) / 7) for k, v in TARGETS[role].items()}
        daily = {}
        if away < 7:
            for kind in KINDS:
                mean = 3.0 if kind in targets else 0.6
                daily[kind] = tuple(max(0, round(rng.gauss(mean, mean))) for _ in range(7))
        name = f"{FIRST[i % 10]} {LAST[(i * 3 + i // 10) % 10]}"
        if scripts:
            name = f"{SCRIPT_NAMES[i % len(SCRIPT_NAMES)]} {i}"
        people.append(MemberWeek(name, role, daily, targets, away))
    trend = tuple(
        TrendPoint(
            f"2026-W{35 + w}",
            {k: rng.randint(20, 200) for k in KINDS},
            {"one_to_one": 120, "casework": 60, "resident_contact": 150},
        )
        for w in range(13)
    )
    return TeamDigest(
        "الفريق الشمالي" if scripts else "Hackney North",
        "2026-W47",
        date(2026, 11, 16),
        KINDS,
        LABELS,
        tuple(people),
        trend,
        0.8,
    )


def naive_stacked_chart(digest: TeamDigest) -> bytes:
    """The slow baseline: per kind a panel of bars stacked by day, one ``ax.bar`` per segment."""
    n = len(digest.members)
    fig = Figure(figsize=(7.2, 3 + 0.22 * n * len(digest.kinds)), dpi=150)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(digest.kinds), 1)
    for ax, kind in zip(axes, digest.kinds, strict=True):
        bottoms = np.zeros(n)
        for day in range(7):
            for i, member in enumerate(digest.members):
                counts = member.daily.get(kind, (0,) * 7)
                ax.bar(i, counts[day], bottom=bottoms[i], color=f"C{day}", label=None)
                bottoms[i] += counts[day]
        targets = [m.targets.get(kind, 0) for m in digest.members]
        ax.scatter(range(n), targets, marker="_", color="black", s=200)
        ax.set_xticks(range(n), [m.name for m in digest.members], rotation=90, fontsize=9)
        ax.set_title(digest.kind_labels.get(kind, kind), fontsize=10)
        ax.legend(DAYS, fontsize=9, ncols=7, loc="upper right")
    fig.suptitle(f"{digest.team_name} · {digest.iso_week}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def median_ms(render: Callable[[TeamDigest], bytes], digest: TeamDigest, runs: int) -> float:
    render(digest)  # warm-up: font caches, glyph outlines, first-touch of buffers
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render(digest)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size in MiB (current from /proc where available)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        current = pages * resource.getpagesize() / 2**20
    except OSError:
        current = float("nan")
    return current, peak


def leak_check() -> None:
    """Peak RSS over 200 renders (100 of each chart) across several teams, after a warm-up.

    Run before the timings so the naive chart's large figures do not set the peak. The peak
    should not move once the glyph caches are warm; a leak would make it climb steadily.
    """
    teams = [make_team(25, seed) for seed in range(8)]
    for digest in teams:  # warm-up: fonts, glyph outlines, allocator arenas
        render_diarised_chart(digest)
        render_trend_chart(digest)
    current, peak = rss_mb()
    start_current, start_peak = current, peak
    print(f"RSS after warm-up: current {current:.1f} MiB, peak {peak:.1f} MiB")
    for i in range(1, 201):
        digest = teams[i % len(teams)]
        (render_diarised_chart if i % 2 else render_trend_chart)(digest)
        if i % 50 == 0:
            current, peak = rss_mb()
            print(f"  after {i:>3} renders: current {current:.1f} MiB, peak {peak:.1f} MiB")
    print(
        f"growth over 200 renders: peak {peak - start_peak:+.1f} MiB, "
        f"current {current - start_current:+.1f} MiB\n"
    )


def main() -> None:
    began = time.perf_counter()
    leak_check()
    print(f"{'chart':<28}{'members':>8}{'median ms':>12}{'runs':>6}")
    results: dict[tuple[str, int], float] = {}
    for members in (25, 60):
        digest = make_team(members)
        # The naive chart takes seconds per team: fewer runs keep the script near a minute.
        cases = (
            ("naive stacked bars", naive_stacked_chart, 5 if members <= 25 else 2),
            ("render_diarised_chart", render_diarised_chart, RUNS),
            ("render_trend_chart", render_trend_chart, RUNS),
        )
        for label, render, runs in cases:
            ms = median_ms(render, digest, runs)
            results[(label, members)] = ms
            print(f"{label:<28}{members:>8}{ms:>12.1f}{runs:>6}")
        naive = results[("naive stacked bars", members)]
        diarised = results[("render_diarised_chart", members)]
        both = diarised + results[("render_trend_chart", members)]
        print(f"  speed-up of the diarised chart over the naive chart: {naive / diarised:.1f}x")
        print(f"  both digest charts together: {both:.1f} ms per team")
    digest = make_team(25, seed=7, scripts=True)
    start = time.perf_counter()
    render_diarised_chart(digest)
    cold = (time.perf_counter() - start) * 1000
    print(f"{'diarised, many scripts, cold':<28}{25:>8}{cold:>12.1f}{1:>6}")
    for label, render in (
        ("diarised, many scripts", render_diarised_chart),
        ("trend, many scripts", render_trend_chart),
    ):
        print(f"{label:<28}{25:>8}{median_ms(render, digest, RUNS):>12.1f}{RUNS:>6}")
    print(f"\ntotal benchmark time: {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
