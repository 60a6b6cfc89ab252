"""The wording of logging and member outcomes: every refusal worded, each as it always was."""

from __future__ import annotations

from datetime import date
from types import ModuleType

import pytest

import handlers  # noqa: F401 - importing the adapter registers every feature's wording
from handlers.texts import entries as texts
from handlers.texts import refusal_text
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.quicklog import LineError
from organiser_bot.domain.refusals import Refusal
from organiser_bot.usecases import logbook, members
from organiser_bot.usecases.logbook import (
    Confirmed,
    Logged,
    TeamRef,
    Undone,
    UnknownTeamTag,
    UnreadableLine,
    WeekTally,
)

KINDS = KindRegistry()
NORTH = TeamRef(1, "North Ward")
THIS_WEEK = date(2026, 11, 23)


@pytest.mark.parametrize("module", [logbook, members])
def test_every_refusal_a_use_case_module_defines_is_worded(module: ModuleType) -> None:
    refusals = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Refusal)
        and value.__module__ == module.__name__
    ]
    fallback = refusal_text.dispatch(Refusal)
    assert refusals
    assert [r.__name__ for r in refusals if refusal_text.dispatch(r) is fallback] == []


def test_confirmations_name_the_week_and_the_team_only_when_it_tells_something() -> None:
    entries = (
        Confirmed(
            KINDS.get("one_to_one"), 1, date(2026, 11, 26), NORTH, WeekTally(THIS_WEEK, True, 4, 15)
        ),
        Confirmed(
            KINDS.get("casework"),
            2,
            date(2026, 11, 20),
            NORTH,
            WeekTally(date(2026, 11, 16), False, 2, None),
        ),
        Confirmed(KINDS.get("resident_contact"), 3, date(2026, 11, 26), None, None),
    )
    one_team = Logged(entries, (5, 6), several_teams=False)
    assert texts.logged(one_team) == (
        "✓ one-to-one · Thu 26 Nov · week 4/15\n"
        "✓ 2 × casework · Fri 20 Nov · 2026-W47 2\n"
        "✓ 3 × resident contact · Thu 26 Nov"
    )
    edited = Logged(entries[:1], (5, 6), several_teams=True, updated=True)
    assert texts.logged(edited) == "Updated:\n✓ one-to-one · Thu 26 Nov · week 4/15 · North Ward"
    assert texts.undone(Undone(entries[:1], several_teams=False)) == (
        "Removed:\n↩ one-to-one · Thu 26 Nov · week 4/15"
    )


def test_unreadable_lines_and_unknown_tags_are_worded_for_logs_and_for_edits() -> None:
    error = LineError(2, "hello there", "I don't know 'hello'.", "121 Sam")
    assert refusal_text(UnreadableLine(error, 3)) == (
        "Line 2 couldn't be logged: I don't know 'hello'.\nExample: 121 Sam"
        "\nNothing from this message was logged."
    )
    assert refusal_text(UnreadableLine(error, 1, editing=True)) == (
        "I couldn't read your edit (it: I don't know 'hello'.). Your entries are unchanged."
        "\nExample: 121 Sam"
    )
    tag = UnknownTeamTag(1, "nowhere", ("north-ward", "south-ward"), editing=True)
    assert refusal_text(tag) == (
        "Line 1: #nowhere isn't one of your teams (#north-ward, #south-ward). Nothing logged."
        " Your entries are unchanged."
    )


def test_absence_limits_are_worded_from_the_rules() -> None:
    assert refusal_text(members.AbsenceTooOld()) == (
        "That's more than 8 weeks ago; ask your manager to adjust past weeks."
    )
    assert refusal_text(members.AbsenceTooLong()) == (
        "An absence can be at most a year; split longer ones."
    )
