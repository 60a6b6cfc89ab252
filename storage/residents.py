"""Team areas' residents (``team_residents``) and the monthly check-in (``monthly_checkin``):
what ``/residents``, the check-in job, its buttons and ``/active`` write and read.

Every residents figure is kept (a new row each time); the figure in force is the latest one by
``set_on``, then by row id. A check-in row is one per person and month (``month`` its first day):
claimed when the question is sent (``asked_at``), then answered by the member (``active``,
``answered_at``) or marked by an organiser (``active``, ``marked_by``; ``answered_at`` NULL). So a
row whose ``active`` is set and ``answered_at`` is NULL is a mark even once ``marked_by`` is NULL
(the person who marked it was forgotten, which empties ``marked_by``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from organiser_bot.domain.measures import member_spans
from organiser_bot.domain.targets import Tenure
from storage.models import Membership, MonthlyCheckin, Person, Team, TeamResidents, parse_gaps
from storage.query import table_of
from storage.upsert import insert_ignore

_residents = table_of(TeamResidents)
_checkin = table_of(MonthlyCheckin)
_person = table_of(Person)
_membership = table_of(Membership)
_team = table_of(Team)


@dataclass(frozen=True, slots=True)
class ResidentsFigure:
    """A team area's residents as recorded.

    Attributes:
        residents: How many residents.
        set_on: The local day it was recorded.
        set_by_name: The display name of who recorded it; None when unknown.
    """

    team_id: int
    residents: int
    set_on: date
    set_by_name: str | None


def record_residents(
    conn: Connection, *, team_id: int, residents: int, set_on: date, set_by: int, set_at: datetime
) -> None:
    """Add a residents figure for ``team_id`` (a new row; earlier figures are kept)."""
    conn.execute(
        insert(_residents).values(
            team_id=team_id, residents=residents, set_on=set_on, set_by=set_by, set_at=set_at
        )
    )


def current_residents(conn: Connection, team_ids: Sequence[int]) -> dict[int, ResidentsFigure]:
    """The figure in force for each of ``team_ids`` that has one: the latest by ``set_on``,
    then row id."""
    if not team_ids:
        return {}
    ranked = (
        select(
            _residents.c.team_id,
            _residents.c.residents,
            _residents.c.set_on,
            _residents.c.set_by,
            func.row_number()
            .over(
                partition_by=_residents.c.team_id,
                order_by=(_residents.c.set_on.desc(), _residents.c.id.desc()),
            )
            .label("rank"),
        )
        .where(_residents.c.team_id.in_(list(team_ids)))
        .subquery()
    )
    rows = conn.execute(
        select(ranked.c.team_id, ranked.c.residents, ranked.c.set_on, _person.c.display_name)
        .outerjoin(_person, _person.c.id == ranked.c.set_by)
        .where(ranked.c.rank == 1)
    ).all()
    return {
        team_id: ResidentsFigure(team_id, residents, set_on, name)
        for team_id, residents, set_on, name in rows
    }


@dataclass(frozen=True, slots=True)
class CheckinState:
    """One person's check-in row for one month.

    Attributes:
        asked_at: When the question was sent (or its sending was attempted); None: never asked.
        active: Their answer or mark; None: not answered.
        answered_at: When they answered themselves; None: not answered, or marked.
        marked_by: Who marked it (person id); None: their own answer, not answered, or marked
            by someone since forgotten.
    """

    person_id: int
    month: date
    asked_at: datetime | None
    active: bool | None
    answered_at: datetime | None
    marked_by: int | None

    @property
    def own(self) -> bool:
        """Whether ``active`` is the person's own answer (else a mark, or no answer)."""
        return self.active is not None and self.answered_at is not None


@dataclass(frozen=True, slots=True)
class DueCheckin:
    """Someone to ask about a month: the person and their Telegram user id (their private chat)."""

    person_id: int
    telegram_user_id: int


def due_checkins(conn: Connection, *, month: date, month_end: date) -> list[DueCheckin]:
    """The people to ask about ``month`` (its first day; ``month_end`` its last): everyone with a
    current membership of a live team that covers at least one day of the month (begun by
    ``month_end``, and not away for the whole of it between leaving and joining again), whose
    person row is not a forgotten one (a positive Telegram user id), and who has no check-in row
    for ``month`` yet (not asked, answered or marked). By person id."""
    already = select(_checkin.c.person_id).where(_checkin.c.month == month)
    rows = conn.execute(
        select(
            _person.c.id, _person.c.telegram_user_id, _membership.c.joined_on, _membership.c.gaps
        )
        .join(_membership, _membership.c.person_id == _person.c.id)
        .join(_team, _team.c.id == _membership.c.team_id)
        .where(
            _person.c.telegram_user_id > 0,
            _person.c.id.not_in(already),
            _membership.c.left_on.is_(None),
            _membership.c.joined_on <= month_end,
            _team.c.archived_at.is_(None),
        )
        .order_by(_person.c.id)
    ).all()
    due: dict[int, DueCheckin] = {}
    for person_id, user_id, joined_on, gaps in rows:
        if not gaps or member_spans(Tenure(joined_on, None, parse_gaps(gaps)), month, month_end):
            due.setdefault(person_id, DueCheckin(person_id, user_id))
    return list(due.values())


