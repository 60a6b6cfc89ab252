"""The reliability table, produced from the test suite.

    python -m tests.reliability [--out docs/reliability.md] [--check]

Runs the tests that try each fault and bad-input class against the real bot (Telegram faked only
at the HTTP boundary, real SQLite and PostgreSQL), counts how many cases each class tried and
how many held, and writes the table. ``--check`` exits 1 when a case failed or a test named
here no longer exists. Each class names its tests by node id (a file, or a file and a test: every
parametrised case counts); the tests themselves carry no marker.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class FaultClass:
    """A kind of fault or bad input, what must happen, and the tests that try it."""

    name: str
    tried: str  # how it is caused
    outcome: str  # what the bot does, as the tests assert it
    tests: tuple[str, ...]
    # A case tries the fault this many times (the crash test kills the bot CRASH_KILLS times).
    per_case: int = 1


def _kills() -> int:
    from tests.test_crash_safety import KILLS

    return KILLS


_FETCH = (
    "tests/test_intake_faults.py::"
    "test_a_failed_fetch_is_tried_again_and_its_update_carried_out_once"
)

CLASSES: tuple[FaultClass, ...] = (
    FaultClass(
        "Crash (SIGKILL)",
        "the bot as a subprocess killed while starting, fetching or replying, then restarted",
        "every message sent is stored exactly once and answered; no entry that was never sent",
        ("tests/test_crash_safety.py",),
        per_case=-1,  # replaced by CRASH_KILLS
    ),
    FaultClass(
        "Crash before a fetched batch is handled",
        "an update stored in the inbox, not done, and still pending at Telegram",
        "processed once on start (Telegram's copy skipped), in the week of its own date; a "
        "batch is in the database before the offset that confirms it",
        (
            "tests/test_intake.py::"
            "test_updates_left_unfinished_are_processed_on_start_once_by_their_own_date",
            "tests/test_intake.py::test_a_batch_is_stored_before_the_next_offset_confirms_it",
        ),
    ),
    FaultClass(
        "Redelivery",
        "the same update delivered again, for every state-changing command and button",
        "nothing changes a second time; the same reply (or 'already done') is sent",
        (
            "tests/handlers/test_redelivery.py",
            "tests/handlers/test_logging.py::"
            "test_redelivered_update_confirms_again_without_counting_twice",
            "tests/handlers/test_logging.py::"
            "test_a_replay_weeks_later_confirms_instead_of_refusing",
        ),
    ),
    FaultClass(
        "429 Too Many Requests",
        "getUpdates and digest sends answered with retry_after",
        "waited out and tried again; the update is carried out once, the digest sent once",
        (
            f"{_FETCH}[sqlite-429]",
            f"{_FETCH}[postgresql-429]",
            "tests/jobs/test_digest_job.py::test_a_429_is_retried_after_retry_after_within_the_run",
            "tests/jobs/test_digest_job.py::"
            "test_429_and_5xx_fail_only_their_teams_admins_are_told_and_the_next_run_retries",
        ),
    ),
    FaultClass(
        "5xx from Telegram",
        "getUpdates, replies, nudges and digests answered with 502/500",
        "fetched again and carried out once; a failed reply is retried or the person told; "
        "digests and nudges retried by the next run, admins told once",
        (
            f"{_FETCH}[sqlite-5xx]",
            f"{_FETCH}[postgresql-5xx]",
            "tests/handlers/test_errors.py::test_a_failed_reply_is_logged_and_the_user_told",
            "tests/jobs/test_digest_job.py::test_a_failed_nudge_is_retried_by_the_next_run",
            "tests/jobs/test_digest_group_life.py::"
            "test_eight_failing_runs_make_one_admin_notice_then_the_week_is_given_up",
        ),
    ),
    FaultClass(
        "Timeouts",
        "a getUpdates answered after the read timeout",
        "fetched again; the update is carried out and answered once",
        (
            f"{_FETCH}[sqlite-timeout]",
            f"{_FETCH}[postgresql-timeout]",
        ),
    ),
    FaultClass(
        "Dropped connections",
        "the connection of a getUpdates closed without an answer",
        "fetched again; the update is carried out and answered once",
        (
            f"{_FETCH}[sqlite-dropped]",
            f"{_FETCH}[postgresql-dropped]",
        ),
    ),
    FaultClass(
        "Too-long replies",
        "50-line logs, huge inputs to every command, 150-member digests; a confirmation "
        "refused as too long",
        "every message within 4,096 characters (split at line breaks, long confirmations "
        "summarised); a refused confirmation ends in 'saved', never 'wasn't done'",
        (
            "tests/handlers/test_replies.py::"
            "test_fifty_lines_from_a_member_of_two_teams_are_confirmed_in_one_message",
            "tests/handlers/test_replies.py::test_every_reply_to_a_huge_input_fits",
            "tests/handlers/test_replies.py::"
            "test_a_log_whose_confirmation_cannot_be_sent_says_it_was_saved",
            "tests/jobs/test_digest_group_life.py::"
            "test_a_150_member_team_gets_every_part_of_its_digest_within_telegrams_limit",
        ),
    ),
    FaultClass(
        "Expired taps",
        "the Undo button answered after Telegram's window",
        "undone once; the confirmation is edited to show it",
        (
            "tests/handlers/test_replies.py::"
            "test_an_expired_undo_tap_undoes_once_and_edits_the_confirmation",
        ),
    ),
    FaultClass(
        "Deleted messages",
        "the message a reply quotes deleted meanwhile",
        "the reply is sent again plain, without the quote",
        ("tests/handlers/test_replies.py::test_a_reply_refused_as_a_reply_is_sent_plain",),
    ),
    FaultClass(
        "Locked database",
        "another writer holds the database (SQLite) or the inbox (PostgreSQL) when a batch "
        "arrives; a batch write fails",
        "the batch waits: not confirmed, not handled until stored; a write that fails is "
        "not confirmed and fetched again; then carried out once",
        (
            "tests/test_intake.py::test_a_locked_database_holds_the_batch_back_and_loses_nothing",
            "tests/test_intake_faults.py::"
            "test_a_batch_that_cannot_be_stored_is_not_confirmed_and_is_fetched_again",
        ),
    ),
)


class _Collector:
    """A pytest plugin keeping each test's outcome (its call phase, or a failed setup)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.outcomes[report.nodeid] = report.outcome


