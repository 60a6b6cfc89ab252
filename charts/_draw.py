"""Drawing primitives for the digest charts: a bare figure and fully specified artists.

No Axes: profiling the charts on the 2-core hosts found Axes, ticks and layout engines to be one
of three costs besides the chart's form (text and PNG encoding are the others: see
:mod:`charts._text` and :mod:`charts._png`). The geometry of both charts is known exactly, so they
are drawn straight onto the figure in inch coordinates (``fig.dpi_scale_trans``), a few
collections per panel.

Every style property is passed explicitly, because anything left out is read from the global
``rcParams``: a style another module set would otherwise change the output. For the same reason
dashes and hatching are drawn by hand as line segments (:func:`dashes`, :func:`stripes`); that is
also cheaper, since matplotlib's hatching cost ~7 ms per collection here and the segments ~0.1 ms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Transform

__all__ = [
    "Points",
    "dashes",
    "lines",
    "markers",
    "new_figure",
    "polyline",
    "polys",
    "rect_points",
    "stripes",
]

Points = list[tuple[float, float]]
_Coords = Sequence[float] | npt.NDArray[np.float64]


def new_figure(width_in: float, height_in: float, dpi: int) -> Figure:
    """A white figure of the given size with no layout engine and no pyplot registration.

    Args:
        width_in: Width in inches.
        height_in: Height in inches.
        dpi: Pixels per inch.

    Returns:
        A new ``Figure``; nothing else holds a reference to it.
    """
    fig = Figure(
        figsize=(width_in, height_in),
        dpi=dpi,
        facecolor="white",
        edgecolor="white",
        linewidth=0.0,
        frameon=True,
    )
    # The layout is explicit: drop any autolayout engine that rcParams may have asked for.
    fig.set_layout_engine("none")
    return fig


def rect_points(x: float, y: float, w: float, h: float) -> Points:
    """The corners of the rectangle with bottom-left ``(x, y)``, width ``w`` and height ``h``."""
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def lines(
    segments: Sequence[Points],
    colours: str | Sequence[str],
    widths: float | Sequence[float],
    trans: Transform,
) -> LineCollection:
    """Solid, butt-capped line segments: one colour and width each, or one for all (points)."""
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


def polys(
    shapes: Sequence[Points],
    colours: str | Sequence[str],
    trans: Transform,
    alpha: float | None = None,
) -> PolyCollection:
    """Filled polygons without edges: one colour each, or one for all."""
    return PolyCollection(
        shapes,
        facecolors=colours,
        edgecolors="none",
        linewidths=0.0,
        antialiaseds=True,
        alpha=alpha,
        transform=trans,
    )


def polyline(xs: _Coords, ys: _Coords, colour: str, width: float, trans: Transform) -> Line2D:
    """A solid line through the points, with round caps and joins; ``width`` in points."""
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


def markers(
    xs: _Coords, ys: _Coords, marker: str, face: str, edge: str, trans: Transform
) -> Line2D:
    """Unconnected markers (a matplotlib marker code such as ``"o"``) at the points."""
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


def dashes(
    points: Sequence[tuple[float, float]], on: float = 0.07, off: float = 0.045
) -> list[Points]:
    """Dash segments along a polyline; a point with a NaN coordinate breaks it.

    Dashing by hand keeps the pattern independent of ``rcParams["lines.scale_dashes"]``.

    Args:
        points: The polyline's vertices, in inches.
        on: Length of each dash, in inches.
        off: Length of each gap, in inches.

    Returns:
        One two-point segment per dash (or part of a dash), the phase carried across vertices
        and restarted after each break.
    """
    out: list[Points] = []
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
                out.append(
                    [
                        (x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0),
                        (x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1),
                    ]
                )
        travelled += length
    return out


def stripes(
    rects: Sequence[tuple[float, float, float, float]], spacing: float = 0.07
) -> list[Points]:
    """45° line segments filling each rectangle: a cheap stand-in for hatching.

    Args:
        rects: Rectangles as (x, y, w, h), bottom-left corner first, in inches.
        spacing: Horizontal distance between stripes, in inches.

    Returns:
        Two-point segments, each clipped to its rectangle.
    """
    segments: list[Points] = []
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
