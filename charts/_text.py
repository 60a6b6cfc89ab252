"""Text for the digest charts, drawn from cached glyph outlines rather than as ``Text`` artists.

Why: a chart must render in about 100 ms (DESIGN.md, "Performance budget" → Charts). With
matplotlib 3.11 each ``Text`` artist costs ~2 ms, because its libraqm layout runs per string, and
a 25-member chart has ~300 numbers and names: ~0.6 s of text alone. Here each string is turned
into glyph outlines once per process, queued on a :class:`TextLayer`, and the layer draws
everything as one compound path per colour. Merging the strings into a few paths also avoids
constructing and validating a ``Path`` per string, which was a tenth of the render time.

Two ways to a string's outline:

* Fast: a string whose every character DejaVu Sans draws on its own (Latin, Greek, Cyrillic,
  digits, punctuation: no right-to-left text, no combining marks, no joining) is assembled glyph
  by glyph with DejaVu's kerning. Numbers, labels and most names take this way.
* Shaped: any other string is laid out by libraqm through matplotlib's ``FT2Font._layout``, the
  layout ``Text`` artists use: bidirectional reordering (Arabic, Urdu and Hebrew are drawn
  right to left), joining and ligatures (Arabic script), reordering of vowel signs and conjuncts
  (Bengali, Gurmukhi, Devanagari), mark positioning, and font fallback over
  :data:`FONT_FAMILIES`. A string is set in the first listed font that has every one of its
  letters, so a word is never split across two fonts (which would break its joining); other
  characters fall back glyph by glyph in list order.

Nothing is dropped silently (:func:`drawable` prepares every string): emoji are drawn when a
listed font has them as a single character (``✊``), otherwise written as their short name
(``Ali 🌟`` → ``Ali :glowing_star:``, from the ``emoji`` package's CLDR names); a character no
installed font in the list has is transliterated to ASCII by ``anyascii`` (Bengali ``রহিম`` →
``rhim`` on a host with DejaVu only) or, failing that, drawn as ``�`` (U+FFFD), and the first
time each such run of characters is met a warning is logged naming the fonts to install. Invisible
format characters other than ZWJ and ZWNJ (bidi controls, variation selectors) are removed.

Which fonts: DejaVu Sans ships with matplotlib, so every host has it; the Noto families are used
where matplotlib's font manager finds them (Debian: ``fonts-noto-core``, ``fonts-noto-cjk``;
matplotlib caches its font list, so after installing fonts on a host that has already run the bot
delete ``~/.cache/matplotlib/fontlist-*.json``). The same text can therefore look different on
hosts with different fonts, never silently wrong. Both ways use matplotlib's low-level
``ft2font`` API (``_layout`` is private), which is why pyproject pins matplotlib to the minor
version the chart tests run on.

The module-level caches (fonts found, glyph and string outlines, kerning, font coverage) are
pure functions of their arguments (the font list is one of them), their arrays are read-only,
and ``get_font`` keeps one ``FT2Font`` per thread, so concurrent renders share nothing mutable.
Each render builds its own :class:`TextLayer`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import emoji
import numpy as np
import numpy.typing as npt
from anyascii import anyascii
from matplotlib._text_helpers import warn_on_missing_glyph
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontPath, FontProperties, findfont, get_font
from matplotlib.ft2font import FT2Font, GlyphIndexType, Kerning, LoadFlags
from matplotlib.path import Path

from charts._palette import INK

__all__ = [
    "CAP_HEIGHT",
    "FONT_FAMILIES",
    "FONT_SIZE",
    "REPLACEMENT",
    "HAlign",
    "TextLayer",
    "VAlign",
    "drawable",
    "fit",
    "text_width",
]

FONT_FAMILY = "DejaVu Sans"
# The fonts text is set in, in order of preference: DejaVu Sans (ships with matplotlib), then
# Noto families for the scripts DejaVu lacks or cannot shape well, each used only where
# matplotlib's font manager finds it. Debian packages: fonts-noto-core (every family here but
# CJK) and fonts-noto-cjk (Noto Sans CJK).
FONT_FAMILIES: tuple[str, ...] = (
    FONT_FAMILY,
    "Noto Sans",  # Latin, Greek and Cyrillic beyond DejaVu's coverage
    "Noto Sans Arabic",  # Arabic, Persian, Urdu letters DejaVu lacks (ہ, ے)
    "Noto Naskh Arabic",
    "Noto Nastaliq Urdu",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
    "Noto Sans Bengali",
    "Noto Sans Gurmukhi",
    "Noto Sans Gujarati",
    "Noto Sans Oriya",
    "Noto Sans Tamil",
    "Noto Sans Telugu",
    "Noto Sans Kannada",
    "Noto Sans Malayalam",
    "Noto Sans Sinhala",
    "Noto Sans Thai",
    "Noto Sans Lao",
    "Noto Sans Khmer",
    "Noto Sans Myanmar",
    "Noto Sans Georgian",
    "Noto Sans Armenian",
    "Noto Sans Ethiopic",
    "Noto Sans Tifinagh",
    "Noto Sans CJK SC",  # Chinese, Japanese kana and kanji, Korean hangul
    "Noto Sans Symbols",
    "Noto Sans Symbols2",
)
FONT_SIZE = 9.0  # the smallest size used anywhere: legible on a phone at 1080 px
CAP_HEIGHT = 0.729  # DejaVu Sans cap/digit height in em: used to centre text vertically
# Drawn for a character that no listed font has and that has no ASCII transliteration.
REPLACEMENT = "\ufffd"

HAlign = Literal["left", "center", "right"]
VAlign = Literal["baseline", "center", "top"]

_F64 = npt.NDArray[np.float64]
_U8 = npt.NDArray[np.uint8]
_Outline = tuple[_F64, _U8, float]

_log = logging.getLogger(__name__)

# Glyph outlines are taken at 100 px per em and scaled down to 1 em.
_GLYPH_SCALE = 100.0

_ZWJ, _ZWNJ = "\u200d", "\u200c"
# Bidi classes that need libraqm's reordering: right-to-left letters, Arabic digits, controls.
_BIDI_SHAPED = frozenset(
    {"R", "AL", "AN", "NSM", "LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
)
_VIRAMA = 9  # canonical combining class of viramas: a conjunct continues after one
# Default-ignorable code points (Unicode DerivedCoreProperties.txt, Default_Ignorable_Code_Point)
# but ZWNJ and ZWJ: invisible by definition (bidi controls, variation selectors, fillers, tags).
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def _font_file(bold: bool, italic: bool) -> FontPath:
    prop = FontProperties(
        family=FONT_FAMILY,
        weight="bold" if bold else "normal",
        style="italic" if italic else "normal",
    )
    return findfont(prop)


@lru_cache(maxsize=64)
def _fonts(families: tuple[str, ...], bold: bool, italic: bool) -> tuple[FontPath, ...]:
    """The font files of ``families`` that the font manager finds, in order, without repeats."""
    found: list[FontPath] = []
    for family in families:
        prop = FontProperties(
            family=family,
            weight="bold" if bold else "normal",
            style="italic" if italic else "normal",
        )
        try:
            path = findfont(prop, fallback_to_default=False)
        except ValueError:
            continue  # not installed
        if path not in found:
            found.append(path)
    return tuple(found)


def _font(path: FontPath) -> FT2Font:
    return get_font(path)  # matplotlib keeps one FT2Font per file per thread


@lru_cache(maxsize=16384)
def _font_has(path: FontPath, char: str) -> bool:
    return bool(_font(path).get_char_index(ord(char)))


@lru_cache(maxsize=16384)
def _covered(char: str, families: tuple[str, ...]) -> bool:
    """Whether some listed font has ``char``, in regular and in bold."""
    return all(
        any(_font_has(path, char) for path in _fonts(families, bold, False))
        for bold in (False, True)
    )


@dataclass(frozen=True, slots=True)
class _Glyph:
    index: GlyphIndexType  # glyph index in the font, for kerning
    vertices: _F64  # outline for a 1-em font, pen at the origin
    codes: _U8
    advance: float  # in em


def _frozen_outline(font: FT2Font) -> tuple[_F64, _U8]:
    """The loaded glyph's outline scaled to 1 em, as read-only arrays (shared via caches)."""
    vertices, codes = font.get_path()
    verts: _F64 = np.asarray(vertices, dtype=np.float64) / _GLYPH_SCALE
    verts.flags.writeable = False  # shared between calls: make accidental mutation impossible
    code_array = np.asarray(codes, dtype=np.uint8)
    code_array.flags.writeable = False
    return verts, code_array


