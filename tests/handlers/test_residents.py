"""``/residents``, ``/active`` and the monthly check-in's buttons, through
``Application.process_update`` on both databases: replies, taps (closed, a stranger's,
redelivered, malformed) and what is stored."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.common import split_text
from handlers.residents import TelegramCheckinAsker, checkin_data, parse_checkin_data
from handlers.texts.entries import BUTTON_EXPIRED
from handlers.texts.residents import NAMES_LINE_WIDTH, active_list, checkin_question, month_name
from organiser_bot.domain.checkin import (
    ANSWER_DAYS_AFTER,
    asked_on,
)
from organiser_bot.domain.digest import message_length
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.names import isolated
from organiser_bot.domain.periods import month_of
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.residents import ActiveList, CheckinTap, send_checkins
from storage import people
from storage.engine import Database
from storage.models import MonthlyCheckin, TeamResidents
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import make_member, make_team
from tests.offline import Call

MIA, ALICE, CAL, BEA, BOB, STRANGER = 2001, 2002, 2003, 2101, 2102, 2999
NELL, LEO = 2004, 2005
NOVEMBER = date(2026, 11, 1)
LAST_DAY = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
#: Telegram's limit on a button's callback data, in bytes.
CALLBACK_LIMIT = 64


#: Each person's Telegram first name, as the updates they send carry it (the bot keeps it).
NAMES = {MIA: "Mia", ALICE: "Alice", CAL: "Cal", BEA: "Bea", BOB: "Bob", ADMIN_ID: "Ada"}


async def _say(bot: OfflineBot, user_id: int, text: str) -> str:
    return await bot.say(user_id, text, first_name=NAMES.get(user_id, "Test"))


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


@pytest.fixture
def org(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward (manager Mia, organiser Alice @alice, councillor Cal @cal) and Bradford
    (manager Bea, organiser Bob @bob)."""
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        bradford = make_team(conn, "Bradford")
        make_member(conn, north, MIA, "Mia", Role.MANAGER)
        make_member(conn, north, ALICE, "Alice", Role.ORGANISER, username="alice")
        make_member(conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal")
        make_member(conn, bradford, BEA, "Bea", Role.MANAGER)
        make_member(conn, bradford, BOB, "Bob", Role.ORGANISER, username="bob")
    return offline_bot


def _residents_rows(bot: OfflineBot) -> list[int]:
    r = table_of(TeamResidents)
    with _db(bot).begin() as conn:
        return list(conn.execute(select(r.c.residents).order_by(r.c.id)).scalars())


def _checkins(bot: OfflineBot) -> dict[int, tuple[bool | None, int | None]]:
    c = table_of(MonthlyCheckin)
    with _db(bot).begin() as conn:
        rows = conn.execute(select(c.c.person_id, c.c.active, c.c.marked_by))
        return {person_id: (active, marked_by) for person_id, active, marked_by in rows}


async def _ask(bot: OfflineBot) -> dict[int, dict[str, Any]]:
    """Run the check-in on November's last day; the question each member got, by user id."""
    bot.clock.now = LAST_DAY
    data = bot.app.bot_data
    moment = Moment(now=data.now(), tz=data.settings.tz, kinds=data.kinds)
    since = len(bot.request.calls)
    report = await send_checkins(TelegramCheckinAsker(bot.app.bot), data.db, moment=moment)
    assert sorted(report.sent) == [MIA, ALICE, CAL, BEA, BOB]
    sent = [c for c in bot.request.calls[since:] if c.method == "sendMessage"]
    return {int(c.params["chat_id"]): c.result for c in sent}


async def _tap(bot: OfflineBot, user_id: int, data: str, message: dict[str, Any]) -> list[Call]:
    update = bot.updates.callback_query(
        user_id, data, message=message, first_name=NAMES.get(user_id, "Test")
    )
    return await bot.process(update)


def _only(calls: list[Call], method: str) -> list[dict[str, Any]]:
    return [c.params for c in calls if c.method == method]


# /residents


async def test_residents_are_recorded_and_the_reply_says_what_it_was(org: OfflineBot) -> None:
    first = await _say(org, MIA, "/residents north-ward 11000")
    assert first == "✓ North Ward's area: 11,000 residents (none recorded before)."
    assert (
        await _say(org, MIA, "/residents north-ward 12\u202f400")
        == "✓ North Ward's area: 12,400 residents (was 11,000)."
    )
    assert await _say(org, MIA, "/residents north-ward 12,400") == (
        "✓ North Ward's area: 12,400 residents (unchanged)."
    )
    shown = await _say(org, MIA, "/residents north-ward")
    assert shown == "North Ward's area: 12,400 residents (set on 26 November 2026 by Mia)."
    listed = await _say(org, MIA, "/residents")
    assert "• North Ward: 12,400 residents" in listed and "Bradford" not in listed
    assert _residents_rows(org) == [11000, 12400]


@pytest.mark.parametrize("typed", ["0", "-3", "12.5", "lots", "100,000,001"])
async def test_a_bad_figure_gets_a_short_example_and_nothing_changes(
    org: OfflineBot, typed: str
) -> None:
    answer = await _say(org, MIA, f"/residents north-ward {typed}")
    assert answer.startswith(f"{typed} isn't a number of residents")
    assert "/residents north-ward 12,400" in answer and len(answer) < 200
    assert _residents_rows(org) == []


async def test_another_teams_name_reads_like_no_teams(org: OfflineBot) -> None:
    other = await _say(org, MIA, "/residents bradford 5000")
    none = await _say(org, MIA, "/residents nowhere 5000")
    assert other.replace("bradford", "X") == none.replace("nowhere", "X")
    assert "Bradford" not in other
    assert "managers" in await _say(org, ALICE, "/residents north-ward 5000")
    assert _residents_rows(org) == []


# The check-in's buttons


async def test_a_tap_records_the_answer_and_keeps_the_buttons(org: OfflineBot) -> None:
    questions = await _ask(org)
    message = questions[ALICE]
    assert message["text"].startswith("Were you active this month (November 2026)?")
    calls = await _tap(org, ALICE, "ci:2026-11:y", message)
    [answer] = _only(calls, "answerCallbackQuery")
    assert answer["text"] == "✓ Recorded: active in November 2026."
    [edit] = _only(calls, "editMessageText")
    assert edit["text"] == (
        "✓ Recorded: active in November 2026. Tap again to change it until 7 December 2026."
    )
    assert edit["reply_markup"] == message["reply_markup"]
    # Changing it later in the window: the member's answer is replaced.
    org.clock.now = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
    calls = await _tap(org, ALICE, "ci:2026-11:n", message)
    [edit] = _only(calls, "editMessageText")
    assert edit["text"].startswith("✓ Recorded: not active in November 2026.")
    assert [v for v in _checkins(org).values() if v[0] is not None] == [(False, None)]


async def test_a_redelivered_tap_changes_nothing_more(org: OfflineBot) -> None:
    message = (await _ask(org))[CAL]
    update = org.updates.callback_query(CAL, "ci:2026-11:y", message=message, first_name="Cal")
    first = await org.process(update)
    assert len(_only(first, "editMessageText")) == 1
    before = _checkins(org)
    again = await org.process(update)
    assert _only(again, "editMessageText") == []
    [popup] = _only(again, "answerCallbackQuery")
    assert popup["text"].startswith("✓ Recorded: active in November 2026.")
    assert _checkins(org) == before


async def test_a_tap_after_the_window_says_it_closed_and_changes_nothing(
    org: OfflineBot,
) -> None:
    message = (await _ask(org))[BOB]
    org.clock.now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    calls = await _tap(org, BOB, "ci:2026-11:y", message)
    [edit] = _only(calls, "editMessageText")
    assert edit["text"].startswith("The check-in for November 2026 closed on 7 December 2026")
    assert "reply_markup" not in edit or not edit["reply_markup"]
    assert all(active is None for active, _ in _checkins(org).values())


async def test_a_stranger_and_a_malformed_button_are_refused(org: OfflineBot) -> None:
    message = (await _ask(org))[BOB]
    calls = await _tap(org, STRANGER, "ci:2026-11:y", message)
    [popup] = _only(calls, "answerCallbackQuery")
    assert popup["text"] == "The monthly check-in is for members of a team: you aren't in one now."
    assert _only(calls, "editMessageText") == []
    for data in ("ci:2026-13:y", "ci:2026-11:maybe", "ci:26-11:y"):
        calls = await _tap(org, BOB, data, message)
        assert [p["text"] for p in _only(calls, "answerCallbackQuery")] == [BUTTON_EXPIRED]
    assert all(active is None for active, _ in _checkins(org).values())


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)), st.booleans())
def test_checkin_data_round_trips_and_fits(day: date, active: bool) -> None:
    month = day.replace(day=1)
    data = checkin_data(month, active)
    assert len(data.encode()) <= CALLBACK_LIMIT
    assert parse_checkin_data(data) == CheckinTap(month, active)


