"""Text for the digest charts, drawn from cached glyph outlines rather than as ``Text`` artists.

Why: a chart must render in about 100 ms (DESIGN.md, "Performance budget" → Charts). With
matplotlib 3.11 each ``Text`` artist costs ~2 ms, because its libraqm layout runs per string, and
a 25-member chart has ~300 numbers and names: ~0.6 s of text alone. Here each string is assembled
from glyph outlines loaded once per process (with kerning), queued on a :class:`TextLayer`, and
the layer draws everything as one compound path per colour. Merging the strings into a few paths
also avoids constructing and validating a ``Path`` per string, which was a tenth of the render
time.

What it costs: no text shaping (ligatures, right-to-left scripts) and no font fallback. Names are
set in DejaVu Sans, which ships with matplotlib (so the output does not depend on which fonts a
host has); characters it cannot draw, such as emoji, are dropped by :func:`drawable`. It uses
matplotlib's low-level ``ft2font`` glyph API, which is why pyproject pins matplotlib to the minor
version the chart tests run on.

The module-level caches (glyph and string outlines, kerning, which characters the font has) are
pure functions of their arguments, their arrays are read-only, and ``get_font`` keeps one
``FT2Font`` per thread, so concurrent renders share nothing mutable. Each render builds its own
:class:`TextLayer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import GlyphIndexType, Kerning, LoadFlags
from matplotlib.path import Path

from charts._palette import INK

__all__ = [
    "CAP_HEIGHT",
    "FONT_SIZE",
    "HAlign",
    "TextLayer",
    "VAlign",
    "drawable",
    "fit",
    "text_width",
]

FONT_FAMILY = "DejaVu Sans"
FONT_SIZE = 9.0  # the smallest size used anywhere: legible on a phone at 1080 px
CAP_HEIGHT = 0.729  # DejaVu Sans cap/digit height in em: used to centre text vertically

HAlign = Literal["left", "center", "right"]
VAlign = Literal["baseline", "center", "top"]

_F64 = npt.NDArray[np.float64]
_U8 = npt.NDArray[np.uint8]

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
    codes: _U8
    advance: float  # in em


@lru_cache(maxsize=4096)
def _glyph(char: str, bold: bool, italic: bool) -> _Glyph:
    """The outline of one character (pure: cached so each glyph is loaded once per process)."""
    font = get_font(_font_file(bold, italic))  # matplotlib keeps one FT2Font per thread
    font.set_size(_GLYPH_SCALE, 72)
    loaded = font.load_char(ord(char), flags=LoadFlags.NO_HINTING)
    vertices, codes = font.get_path()
    verts: _F64 = np.asarray(vertices, dtype=np.float64) / _GLYPH_SCALE
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


def drawable(text: str, fallback: str) -> str:
    """``text`` without the characters the font lacks, its spaces collapsed.

    Telegram names often carry emoji; they would be drawn as empty boxes, so they are dropped.

    Args:
        text: Any string, e.g. a member's Telegram name.
        fallback: Returned when nothing drawable is left.

    Returns:
        The drawable characters of ``text`` with runs of whitespace made single spaces and the
        ends stripped, or ``fallback`` if that is empty.
    """
    kept = "".join(ch if _has_glyph(ch) else " " for ch in text)
    return " ".join(kept.split()) or fallback


@lru_cache(maxsize=1024)
def _outline(text: str, bold: bool, italic: bool) -> tuple[_F64, _U8, float]:
    """Vertices, codes and advance width of ``text`` set in a 1-em font, baseline at y=0.

    Cached because the same short strings (counts, "9/15", day letters) recur in every chart.
    """
    verts: list[_F64] = []
    codes: list[_U8] = []
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
    all_verts: _F64 = np.concatenate(verts) if verts else np.empty((0, 2), dtype=np.float64)
    all_codes: _U8 = np.concatenate(codes) if codes else np.empty(0, dtype=np.uint8)
    all_verts.flags.writeable = False  # shared via the cache
    all_codes.flags.writeable = False
    return all_verts, all_codes, pen


def text_width(
    text: str, size: float = FONT_SIZE, bold: bool = False, italic: bool = False
) -> float:
    """The advance width of ``text``.

    Args:
        text: The string as it will be drawn (pass it through :func:`drawable` first).
        size: Type size in points.
        bold: Whether it is set in bold.
        italic: Whether it is set in italic.

    Returns:
        The width in inches, kerning included.
    """
    return _outline(text, bold, italic)[2] * size / 72


def fit(
    text: str, max_w: float, size: float = FONT_SIZE, bold: bool = False, initial: bool = True
) -> str:
    """``text`` shortened until it is at most ``max_w`` inches wide at ``size`` points.

    Args:
        text: The string as it will be drawn.
        max_w: The room, in inches.
        size: Type size in points.
        bold: Whether it is set in bold.
        initial: Try ``"First L."`` (first word, last word's initial) before cutting: for a
            person's name that is still recognisable on a team chart.

    Returns:
        ``text`` if it fits; else ``"First L."`` if allowed and it fits; else the longest prefix
        that fits with ``"…"`` appended; at worst ``"…"`` alone.
    """
    if text_width(text, size, bold) <= max_w:
        return text
    words = text.split()
    if initial and len(words) > 1:
        short = f"{words[0]} {words[-1][0]}."
        if text_width(short, size, bold) <= max_w:
            return short
    for cut in range(len(text) - 1, 0, -1):
        candidate = text[:cut].rstrip() + "…"
        if text_width(candidate, size, bold) <= max_w:
            return candidate
    return "…"


class TextLayer:
    """Strings collected during layout and drawn together, one compound path per colour.

    Each render builds its own layer, so nothing is shared between calls.
    """

    def __init__(self) -> None:
        self._verts: dict[str, list[_F64]] = {}
        self._codes: dict[str, list[_U8]] = {}

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
        ha: HAlign = "left",
        va: VAlign = "baseline",
    ) -> None:
        """Queue ``text`` at ``(x, y)`` inches from the figure's bottom-left corner.

        Args:
            x: Horizontal anchor, in inches; ``ha`` says which end of the string it is.
            y: Vertical anchor, in inches; ``va`` says whether it is the baseline, the middle of
                the cap height or its top.
            text: The string as it will be drawn (pass it through :func:`drawable` first).
            size: Type size in points.
            bold: Whether it is set in bold.
            italic: Whether it is set in italic.
            colour: A ``"#RRGGBB"`` colour (or a matplotlib colour name).
            ha: Horizontal alignment.
            va: Vertical alignment.
        """
        verts, codes, advance = _outline(text, bold, italic)
        if not len(codes):
            return
        em = size / 72  # inches per em
        dx = {"left": 0.0, "center": -advance / 2, "right": -advance}[ha]
        dy = {"baseline": 0.0, "center": -CAP_HEIGHT / 2, "top": -CAP_HEIGHT}[va]
        self._verts.setdefault(colour, []).append(verts * em + np.array([x + dx * em, y + dy * em]))
        self._codes.setdefault(colour, []).append(codes)

    def draw(self, fig: Figure) -> None:
        """Add every queued string to ``fig`` as a single artist, above everything else."""
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
