"""the bot's heartbeat and the status chat

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "heartbeat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("polled_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("heartbeat", schema=None) as batch_op:
        batch_op.create_index("ix_heartbeat_beat_at", ["beat_at"], unique=False)
    op.create_table(
        "status_chat",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=128), nullable=True),
        sa.Column("set_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("status_chat")
    with op.batch_alter_table("heartbeat", schema=None) as batch_op:
        batch_op.drop_index("ix_heartbeat_beat_at")
    op.drop_table("heartbeat")