# /active


async def test_an_organiser_marks_a_member_and_lists_the_answers(org: OfflineBot) -> None:
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert (
        await _say(org, ALICE, "/active @cal lastmonth")
        == "✓ Cal: active in November 2026 (no answer before)."
    )
    assert (
        await _say(org, MIA, "/active @cal november no")
        == "✓ Cal: not active in November 2026 (was active, marked)."
    )
    listed = await _say(org, ALICE, "/active north-ward lastmonth")
    assert listed.splitlines() == [
        "North Ward — November 2026:",
        "Active (0): —",
        "Not active (1): Cal",
        "Not answered (2): Alice, Mia",
        "Mark someone: /active @user [month] [no]",
    ]


async def test_active_refusals_name_no_other_team(org: OfflineBot) -> None:
    bob = await _say(org, ALICE, "/active @bob")
    nobody = await _say(org, ALICE, "/active @nobody")
    assert bob.replace("@bob", "@x") == nobody.replace("@nobody", "@x")
    assert "Bob" not in bob and "Bradford" not in bob
    assert "organisers, managers and admins" in await _say(org, CAL, "/active @alice")
    assert "Usage: /active" in await _say(org, ALICE, "/active @cal someday")
    assert _checkins(org) == {}


async def test_help_tells_members_of_the_check_in_and_organisers_of_active(
    org: OfflineBot,
) -> None:
    assert "Once a month" in await _say(org, CAL, "/help")
    assert "/active" not in await _say(org, CAL, "/help")
    assert "/active @user" in await _say(org, ALICE, "/help")
    manager = await _say(org, MIA, "/help")
    assert "/residents <team> <number>" in manager and "/active @user" in manager
    admin = await _say(org, ADMIN_ID, "/residents")
    assert "• Bradford: not recorded yet" in admin and "• North Ward: not recorded yet" in admin


