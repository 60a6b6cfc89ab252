"""The command line: configuration errors are one clear line and exit status 2."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from organiser_bot.logs import RedactSecrets


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "organiser_bot.cli", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _run(["run"], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIMEZONE", "Mars/Olympus"),
        ("DATABASE_URL", "not a url"),
        ("DIGEST_SCHEDULE", "someday 25:00"),
        ("ADMIN_TELEGRAM_IDS", "alice,bob"),
    ],
)
def test_invalid_settings_exit_2_naming_the_variable(tmp_path: Path, name: str, value: str) -> None:
    result = _run(["run"], tmp_path, TELEGRAM_BOT_TOKEN="123:SECRET-TOKEN", **{name: value})
    assert result.returncode == 2
    assert name in result.stderr and "Traceback" not in result.stderr
    assert "SECRET-TOKEN" not in result.stderr + result.stdout


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    result = _run(["db", "upgrade"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 0, result.stderr
    current, newest = re.findall(r"revision (\w+) \(newest (\w+)\)", result.stdout)[0]
    assert current == newest != "none"


def test_the_token_is_redacted_from_log_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactSecrets(["123:SECRET"]))
    try:
        with caplog.at_level(logging.INFO, logger="test.redact"):
            logger.info("GET https://api.telegram.org/bot%s/getMe", "123:SECRET")
            try:
                raise RuntimeError("failed at /bot123:SECRET/sendMessage")
            except RuntimeError:
                logger.exception("boom")
    finally:
        logger.filters.clear()
    text = caplog.text
    assert "SECRET" not in text and "[redacted]" in text
