"""Who is acting, and the roles they hold; what those allow is the permission table's to say
(:mod:`organiser_bot.domain.permissions`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from organiser_bot.domain.roles import Role
from organiser_bot.domain.teams import match_slug


@dataclass(frozen=True, slots=True)
class Identity:
    """A user as the chat platform describes them."""

    user_id: int
    display_name: str
    username: str | None = None


@dataclass(frozen=True, slots=True)
class TeamRole:
    """A person's membership in one team."""

    team_id: int
    slug: str
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind an update, with their memberships.

    ``person_id`` is None for someone the bot has not stored (not a member, not yet acted as an
    admin).
    """

    identity: Identity
    person_id: int | None
    is_admin: bool
    teams: tuple[TeamRole, ...] = field(default=())
    default_team_id: int | None = None
    nudges_paused: bool = False

    @property
    def is_member(self) -> bool:
        """True when the person belongs to at least one team."""
        return bool(self.teams)

    def role_in(self, team_id: int) -> Role | None:
        """The person's role in ``team_id``, or None if not a member."""
        return next((tr.role for tr in self.teams if tr.team_id == team_id), None)

    def team_by_slug(self, slug: str) -> TeamRole | None:
        """The membership whose team slug is ``slug``, or that ``slug`` typed without its
        accents can only mean (:func:`organiser_bot.domain.teams.match_slug`)."""
        matched = match_slug(slug, (tr.slug for tr in self.teams))
        return next((tr for tr in self.teams if tr.slug == matched), None)

    @property
    def default_team(self) -> TeamRole | None:
        """The team entries go to when no ``#team`` is given."""
        if not self.teams:
            return None
        chosen = next((tr for tr in self.teams if tr.team_id == self.default_team_id), None)
        return chosen or self.teams[0]
