"""Where each command works, and the README's table of who can do what, both read from the
permission table."""

from __future__ import annotations

from pathlib import Path

from handlers.groups import ACTION_LABELS, COMMAND_ACTIONS, GROUP_COMMANDS, works_in
from organiser_bot.domain.permissions import Place, permissions_markdown, usable_in
from organiser_bot.domain.refusals import Action


def test_commands_work_where_the_table_lets_them() -> None:
    assert set(COMMAND_ACTIONS) >= {"log", "invite", "bind", "digest", "totals", "help"}
    for name, actions in COMMAND_ACTIONS.items():
        for place in Place:
            assert works_in(name, place) is any(usable_in(a, place) for a in actions)
    assert set(GROUP_COMMANDS) == {"bind", "digest", "totals", "help", "statuschat"}


def test_every_action_has_a_label_in_the_readme_table() -> None:
    assert set(ACTION_LABELS) == set(Action)
    assert ACTION_LABELS[Action.GROUP_TOTALS] == "/totals in a group"


def test_the_readme_shows_the_table_as_it_is() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert permissions_markdown(ACTION_LABELS) in readme
