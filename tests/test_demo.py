"""``organiser-bot demo`` works offline: a sample organisation and every team's digest files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from organiser_bot.cli import main
from storage.engine import make_engine
from storage.models import Activity, Membership, Team
from storage.query import table_of


def test_demo_builds_an_organisation_and_renders_every_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    db = tmp_path / "organiser_bot_demo.db"
    assert db.exists() and str(db) in out

    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        teams = conn.execute(select(func.count()).select_from(table_of(Team))).scalar_one()
        roles = {r for (r,) in conn.execute(select(table_of(Membership).c.role).distinct())}
        entries = conn.execute(select(func.count()).select_from(table_of(Activity))).scalar_one()
    engine.dispose()
    assert teams >= 3 and {"organiser", "councillor", "caseworker"} <= roles and entries > 100

    files = sorted((tmp_path / "demo-output").iterdir())
    pngs = [f for f in files if f.suffix == ".png"]
    texts = [f for f in files if f.suffix == ".txt"]
    assert len(texts) == teams and len(pngs) == 2 * teams
    assert all(f.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for f in pngs)
    assert "median attainment" in out


def test_demo_runs_twice_from_scratch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, out = tmp_path / "d.db", tmp_path / "out"
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    from organiser_bot.tools.demo import run_demo

    assert run_demo(db_path=str(db), out_dir=str(out), now=now) == 0
    first = capsys.readouterr().out
    assert run_demo(db_path=str(db), out_dir=str(out), now=now) == 0
    # Same seed, same clock: the same organisation, not a second copy of it.
    assert capsys.readouterr().out == first
    assert "2026-W47" in first
