"""Scheduled jobs: the weekly digest, its catch-up and retries, and the mid-week nudge.

What is sent is decided from the database, never from memory, so a rerun, a restart or a clock
change cannot drop or double a digest:

* **Due.** The digest is for the last completed ISO week (the one before "now" in ``TIMEZONE``) and
  is due from this week's ``DIGEST_SCHEDULE`` slot onwards
  (:func:`~organiser_bot.domain.schedule.due_week`;
  the slot is a local wall time resolved with zoneinfo, so it is 08:00 UTC in summer and 09:00 UTC
  in winter, and a slot in a DST gap or overlap resolves the way APScheduler resolves it).
* **Once.** Each team's digest is claimed in the ledger (``storage.ledger``) before it is sent;
  the claim is unique per team and week, so only one run ever sends it.
* **On time, and after downtime.** The ``weekly-digest`` job fires at the slot; the
  ``digest-catch-up`` job runs a few seconds after start and then every 10 minutes, sending any
  digest that is due but not yet sent (the bot was down, a clock change moved the slot, or an
  earlier attempt failed). Both run the same :func:`send_due_digests`.
* **At scale.** PTB's ``AIORateLimiter`` (configured in ``app.py``) keeps to ~30 messages a second
  overall and 20 a minute per group, and retries a 429 after its ``retry_after``. A team whose
  sending still fails (429 retries exhausted, 5xx, network error, blocked bot) is marked
  ``failed`` and retried by the next catch-up run; the other teams carry on; admins get one
  private summary per run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from telegram import Bot, InputMediaDocument, InputMediaPhoto
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from organiser_bot.context import BotContext
from organiser_bot.domain.digest import TEMPLATE_VERSION, TeamDigest
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.periods import iso_week_label, local_date, week_monday
from organiser_bot.domain.schedule import due_week, scheduled_at
from organiser_bot.settings import Settings
from organiser_bot.usecases import digests
from storage import ledger
from storage.engine import Database
from storage.people import TeamRow

log = logging.getLogger(__name__)

DIGEST_JOB = "weekly-digest"
CATCH_UP_JOB = "digest-catch-up"
NUDGE_JOB = "midweek-nudge"

#: How often the catch-up job looks for due-but-unsent digests (and retries failed ones).
CATCH_UP_INTERVAL = timedelta(minutes=10)
#: The first catch-up run after start: soon, but after polling and the menus are set up.
CATCH_UP_FIRST = timedelta(seconds=5)
#: How late APScheduler may still run the weekly job when the loop was busy at the slot. Anything
#: later is covered by the catch-up job, so this only keeps the digest on time, not correct.
DIGEST_MISFIRE_GRACE = timedelta(hours=1)
#: A ``sending`` claim older than this is taken to be from a crashed run and may be re-claimed.
#: Far longer than a send can take, even with rate limiter waits and 429 retries.
STALE_CLAIM = timedelta(minutes=30)
#: Nudges missed at their slot (bot down) are still sent this long afterwards, not later, so
#: nobody gets a "midweek" reminder on Saturday night.
NUDGE_WINDOW = timedelta(hours=6)
#: Teams rendered and sent side by side in one run; the rate limiter does the pacing.
SEND_CONCURRENCY = 4
#: Telegram's limit on a text message.
MAX_TEXT = 4096


# --- Scheduling ----------------------------------------------------------------------------------


def ptb_days(weekday: int) -> tuple[int]:
    """PTB ``run_daily`` ``days`` for a weekday counted from Monday = 0.

    Since PTB 20, ``run_daily`` counts 0 = Sunday ... 6 = Saturday (``JobQueue._CRON_MAPPING``).
    """
    return ((weekday + 1) % 7,)


def schedule(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Schedule the weekly digest, its catch-up/retry job and the mid-week nudge.

    Called from ``post_init``; jobs with the same name are replaced, so calling it twice is safe.
    """
    jq = app.job_queue
    if jq is None:
        raise RuntimeError("the job queue is missing: install python-telegram-bot[job-queue]")
    settings: Settings = app.bot_data.settings
    for name in (DIGEST_JOB, CATCH_UP_JOB, NUDGE_JOB):
        for job in jq.get_jobs_by_name(name):
            job.schedule_removal()
    tz = settings.tz
    if (digest_at := settings.digest_at) is not None:
        jq.run_daily(
            run_digest_job,
            time=digest_at.at.replace(tzinfo=tz),
            days=ptb_days(digest_at.weekday),
            name=DIGEST_JOB,
            job_kwargs={
                "misfire_grace_time": int(DIGEST_MISFIRE_GRACE.total_seconds()),
                "coalesce": True,
            },
        )
    if (nudge_at := settings.nudge_at) is not None:
        jq.run_daily(
            run_nudge_job,
            time=nudge_at.at.replace(tzinfo=tz),
            days=ptb_days(nudge_at.weekday),
            name=NUDGE_JOB,
            job_kwargs={"misfire_grace_time": int(NUDGE_WINDOW.total_seconds()), "coalesce": True},
        )
    if digest_at is not None or nudge_at is not None:
        jq.run_repeating(
            run_catch_up_job,
            interval=CATCH_UP_INTERVAL,
            first=CATCH_UP_FIRST,
            name=CATCH_UP_JOB,
            job_kwargs={
                "misfire_grace_time": int(CATCH_UP_INTERVAL.total_seconds()),
                "coalesce": True,
            },
        )