def _matches(nodeid: str, selector: str) -> bool:
    return (
        nodeid == selector
        or nodeid.startswith(selector + "::")
        or ("[" not in selector and nodeid.startswith(selector + "["))
    )


def run(pytest_args: Sequence[str] = ()) -> dict[str, str]:
    """Run every test named in :data:`CLASSES`; return node id -> outcome."""
    selectors = sorted({t.split("[")[0] for c in CLASSES for t in c.tests})
    collector = _Collector()
    pytest.main(["-q", "-p", "no:cacheprovider", *pytest_args, *selectors], plugins=[collector])
    return collector.outcomes


def table(outcomes: dict[str, str]) -> tuple[str, bool]:
    """The Markdown document, and whether every class was tried and held."""
    kills = _kills()
    ok = True
    rows = []
    for fault in CLASSES:
        cases = {n: o for n, o in outcomes.items() if any(_matches(n, t) for t in fault.tests)}
        passed = sum(o == "passed" for o in cases.values())
        failed = sum(o == "failed" for o in cases.values())
        per_case = kills if fault.per_case < 0 else fault.per_case
        if not cases:
            result = "**not tried** (tests missing)"
            ok = False
        elif failed:
            result = f"**{failed} of {len(cases)} cases failed**"
            ok = False
        else:
            result = f"held in {passed} of {len(cases)} cases"
        tries = len(cases) * per_case
        unit = f" ({len(cases)} cases × {per_case} kills)" if per_case > 1 else ""
        command = "pytest -q " + " ".join(f"'{t}'" if "[" in t else t for t in fault.tests)
        rows.append(
            f"| {fault.name} | {fault.tried} | {tries}{unit} | {fault.outcome} | {result} "
            f"| `{command}` |"
        )
    lines = [
        "# Reliability",
        "",
        "Produced by `python -m tests.reliability` from the test suite: each fault and bad-input",
        "class is tried against the real bot (Telegram faked only at the HTTP boundary by",
        "`tests/fakebot.py`, which follows Telegram's `getUpdates` offset rules and refusals), on",
        "SQLite and PostgreSQL. *Tried* counts the test cases run (the crash test: SIGKILLs).",
        "Set `TEST_DATABASE_URL` for the PostgreSQL cases.",
        "",
        "| Fault | How it is caused | Tried | What the bot does | Result | Reproduce |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "How it holds: each fetched batch of updates is stored in the database before the next",
        "`getUpdates` offset confirms it, and unfinished updates are processed again on start",
        "(`organiser_bot/intake.py`, `storage/inbox.py`); every state-changing update records its",
        "key in the same transaction as its change, so a second delivery changes nothing and gets",
        "the same reply (`storage/processed.py`); every reply goes through one path that keeps",
        "each message within Telegram's limits and, after a commit, tells the truth",
        "(`handlers/replies.py`).",
        "",
    ]
    return "\n".join(lines), ok


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tests, write the table; with ``--check``, 1 unless every class held."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability")
    parser.add_argument("--out", default=str(ROOT / "docs" / "reliability.md"))
    parser.add_argument("--check", action="store_true", help="exit 1 unless all held")
    args, pytest_args = parser.parse_known_args(argv)
    os.chdir(ROOT)
    text, ok = table(run(pytest_args))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}" + ("" if ok else " (some classes did not hold)"))
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
