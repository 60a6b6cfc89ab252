"""Digest charts: a team's week per member, split by day, and its 13-week trend, as PNG bytes.

Both renderers are pure functions of a :class:`~organiser_bot.domain.digest.TeamDigest`: no
Telegram, no storage, no module-level mutable state (the only module-level objects are caches of
glyph outlines, themselves pure functions of their arguments). Only matplotlib's object API is
used: a ``Figure`` drawn by an Agg renderer that each call creates and drops.
``matplotlib.pyplot`` is never imported, so there is no global figure registry for figures to
leak into.

Why it is drawn this way (DESIGN.md, "Performance budget" → Charts): the digest goes to every team
in one sitting, so a chart must render in about 100 ms. A stacked-by-day bar chart with one artist
per bar costs seconds for 25 members x 3 kinds; a members x days heatmap plus one bar per member is
both faster and easier to read. Profiling that form on the 2-core hosts found three further costs:

* Axes, ticks and layout engines. The geometry of a grid is known exactly, so both charts are drawn
  straight onto the figure in inch coordinates with no Axes: one ``QuadMesh`` per kind for the
  heatmap, one ``PolyCollection`` for the bars, one ``LineCollection`` for the target ticks.
* Text. With matplotlib 3.11 each ``Text`` artist costs ~2 ms (its libraqm layout runs per string)
  and a 25-member chart has ~300 numbers and names. Strings are instead assembled from cached glyph
  outlines (:class:`_TextLayer`) and drawn as one compound path per colour.
* PNG encoding. Pillow at its default settings (as ``savefig`` uses it) took ~140 ms for the
  1080 x 2076 px chart; :func:`_encode_png` writes opaque RGB at zlib level 3 in ~25 ms.

Output is deterministic for the same input: every colour, size and font is set explicitly rather
than read from ``rcParams`` (a global style cannot change the bytes), the layout is computed rather
than auto-fitted, and the PNG carries no text or time chunks. The digest ledger stores a hash of it.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.collections import LineCollection, PathCollection, PolyCollection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import GlyphIndexType, Kerning, LoadFlags
from matplotlib.lines import Line2D
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D, Transform

from organiser_bot.domain.digest import MemberWeek, TeamDigest, TrendPoint

__all__ = ["render_diarised_chart", "render_trend_chart"]

_F64 = np.ndarray[Any, np.dtype[np.float64]]
_I64 = np.ndarray[Any, np.dtype[np.int64]]
_Bool = np.ndarray[Any, np.dtype[np.bool_]]
_Points = list[tuple[float, float]]

# --- Canvas --------------------------------------------------------------------------------------
# 7.2 in at 150 dpi = 1080 px: Telegram shows a photo at the phone's width and 1080 px is a common
# phone width, so type sizes here are roughly what a reader sees.
DPI = 150
WIDTH_IN = 7.2
# zlib level for the PNG: 3 is within ~10 % of level 6's size at well under half its time.
PNG_COMPRESSION = 3

# --- Palette -------------------------------------------------------------------------------------
# Okabe–Ito: distinguishable with the common colour-vision deficiencies. Colour is never the only
# cue: every bar has its number beside it and a target tick to compare against; trend markers are
# filled or hollow.
OKABE_ITO = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
)
MET = "#009E73"  # bluish green: target met
BELOW = "#E69F00"  # orange: below target (softer than vermillion: a digest informs, not shames)
NO_TARGET = "#56B4E9"  # sky blue: logged, but no target for this kind
AWAY_FILL = "#EBEBEB"
AWAY_HATCH = "#9A9A9A"
AWAY_CELL = "#DCDCDC"
EMPTY_CELL = "#F2F3F5"
INK = "#1A1A1A"
MUTED = "#595959"  # >= 7:1 contrast on white, so secondary text stays legible
GRID = "#E3E3E3"
AXIS = "#9A9A9A"
# Sequential map for the heatmap; a single hue, so lightness alone orders the counts.
HEATMAP_CMAP = "Blues"
# The slice of the colormap used for counts 1..max: skip the near-white end so a "1" is visibly
# not empty, and the darkest navy so numbers written on it stay crisp.
HEAT_LO, HEAT_HI = 0.25, 0.92

# DejaVu Sans ships with matplotlib, so output does not depend on which fonts a host has.
FONT_FAMILY = "DejaVu Sans"
FONT_SIZE = 9.0  # the smallest size used anywhere: legible on a phone at 1080 px
TITLE_SIZE = 13.0
HEADING_SIZE = 10.0
MESSAGE_SIZE = 12.0
CAP_HEIGHT = 0.729  # DejaVu Sans cap/digit height in em: used to centre text vertically

# --- Diarised layout (inches) --------------------------------------------------------------------
MARGIN_X = 0.15
ROW_H = 0.22  # per member: 60 members -> 13.2 in of rows per band
ROW_H_MIN = 0.17  # past 60 members rows shrink towards this, then the figure keeps growing
ROWS_FULL_HEIGHT = 60
NAME_MAX_W = 1.45  # longer names become "First L." or get an ellipsis
NAME_PAD = 0.1
GROUP_GAP = 0.24  # between kind panels side by side
HEAT_BAR_GAP = 0.1
CELL_MIN_W = 0.19  # fits a two-digit count at 9 pt
CELL_MAX_W = 0.215
CELL_PAD = 0.05
BAR_MIN_W = 0.5  # shortest useful bar track, besides its label
TRACK_MAX_W = 2.6
LABEL_GAP = 0.08  # between the bar track and the "total/target" label
BAND_HEAD_H = 0.52  # kind heading + day letters above each band of panels
BAND_GAP = 0.18
DAY_LETTERS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")

# --- Trend layout (inches) -----------------------------------------------------------------------
TREND_WEEKS = 13
TREND_HEADER_H = 1.3
TREND_PANEL_H = 1.45
TREND_PANEL_GAP = 0.45
TREND_BOTTOM_H = 0.4
TREND_LEFT = 0.6
TREND_RIGHT = 0.2
TREND_MARKERS = ("o", "s", "D", "^", "v", "P")

_HAlign = Literal["left", "center", "right"]
_VAlign = Literal["baseline", "center", "top"]


# --- Text as cached glyph outlines ---------------------------------------------------------------

# Glyph outlines are taken at 100 px per em and scaled down to 1 em.
_GLYPH_SCALE = 100.0


def _font_file(bold: bool, italic: bool) -> str:
    prop = FontProperties(
        family=FONT_FAMILY,
        weight="bold" if bold else "normal",
        style="italic" if italic else "normal",
    )
    return str(findfont(prop))


@dataclass(frozen=True, slots=True)
class _Glyph:
    index: GlyphIndexType  # glyph index in the font, for kerning
    vertices: _F64  # outline for a 1-em font, pen at the origin
    codes: np.ndarray[Any, np.dtype[np.uint8]]
    advance: float  # in em


@lru_cache(maxsize=4096)
def _glyph(char: str, bold: bool, italic: bool) -> _Glyph:
    """The outline of one character (pure: cached so each glyph is loaded once per process)."""
    font = get_font(_font_file(bold, italic))  # matplotlib keeps one FT2Font per thread
    font.set_size(_GLYPH_SCALE, 72)
    loaded = font.load_char(ord(char), flags=LoadFlags.NO_HINTING)
    vertices, codes = font.get_path()
    verts = np.asarray(vertices, dtype=np.float64) / _GLYPH_SCALE
    verts.flags.writeable = False  # shared between calls: make accidental mutation impossible
    code_array = np.asarray(codes, dtype=np.uint8)
    code_array.flags.writeable = False
    index = font.get_char_index(ord(char))
    return _Glyph(index, verts, code_array, loaded.linearHoriAdvance / 65536 / _GLYPH_SCALE)


@lru_cache(maxsize=8192)
def _kerning(left: GlyphIndexType, right: GlyphIndexType, bold: bool, italic: bool) -> float:
    """Kerning between two glyph indices, in em."""
    font = get_font(_font_file(bold, italic))
    font.set_size(_GLYPH_SCALE, 72)
    return font.get_kerning(left, right, Kerning.UNFITTED) / 64 / _GLYPH_SCALE


@lru_cache(maxsize=8192)
def _has_glyph(char: str) -> bool:
    """Whether DejaVu Sans, regular and bold, can draw ``char``."""
    if not char.isprintable():
        return False
    return all(
        get_font(_font_file(bold, False)).get_char_index(ord(char)) for bold in (False, True)
    )


def _drawable(text: str, fallback: str) -> str:
    """``text`` without characters the font lacks.

    Telegram names often carry emoji; they would be drawn as empty boxes, so they are dropped.
    """
    kept = "".join(ch if _has_glyph(ch) else " " for ch in text)
    return " ".join(kept.split()) or fallback


@lru_cache(maxsize=1024)
def _outline(text: str, bold: bool, italic: bool) -> tuple[_F64, np.ndarray[Any, Any], float]:
    """Vertices, codes and advance width of ``text`` set in a 1-em font, baseline at y=0.

    Cached because the same short strings (counts, "9/15", day letters) recur in every chart.
    """
    verts: list[_F64] = []
    codes: list[np.ndarray[Any, Any]] = []
    pen = 0.0
    previous: _Glyph | None = None
    for char in text:
        glyph = _glyph(char, bold, italic)
        if previous is not None:
            pen += _kerning(previous.index, glyph.index, bold, italic)
        if len(glyph.codes):
            verts.append(glyph.vertices + np.array([pen, 0.0]))
            codes.append(glyph.codes)
        pen += glyph.advance
        previous = glyph
    all_verts = np.concatenate(verts) if verts else np.empty((0, 2))
    all_codes = np.concatenate(codes) if codes else np.empty(0, dtype=np.uint8)
    all_verts.flags.writeable = False  # shared via the cache
    all_codes.flags.writeable = False
    return all_verts, all_codes, pen


def _width(text: str, size: float = FONT_SIZE, bold: bool = False, italic: bool = False) -> float:
    """Width of ``text`` in inches at ``size`` points."""
    return _outline(text, bold, italic)[2] * size / 72


def _fit(
    text: str, max_w: float, size: float = FONT_SIZE, bold: bool = False, initial: bool = True
) -> str:
    """``text`` shortened until it is at most ``max_w`` inches wide at ``size`` points."""
    if _width(text, size, bold) <= max_w:
        return text
    # "First L." first: for a person's name that is still recognisable on a team chart.
    words = text.split()
    if initial and len(words) > 1:
        short = f"{words[0]} {words[-1][0]}."
        if _width(short, size, bold) <= max_w:
            return short
    for cut in range(len(text) - 1, 0, -1):
        candidate = text[:cut].rstrip() + "…"
        if _width(candidate, size, bold) <= max_w:
            return candidate
    return "…"


class _TextLayer:
    """Strings collected during layout and drawn together, one compound path per colour.

    Each render builds its own layer, so nothing is shared between calls. Merging strings into a
    few paths avoids constructing and validating a ``Path`` per string, which was a tenth of the
    render time.
    """

    def __init__(self) -> None:
        self._verts: dict[str, list[_F64]] = {}
        self._codes: dict[str, list[np.ndarray[Any, Any]]] = {}

    def add(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = FONT_SIZE,
        bold: bool = False,
        italic: bool = False,
        colour: str = INK,
        ha: _HAlign = "left",
        va: _VAlign = "baseline",
    ) -> None:
        """Queue ``text`` at ``(x, y)`` inches from the figure's bottom-left corner."""
        verts, codes, advance = _outline(text, bold, italic)
        if not len(codes):
            return
        em = size / 72  # inches per em
        dx = {"left": 0.0, "center": -advance / 2, "right": -advance}[ha]
        dy = {"baseline": 0.0, "center": -CAP_HEIGHT / 2, "top": -CAP_HEIGHT}[va]
        self._verts.setdefault(colour, []).append(verts * em + np.array([x + dx * em, y + dy * em]))
        self._codes.setdefault(colour, []).append(codes)

    def draw(self, fig: Figure) -> None:
        """Add every queued string to ``fig`` as a single artist."""
        if not self._verts:
            return
        colours = sorted(self._verts)  # a stable order, for byte-identical output
        paths = [
            Path(np.concatenate(self._verts[c]), np.concatenate(self._codes[c])) for c in colours
        ]
        fig.add_artist(
            PathCollection(
                paths,
                transform=fig.dpi_scale_trans,
                facecolors=colours,
                edgecolors="none",
                linewidths=0.0,
                antialiaseds=True,
                zorder=5,
            )
        )


