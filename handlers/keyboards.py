"""Reply and inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from handlers.texts.entries import UNDO_BUTTON
from organiser_bot.domain.access import Actor
from organiser_bot.domain.kinds import ROLE_KINDS, KindRegistry
from organiser_bot.domain.roles import Role

#: Callback data prefix for the Undo button: ``u:<chat id>:<message id>`` (well under 64 bytes).
UNDO_PREFIX = "u:"
#: Callback data prefix for a member tapped in a ``/target`` list (``handlers.pickers``).
TARGET_PICK_PREFIX = "tp:"
#: Callback data prefix for a member tapped in a ``/remove`` list, and for its confirmation.
REMOVE_PICK_PREFIX = "rp:"
#: Callback data prefix for the monthly check-in's buttons: ``ci:<YYYY-MM>:y|n`` (12 bytes).
CHECKIN_PREFIX = "ci:"


def one_tap_keyboard(actor: Actor, kinds: KindRegistry) -> ReplyKeyboardMarkup | None:
    """Buttons ``+1 <kind>`` for the kinds the caller's roles log, plus /week and /undo."""
    if not actor.teams:
        return None
    keys: list[str] = []
    roles = [tr.role for tr in actor.teams]
    for role in sorted(set(roles), key=roles.index):
        for key in ROLE_KINDS.get(role, ROLE_KINDS[Role.MANAGER]):
            if key not in keys:
                keys.append(key)
    buttons = [f"+1 {kinds.get(k).label}" for k in keys]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(["/week", "/undo"])
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def undo_button(source: tuple[int, int]) -> InlineKeyboardMarkup:
    """An inline Undo button for the entries of one message, ``source`` = (chat id, message id)."""
    chat_id, message_id = source
    data = f"{UNDO_PREFIX}{chat_id}:{message_id}"
    return InlineKeyboardMarkup([[InlineKeyboardButton(UNDO_BUTTON, callback_data=data)]])


def parse_undo(data: str) -> tuple[int, int] | None:
    """(chat id, message id) from Undo callback data, or None if malformed."""
    if not data.startswith(UNDO_PREFIX):
        return None
    try:
        chat, message = data[len(UNDO_PREFIX) :].split(":")
        return int(chat), int(message)
    except ValueError:
        return None
