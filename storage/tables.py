"""Core ``Table`` handles for the SQLModel tables, for queries on the hot path."""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)

_tables = SQLModel.metadata.tables

person: Table = _tables["person"]
team: Table = _tables["team"]
membership: Table = _tables["membership"]
invite: Table = _tables["invite"]
team_chat: Table = _tables["team_chat"]
activity_kind: Table = _tables["activity_kind"]
activity: Table = _tables["activity"]
daily_total: Table = _tables["daily_total"]
weekly_total: Table = _tables["weekly_total"]
target: Table = _tables["target"]
absence: Table = _tables["absence"]
audit: Table = _tables["audit"]
digest_ledger: Table = _tables["digest_ledger"]
nudge_log: Table = _tables["nudge_log"]