# --- Figure and PNG ------------------------------------------------------------------------------


def _new_figure(height_in: float) -> Figure:
    fig = Figure(
        figsize=(WIDTH_IN, height_in),
        dpi=DPI,
        facecolor="white",
        edgecolor="white",
        linewidth=0.0,
        frameon=True,
    )
    # The layout is explicit: drop any autolayout engine that rcParams may have asked for.
    fig.set_layout_engine("none")
    return fig


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _encode_png(rgb: np.ndarray[Any, np.dtype[np.uint8]]) -> bytes:
    """Encode the RGB channels of an (h, w, 3+) uint8 image as an 8-bit RGB PNG.

    The only chunk besides the image is pHYs (the dpi), so equal images give equal bytes.
    """
    height, width, _ = rgb.shape
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter "None": charts are flat colour, zlib finds the runs without help
    # One channel at a time: numpy copies a strided (h, w, 3) slice of RGBA several times slower.
    for channel in range(3):
        rows[:, 1 + channel :: 3] = rgb[..., channel]
    ppm = round(DPI / 0.0254)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            _png_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            _png_chunk(b"IDAT", zlib.compress(rows.data, PNG_COMPRESSION)),
            _png_chunk(b"IEND", b""),
        )
    )


def _png(fig: Figure) -> bytes:
    """Draw ``fig`` with Agg and return it as PNG bytes."""
    # Artists pick up sketch (xkcd) and path effects from rcParams when created; clear both so a
    # global style cannot reach our output.
    for artist in fig.get_children():  # includes fig.patch
        artist.set_sketch_params(None)
        artist.set_path_effects([])
    # Draw into a renderer owned by this call rather than with ``FigureCanvasAgg.draw``: a canvas
    # keeps its renderer, and figure and canvas reference each other, so each chart's ~9 MB
    # pixel buffer would live until the cyclic garbage collector ran (100+ MB over 200 charts).
    # This renderer is freed by reference counting as soon as we return.
    width, height = fig.bbox.size
    make_renderer: Any = RendererAgg  # backend_agg ships without type hints
    renderer = make_renderer(round(width), round(height), fig.dpi)
    fig.draw(renderer)
    # The figure is opaque white, so the alpha channel carries nothing: drop it (25 % less data).
    return _encode_png(np.asarray(renderer.buffer_rgba()))


