"""Sending the weekly digest and the mid-week nudges, exactly once, through a given poster.

What is sent is decided from the database, never from memory, so a rerun, a restart or a clock
change cannot drop or double a digest:

* **Due.** The digest is for the last completed ISO week (the one before "now" in ``TIMEZONE``) and
  is due from this week's ``DIGEST_SCHEDULE`` slot onwards
  (:func:`~organiser_bot.domain.schedule.due_week`;
  the slot is a local wall time resolved with zoneinfo, so it is 08:00 UTC in summer and 09:00 UTC
  in winter, and a slot in a DST gap or overlap resolves the way APScheduler resolves it). It is
  owed only to chats bound at or before that slot
  (:func:`~organiser_bot.domain.schedule.digest_due_for_chat`, the rule ``/ledger`` uses too): a
  chat bound after it, say on the Sunday, gets nothing until the next slot.
* **Once.** Each team's digest is claimed in the ledger (``storage.ledger``) before it is sent;
  the claim is unique per team and week, so only one run ever sends it. Each part delivered
  (charts, text) is recorded as soon as it is, so a resumed send never repeats one.
* **On time, and after downtime.** The caller runs :func:`send_due_digests` at the slot and again
  every :data:`CATCH_UP_INTERVAL`, which sends any digest that is due but not yet sent (the bot was
  down, a clock change moved the slot, or an earlier attempt failed).
* **Failures.** A team whose sending fails is marked ``failed`` and retried by the next run, up to
  ``storage.ledger.MAX_ATTEMPTS``; the other teams carry on. The admins hear about each failing
  team once per week (``digest_ledger.admins_told_at``), at its first failure, in plain words and
  with whether it will be retried; later failures of the same team that week are only logged.
* **A group upgraded to a supergroup.** Telegram refuses the send with the new chat id
  (:class:`ChatMoved`): the team's chat is moved
  (:func:`~organiser_bot.usecases.chats.chat_migrated`) and the digest posted to the new chat in
  the same run, the ledger row recording the new chat. Parts already delivered to the old chat
  are not posted again: the supergroup keeps the group's history, so they are still there for
  everyone.
* **The bot removed from the group** (:class:`ChatGone`): the team's chat is unbound
  (:func:`~organiser_bot.usecases.chats.chat_lost`), its managers are told once, privately, and the
  week's digest is given up (``given_up``, with the reason), so no run tries it again.
* **Forum topics.** A chat bound inside a topic gets its digest (charts and text) in that topic.

Nothing here knows the messaging platform: a :class:`Poster` renders and delivers, and reports a
delivery failure as :class:`DeliveryFailed`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from organiser_bot.domain.digest import TEMPLATE_VERSION, RenderedDigest, TeamDigest
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import iso_week_label
from organiser_bot.domain.schedule import (
    WeeklySchedule,
    digest_due_for_chat,
    due_week,
    scheduled_at,
)
from organiser_bot.usecases import chats, digests
from organiser_bot.usecases.chats import ChatLoss, LostChat
from organiser_bot.usecases.digests import Nudge
from storage import chats as chat_store
from storage import ledger
from storage.engine import Database
from storage.ledger import ChatToSend

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
    """The messaging platform did not deliver a message; ``str()`` says why, in plain words
    (admins and ``/ledger`` show it as it is, e.g. "Telegram did not answer").

    Attributes:
        permanent: The recipient cannot be reached at all (they blocked the bot, the topic is
            gone), so trying again this week is pointless.
    """

    def __init__(self, description: str, *, permanent: bool = False) -> None:
        super().__init__(description)
        self.permanent = permanent


class ChatMoved(DeliveryFailed):
    """The group now lives under another chat id (upgraded to a supergroup); nothing was posted.

    Attributes:
        new_chat_id: Where the group is now.
    """

    def __init__(self, description: str, *, new_chat_id: int) -> None:
        super().__init__(description)
        self.new_chat_id = new_chat_id


class ChatGone(DeliveryFailed):
    """The bot can no longer post in the group at all (removed from it, or not allowed to send).

    Attributes:
        reason: Why, as stored on the team (``team.chat_lost_reason``).
    """

    def __init__(self, description: str, *, reason: ChatLoss) -> None:
        super().__init__(description, permanent=True)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TeamFailure:
    """One team whose digest could not be sent in a run.

    Attributes:
        team: The team's name.
        error: What went wrong, short and in plain words.
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
        told: The failures the admins were told about in this run: each team's first failure
            of the week (a team is named once a week, however often it fails).
        not_due: Bound teams skipped because their chat was bound after the week's slot.
        skipped: Teams another run claimed between this run's look at the ledger and its claim.
    """

    iso_week: str | None = None
    sent: list[str] = field(default_factory=list)
    failed: list[TeamFailure] = field(default_factory=list)
    told: list[TeamFailure] = field(default_factory=list)
    not_due: list[str] = field(default_factory=list)
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
        thread_id: int | None = None,
        done: Mapping[str, tuple[int, ...]] | None = None,
        on_part: PartCallback | None = None,
    ) -> dict[str, tuple[int, ...]]:
        """Post a digest to a group chat (in forum topic ``thread_id`` when given), skipping the
        parts in ``done``.

        ``on_part`` is awaited with each part's message ids as soon as it is delivered.

        Returns:
            Part name -> message ids, including ``done``.

        Raises:
            ChatMoved: The group has a new chat id; nothing more was posted.
            ChatGone: The bot can no longer post in the group.
            DeliveryFailed: Any other delivery problem.
        """
        ...

    async def send_nudge(self, nudge: Nudge) -> None:
        """Send a nudge to the person's private chat."""
        ...

    async def tell_chat_lost(self, lost: LostChat) -> None:
        """Tell the team's managers, privately, that its chat was lost. Must not raise."""
        ...

    async def tell_admins(self, iso_week: str, failures: list[TeamFailure]) -> None:
        """Tell the admins about teams whose digest for ``iso_week`` failed (each named once a
        week). Must not raise."""
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
        poster, db, monday=monday, schedule=schedule, moment=moment, concurrency=concurrency
    )


