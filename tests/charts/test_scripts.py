"""Names in every script in both digest charts: shaped, right to left where they should be, with
font fallback, and never a character dropped silently.

Every test here passes on a host with only DejaVu Sans (a fresh machine) and on one with the Noto
fonts of fonts-noto-core and fonts-noto-cjk; the ``dejavu_only`` fixture forces the first case
wherever the exact output depends on it. A missing glyph fails any chart test (conftest.py).
"""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from anyascii import anyascii
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.textpath import TextPath

from charts import _text, render_diarised_chart, render_trend_chart
from charts._text import REPLACEMENT, drawable, fit, text_width
from organiser_bot.domain.digest import MemberWeek
from organiser_bot.domain.names import isolated
from tests.charts.test_digest_charts import assert_valid, digest, member

MEMBER_NAMES = {
    "Arabic": "علي حسن",
    "Urdu": "عمران خانے",  # ے (yeh barree): not in DejaVu
    "Bengali": "রহিম উদ্দিন",
    "Gurmukhi": "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ",
    "Polish": "Łukasz Żółć",
    "Polish, decomposed": "Zoe\u0308",
    "Chinese": "王小明",
    "Cyrillic": "Олена Коваль",
    "Greek": "Ελένη Παπαδοπούλου",
    "Hebrew": "שרה כהן",
    "Devanagari": "प्रिया शर्मा",
    "emoji": "Ali 🌟",
    "ZWJ family": "👨\u200d👩\u200d👧 Family",
    "flag": "Noor 🇵🇸",
    "told apart": "Sam Murphy (@sm)",
}
TEAM_NAMES = {
    "Arabic": "الفريق الشمالي",
    "Urdu": "شمالی ٹیم",
    "Bengali": "উত্তর দল",
    "Gurmukhi": "ਉੱਤਰੀ ਟੀਮ",
    "Polish": "Łódź Północ",
    "Chinese": "北区",
    "emoji": "Team 🌹",
}
DEJAVU = ("DejaVu Sans",)