# --- Shared pieces -------------------------------------------------------------------------------


def _title(digest: TeamDigest) -> str:
    """``<team> · <iso week>`` (+ `` · preview``), the team's name shortened to fit one line."""
    suffix = f" · {_drawable(digest.iso_week, '')}" + (" · preview" if digest.preview else "")
    room = WIDTH_IN - 2 * MARGIN_X - _width(suffix, TITLE_SIZE, bold=True)
    team = _fit(_drawable(digest.team_name, "Team"), room, TITLE_SIZE, bold=True, initial=False)
    return team + suffix


def _week_range(start: date) -> str:
    end = start + timedelta(days=6)
    if start.year != end.year:
        return f"{start:%a} {start.day} {start:%b %Y} – {end:%a} {end.day} {end:%b %Y}"
    if start.month != end.month:
        return f"{start:%a} {start.day} {start:%b} – {end:%a} {end.day} {end:%b %Y}"
    return f"{start:%a} {start.day} – {end:%a} {end.day} {end:%b %Y}"


def _subtitle(digest: TeamDigest) -> str:
    parts = [_week_range(digest.week_start)]
    if digest.attainment is not None:
        part = f"team {digest.attainment:.0%} of target"
        if digest.cross_team_median is not None:
            teams = f"{digest.teams_compared} teams" if digest.teams_compared else "all teams"
            part += f" (median of {teams} {digest.cross_team_median:.0%})"
        parts.append(part)
    return " · ".join(parts)


def _kind_label(digest: TeamDigest, kind: str) -> str:
    return _drawable(digest.kind_labels.get(kind, kind.replace("_", " ")), kind)