@lru_cache(maxsize=4096)
def _glyph(char: str, bold: bool, italic: bool) -> _Glyph:
    """The DejaVu outline of one character (pure: cached so each is loaded once per process)."""
    font = _font(_font_file(bold, italic))
    font.set_size(_GLYPH_SCALE, 72)
    loaded = font.load_char(ord(char), flags=LoadFlags.NO_HINTING)
    verts, codes = _frozen_outline(font)
    index = font.get_char_index(ord(char))
    return _Glyph(index, verts, codes, loaded.linearHoriAdvance / 65536 / _GLYPH_SCALE)


@lru_cache(maxsize=8192)
def _kerning(left: GlyphIndexType, right: GlyphIndexType, bold: bool, italic: bool) -> float:
    """DejaVu kerning between two glyph indices, in em."""
    font = _font(_font_file(bold, italic))
    font.set_size(_GLYPH_SCALE, 72)
    return font.get_kerning(left, right, Kerning.UNFITTED) / 64 / _GLYPH_SCALE


@lru_cache(maxsize=8192)
def _has_glyph(char: str) -> bool:
    """Whether DejaVu Sans, regular and bold, can draw ``char``."""
    if not char.isprintable():
        return False
    return all(_font(_font_file(bold, False)).get_char_index(ord(char)) for bold in (False, True))


