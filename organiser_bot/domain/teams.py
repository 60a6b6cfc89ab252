"""How teams are named and addressed."""

from __future__ import annotations

import re
import unicodedata

_SLUG_RE = re.compile(r"[^a-z0-9]+")

#: Longest team short name, in characters (the ``team.slug`` column's length).
MAX_SLUG = 64


def slugify(name: str) -> str:
    """The short, case-free name a team is addressed by: ``North Ward`` -> ``north-ward``.

    Unicode is kept rather than transliterated, so a member types the short name on the
    keyboard they wrote the name with. Letters and digits of any script (Unicode categories
    ``L*`` and ``N*``) are kept, lower-cased (``Северный район`` -> ``северный-район``, ``北区`` ->
    ``北区``, ``5 Towns`` -> ``5-towns``), with the combining marks (``M*``) that follow them, as
    vowel signs do in Bengali or Gurmukhi (``str.isalnum`` is False for those). The invisible
    joiners ZWJ and ZWNJ, which some Persian, Urdu and Indic spellings need and some keyboards
    leave out, are dropped, so a name typed with or without them gives the same short name.
    Every run of anything else (spaces, punctuation, emoji) becomes one ``-``, and none leads
    or trails. Text is NFKC-normalised first, so the same name typed on two keyboards gives the
    same slug. A leading ``#`` (as in a ``#team`` tag) is ignored. ASCII names give the same
    slugs as they always have, and so does any name whose slug has changed no rule above:
    ``str.lower`` rather than ``str.casefold`` (``straße`` stays ``straße``), because a team's
    stored short name never changes and must stay reachable by typing it.

    Returns:
        At most :data:`MAX_SLUG` characters, cut before a letter whose marks would not fit;
        the empty string when ``name`` holds no letter or digit.
    """
    text = name.strip().lower().lstrip("#")
    if text.isascii():
        return _SLUG_RE.sub("-", text).strip("-")[:MAX_SLUG].rstrip("-")
    text = unicodedata.normalize("NFKC", name).strip().lower().lstrip("#")
    out: list[str] = []
    kept = False
    for ch in text:
        if ch in _JOINERS:
            continue
        if ch.isalnum() or (kept and _is_mark(ch)):
            if not kept and out:
                out.append("-")
            out.append(ch)
            kept = True
        else:
            kept = False
    slug = "".join(out)
    cut = MAX_SLUG
    while cut < len(slug) and _is_mark(slug[cut]):
        cut -= 1  # a letter goes with its marks or not at all
    return slug[:cut].rstrip("-")


#: Zero width joiner and non-joiner: shape the letters around them, stand for nothing.
_JOINERS = frozenset("\u200c\u200d")


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")