async def run_digest_job(context: BotContext) -> None:
    """JobQueue callback: send the digests that are due."""
    data = context.bot_data
    await send_due_digests(context.bot, data.db, data.settings, now=data.now(), kinds=data.kinds)


async def run_nudge_job(context: BotContext) -> None:
    """JobQueue callback: nudge members behind pace."""
    data = context.bot_data
    await send_nudges(context.bot, data.db, data.settings, now=data.now(), kinds=data.kinds)


async def run_catch_up_job(context: BotContext) -> None:
    """JobQueue callback: send due-but-missing digests (and retry failed ones), then nudges."""
    await run_digest_job(context)
    await run_nudge_job(context)


# --- Posting -------------------------------------------------------------------------------------


PartCallback = Callable[[str, tuple[int, ...]], Awaitable[object]]


def fit_text(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut at a line break to fit one Telegram message (the charts show everyone)."""
    if len(text) <= limit:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    for i, line in enumerate(lines):
        tail = f"… and {len(lines) - i} more lines: see the charts."
        if len("\n".join([*kept, line, tail])) > limit:
            return "\n".join([*kept, tail])
        kept.append(line)
    return "\n".join(kept)  # pragma: no cover - the loop always returns for long text


async def post_digest(
    bot: Bot,
    chat_id: int,
    rendered: digests.RenderedDigest,
    *,
    done: Mapping[str, tuple[int, ...]] | None = None,
    on_part: PartCallback | None = None,
) -> dict[str, tuple[int, ...]]:
    """Post a digest to a chat: both charts as one album, then the text. Three messages.

    Args:
        bot: The bot (with the rate limiter when it is the application's).
        chat_id: The team chat.
        rendered: What to post.
        done: Parts an earlier attempt already delivered (``charts``, ``text``); skipped.
        on_part: Awaited with (part, message ids) as soon as each part is delivered, so the
            ledger knows about it even if the next part fails.

    Returns:
        Part name -> message ids, including ``done``.

    Raises:
        telegram.error.TelegramError: A part could not be delivered.
    """
    parts = dict(done or {})
    if "charts" not in parts:
        # Telegram scales photos down to MAX_PHOTO_SIDE on their longest side; a large team's
        # chart would become unreadable, so such charts go as documents, at full resolution.
        as_documents = any(png_size(png)[1] > MAX_PHOTO_SIDE for _, png in rendered.images)
        kind = InputMediaDocument if as_documents else InputMediaPhoto
        media = [
            kind(png, filename=name, caption=_caption(rendered.digest) if i == 0 else None)
            for i, (name, png) in enumerate(rendered.images)
        ]
        messages = await bot.send_media_group(chat_id, media)
        parts["charts"] = tuple(m.message_id for m in messages)
        if on_part is not None:
            await on_part("charts", parts["charts"])
    if "text" not in parts:
        message = await bot.send_message(chat_id, fit_text(rendered.text))
        parts["text"] = (message.message_id,)
        if on_part is not None:
            await on_part("text", parts["text"])
    return parts


#: Telegram keeps photos at most this many pixels on their longest side.
MAX_PHOTO_SIDE = 2560


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _caption(d: TeamDigest) -> str:
    return f"{d.team_name} · {d.iso_week}" + (" · preview" if d.preview else "")


# --- The weekly digest ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamFailure:
    """One team whose digest could not be sent in a run.

    Attributes:
        team: The team's name.
        error: What went wrong, short.
        will_retry: False when the ledger has given up on it for this week.
    """

    team: str
    error: str
    will_retry: bool


@dataclass
class DigestRunReport:
    """What one run of :func:`send_due_digests` did.

    Attributes:
        iso_week: The week sent, or None when nothing was due.
        sent: Names of the teams whose digest went out in this run.
        failed: Teams whose digest failed in this run.
        skipped: Teams another run claimed between this run's look at the ledger and its claim.
    """

    iso_week: str | None = None
    sent: list[str] = field(default_factory=list)
    failed: list[TeamFailure] = field(default_factory=list)
    skipped: int = 0


async def send_due_digests(
    bot: Bot,
    db: Database,
    settings: Settings,
    *,
    now: datetime,
    kinds: KindRegistry,
    concurrency: int = SEND_CONCURRENCY,
) -> DigestRunReport:
    """Send every bound team's digest for the last completed week, if due and not yet sent.

    Safe to call at any time and any number of times: before this week's slot it sends nothing,
    and a team whose digest is recorded as sent (or being sent) is skipped.

    Args:
        bot: The bot to send with (the application's, so its rate limiter applies).
        db: The database.
        settings: For the schedule, the zone and the admins to report failures to.
        now: The current time (aware).
        kinds: The kind registry.
        concurrency: Teams rendered and sent side by side.

    Returns:
        What was sent, skipped and failed.
    """
    schedule = settings.digest_at
    if schedule is None:
        return DigestRunReport()
    monday = due_week(now, schedule, settings.tz)
    if monday is None:
        return DigestRunReport()
    return await send_week_digests(
        bot, db, settings, monday=monday, now=now, kinds=kinds, concurrency=concurrency
    )


async def send_week_digests(
    bot: Bot,
    db: Database,
    settings: Settings,
    *,
    monday: date,
    now: datetime,
    kinds: KindRegistry,
    concurrency: int = SEND_CONCURRENCY,
) -> DigestRunReport:
    """Send the digest of the week starting ``monday`` to every bound team that has not had it.

    See :func:`send_due_digests`; this one does not check that the week is due.
    """
    week = iso_week_label(monday)
    report = DigestRunReport(iso_week=week)
    todo = await db.run(ledger.teams_to_send, iso_week=week, now=now, stale_after=STALE_CLAIM)
    if not todo:
        return report
    built = await db.run(
        digests.build_week_by_team,
        monday=monday,
        tz=settings.tz,
        kinds=kinds,
        team_ids=[team.id for team, _ in todo],
    )
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(team: TeamRow, chat_id: int) -> None:
        digest = built.get(team.id)
        if digest is None:  # archived between the two queries
            return
        async with gate:
            await _send_team(bot, db, team, chat_id, digest, now=now, kinds=kinds, report=report)

    await asyncio.gather(*(one(team, chat_id) for team, chat_id in todo))
    report.sent.sort()
    report.failed.sort(key=lambda f: f.team)
    log.info(
        "Digest %s: %d sent, %d failed, %d skipped",
        week,
        len(report.sent),
        len(report.failed),
        report.skipped,
    )
    if report.failed:
        await _tell_admins(bot, settings, report)
    return report


async def _send_team(
    bot: Bot,
    db: Database,
    team: TeamRow,
    chat_id: int,
    digest: TeamDigest,
    *,
    now: datetime,
    kinds: KindRegistry,
    report: DigestRunReport,
) -> None:
    week = digest.iso_week
    row = await db.run(
        ledger.claim,
        team_id=team.id,
        iso_week=week,
        template_version=TEMPLATE_VERSION,
        chat_id=chat_id,
        now=now,
        stale_after=STALE_CLAIM,
    )
    if row is None:
        report.skipped += 1
        return

    async def record(part: str, ids: tuple[int, ...]) -> None:
        await db.run(ledger.record_part, team_id=team.id, iso_week=week, part=part, message_ids=ids)

    try:
        rendered = await asyncio.to_thread(digests.render_digest, digest, kinds)
        await post_digest(bot, chat_id, rendered, done=row.parts, on_part=record)
        await db.run(
            ledger.mark_sent,
            team_id=team.id,
            iso_week=week,
            template_version=TEMPLATE_VERSION,
            content_hash=rendered.content_hash,
            now=now,
        )
        report.sent.append(team.name)
    except Exception as exc:  # one team's failure must not stop the others
        error = _describe(exc)
        if isinstance(exc, TelegramError):
            log.warning("Digest %s for %s failed: %s", week, team.name, error)
        else:
            log.exception("Digest %s for %s failed", week, team.name)
        try:
            failed = await db.run(ledger.mark_failed, team_id=team.id, iso_week=week, error=error)
        except Exception:  # the claim goes stale and a later run re-claims it
            log.exception("Could not record the failed digest for %s", team.name)
            failed = None
        will_retry = failed is None or failed.attempts < ledger.MAX_ATTEMPTS
        report.failed.append(TeamFailure(team.name, error, will_retry))


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if isinstance(exc, TelegramError) else text


def failure_summary(report: DigestRunReport) -> str:
    """The private message admins get after a run with failures."""
    lines = [
        f"Weekly digest {report.iso_week}: {len(report.failed)} team(s) failed, "
        f"{len(report.sent)} sent in this run."
    ]
    for f in report.failed:
        then = (
            f"will be retried within {int(CATCH_UP_INTERVAL.total_seconds() // 60)} minutes"
            if f.will_retry
            else f"given up after {ledger.MAX_ATTEMPTS} attempts"
        )
        lines.append(f"• {f.team}: {f.error[:200]} ({then})")
    lines.append("/ledger shows every team's digest.")
    return "\n".join(lines)


async def _tell_admins(bot: Bot, settings: Settings, report: DigestRunReport) -> None:
    text = fit_text(failure_summary(report))
    for admin_id in sorted(settings.admin_telegram_ids):
        try:
            await bot.send_message(admin_id, text)
        except Exception:  # telling admins must never break the run; it is logged instead
            log.warning("Could not tell admin %s about failed digests", admin_id, exc_info=True)


# --- Mid-week nudges -----------------------------------------------------------------------------


@dataclass
class NudgeRunReport:
    """What one run of :func:`send_nudges` did: Telegram user ids nudged and failed."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


async def send_nudges(
    bot: Bot, db: Database, settings: Settings, *, now: datetime, kinds: KindRegistry
) -> NudgeRunReport:
    """Privately nudge each member behind pace, at most once per ISO week.

    Runs only from this week's ``NUDGE_SCHEDULE`` slot until ``NUDGE_WINDOW`` after it. Never
    posts in a group; paused members are skipped. A nudge is claimed in ``nudge_log`` before it is
    sent (so a rerun or a second bot never repeats it) and released again if Telegram refused it
    for a passing reason, so a later run retries; a crash in between loses that one nudge rather
    than risking a second.

    Returns:
        Who was nudged, and whose nudge failed.
    """
    report = NudgeRunReport()
    at = settings.nudge_at
    if at is None:
        return report
    tz = settings.tz
    slot = scheduled_at(week_monday(local_date(now, tz)), at, tz)
    if not slot <= now < slot + NUDGE_WINDOW:
        return report
    for nudge in await db.run(digests.nudges_due, now=now, tz=tz, kinds=kinds):
        claimed = await db.run(
            ledger.claim_nudge, person_id=nudge.person_id, iso_week=nudge.iso_week, now=now
        )
        if not claimed:
            continue
        try:
            await bot.send_message(nudge.telegram_user_id, nudge.text)
            report.sent.append(nudge.telegram_user_id)
        except Exception as exc:
            report.failed.append(nudge.telegram_user_id)
            log.warning("Nudge to %s failed: %s", nudge.telegram_user_id, exc)
            if not isinstance(exc, Forbidden):  # blocked the bot: don't try again this week
                await db.run(
                    ledger.release_nudge, person_id=nudge.person_id, iso_week=nudge.iso_week
                )
    return report
