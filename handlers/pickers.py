"""Choosing a member on an inline keyboard: ``/target member …``, ``/remove <team>``, and an
@username several members hold.

Each button's callback data names who asked, the team and the person (numbers in base 36), so it
stays within Telegram's 64 bytes (``InlineKeyboardButton.MAX_CALLBACK_DATA``) whatever the
kind or the names:

* ``tp:<asker>:<team>:<person>:<kind>:<value>:<state>`` sets a target: ``kind`` is the kind's
  place in the registry (kinds are only ever added), ``value`` as typed (``5``, ``none``,
  ``reset``), ``state`` the fingerprint of the team's targets of that kind when the list was
  sent (:func:`organiser_bot.usecases.targets.target_state`): at most 3 + 11 + 7 + 7 + 2 + 5 +
  8 + 6 separators = 49 bytes.
* ``rp:<asker>:<team>:<person>:<0|1>`` chooses a member to remove (0), then confirms (1).

Taps run through :func:`handlers.common.run_as_actor` like the Undo button, so a redelivered
tap is carried out once, and a tap that no longer holds is refused in a popup, changing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.common import load, moment, run_as_actor
from handlers.keyboards import REMOVE_PICK_PREFIX, TARGET_PICK_PREFIX
from handlers.replies import answer_tap, edit_tapped, reply
from handlers.texts import reports as report_texts
from handlers.texts import targets as texts
from handlers.texts.entries import BUTTON_EXPIRED
from organiser_bot.context import BotContext
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.usecases.identities import CurrentMember, MemberChoice
from organiser_bot.usecases.members import (
    MemberRemoved,
    RemoveNeedsConfirm,
    RemovePick,
    RemoveTap,
    remove_chosen,
)
from organiser_bot.usecases.targets import (
    TargetPick,
    TargetSet,
    TargetTap,
    parse_target_value,
    set_chosen_target,
)

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(n: int) -> str:
    if n < 0:
        raise ValueError(n)
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = _DIGITS[d] + out
        if not n:
            return out


def _numbers(fields: Sequence[str]) -> list[int] | None:
    try:
        return [int(f, 36) for f in fields]
    except ValueError:
        return None


def target_data(tap: TargetTap, kinds: KindRegistry) -> str:
    """The callback data of a member's button in a ``/target`` list."""
    place = kinds.keys().index(tap.kind)
    numbers = ":".join(_b36(n) for n in (tap.asker, tap.team_id, tap.person_id, place))
    return f"{TARGET_PICK_PREFIX}{numbers}:{tap.value.word}:{tap.state}"


def parse_target_data(data: str, kinds: KindRegistry) -> TargetTap | None:
    """The tap :func:`target_data` encoded, or None if malformed."""
    if not data.startswith(TARGET_PICK_PREFIX):
        return None
    fields = data[len(TARGET_PICK_PREFIX) :].split(":")
    if len(fields) != 6 or (numbers := _numbers(fields[:4])) is None:
        return None
    asker, team_id, person_id, place = numbers
    value = parse_target_value(fields[4])
    keys = kinds.keys()
    if value is None or place >= len(keys):
        return None
    return TargetTap(asker, team_id, person_id, keys[place], value, fields[5])


def remove_data(tap: RemoveTap) -> str:
    """The callback data of a member's button in a ``/remove`` list, or of its confirmation."""
    numbers = ":".join(_b36(n) for n in (tap.asker, tap.team_id, tap.person_id))
    return f"{REMOVE_PICK_PREFIX}{numbers}:{int(tap.confirm)}"


def parse_remove_data(data: str) -> RemoveTap | None:
    """The tap :func:`remove_data` encoded, or None if malformed."""
    if not data.startswith(REMOVE_PICK_PREFIX):
        return None
    fields = data[len(REMOVE_PICK_PREFIX) :].split(":")
    if len(fields) != 4 or fields[3] not in ("0", "1") or (n := _numbers(fields[:3])) is None:
        return None
    return RemoveTap(n[0], n[1], n[2], fields[3] == "1")


