"""membership periods, forum topics, lost chats, failure notices

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:15:00.000000

``membership.joined_on`` is filled from ``created_at`` (its UTC date: the zone is a setting, not
part of the schema); ``left_on`` starts empty, every existing membership being current.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
    membership = sa.table(
        "membership",
        sa.column("id", sa.Integer()),
        sa.column("joined_on", sa.Date()),
        sa.column("created_at", storage.types.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(membership.c.id, membership.c.created_at)).all():
        bind.execute(
            sa.update(membership)
            .where(membership.c.id == row.id)
            .values(joined_on=row.created_at.date())
        )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.alter_column("joined_on", existing_type=sa.Date(), nullable=False)

    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chat_lost_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("chat_lost_reason", sa.String(length=32), nullable=True))

    with op.batch_alter_table("team_chat", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("digest_ledger", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("admins_told_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("digest_ledger", schema=None) as batch_op:
        batch_op.drop_column("admins_told_at")
    with op.batch_alter_table("team_chat", schema=None) as batch_op:
        batch_op.drop_column("thread_id")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_column("chat_lost_reason")
        batch_op.drop_column("chat_lost_at")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("left_on")
        batch_op.drop_column("joined_on")
