"""The audit trail: every change to entries, teams, roles and targets is written here."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from storage.models import AuditEntry
from storage.query import table_of

_audit = table_of(AuditEntry)


def record(
    conn: Connection,
    *,
    at: datetime,
    actor: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    **detail: Any,
) -> None:
    """Append one audit entry in the caller's transaction."""
    conn.execute(
        insert(_audit).values(
            at=at,
            actor_person_id=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=json.dumps(detail, default=str, sort_keys=True),
        )
    )