@lru_cache(maxsize=8192)
def _simple(char: str) -> bool:
    """Whether ``char`` can be set on its own in DejaVu: no shaping, reordering or fallback."""
    return (
        _has_glyph(char)
        and unicodedata.category(char)[0] != "M"
        and unicodedata.bidirectional(char) not in _BIDI_SHAPED
    )


# --- Making text drawable ------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _report_missing(run: str, shown: str, families: tuple[str, ...]) -> None:
    """Log, once per run of characters, that no installed font in the list draws it."""
    _log.warning(
        "No installed chart font draws %r (%s); drawn as %r. Fonts tried: %s. "
        "Installing fonts-noto-core and fonts-noto-cjk covers most scripts.",
        run,
        ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(run)),
        shown,
        ", ".join(families),
    )


def _replace_run(run: str, families: tuple[str, ...]) -> str:
    """A visible stand-in for characters no listed font has: their ASCII transliteration."""
    shown = anyascii(run).strip() or REPLACEMENT
    _report_missing(run, shown, families)
    return shown


def _plain(segment: str, families: tuple[str, ...]) -> str:
    """``segment`` (no emoji in it) with each character kept, spaced, removed or replaced."""
    out: list[str] = []
    missing: list[str] = []
    for char in segment:
        category = unicodedata.category(char)
        if char in (_ZWJ, _ZWNJ):
            kept = char  # joining controls: they change how the letters around them are drawn
        elif category in ("Cc", "Zs", "Zl", "Zp") or char.isspace():
            kept = " "
        elif _IGNORABLE.match(char):
            kept = ""
        elif _covered(char, families):
            kept = char
        else:
            missing.append(char)
            continue
        if missing:
            out.append(_replace_run("".join(missing), families))
            missing.clear()
        out.append(kept)
    if missing:
        out.append(_replace_run("".join(missing), families))
    return "".join(out)


def _emoji(sequence: str, families: tuple[str, ...]) -> str:
    """An emoji drawn as its one character where a listed font has it, else its short name."""
    core = sequence.replace("\ufe0f", "").replace("\ufe0e", "")
    if len(core) == 1 and _covered(core, families):
        return core
    return f" {emoji.demojize(sequence)} "  # spaced: "Ali🌟" -> "Ali :glowing_star:"


@lru_cache(maxsize=4096)
def _drawable(text: str, fallback: str, families: tuple[str, ...]) -> str:
    text = unicodedata.normalize("NFC", text)
    parts: list[str] = []
    start = 0
    for found in emoji.emoji_list(text):
        parts.append(_plain(text[start : found["match_start"]], families))
        parts.append(_emoji(found["emoji"], families))
        start = found["match_end"]
    parts.append(_plain(text[start:], families))
    return " ".join("".join(parts).split()) or fallback


def drawable(text: str, fallback: str) -> str:
    """``text`` as it will be drawn: every character visible, its spaces collapsed.

    Nothing is dropped silently. Text is NFC-normalised; an emoji that a font in
    :data:`FONT_FAMILIES` has as one character is kept (``✊``), any other emoji (sequences,
    flags, skin tones) becomes its short name (``🌟`` → ``:glowing_star:``); a run of characters
    no installed listed font has becomes its ``anyascii`` transliteration (``রহিম`` → ``rhim``)
    or :data:`REPLACEMENT`, and is logged once per run. Control and space characters
    become spaces; invisible format characters other than ZWJ and ZWNJ are removed.

    Args:
        text: Any string, e.g. a member's Telegram name.
        fallback: Returned when nothing is left (an empty or all-space ``text``).

    Returns:
        The string to draw, with runs of whitespace made single spaces and the ends stripped,
        or ``fallback`` if that is empty. Every character in it is in a listed font, or is a
        space, ZWJ or ZWNJ.
    """
    return _drawable(text, fallback, FONT_FAMILIES)


