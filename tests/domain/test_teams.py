"""Tests for organiser_bot.domain.teams: team short names in any script."""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.quicklog import ParsedEntry, parse_line
from organiser_bot.domain.teams import MAX_SLUG, fold_accents, match_slug, slugify
from organiser_bot.usecases.onboarding import MAX_TEAM_NAME


def ascii_slug(name: str) -> str:
    """The short names ASCII team names have always had."""
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lower().lstrip("#")).strip("-")[:MAX_SLUG]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("North Ward", "north-ward"),
        ("  --North  Ward--  ", "north-ward"),
        ("#North-East", "north-east"),
        ("5 Towns", "5-towns"),
        ("Leeds", "leeds"),
        ("Северный район", "северный-район"),
        ("北区", "北区"),
        ("北区 チーム", "北区-チーム"),
        ("Café Crew", "café-crew"),
        ("Cafe\u0301 Crew", "café-crew"),  # decomposed é: the same slug as the composed one
        ("ＮＯＲＴＨ", "north"),  # full-width letters
        ("हिन्दी टीम", "हिन्दी-टीम"),  # vowel signs stay with their letters
        ("Zoë's team", "zoë-s-team"),
        ("শ্যামবাজার দল", "শ্যামবাজার-দল"),  # Bengali: vowel signs and virama are marks
        ("ਪੰਜਾਬ ਟੀਮ", "ਪੰਜਾਬ-ਟੀਮ"),  # Gurmukhi
        ("فريق الشمال", "فريق-الشمال"),  # Arabic
        ("شمالی ٹیم", "شمالی-ٹیم"),  # Urdu
        ("Łódź Północ", "łódź-północ"),
        ("می\u200cخواهم تیم", "میخواهم-تیم"),  # ZWNJ dropped: typed with or without, one slug
        ("क्\u200dष टीम", "क्ष-टीम"),  # ZWJ dropped
        ("Ali 🌟 team", "ali-team"),
        ("🌟 北区 🌟", "北区"),
        ("👨\u200d👩\u200d👧", ""),
        ("!!!", ""),
        ("\u093e test", "test"),  # a mark with no letter before it goes
        ("🙂🙂", ""),
        ("---", ""),
        ("", ""),
    ],
)
def test_slugs(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slugs_are_at_most_max_slug_characters() -> None:
    assert len(slugify("ж" * 100)) == MAX_SLUG
    assert len(slugify("a" * 100)) == MAX_SLUG


def test_a_cut_slug_ends_on_a_whole_letter() -> None:
    assert slugify("ж" * (MAX_SLUG - 1) + " дд") == "ж" * (MAX_SLUG - 1)
    assert slugify("a" * (MAX_SLUG - 1) + " b") == "a" * (MAX_SLUG - 1)
    # কি is a letter and a vowel sign: the cut falls before the letter, not between the two.
    assert slugify("ক" + "কি" * 40) == "ক" + "কি" * ((MAX_SLUG - 1) // 2)
    assert slugify("কি" * 40) == "কি" * (MAX_SLUG // 2)


@settings(max_examples=500, deadline=None)
@given(name=st.text(alphabet=string.printable, max_size=MAX_TEAM_NAME))
def test_ascii_names_keep_their_slugs(name: str) -> None:
    # Every name a team can have (``MAX_TEAM_NAME``); a longer one's slug no longer ends in ``-``.
    assert slugify(name) == ascii_slug(name)


@settings(max_examples=500, deadline=None)
@given(name=st.text(max_size=80))
def test_slugs_are_stable_and_tidy(name: str) -> None:
    slug = slugify(name)
    assert slugify(slug) == slug
    assert slug == slug.lower()
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
    assert all(ch == "-" or ch.isalnum() or unicodedata.category(ch).startswith("M") for ch in slug)
    assert len(slug) <= MAX_SLUG
    assert "#" not in slug and not any(ch.isspace() for ch in slug)
    if any(unicodedata.category(ch).startswith("L") for ch in name[:MAX_SLUG]):
        assert slug  # a name with a letter can be addressed


_SCRIPTS = st.characters(categories=["L", "M", "N", "P", "Zs", "So", "Cf"], exclude_characters="#")


@settings(max_examples=500, deadline=None)
@given(name=st.text(_SCRIPTS, max_size=40))
def test_letters_and_their_marks_are_kept_in_order(name: str) -> None:
    slug = slugify(name)
    assert slugify(slug) == slug
    kept = "".join(ch for ch in slug if ch != "-")
    norm = unicodedata.normalize("NFKC", name).lower()
    # Every letter and digit of the name is in the slug (no joiner or mark split them off).
    assert [ch for ch in kept if ch.isalnum()] == [ch for ch in norm if ch.isalnum()]


NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
KINDS = KindRegistry()


@settings(max_examples=500, deadline=None)
@given(name=st.text(max_size=40))
def test_every_lettered_slug_can_be_tagged(name: str) -> None:
    slug = slugify(name)
    if not any(ch.isalpha() for ch in slug):
        return  # no letter, like ``12``: ``#12`` reads as a number in the note
    entry = parse_line(f"121 Sam #{slug}", now=NOW, tz=ZoneInfo("Europe/London"), kinds=KINDS)
    assert isinstance(entry, ParsedEntry), entry
    assert entry.team is not None and slugify(entry.team) == slug
    assert entry.note == "Sam"


@pytest.mark.parametrize(
    ("line", "team", "note"),
    [
        ("121 علی #شمالی-ٹیم۔", "شمالی-ٹیم", "علی"),  # Urdu full stop after the tag
        ("121 Ali #فريق-الشمال،", "فريق-الشمال", "Ali"),  # Arabic comma
        ("doors 3 (#ਪੰਜਾਬ-ਟੀਮ)", "ਪੰਜਾਬ-ਟੀਮ", ""),
        ("121 Jo #北区。", "北区", "Jo"),  # ideographic full stop
        ("121 Zoë ﹟łódź-północ", "łódź-północ", "Zoë"),  # small number sign
        ("121 Sam #می\u200cخواهم-تیم", "میخواهم-تیم", "Sam"),  # typed with its ZWNJ
        ("121 রহিম #শ্যামবাজার-দল", "শ্যামবাজার-দল", "রহিম"),
    ],
)
def test_tags_in_any_script(line: str, team: str, note: str) -> None:
    entry = parse_line(line, now=NOW, tz=ZoneInfo("Europe/London"), kinds=KINDS)
    assert isinstance(entry, ParsedEntry), entry
    assert entry.team is not None and slugify(entry.team) == team
    assert entry.note == note


@pytest.mark.parametrize(
    ("slug", "folded"),
    [
        ("łódź-północ", "lodz-polnoc"),
        ("café-crew", "cafe-crew"),
        ("straße", "strasse"),
        ("ñandú", "nandu"),
        ("শ্যামবাজার-দল", "শ্যামবাজার-দল"),  # marks of other scripts stay
        ("فريق-الشمال", "فریق-الشمال"),  # Arabic yeh as Persian and Urdu keyboards type it
        ("كيان-٤", "کیان-4"),  # Arabic kaf and digit
        ("شمالی-ٹیم", "شمالی-ٹیم"),
        ("ہ-ھ-ه-ے-ى", "ہ-ھ-ه-ے-ى"),  # letters Urdu or Arabic tell apart stay apart
        ("οδός-πατησίων", "οδος-πατησιων"),  # Greek tonos
        ("προϊόν", "προιον"),  # dialytika
        ("ਪੰਜਾਬ-ਟੀਮ", "ਪੰਜਾਬ-ਟੀਮ"),
        ("северный-район", "северный-район"),
        ("北区", "北区"),
    ],
)
def test_accents_of_latin_letters_fold(slug: str, folded: str) -> None:
    assert fold_accents(slug) == folded


def test_a_short_name_typed_without_accents_finds_its_team() -> None:
    slugs = ["łódź-północ", "北区", "café-crew"]
    assert match_slug("lodz-polnoc", slugs) == "łódź-północ"
    assert match_slug("Łódź Północ", slugs) == "łódź-północ"
    assert match_slug("#cafe-crew", slugs) == "café-crew"
    assert match_slug("北区", slugs) == "北区"
    assert match_slug("south", slugs) is None
    assert match_slug("🌟", slugs) is None
    # The exact short name wins; two that fold alike are not guessed between.
    assert match_slug("lodz", ["łódź", "lodz"]) == "lodz"
    assert match_slug("łódź", ["łódź", "lodz"]) == "łódź"
    assert match_slug("lodz", ["łódź", "łodź"]) is None


@settings(max_examples=300, deadline=None)
@given(names=st.lists(st.text(max_size=20), min_size=1, max_size=6))
def test_every_team_is_found_by_its_own_short_name(names: list[str]) -> None:
    slugs = [s for s in dict.fromkeys(slugify(n) for n in names) if s]
    for slug in slugs:
        assert match_slug(slug, slugs) == slug
        assert fold_accents(fold_accents(slug)) == fold_accents(slug)
