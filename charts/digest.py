"""Digest charts: a team's week per member, split by day, and its 13-week trend, as PNG bytes.

Both renderers are pure functions of a :class:`~organiser_bot.domain.digest.TeamDigest`: no
Telegram, no storage, no module-level mutable state. Only matplotlib's object API is used: a
``Figure`` drawn by an Agg renderer that each call creates and drops. ``matplotlib.pyplot`` is
never imported, so there is no global figure registry for figures to leak into.

This module is the charts' design: what a reader of the digest sees, where it goes and why.

* The week (:func:`render_diarised_chart`): per kind of activity, a members x days heatmap with
  every non-empty cell's count written in it, and beside it one bar per member for the week's
  total against the member's target, with "total/target" written out. Colour is never the only
  cue. Members away all week are hatched grey and labelled "away", not shown as a miss. Kinds sit
  side by side as far as 1080 px allows, then wrap into balanced bands.
* The trend (:func:`render_trend_chart`): one small panel per kind over the same 13 week slots,
  weekly totals as a line with markers (filled when the target was met, hollow when below) and
  the team's target as a dashed step.
* When there is nothing to draw (no members, no kinds, no history), a small figure says why.

Why this form (DESIGN.md, "Performance budget" → Charts): the digest goes to every team in one
sitting, so a chart must render in about 100 ms. A stacked-by-day bar chart with one artist per
bar costs seconds for 25 members x 3 kinds; a members x days heatmap plus one bar per member is
both faster and easier to read. How it is drawn lives in private modules, each with its reasons
and measurements: :mod:`charts._draw` (no Axes; artists with every style property explicit),
:mod:`charts._text` (strings from cached glyph outlines, not ``Text`` artists; names in any
script shaped by libraqm, with font fallback and visible stand-ins for what no font draws),
:mod:`charts._png` (a renderer per call and a PNG encoder in place of Pillow's) and
:mod:`charts._palette` (the colours).

Output is deterministic for the same input: every colour, size and font is set explicitly rather
than read from ``rcParams`` (a global style cannot change the bytes), the layout is computed rather
than auto-fitted, and the PNG carries no text or time chunks. The digest ledger stores a hash of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
from matplotlib import colormaps
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D, Transform

from charts._draw import (
    Points,
    dashes,
    lines,
    markers,
    new_figure,
    polyline,
    polys,
    rect_points,
    stripes,
)
from charts._palette import (
    AWAY_CELL,
    AWAY_FILL,
    AWAY_HATCH,
    AXIS,
    BELOW,
    EMPTY_CELL,
    GRID,
    HEAT_HI,
    HEAT_LO,
    HEATMAP_CMAP,
    INK,
    MET,
    MUTED,
    NO_TARGET,
    OKABE_ITO,
    rgb,
)
from charts._png import figure_png
from charts._text import TextLayer, drawable, fit, fit_apart, text_width
from organiser_bot.domain.digest import MemberWeek, TeamDigest, TrendPoint
from organiser_bot.domain.names import isolated

__all__ = ["render_diarised_chart", "render_trend_chart"]

_F64 = npt.NDArray[np.float64]
_I64 = npt.NDArray[np.int64]
_Bool = npt.NDArray[np.bool_]

# --- Canvas --------------------------------------------------------------------------------------
# 7.2 in at 150 dpi = 1080 px: Telegram shows a photo at the phone's width and 1080 px is a common
# phone width, so type sizes here are roughly what a reader sees. Body text is 9 pt
# (charts._text.FONT_SIZE), the smallest size used anywhere.
DPI = 150
WIDTH_IN = 7.2
TITLE_SIZE = 13.0
HEADING_SIZE = 10.0
MESSAGE_SIZE = 12.0

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


# --- Shared pieces -------------------------------------------------------------------------------


def _title(digest: TeamDigest) -> str:
    """``<team> · <iso week>`` (+ `` · preview``), the team's name shortened to fit one line."""
    suffix = f" · {drawable(digest.iso_week, '')}" + (" · preview" if digest.preview else "")
    room = WIDTH_IN - 2 * MARGIN_X - text_width(suffix, TITLE_SIZE, bold=True)
    team = fit(drawable(digest.team_name, "Team"), room, TITLE_SIZE, bold=True, initial=False)
    return isolated(team) + suffix


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
    return drawable(digest.kind_labels.get(kind, kind.replace("_", " ")), kind)


