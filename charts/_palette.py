"""The digest charts' colours: one place, so both charts and their legends agree.

Every colour is a literal here rather than read from ``rcParams``, so a global style cannot change
what a chart looks like (or its bytes).
"""

from __future__ import annotations

__all__ = [
    "AWAY_CELL",
    "AWAY_FILL",
    "AWAY_HATCH",
    "AXIS",
    "BELOW",
    "EMPTY_CELL",
    "GRID",
    "HEATMAP_CMAP",
    "HEAT_HI",
    "HEAT_LO",
    "INK",
    "MET",
    "MUTED",
    "NO_TARGET",
    "OKABE_ITO",
    "rgb",
]

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


def rgb(hex_colour: str) -> tuple[float, float, float]:
    """``"#RRGGBB"`` as red, green and blue fractions in [0, 1]."""
    value = int(hex_colour.lstrip("#"), 16)
    return ((value >> 16) / 255, ((value >> 8) & 0xFF) / 255, (value & 0xFF) / 255)
