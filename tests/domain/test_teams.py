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
from organiser_bot.domain.teams import MAX_SLUG, slugify


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


@settings(max_examples=500, deadline=None)
@given(name=st.text(alphabet=string.printable, max_size=80))
def test_ascii_names_keep_their_slugs(name: str) -> None:
    assert slugify(name) == ascii_slug(name)


@settings(max_examples=500, deadline=None)
@given(name=st.text(max_size=80))
def test_slugs_are_stable_and_tidy(name: str) -> None:
    slug = slugify(name)
    assert slugify(slug) == slug
    assert slug == slug.lower()
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
    assert all(ch == "-" or ch.isalnum() or unicodedata.category(ch).startswith("M") for ch in slug)


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
