"""The wording of logging and member outcomes: every refusal worded, each as it always was."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

import handlers  # noqa: F401 - importing the adapter registers every feature's wording
from handlers.texts import entries as texts
from handlers.texts import refusal_text
from organiser_bot.domain.kinds import Kind, KindRegistry
from organiser_bot.domain.quicklog import LineError
from organiser_bot.usecases import members
from organiser_bot.usecases.logbook import (
    Chatter,
    Confirmed,
    EditOfUndone,
    Logged,
    SentDigest,
    TeamRef,
    Undone,
    UnknownTeamTag,
    UnreadableLine,
    WeekTally,
)

KINDS = KindRegistry()
NORTH = TeamRef(1, "North Ward")
THIS_WEEK = date(2026, 11, 23)


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
        "I couldn't read your edit: I don't know 'hello'. Your entries are unchanged."
        "\nExample: 121 Sam"
    )
    assert refusal_text(UnreadableLine(error, 3, editing=True)) == (
        "I couldn't read line 2 of your edit: I don't know 'hello'. Your entries are unchanged."
        "\nExample: 121 Sam"
    )
    leading = LineError(1, "121 25:00", "There's no 25:00. Try 6:30pm or 18:30:", "121 Sam 18:30")
    assert refusal_text(UnreadableLine(leading, 1, editing=True)) == (
        "I couldn't read your edit: There's no 25:00. Try 6:30pm or 18:30. "
        "Your entries are unchanged.\nExample: 121 Sam 18:30"
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


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        ("", ""),
        ("Sam", "Sam"),
        ("Sam Patel tenants", "Sam Patel tenants"),
        ("Sam Patel tenants assoc", "Sam Patel tenants…"),
        ("Sam   Patel", "Sam Patel"),
        ("Maximilian Featherstonehaugh-Smythe", "Maximilian Featherstone…"),
        ("x" * 40, "x" * 23 + "…"),
    ],
)
def test_a_confirmation_shows_the_notes_opening_words(note: str, shown: str) -> None:
    assert texts.note_opening(note) == shown
    assert len(shown) <= texts.NOTE_CHARS


def test_a_confirmation_shows_the_note_and_the_time_when_one_was_given() -> None:
    entry = Confirmed(
        KINDS.get("one_to_one"),
        3,
        date(2026, 11, 25),
        NORTH,
        WeekTally(THIS_WEEK, True, 4, 15),
        note="Jo and Sam at the tenants hall",
        at=time(18, 0),
    )
    assert texts.logged(Logged((entry,), (5, 6), several_teams=True)) == (
        "✓ 3 × one-to-one “Jo and Sam…” · Wed 25 Nov 18:00 · week 4/15 · North Ward"
    )


def test_corrections_name_each_sent_digest_they_leave_as_it_was() -> None:
    entry = Confirmed(
        KINDS.get("casework"),
        1,
        date(2026, 11, 20),
        NORTH,
        WeekTally(date(2026, 11, 16), False, 1, 5),
    )
    sent = (SentDigest("North Ward", date(2026, 11, 16)),)
    assert texts.logged(Logged((entry,), (5, 6), False, updated=True, digests_sent=sent)) == (
        "Updated:\n✓ casework · Fri 20 Nov · 2026-W47 1/5\n"
        "The 2026-W47 digest for North Ward was already sent; it isn't changed."
    )
    assert texts.undone(Undone((entry,), False, sent)).endswith(
        "The 2026-W47 digest for North Ward was already sent; it isn't changed."
    )


def test_chatter_and_edits_of_undone_messages_are_not_errors() -> None:
    assert texts.logged(Chatter()) == texts.CHATTER
    assert not texts.CHATTER.startswith("That couldn't")
    assert texts.logged(EditOfUndone()) == texts.EDIT_OF_UNDONE
    assert "stays undone" in texts.EDIT_OF_UNDONE


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_a_long_confirmation_is_summed_up_by_kind_team_and_week() -> None:
    team = TeamRef(2, "T" * 64)
    last_week = WeekTally(date(2026, 11, 16), False, 9000, 15)
    this_week = WeekTally(THIS_WEEK, True, 9000, None)
    entries = tuple(
        Confirmed(
            KINDS.get("resident_contact" if i % 2 else "one_to_one"),
            500,
            date(2026, 11, 20 + i % 3) if i < 20 else date(2026, 11, 26),
            team,
            last_week if i < 20 else this_week,
            note=f"note number {i} of many",
        )
        for i in range(50)
    )
    text = texts.logged(Logged(entries, (5, 6), several_teams=True, updated=True))
    assert _utf16(text) <= texts.MAX_MESSAGE
    assert text.splitlines() == [
        "Updated:",
        "50 entries: 12500 × one-to-one, 12500 × resident contact",
        f"✓ 5000 × one-to-one · Fri 20 – Sun 22 Nov · 2026-W47 9000/15 · {team.name}",
        f"✓ 5000 × resident contact · Fri 20 – Sun 22 Nov · 2026-W47 9000/15 · {team.name}",
        f"✓ 7500 × one-to-one · Thu 26 Nov · week 9000 · {team.name}",
        f"✓ 7500 × resident contact · Thu 26 Nov · week 9000 · {team.name}",
    ]


def test_a_summary_too_long_for_one_message_says_how_much_it_left_out() -> None:
    entries = tuple(
        Confirmed(
            Kind(f"kind_{i}", f"kind {i:02d} " + "k" * 22, ()),
            1,
            date(2026, 11, 26),
            TeamRef(i, f"Team {i:02d} " + "t" * 56),
            WeekTally(THIS_WEEK, True, 1, None),
        )
        for i in range(50)
    )
    text = texts.undone(Undone(entries, several_teams=True))
    assert _utf16(text) <= texts.MAX_MESSAGE
    lines = text.splitlines()
    assert lines[0] == "Removed:" and lines[1].startswith("50 entries: kind 00")
    assert re.fullmatch(r"… and \d+ more", lines[-1])
