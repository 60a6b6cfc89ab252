"""``/export``, ``/diary`` times and notes retention tried as a new user would, through the bot
(``Application.process_update`` with the offline request, or the loopback fake Bot API), on
SQLite and PostgreSQL; each README claim in "Exports" and "Notes retention" checked."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from telegram.ext import AIORateLimiter

from handlers import jobs
from organiser_bot.app import build_application
from organiser_bot.domain.roles import Role
from organiser_bot.settings import Settings
from organiser_bot.usecases.exports import CSV_COLUMNS, FORMULA_STARTS
from storage.engine import Database
from storage.models import Activity, DailyTotal, Membership, Person, WeeklyTotal
from storage.query import table_of
from tests.conftest import ADMIN_ID, BotHarness, FakeClock, OfflineBot
from tests.digest_factories import LONDON, log, make_member, make_team
from tests.offline import OfflineRequest, Updates

ROOT = Path(__file__).resolve().parents[2]
MANAGER, SAM, ANN = 1500, 2001, 2002

#: Columns the bot fills from what people typed: the ones a formula could hide in.
TEXT_COLUMNS = ("team", "team_name", "person", "kind", "note")


async def _join(bot: OfflineBot, user_id: int, team: str, role: str, name: str, **kw: Any) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    welcome = await bot.say(user_id, f"/start {code.group(1)}", first_name=name, **kw)
    assert "Welcome" in welcome, welcome


async def _export(
    bot: OfflineBot, user_id: int, *period: str
) -> tuple[bytes, list[dict[str, str]]]:
    text = " ".join(("/export", *period))
    [doc] = await bot.replies(bot.message(user_id, text), "sendDocument")
    content = next(iter(doc.files.values()))
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    return content, rows


def _by_note(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["note"] or r["kind"]: r for r in rows}


@pytest.fixture
async def org(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward with manager Mia and organiser Sam, members since last week; then the clock
    is Thursday 26 Nov 2026, 16:00 UTC (GMT: local time is the same)."""
    now = offline_bot.clock.now
    offline_bot.clock.now = now - timedelta(weeks=1)
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, MANAGER, "north-ward", "manager", "Mia")
    await _join(offline_bot, SAM, "north-ward", "organiser", "Sam")
    offline_bot.clock.now = now.replace(hour=16)
    return offline_bot


# --- the document ---------------------------------------------------------------------------------


async def test_bom_header_and_every_column_of_a_timed_entry_filled(org: OfflineBot) -> None:
    assert "✓" in await org.say(SAM, "121 Jo 2pm")
    content, rows = await _export(org, MANAGER)
    assert content.startswith(b"\xef\xbb\xbf" + ",".join(CSV_COLUMNS).encode() + b"\r\n")
    [row] = rows
    assert row == {
        "date": "2026-11-26",
        "time": "14:00",
        "team": "north-ward",
        "team_name": "North Ward",
        "person": "Sam",
        "role": "organiser",
        "kind": "one-to-one",
        "count": "1",
        "note": "Jo",
        "occurred_at": "2026-11-26T14:00:00Z",
        "recorded_at": "2026-11-26T16:00:00Z",
        "recorded_at_local": "2026-11-26T16:00:00+00:00",
    }


async def test_names_in_several_scripts_survive_the_bom_round_trip(org: OfflineBot) -> None:
    await _join(org, ANN, "north-ward", "organiser", "Zoë 李明 عائشة")
    assert "✓" in await org.say(ANN, "121 żółć 租户 زيارة 👍🏽")
    content, rows = await _export(org, MANAGER)
    assert content[:3] == b"\xef\xbb\xbf" and content[3:6] != b"\xef\xbb\xbf"
    [row] = rows
    assert (row["person"], row["note"]) == ("Zoë 李明 عائشة", "żółć 租户 زيارة 👍🏽")


# --- formulas -------------------------------------------------------------------------------------


def _safe(cell: str) -> bool:
    """A cell a spreadsheet will not run: it does not start (after spaces) with a formula
    character, or it starts with the single quote the README promises."""
    return cell.startswith("'") or cell.lstrip()[:1] not in FORMULA_STARTS


