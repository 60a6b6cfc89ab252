"""Sending the weekly digest and the mid-week nudges, exactly once, through a given poster.

What is sent is decided from the database, never from memory, so a rerun, a restart or a clock
change cannot drop or double a digest:

* **Due.** The digest is for the last completed ISO week (the one before "now" in ``TIMEZONE``) and
  is due from this week's ``DIGEST_SCHEDULE`` slot onwards
  (:func:`~organiser_bot.domain.schedule.due_week`;
  the slot is a local wall time resolved with zoneinfo, so it is 08:00 UTC in summer and 09:00 UTC
  in winter, and a slot in a DST gap or overlap resolves the way APScheduler resolves it).
* **Once.** Each team's digest is claimed in the ledger (``storage.ledger``) before it is sent;
  the claim is unique per team and week, so only one run ever sends it. Each part delivered
  (charts, text) is recorded as soon as it is, so a resumed send never repeats one.
* **On time, and after downtime.** The caller runs :func:`send_due_digests` at the slot and again
  every :data:`CATCH_UP_INTERVAL`, which sends any digest that is due but not yet sent (the bot was
  down, a clock change moved the slot, or an earlier attempt failed).
* **Failures.** A team whose sending fails is marked ``failed`` and retried by the next run, up to
  ``storage.ledger.MAX_ATTEMPTS``; the other teams carry on; admins get one summary per run.

Nothing here knows the messaging platform: a :class:`Poster` renders and delivers, and reports a
delivery failure as :class:`DeliveryFailed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from organiser_bot.domain.digest import TEMPLATE_VERSION, RenderedDigest, TeamDigest
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import iso_week_label
from organiser_bot.domain.schedule import WeeklySchedule, due_week, scheduled_at
from organiser_bot.usecases import digests
from organiser_bot.usecases.digests import Nudge
from storage import ledger
from storage.engine import Database
from storage.models import Team

log = logging.getLogger(__name__)

#: How often the caller repeats :func:`send_due_digests` to catch up after downtime; a failed
#: team is retried that soon.
CATCH_UP_INTERVAL = timedelta(minutes=10)
#: A ``sending`` claim older than this is taken to be from a crashed run and may be re-claimed.
#: Far longer than a send can take, even with rate limiter waits and 429 retries.
STALE_CLAIM = timedelta(minutes=30)
#: Nudges missed at their slot (bot down) are still sent this long afterwards, not later, so
#: nobody gets a "midweek" reminder on Saturday night.
NUDGE_WINDOW = timedelta(hours=6)
#: Teams rendered and sent side by side in one run; the poster does the pacing.
SEND_CONCURRENCY = 4
#: Attempts after which the ledger gives up on a team's digest for the week.
MAX_ATTEMPTS = ledger.MAX_ATTEMPTS

#: Awaited with (part name, message ids) as soon as a part of a digest is delivered.
PartCallback = Callable[[str, tuple[int, ...]], Awaitable[object]]


class DeliveryFailed(Exception):
    """The messaging platform did not deliver a message; ``str()`` says why, briefly.

    Attributes:
        permanent: The recipient cannot be reached at all (they blocked the bot), so trying again
            this week is pointless.
    """

    def __init__(self, description: str, *, permanent: bool = False) -> None:
        super().__init__(description)
        self.permanent = permanent


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


@dataclass
class NudgeRunReport:
    """What one run of :func:`send_nudges` did: the user ids nudged and those whose nudge failed."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class Poster(Protocol):
    """Turns digests and nudges into messages on one messaging platform.

    Delivery problems are raised as :class:`DeliveryFailed`; anything else raised is a bug and is
    logged as one.
    """

    def render(self, digest: TeamDigest, kinds: KindRegistry) -> RenderedDigest:
        """Render a digest's text and charts. CPU-bound: called in a worker thread."""
        ...

    async def post_digest(
        self,
        chat_id: int,
        rendered: RenderedDigest,
        *,
        done: Mapping[str, tuple[int, ...]] | None = None,
        on_part: PartCallback | None = None,
    ) -> dict[str, tuple[int, ...]]:
        """Post a digest to a group chat, skipping the parts in ``done``.

        ``on_part`` is awaited with each part's message ids as soon as it is delivered.

        Returns:
            Part name -> message ids, including ``done``.
        """
        ...

    async def send_nudge(self, nudge: Nudge) -> None:
        """Send a nudge to the person's private chat."""
        ...

    async def tell_admins(self, report: DigestRunReport) -> None:
        """Tell the admins about a run with failures. Must not raise."""
        ...


# --- The weekly digest ---------------------------------------------------------------------------


async def send_due_digests(
    poster: Poster,
    db: Database,
    *,
    schedule: WeeklySchedule | None,
    moment: Moment,
    concurrency: int = SEND_CONCURRENCY,
) -> DigestRunReport:
    """Send every bound team's digest for the last completed week, if due and not yet sent.

    Safe to call at any time and any number of times: before this week's slot it sends nothing,
    and a team whose digest is recorded as sent (or being sent) is skipped.

    Args:
        poster: Renders and posts (the application's bot, so its rate limiter applies).
        db: The database.
        schedule: The digest's slot (``DIGEST_SCHEDULE``), or None when it is turned off.
        moment: Now, the zone the slot is in, and the kinds.
        concurrency: Teams rendered and sent side by side.

    Returns:
        What was sent, skipped and failed.
    """
    if schedule is None:
        return DigestRunReport()
    monday = due_week(moment.now, schedule, moment.tz)
    if monday is None:
        return DigestRunReport()
    return await send_week_digests(
        poster, db, monday=monday, moment=moment, concurrency=concurrency
    )