# --- Outlines ------------------------------------------------------------------------------------


def _empty_outline() -> _Outline:
    verts: _F64 = np.empty((0, 2), dtype=np.float64)
    codes: _U8 = np.empty(0, dtype=np.uint8)
    verts.flags.writeable = False
    codes.flags.writeable = False
    return verts, codes, 0.0


def _joined(verts: list[_F64], codes: list[_U8], advance: float) -> _Outline:
    if not verts:
        return _empty_outline()
    all_verts: _F64 = np.concatenate(verts)
    all_codes: _U8 = np.concatenate(codes)
    all_verts.flags.writeable = False  # shared via the cache
    all_codes.flags.writeable = False
    return all_verts, all_codes, advance


def _fast_outline(text: str, bold: bool, italic: bool) -> _Outline:
    """DejaVu glyphs side by side with DejaVu's kerning (every character :func:`_simple`)."""
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
    return _joined(verts, codes, pen)


@lru_cache(maxsize=8192)
def _shaped_glyph(fname: str, face: int, index: GlyphIndexType) -> tuple[_F64, _U8, float]:
    """Outline and advance (em) of glyph ``index`` in face ``face`` of the font file ``fname``."""
    font = _font(FontPath(fname, face))
    font.set_size(_GLYPH_SCALE, 72)
    loaded = font.load_glyph(index, flags=LoadFlags.NO_HINTING)
    verts, codes = _frozen_outline(font)
    return verts, codes, loaded.linearHoriAdvance / 65536 / _GLYPH_SCALE


def _chain(text: str, bold: bool, italic: bool, families: tuple[str, ...]) -> list[FontPath]:
    """The fonts to lay ``text`` out with: first the first listed font that has all its letters."""
    paths = _fonts(families, bold, italic)
    letters = {c for c in text if unicodedata.category(c)[0] in "LM"}
    first = next((p for p in paths if all(_font_has(p, c) for c in letters)), None)
    if first is None:
        return list(paths)
    return [first, *(p for p in paths if p != first)]


def _shaped_outline(text: str, bold: bool, italic: bool, families: tuple[str, ...]) -> _Outline:
    """``text`` laid out by libraqm (bidi, shaping, fallback) over the listed fonts."""
    chain = _chain(text, bold, italic, families)
    font = get_font(chain)
    font.set_size(_GLYPH_SCALE, 72)
    verts: list[_F64] = []
    codes: list[_U8] = []
    right = 0.0
    for item in font._layout(text, LoadFlags.NO_HINTING):
        face = item.ft_object
        fname = str(face.fname)
        if item.glyph_index == 0 or "LastResort" in fname:
            # drawable() lets through only characters some listed font has: this is a bug, so
            # say it the way matplotlib does (the chart tests turn that warning into an error).
            warn_on_missing_glyph(ord(item.char[0]), ", ".join(families))
            continue
        glyph_verts, glyph_codes, advance = _shaped_glyph(fname, face.face_index, item.glyph_index)
        if len(glyph_codes):
            verts.append(glyph_verts + np.array([item.x, item.y]) / _GLYPH_SCALE)
            codes.append(glyph_codes)
            # The advance of zero-width controls' stand-in glyphs would overstate the width:
            # measure to the end of the last glyph that draws something.
            right = max(right, item.x / _GLYPH_SCALE + advance)
    return _joined(verts, codes, right)


@lru_cache(maxsize=2048)
def _outline(text: str, bold: bool, italic: bool, families: tuple[str, ...]) -> _Outline:
    """Vertices, codes and advance width of ``text`` set in a 1-em font, baseline at y=0.

    Cached because the same short strings (counts, "9/15", day letters, names) recur in every
    chart.
    """
    if all(_simple(c) for c in text):
        return _fast_outline(text, bold, italic)
    return _shaped_outline(text, bold, italic, families)


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
    return _outline(text, bold, italic, FONT_FAMILIES)[2] * size / 72


# A disambiguating suffix such as " (@sm)" or " (2)": kept whole when a name is shortened.
_SUFFIX = re.compile(r"^(?P<head>.*\S) (?P<suffix>\([^()]*\))$")