def _header(text: TextLayer, height: float, title: str, subtitle: str) -> float:
    """Queue title and subtitle; return the y (inches from the bottom) just below them."""
    y = height - 0.14
    text.add(MARGIN_X, y, title, size=TITLE_SIZE, bold=True, va="top")
    y -= 0.33
    text.add(MARGIN_X, y, subtitle, colour=MUTED, va="top")
    return y - 0.22


def _message_figure(title: str, subtitle: str, message: str, hint: str) -> bytes:
    """A small figure saying why there is no chart, rather than an empty or broken one."""
    height = 2.0
    fig = new_figure(WIDTH_IN, height, DPI)
    text = TextLayer()
    _header(text, height, title, subtitle)
    text.add(WIDTH_IN / 2, 0.95, message, size=MESSAGE_SIZE, bold=True, ha="center", va="center")
    text.add(WIDTH_IN / 2, 0.6, hint, colour=MUTED, ha="center", va="center")
    text.draw(fig)
    return figure_png(fig)


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
    name_w = min(NAME_MAX_W, max(text_width(n) for n in names)) + NAME_PAD
    avail = WIDTH_IN - 2 * MARGIN_X - name_w
    widest_count = max(int(np.max(p.counts, initial=0)) for p in panels)
    cell_w = max(CELL_MIN_W, text_width(str(widest_count)) + CELL_PAD)
    label_w = max(text_width(s) for p in panels for s in (*p.bar_labels, "total"))
    group_min = 7 * cell_w + HEAT_BAR_GAP + BAR_MIN_W + LABEL_GAP + label_w
    # As many kinds side by side as fit at a legible size; the rest wrap into further bands,
    # balanced so that e.g. four kinds become 2 + 2 rather than 3 + 1.
    across = max(1, min(len(panels), int((avail + GROUP_GAP) // (group_min + GROUP_GAP))))
    bands = math.ceil(len(panels) / across)
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
    """Face colour of each cell (row-major RGBA) and whether its number should be white.

    ``away`` is a members x days mask: days away all week, or outside the membership, are drawn
    as away cells when nothing was logged on them.
    """
    cmap = colormaps[HEATMAP_CMAP]
    vmax = max(1, int(np.max(counts, initial=0)))
    rgba = np.asarray(cmap(HEAT_LO + (HEAT_HI - HEAT_LO) * (counts / vmax)), dtype=np.float64)
    rgba[counts <= 0] = (*rgb(EMPTY_CELL), 1.0)
    rgba[(counts <= 0) & away] = (*rgb(AWAY_CELL), 1.0)
    # Relative luminance picks the number's colour, so it contrasts with every shade.
    luminance = rgba[..., :3] @ np.array([0.2126, 0.7152, 0.0722])
    return rgba.reshape(-1, 4), luminance < 0.45


def _diary_legend(fig: Figure, text: TextLayer, y: float) -> None:
    """One line of swatches explaining the bars: one collection, one line, plus labels."""
    sw = 0.14  # swatch size
    x = MARGIN_X
    rects: list[Points] = []
    colours: list[str] = []
    for colour, label in ((MET, "target met"), (BELOW, "below target"), (NO_TARGET, "no target")):
        rects.append(rect_points(x, y - sw / 2, sw, sw))
        colours.append(colour)
        text.add(x + sw + 0.06, y, label, colour=MUTED, va="center")
        x += sw + 0.06 + text_width(label) + 0.22
    rects.append(rect_points(x, y - sw / 2, 1.8 * sw, sw))
    colours.append(AWAY_FILL)
    hatch = stripes([(x, y - sw / 2, 1.8 * sw, sw)])
    text.add(x + 1.8 * sw + 0.06, y, "away all week", colour=MUTED, va="center")
    x += 1.8 * sw + 0.06 + text_width("away all week") + 0.22
    trans = fig.dpi_scale_trans
    fig.add_artist(polys(rects, colours, trans))
    target_tick: Points = [(x + 0.04, y - 0.09), (x + 0.04, y + 0.09)]
    fig.add_artist(
        lines(
            [*hatch, target_tick],
            [AWAY_HATCH] * len(hatch) + [INK],
            [0.8] * len(hatch) + [2.0],
            trans,
        )
    )
    text.add(x + 0.14, y, "target", colour=MUTED, va="center")


def _draw_panel(
    fig: Figure,
    text: TextLayer,
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
    # Grey cells: a member away all week, and days outside a member's membership period.
    away = np.array(
        [[m.away or not inside for inside in m.member_days] for m in members], dtype=np.bool_
    ).reshape(n, 7)
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
    bars: list[Points] = []
    bar_colours: list[str] = []
    away_bands: list[tuple[float, float, float, float]] = []
    # The baseline and one short tick per target, all in one LineCollection.
    segments: list[Points] = [[(bx, grid_top), (bx, grid_top - n * row_h)]]
    widths = [0.8]
    seg_colours = [AXIS]
    for i, (member, total, target) in enumerate(zip(members, totals, panel.targets, strict=True)):
        yc = grid_top - (i + 0.5) * row_h
        if member.away:
            away_bands.append((bx, yc - bar_h / 2, lay.track_w, bar_h))
        if total > 0:
            bars.append(rect_points(bx, yc - bar_h / 2, total * scale, bar_h))
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
        fig.add_artist(polys([rect_points(*band) for band in away_bands], AWAY_FILL, trans))
        fig.add_artist(lines(stripes(away_bands), AWAY_HATCH, 0.8, trans))
    if bars:
        fig.add_artist(polys(bars, bar_colours, trans))
    fig.add_artist(lines(segments, seg_colours, widths, trans))


def render_diarised_chart(digest: TeamDigest) -> bytes:
    """Render the team's week per member, split by day, against each member's target.

    For each kind that has a target or was logged, a panel shows a members x days (Mon..Sun)
    heatmap with the count written in every non-empty cell, and beside it a bar per member for
    the week's total with the member's (pro-rated) target as a black tick and "total/target"
    written out. Members away all week are hatched grey and labelled "away", not shown as a miss;
    days outside a member's membership period (before they joined, after they left) are grey
    cells, and their target counts only the days inside it. Kinds sit side by side as far as
    the 1080 px width allows and wrap into further bands beyond that; the height grows with the
    number of members (0.22 in per member row, shrinking gently past 60 members).

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
    names = fit_apart(
        [m.name for m in members], [f"member {i + 1}" for i in range(len(members))], NAME_MAX_W
    )
    header_h = 1.12 + (0.26 if quiet else 0.0)
    partly_away = any(0 < m.away_days < 7 for m in members)
    partly_member = any(any(m.member_days) and not all(m.member_days) for m in members)
    footer = ""
    if partly_away and partly_member:
        footer = "Targets are pro-rated for days away and days before joining or after leaving."
    elif partly_away:
        footer = "Targets are pro-rated for days away."
    elif partly_member:
        footer = "Targets are pro-rated for days before joining or after leaving (grey)."
    footer_h = 0.32 if footer else 0.1
    lay = _layout(names, panels, header_h, footer_h)

    fig = new_figure(WIDTH_IN, lay.height, DPI)
    text = TextLayer()
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
    if footer:
        text.add(MARGIN_X, 0.12, footer, italic=True, colour=MUTED)
    text.draw(fig)
    return figure_png(fig)


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
    return drawable(week if sep and week.startswith("W") else iso_week, "?")


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


def _trend_legend(fig: Figure, text: TextLayer, y: float) -> None:
    trans = fig.dpi_scale_trans
    colour = OKABE_ITO[0]
    x = MARGIN_X
    fig.add_artist(polyline([x, x + 0.34], [y, y], colour, 2.0, trans))
    fig.add_artist(markers([x + 0.17], [y], "o", colour, colour, trans))
    label = "weekly total, target met"
    text.add(x + 0.42, y, label, colour=MUTED, va="center")
    x += 0.42 + text_width(label) + 0.28
    fig.add_artist(markers([x + 0.07], [y], "o", "white", colour, trans))
    label = "below target"
    text.add(x + 0.18, y, label, colour=MUTED, va="center")
    x += 0.18 + text_width(label) + 0.28
    fig.add_artist(lines(dashes([(x, y), (x + 0.34, y)]), INK, 1.4, trans))
    text.add(x + 0.42, y, "target", colour=MUTED, va="center")


def _trend_panel(
    fig: Figure,
    text: TextLayer,
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

    # Grid and axis: one LineCollection (why not Axes: see charts._draw).
    ticks = [
        t for t in MaxNLocator(nbins=4, integer=True).tick_values(0, ylim[1]) if 0 <= t <= ylim[1]
    ]
    segments: list[Points] = [[(x_in(v), bottom), (x_in(v), bottom + height)] for v in x]
    segments += [[(left, y_in(t)), (left + width, y_in(t))] for t in ticks if t > 0]
    colours = [GRID] * len(segments)
    segments.append([(left, bottom), (left + width, bottom)])
    colours.append(AXIS)
    fig.add_artist(lines(segments, colours, 0.8, inches))
    for t in ticks:
        text.add(left - 0.08, y_in(t), f"{t:.0f}", colour=MUTED, ha="right", va="center")
    if week_labels is not None:
        for v, label in zip(x.tolist(), week_labels, strict=True):
            text.add(x_in(v), bottom - 0.08, label, colour=MUTED, ha="center", va="top")

    # Data: a light area under the totals, the dashed target step, the totals line, markers.
    fill = [(x[0], 0.0), *zip(x.tolist(), totals.tolist(), strict=True), (x[-1], 0.0)]
    fig.add_artist(polys([fill], colour, data, alpha=0.12))
    step_x, step_y = _step(x, targets)
    step_in = [(x_in(a), y_in(b)) for a, b in zip(step_x, step_y, strict=True)]
    fig.add_artist(lines(dashes(step_in), INK, 1.4, inches))
    fig.add_artist(polyline(x, totals, colour, 2.0, data))
    below = ~np.isnan(targets) & (totals < np.nan_to_num(targets))
    for mask, face in ((~below, colour), (below, "white")):
        if mask.any():
            fig.add_artist(markers(x[mask], totals[mask], marker, face, colour, data))


def render_trend_chart(digest: TeamDigest) -> bytes:
    """Render the team's weekly totals against its target over ``digest.trend``.

    One small panel per kind (kinds with a total or a target in the period), stacked over a
    shared week axis labelled ``W47`` etc.: the weekly total as a line with markers (filled when
    the target was met, hollow when below it, so colour is not the only cue) and the team's
    target as a dashed step. At most the last 13 weeks are drawn; a team younger than that has
    fewer points (from the week it was created), drawn in the rightmost slots.

    Args:
        digest: The team's digest; its name, week, kinds, kind labels and ``trend`` are used.

    Returns:
        PNG bytes, 1080 px wide. The same digest always gives the same bytes.
    """
    title = _title(digest)
    trend = digest.trend[-TREND_WEEKS:]
    subtitle = "Weekly team totals against target, last 13 weeks"
    if trend and len(trend) < TREND_WEEKS:
        # A young team: its trend starts with the week it was created, not with zeros before.
        subtitle = f"Weekly team totals against target, since {_week_label(trend[0].iso_week)}"
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
    fig = new_figure(WIDTH_IN, height, DPI)
    text = TextLayer()
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
    return figure_png(fig)