def claim_checkin(conn: Connection, *, person_id: int, month: date, now: datetime) -> bool:
    """Claim the asking of ``person_id`` about ``month`` (insert its row with ``asked_at``);
    False when a row exists already (asked, answered or marked): then nobody asks again."""
    claimed = insert_ignore(
        conn,
        _checkin,
        {"person_id": person_id, "month": month, "asked_at": now},
        conflict=("person_id", "month"),
    )
    return claimed is not None


def release_checkin(conn: Connection, *, person_id: int, month: date, asked_at: datetime) -> bool:
    """Undo :func:`claim_checkin` after a send that failed for a passing reason, so a later run
    asks again; only while the row is still that unanswered claim. Whether it was released."""
    result = conn.execute(
        delete(_checkin).where(
            _checkin.c.person_id == person_id,
            _checkin.c.month == month,
            _checkin.c.asked_at == asked_at,
            _checkin.c.active.is_(None),
        )
    )
    return result.rowcount == 1


def checkin_state(conn: Connection, *, person_id: int, month: date) -> CheckinState | None:
    """``person_id``'s row for ``month``, or None."""
    found = month_checkins(conn, month=month, person_ids=[person_id])
    return found.get(person_id)


def month_checkins(
    conn: Connection, *, month: date, person_ids: Sequence[int]
) -> dict[int, CheckinState]:
    """The rows for ``month`` of ``person_ids``, by person id."""
    if not person_ids:
        return {}
    rows = conn.execute(
        select(_checkin).where(
            _checkin.c.month == month, _checkin.c.person_id.in_(list(person_ids))
        )
    ).all()
    return {row.person_id: CheckinState(**row._mapping) for row in rows}


def set_active(
    conn: Connection,
    *,
    person_id: int,
    month: date,
    active: bool,
    now: datetime,
    marked_by: int | None,
) -> None:
    """Record that ``person_id`` was (or was not) active in ``month``: their own answer
    (``marked_by`` None: ``answered_at`` is ``now``) or the mark of ``marked_by`` (``answered_at``
    NULL, so the row still reads as a mark if ``marked_by`` is forgotten); any earlier answer or
    mark is replaced, ``asked_at`` is kept. When the mark was made is in the audit log."""
    values = {
        "active": active,
        "answered_at": now if marked_by is None else None,
        "marked_by": marked_by,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_checkin).values(person_id=person_id, month=month, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["person_id", "month"], set_=values))


def tenures_touching(
    conn: Connection, *, person_id: int, month: date, month_end: date
) -> list[Tenure]:
    """``person_id``'s memberships (of any team) whose period, gaps aside, touches ``month``
    (its first day) .. ``month_end``: begun by ``month_end``, not ended before ``month``. The
    caller tests the gaps (:func:`organiser_bot.domain.measures.member_spans`)."""
    rows = conn.execute(
        select(_membership.c.joined_on, _membership.c.left_on, _membership.c.gaps).where(
            _membership.c.person_id == person_id,
            _membership.c.joined_on <= month_end,
            or_(_membership.c.left_on.is_(None), _membership.c.left_on >= month),
        )
    ).all()
    return [Tenure(joined_on, left_on, parse_gaps(gaps)) for joined_on, left_on, gaps in rows]


@dataclass(frozen=True, slots=True)
class HeldMembership:
    """One membership, current or ended, of someone holding a username.

    Attributes:
        tenure: Its period (local dates) and gaps.
    """

    person_id: int
    display_name: str
    team_id: int
    tenure: Tenure


def memberships_holding(
    conn: Connection, *, username: str, team_ids: Sequence[int] | None
) -> list[HeldMembership]:
    """Every membership, current or ended, of the live teams ``team_ids`` (None: every live
    team) whose person holds ``username`` (``@`` optional, any case) and is not forgotten (a
    positive Telegram user id). By person id, then team id."""
    stmt = (
        select(
            _person.c.id,
            _person.c.display_name,
            _membership.c.team_id,
            _membership.c.joined_on,
            _membership.c.left_on,
            _membership.c.gaps,
        )
        .join(_membership, _membership.c.person_id == _person.c.id)
        .join(_team, _team.c.id == _membership.c.team_id)
        .where(
            func.lower(_person.c.username) == username.lower().lstrip("@"),
            _person.c.telegram_user_id > 0,
            _team.c.archived_at.is_(None),
        )
        .order_by(_person.c.id, _membership.c.team_id)
    )
    if team_ids is not None:
        stmt = stmt.where(_membership.c.team_id.in_(list(team_ids)))
    return [
        HeldMembership(person_id, name, team_id, Tenure(joined_on, left_on, parse_gaps(gaps)))
        for person_id, name, team_id, joined_on, left_on, gaps in conn.execute(stmt).all()
    ]