@pytest.mark.parametrize(
    "team_name", ["=SUM(1+1)", "@Home Ward", "-North", "+Plus", "＝Wide", "＠Wide", "－Dash"]
)
async def test_a_team_name_that_starts_a_formula_is_neutralised(
    offline_bot: OfflineBot, team_name: str
) -> None:
    bot = offline_bot
    created = await bot.say(ADMIN_ID, f"/newteam {team_name}")
    slug = re.search(r"short name: ([\w-]+)", created)
    assert slug, created
    await _join(bot, SAM, slug.group(1), "organiser", "Sam")
    assert "✓" in await bot.say(SAM, "121 Jo")
    _, [row] = await _export(bot, ADMIN_ID)
    assert row["team_name"] == "'" + team_name
    assert all(_safe(row[c]) for c in TEXT_COLUMNS), row


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://x","y")', "@Sam", "-Sam", "+Sam", "＝Sam", "＋Sam", " =1+1", "\t=1"],
)
async def test_a_person_name_that_starts_a_formula_is_neutralised(
    org: OfflineBot, name: str
) -> None:
    await _join(org, ANN, "north-ward", "organiser", name)
    assert "✓" in await org.say(ANN, "121 Jo")
    _, rows = await _export(org, MANAGER)
    [row] = [r for r in rows if r["note"] == "Jo"]
    assert row["person"].startswith("'"), row
    assert all(_safe(row[c]) for c in TEXT_COLUMNS), row


NOTES = {
    "121 =1+1": "=1+1",
    "121 -5 owed": "-5 owed",
    "121 @home": "@home",
    "121 ＝1+1": "＝1+1",
    "121 ＋1": "＋1",
    "121 －1": "－1",
    "121 ＠x": "＠x",
    "121 \"=cmd|' /C calc'!A0\"": "=cmd|' /C calc'!A0",
    '121 "+44 7700 900123"': "+44 7700 900123",
    "/log 121 =2+2": "=2+2",
    '/log 121 "@SUM(A1)"': "@SUM(A1)",
}


@pytest.mark.parametrize(("text", "note"), NOTES.items())
async def test_a_note_that_starts_a_formula_is_neutralised(
    org: OfflineBot, text: str, note: str
) -> None:
    reply = await org.say(SAM, text)
    assert "✓" in reply, reply
    _, [row] = await _export(org, MANAGER)
    assert row["note"] == "'" + note


async def test_an_edit_that_turns_a_note_into_a_formula_is_neutralised(org: OfflineBot) -> None:
    first = org.message(SAM, "121 Jo")
    await org.process(first)
    await org.process(org.updates.edited(first, "121 =HYPERLINK(1)"))
    _, [row] = await _export(org, MANAGER)
    assert row["note"] == "'=HYPERLINK(1)"


async def test_newkind_refuses_formula_names_and_a_custom_kind_is_exported_by_label(
    org: OfflineBot,
) -> None:
    for bad in ("=visit", "@home", "-drop", "+plus", "＠wide"):
        assert "starting with a letter" in await org.say(ADMIN_ID, f"/newkind {bad}")
    assert "New kind" in await org.say(ADMIN_ID, "/newkind training train")
    assert "✓" in await org.say(SAM, "train 2 =x")
    _, [row] = await _export(org, MANAGER)
    assert (row["kind"], row["count"], row["note"]) == ("training", "2", "'=x")
    assert all(_safe(row[c]) for c in TEXT_COLUMNS), row


async def test_a_formula_after_a_semicolon_cannot_start_a_cell(org: OfflineBot) -> None:
    assert "✓" in await org.say(SAM, "121 Jo;=HYPERLINK(1)")
    content, [row] = await _export(org, MANAGER)
    assert row["note"].endswith("Jo;=HYPERLINK(1)")
    line = content.decode("utf-8-sig").splitlines()[1]
    # Quoted, the separator is part of the text in every locale.
    assert '"Jo;=HYPERLINK(1)"' in line or '"\'Jo;=HYPERLINK(1)"' in line, line


# --- a time only when one was given ---------------------------------------------------------------

