"""Tests for the charts' text layer: drawable names, widths, shortening, one artist per render.

Names in other scripts, emoji and font fallback: test_scripts.py.
"""

from __future__ import annotations

from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from charts import _text
from charts._text import TextLayer, drawable, fit, fit_apart, text_width

LONG_NAME = "Maximilian Alexander Featherstonehaugh-Cholmondeley"


def test_drawable_names_emoji_and_collapses_spaces() -> None:
    assert drawable("🌹 Sam   Patel 🌹", "member 1") == ":rose: Sam Patel :rose:"
    assert drawable("a\tb\nc\x00d", "x") == "a b c d"


def test_drawable_falls_back_when_nothing_is_left() -> None:
    assert drawable("  \u200b ", "member 1") == "member 1"
    assert drawable("", "Team") == "Team"


def test_width_scales_with_size_and_counts_kerning() -> None:
    assert text_width("") == 0.0
    assert text_width("Sam", size=18) == 2 * text_width("Sam", size=9)
    assert text_width("AV") < text_width("A") + text_width("V")  # a kerned pair


def test_fit_keeps_a_string_that_fits() -> None:
    assert fit("Sam Patel", 5.0) == "Sam Patel"


def test_fit_shortens_a_name_to_first_name_and_initial() -> None:
    assert fit(LONG_NAME, 1.45) == "Maximilian F."


def test_fit_cuts_with_an_ellipsis() -> None:
    cut = fit(LONG_NAME, 1.45, initial=False)
    assert cut.endswith("…")
    assert LONG_NAME.startswith(cut[:-1])
    assert text_width(cut) <= 1.45 < text_width(LONG_NAME)
    assert fit("Featherstonehaugh", 0.5) == "Feath…"
    assert fit("Sam", 0.01) == "…"


def test_layer_draws_one_artist_with_a_path_per_colour() -> None:
    fig = Figure()
    layer = TextLayer()
    layer.add(1.0, 1.0, "3", colour="#FFFFFF", ha="center", va="center")
    layer.add(1.0, 2.0, "9/15", colour="#1A1A1A", ha="right")
    layer.add(1.0, 3.0, "12", colour="#FFFFFF")
    layer.add(1.0, 4.0, "   ")  # no outline: nothing to draw
    layer.draw(fig)
    (artist,) = fig.get_children()[1:]  # after fig.patch
    assert isinstance(artist, PathCollection)
    assert len(artist.get_paths()) == 2  # colours in sorted order: "#1A1A1A", "#FFFFFF"


def test_empty_layer_adds_nothing() -> None:
    fig = Figure()
    TextLayer().draw(fig)
    assert fig.get_children() == [fig.patch]


def test_labels_cut_alike_keep_more_of_each_name() -> None:
    names = [
        "Muhammad Abdullah Abdul-Rahman Al-Hashimi Khan",
        "Muhammad Ibrahim Abdul-Rahman Al-Hashimi Khan",
        "Jo",
    ]
    labels = fit_apart(names, ["a", "b", "c"], 1.45)
    assert len(set(labels)) == 3 and labels[2] == "Jo", labels
    assert all(text_width(x) <= 1.45 for x in labels), labels


def test_labels_drawn_alike_get_ordinals_by_name_in_any_order() -> None:
    saved = _text.FONT_FAMILIES
    _text.FONT_FAMILIES = ("DejaVu Sans",)
    try:
        one = fit_apart(["张伟", "章伟"], ["a", "b"], 1.45)
        two = fit_apart(["章伟", "张伟"], ["a", "b"], 1.45)
        tones = fit_apart(["Bo 👍🏽 and friends", "Bo 👍🏾 and friends"], ["a", "b"], 1.45)
    finally:
        _text.FONT_FAMILIES = saved
    assert len(set(one)) == 2 and one == two[::-1], (one, two)
    assert len(set(tones)) == 2, tones