async def send_week_digests(
    poster: Poster,
    db: Database,
    *,
    monday: date,
    schedule: WeeklySchedule,
    moment: Moment,
    concurrency: int = SEND_CONCURRENCY,
) -> DigestRunReport:
    """Send the digest of the week starting ``monday`` to every team owed it that has not had it.

    See :func:`send_due_digests`; this one does not check that the week's slot has come, only
    that each chat was bound by it (:func:`~organiser_bot.domain.schedule.digest_due_for_chat`).
    """
    week = iso_week_label(monday)
    report = DigestRunReport(iso_week=week)
    started = time.monotonic()

    def clock() -> datetime:
        # The run's "now" plus the time it has taken: when each team's digest really went out,
        # so /ledger's spread measures the same-minute promise.
        return moment.now + timedelta(seconds=time.monotonic() - started)

    todo = []
    for target in await db.run(
        ledger.teams_to_send, iso_week=week, now=moment.now, stale_after=STALE_CLAIM
    ):
        if digest_due_for_chat(target.bound_at, monday, schedule, moment.tz):
            todo.append(target)
        else:
            report.not_due.append(target.team.name)
    if not todo:
        return report
    built = await db.run(
        digests.build_week_by_team,
        monday=monday,
        kinds=moment.kinds,
        team_ids=[target.team.id for target in todo],
        tz=moment.tz,
    )
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(target: ChatToSend) -> None:
        digest = built.get(target.team.id)
        if digest is None:  # archived between the two queries
            return
        async with gate:
            await _send_team(poster, db, target, digest, moment=moment, report=report, clock=clock)

    await asyncio.gather(*(one(target) for target in todo))
    report.sent.sort()
    report.failed.sort(key=lambda f: f.team)
    report.told.sort(key=lambda f: f.team)
    log.info(
        "Digest %s: %d sent, %d failed, %d skipped",
        week,
        len(report.sent),
        len(report.failed),
        report.skipped,
    )
    if report.told:
        await poster.tell_admins(week, report.told)
    return report


