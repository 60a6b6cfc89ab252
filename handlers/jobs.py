"""Scheduled jobs: the weekly digest, its catch-up and retries, and the mid-week nudge.

The jobs only schedule and wire: what is sent, and that it is sent exactly once, is decided by
:mod:`organiser_bot.usecases.digest_run` from the ledger; :class:`~handlers.posting.TelegramPoster`
does the sending.

* The ``weekly-digest`` job fires at the ``DIGEST_SCHEDULE`` slot, in local time.
* The ``digest-catch-up`` job runs a few seconds after start and then every
  :data:`~organiser_bot.usecases.digest_run.CATCH_UP_INTERVAL`, sending any digest that is due but
  not yet sent (the bot was down, a clock change moved the slot, or an earlier attempt failed),
  then any nudges still due.
* The ``midweek-nudge`` job fires at the ``NUDGE_SCHEDULE`` slot.
* The ``forget-old-updates`` job runs daily at 04:00 local time and forgets the keys of
  updates carried out more than a week ago (a redelivery comes within Telegram's 24 hours).
* The ``erase-old-notes`` job runs daily at the same hour and erases the notes of entries dated
  more than ``NOTES_RETENTION_DAYS`` days ago (:mod:`organiser_bot.usecases.retention`).
* The ``monthly-checkin`` job runs daily at :data:`CHECKIN_AT` local time and asks every member
  due whether they were active in the month whose check-in is open (the month's last day
  through the 7th of the next: :mod:`handlers.residents`); each ask is claimed before it is
  sent, so a restart never asks twice.
* The ``keep-measures`` job runs every :data:`KEEP_MEASURES_EVERY` and reads and keeps every
  team's ``/measures all`` figures for the day's windows where a new week or month, or a write
  to a week they cover, left them not kept
  (:func:`organiser_bot.usecases.measures.keep_summary_figures`), so a look rarely has a team
  to read; with nothing to read it costs one small read.
* The ``heartbeat`` job runs every minute and records that the bot is running, with its last
  poll (:mod:`handlers.status`); ``/status`` works out uptime from it.
* **At scale.** PTB's ``AIORateLimiter`` (configured in ``app.py``) keeps to ~30 messages a second
  overall and 20 a minute per group, and retries a 429 after its ``retry_after``.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from telegram.ext import Application

from handlers.common import moment
from handlers.posting import TelegramPoster
from handlers.residents import checkin_job
from handlers.status import HEARTBEAT_JOB, heartbeat_job, tell_digest_failures
from organiser_bot.context import BotContext
from organiser_bot.domain.uptime import BEAT
from organiser_bot.settings import Settings
from organiser_bot.usecases import actors, digest_run, measures, retention
from organiser_bot.usecases.digest_run import CATCH_UP_INTERVAL, NUDGE_WINDOW

PRUNE_JOB = "forget-old-updates"
RETENTION_JOB = "erase-old-notes"
#: When the daily housekeeping runs, local time: a quiet hour.
PRUNE_AT = time(4, 0)
DIGEST_JOB = "weekly-digest"
CATCH_UP_JOB = "digest-catch-up"
NUDGE_JOB = "midweek-nudge"
CHECKIN_JOB = "monthly-checkin"
MEASURES_JOB = "keep-measures"
#: How often the kept ``/measures all`` figures are brought up to date, and the first time.
KEEP_MEASURES_EVERY = timedelta(minutes=1)
KEEP_MEASURES_FIRST = timedelta(seconds=30)
#: When the monthly check-in is sent, local time: late morning, not at a quiet hour.
CHECKIN_AT = time(11, 0)

#: The first catch-up run after start: soon, but after polling and the menus are set up.
CATCH_UP_FIRST = timedelta(seconds=5)
#: How late APScheduler may still run the weekly job when the loop was busy at the slot. Anything
#: later is covered by the catch-up job, so this only keeps the digest on time, not correct.
DIGEST_MISFIRE_GRACE = timedelta(hours=1)


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
    for name in (
        DIGEST_JOB,
        CATCH_UP_JOB,
        NUDGE_JOB,
        PRUNE_JOB,
        RETENTION_JOB,
        HEARTBEAT_JOB,
        CHECKIN_JOB,
        MEASURES_JOB,
    ):
        for job in jq.get_jobs_by_name(name):
            job.schedule_removal()
    tz = settings.tz
    jq.run_repeating(heartbeat_job, interval=BEAT, first=BEAT, name=HEARTBEAT_JOB)
    jq.run_daily(forget_old_updates_job, time=PRUNE_AT.replace(tzinfo=tz), name=PRUNE_JOB)
    jq.run_daily(erase_old_notes_job, time=PRUNE_AT.replace(tzinfo=tz), name=RETENTION_JOB)
    jq.run_daily(checkin_job, time=CHECKIN_AT.replace(tzinfo=tz), name=CHECKIN_JOB)
    jq.run_repeating(
        keep_measures_job,
        interval=KEEP_MEASURES_EVERY,
        first=KEEP_MEASURES_FIRST,
        name=MEASURES_JOB,
        job_kwargs={"coalesce": True},
    )
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


def poster(context: BotContext) -> TelegramPoster:
    """The Telegram poster for a job: the application's bot, and the admins to tell."""
    return TelegramPoster(context.bot, admin_ids=context.bot_data.settings.admin_telegram_ids)


async def run_digest_job(context: BotContext) -> None:
    """JobQueue callback: send the digests that are due; the status chat hears of failures."""
    data = context.bot_data
    report = await digest_run.send_due_digests(
        poster(context), data.db, schedule=data.settings.digest_at, moment=moment(context)
    )
    await tell_digest_failures(context.bot, data, report)


async def run_nudge_job(context: BotContext) -> None:
    """JobQueue callback: nudge members behind pace."""
    data = context.bot_data
    await digest_run.send_nudges(
        poster(context), data.db, schedule=data.settings.nudge_at, moment=moment(context)
    )


async def run_catch_up_job(context: BotContext) -> None:
    """JobQueue callback: send due-but-missing digests (and retry failed ones), then nudges."""
    await run_digest_job(context)
    await run_nudge_job(context)


async def forget_old_updates_job(context: BotContext) -> None:
    """JobQueue callback: forget processed-update keys too old to be redelivered."""
    data = context.bot_data
    now = data.now()
    await data.db.run(actors.forget_old_updates, now=now)


async def keep_measures_job(context: BotContext) -> None:
    """JobQueue callback: keep every team's ``/measures all`` figures for today's windows
    where they are not kept."""
    await context.bot_data.db.run(measures.keep_summary_figures, moment=moment(context))


async def erase_old_notes_job(context: BotContext) -> None:
    """JobQueue callback: erase notes older than ``NOTES_RETENTION_DAYS``."""
    data = context.bot_data
    await data.db.run(
        retention.erase_old_notes,
        moment=moment(context),
        days=data.settings.notes_retention_days,
    )