#: What was typed at 16:00 on Thu 26 Nov 2026 (GMT), and the export's (date, time, occurred_at).
TIMES = {
    "doors 3 yesterday": ("2026-11-25", "", ""),
    "121 Jo": ("2026-11-26", "", ""),
    "121 Jo 2pm": ("2026-11-26", "14:00", "2026-11-26T14:00:00Z"),
    "121 Jo at 9:30": ("2026-11-26", "09:30", "2026-11-26T09:30:00Z"),
    "121 Jo 20/11": ("2026-11-20", "", ""),
    "121 Jo last fri": ("2026-11-20", "", ""),
    "121 Jo 3 days ago": ("2026-11-23", "", ""),
    "121 Jo yesterday evening": ("2026-11-25", "18:00", "2026-11-25T18:00:00Z"),
    "121 Jo this morning": ("2026-11-26", "09:00", "2026-11-26T09:00:00Z"),
    "121 Jo mon afternoon": ("2026-11-23", "14:00", "2026-11-23T14:00:00Z"),
    "121 Jo 3 hours ago": ("2026-11-26", "13:00", "2026-11-26T13:00:00Z"),
    "/log 121": ("2026-11-26", "", ""),
    "/log doors 3 yesterday": ("2026-11-25", "", ""),
    "/log 121 Ann 10am": ("2026-11-26", "10:00", "2026-11-26T10:00:00Z"),
    "/log 121 yesterday Ann": ("2026-11-25", "", ""),
}


@pytest.mark.parametrize(("text", "expected"), TIMES.items())
async def test_the_export_and_diary_show_a_time_only_when_one_was_given(
    org: OfflineBot, text: str, expected: tuple[str, str, str]
) -> None:
    reply = await org.say(SAM, text)
    assert "✓" in reply, reply
    _, [row] = await _export(org, MANAGER, "4w")
    assert (row["date"], row["time"], row["occurred_at"]) == expected
    assert row["recorded_at"] == "2026-11-26T16:00:00Z"
    diary = await org.say(SAM, "/diary 4w")
    entries = [ln for ln in diary.splitlines() if ln.startswith("  ")]
    assert len(entries) == 1, diary
    shown = re.search(r"\b\d{2}:\d{2}\b", entries[0])
    assert (shown.group(0) if shown else "") == expected[1], diary
    # Nobody typed 12:00 or the moment of sending.
    if not expected[1]:
        assert "12:00" not in diary and "16:00" not in diary, diary


#: An edit of the message: (first text, edited text) and the export's (date, time).
EDITS = {
    "removes the time": ("121 Bo 3pm", "121 Bo", ("2026-11-26", "")),
    "gives a day instead": ("121 Bo 3pm", "121 Bo yesterday", ("2026-11-25", "")),
    "adds a time": ("121 Bo yesterday", "121 Bo yesterday 9am", ("2026-11-25", "09:00")),
    "adds a part of the day": ("121 Bo", "121 Bo this morning", ("2026-11-26", "09:00")),
    "changes the note only": ("121 Bo 3pm", "121 Bob 3pm", ("2026-11-26", "15:00")),
    "keeps no time": ("doors 3 yesterday", "doors 4 yesterday", ("2026-11-25", "")),
}


@pytest.mark.parametrize(("first", "edited", "expected"), EDITS.values(), ids=list(EDITS))
async def test_an_edit_that_adds_or_removes_a_time_is_exported_as_edited(
    org: OfflineBot, first: str, edited: str, expected: tuple[str, str]
) -> None:
    message = org.message(SAM, first)
    await org.process(message)
    org.clock.advance(minutes=5)
    await org.process(org.updates.edited(message, edited))
    _, [row] = await _export(org, MANAGER, "4w")
    assert (row["date"], row["time"]) == expected
    diary = await org.say(SAM, "/diary 4w")
    [entry] = [ln for ln in diary.splitlines() if ln.startswith("  ")]
    shown = re.search(r"\b\d{2}:\d{2}\b", entry)
    assert (shown.group(0) if shown else "") == expected[1], diary


# --- summer time ----------------------------------------------------------------------------------