# Forged months, months someone was no member in, leavers, forgotten markers, long lists, wording


@pytest.mark.parametrize("data", ["ci:0001-01:y", "ci:1999-12:n", "ci:9999-11:y", "ci:9999-12:n"])
async def test_a_forged_tap_for_a_month_at_either_end_is_answered_and_changes_nothing(
    org: OfflineBot, data: str
) -> None:
    message = (await _ask(org))[CAL]
    calls = await _tap(org, CAL, data, message)
    [popup] = _only(calls, "answerCallbackQuery")
    assert "nothing was changed" in popup["text"]
    assert not any(c.method == "sendMessage" for c in calls)  # no "something went wrong"
    assert all(active is None for active, _ in _checkins(org).values())


async def test_a_tap_for_a_month_before_joining_is_answered_and_changes_nothing(
    org: OfflineBot,
) -> None:
    with _db(org).begin() as conn:
        north = make_team(conn, "East Ward")
        make_member(conn, north, NELL, "Nell", Role.ORGANISER, joined_on=date(2026, 12, 1))
    message = (await _ask(org))[CAL]  # any message will do to hang a forged tap under
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    calls = await _tap(org, NELL, "ci:2026-11:y", message)
    [popup] = _only(calls, "answerCallbackQuery")
    assert popup["text"] == (
        "You weren't in a team in November 2026, so there's nothing to answer for it; nothing "
        "was changed."
    )
    assert _only(calls, "editMessageText") == []
    assert all(active is None for active, _ in _checkins(org).values())


