"""How teams are named and addressed."""

from __future__ import annotations

import re
import unicodedata

_SLUG_RE = re.compile(r"[^a-z0-9]+")

#: Longest team short name, in characters (the ``team.slug`` column's length).
MAX_SLUG = 64


def slugify(name: str) -> str:
    """The short, case-free name a team is addressed by: ``North Ward`` -> ``north-ward``.

    Letters and digits of any script are kept, lower-cased (``Северный район`` ->
    ``северный-район``, ``北区`` -> ``北区``, ``5 Towns`` -> ``5-towns``), with the combining marks
    that belong to them; every run of anything else becomes one ``-``, and none leads or
    trails. Text is NFKC-normalised first, so the same name typed on two keyboards gives the
    same slug. A leading ``#`` (as in a ``#team`` tag) is ignored. ASCII names give the same
    slugs as they always have.

    Returns:
        At most :data:`MAX_SLUG` characters; the empty string when ``name`` holds no letter or
        digit.
    """
    text = name.strip().lower().lstrip("#")
    if text.isascii():
        return _SLUG_RE.sub("-", text).strip("-")[:MAX_SLUG]
    text = unicodedata.normalize("NFKC", name).strip().lower().lstrip("#")
    out: list[str] = []
    kept = False
    for ch in text:
        if ch.isalnum() or (kept and unicodedata.category(ch).startswith("M")):
            if not kept and out:
                out.append("-")
            out.append(ch)
            kept = True
        else:
            kept = False
    return "".join(out)[:MAX_SLUG]
