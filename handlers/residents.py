"""``/residents``, ``/active``, the monthly check-in's buttons and the daily job that asks.

The check-in's buttons carry ``ci:<YYYY-MM>:y|n`` (:data:`~handlers.keyboards.CHECKIN_PREFIX`;
12 bytes, well within Telegram's 64). A tap runs through :func:`handlers.common.run_as_actor`,
so a redelivered tap changes nothing more and gets the same answer.

The ``monthly-checkin`` job (:func:`checkin_job`, scheduled daily by :mod:`handlers.jobs`) asks
every member due (:func:`organiser_bot.usecases.residents.checkins_due`): each ask is claimed in
the database first, then sent through the application's bot (its rate limiter). A member who
blocked the bot or whose account was deleted (Telegram's 403) is logged and not asked again that
month; a send that failed for a passing reason (network, Telegram busy) gives its claim back, so
the next day's run asks again while the month's check-in is open.
"""

from __future__ import annotations

from datetime import date

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from handlers.common import load, moment, run_as_actor
from handlers.keyboards import CHECKIN_PREFIX
from handlers.posting import describe
from handlers.replies import answer_tap, edit_tapped, reply
from handlers.texts import residents as texts
from handlers.texts.entries import BUTTON_EXPIRED
from organiser_bot.context import BotContext
from organiser_bot.usecases import residents
from organiser_bot.usecases.digest_run import DeliveryFailed
from organiser_bot.usecases.residents import (
    ActiveList,
    CheckinClosed,
    CheckinNotMember,
    CheckinReport,
    CheckinTap,
    ResidentsList,
    ResidentsSet,
)

_YES, _NO = "y", "n"


def checkin_data(month: date, active: bool) -> str:
    """The callback data of a check-in button: ``ci:2026-11:y``."""
    return f"{CHECKIN_PREFIX}{month.year:04d}-{month.month:02d}:{_YES if active else _NO}"


def parse_checkin_data(data: str) -> CheckinTap | None:
    """The tap :func:`checkin_data` encoded, or None if malformed."""
    if not data.startswith(CHECKIN_PREFIX):
        return None
    fields = data[len(CHECKIN_PREFIX) :].split(":")
    if len(fields) != 2 or fields[1] not in (_YES, _NO):
        return None
    year, _, number = fields[0].partition("-")
    if not (len(year) == 4 and year.isdigit() and len(number) == 2 and number.isdigit()):
        return None
    if not 1 <= int(number) <= 12 or int(year) < 1:
        return None
    return CheckinTap(date(int(year), int(number), 1), fields[1] == _YES)


def checkin_keyboard(month: date) -> InlineKeyboardMarkup:
    """Yes and No under the check-in for ``month``."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.YES_BUTTON, callback_data=checkin_data(month, True)),
                InlineKeyboardButton(texts.NO_BUTTON, callback_data=checkin_data(month, False)),
            ]
        ]
    )


async def cmd_residents(update: Update, context: BotContext) -> None:
    """Record, show or list team areas' residents."""
    outcome = await run_as_actor(
        update, context, residents.residents, list(context.args or []), moment=moment(context)
    )
    if isinstance(outcome, ResidentsSet):
        text = texts.residents_set(outcome)
    elif isinstance(outcome, ResidentsList):
        text = texts.residents_list(outcome)
    else:
        text = texts.residents_shown(outcome)
    await reply(update, context, text)


async def cmd_active(update: Update, context: BotContext) -> None:
    """Mark a member active (or not) for a month, or list a team's answers."""
    outcome = await run_as_actor(
        update, context, residents.mark_active, list(context.args or []), moment=moment(context)
    )
    if isinstance(outcome, ActiveList):
        await reply(update, context, texts.active_list(outcome))
    else:
        await reply(update, context, texts.active_marked(outcome))


async def on_checkin_tap(update: Update, context: BotContext) -> None:
    """Record the tapper's own answer to the check-in; the message says what was recorded."""
    if not (query := update.callback_query):
        return
    tap = parse_checkin_data(query.data or "")
    if tap is None:
        await load(update, context)  # keeps the sender's name current, as every update does
        await answer_tap(query, BUTTON_EXPIRED)
        return
    when = moment(context)
    outcome = await run_as_actor(update, context, residents.answer_checkin, tap, moment=when)
    if isinstance(outcome, CheckinClosed):
        text = texts.checkin_closed(outcome, when.today)
        await answer_tap(query, text)
        await edit_tapped(update, context, text)
        return
    if isinstance(outcome, CheckinNotMember):
        # Left as it is: a member is only ever asked about a month they belonged to a team in.
        await answer_tap(query, texts.checkin_not_member(outcome))
        return
    text = texts.checkin_recorded(outcome)
    await answer_tap(query, text.split(" Tap again")[0])
    if outcome.changed:
        # The buttons stay until the check-in closes, so the answer can still be changed.
        await edit_tapped(update, context, text, reply_markup=checkin_keyboard(outcome.month))


class TelegramCheckinAsker:
    """Sends the check-in privately through ``bot`` (the application's, with its rate limiter)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def ask(self, telegram_user_id: int, month: date, *, today: date) -> None:
        """Send the question with its buttons; Telegram's 403 (blocked, deactivated) or "chat
        not found" fail permanently, anything else for now."""
        try:
            await self._bot.send_message(
                telegram_user_id,
                texts.checkin_question(month, today),
                reply_markup=checkin_keyboard(month),
            )
        except TelegramError as exc:
            permanent = isinstance(exc, Forbidden) or (
                isinstance(exc, BadRequest) and "chat not found" in str(exc).lower()
            )
            raise DeliveryFailed(describe(exc), permanent=permanent) from exc


async def checkin_job(context: BotContext) -> CheckinReport:
    """JobQueue callback: the daily run of the monthly check-in."""
    data = context.bot_data
    asker = TelegramCheckinAsker(context.bot)
    return await residents.send_checkins(asker, data.db, moment=moment(context))
