"""how each membership's role was granted: the invite used, and when

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 16:10:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_membership = sa.table(
    "membership",
    sa.column("id", sa.Integer()),
    sa.column("person_id", sa.Integer()),
    sa.column("team_id", sa.Integer()),
    sa.column("invite_id", sa.Integer()),
    sa.column("granted_at", storage.types.UTCDateTime()),
)
_audit = sa.table(
    "audit",
    sa.column("id", sa.Integer()),
    sa.column("at", storage.types.UTCDateTime()),
    sa.column("actor_person_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.Integer()),
    sa.column("detail", sa.Text()),
)
_invite = sa.table("invite", sa.column("id", sa.Integer()))


def upgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invite_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("granted_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_membership_invite_id_invite", "invite", ["invite_id"], ["id"]
        )
    _backfill()


def _backfill() -> None:
    """Grants already in the audit trail: each membership's latest join (the invite and when),
    or, with no join, the team's creation by the same person."""
    conn = op.get_bind()
    invites = set(conn.execute(sa.select(_invite.c.id)).scalars())
    rows = conn.execute(
        sa.select(
            _audit.c.at,
            _audit.c.actor_person_id,
            _audit.c.action,
            _audit.c.entity,
            _audit.c.entity_id,
            _audit.c.detail,
        )
        .where(
            sa.or_(
                sa.and_(_audit.c.entity == "membership", _audit.c.action == "join"),
                sa.and_(_audit.c.entity == "team", _audit.c.action == "create"),
            ),
            _audit.c.actor_person_id.is_not(None),
        )
        .order_by(_audit.c.at, _audit.c.id)
    ).all()
    grants: dict[tuple[int, int], tuple[object, int | None]] = {}
    for at, person_id, _action, entity, team_id, detail in rows:
        invite_id = None
        if entity == "membership":
            invite_id = json.loads(detail or "{}").get("invite_id")
            invite_id = invite_id if invite_id in invites else None
        grants[(person_id, team_id)] = (at, invite_id)
    for (person_id, team_id), (at, invite_id) in grants.items():
        conn.execute(
            sa.update(_membership)
            .where(_membership.c.person_id == person_id, _membership.c.team_id == team_id)
            .values(granted_at=at, invite_id=invite_id)
        )


def downgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_constraint("fk_membership_invite_id_invite", type_="foreignkey")
        batch_op.drop_column("granted_at")
        batch_op.drop_column("invite_id")
