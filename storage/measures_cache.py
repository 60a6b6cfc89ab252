"""Each team's ``/measures`` summary figures (:class:`~organiser_bot.domain.measures.TeamFigures`),
kept in ``team_measures_cache`` until a write they were read from changes them.

The figures of a team are read over complete weeks, so most writes cannot change them: a
quick log goes to the current week. Triggers (migration 0010) raise the team's
``revision`` on each write that can: a running total of a week on or before ``covered_to``,
and any write to the team's memberships or residents figures or to its members' absences and
check-ins. Kept figures hold while their ``figures_revision`` equals ``revision`` and their
``windows`` are those asked for (:func:`windows_key`).

A team whose figures do not hold is first claimed (:func:`claim`): its ``covered_to`` is set
and its revision read, in the reader's transaction, before the figures are read. On
PostgreSQL every write to a running total updates the team's row, so it holds the row's lock
until it commits. The claim takes the locks it can without waiting (``SKIP LOCKED``): a team
whose row a write in flight holds is read (as committed before that write) but its figures are
not kept, so a later look reads it again; a write that comes after the claim waits for the
reader's commit and then raises the revision. The claim never waits, so it never deadlocks
with a write. SQLite has one writer at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, select, update

from organiser_bot.domain.measures import KindChange, Rate, RoleFigures, TeamFigures, Windows
from organiser_bot.domain.roles import Role
from storage.models import TeamMeasuresCache
from storage.query import table_of

_cache = table_of(TeamMeasuresCache)

#: The version of the figures' layout and of how they are read: a change to either makes the
#: kept figures of every team not hold.
FIGURES_VERSION = 1

_ROLES = {role.value: role for role in Role}
#: The rows of the ``team_ids`` parameter's teams.
_OF_TEAMS = _cache.c.team_id.in_(bindparam("team_ids", expanding=True))


def windows_key(spans: Windows) -> str:
    """The text naming ``spans`` in ``team_measures_cache.windows``: the figures' version, the
    last complete week's Sunday (every span of weeks follows from it) and the as-at month."""
    return f"{FIGURES_VERSION}:{spans.weeks4[1].isoformat()}:{spans.months[-1].isoformat()}"


def covered_to(spans: Windows) -> date:
    """The last week's Monday the figures over ``spans`` read from the running totals."""
    return spans.weeks4[1] - timedelta(days=6)


class Kept(NamedTuple):
    """A team's row: its revision, and the windows, revision and figures (JSON) kept."""

    revision: int
    windows: str | None
    figures_revision: int | None
    figures: str | None


_READ_ALL = select(
    _cache.c.team_id,
    _cache.c.revision,
    _cache.c.windows,
    _cache.c.figures_revision,
    _cache.c.figures,
)
_READ = _READ_ALL.where(_OF_TEAMS)


def read(conn: Connection, team_ids: Sequence[int] | None) -> dict[int, Kept]:
    """The rows of ``team_ids`` (every team's, for None): team id -> :class:`Kept`."""
    rows = (
        conn.execute(_READ_ALL).all()
        if team_ids is None
        else conn.execute(_READ, {"team_ids": list(team_ids)}).all()
    )
    return {team_id: Kept(*kept) for team_id, *kept in rows}


def holding(kept: Kept | None, key: str) -> str | None:
    """The figures (JSON) of ``kept`` if they hold for the windows named ``key``, else None."""
    if kept is None or kept.windows != key or kept.figures_revision != kept.revision:
        return None
    return kept.figures


_LOCK = select(_cache.c.team_id).where(_OF_TEAMS).with_for_update(skip_locked=True)
_HOLD = (
    select(_cache.c.team_id)
    .where(_OF_TEAMS)
    .order_by(_cache.c.team_id)
    .with_for_update(key_share=True)
)


def hold(conn: Connection, team_ids: Iterable[int]) -> None:
    """Before a transaction writes the running totals of ``team_ids``: on PostgreSQL, lock the
    teams' rows, in order of team id (``FOR NO KEY UPDATE``, the lock the triggers' update
    takes). Every row a write to a team's running totals locks is then locked after the
    team's row, so two such writes wait on each other at the team's row, never in a cycle
    (the triggers alone would lock it between one kind's totals and the next's). Nothing on
    SQLite, which has one writer at a time."""
    if conn.dialect.name == "postgresql":
        ids = sorted(set(team_ids))
        if ids:
            conn.execute(_HOLD, {"team_ids": ids})


_CLAIM = (
    update(_cache)
    .where(_OF_TEAMS)
    .values(covered_to=bindparam("covered_to"), figures=None, figures_revision=None)
    .returning(_cache.c.team_id, _cache.c.revision)
)


def claim(conn: Connection, team_ids: Sequence[int], spans: Windows) -> dict[int, int]:
    """Claim the rows of ``team_ids`` before their figures over ``spans`` are read: set
    ``covered_to`` (so a later write to a week the figures read raises ``revision``), drop
    the figures kept, and return team id -> revision, which :func:`keep` stores with the
    figures. On PostgreSQL the rows are locked until the commit, without waiting: a row a
    write in flight holds is not claimed.

    A team left out (its row held by a write in flight, or no row: none is made until the
    team is) is read but its figures are not kept.
    """
    ids = sorted(team_ids)
    if conn.dialect.name == "postgresql":
        ids = sorted(conn.execute(_LOCK, {"team_ids": ids}).scalars())
        if not ids:
            return {}
    rows = conn.execute(_CLAIM, {"team_ids": ids, "covered_to": covered_to(spans)}).all()
    return {team_id: revision for team_id, revision in rows}


_KEEP = (
    update(_cache)
    .where(_cache.c.team_id == bindparam("id"))
    .values(
        windows=bindparam("windows"),
        figures_revision=bindparam("figures_revision"),
        figures=bindparam("figures"),
    )
)


def keep(
    conn: Connection,
    spans: Windows,
    figures: Mapping[int, TeamFigures],
    revisions: Mapping[int, int],
) -> None:
    """Keep each team's ``figures`` over ``spans``, read after :func:`claim` gave
    ``revisions``: they hold until a write raises the team's revision."""
    key = windows_key(spans)
    rows = [
        {"id": team_id, "windows": key, "figures_revision": revisions[team_id], "figures": dumps(f)}
        for team_id, f in figures.items()
        if team_id in revisions
    ]
    if rows:
        conn.execute(_KEEP, rows)


def dumps(figures: TeamFigures) -> str:
    """``figures`` as compact JSON: ``{"r": [[role, contacts, days, listed]...], "k": [[kind,
    total, previous]...], "n": residents or null, "a": active}``."""
    doc: dict[str, Any] = {
        "r": [
            [r.role.value, r.rate.contacts, r.rate.days_present, r.listed] for r in figures.roles
        ],
        "k": [[k.kind, k.total, k.previous] for k in figures.rolling13],
        "n": figures.residents,
        "a": figures.active,
    }
    return json.dumps(doc, separators=(",", ":"))


@lru_cache(maxsize=4096)
def loads(text: str) -> TeamFigures:
    """The :class:`TeamFigures` written by :func:`dumps`. Remembered by text: the figures are
    immutable values, and reading the same team's again (every look until a write changes
    them) then costs a lookup, not a parse (about 14 µs a team)."""
    doc = json.loads(text)
    return TeamFigures(
        roles=tuple(
            RoleFigures(_ROLES[role], Rate(contacts, days), listed)
            for role, contacts, days, listed in doc["r"]
        ),
        rolling13=tuple(KindChange(kind, total, previous) for kind, total, previous in doc["k"]),
        residents=doc["n"],
        active=doc["a"],
    )