def _header(text: _TextLayer, height: float, title: str, subtitle: str) -> float:
    """Queue title and subtitle; return the y (inches from the bottom) just below them."""
    y = height - 0.14
    text.add(MARGIN_X, y, title, size=TITLE_SIZE, bold=True, va="top")
    y -= 0.33
    text.add(MARGIN_X, y, subtitle, colour=MUTED, va="top")
    return y - 0.22


def _message_figure(title: str, subtitle: str, message: str, hint: str) -> bytes:
    """A small figure saying why there is no chart, rather than an empty or broken one."""
    height = 2.0
    fig = _new_figure(height)
    text = _TextLayer()
    _header(text, height, title, subtitle)
    text.add(WIDTH_IN / 2, 0.95, message, size=MESSAGE_SIZE, bold=True, ha="center", va="center")
    text.add(WIDTH_IN / 2, 0.6, hint, colour=MUTED, ha="center", va="center")
    text.draw(fig)
    return _png(fig)


def _rect(x: float, y: float, w: float, h: float) -> _Points:
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


# Artist factories. Every style property is passed explicitly, because anything left out is read
# from the global rcParams (a style another module set would otherwise change our bytes).


def _lines(
    segments: Sequence[_Points],
    colours: str | Sequence[str],
    widths: float | Sequence[float],
    trans: Transform,
) -> LineCollection:
    return LineCollection(
        segments,
        colors=colours,
        linewidths=widths,
        linestyles="solid",
        capstyle="butt",
        joinstyle="round",
        antialiaseds=True,
        transform=trans,
    )


def _polys(
    polys: Sequence[_Points],
    colours: str | Sequence[str],
    trans: Transform,
    alpha: float | None = None,
) -> PolyCollection:
    return PolyCollection(
        polys,
        facecolors=colours,
        edgecolors="none",
        linewidths=0.0,
        antialiaseds=True,
        alpha=alpha,
        transform=trans,
    )


def _polyline(xs: Any, ys: Any, colour: str, width: float, trans: Transform) -> Line2D:
    return Line2D(
        xs,
        ys,
        color=colour,
        linewidth=width,
        linestyle="-",
        solid_capstyle="round",
        solid_joinstyle="round",
        marker="",
        antialiased=True,
        transform=trans,
    )


def _markers(xs: Any, ys: Any, marker: str, face: str, edge: str, trans: Transform) -> Line2D:
    return Line2D(
        xs,
        ys,
        linestyle="none",
        marker=marker,
        markersize=6.5,
        markerfacecolor=face,
        markeredgecolor=edge,
        markeredgewidth=1.6,
        fillstyle="full",
        antialiased=True,
        transform=trans,
    )


def _dashes(
    points: Sequence[tuple[float, float]], on: float = 0.07, off: float = 0.045
) -> list[_Points]:
    """Dash segments along a polyline given in inches (a NaN point breaks it).

    Dashing by hand keeps the pattern independent of ``rcParams["lines.scale_dashes"]``.
    """
    dashes: list[_Points] = []
    period = on + off
    travelled = 0.0  # distance along the current unbroken run, which sets the dash phase
    for (x0, y0), (x1, y1) in pairwise(points):
        if any(math.isnan(v) for v in (x0, y0, x1, y1)):
            travelled = 0.0
            continue
        length = math.hypot(x1 - x0, y1 - y0)
        if length == 0.0:
            continue
        # Dash k covers [k * period, k * period + on] of the run; clip each to this segment. The
        # count is computed up front, so rounding can never stall the loop.
        for k in range(
            math.floor(travelled / period), math.floor((travelled + length) / period) + 1
        ):
            a = max(0.0, k * period - travelled)
            b = min(length, k * period + on - travelled)
            if b > a:
                t0, t1 = a / length, b / length
                dashes.append(
                    [
                        (x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0),
                        (x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1),
                    ]
                )
        travelled += length
    return dashes


def _stripes(
    rects: Sequence[tuple[float, float, float, float]], spacing: float = 0.07
) -> list[_Points]:
    """45° line segments filling each (x, y, w, h) rectangle: a cheap stand-in for hatching."""
    segments: list[_Points] = []
    for x, y, w, h in rects:
        start = x - h + spacing / 2
        while start < x + w:
            # The line through (start, y) with slope 1, clipped to the rectangle.
            x_a, y_a = max(start, x), y + max(0.0, x - start)
            x_b, y_b = min(start + h, x + w), y + h - max(0.0, start + h - (x + w))
            if x_b > x_a:
                segments.append([(x_a, y_a), (x_b, y_b)])
            start += spacing
    return segments


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    value = int(hex_colour.lstrip("#"), 16)
    return ((value >> 16) / 255, ((value >> 8) & 0xFF) / 255, (value & 0xFF) / 255)


# --- Diarised chart ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _KindPanel:
    """One kind's numbers for every member, ready to draw."""

    label: str
    counts: _I64  # members x 7, Monday first
    totals: _I64  # per member
    targets: tuple[int | None, ...]  # None: no positive target
    bar_labels: tuple[str, ...]
    heading: str  # the team's total (and target) for the kind


def _seven(daily: Sequence[int]) -> list[int]:
    """Exactly seven counts, Monday first, whatever the input's length."""
    days = [int(v) for v in daily[:7]]
    return days + [0] * (7 - len(days))


def _diary_kinds(digest: TeamDigest) -> list[str]:
    """Kinds that someone has a target for or logged this week, in display order."""
    shown = [
        kind
        for kind in digest.kinds
        if any(m.targets.get(kind) or any(m.daily.get(kind, ())) for m in digest.members)
    ]
    # With nothing logged and no targets, still show the week as zeros rather than nothing.
    return shown or list(digest.kinds)