@pytest.fixture
async def spring(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward set up on 1 Mar 2026 with manager Mia and organiser Sam."""
    offline_bot.clock.now = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, MANAGER, "north-ward", "manager", "Mia")
    await _join(offline_bot, SAM, "north-ward", "organiser", "Sam")
    return offline_bot


async def test_local_and_utc_timestamps_across_the_spring_change(spring: OfflineBot) -> None:
    # Sat 28 Mar 2026 is GMT; London moves to BST at 01:00 UTC on Sun 29 Mar.
    spring.clock.now = datetime(2026, 3, 28, 15, 0, tzinfo=UTC)
    assert "✓" in await spring.say(SAM, "121 Winter 2pm")
    spring.clock.now = datetime(2026, 3, 29, 15, 0, tzinfo=UTC)
    assert "✓" in await spring.say(SAM, "121 Summer 2pm")
    assert "✓" in await spring.say(SAM, "121 Untimed")
    rows = _by_note((await _export(spring, MANAGER, "2026-03-01..2026-03-31"))[1])
    assert {k: (r["time"], r["occurred_at"]) for k, r in rows.items()} == {
        "Winter": ("14:00", "2026-03-28T14:00:00Z"),
        "Summer": ("14:00", "2026-03-29T13:00:00Z"),
        "Untimed": ("", ""),
    }
    assert {k: (r["recorded_at"], r["recorded_at_local"]) for k, r in rows.items()} == {
        "Winter": ("2026-03-28T15:00:00Z", "2026-03-28T15:00:00+00:00"),
        "Summer": ("2026-03-29T15:00:00Z", "2026-03-29T16:00:00+01:00"),
        "Untimed": ("2026-03-29T15:00:00Z", "2026-03-29T16:00:00+01:00"),
    }


async def test_an_entry_sent_just_after_local_midnight_in_summer_counts_for_the_local_day(
    spring: OfflineBot,
) -> None:
    # 23:30 UTC on 1 Jun is 00:30 BST on 2 Jun.
    spring.clock.now = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    assert "✓" in await spring.say(SAM, "121 Late")
    _, [row] = await _export(spring, MANAGER, "2026-06-01..2026-06-30")
    assert (row["date"], row["time"], row["occurred_at"]) == ("2026-06-02", "", "")
    assert row["recorded_at"] == "2026-06-01T23:30:00Z"
    assert row["recorded_at_local"] == "2026-06-02T00:30:00+01:00"


async def test_a_time_in_the_autumn_repeated_hour_is_shown_as_typed(spring: OfflineBot) -> None:
    # On Sun 25 Oct 2026 London's 01:00-02:00 happens twice; 10:00 UTC is after both.
    spring.clock.now = datetime(2026, 10, 25, 10, 0, tzinfo=UTC)
    assert "✓" in await spring.say(SAM, "121 Twice 1:30am")
    _, [row] = await _export(spring, MANAGER, "2026-10-01..2026-10-31")
    assert row["time"] == "01:30"
    # Either 01:30 BST or 01:30 GMT: the UTC column is the same instant as the local one.
    assert row["occurred_at"] in {"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"}


async def test_a_time_in_the_spring_gap_is_shown_the_same_in_reply_diary_and_export(
    spring: OfflineBot,
) -> None:
    # 01:30 does not exist in London on Sun 29 Mar 2026: whatever the bot makes of it, the
    # confirmation, /diary and the export agree, and the UTC column is that local time.
    spring.clock.now = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    reply = await spring.say(SAM, "121 Gap 1:30am")
    confirmed = re.search(r"Sun 29 Mar (\d{2}:\d{2})", reply)
    assert confirmed, reply
    diary = await spring.say(SAM, "/diary")
    assert f"  {confirmed.group(1)} one-to-one — Gap" in diary, diary
    _, [row] = await _export(spring, MANAGER, "2026-03-01..2026-03-31")
    assert row["time"] == confirmed.group(1)
    local = datetime.fromisoformat(row["occurred_at"].replace("Z", "+00:00")).astimezone(LONDON)
    assert f"{local:%H:%M}" == row["time"] and local.date().isoformat() == row["date"]


# --- the role column ------------------------------------------------------------------------------


async def test_role_is_the_role_in_the_team_of_the_entry_also_for_someone_who_left(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    bot.clock.now -= timedelta(weeks=1)
    await bot.say(ADMIN_ID, "/newteam Leeds")
    await bot.say(ADMIN_ID, "/newteam Bradford")
    await _join(bot, MANAGER, "leeds", "manager", "Mia")
    await _join(bot, MANAGER, "bradford", "organiser", "Mia")
    await _join(bot, SAM, "leeds", "councillor", "Sam", username="samleeds")
    bot.clock.now += timedelta(weeks=1)
    assert "✓" in await bot.say(MANAGER, "121 InLeeds #leeds")
    assert "✓" in await bot.say(MANAGER, "121 InBradford #bradford")
    assert "✓" in await bot.say(SAM, "121 BeforeLeaving")
    await bot.say(ADMIN_ID, "/remove leeds @samleeds")
    removed = await bot.say(ADMIN_ID, "/remove leeds @samleeds confirm")
    assert "Sam" in removed, removed
    rows = _by_note((await _export(bot, ADMIN_ID))[1])
    assert {k: (r["team"], r["role"]) for k, r in rows.items()} == {
        "InLeeds": ("leeds", "manager"),
        "InBradford": ("bradford", "organiser"),
        "BeforeLeaving": ("leeds", "councillor"),
    }


# --- end to end: the document through the fake Bot API --------------------------------------------


async def test_the_document_arrives_through_the_bot_api_end_to_end(bot: BotHarness) -> None:
    await bot.say(ADMIN_ID, "/newteam =North Ward")
    invite = await bot.say(ADMIN_ID, "/invite north-ward organiser")
    code = re.search(r"start=([\w-]+)", invite)
    assert code, invite
    assert "Welcome" in await bot.say(SAM, f"/start {code.group(1)}", first_name="@Zoë")
    assert "✓" in await bot.say(SAM, "121 =1+1", first_name="@Zoë")
    since = len(bot.api.requests)
    bot.api.user_message(ADMIN_ID, "/export")
    [sent] = await bot.api.wait_for(
        "sendDocument", lambda p: str(p.get("chat_id")) == str(ADMIN_ID), since=since
    )
    [(key, content)] = sent.files.items()
    assert sent.filenames[key].endswith(".csv")
    assert content.startswith(b"\xef\xbb\xbfdate,time,")
    [row] = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    assert (row["team_name"], row["person"], row["note"]) == ("'=North Ward", "'@Zoë", "'=1+1")


# --- the benchmark --------------------------------------------------------------------------------


def test_the_export_benchmark_runs_and_prints_streamed_and_baseline_figures(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "bench/bench_export.py", "--teams", "3", "--members", "3", "--weeks", "2"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.lower()
    assert "streamed" in out and "baseline" in out, result.stdout
    assert re.search(r"\d+(\.\d+)?\s*(mib|mb|kib|kb)", out), result.stdout


# --- notes retention ------------------------------------------------------------------------------


def _cli_run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    clean.pop("NOTES_RETENTION_DAYS", None)
    clean.update(env, TELEGRAM_BOT_TOKEN="123:SECRET-TOKEN")
    return subprocess.run(
        [sys.executable, "-m", "organiser_bot.cli", "run"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", "365days", "-365"])
def test_an_invalid_retention_setting_stops_the_bot_at_start(tmp_path: Path, value: str) -> None:
    result = _cli_run(tmp_path, NOTES_RETENTION_DAYS=value)
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "NOTES_RETENTION_DAYS" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "SECRET-TOKEN" not in result.stderr


def test_the_retention_default_is_365_and_a_valid_value_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NOTES_RETENTION_DAYS", raising=False)
    assert Settings(telegram_bot_token="1:T", _env_file=None).notes_retention_days == 365  # type: ignore[arg-type, call-arg]
    monkeypatch.setenv("NOTES_RETENTION_DAYS", "30")
    assert Settings(telegram_bot_token="1:T", _env_file=None).notes_retention_days == 30  # type: ignore[arg-type, call-arg]


@pytest.fixture
async def bot30(db_url: str, clock: FakeClock) -> AsyncIterator[OfflineBot]:
    """The real bot, offline, with ``NOTES_RETENTION_DAYS=30``."""
    request = OfflineRequest(now=clock)
    settings = Settings(
        telegram_bot_token="123456:TEST-TOKEN",  # type: ignore[arg-type]
        database_url=db_url,
        admin_telegram_ids=frozenset({ADMIN_ID}),
        notes_retention_days=30,
        _env_file=None,  # type: ignore[call-arg]
    )
    limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=3)
    app = build_application(
        settings, clock=clock, schedule_jobs=False, request=request, rate_limiter=limiter
    )
    async with app:
        await app.post_init(app)
        try:
            yield OfflineBot(
                app=app,
                request=request,
                updates=Updates(chats=request.chats, now=clock),
                clock=clock,
                db_url=db_url,
            )
        finally:
            await app.post_shutdown(app)


async def _run_retention_job(bot: OfflineBot) -> None:
    jq = bot.app.job_queue
    assert jq is not None
    job = jq.run_once(jobs.erase_old_notes_job, when=3600, name="retention under test")
    try:
        await job.run(bot.app)
    finally:
        job.schedule_removal()


def _snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables the job must leave alone, and activity without its notes."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.begin() as conn:
        for model in (Person, Membership, DailyTotal, WeeklyTotal):
            t = table_of(model)
            out[t.name] = sorted(map(tuple, conn.execute(select(t)).all()), key=repr)
        a = table_of(Activity)
        cols = [c for c in a.c if c.name != "note"]
        out["activity"] = sorted(map(tuple, conn.execute(select(*cols)).all()), key=repr)
    return out


def _notes(db: Database) -> dict[str, str | None]:
    a = table_of(Activity)
    with db.begin() as conn:
        return {
            f"{day}/{kind}/{'undone' if gone else 'live'}": note
            for day, kind, gone, note in conn.execute(
                select(a.c.occurred_on, a.c.kind, a.c.deleted_at.is_not(None), a.c.note)
            )
        }


async def test_the_daily_job_erases_exactly_the_notes_older_than_the_setting(
    bot30: OfflineBot,
) -> None:
    db: Database = bot30.app.bot_data.db
    today = date(2026, 11, 26)
    with db.begin() as conn:
        team = make_team(conn, "North Ward")
        other = make_team(conn, "South Ward")
        sam = make_member(conn, team, SAM, "Sam", Role.ORGANISER, joined_on=date(2025, 1, 1))
        make_member(conn, other, SAM, "Sam", Role.ORGANISER, joined_on=date(2025, 1, 1))
        for n in (0, 29, 30, 31, 400):
            day = today - timedelta(days=n)
            log(conn, sam, team, "one_to_one", 2, day, note=f"kept {n}" if n <= 30 else "x")
            log(conn, sam, other, "doors", 5, day)
        undone = log(conn, sam, team, "case", 1, today - timedelta(days=31), note="undone")
        a = table_of(Activity)
        conn.execute(a.update().where(a.c.id == undone.id).values(deleted_at=bot30.clock.now))
    before_notes, before = _notes(db), _snapshot(db)
    await _run_retention_job(bot30)
    after_notes = _notes(db)
    expected = {
        k: (None if date.fromisoformat(k.split("/")[0]) < today - timedelta(days=30) else v)
        for k, v in before_notes.items()
    }
    assert after_notes == expected
    assert after_notes["2026-10-27/one_to_one/live"] == "kept 30"
    assert after_notes["2026-10-26/one_to_one/live"] is None
    assert after_notes["2026-10-26/case/undone"] is None
    assert _snapshot(db) == before


async def test_the_job_uses_the_local_day_in_summer(bot30: OfflineBot) -> None:
    # 23:30 UTC on 1 Jun is 00:30 BST on 2 Jun: local today is 2 Jun, so 2 May goes, 3 May stays
    # (by the UTC day, 1 Jun, 2 May would stay).
    bot30.clock.now = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    db: Database = bot30.app.bot_data.db
    with db.begin() as conn:
        team = make_team(conn, "North Ward")
        sam = make_member(conn, team, SAM, "Sam", Role.ORGANISER, joined_on=date(2026, 1, 1))
        for day in (date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)):
            log(conn, sam, team, "one_to_one", 1, day, note=f"note {day}")
    await _run_retention_job(bot30)
    assert _notes(db) == {
        "2026-05-01/one_to_one/live": None,
        "2026-05-02/one_to_one/live": None,
        "2026-05-03/one_to_one/live": "note 2026-05-03",
    }


async def test_an_erased_note_is_gone_from_the_export_and_diary_but_the_entry_stays(
    bot30: OfflineBot,
) -> None:
    bot = bot30
    bot.clock.now = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(bot, SAM, "north-ward", "organiser", "Sam")
    assert "✓" in await bot.say(SAM, "121 casework about flat 4 10am")
    bot.clock.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    await _run_retention_job(bot)
    _, [row] = await _export(bot, ADMIN_ID, "2026-10-01..2026-10-31")
    assert (row["date"], row["time"], row["count"], row["note"]) == ("2026-10-01", "10:00", "1", "")
    diary = await bot.say(SAM, "/diary 2026-10-01..2026-10-31")
    assert "flat 4" not in diary and "one-to-one" in diary, diary
