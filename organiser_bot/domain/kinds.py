"""Activity kinds: the built-in ones, their aliases, and the default weekly targets per role."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from organiser_bot.domain.roles import Role


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of activity that can be logged.

    Attributes:
        key: Stable identifier stored in the database (``one_to_one``).
        label: Human name used in replies (``one-to-one``).
        aliases: Other words accepted in a quick log, lower case.
    """

    key: str
    label: str
    aliases: tuple[str, ...] = field(default=())

    def names(self) -> tuple[str, ...]:
        """Every lower-case word that names this kind."""
        return (self.key, self.label.lower(), *self.aliases)


ONE_TO_ONE = Kind(
    "one_to_one",
    "one-to-one",
    # The first alias is the one examples show; the rest are how people write it.
    (
        "121",
        "1:1",
        "1-1",
        "one-to-one",
        "oto",
        "1-2-1",
        "1to1",
        "1on1",
        "one to one",
        "one on one",
        "1 to 1",
        "1 on 1",
        "1-on-1",
        "one-on-one",
        "1-to-1",
        "one2one",
        "one-2-one",
        "onetoone",
        "1 2 1",
    ),
)
CASEWORK = Kind("casework", "casework", ("case", "cw"))
RESIDENT_CONTACT = Kind(
    "resident_contact",
    "resident contact",
    (
        "contact",
        "contacts",
        "doors",
        "door",
        "rc",
        "doorknocking",
        "door-knocking",
        "door knocking",
    ),
)
BUILTIN_KINDS: tuple[Kind, ...] = (ONE_TO_ONE, CASEWORK, RESIDENT_CONTACT)

DEFAULT_TARGETS: Mapping[Role, Mapping[str, int]] = {
    Role.ORGANISER: {"one_to_one": 15},
    Role.COUNCILLOR: {"resident_contact": 20, "casework": 5},
    Role.CASEWORKER: {"casework": 15},
    Role.MANAGER: {},
}

#: Kinds offered as one-tap buttons, per role, in this order.
ROLE_KINDS: Mapping[Role, tuple[str, ...]] = {
    Role.ORGANISER: ("one_to_one", "resident_contact"),
    Role.COUNCILLOR: ("resident_contact", "casework"),
    Role.CASEWORKER: ("casework", "resident_contact"),
    Role.MANAGER: ("one_to_one", "casework", "resident_contact"),
}


class KindRegistry:
    """Looks kinds up by any of their names; built-in kinds plus any added by admins."""

    def __init__(self, extra: Iterable[Kind] = ()) -> None:
        self._kinds: dict[str, Kind] = {}
        self._by_name: dict[str, Kind] = {}
        self._widest: dict[str, int] = {}
        for kind in (*BUILTIN_KINDS, *extra):
            self.add(kind)

    def add(self, kind: Kind) -> None:
        """Register ``kind``; later names do not shadow earlier ones."""
        self._kinds[kind.key] = kind
        for name in kind.names():
            self._by_name.setdefault(name.lower(), kind)
            words = name.lower().split()
            if len(words) > 1:
                self._widest[words[0]] = max(self._widest.get(words[0], 1), len(words))

    def widest(self, first: str) -> int:
        """Most words in a name that starts with the word ``first`` (3 for ``one``), else 1.

        Lets a parser try only the name lengths that can match.
        """
        return self._widest.get(first.lower(), 1)

    def lookup(self, word: str) -> Kind | None:
        """Return the kind named by ``word`` (case-insensitive), or None."""
        return self._by_name.get(word.lower())

    def get(self, key: str) -> Kind:
        """Return the kind stored as ``key``; unknown keys get a plain label."""
        return self._kinds.get(key) or Kind(key, key.replace("_", " "))

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._kinds.values())

    def keys(self) -> list[str]:
        """Keys of all registered kinds, built-ins first."""
        return list(self._kinds)