def _cuts(text: str) -> list[int]:
    """Where ``text`` may be cut without splitting a character from its marks or conjunct."""
    return [
        i
        for i in range(1, len(text))
        if unicodedata.category(text[i])[0] != "M"
        and text[i] not in (_ZWJ, _ZWNJ)
        and text[i - 1] not in (_ZWJ, _ZWNJ)
        and unicodedata.combining(text[i - 1]) != _VIRAMA
    ]


def _fit(text: str, max_w: float, size: float, bold: bool, initial: bool) -> str:
    if text_width(text, size, bold) <= max_w:
        return text
    words = text.split()
    # The initial of the last word that starts with a letter (not of ":glowing_star:").
    last = next((w for w in reversed(words[1:]) if unicodedata.category(w[0])[0] == "L"), None)
    if initial and last is not None:
        short = f"{words[0]} {last[0]}."
        if text_width(short, size, bold) <= max_w:
            return short
    # The longest prefix that fits: widths grow with the prefix, so search by halving.
    cuts = _cuts(text)
    best = "…"
    lo, hi = 0, len(cuts) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = text[: cuts[mid]].rstrip() + "…"
        if text_width(candidate, size, bold) <= max_w:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


def fit(
    text: str, max_w: float, size: float = FONT_SIZE, bold: bool = False, initial: bool = True
) -> str:
    """``text`` shortened until it is at most ``max_w`` inches wide at ``size`` points.

    A trailing parenthesised suffix that tells people apart (``"Sam Murphy (@sm)"``,
    ``"Sam Murphy (2)"``) is kept whole and only the name before it is shortened.

    Args:
        text: The string as it will be drawn.
        max_w: The room, in inches.
        size: Type size in points.
        bold: Whether it is set in bold.
        initial: Try ``"First L."`` (first word, initial of the last word that starts with a
            letter) before cutting: for a person's name that is still recognisable on a chart.

    Returns:
        ``text`` if it fits; else ``"First L."`` if allowed and it fits; else the longest prefix
        that fits with ``"…"`` appended (never cutting a letter from its marks); at worst
        ``"…"`` alone (with the suffix, if any).
    """
    if text_width(text, size, bold) <= max_w:
        return text
    match = _SUFFIX.match(text)
    if match is not None:
        suffix = " " + match["suffix"]
        room = max_w - text_width(suffix, size, bold)
        return _fit(match["head"], room, size, bold, initial) + suffix
    return _fit(text, max_w, size, bold, initial)


def fit_apart(
    names: Sequence[str], fallbacks: Sequence[str], max_w: float, size: float = FONT_SIZE
) -> list[str]:
    """Labels for ``names`` drawn side by side in one chart, each at most ``max_w`` inches wide,
    no two alike.

    Each name is made drawable (:func:`drawable`) and fitted (:func:`fit`). Names whose labels
    come out equal (two long names cut to one ``"First L."``, or two names transliterated alike
    on a host without their script's font: ``张伟`` and ``章伟`` both ``ZhangWei``) are cut as a
    prefix instead of to initials, and if they are still alike each gets an ordinal suffix as
    the text replies use: ``ZhangWei (1)``, ``ZhangWei (2)``, numbered by the names as given
    (code point order, so the same two names are numbered alike in every chart), never a
    label someone else already has.

    Args:
        names: The names as given (already told apart as the text tells them apart).
        fallbacks: One per name, drawn when a name has nothing drawable in it.
        max_w: The room, in inches.
        size: Type size in points.

    Returns:
        One label per name, in order.
    """
    shown = [drawable(n, f) for n, f in zip(names, fallbacks, strict=True)]
    labels = [fit(s, max_w, size) for s in shown]
    for label in {x for x in labels if labels.count(x) > 1}:
        alike = [i for i, x in enumerate(labels) if x == label]
        cut = [fit(shown[i], max_w, size, initial=False) for i in alike]
        others = {x for i, x in enumerate(labels) if i not in alike}
        if len(set(cut)) == len(cut) and not others & set(cut):
            for i, x in zip(alike, cut, strict=True):
                labels[i] = x
            continue
        taken = set(labels)
        n = 0
        for i in sorted(alike, key=lambda i: (names[i], i)):
            n += 1
            while (numbered := fit(f"{shown[i]} ({n})", max_w, size)) in taken:
                n += 1
            labels[i] = numbered
            taken.add(numbered)
    return labels


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
        verts, codes, advance = _outline(text, bold, italic, FONT_FAMILIES)
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
