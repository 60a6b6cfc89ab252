"""Crash-safe intake: an update is in the database before Telegram is told it was received.

python-telegram-bot confirms a fetched batch with the next ``getUpdates`` offset, which it sends
before the batch's handlers finish; a crash in that window would lose the batch for good. Here:

* :class:`IntakeBot` stores each fetched batch in the inbox (``storage.inbox``, one write per
  batch) before handing it to the updater, so the offset that confirms a batch is only ever
  sent for stored updates. A failed write raises: the batch is not queued, not confirmed, and
  fetched again after the updater's back-off.
* :class:`IntakeApplication` marks an update done once its handlers have finished (an update
  whose handler raised is done too: the error handler has replied). Marks are written in the
  background, many per write, and with the next batch.
* :meth:`Intake.recover` (on start) puts the updates stored and not done back on the update
  queue, oldest first. Telegram sends the unconfirmed ones among them again; those copies are
  skipped. An update older than Telegram's 24 hours is still processed: a message's own date
  decides its week, as always.

Processing an update twice (a crash after its work committed, before it was marked done) is
safe: every unit of work records its update in ``processed_update`` and entries are keyed by
their source message, so the work is not repeated; the reply may be sent again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ExtBot

from storage import inbox

if TYPE_CHECKING:
    from storage.engine import Database

log = logging.getLogger(__name__)


class Intake:
    """The inbox bookkeeping of one running bot.

    Args:
        clock: Where "now" comes from (aware UTC), for ``received_at`` and ``done_at``.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._db: Database | None = None
        # Stored (or recovered) and not finished in this process.
        self._pending: set[int] = set()
        # Being processed now: a second copy of the same update is dropped.
        self._running: set[int] = set()
        # Recovered on start: Telegram's own copy, fetched again, is skipped once.
        self._recovered: set[int] = set()
        self._skip: set[int] = set()
        # Finished, not yet marked done in the database.
        self._finished: set[int] = set()
        self._flusher: asyncio.Task[None] | None = None
        #: Told the time whenever ``getUpdates`` answers (the last poll, kept in memory).
        self.on_poll: Callable[[datetime], None] | None = None

    def polled(self) -> None:
        """``getUpdates`` answered: tell :attr:`on_poll` the time."""
        if self.on_poll is not None:
            self.on_poll(self._clock())

    def open(self, db: Database) -> None:
        """Start using ``db`` (the bot's database, opened in ``post_init``)."""
        self._db = db

    async def recover(self, bot: ExtBot[Any], queue: asyncio.Queue[object]) -> int:
        """Put the stored updates not done on ``queue``, oldest first; return how many."""
        db = self._require_db()
        rows = await db.run(inbox.unfinished)
        broken: set[int] = set()
        for row in rows:
            try:
                update = Update.de_json(json.loads(row.payload), bot)
            except (ValueError, TypeError, KeyError):
                log.exception("Inbox update %d cannot be read; marking it done", row.update_id)
                broken.add(row.update_id)
                continue
            self._pending.add(row.update_id)
            self._recovered.add(row.update_id)
            queue.put_nowait(update)
        if broken:
            await db.run(inbox.finish, broken, at=self._clock())
        if rows:
            log.info("Processing %d update(s) received before the last stop", len(rows))
        return len(rows) - len(broken)

    async def received(self, updates: tuple[Update, ...]) -> None:
        """Store a fetched batch (with the done marks waiting) in one write.

        Raises:
            Whatever the database raises: the batch must then not be handed on.
        """
        batch = []
        for update in updates:
            if update.update_id in self._recovered:
                # Recovered from the inbox already: this copy is not processed twice.
                self._recovered.discard(update.update_id)
                self._skip.add(update.update_id)
            else:
                batch.append(inbox.Received(update.update_id, update.to_json()))
        finished = self._take_finished()
        if not batch and not finished:
            return
        try:
            await self._require_db().run(inbox.store, batch, at=self._clock(), finished=finished)
        except BaseException:
            self._finished |= finished
            raise
        self._pending.update(r.update_id for r in batch)

    def begin(self, update: object) -> bool | None:
        """Whether to process ``update``: None when the inbox does not track it (processed as
        usual), False for a copy to drop, True when processing starts (call :meth:`end`)."""
        if not isinstance(update, Update):
            return None
        uid = update.update_id
        if uid in self._skip:
            self._skip.discard(uid)
            return False
        if uid not in self._pending:
            return None
        if uid in self._running:
            return False
        self._running.add(uid)
        return True

    def end(self, update_id: int, *, finished: bool) -> None:
        """Processing of ``update_id`` ended; ``finished`` False when it was cancelled (it
        stays not done, and is processed again on the next start)."""
        self._running.discard(update_id)
        if not finished:
            return
        self._pending.discard(update_id)
        self._finished.add(update_id)
        if self._db is not None and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush(), name="intake:mark-done")

    async def close(self) -> None:
        """Write the done marks still waiting (on shutdown, before the database closes)."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self._flush()

    async def _flush(self) -> None:
        while self._finished and self._db is not None:
            ids = self._take_finished()
            try:
                await self._db.run(inbox.finish, ids, at=self._clock())
            except Exception:
                # Not fatal: the updates are processed again on the next start, harmlessly.
                log.warning("Could not mark %d update(s) done", len(ids), exc_info=True)
                self._finished |= ids
                return

    def _take_finished(self) -> set[int]:
        finished, self._finished = self._finished, set()
        return finished

    def _require_db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the intake has no database yet (post_init has not run)")
        return self._db


class IntakeBot(ExtBot[Any]):
    """The bot whose ``getUpdates`` stores each batch in the inbox before returning it.

    Args:
        intake: The bookkeeping the batches go to.
        **kwargs: As for :class:`telegram.ext.ExtBot`.
    """

    def __init__(self, *, intake: Intake, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._intake = intake  # underscored: python-telegram-bot freezes public attributes

    @property
    def intake(self) -> Intake:
        """The inbox bookkeeping."""
        return self._intake

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Fetch updates, then store them; only stored updates can be confirmed by the next
        call's ``offset``."""
        updates = await super().get_updates(*args, **kwargs)
        self.intake.polled()
        if updates:
            try:
                await self.intake.received(updates)
            except Exception as exc:
                # As a TelegramError the updater logs it and fetches again with its back-off
                # (1 s growing to 30 s) rather than at once, while the database is down.
                raise TelegramError("fetched updates could not be stored; fetching again") from exc
        return updates


class IntakeApplication(Application[Any, Any, Any, Any, Any, Any]):
    """The application that marks each stored update done once its handlers finished."""

    async def process_update(self, update: object) -> None:
        """Process ``update``; a copy of an update being processed, or recovered from the
        inbox already, is dropped."""
        intake = self.bot.intake if isinstance(self.bot, IntakeBot) else None
        state = intake.begin(update) if intake is not None else None
        if state is None:
            await super().process_update(update)
            return
        if state is False or intake is None:
            return
        assert isinstance(update, Update)
        finished = False
        try:
            await super().process_update(update)
            finished = True
        except asyncio.CancelledError:
            raise
        except Exception:
            # Handler errors go to the error handler inside process_update; anything that
            # escapes it still ends the update (processing it again would fail the same way).
            finished = True
            raise
        finally:
            intake.end(update.update_id, finished=finished)