def members_keyboard(
    choice: MemberChoice, data: Callable[[CurrentMember], str]
) -> InlineKeyboardMarkup:
    """One button per member offered, labelled so equal names differ; two a row when the list
    is long, so it stays short on a phone."""
    buttons = [
        InlineKeyboardButton(label, callback_data=data(member))
        for member, label in zip(choice.members, texts.member_labels(choice), strict=True)
    ]
    width = 1 if len(buttons) <= 8 else 2
    return InlineKeyboardMarkup([buttons[i : i + width] for i in range(0, len(buttons), width)])


async def answer_target(
    update: Update, context: BotContext, outcome: TargetSet | TargetPick
) -> None:
    """Reply to ``/target``: what was set, or the members to choose from."""
    if isinstance(outcome, TargetSet):
        await reply(update, context, texts.target_set(outcome))
        return
    user = update.effective_user
    assert user is not None
    kinds = moment(context).kinds

    def data(member: CurrentMember) -> str:
        state = outcome.states[outcome.choice.members.index(member)]
        tap = TargetTap(
            user.id, member.team_id, member.person_id, outcome.kind.key, outcome.value, state
        )
        return target_data(tap, kinds)

    slug = outcome.choice.members[0].team_slug
    keyboard = members_keyboard(outcome.choice, data)
    await reply(update, context, texts.target_pick(outcome, team_slug=slug), reply_markup=keyboard)


async def answer_remove(
    update: Update, context: BotContext, outcome: RemoveNeedsConfirm | MemberRemoved | RemovePick
) -> None:
    """Reply to ``/remove``: what it would do, what was done, or the members to choose from."""
    if not isinstance(outcome, RemovePick):
        await reply(update, context, report_texts.remove_member(outcome))
        return
    user = update.effective_user
    assert user is not None

    def data(member: CurrentMember) -> str:
        return remove_data(RemoveTap(user.id, member.team_id, member.person_id))

    slug = outcome.choice.members[0].team_slug
    keyboard = members_keyboard(outcome.choice, data)
    await reply(update, context, texts.remove_pick(outcome, team_slug=slug), reply_markup=keyboard)


async def _expired(update: Update, context: BotContext) -> None:
    """A tap on a button that no longer reads (expired or malformed): nothing is done, but the
    sender's name and @username are kept current as for every update (:func:`load`)."""
    query = update.callback_query
    assert query is not None
    await load(update, context)
    await answer_tap(query, BUTTON_EXPIRED)


async def on_target_tap(update: Update, context: BotContext) -> None:
    """Set the target of the member tapped in a ``/target`` list."""
    if not (query := update.callback_query):
        return
    when = moment(context)
    tap = parse_target_data(query.data or "", when.kinds)
    if tap is None:
        await _expired(update, context)
        return
    outcome = await run_as_actor(update, context, set_chosen_target, tap, moment=when)
    text = texts.target_set(outcome)
    await answer_tap(query, text.splitlines()[0])
    # The list becomes the account of what was set, without its buttons.
    if not await edit_tapped(update, context, text):
        await reply(update, context, text)


async def on_remove_tap(update: Update, context: BotContext) -> None:
    """Ask to confirm ending the tapped member's membership, or end it when confirmed."""
    if not (query := update.callback_query):
        return
    tap = parse_remove_data(query.data or "")
    if tap is None:
        await _expired(update, context)
        return
    outcome = await run_as_actor(update, context, remove_chosen, tap, moment=moment(context))
    if isinstance(outcome, RemoveNeedsConfirm):
        confirm = RemoveTap(tap.asker, tap.team_id, tap.person_id, confirm=True)
        button = InlineKeyboardButton(
            texts.remove_confirm_button(outcome), callback_data=remove_data(confirm)
        )
        text = texts.remove_confirm(outcome)
        await answer_tap(query)
        if not await edit_tapped(
            update, context, text, reply_markup=InlineKeyboardMarkup([[button]])
        ):
            await reply(update, context, text, reply_markup=InlineKeyboardMarkup([[button]]))
        return
    text = report_texts.remove_member(outcome)
    await answer_tap(query, text.splitlines()[0])
    if not await edit_tapped(update, context, text):
        await reply(update, context, text)
