"""The command menus offer every command (but /start, which the deep link sends) in the place it
works, and nothing that is not a command; Telegram's limits on menu entries hold."""

from __future__ import annotations

import re

from handlers.groups import COMMAND_ACTIONS, GROUP_COMMANDS, works_in
from handlers.menu import (
    GROUP_ADMIN_COMMANDS,
    MANAGER_COMMANDS,
    PRIVATE_COMMANDS,
)
from handlers.menu import (
    GROUP_COMMANDS as GROUP_MENU,
)
from organiser_bot.domain.permissions import Place

#: Telegram's BotCommand: 1-32 characters of a-z, 0-9 and "_"; a description of 1-256.
_NAME = re.compile(r"[a-z0-9_]{1,32}")


def test_every_private_command_is_in_a_private_menu() -> None:
    offered = {c.command for c in PRIVATE_COMMANDS + MANAGER_COMMANDS}
    wanted = {name for name in COMMAND_ACTIONS if works_in(name, Place.PRIVATE)} - {"start"}
    assert wanted - offered == set()
    assert offered - set(COMMAND_ACTIONS) == set()


def test_every_group_command_is_in_a_group_menu() -> None:
    offered = {c.command for c in GROUP_MENU + GROUP_ADMIN_COMMANDS}
    assert offered == set(GROUP_COMMANDS)


def test_menu_entries_fit_telegrams_limits() -> None:
    for entry in PRIVATE_COMMANDS + MANAGER_COMMANDS + GROUP_MENU + GROUP_ADMIN_COMMANDS:
        assert _NAME.fullmatch(entry.command)
        assert 1 <= len(entry.description) <= 256
    names = [c.command for c in PRIVATE_COMMANDS + MANAGER_COMMANDS]
    assert len(names) == len(set(names))
    assert len(names) <= 100  # Telegram's most commands per scope
