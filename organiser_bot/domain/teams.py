"""How teams are named and addressed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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


#: Latin letters with no decomposition into a base letter and an accent.
_LATIN_FOLDS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)


#: One letter typed as two code points on two keyboards of the Arabic script, folded to the form
#: Persian and Urdu use. Sources: ISIRI 6219:2002 ("Persian Information Interchange and Display
#: Mechanism, using Unicode"), which requires KEHEH ``ک`` (U+06A9) and FARSI YEH ``ی`` (U+06CC)
#: where Arabic keyboards type KAF ``ك`` (U+0643) and YEH ``ي`` (U+064A), the same letters
#: drawn alike in the middle of a word (R. Pournader, unicode@unicode.org, 22 Dec 2002,
#: https://unicode.org/mail-arch/unicode-ml/y2002-m12/0203.html); J. Kew, "Notes on some
#: Unicode Arabic characters: recommendations for usage" (draft 2, 2005), sections 2 and 4.
#: The ARABIC-INDIC digits (U+0660-0669) and the EXTENDED ARABIC-INDIC ones Persian and Urdu
#: keyboards type (U+06F0-06F9) are folded to ASCII digits. Letters a language tells apart are
#: left alone (Kew, sections 3 and 4): HEH ``ه`` (U+0647), HEH GOAL ``ہ`` (U+06C1) and HEH
#: DOACHASHMEE ``ھ`` (U+06BE), distinct in Urdu; YEH BARREE ``ے`` (U+06D2); ALEF MAKSURA ``ى``
#: (U+0649), distinct from YEH in Arabic.
_ARABIC_FOLDS = str.maketrans(
    {
        "\u064a": "\u06cc",
        "\u0643": "\u06a9",
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)

#: Scripts whose accents a keyboard may leave out: marks following their letters are dropped.
_ACCENTED_SCRIPTS = ("LATIN", "GREEK")


def fold_accents(slug: str) -> str:
    """``slug`` as typed on a keyboard without accents or another keyboard of its script, for
    matching only (a stored short name never changes).

    Accents of Latin letters are taken off (``łódź-północ`` -> ``lodz-polnoc``, ``café-crew``
    -> ``cafe-crew``), and so are the tonos and dialytika of Greek ones (``οδός-πατησίων`` ->
    ``οδος-πατησιων``; Greek keyboards leave the tonos off capitals). Arabic-script letters that
    Arabic and Persian/Urdu keyboards type as different code points are made one
    (:data:`_ARABIC_FOLDS`: ``شمالي`` -> ``شمالی``). Letters of other scripts, and the marks
    that belong to them (Bengali vowel signs, Arabic vowels), are left as they are.
    """
    out: list[str] = []
    accented = False
    for ch in unicodedata.normalize("NFKD", slug.translate(_LATIN_FOLDS).translate(_ARABIC_FOLDS)):
        if _is_mark(ch):
            if not accented:
                out.append(ch)
            continue
        accented = any(script in unicodedata.name(ch, "") for script in _ACCENTED_SCRIPTS)
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def match_slug(typed: str, slugs: Iterable[str]) -> str | None:
    """The team short name that ``typed`` (a name or short name, as a member types it) addresses
    among ``slugs``: the one equal to ``slugify(typed)``; failing that, the only one equal to it
    once both are folded (:func:`fold_accents`: ``/use lodz-polnoc`` finds ``łódź-północ``,
    ``οδος`` finds ``οδός``, ``كيان`` finds ``کیان``). None when none is, or when several are.
    """
    wanted = slugify(typed)
    if not wanted:
        return None
    candidates = list(slugs)
    if wanted in candidates:
        return wanted
    folded = fold_accents(wanted)
    found = [s for s in candidates if fold_accents(s) == folded]
    return found[0] if len(found) == 1 else None
