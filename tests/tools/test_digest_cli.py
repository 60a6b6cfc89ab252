"""``organiser-bot digest``: the week's files written offline from the known digest dataset, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from organiser_bot.settings import Settings
from organiser_bot.tools.digest_cli import run_digest_command, write_week_digests
from storage.engine import Database
from tests.usecases.test_digests import KINDS, MONDAY, NOTE, Ids, known_dataset


@pytest.fixture
def seeded(db: Database) -> Ids:
    return db.call(known_dataset)


def test_week_files_are_written_for_every_team(db: Database, seeded: Ids, tmp_path: Path) -> None:
    with db.begin() as conn:
        files = write_week_digests(conn, monday=MONDAY, out_dir=tmp_path, kinds=KINDS)
    names = [f.name for f in files]
    assert names[:3] == ["east-2026-W47-week.png", "east-2026-W47-trend.png", "east-2026-W47.txt"]
    assert len(files) == 12 and all(f.exists() for f in files)
    assert all(f.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for f in files if f.suffix == ".png")
    north = (tmp_path / "north-ward-2026-W47.txt").read_text(encoding="utf-8")
    assert "Sam Patel: one-to-one 6/12 ✗" in north and NOTE not in north


def test_digest_command_renders_a_chosen_week_offline_and_refuses_to_send(
    db: Database, seeded: Ids, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url=db.url, _env_file=None)  # type: ignore[call-arg]
    out = tmp_path / "out"

    assert run_digest_command(db.engine, settings, week="2026-W47", dry_run=True, out_dir=out) == 0
    assert "south-2026-W47.txt" in capsys.readouterr().out
    assert (out / "south-2026-W47.txt").read_text(encoding="utf-8").startswith("South · 2026-W47")
    # Without a week: the last completed one.
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert (
        run_digest_command(db.engine, settings, week=None, dry_run=True, out_dir=out, now=now) == 0
    )
    assert "Digests for 2026-W47" in capsys.readouterr().out
    assert run_digest_command(db.engine, settings, week="2026-W47", dry_run=False, out_dir=out) == 2
    assert "organiser-bot run" in capsys.readouterr().err
    assert run_digest_command(db.engine, settings, week="2026-W60", dry_run=True, out_dir=out) == 2
    assert "2026 has weeks 1 to 53" in capsys.readouterr().err