def _bar_label(member: MemberWeek, total: int, target: int | None) -> str:
    if member.away:
        return f"away · {total}" if total else "away"
    return f"{total}/{target}" if target is not None else f"{total}"


def _bar_colour(member: MemberWeek, total: int, target: int | None) -> str:
    if member.away:
        return AWAY_HATCH
    if target is None:
        return NO_TARGET
    return MET if total >= target else BELOW


def _kind_panel(digest: TeamDigest, kind: str) -> _KindPanel:
    members = digest.members
    counts = np.array([_seven(m.daily.get(kind, ())) for m in members], dtype=np.int64)
    counts = counts.reshape(len(members), 7)
    totals = counts.sum(axis=1)
    targets: list[int | None] = []
    labels: list[str] = []
    for member, total in zip(members, totals.tolist(), strict=True):
        target = member.targets.get(kind)
        # A target pro-rated down to 0 means nothing was expected: show "3", not "3/0".
        target = int(target) if target is not None and target > 0 else None
        targets.append(target)
        labels.append(_bar_label(member, total, target))
    team_total = int(totals.sum())
    team_target = sum(t for t in targets if t is not None)
    heading = f"{team_total} / {team_target}" if team_target else f"{team_total}"
    return _KindPanel(
        _kind_label(digest, kind), counts, totals, tuple(targets), tuple(labels), heading
    )


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where things go, in inches; computed from the data so nothing is auto-fitted."""

    height: float
    header_h: float
    row_h: float
    name_w: float
    per_band: int
    group_w: float
    cell_w: float
    heat_w: float
    track_w: float  # the bar track, excluding the label column
    label_w: float


def _layout(
    names: Sequence[str], panels: Sequence[_KindPanel], header_h: float, footer_h: float
) -> _Layout:
    name_w = min(NAME_MAX_W, max(_width(n) for n in names)) + NAME_PAD
    avail = WIDTH_IN - 2 * MARGIN_X - name_w
    widest_count = max(int(p.counts.max(initial=0)) for p in panels)
    cell_w = max(CELL_MIN_W, _width(str(widest_count)) + CELL_PAD)
    label_w = max(_width(s) for p in panels for s in (*p.bar_labels, "total"))
    group_min = 7 * cell_w + HEAT_BAR_GAP + BAR_MIN_W + LABEL_GAP + label_w
    # As many kinds side by side as fit at a legible size; the rest wrap into further bands,
    # balanced so that e.g. four kinds become 2 + 2 rather than 3 + 1.
    fit = max(1, min(len(panels), int((avail + GROUP_GAP) // (group_min + GROUP_GAP))))
    bands = math.ceil(len(panels) / fit)
    per_band = math.ceil(len(panels) / bands)
    group_w = (avail - (per_band - 1) * GROUP_GAP) / per_band
    # Cells as wide as useful, the rest to the bars; never squeeze the bar track below its minimum.
    cell_w = min(
        max(cell_w, CELL_MAX_W), (group_w - HEAT_BAR_GAP - BAR_MIN_W - LABEL_GAP - label_w) / 7
    )
    cell_w = max(cell_w, CELL_MIN_W)
    heat_w = 7 * cell_w
    # A very long track (one kind per band) puts the "total/target" label far from short bars:
    # cap it, narrowing the panel and leaving the right of the figure empty instead.
    track_w = min(TRACK_MAX_W, max(0.2, group_w - heat_w - HEAT_BAR_GAP - LABEL_GAP - label_w))
    group_w = min(group_w, heat_w + HEAT_BAR_GAP + track_w + LABEL_GAP + label_w)
    n = len(names)
    row_h = ROW_H if n <= ROWS_FULL_HEIGHT else max(ROW_H_MIN, ROW_H * ROWS_FULL_HEIGHT / n)
    height = header_h + bands * (BAND_HEAD_H + n * row_h + BAND_GAP) + footer_h
    return _Layout(
        height=height,
        header_h=header_h,
        row_h=row_h,
        name_w=name_w,
        per_band=per_band,
        group_w=group_w,
        cell_w=cell_w,
        heat_w=heat_w,
        track_w=track_w,
        label_w=label_w,
    )


def _heat_colours(counts: _I64, away: _Bool) -> tuple[_F64, _Bool]:
    """Face colour of each cell (row-major RGBA) and whether its number should be white."""
    cmap = colormaps[HEATMAP_CMAP]
    vmax = max(1, int(counts.max(initial=0)))
    rgba = np.asarray(cmap(HEAT_LO + (HEAT_HI - HEAT_LO) * (counts / vmax)), dtype=np.float64)
    rgba[counts <= 0] = (*_rgb(EMPTY_CELL), 1.0)
    rgba[(counts <= 0) & away[:, None]] = (*_rgb(AWAY_CELL), 1.0)
    # Relative luminance picks the number's colour, so it contrasts with every shade.
    luminance = rgba[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    return rgba.reshape(-1, 4), luminance < 0.45


def _diary_legend(fig: Figure, text: _TextLayer, y: float) -> None:
    """One line of swatches explaining the bars: one collection, one line, plus labels."""
    sw = 0.14  # swatch size
    x = MARGIN_X
    rects: list[_Points] = []
    colours: list[str] = []
    for colour, label in ((MET, "target met"), (BELOW, "below target"), (NO_TARGET, "no target")):
        rects.append(_rect(x, y - sw / 2, sw, sw))
        colours.append(colour)
        text.add(x + sw + 0.06, y, label, colour=MUTED, va="center")
        x += sw + 0.06 + _width(label) + 0.22
    rects.append(_rect(x, y - sw / 2, 1.8 * sw, sw))
    colours.append(AWAY_FILL)
    stripes = _stripes([(x, y - sw / 2, 1.8 * sw, sw)])
    text.add(x + 1.8 * sw + 0.06, y, "away all week", colour=MUTED, va="center")
    x += 1.8 * sw + 0.06 + _width("away all week") + 0.22
    trans = fig.dpi_scale_trans
    fig.add_artist(_polys(rects, colours, trans))
    target_tick: _Points = [(x + 0.04, y - 0.09), (x + 0.04, y + 0.09)]
    fig.add_artist(
        _lines(
            [*stripes, target_tick],
            [AWAY_HATCH] * len(stripes) + [INK],
            [0.8] * len(stripes) + [2.0],
            trans,
        )
    )
    text.add(x + 0.14, y, "target", colour=MUTED, va="center")


def _draw_panel(
    fig: Figure,
    text: _TextLayer,
    panel: _KindPanel,
    members: Sequence[MemberWeek],
    x0: float,
    top: float,
    lay: _Layout,
) -> None:
    """One kind: heading, day letters, the members x days heatmap and the bar track."""
    n = len(members)
    row_h = lay.row_h
    trans = fig.dpi_scale_trans
    label_x = x0 + lay.group_w  # labels are right-aligned to the panel's right edge
    text.add(x0, top - 0.2, panel.label, size=HEADING_SIZE, bold=True)
    text.add(label_x, top - 0.2, panel.heading, colour=MUTED, ha="right")
    grid_top = top - BAND_HEAD_H
    letters = DAY_LETTERS if lay.cell_w >= 0.2 else tuple(d[0] for d in DAY_LETTERS)
    for d, letter in enumerate(letters):
        text.add(x0 + (d + 0.5) * lay.cell_w, grid_top + 0.07, letter, colour=MUTED, ha="center")
    has_target = any(t is not None for t in panel.targets)
    text.add(
        label_x,
        grid_top + 0.07,
        "total/target" if has_target else "total",
        colour=MUTED,
        ha="right",
    )

    # Heatmap: one QuadMesh; its white edges separate the cells.
    away = np.array([m.away for m in members], dtype=np.bool_)
    grid_x, grid_y = np.meshgrid(
        x0 + np.arange(8) * lay.cell_w, grid_top - np.arange(n + 1) * row_h
    )
    colours, white = _heat_colours(panel.counts, away)
    fig.add_artist(
        QuadMesh(
            np.stack([grid_x, grid_y], axis=-1),
            antialiased=False,  # crisp cell edges; the white gaps do the separating
            shading="flat",
            edgecolors="white",
            linewidths=1.2,
            facecolors=colours,
            transform=trans,
        )
    )
    # Numbers in the cells, zeros skipped: a count must be readable without judging a shade.
    rows, cols = np.nonzero(panel.counts > 0)
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        text.add(
            x0 + (c + 0.5) * lay.cell_w,
            grid_top - (r + 0.5) * row_h,
            str(int(panel.counts[r, c])),
            colour="white" if white[r, c] else INK,
            ha="center",
            va="center",
        )

    # Bar track: the week's total per member against the member's target.
    bx = x0 + lay.heat_w + HEAT_BAR_GAP
    totals = panel.totals.tolist()
    peak = max([1, *totals, *(t for t in panel.targets if t is not None)])
    scale = lay.track_w / peak
    bar_h = 0.62 * row_h
    bars: list[_Points] = []
    bar_colours: list[str] = []
    away_bands: list[tuple[float, float, float, float]] = []
    # The baseline and one short tick per target, all in one LineCollection.
    segments: list[_Points] = [[(bx, grid_top), (bx, grid_top - n * row_h)]]
    widths = [0.8]
    seg_colours = [AXIS]
    for i, (member, total, target) in enumerate(zip(members, totals, panel.targets, strict=True)):
        yc = grid_top - (i + 0.5) * row_h
        if member.away:
            away_bands.append((bx, yc - bar_h / 2, lay.track_w, bar_h))
        if total > 0:
            bars.append(_rect(bx, yc - bar_h / 2, total * scale, bar_h))
            bar_colours.append(_bar_colour(member, total, target))
        if target is not None and not member.away:
            tx = bx + target * scale
            segments.append([(tx, yc - 0.45 * row_h), (tx, yc + 0.45 * row_h)])
            widths.append(2.0)
            seg_colours.append(INK)
        text.add(
            label_x,
            yc,
            panel.bar_labels[i],
            colour=MUTED if member.away else INK,
            ha="right",
            va="center",
        )
    # Away members: a light band with diagonal stripes under any bar. The stripes are plain line
    # segments: matplotlib's hatching cost ~7 ms per collection here, the segments ~0.1 ms.
    if away_bands:
        fig.add_artist(_polys([_rect(*band) for band in away_bands], AWAY_FILL, trans))
        fig.add_artist(_lines(_stripes(away_bands), AWAY_HATCH, 0.8, trans))
    if bars:
        fig.add_artist(_polys(bars, bar_colours, trans))
    fig.add_artist(_lines(segments, seg_colours, widths, trans))


def render_diarised_chart(digest: TeamDigest) -> bytes:
    """Render the team's week per member, split by day, against each member's target.

    For each kind that has a target or was logged, a panel shows a members x days (Mon..Sun)
    heatmap with the count written in every non-empty cell, and beside it a bar per member for
    the week's total with the member's (pro-rated) target as a black tick and "total/target"
    written out. Members away all week are hatched grey and labelled "away", not shown as a miss.
    Kinds sit side by side as far as the 1080 px width allows and wrap into further bands beyond
    that; the height grows with the number of members (0.22 in per member row, shrinking gently
    past 60 members).

    Args:
        digest: The team's digest for one ISO week.

    Returns:
        PNG bytes, 1080 px wide. The same digest always gives the same bytes.
    """
    title = _title(digest)
    subtitle = _subtitle(digest)
    members = digest.members
    if not members:
        return _message_figure(
            title, subtitle, "No members yet", "Invite people with /invite <team> <role>."
        )
    kinds = _diary_kinds(digest)
    if not kinds:
        return _message_figure(
            title, subtitle, "No activity logged this week", "No kinds of activity are set up."
        )

    panels = [_kind_panel(digest, kind) for kind in kinds]
    quiet = all(int(p.totals.sum()) == 0 for p in panels)
    names = [_fit(_drawable(m.name, f"member {i + 1}"), NAME_MAX_W) for i, m in enumerate(members)]
    header_h = 1.12 + (0.26 if quiet else 0.0)
    partly_away = any(0 < m.away_days < 7 for m in members)
    footer_h = 0.32 if partly_away else 0.1
    lay = _layout(names, panels, header_h, footer_h)

    fig = _new_figure(lay.height)
    text = _TextLayer()
    y = _header(text, lay.height, title, subtitle)
    if quiet:
        text.add(
            MARGIN_X, y, "No activity logged this week", size=HEADING_SIZE, bold=True, va="top"
        )
        y -= 0.26
    _diary_legend(fig, text, y - 0.1)

    top = lay.height - lay.header_h
    names_x = MARGIN_X + lay.name_w - NAME_PAD
    for start in range(0, len(panels), lay.per_band):
        rows_top = top - BAND_HEAD_H
        for i, name in enumerate(names):
            text.add(names_x, rows_top - (i + 0.5) * lay.row_h, name, ha="right", va="center")
        for j, panel in enumerate(panels[start : start + lay.per_band]):
            x0 = MARGIN_X + lay.name_w + j * (lay.group_w + GROUP_GAP)
            _draw_panel(fig, text, panel, members, x0, top, lay)
        top -= BAND_HEAD_H + len(members) * lay.row_h + BAND_GAP
    if partly_away:
        text.add(MARGIN_X, 0.12, "Targets are pro-rated for days away.", italic=True, colour=MUTED)
    text.draw(fig)
    return _png(fig)


# --- Trend chart ---------------------------------------------------------------------------------


def _trend_kinds(digest: TeamDigest, trend: Sequence[TrendPoint]) -> list[str]:
    shown = [
        kind
        for kind in digest.kinds
        if any(p.totals.get(kind) or p.targets.get(kind) for p in trend)
    ]
    return shown or list(digest.kinds)


def _week_label(iso_week: str) -> str:
    """``2026-W47`` -> ``W47`` (anything unexpected is shown as given)."""
    _, sep, week = iso_week.rpartition("-")
    return _drawable(week if sep and week.startswith("W") else iso_week, "?")


def _step(x: _F64, values: _F64) -> tuple[list[float], list[float]]:
    """A step line covering each week's whole slot; NaN weeks (no target) leave a gap."""
    xs: list[float] = []
    ys: list[float] = []
    for i, v in zip(x.tolist(), values.tolist(), strict=True):
        xs += [i - 0.5, i + 0.5]
        ys += [v, v]
    return xs, ys


