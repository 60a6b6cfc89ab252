"""Migration 0008 fills each membership's grant from the audit trail: the latest join's invite
and time, or the team's creation by the same person; anything else stays not recorded."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from storage.engine import make_engine
from storage.migrate import upgrade

T0 = "2026-11-02 09:00:00.000000"
T1 = "2026-11-03 10:00:00.000000"
T2 = "2026-11-20 11:00:00.000000"


def test_grants_come_from_the_latest_join_or_the_team_s_creation(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0007")
    with engine.begin() as conn:
        for pid, uid, name in [(1, 101, "Ada"), (2, 102, "Mia"), (3, 103, "Sam"), (4, 104, "Bo")]:
            conn.execute(
                text(
                    "INSERT INTO person (id, telegram_user_id, display_name, nudges_paused,"
                    " created_at) VALUES (:id, :uid, :name, 0, :at)"
                ),
                {"id": pid, "uid": uid, "name": name, "at": T0},
            )
        conn.execute(
            text("INSERT INTO team (id, name, slug, created_at) VALUES (1, 'Leeds', 'leeds', :at)"),
            {"at": T0},
        )
        for iid, by in [(7, 1), (8, 2)]:
            conn.execute(
                text(
                    "INSERT INTO invite (id, code, team_id, role, created_by, created_at,"
                    " expires_at, uses_left) VALUES (:id, :code, 1, 'organiser', :by, :at, :at, 0)"
                ),
                {"id": iid, "code": f"c{iid}", "by": by, "at": T0},
            )
        for pid, role in [(2, "manager"), (3, "manager"), (4, "caseworker")]:
            conn.execute(
                text(
                    "INSERT INTO membership (person_id, team_id, role, created_at, joined_on, gaps)"
                    " VALUES (:pid, 1, :role, :at, '2026-11-02', '')"
                ),
                {"pid": pid, "role": role, "at": T0},
            )
        audit = [
            (T0, 2, "create", "team", {"name": "Leeds"}),  # Mia created Leeds
            (T1, 3, "join", "membership", {"invite_id": 7, "role": "organiser"}),
            (T2, 3, "join", "membership", {"invite_id": 8, "role": "manager"}),  # the latest
        ]
        for at, actor, action, entity, detail in audit:
            conn.execute(
                text(
                    "INSERT INTO audit (at, actor_person_id, action, entity, entity_id, detail)"
                    " VALUES (:at, :actor, :action, :entity, 1, :detail)"
                ),
                {
                    "at": at,
                    "actor": actor,
                    "action": action,
                    "entity": entity,
                    "detail": json.dumps(detail),
                },
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT person_id, invite_id, granted_at FROM membership ORDER BY person_id")
        ).all()
    engine.dispose()
    got = {pid: (invite, at) for pid, invite, at in rows}
    assert got[2] == (None, T0)  # created the team
    assert got[3] == (8, T2)  # the latest join's invite
    assert got[4] == (None, None)  # nothing in the trail