async def send_week_digests(
    poster: Poster,
    db: Database,
    *,
    monday: date,
    moment: Moment,
    concurrency: int = SEND_CONCURRENCY,
) -> DigestRunReport:
    """Send the digest of the week starting ``monday`` to every bound team that has not had it.

    See :func:`send_due_digests`; this one does not check that the week is due.
    """
    week = iso_week_label(monday)
    report = DigestRunReport(iso_week=week)
    todo = await db.run(
        ledger.teams_to_send, iso_week=week, now=moment.now, stale_after=STALE_CLAIM
    )
    if not todo:
        return report
    built = await db.run(
        digests.build_week_by_team,
        monday=monday,
        kinds=moment.kinds,
        team_ids=[team.id for team, _ in todo],
    )
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(team: Team, chat_id: int) -> None:
        digest = built.get(team.id)
        if digest is None:  # archived between the two queries
            return
        async with gate:
            await _send_team(poster, db, team, chat_id, digest, moment=moment, report=report)

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
        await poster.tell_admins(report)
    return report


async def _send_team(
    poster: Poster,
    db: Database,
    team: Team,
    chat_id: int,
    digest: TeamDigest,
    *,
    moment: Moment,
    report: DigestRunReport,
) -> None:
    week = digest.iso_week
    row = await db.run(
        ledger.claim,
        team_id=team.id,
        iso_week=week,
        template_version=TEMPLATE_VERSION,
        chat_id=chat_id,
        now=moment.now,
        stale_after=STALE_CLAIM,
    )
    if row is None:
        report.skipped += 1
        return

    async def record(part: str, ids: tuple[int, ...]) -> None:
        await db.run(ledger.record_part, team_id=team.id, iso_week=week, part=part, message_ids=ids)

    try:
        rendered = await asyncio.to_thread(poster.render, digest, moment.kinds)
        await poster.post_digest(chat_id, rendered, done=row.parts, on_part=record)
        await db.run(
            ledger.mark_sent,
            team_id=team.id,
            iso_week=week,
            template_version=TEMPLATE_VERSION,
            content_hash=rendered.content_hash,
            now=moment.now,
        )
        report.sent.append(team.name)
    except Exception as exc:  # one team's failure must not stop the others
        error = str(exc) or type(exc).__name__
        if isinstance(exc, DeliveryFailed):
            log.warning("Digest %s for %s failed: %s", week, team.name, error)
        else:
            log.exception("Digest %s for %s failed", week, team.name)
        try:
            failed = await db.run(ledger.mark_failed, team_id=team.id, iso_week=week, error=error)
        except Exception:  # the claim goes stale and a later run re-claims it
            log.exception("Could not record the failed digest for %s", team.name)
            failed = None
        will_retry = failed is None or failed.attempts < MAX_ATTEMPTS
        report.failed.append(TeamFailure(team.name, error, will_retry))


# --- Mid-week nudges -----------------------------------------------------------------------------


async def send_nudges(
    poster: Poster, db: Database, *, schedule: WeeklySchedule | None, moment: Moment
) -> NudgeRunReport:
    """Privately nudge each member behind pace, at most once per ISO week.

    Runs only from this week's ``NUDGE_SCHEDULE`` slot until :data:`NUDGE_WINDOW` after it. Never
    posts in a group; paused members are skipped. A nudge is claimed in ``nudge_log`` before it is
    sent (so a rerun or a second bot never repeats it) and released again if it failed for a
    passing reason, so a later run retries; a crash in between loses that one nudge rather than
    risking a second.

    Args:
        poster: Sends the nudges.
        db: The database.
        schedule: The nudge's slot (``NUDGE_SCHEDULE``), or None when nudges are turned off.
        moment: Now, the zone the slot is in, and the kinds.

    Returns:
        Who was nudged, and whose nudge failed.
    """
    report = NudgeRunReport()
    if schedule is None:
        return report
    now = moment.now
    slot = scheduled_at(moment.this_monday, schedule, moment.tz)
    if not slot <= now < slot + NUDGE_WINDOW:
        return report
    for nudge in await db.run(digests.nudges_due, moment=moment):
        claimed = await db.run(
            ledger.claim_nudge, person_id=nudge.person_id, iso_week=nudge.iso_week, now=now
        )
        if not claimed:
            continue
        try:
            await poster.send_nudge(nudge)
            report.sent.append(nudge.telegram_user_id)
        except Exception as exc:
            report.failed.append(nudge.telegram_user_id)
            log.warning("Nudge to %s failed: %s", nudge.telegram_user_id, exc)
            if not (isinstance(exc, DeliveryFailed) and exc.permanent):
                await db.run(
                    ledger.release_nudge, person_id=nudge.person_id, iso_week=nudge.iso_week
                )
    return report