def _data_transform(
    fig: Figure,
    rect: tuple[float, float, float, float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
) -> Transform:
    """Data coordinates -> figure pixels for a panel occupying ``rect`` (l, b, w, h) inches."""
    left, bottom, width, height = rect
    sx = width / (xlim[1] - xlim[0])
    sy = height / (ylim[1] - ylim[0])
    to_inches = Affine2D().scale(sx, sy).translate(left - xlim[0] * sx, bottom - ylim[0] * sy)
    return to_inches + fig.dpi_scale_trans


def _trend_legend(fig: Figure, text: _TextLayer, y: float) -> None:
    trans = fig.dpi_scale_trans
    colour = OKABE_ITO[0]
    x = MARGIN_X
    fig.add_artist(_polyline([x, x + 0.34], [y, y], colour, 2.0, trans))
    fig.add_artist(_markers([x + 0.17], [y], "o", colour, colour, trans))
    label = "weekly total, target met"
    text.add(x + 0.42, y, label, colour=MUTED, va="center")
    x += 0.42 + _width(label) + 0.28
    fig.add_artist(_markers([x + 0.07], [y], "o", "white", colour, trans))
    label = "below target"
    text.add(x + 0.18, y, label, colour=MUTED, va="center")
    x += 0.18 + _width(label) + 0.28
    fig.add_artist(_lines(_dashes([(x, y), (x + 0.34, y)]), INK, 1.4, trans))
    text.add(x + 0.42, y, "target", colour=MUTED, va="center")


def _trend_panel(
    fig: Figure,
    text: _TextLayer,
    rect: tuple[float, float, float, float],
    totals: _F64,
    targets: _F64,
    colour: str,
    marker: str,
    week_labels: Sequence[str] | None,
) -> None:
    """One kind's weekly totals (line + markers) against its target (dashed step)."""
    left, bottom, width, height = rect
    # Always 13 week slots with this week on the right, so a young team's short history reads
    # as "recent weeks" and every team's chart has the same scale.
    n = len(totals)
    xlim = (-0.6, TREND_WEEKS - 0.4)
    x = np.arange(TREND_WEEKS - n, TREND_WEEKS, dtype=np.float64)
    peak = float(np.nanmax(np.concatenate([totals, targets, [1.0]])))
    ylim = (0.0, peak * 1.18)
    data = _data_transform(fig, rect, xlim, ylim)
    inches = fig.dpi_scale_trans

    def x_in(v: float) -> float:
        return left + (v - xlim[0]) / (xlim[1] - xlim[0]) * width

    def y_in(v: float) -> float:
        return bottom + (v - ylim[0]) / (ylim[1] - ylim[0]) * height

    # Grid and axis: one LineCollection (why not Axes: see the module docstring).
    ticks = [
        t for t in MaxNLocator(nbins=4, integer=True).tick_values(0, ylim[1]) if 0 <= t <= ylim[1]
    ]
    segments: list[_Points] = [[(x_in(v), bottom), (x_in(v), bottom + height)] for v in x]
    segments += [[(left, y_in(t)), (left + width, y_in(t))] for t in ticks if t > 0]
    colours = [GRID] * len(segments)
    segments.append([(left, bottom), (left + width, bottom)])
    colours.append(AXIS)
    fig.add_artist(_lines(segments, colours, 0.8, inches))
    for t in ticks:
        text.add(left - 0.08, y_in(t), f"{t:.0f}", colour=MUTED, ha="right", va="center")
    if week_labels is not None:
        for v, label in zip(x.tolist(), week_labels, strict=True):
            text.add(x_in(v), bottom - 0.08, label, colour=MUTED, ha="center", va="top")

    # Data: a light area under the totals, the dashed target step, the totals line, markers.
    fill = [(x[0], 0.0), *zip(x.tolist(), totals.tolist(), strict=True), (x[-1], 0.0)]
    fig.add_artist(_polys([fill], colour, data, alpha=0.12))
    step_x, step_y = _step(x, targets)
    step_in = [(x_in(a), y_in(b)) for a, b in zip(step_x, step_y, strict=True)]
    fig.add_artist(_lines(_dashes(step_in), INK, 1.4, inches))
    fig.add_artist(_polyline(x, totals, colour, 2.0, data))
    below = ~np.isnan(targets) & (totals < np.nan_to_num(targets))
    for mask, face in ((~below, colour), (below, "white")):
        if mask.any():
            fig.add_artist(_markers(x[mask], totals[mask], marker, face, colour, data))


def render_trend_chart(digest: TeamDigest) -> bytes:
    """Render the team's weekly totals against its target over ``digest.trend``.

    One small panel per kind (kinds with a total or a target in the period), stacked over a
    shared week axis labelled ``W47`` etc.: the weekly total as a line with markers (filled when
    the target was met, hollow when below it, so colour is not the only cue) and the team's
    target as a dashed step. At most the last 13 weeks are drawn.

    Args:
        digest: The team's digest; its name, week, kinds, kind labels and ``trend`` are used.

    Returns:
        PNG bytes, 1080 px wide. The same digest always gives the same bytes.
    """
    title = _title(digest)
    subtitle = "Weekly team totals against target, last 13 weeks"
    trend = digest.trend[-TREND_WEEKS:]
    if not trend:
        return _message_figure(
            title, subtitle, "No weekly history yet", "The trend fills in as weeks are logged."
        )
    kinds = _trend_kinds(digest, trend)
    if not kinds:
        return _message_figure(
            title, subtitle, "No activity logged yet", "No kinds of activity are set up."
        )

    height = (
        TREND_HEADER_H
        + len(kinds) * TREND_PANEL_H
        + (len(kinds) - 1) * TREND_PANEL_GAP
        + TREND_BOTTOM_H
    )
    fig = _new_figure(height)
    text = _TextLayer()
    y = _header(text, height, title, subtitle)
    _trend_legend(fig, text, y - 0.1)

    week_labels = [_week_label(p.iso_week) for p in trend]
    width = WIDTH_IN - TREND_LEFT - TREND_RIGHT
    for k, kind in enumerate(kinds):
        slot = digest.kinds.index(kind)  # colour and marker follow the kind, not its position
        totals = np.array([p.totals.get(kind, 0) for p in trend], dtype=np.float64)
        raw_targets = [p.targets.get(kind) for p in trend]
        targets = np.array(
            [t if t is not None and t > 0 else np.nan for t in raw_targets], dtype=np.float64
        )
        panel_top = height - TREND_HEADER_H - k * (TREND_PANEL_H + TREND_PANEL_GAP)
        _trend_panel(
            fig,
            text,
            (TREND_LEFT, panel_top - TREND_PANEL_H, width, TREND_PANEL_H),
            totals,
            targets,
            OKABE_ITO[slot % len(OKABE_ITO)],
            TREND_MARKERS[slot % len(TREND_MARKERS)],
            week_labels if k == len(kinds) - 1 else None,
        )
        this_target = raw_targets[-1]
        latest = f"{int(totals[-1])} / {this_target}" if this_target else f"{int(totals[-1])}"
        text.add(
            TREND_LEFT, panel_top + 0.12, _kind_label(digest, kind), size=HEADING_SIZE, bold=True
        )
        text.add(
            WIDTH_IN - TREND_RIGHT,
            panel_top + 0.12,
            f"{week_labels[-1]}: {latest}",
            colour=MUTED,
            ha="right",
        )
    text.draw(fig)
    return _png(fig)
