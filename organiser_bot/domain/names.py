"""How people are named where several are listed together: no two look the same."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence

__all__ = ["distinct_names", "isolated", "name_key"]

#: FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (Unicode Bidirectional Algorithm, UAX #9,
#: section 2.7, https://www.unicode.org/reports/tr9/).
FSI, PDI = "\u2068", "\u2069"


def name_key(name: str) -> str:
    """What two display names are compared by, as a reader sees them: invisible format
    characters (Unicode category ``Cf``: zero-width space, direction marks, soft hyphen,
    joiners) left out, NFKC-normalised, case-folded, every run of whitespace one space, none at
    the ends (``"SAM  Murphy "``, ``"sam murphy"`` and ``"Sam\u200b Murphy"`` are equal).
    """
    visible = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", visible).casefold().split())


def isolated(name: str) -> str:
    """``name`` ready to sit inside a left-to-right line: wrapped in :data:`FSI` ... :data:`PDI`
    when it has a right-to-left letter (bidi class ``R`` or ``AL``), else unchanged.

    Inside the isolate the name keeps its own direction; outside it the line is laid out as
    though the name were one neutral character, so ``• علي حسن (organiser): one-to-one 2/9``
    stays a left-to-right line whose first strong letter is the ``o`` of ``organiser``
    (UAX #9, rules P2-P3 and X5c).
    """
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in name):
        return f"{FSI}{name}{PDI}"
    return name


def distinct_names(people: Sequence[tuple[int, str, str | None]]) -> dict[int, str]:
    """Labels that tell apart people listed together (a team's members in a digest, ``/totals``,
    ``/team``).

    Args:
        people: ``(person id, display name, Telegram username or None)`` for everyone listed;
            a username may be given with or without its ``@``. A person id given twice counts
            once (the first).

    Returns:
        Person id -> label. A name no one else shares (compared by :func:`name_key`) is its own
        label. People who share a name each get a suffix: ``" (@username)"`` when they have a
        username no one else sharing the name has, otherwise ``" (n)"``, ``n`` their place by
        person id among those sharing the name (``Sam Murphy (2)``), moved on to the next free
        number if that label is someone's name already. Labels are distinct by
        :func:`name_key`. Adding someone whose name differs from every name and label already
        given changes no one's label.
    """
    seen: dict[int, tuple[str, str | None]] = {}
    for person_id, name, username in people:
        seen.setdefault(person_id, (name, username))
    groups: dict[str, list[int]] = defaultdict(list)
    for person_id in sorted(seen):
        groups[name_key(seen[person_id][0])].append(person_id)

    labels: dict[int, str] = {}
    taken: set[str] = set()
    for key, ids in groups.items():
        if len(ids) == 1:
            labels[ids[0]] = seen[ids[0]][0]
            taken.add(key)
    shared = sorted(person_id for ids in groups.values() if len(ids) > 1 for person_id in ids)

    def handle(person_id: int) -> str | None:
        username = seen[person_id][1]
        return (username.lstrip("@").strip() or None) if username else None

    handle_counts: dict[tuple[str, str], int] = defaultdict(int)
    for person_id in shared:
        if (h := handle(person_id)) is not None:
            handle_counts[(name_key(seen[person_id][0]), h.casefold())] += 1

    for person_id in shared:
        name = seen[person_id][0]
        key = name_key(name)
        h = handle(person_id)
        label = f"{name} (@{h})" if h is not None else ""
        if h is None or handle_counts[(key, h.casefold())] > 1 or name_key(label) in taken:
            n = groups[key].index(person_id) + 1
            while name_key(label := f"{name} ({n})") in taken:
                n += 1
        labels[person_id] = label
        taken.add(name_key(label))
    return labels
