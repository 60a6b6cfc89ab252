"""How teams are named and addressed."""

from __future__ import annotations

import re

_SLUG_RE = re.compile(r"[^a-z0-9]+")

#: Longest team short name, in characters (the ``team.slug`` column's length).
MAX_SLUG = 64


def slugify(name: str) -> str:
    """The short, case-free name a team is addressed by: ``North Ward`` -> ``north-ward``.

    A leading ``#`` (as in a ``#team`` tag) is ignored. Returns at most :data:`MAX_SLUG`
    characters; the empty string when ``name`` holds no letters or digits of a-z, 0-9.
    """
    return _SLUG_RE.sub("-", name.strip().lower().lstrip("#")).strip("-")[:MAX_SLUG]