@pytest.fixture
def dejavu_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The font list of a fresh host: DejaVu Sans alone."""
    monkeypatch.setattr(_text, "FONT_FAMILIES", DEJAVU)
    yield


@pytest.fixture(params=["installed fonts", "DejaVu only"])
def fonts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "DejaVu only":
        monkeypatch.setattr(_text, "FONT_FAMILIES", DEJAVU)
    return str(request.param)


def installed(family: str) -> bool:
    try:
        findfont(FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        return False
    return True


def one(name: str) -> bytes:
    """The diarised chart of a one-member team called ``name``."""
    return render_diarised_chart(digest([member(name)], team_name="T"))


def same(
    a: tuple[np.ndarray, np.ndarray, float],
    b: tuple[np.ndarray, np.ndarray, float],
    tolerance: float = 1e-3,
) -> bool:
    """Whether two outlines draw the same glyphs in the same places, to ``tolerance`` em."""
    return (
        a[0].shape == b[0].shape
        and np.array_equal(a[1], b[1])
        and bool(np.allclose(a[0], b[0], atol=tolerance))
    )


# --- Both charts, every script -------------------------------------------------------------------


@pytest.mark.parametrize("team", list(TEAM_NAMES))
def test_both_charts_draw_every_script_without_a_missing_glyph(fonts: str, team: str) -> None:
    members = [
        member(name, daily={"one_to_one": (i % 4, 1, 0, 2, 0, 0, 1)})
        for i, name in enumerate(MEMBER_NAMES.values())
    ]
    d = digest(members, team_name=TEAM_NAMES[team])
    for render in (render_diarised_chart, render_trend_chart):
        assert_valid(render(d))


def test_each_name_changes_the_chart(fonts: str) -> None:
    # Nothing is dropped: every name draws something of its own.
    charts = {label: one(name) for label, name in MEMBER_NAMES.items()}
    assert len(set(charts.values())) == len(charts)
    assert one("Ali") not in charts.values()


# --- Shaping and direction -----------------------------------------------------------------------


@pytest.mark.parametrize("script", list(MEMBER_NAMES))
def test_outline_is_matplotlibs_own_layout_of_the_name(fonts: str, script: str) -> None:
    # TextPath is matplotlib's public text-to-path: libraqm's bidi, shaping and font fallback.
    text = drawable(MEMBER_NAMES[script], "member")
    families = _text.FONT_FAMILIES
    verts, codes, _ = _text._outline(text, False, False, families)
    chain = _text._chain(text, False, False, families)
    names = [get_font(path).family_name for path in chain]
    expected = TextPath((0, 0), text, size=100, prop=FontProperties(family=names))
    assert len(codes) > 0
    assert verts.shape == expected.vertices.shape
    # Within 1/2000 em (0.01 px at 9 pt): the fast way rounds kerning a little differently.
    assert np.allclose(verts * 100, expected.vertices, atol=0.05)


def test_arabic_is_drawn_right_to_left_and_joined(dejavu_only: None) -> None:
    # علي shaped: yeh in its final form on the left, lam medial, ain initial on the right:
    # the presentation forms U+FEF2 U+FEE0 U+FECB set left to right, unshaped.
    shaped = _text._outline("علي", False, False, DEJAVU)
    visual = _text._fast_outline("\ufef2\ufee0\ufecb", False, False)
    assert same(shaped, visual)
    logical_isolated = _text._fast_outline("علي", False, False)  # the old drawing
    assert not same(shaped, logical_isolated)


def test_hebrew_is_drawn_right_to_left(dejavu_only: None) -> None:
    shaped = _text._outline("שרה", False, False, DEJAVU)
    reversed_letters = _text._fast_outline("הרש", False, False)
    assert same(shaped, reversed_letters)
    assert not same(shaped, _text._fast_outline("שרה", False, False))


def test_the_shaped_way_sets_latin_as_the_fast_way_does() -> None:
    fast = _text._fast_outline("Sam Patel AV", False, False)
    shaped = _text._shaped_outline("Sam Patel AV", False, False, DEJAVU)
    assert shaped[2] == pytest.approx(fast[2], abs=1e-3)
    assert np.allclose(shaped[0], fast[0], atol=1e-3)


def test_a_right_to_left_team_keeps_the_title_in_reading_order(dejavu_only: None) -> None:
    team = "الفريق"
    suffix = " · 2026-W47"
    title = _text._outline(isolated(team) + suffix, True, False, DEJAVU)
    name = _text._outline(team, True, False, DEJAVU)
    rest = _text._outline(suffix, True, False, DEJAVU)
    # The name first (drawn right to left), then the suffix to its right, in order; kerning of
    # a pair may differ by a few hundredths of an em in context, a glyph out of place by far more.
    expected = (
        np.concatenate([name[0], rest[0] + [name[2], 0.0]]),
        np.concatenate([name[1], rest[1]]),
    )
    assert same(title, (*expected, 0.0), tolerance=0.05)
    assert isolated("Hackney North") == "Hackney North"


# --- Visible replacements ------------------------------------------------------------------------


def test_emoji_are_drawn_as_their_short_names(dejavu_only: None) -> None:
    assert drawable("Ali 🌟", "member") == "Ali :glowing_star:"
    assert drawable("Ali🌟", "member") == "Ali :glowing_star:"
    assert drawable("👨\u200d👩\u200d👧 Family", "m") == ":family_man_woman_girl: Family"
    assert drawable("Noor 🇵🇸", "m") == "Noor :Palestinian_Territories:"
    assert drawable("👍🏽", "m") == ":thumbs_up_medium_skin_tone:"


def test_the_replacement_is_what_the_chart_draws(dejavu_only: None) -> None:
    assert one("Ali 🌟") == one("Ali :glowing_star:")
    assert one("Ali 🌟") != one("Ali")
    assert one("🙂") == one(":slightly_smiling_face:")


def test_an_emoji_a_font_has_as_one_character_is_drawn(dejavu_only: None) -> None:
    assert _text._covered("❤", DEJAVU)
    assert drawable("Sam ❤️", "m") == "Sam ❤"  # the emoji variation selector is invisible
    assert drawable("Acme©", "m") == "Acme©"


def test_without_noto_a_script_is_transliterated_visibly_and_logged_once(
    dejavu_only: None, caplog: pytest.LogCaptureFixture
) -> None:
    name = "রহিম উদ্দিন"
    expected = anyascii(name)
    assert expected.strip()
    caplog.set_level(logging.WARNING, logger="charts._text")
    _text._report_missing.cache_clear()
    assert drawable(name, "m") == expected
    assert one(name) == one(expected)
    one(name)
    reports = [r for r in caplog.records if r.name == "charts._text"]
    assert len(reports) == 2, reports  # one per run of missing characters, not per render
    assert "fonts-noto-core" in reports[0].getMessage()


def test_a_character_without_a_font_or_transliteration_shows_the_replacement_mark() -> None:
    assert drawable("x\ue000y", "m") == f"x{REPLACEMENT}y"  # private use: no font, no ASCII
    assert _text._covered(REPLACEMENT, DEJAVU)


@pytest.mark.skipif(
    not all(installed(f) for f in ("Noto Sans Bengali", "Noto Sans Gurmukhi", "Noto Sans CJK SC")),
    reason="fonts-noto-core and fonts-noto-cjk are not installed",
)
@pytest.mark.parametrize("script", ["Urdu", "Bengali", "Gurmukhi", "Chinese", "Devanagari"])
def test_with_noto_installed_every_script_is_drawn_as_written(script: str) -> None:
    name = MEMBER_NAMES[script]
    assert drawable(name, "m") == name
    assert one(name) != one(anyascii(name))


def test_invisible_controls_are_removed_and_joiners_kept() -> None:
    assert drawable("a\u202eb\u200fc", "m") == "abc"  # bidi overrides and marks
    assert drawable("\u3164", "member 1") == "member 1"  # a Hangul filler "blank" name
    assert drawable("a\tb\nc\x00d", "x") == "a b c d"
    persian = "می\u200cخواهم"  # with a zero-width non-joiner
    assert drawable(persian, "m") == persian


def test_the_missing_glyph_warning_fails_a_chart_test() -> None:
    # The guard the other tests rely on: matplotlib drawing a glyph no font has is an error here.
    fig = Figure(figsize=(1, 1))
    FigureCanvasAgg(fig)
    fig.text(0.1, 0.5, "🌟", family="DejaVu Sans")
    with pytest.raises(UserWarning, match="missing from font"):
        fig.savefig(io.BytesIO(), format="png")


# --- Shortening ----------------------------------------------------------------------------------


def test_fit_keeps_what_tells_people_apart() -> None:
    name = "Maximilian Alexander Featherstonehaugh-Cholmondeley"
    assert fit(f"{name} (@max)", 1.45) == "Maximilian F. (@max)"
    short = fit(f"{name} (2)", 1.0)
    assert short.endswith("… (2)")
    assert text_width(short) <= 1.0
    assert fit("Sam Murphy (@sm)", 5.0) == "Sam Murphy (@sm)"


def test_fit_takes_the_initial_of_a_word_not_of_an_emoji_name() -> None:
    text = "Ali :glowing_star:"
    cut = fit(text, text_width(text) - 0.01)
    assert cut.endswith("…")
    assert ":." not in cut


@pytest.mark.parametrize("script", ["Bengali", "Gurmukhi", "Devanagari", "Arabic"])
def test_fit_never_cuts_a_letter_from_its_marks(fonts: str, script: str) -> None:
    text = drawable(MEMBER_NAMES[script], "m")
    for tenths in range(1, 12):
        cut = fit(text, tenths / 10, initial=False)
        if cut in (text, "…"):
            continue
        kept = cut.removesuffix("…").rstrip()
        assert text.startswith(kept)
        following = text[len(kept)]
        assert unicodedata.category(following)[0] != "M", (cut, following)
        assert unicodedata.combining(kept[-1]) != 9, cut  # not right after a virama
        assert text_width(cut) <= tenths / 10


# --- Property: whatever the name, everything drawn has a font -----------------------------------


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=30),
    families=st.sampled_from([DEJAVU, _text.FONT_FAMILIES]),
)
def test_any_name_becomes_drawable_text(text: str, families: tuple[str, ...]) -> None:
    shown = _text._drawable(text, "member", families)
    assert shown
    assert shown == " ".join(shown.split())  # single spaces, none at the ends
    for char in shown:
        assert char in (" ", "\u200c", "\u200d") or _text._covered(char, families), char
    assert _text._drawable(shown, "member", families) == shown  # nothing left to replace
    # Laying it out neither warns (an error here) nor loses it.
    _, codes, _ = _text._outline(shown, False, False, families)
    assert len(codes) > 0 or not shown.strip("\u200c\u200d ")


def test_members_named_alike_in_different_scripts_are_all_drawn() -> None:
    members = [
        MemberWeek(name, "organiser", {"one_to_one": (1,) * 7}, {"one_to_one": 5})
        for name in ("علي", "Ali", "অলি", "阿里")
    ]
    assert_valid(render_diarised_chart(digest(members)))


def test_concurrent_renders_in_many_scripts_match_sequential() -> None:
    # Shaping uses per-thread fonts: threads laying out names at once must not disturb each
    # other. The text caches are emptied before each pass, so both passes shape every name.
    digests = [
        digest([member(f"{name} {i}") for name in MEMBER_NAMES.values()], team_name=team)
        for i, team in enumerate(TEAM_NAMES.values())
    ]

    def cold() -> None:
        for cache in (_text._outline, _text._shaped_glyph, _text._glyph, _text._drawable):
            cache.cache_clear()

    cold()
    with ThreadPoolExecutor(max_workers=3) as pool:
        threaded = list(pool.map(render_diarised_chart, digests))
    cold()
    assert threaded == [render_diarised_chart(d) for d in digests]
