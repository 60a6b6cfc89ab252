"""team weekly running totals, the scrutiny ledger, team residents and monthly check-ins;
an index on the audit trail for /access

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_weekly_total",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.PrimaryKeyConstraint("team_id", "kind", "week"),
    )
    with op.batch_alter_table("team_weekly_total", schema=None) as batch_op:
        batch_op.create_index(
            "ix_team_weekly_total_kind_team", ["kind", "team_id", "week", "total"], unique=False
        )
    # Filled from the per-person weekly totals, which equal the live entries.
    op.execute(
        "INSERT INTO team_weekly_total (team_id, kind, week, total)"
        " SELECT team_id, kind, week, SUM(total) FROM weekly_total"
        " GROUP BY team_id, kind, week"
    )

    op.create_table(
        "scrutiny",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("viewer_person_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("subject_person_id", sa.Integer(), nullable=True),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["viewer_person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["subject_person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scrutiny", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scrutiny_at_team", ["at", "team_id", "what", "viewer_person_id"], unique=False
        )
        batch_op.create_index("ix_scrutiny_subject", ["subject_person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scrutiny_viewer_person_id"), ["viewer_person_id"], unique=False
        )

    op.create_table(
        "team_residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["set_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("team_residents", schema=None) as batch_op:
        batch_op.create_index("ix_team_residents_team_set_on", ["team_id", "set_on"], unique=False)

    op.create_table(
        "monthly_checkin",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("asked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["marked_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id", "month"),
    )
    with op.batch_alter_table("monthly_checkin", schema=None) as batch_op:
        batch_op.create_index(
            "ix_monthly_checkin_month", ["month", "active", "person_id"], unique=False
        )

    with op.batch_alter_table("weekly_total", schema=None) as batch_op:
        batch_op.create_index(
            "ix_weekly_total_kind_week",
            ["kind", "week", "team_id", "person_id", "total"],
            unique=False,
        )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entity_action_at", ["entity", "action", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("weekly_total", schema=None) as batch_op:
        batch_op.drop_index("ix_weekly_total_kind_week")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entity_action_at")
    with op.batch_alter_table("monthly_checkin", schema=None) as batch_op:
        batch_op.drop_index("ix_monthly_checkin_month")
    op.drop_table("monthly_checkin")
    with op.batch_alter_table("team_residents", schema=None) as batch_op:
        batch_op.drop_index("ix_team_residents_team_set_on")
    op.drop_table("team_residents")
    with op.batch_alter_table("scrutiny", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scrutiny_viewer_person_id"))
        batch_op.drop_index("ix_scrutiny_subject")
        batch_op.drop_index("ix_scrutiny_at_team")
    op.drop_table("scrutiny")
    with op.batch_alter_table("team_weekly_total", schema=None) as batch_op:
        batch_op.drop_index("ix_team_weekly_total_kind_team")
    op.drop_table("team_weekly_total")
