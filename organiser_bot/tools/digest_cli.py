"""``organiser-bot digest``: render a chosen week's digests from the configured database."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from charts.rendering import render_digest
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.periods import (
    PeriodError,
    iso_week_label,
    local_date,
    parse_iso_week,
    week_monday,
)
from organiser_bot.settings import Settings
from organiser_bot.usecases.digests import build_week_by_slug
from storage import migrate


def run_digest_command(
    engine: Engine,
    settings: Settings,
    *,
    week: str | None,
    dry_run: bool,
    out_dir: str | Path,
    now: datetime | None = None,
) -> int:
    """Render every team's digest for one week into a folder, without sending anything.

    Only ``--dry-run`` is supported. Sending is left to ``organiser-bot run`` on purpose: the bot
    is what claims each team's digest in the ledger, paces messages through the rate limiter and
    retries failures, and a second sender beside it would only add a way to get that wrong. Without
    ``--dry-run`` this prints that and returns 2, rendering nothing. Rendering never writes to the
    ledger.

    Args:
        engine: The configured database.
        settings: For the time zone.
        week: An ISO week such as ``2026-W47``; None means the last completed week.
        dry_run: Must be True to render.
        out_dir: Where the PNG charts and ``.txt`` summaries go (created if missing).
        now: The current time, for the default week (tests pass one).

    Returns:
        The exit status: 0 when rendered; 2 for a bad week, a database that is not migrated, or
        a request to send; 1 for a database error.
    """
    if not dry_run:
        print(
            "organiser-bot digest: sending happens from `organiser-bot run`, which posts each "
            "team's digest exactly once at DIGEST_SCHEDULE (and catches up after downtime). "
            "Use --dry-run to render a week's digests into a folder.",
            file=sys.stderr,
        )
        return 2
    tz = settings.tz
    if week is None:
        today = local_date(now or datetime.now(UTC), tz)
        monday = week_monday(today) - timedelta(days=7)
    else:
        try:
            monday = parse_iso_week(week)
        except PeriodError as exc:
            print(
                f"organiser-bot digest: {exc.problem} Give a week like 2026-W47.", file=sys.stderr
            )
            return 2
    current, head = migrate.pending(engine)
    if current != head:
        print(
            f"organiser-bot digest: the database is at schema revision {current or 'none'}, "
            f"not {head}: run `organiser-bot db upgrade` first.",
            file=sys.stderr,
        )
        return 2
    folder = Path(out_dir)
    try:
        with engine.connect() as conn:
            files = write_week_digests(
                conn, monday=monday, out_dir=folder, kinds=KindRegistry(), tz=tz
            )
    except SQLAlchemyError as exc:
        print(f"organiser-bot digest: database error: {exc}", file=sys.stderr)
        return 1
    label = iso_week_label(monday)
    if not files:
        print(f"No teams: nothing to render for {label}.")
        return 0
    print(f"Digests for {label} (dry run, nothing sent) written to {folder.resolve()}:")
    for file in files:
        print(f"  {file.name}")
    return 0


def write_week_digests(
    conn: Connection,
    *,
    monday: date,
    out_dir: Path,
    kinds: KindRegistry,
    tz: ZoneInfo | None = None,
) -> list[Path]:
    """Render every live team's digest for a week into ``out_dir``, sending nothing.

    For each team, in name order: ``<slug>-<week>-week.png`` (the diarised chart),
    ``<slug>-<week>-trend.png`` and ``<slug>-<week>.txt`` (the text summary), rendered exactly as
    the bot posts them. The ledger is not touched. Used by ``organiser-bot digest --dry-run`` and
    ``organiser-bot demo``.

    Args:
        conn: A connection (only read from).
        monday: The week's Monday (local date).
        out_dir: The folder; created if missing; files of the same name are overwritten.
        kinds: The kind registry.
        tz: The zone teams' creation days are taken in (``TIMEZONE``); UTC when not given.

    Returns:
        The files written, in order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for slug, d in build_week_by_slug(conn, monday=monday, kinds=kinds, tz=tz).items():
        rendered = render_digest(d, kinds)
        stem = f"{slug}-{d.iso_week}"
        for name, png in rendered.images:
            path = out_dir / f"{stem}-{name}"
            path.write_bytes(png)
            written.append(path)
        path = out_dir / f"{stem}.txt"
        path.write_text(rendered.text + "\n", encoding="utf-8")
        written.append(path)
    return written
