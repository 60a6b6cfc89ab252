"""each team's /measures summary figures, kept until a write they were read from changes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 21:00:00.000000

The triggers keep ``team_measures_cache.revision`` in step with the writes the figures are
read from (see ``storage.measures_cache``). SQLite runs one writer at a time, so its triggers
raise the revision only where kept figures can change. PostgreSQL's update the team's row on
every write to a running total, adding 0 when the week is after ``covered_to``, so the write
holds the row's lock until it commits: ``/measures`` does not keep the figures of a team whose
row a write in flight holds, and a write after it claims a team's row waits for its commit and
raises the revision after it. A write to an absence or a check-in raises the revision of its
person's teams, read from ``membership`` after taking a share lock on the person; a write to a
membership first takes a lock on the person that conflicts with it, so a membership made while
such a write is in flight is either read by it or raises its team's revision after it.

A batch migration that moves and copies a table on SQLite drops its triggers: a later
migration doing so to one of the tables named here must make them again
(``tests/storage/test_measures_cache_triggers.py`` checks that every one exists at head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables whose rows hold a week's running total of a team.
_WEEKS = ("weekly_total", "team_weekly_total")
#: Tables whose rows belong to a team.
_TEAMS = ("membership", "team_residents")
#: Tables whose rows belong to a person: every team they are a member of.
_PEOPLE = ("absence", "monthly_checkin")

_BUMP = "UPDATE team_measures_cache SET revision = revision + 1 WHERE "


def _sqlite_triggers() -> list[tuple[str, str]]:
    """(name, statement) of each SQLite trigger."""
    made = [
        (
            "team_measures_cache_new_team",
            "CREATE TRIGGER team_measures_cache_new_team AFTER INSERT ON team BEGIN"
            " INSERT INTO team_measures_cache (team_id, revision) VALUES (NEW.id, 0); END",
        )
    ]
    rows = {"INSERT": ("NEW",), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD",)}
    for event, which in rows.items():
        for table in _WEEKS:
            where = " OR ".join(
                f"(team_id = {r}.team_id AND {r}.week <= covered_to)" for r in which
            )
            made.append((f"{table}_measures_{event.lower()}", f"{_BUMP}{where}"))
        for table in _TEAMS:
            where = "team_id IN (" + ", ".join(f"{r}.team_id" for r in which) + ")"
            made.append((f"{table}_measures_{event.lower()}", f"{_BUMP}{where}"))
        for table in _PEOPLE:
            people = ", ".join(f"{r}.person_id" for r in which)
            where = f"team_id IN (SELECT team_id FROM membership WHERE person_id IN ({people}))"
            made.append((f"{table}_measures_{event.lower()}", f"{_BUMP}{where}"))
    out = made[:1]
    for name, body in made[1:]:
        table, _, event = name.rpartition("_measures_")
        out.append(
            (name, f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} BEGIN {body}; END")
        )
    return out


#: PostgreSQL's trigger functions: (function, tables, body).
_PG_FUNCTIONS = (
    (
        "team_measures_cache_new_team",
        ("team",),
        "INSERT INTO team_measures_cache (team_id, revision) VALUES (NEW.id, 0);",
    ),
    (
        "team_measures_cache_weeks",
        _WEEKS,
        """
        IF TG_OP <> 'INSERT' THEN
            UPDATE team_measures_cache
            SET revision = revision + CASE WHEN OLD.week <= covered_to THEN 1 ELSE 0 END
            WHERE team_id = OLD.team_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            UPDATE team_measures_cache
            SET revision = revision + CASE WHEN NEW.week <= covered_to THEN 1 ELSE 0 END
            WHERE team_id = NEW.team_id;
        END IF;
        """,
    ),
    (
        "team_measures_cache_members",
        ("membership",),
        """
        IF TG_OP <> 'INSERT' THEN
            PERFORM 1 FROM person WHERE id = OLD.person_id FOR NO KEY UPDATE;
            UPDATE team_measures_cache SET revision = revision + 1 WHERE team_id = OLD.team_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM 1 FROM person WHERE id = NEW.person_id FOR NO KEY UPDATE;
            UPDATE team_measures_cache SET revision = revision + 1 WHERE team_id = NEW.team_id;
        END IF;
        """,
    ),
    (
        "team_measures_cache_teams",
        ("team_residents",),
        """
        IF TG_OP <> 'INSERT' THEN
            UPDATE team_measures_cache SET revision = revision + 1 WHERE team_id = OLD.team_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            UPDATE team_measures_cache SET revision = revision + 1 WHERE team_id = NEW.team_id;
        END IF;
        """,
    ),
    (
        "team_measures_cache_people",
        _PEOPLE,
        """
        IF TG_OP <> 'INSERT' THEN
            PERFORM 1 FROM person WHERE id = OLD.person_id FOR SHARE;
            UPDATE team_measures_cache SET revision = revision + 1
            WHERE team_id IN (SELECT team_id FROM membership WHERE person_id = OLD.person_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM 1 FROM person WHERE id = NEW.person_id FOR SHARE;
            UPDATE team_measures_cache SET revision = revision + 1
            WHERE team_id IN (SELECT team_id FROM membership WHERE person_id = NEW.person_id);
        END IF;
        """,
    ),
)


def _pg_trigger(function: str, table: str) -> str:
    return f"{function}_{table}" if table != "team" else function


def upgrade() -> None:
    op.create_table(
        "team_measures_cache",
        sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("covered_to", sa.Date(), nullable=True),
        sa.Column("windows", sa.String(length=64), nullable=True),
        sa.Column("figures_revision", sa.Integer(), nullable=True),
        sa.Column("figures", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.execute("INSERT INTO team_measures_cache (team_id, revision) SELECT id, 0 FROM team")
    if op.get_bind().dialect.name == "postgresql":
        for function, tables, body in _PG_FUNCTIONS:
            op.execute(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body} RETURN NULL; END $$"
            )
            for table in tables:
                op.execute(
                    f"CREATE TRIGGER {_pg_trigger(function, table)}"
                    f" AFTER INSERT OR UPDATE OR DELETE ON {table}"
                    f" FOR EACH ROW EXECUTE FUNCTION {function}()"
                    if table != "team"
                    else f"CREATE TRIGGER {function} AFTER INSERT ON team"
                    f" FOR EACH ROW EXECUTE FUNCTION {function}()"
                )
    else:
        for _, statement in _sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function, tables, _ in _PG_FUNCTIONS:
            for table in tables:
                op.execute(f"DROP TRIGGER {_pg_trigger(function, table)} ON {table}")
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for name, _ in _sqlite_triggers():
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("team_measures_cache")
