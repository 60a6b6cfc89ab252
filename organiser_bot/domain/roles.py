"""Roles a member can hold in a team, and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A member's role in one team."""

    ORGANISER = "organiser"
    COUNCILLOR = "councillor"
    CASEWORKER = "caseworker"
    MANAGER = "manager"

    @classmethod
    def parse(cls, text: str) -> Role | None:
        """Return the role named by ``text`` (case-insensitive, singular or plural), or None."""
        key = text.strip().lower().rstrip("s")
        for role in cls:
            if role.value == key:
                return role
        return None