async def test_a_question_sent_after_the_month_calls_it_last_month(org: OfflineBot) -> None:
    org.clock.now = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)  # the job missed the 30th
    data = org.app.bot_data
    moment = Moment(now=data.now(), tz=data.settings.tz, kinds=data.kinds)
    report = await send_checkins(TelegramCheckinAsker(org.app.bot), data.db, moment=moment)
    assert report.month == NOVEMBER and report.sent
    for params in _only(org.request.calls, "sendMessage"):
        assert params["text"].startswith("Were you active last month (November 2026)?")
        assert "this month" not in params["text"]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31)), st.integers(0, 7))
def test_the_question_calls_the_month_this_month_only_while_it_lasts(day: date, after: int) -> None:
    month = month_of(day)
    today = asked_on(month) + timedelta(days=after)
    assert after <= ANSWER_DAYS_AFTER
    text = checkin_question(month, today)
    assert f"({month_name(month)})" in text
    assert ("this month" in text) == (after == 0)
    assert ("last month" in text) == (after > 0)


async def test_a_leaver_is_marked_for_the_month_they_left_in_but_not_after(
    org: OfflineBot,
) -> None:
    with _db(org).begin() as conn:
        [north] = [t.id for t in people.list_teams(conn) if t.name == "North Ward"]
        make_member(
            conn, north, LEO, "Leo", Role.COUNCILLOR, username="leo", left_on=date(2026, 11, 20)
        )
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert await _say(org, ALICE, "/active @leo november") == (
        "✓ Leo: active in November 2026 (no answer before)."
    )
    assert await _say(org, ALICE, "/active @leo") == (
        "Leo wasn't a member in December 2026, so there's nothing to mark for it."
    )
    bob = await _say(org, BOB, "/active @leo november")
    nobody = await _say(org, BOB, "/active @nobody november")
    assert bob.replace("@leo", "@x") == nobody.replace("@nobody", "@x")


async def test_a_mark_by_someone_forgotten_reads_as_marked_by_a_former_member(
    org: OfflineBot,
) -> None:
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    await _say(org, ALICE, "/active @cal lastmonth")
    await _say(org, ALICE, "/forgetme confirm")
    # Cal's own data still calls it a mark, not her answer.
    mydata = await org.say(CAL, "/mydata", first_name="Cal", username="cal")
    assert "(marked, not your own answer)" in mydata
    assert await _say(org, MIA, "/active @cal lastmonth") == (
        "✓ Cal is already active in November 2026 (was active, marked by a former member)."
    )
    assert await _say(org, MIA, "/active @cal lastmonth no") == (
        "✓ Cal: not active in November 2026 (was active, marked by a former member)."
    )
    assert await _say(org, MIA, "/active @cal lastmonth") == (
        "✓ Cal: active in November 2026 (was not active, marked)."
    )


async def test_the_team_and_the_month_may_come_in_either_order(org: OfflineBot) -> None:
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    first = await _say(org, ALICE, "/active north-ward lastmonth")
    assert first.startswith("North Ward — November 2026:")
    assert await _say(org, ALICE, "/active lastmonth north-ward") == first
    assert await _say(org, ALICE, "/active november north-ward") == first


_HEADING = re.compile(r"^(Active|Not active|Not answered) \(\d+\): ")
_label = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=160
).filter(lambda t: t.strip() and "," not in t)


@given(st.lists(_label, max_size=400), st.lists(_label, max_size=40))
def test_an_active_list_of_any_length_keeps_every_name_whole(
    unanswered: list[str], active: list[str]
) -> None:
    outcome = ActiveList("North Ward", NOVEMBER, tuple(active), (), tuple(unanswered))
    text = active_list(outcome)
    parts = split_text(text)
    assert all(message_length(part) <= 4096 for part in parts)
    for name in [*active, *unanswered]:
        assert any(isolated(name) in part for part in parts), name
    whole = {isolated(name) for name in [*active, *unanswered]}
    for line in text.split("\n"):
        # A line over the width holds one name only (after its heading, if first).
        if message_length(line) > NAMES_LINE_WIDTH:
            assert _HEADING.sub("", line, count=1).removesuffix(",") in whole, line