#: Stored as the error when something other than delivery failed (a bug; the log has it).
INTERNAL_ERROR = "the bot hit an error while preparing or posting it (details in the log)"
#: Stored when a group was upgraded but its new chat could not be found or reached.
MIGRATION_LOST = "the group was upgraded and could not be reached"


async def _send_team(
    poster: Poster,
    db: Database,
    target: ChatToSend,
    digest: TeamDigest,
    *,
    moment: Moment,
    report: DigestRunReport,
    clock: Callable[[], datetime],
) -> None:
    team, week = target.team, digest.iso_week
    chat_id, thread_id = target.chat_id, target.thread_id
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

    give_up = False
    try:
        rendered = await asyncio.to_thread(poster.render, digest, moment.kinds)
        try:
            await poster.post_digest(
                chat_id, rendered, thread_id=thread_id, done=row.parts, on_part=record
            )
        except ChatMoved as moved:
            chat_id = await _follow_migration(db, team.id, week, chat_id, moved, moment=moment)
            thread_id = None  # a basic group has no topics
            done = await db.run(ledger.get, team_id=team.id, iso_week=week)
            await poster.post_digest(
                chat_id, rendered, done=done.parts if done else None, on_part=record
            )
        await db.run(
            ledger.mark_sent,
            team_id=team.id,
            iso_week=week,
            template_version=TEMPLATE_VERSION,
            content_hash=rendered.content_hash,
            now=clock(),
        )
        report.sent.append(team.name)
        return
    except ChatGone as gone:
        error, give_up = str(gone), True
        log.warning("Digest %s for %s: chat %s lost: %s", week, team.name, chat_id, error)
        lost = await db.run(chats.chat_lost, chat_id=chat_id, reason=gone.reason, moment=moment)
        if lost is not None:
            await poster.tell_chat_lost(lost)
    except DeliveryFailed as exc:
        error, give_up = str(exc) or type(exc).__name__, exc.permanent
        log.warning("Digest %s for %s failed: %s", week, team.name, error)
    except Exception:  # one team's failure must not stop the others
        error = INTERNAL_ERROR
        log.exception("Digest %s for %s failed", week, team.name)
    await _record_failure(db, team.name, team.id, week, error, give_up, moment, report)


async def _follow_migration(
    db: Database, team_id: int, week: str, chat_id: int, moved: ChatMoved, *, moment: Moment
) -> int:
    """Move the team's chat to where Telegram says the group now is; the new chat id.

    Raises ``DeliveryFailed`` when the team is not bound to the new chat afterwards (the chat was
    rebound meanwhile, or the new id belongs to another team).
    """
    new_chat_id = moved.new_chat_id
    await db.run(chats.chat_migrated, old_chat_id=chat_id, new_chat_id=new_chat_id, moment=moment)
    # A service message may have moved it first; either way, the binding now decides.
    binding = await db.run(chat_store.team_chat, team_id)
    if binding is None or binding.chat_id != new_chat_id:
        raise DeliveryFailed(MIGRATION_LOST, permanent=True)
    await db.run(ledger.move_chat, team_id=team_id, iso_week=week, chat_id=new_chat_id)
    log.info("Team %s's chat moved from %s to %s", team_id, chat_id, new_chat_id)
    return new_chat_id


async def _record_failure(
    db: Database,
    team_name: str,
    team_id: int,
    week: str,
    error: str,
    give_up: bool,
    moment: Moment,
    report: DigestRunReport,
) -> None:
    try:
        failed = await db.run(
            ledger.mark_failed, team_id=team_id, iso_week=week, error=error, give_up=give_up
        )
        first = await db.run(
            ledger.claim_admin_notice, team_id=team_id, iso_week=week, now=moment.now
        )
    except Exception:  # the claim goes stale and a later run re-claims it
        log.exception("Could not record the failed digest for %s", team_name)
        failed, first = None, False
    will_retry = not give_up and (failed is None or ledger.will_retry(failed))
    failure = TeamFailure(team_name, error, will_retry)
    report.failed.append(failure)
    if first:
        report.told.append(failure)


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
