"""Tests for the digest charts: valid PNGs of the right size, every edge case renders, no pyplot."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib import style

from charts import render_diarised_chart, render_trend_chart
from organiser_bot.domain.digest import MemberWeek, TeamDigest, TrendPoint

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH_PX = 1080
ROOT = Path(__file__).resolve().parents[2]
HEADER_PX = 180  # title, subtitle and legend of the diarised chart (1.12 in at 150 dpi = 168 px)
OKABE_GREEN, OKABE_ORANGE = "#009E73", "#E69F00"

KINDS = ("one_to_one", "casework", "resident_contact")
LABELS = {
    "one_to_one": "one-to-one",
    "casework": "casework",
    "resident_contact": "resident contact",
}
ROLE_TARGETS: Mapping[str, Mapping[str, int]] = {
    "organiser": {"one_to_one": 15},
    "councillor": {"resident_contact": 20, "casework": 5},
    "caseworker": {"casework": 15},
    "manager": {},
}

# --- Factories -----------------------------------------------------------------------------------


def member(
    name: str = "Sam Patel",
    role: str = "organiser",
    daily: Mapping[str, tuple[int, ...]] | None = None,
    targets: Mapping[str, int] | None = None,
    away_days: int = 0,
) -> MemberWeek:
    return MemberWeek(
        name=name,
        role=role,
        daily=daily if daily is not None else {"one_to_one": (2, 3, 0, 1, 4, 0, 0)},
        targets=targets if targets is not None else dict(ROLE_TARGETS[role]),
        away_days=away_days,
    )


def trend(weeks: int = 13, seed: int = 1) -> tuple[TrendPoint, ...]:
    rng = random.Random(seed)
    return tuple(
        TrendPoint(
            iso_week=f"2026-W{35 + w:02d}",
            totals={"one_to_one": rng.randint(40, 140), "casework": rng.randint(10, 60)},
            targets={"one_to_one": 120, "casework": 50},
        )
        for w in range(weeks)
    )


def digest(
    members: Sequence[MemberWeek] = (),
    *,
    kinds: tuple[str, ...] = KINDS,
    trend_points: tuple[TrendPoint, ...] | None = None,
    preview: bool = False,
    team_name: str = "Hackney North",
) -> TeamDigest:
    return TeamDigest(
        team_name=team_name,
        iso_week="2026-W47",
        week_start=date(2026, 11, 16),
        kinds=kinds,
        kind_labels=LABELS,
        members=tuple(members),
        trend=trend() if trend_points is None else trend_points,
        attainment=0.8,
        cross_team_median=0.7,
        teams_compared=12,
        preview=preview,
    )


def team(size: int, seed: int = 7) -> TeamDigest:
    """A team of ``size`` members with seeded random activity, some of them away."""
    rng = random.Random(seed)
    members = []
    for i in range(size):
        role = ("organiser", "councillor", "caseworker")[i % 3]
        away = 7 if i % 11 == 5 else (2 if i % 7 == 3 else 0)
        targets = {k: round(v * (7 - away) / 7) for k, v in ROLE_TARGETS[role].items()}
        daily = {
            kind: tuple(rng.choice((0, 0, 1, 2, 3, 5, 12)) for _ in range(7))
            for kind in KINDS
            if away < 7 and (kind in targets or rng.random() < 0.3)
        }
        members.append(MemberWeek(f"Member {i:02d} Surname", role, daily, targets, away))
    return digest(members)


# --- PNG helpers ---------------------------------------------------------------------------------


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR"
    assert length == 13
    width, height = struct.unpack(">II", png[16:24])
    crc = struct.unpack(">I", png[16 + length : 20 + length])[0]
    assert crc == zlib.crc32(png[12 : 16 + length])
    return width, height


def decode(png: bytes) -> np.ndarray[Any, Any]:
    return np.asarray(mpimg.imread(io.BytesIO(png), format="png"))


def has_colour(image: np.ndarray[Any, Any], hex_colour: str) -> bool:
    """Whether any pixel is exactly ``hex_colour`` (bar interiors are drawn without blending)."""
    rgb = np.round(image[..., :3] * 255).astype(int)
    target = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return bool(np.all(rgb == target, axis=-1).any())


def count_colour(image: np.ndarray[Any, Any], hex_colour: str) -> int:
    """How many pixels are exactly ``hex_colour``."""
    rgb = np.round(image[..., :3] * 255).astype(int)
    target = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return int(np.all(rgb == target, axis=-1).sum())


def assert_valid(png: bytes) -> tuple[int, int]:
    width, height = png_size(png)
    image = decode(png)
    assert image.shape[:2] == (height, width)
    assert width == WIDTH_PX
    return width, height


# --- Tests ---------------------------------------------------------------------------------------

EDGE_CASES: dict[str, TeamDigest] = {
    "no members": digest([]),
    "no activity": digest([member(daily={}), member("Aisha Taylor", "councillor", daily={})]),
    "no activity, no targets": digest([member(daily={}, targets={})]),
    "one member": digest([member()]),
    "sixty members": team(60),
    "members without targets": digest(
        [member(targets={}), member("Tom Davies", "manager", daily={"casework": (1,) * 7})]
    ),
    "kind without targets": digest(
        [member(daily={"one_to_one": (1, 0, 0, 0, 0, 0, 0), "training": (0, 2, 0, 0, 0, 0, 0)})],
        kinds=(*KINDS, "training"),
    ),
    "empty trend": digest([member()], trend_points=()),
    "one-week trend": digest([member()], trend_points=trend(1)),
    "trend without targets": digest(
        [member()],
        trend_points=(TrendPoint("2026-W46", {"one_to_one": 3}, {}),),
    ),
    "no kinds": digest([member()], kinds=()),
    "everyone away": digest(
        [member(daily={}, targets={"one_to_one": 0}, away_days=7), member("Al", daily={})]
    ),
    "preview": digest([member()], preview=True),
    "emoji and long names": digest(
        [
            member("🌹 Sam ✊ Patel 🏳️‍🌈"),
            member("Maximilian Alexander Featherstonehaugh-Cholmondeley"),
            member("🙂", daily={}),
        ],
        team_name="Team 🌹 with a very long name " * 4,
    ),
    "malformed daily": digest(
        [member(daily={"one_to_one": (1, 2)}), member("B", daily={"one_to_one": (1,) * 9})]
    ),
    "huge counts": digest(
        [
            member(
                "Door Knocker", "councillor", daily={"resident_contact": (120, 0, 999, 0, 0, 0, 4)}
            )
        ]
    ),
    "many kinds": digest(
        [member(daily={k: (1, 0, 2, 0, 0, 0, 3) for k in ("a", "b", "c", "d", "e")}, targets={})],
        kinds=("a", "b", "c", "d", "e"),
    ),
}


@pytest.mark.parametrize("render", [render_diarised_chart, render_trend_chart])
@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_edge_cases_render_valid_pngs(render: Any, case: str) -> None:
    assert_valid(render(EDGE_CASES[case]))


def test_typical_team_is_1080_wide_and_decodes() -> None:
    d = team(25)
    for png in (render_diarised_chart(d), render_trend_chart(d)):
        _, height = assert_valid(png)
        assert 300 <= height <= 8000


def test_height_grows_with_members() -> None:
    heights = [png_size(render_diarised_chart(team(n)))[1] for n in (1, 25, 60)]
    assert heights[0] < heights[1] < heights[2]
    # 60 members keep a legible row: at least 0.2 in (30 px at 150 dpi) per member per band.
    assert heights[2] - heights[0] >= 59 * 30
    # Telegram rejects photos whose width + height exceed 10 000 px.
    assert WIDTH_PX + heights[2] <= 10_000


def test_sixty_members_fit_telegram_limits() -> None:
    width, height = png_size(render_diarised_chart(team(60)))
    assert width + height <= 10_000
    assert height / width <= 20


def test_empty_team_is_a_small_message_figure() -> None:
    empty = png_size(render_diarised_chart(EDGE_CASES["no members"]))
    one = png_size(render_diarised_chart(EDGE_CASES["one member"]))
    assert empty[1] <= one[1]


def test_same_input_same_bytes() -> None:
    d = team(25)
    assert render_diarised_chart(d) == render_diarised_chart(team(25))
    assert render_trend_chart(d) == render_trend_chart(team(25))
    assert render_diarised_chart(d) != render_diarised_chart(team(25, seed=8))


def test_png_has_no_metadata_chunks() -> None:
    png = render_diarised_chart(team(3))
    chunks = []
    pos = 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        chunks.append(kind)
        pos += 12 + length
    assert chunks[0] == b"IHDR"
    assert chunks[-1] == b"IEND"
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(chunks)


def test_global_style_does_not_change_output() -> None:
    d = team(10)
    expected = (render_diarised_chart(d), render_trend_chart(d))
    for name in ("dark_background", "ggplot", "classic", "fivethirtyeight"):
        with mpl.rc_context(style.library[name]):
            assert (render_diarised_chart(d), render_trend_chart(d)) == expected, name
    with mpl.rc_context({"savefig.bbox": "tight", "figure.dpi": 72, "font.family": "serif"}):
        assert (render_diarised_chart(d), render_trend_chart(d)) == expected


def test_concurrent_renders_match_sequential() -> None:
    digests = [team(n) for n in (5, 25, 40)] * 2
    expected = [render_diarised_chart(d) for d in digests]
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(render_diarised_chart, digests)) == expected


def test_bar_colours_follow_targets() -> None:
    def panels(d: TeamDigest) -> np.ndarray[Any, Any]:
        # Skip the header, whose legend shows every swatch colour.
        return decode(render_diarised_chart(d))[HEADER_PX:]

    met = panels(digest([member(daily={"one_to_one": (5, 5, 5, 0, 0, 0, 0)})]))
    below = panels(digest([member(daily={"one_to_one": (1, 0, 0, 0, 0, 0, 0)})]))
    away = panels(EDGE_CASES["everyone away"])
    assert has_colour(met, OKABE_GREEN) and not has_colour(met, OKABE_ORANGE)
    assert has_colour(below, OKABE_ORANGE) and not has_colour(below, OKABE_GREEN)
    # Away all week is not a miss.
    assert not has_colour(away, OKABE_ORANGE) and not has_colour(away, OKABE_GREEN)


def test_no_pyplot_and_no_figure_registry() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "import charts\n"
        "from organiser_bot.domain.digest import MemberWeek, TeamDigest, TrendPoint\n"
        "m = MemberWeek('Sam', 'organiser', {'one_to_one': (1, 2, 3, 0, 0, 0, 0)}, "
        "{'one_to_one': 15})\n"
        "d = TeamDigest('T', '2026-W47', date(2026, 11, 16), ('one_to_one',), {}, (m,), "
        "(TrendPoint('2026-W47', {'one_to_one': 6}, {'one_to_one': 15}),))\n"
        "charts.render_diarised_chart(d); charts.render_trend_chart(d)\n"
        "from matplotlib import _pylab_helpers\n"
        "assert _pylab_helpers.Gcf.get_num_fig_managers() == 0\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --- Membership periods and young teams ---------------------------------------------------------

JOINED_THURSDAY = (False, False, False, True, True, True, True)


def test_days_before_joining_are_grey_cells_like_days_away() -> None:
    from charts._palette import AWAY_CELL

    def panels(d: TeamDigest) -> np.ndarray[Any, Any]:
        return decode(render_diarised_chart(d))[HEADER_PX:]

    quiet = {"one_to_one": (0,) * 7}
    whole = panels(digest([member(daily=quiet), member("Al", daily=quiet)]))
    joined = MemberWeek("Noor Ali", "organiser", quiet, {"one_to_one": 9}, 0, JOINED_THURSDAY)
    partly = panels(digest([member(daily=quiet), joined]))
    # Three grey cells (Monday to Wednesday) on Noor's row; none for whole-week members.
    assert count_colour(partly, AWAY_CELL) > count_colour(whole, AWAY_CELL) + 3 * 100


@pytest.mark.parametrize(
    "members",
    [
        [
            MemberWeek(
                "Noor Ali",
                "organiser",
                {"one_to_one": (0, 0, 0, 1, 2, 0, 0)},
                {"one_to_one": 9},
                0,
                JOINED_THURSDAY,
            )
        ],
        [
            MemberWeek(
                "Lee Wong",
                "organiser",
                {"one_to_one": (3, 0, 0, 0, 0, 0, 0)},
                {"one_to_one": 4},
                1,
                (True, True, False, False, False, False, False),
            )
        ],
        [
            MemberWeek(
                "Past Member",
                "organiser",
                {"one_to_one": (1, 0, 0, 0, 0, 0, 0)},
                {},
                0,
                (False,) * 7,
            )
        ],
    ],
    ids=["joined Thursday", "left Tuesday, away a day", "not a member this week"],
)
def test_partial_membership_renders(members: list[MemberWeek]) -> None:
    assert_valid(render_diarised_chart(digest(members)))


@pytest.mark.parametrize("weeks", range(1, 14))
def test_a_trend_of_any_length_from_1_to_13_weeks_renders(weeks: int) -> None:
    png = render_trend_chart(digest([member()], trend_points=trend(weeks)))
    assert_valid(png)
    if weeks < 13:
        # A young team's chart differs from a full one: it starts with the team's first week.
        assert png != render_trend_chart(digest([member()], trend_points=trend(13)))
