"""/residents, the monthly check-in's buttons and /active, tried as new users would and pushed
at their edges, through the real Application (``process_update``) on SQLite and PostgreSQL:
every role, odd spellings of figures and months, other scripts, namesakes, another team's
names, redelivered updates, forged and expired taps, month ends, a DST week, a leap day,
members who joined or left mid-month, /forgetme, and replies over 4,096 characters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from handlers.residents import TelegramCheckinAsker
from handlers.texts.entries import BUTTON_EXPIRED
from organiser_bot.domain.checkin import due_month
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.residents import checkins_due, send_checkins
from storage.engine import Database
from storage.models import MonthlyCheckin, Team, TeamResidents
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import make_member, make_team
from tests.offline import Call

MIA, ALICE, CAL, KAI, NELL, LEO = 4001, 4002, 4003, 4004, 4005, 4006
BEA, BOB, STRANGER = 4101, 4102, 4999
NAMES = {
    MIA: "Mia",
    ALICE: "Alice",
    CAL: "Cal",
    KAI: "Kai",
    NELL: "Nell",
    LEO: "Leo",
    BEA: "Bea",
    BOB: "Bob",
    ADMIN_ID: "Ada",
    STRANGER: "Stranger",
}
USERNAMES = {ALICE: "alice", CAL: "cal", KAI: "kai", NELL: "nell", LEO: "leo", BOB: "bob"}
NOVEMBER = date(2026, 11, 1)
LAST_DAY = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
LIMIT = 4096
RESIDENTS, CHECKIN = table_of(TeamResidents), table_of(MonthlyCheckin)


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


async def _say(bot: OfflineBot, user_id: int, text: str) -> str:
    return await bot.say(
        user_id, text, first_name=NAMES.get(user_id, "Test"), username=USERNAMES.get(user_id)
    )


@pytest.fixture
def org(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward: manager Mia, organiser Alice, councillor Cal, caseworker Kai, organiser Nell
    (joined 1 Dec), councillor Leo (left 20 Nov). Bradford: manager Bea, organiser Bob."""
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        bradford = make_team(conn, "Bradford")
        make_member(conn, north, MIA, "Mia", Role.MANAGER)
        make_member(conn, north, ALICE, "Alice", Role.ORGANISER, username="alice")
        make_member(conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal")
        make_member(conn, north, KAI, "Kai", Role.CASEWORKER, username="kai")
        make_member(
            conn, north, NELL, "Nell", Role.ORGANISER, username="nell", joined_on=date(2026, 12, 1)
        )
        make_member(
            conn, north, LEO, "Leo", Role.COUNCILLOR, username="leo", left_on=date(2026, 11, 20)
        )
        make_member(conn, bradford, BEA, "Bea", Role.MANAGER)
        make_member(conn, bradford, BOB, "Bob", Role.ORGANISER, username="bob")
    return offline_bot


def _figures(bot: OfflineBot) -> list[int]:
    with _db(bot).begin() as conn:
        return list(conn.execute(select(RESIDENTS.c.residents).order_by(RESIDENTS.c.id)).scalars())


def _rows(bot: OfflineBot) -> dict[tuple[int, date], tuple[bool | None, int | None]]:
    """Every check-in row with an answer, by (Telegram user id, month)."""
    from storage.models import Person

    p = table_of(Person)
    with _db(bot).begin() as conn:
        rows = conn.execute(
            select(p.c.telegram_user_id, CHECKIN.c.month, CHECKIN.c.active, CHECKIN.c.marked_by)
            .join(p, p.c.id == CHECKIN.c.person_id)
            .where(CHECKIN.c.active.is_not(None))
        )
        return {(uid, month): (active, by) for uid, month, active, by in rows}


def _moment(bot: OfflineBot) -> Moment:
    data = bot.app.bot_data
    return Moment(now=data.now(), tz=data.settings.tz, kinds=data.kinds)


async def _ask(bot: OfflineBot, when: datetime = LAST_DAY) -> dict[int, dict[str, Any]]:
    """Run the check-in at ``when``; the question each member got, by user id."""
    bot.clock.now = when
    data = bot.app.bot_data
    since = len(bot.request.calls)
    await send_checkins(TelegramCheckinAsker(bot.app.bot), data.db, moment=_moment(bot))
    sent = [c for c in bot.request.calls[since:] if c.method == "sendMessage"]
    return {int(c.params["chat_id"]): c.result for c in sent}


async def _any_message(bot: OfflineBot, user_id: int) -> dict[str, Any]:
    """A message the bot sent ``user_id`` (to hang a forged or foreign button tap under)."""
    await _say(bot, user_id, "/help")
    [last] = [c for c in bot.request.calls if c.method == "sendMessage"][-1:]
    return last.result  # type: ignore[no-any-return]


async def _tap(bot: OfflineBot, user_id: int, data: str, message: dict[str, Any]) -> list[Call]:
    update_ = bot.updates.callback_query(
        user_id, data, message=message, first_name=NAMES.get(user_id, "Test")
    )
    return await bot.process(update_)


def _popups(calls: list[Call]) -> list[str]:
    return [c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery"]


def _edits(calls: list[Call]) -> list[str]:
    return [c.params["text"] for c in calls if c.method == "editMessageText"]


def _sent_texts(calls: list[Call]) -> list[str]:
    return [c.params["text"] for c in calls if c.method == "sendMessage"]


# --- /residents ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "allowed"),
    [
        (ADMIN_ID, True),
        (MIA, True),
        (ALICE, False),
        (CAL, False),
        (KAI, False),
        (STRANGER, False),
    ],
)
async def test_residents_by_every_role(org: OfflineBot, user_id: int, allowed: bool) -> None:
    answer = await _say(org, user_id, "/residents north-ward 12,400")
    if allowed:
        assert answer == "✓ North Ward's area: 12,400 residents (none recorded before)."
        assert _figures(org) == [12400]
    else:
        assert not answer.startswith("✓") and "12,400 residents" not in answer
        assert _figures(org) == []


@pytest.mark.parametrize(
    "typed",
    ["12400", "12,400", "12 400", "12_400", "12\u00a0400", "12\u2009400", "12\u202f400", "012400"],
)
async def test_residents_spellings_of_one_figure_record_it_once(
    org: OfflineBot, typed: str
) -> None:
    assert (await _say(org, MIA, f"/residents north-ward {typed}")).startswith(
        "✓ North Ward's area: 12,400 residents"
    )
    again = await _say(org, MIA, "/residents north-ward 12400")
    assert again == "✓ North Ward's area: 12,400 residents (unchanged)."
    assert _figures(org) == [12400]


@pytest.mark.parametrize(
    "typed",
    [
        "12,40",
        "1,2345",
        "12.400",
        "１２４００",  # full-width digits
        "١٢٤٠٠",  # Arabic-Indic digits
        "+12400",
        "1e4",
        "12400 residents",
        "12,400,",
        "100,000,001",
        "0",
        "000",
        "9" * 4000,
        "1" + " 000" * 1000,
        "x" * 4000,
        "שלום",
    ],
)
async def test_residents_refused_figures_change_nothing_and_reply_short(
    org: OfflineBot, typed: str
) -> None:
    await _say(org, MIA, "/residents north-ward 11000")
    calls = await org.process(org.message(MIA, f"/residents north-ward {typed}", first_name="Mia"))
    [answer] = _sent_texts(calls)
    assert "isn't a number of residents" in answer
    assert len(answer) < 400
    assert _figures(org) == [11000]
    assert "11,000 residents" in await _say(org, MIA, "/residents north-ward")


async def test_residents_the_largest_figure_is_taken_and_shown_grouped(org: OfflineBot) -> None:
    answer = await _say(org, MIA, "/residents north-ward 100 000 000")
    assert answer == "✓ North Ward's area: 100,000,000 residents (none recorded before)."
    assert await _say(org, MIA, "/residents north-ward 1") == (
        "✓ North Ward's area: 1 resident (was 100,000,000)."
    )


@pytest.mark.parametrize("word", ["bradford", "BRADFORD", "Bradford"])
async def test_residents_another_teams_name_reads_like_no_teams(org: OfflineBot, word: str) -> None:
    other = await _say(org, MIA, f"/residents {word} 5000")
    none = await _say(org, MIA, "/residents zzzzzz 5000")
    assert other.replace(word, "X") == none.replace("zzzzzz", "X")
    assert "Bradford" not in other or word == "Bradford"
    assert "Bea" not in other
    shown = await _say(org, MIA, f"/residents {word}")
    assert shown.replace(word, "X") == (await _say(org, MIA, "/residents zzzzzz")).replace(
        "zzzzzz", "X"
    )
    assert _figures(org) == []


async def test_residents_rtl_team_name_is_isolated_and_reachable(
    offline_bot: OfflineBot,
) -> None:
    with _db(offline_bot).begin() as conn:
        team = make_team(conn, "שכונה צפון")
        make_member(conn, team, MIA, "מיה", Role.MANAGER)
    answer = await _say(offline_bot, MIA, "/residents שכונה-צפון 12,400")
    assert answer.startswith("✓ \u2068שכונה צפון\u2069's area: 12,400 residents")
    assert _figures(offline_bot) == [12400]


async def test_residents_archived_team_is_refused_like_no_team(org: OfflineBot) -> None:
    t = table_of(Team)
    with _db(org).begin() as conn:
        conn.execute(update(t).where(t.c.slug == "bradford").values(archived_at=LAST_DAY))
    archived = await _say(org, ADMIN_ID, "/residents bradford 5000")
    none = await _say(org, ADMIN_ID, "/residents zzzzzz 5000")
    assert archived.replace("bradford", "X") == none.replace("zzzzzz", "X")
    assert "Bradford" not in await _say(org, ADMIN_ID, "/residents")
    assert _figures(org) == []


async def test_residents_redelivered_update_does_not_restore_an_old_figure(
    org: OfflineBot,
) -> None:
    first = org.message(MIA, "/residents north-ward 5000", first_name="Mia")
    second = org.message(MIA, "/residents north-ward 6000", first_name="Mia")
    [one] = _sent_texts(await org.process(first))
    await org.process(second)
    again = _sent_texts(await org.process(first))
    assert again in ([one], [])
    assert _figures(org) == [5000, 6000]
    assert "6,000 residents" in await _say(org, MIA, "/residents north-ward")


async def test_residents_who_set_it_is_not_named_after_they_are_forgotten(
    org: OfflineBot,
) -> None:
    await _say(org, MIA, "/residents north-ward 7000")
    assert "by Mia" in await _say(org, ADMIN_ID, "/residents north-ward")
    await _say(org, MIA, "/forgetme confirm")
    shown = await _say(org, ADMIN_ID, "/residents north-ward")
    assert "7,000 residents" in shown and "Mia" not in shown
    assert "Mia" not in await _say(org, ADMIN_ID, "/residents")


async def test_residents_list_of_many_teams_fits_in_messages(offline_bot: OfflineBot) -> None:
    with _db(offline_bot).begin() as conn:
        for i in range(150):
            make_team(conn, f"Team {i:03d} " + "w" * 40)
    calls = await offline_bot.process(offline_bot.message(ADMIN_ID, "/residents", first_name="Ada"))
    texts = _sent_texts(calls)
    assert texts and all(len(t) <= LIMIT for t in texts)
    joined = "\n".join(texts)
    assert all(f"Team {i:03d} " in joined for i in range(150))


# --- the check-in: when, and whom ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "month"),
    [
        (date(2028, 2, 28), None),
        (date(2028, 2, 29), date(2028, 2, 1)),
        (date(2028, 3, 1), date(2028, 2, 1)),
        (date(2028, 3, 7), date(2028, 2, 1)),
        (date(2028, 3, 8), None),
        (date(2027, 2, 28), date(2027, 2, 1)),
        (date(2026, 12, 31), date(2026, 12, 1)),
        (date(2027, 1, 7), date(2026, 12, 1)),
        (date(2027, 1, 8), None),
    ],
)
def test_due_month_at_month_ends_and_leap_days(today: date, month: date | None) -> None:
    assert due_month(today) == month


async def test_checkin_asks_each_current_member_once_not_leavers_joiners_or_forgotten(
    org: OfflineBot,
) -> None:
    with _db(org).begin() as conn:
        # Cal is in Bradford too: still asked once.
        bradford = conn.execute(
            select(table_of(Team).c.id).where(table_of(Team).c.slug == "bradford")
        ).scalar_one()
        make_member(conn, bradford, CAL, "Cal", Role.COUNCILLOR, username="cal")
    await _say(org, KAI, "/forgetme confirm")
    questions = await _ask(org)
    assert sorted(questions) == sorted([MIA, ALICE, CAL, BEA, BOB])
    # A second run on the same day, and on the 1st, asks no one again.
    assert await _ask(org) == {}
    assert await _ask(org, datetime(2026, 12, 1, 11, 0, tzinfo=UTC)) == {}


async def test_checkin_joiner_on_the_first_is_asked_about_their_first_month_only_later(
    org: OfflineBot,
) -> None:
    await _ask(org)
    # On 1 December the month open is November: Nell (joined 1 Dec) is not due for it.
    org.clock.now = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    found = await _db(org).run(checkins_due, moment=_moment(org))
    assert found is not None and found.month == NOVEMBER
    assert found.due == ()
    questions = await _ask(org, datetime(2026, 12, 31, 11, 0, tzinfo=UTC))
    assert NELL in questions
    assert "December 2026" in questions[NELL]["text"]


# --- the check-in: taps -------------------------------------------------------------------------


@pytest.mark.parametrize("user_id", [MIA, ALICE, CAL, BOB])
async def test_every_member_role_may_answer(org: OfflineBot, user_id: int) -> None:
    message = (await _ask(org))[user_id]
    calls = await _tap(org, user_id, "ci:2026-11:n", message)
    assert _popups(calls) == ["✓ Recorded: not active in November 2026."]
    assert _rows(org) == {(user_id, NOVEMBER): (False, None)}


@pytest.mark.parametrize("user_id", [ADMIN_ID, STRANGER])
async def test_an_admin_or_stranger_tap_is_refused(org: OfflineBot, user_id: int) -> None:
    await _ask(org)
    message = await _any_message(org, user_id)
    calls = await _tap(org, user_id, "ci:2026-11:y", message)
    [popup] = _popups(calls)
    assert "aren't in one" in popup
    assert _edits(calls) == []
    assert _rows(org) == {}


async def test_a_forgotten_member_tapping_an_old_question_is_refused(org: OfflineBot) -> None:
    message = (await _ask(org))[CAL]
    await _say(org, CAL, "/forgetme confirm")
    calls = await _tap(org, CAL, "ci:2026-11:y", message)
    [popup] = _popups(calls)
    assert "aren't in one" in popup
    assert _rows(org) == {}


async def test_a_leaver_tapping_after_leaving_is_refused(org: OfflineBot) -> None:
    message = await _any_message(org, LEO)
    org.clock.now = LAST_DAY
    calls = await _tap(org, LEO, "ci:2026-11:y", message)
    assert "aren't in one" in _popups(calls)[0]
    assert _rows(org) == {}


@pytest.mark.parametrize(
    "data",
    ["ci:2026-11:", "ci:2026-11:Y", "ci:2026-11:y:extra", "ci:2026-00:y", "ci:0000-01:y", "ci:"],
)
async def test_malformed_taps_say_expired_and_change_nothing(org: OfflineBot, data: str) -> None:
    message = (await _ask(org))[CAL]
    calls = await _tap(org, CAL, data, message)
    assert _popups(calls) == [BUTTON_EXPIRED]
    assert _edits(calls) == []
    assert _rows(org) == {}


@pytest.mark.parametrize("data", ["ci:2026-12:y", "ci:2027-11:y", "ci:2026-10:y", "ci:0001-01:n"])
async def test_a_tap_for_a_month_not_open_changes_nothing(org: OfflineBot, data: str) -> None:
    message = (await _ask(org))[CAL]
    calls = await _tap(org, CAL, data, message)
    [popup] = _popups(calls)
    assert "nothing was changed" in popup
    assert _rows(org) == {}


async def test_a_tap_for_the_last_representable_month_is_not_open(org: OfflineBot) -> None:
    message = (await _ask(org))[CAL]
    calls = await _tap(org, CAL, "ci:9999-12:y", message)
    [popup] = _popups(calls)
    assert "nothing was changed" in popup
    assert _rows(org) == {}


async def test_a_tap_for_a_month_before_joining_changes_nothing(org: OfflineBot) -> None:
    message = await _any_message(org, NELL)
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    await _tap(org, NELL, "ci:2026-11:y", message)
    assert _rows(org) == {}


async def test_the_window_closes_at_local_midnight_in_a_dst_week(
    offline_bot: OfflineBot,
) -> None:
    """March 2027's check-in: London moves to BST on 28 March; it closes at the end of 7 April
    local time, which is 23:00 UTC."""
    with _db(offline_bot).begin() as conn:
        team = make_team(conn, "North Ward")
        make_member(conn, team, CAL, "Cal", Role.COUNCILLOR, username="cal")
    questions = await _ask(offline_bot, datetime(2027, 3, 31, 10, 0, tzinfo=UTC))
    message = questions[CAL]
    assert "March 2027" in message["text"]
    offline_bot.clock.now = datetime(2027, 4, 7, 22, 30, tzinfo=UTC)  # 23:30 BST, 7 April
    calls = await _tap(offline_bot, CAL, "ci:2027-03:y", message)
    assert _popups(calls) == ["✓ Recorded: active in March 2027."]
    offline_bot.clock.now = datetime(2027, 4, 7, 23, 30, tzinfo=UTC)  # 00:30 BST, 8 April
    calls = await _tap(offline_bot, CAL, "ci:2027-03:n", message)
    assert "closed on 7 April 2027" in _popups(calls)[0]
    assert _rows(offline_bot) == {(CAL, date(2027, 3, 1)): (True, None)}


async def test_a_tap_on_the_month_end_before_the_job_ran_counts(org: OfflineBot) -> None:
    """The 30th at 00:30 London: the window is open though the job asks at 11:00."""
    message = await _any_message(org, CAL)
    org.clock.now = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
    calls = await _tap(org, CAL, "ci:2026-11:y", message)
    assert _popups(calls) == ["✓ Recorded: active in November 2026."]
    # The job then does not ask Cal.
    assert CAL not in await _ask(org)


async def test_latest_word_stands_and_the_replies_say_so(org: OfflineBot) -> None:
    message = (await _ask(org))[CAL]
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert await _say(org, ALICE, "/active @cal lastmonth no") == (
        "✓ Cal: not active in November 2026 (no answer before)."
    )
    calls = await _tap(org, CAL, "ci:2026-11:y", message)
    [edit] = _edits(calls)
    assert edit == (
        "✓ Recorded: active in November 2026. (An organiser had marked you not active: your "
        "answer counts.) Tap again to change it until 7 December 2026."
    )
    listed = await _say(org, ALICE, "/active north-ward lastmonth")
    assert listed.splitlines()[1] == "Active (1): Cal"
    assert _rows(org)[(CAL, NOVEMBER)] == (True, None)


async def test_a_mark_by_a_forgotten_organiser_is_not_called_the_members_answer(
    org: OfflineBot,
) -> None:
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    await _say(org, ALICE, "/active @cal lastmonth")
    await _say(org, ALICE, "/forgetme confirm")
    answer = await _say(org, MIA, "/active @cal lastmonth")
    assert "their own answer" not in answer


# --- /active ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "allowed"),
    [
        (ADMIN_ID, True),
        (MIA, True),
        (ALICE, True),
        (CAL, False),
        (KAI, False),
        (STRANGER, False),
        (BOB, False),  # an organiser of another team
    ],
)
async def test_active_by_every_role(org: OfflineBot, user_id: int, allowed: bool) -> None:
    answer = await _say(org, user_id, "/active @kai")
    if allowed:
        assert answer == "✓ Kai: active in November 2026 (no answer before)."
        assert [(key, active) for key, (active, _) in _rows(org).items()] == [
            ((KAI, NOVEMBER), True)
        ]
    else:
        assert not answer.startswith("✓")
        assert _rows(org) == {}


async def test_active_another_teams_member_reads_like_nobody(org: OfflineBot) -> None:
    for tail in ("", " lastmonth", " no", " 2026-10 no"):
        bob = await _say(org, ALICE, f"/active @bob{tail}")
        nobody = await _say(org, ALICE, f"/active @nobody{tail}")
        assert bob.replace("@bob", "@x") == nobody.replace("@nobody", "@x")
        assert "Bob" not in bob and "Bradford" not in bob
    other = await _say(org, ALICE, "/active bradford")
    none = await _say(org, ALICE, "/active zzzzzz")
    assert other.replace("bradford", "X") == none.replace("zzzzzz", "X")
    assert _rows(org) == {}


@pytest.mark.parametrize("spelt", ["@CAL", "@Cal", "cal"])
async def test_active_username_in_other_cases(org: OfflineBot, spelt: str) -> None:
    answer = await _say(org, ALICE, f"/active {spelt}")
    if spelt.startswith("@"):
        assert answer == "✓ Cal: active in November 2026 (no answer before)."
        assert (CAL, NOVEMBER) in _rows(org)
    else:
        # Without @ it is read as a team to list: refused like an unknown team, nothing marked.
        assert not answer.startswith("✓ Cal")
        assert _rows(org) == {}


@pytest.mark.parametrize(
    "month",
    ["2026-12", "december", "0206-10", "1999-12", "2026-13", "2026-1x", "someday", "ноябрь"],
)
async def test_active_months_not_accepted_change_nothing(org: OfflineBot, month: str) -> None:
    answer = await _say(org, ALICE, f"/active @cal {month}")
    if month == "december":
        # In November, "december" is last year's: before Cal joined (Jan 2026).
        assert "joined after December 2025 ended" in answer
    else:
        assert "Usage: /active" in answer
    assert _rows(org) == {}


@pytest.mark.parametrize(
    ("month", "shown"),
    [("2026-1", "January 2026"), ("jan", "January 2026"), ("Sept", "September 2026")],
)
async def test_active_month_spellings(org: OfflineBot, month: str, shown: str) -> None:
    assert await _say(org, ALICE, f"/active @cal {month} no") == (
        f"✓ Cal: not active in {shown} (no answer before)."
    )


async def test_active_member_who_joined_after_the_month_is_refused(org: OfflineBot) -> None:
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    answer = await _say(org, ALICE, "/active @nell lastmonth")
    assert answer == "Nell joined after November 2026 ended, so there's nothing to mark for it."
    assert await _say(org, ALICE, "/active @nell") == (
        "✓ Nell: active in December 2026 (no answer before)."
    )
    assert list(_rows(org)) == [(NELL, date(2026, 12, 1))]


async def test_a_member_who_left_mid_month_can_be_marked_for_that_month(
    org: OfflineBot,
) -> None:
    org.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    listed = await _say(org, ALICE, "/active north-ward november")
    assert "Leo" in listed.splitlines()[3]  # "Not answered (…): …, Leo, …"
    answer = await _say(org, ALICE, "/active @leo november")
    assert answer.startswith("✓ Leo: active in November 2026")


async def test_active_redelivered_update_does_not_undo_a_later_mark(org: OfflineBot) -> None:
    first = org.message(ALICE, "/active @cal no", first_name="Alice", username="alice")
    second = org.message(ALICE, "/active @cal", first_name="Alice", username="alice")
    await org.process(first)
    await org.process(second)
    await org.process(first)
    assert _rows(org)[(CAL, NOVEMBER)][0] is True


async def test_active_list_tells_namesakes_apart_and_isolates_rtl_names(
    offline_bot: OfflineBot,
) -> None:
    with _db(offline_bot).begin() as conn:
        team = make_team(conn, "North Ward")
        make_member(conn, team, ALICE, "Alice", Role.ORGANISER, username="alice")
        make_member(conn, team, 4201, "Sam Lee", Role.COUNCILLOR, username="sam_a")
        make_member(conn, team, 4202, "Sam Lee", Role.COUNCILLOR, username="sam_b")
        make_member(conn, team, 4203, "سارا", Role.CASEWORKER, username="sara")
    await _say(offline_bot, ALICE, "/active @sam_b no")
    listed = await _say(offline_bot, ALICE, "/active")
    lines = listed.splitlines()
    assert lines[0] == "\u2068North Ward\u2069 — November 2026:" or lines[0].startswith(
        "North Ward — November 2026"
    )
    assert lines[2].startswith("Not active (1): ") and "sam_b" in lines[2]
    assert "sam_a" in lines[3] and "\u2068سارا\u2069" in lines[3]


async def _big_team_list(bot: OfflineBot) -> list[str]:
    with _db(bot).begin() as conn:
        team = make_team(conn, "North Ward")
        make_member(conn, team, ALICE, "Alice", Role.ORGANISER, username="alice")
        for i in range(300):
            make_member(conn, team, 50_000 + i, _big_name(i), Role.COUNCILLOR)
    calls = await bot.process(bot.message(ALICE, "/active", first_name="Alice", username="alice"))
    return _sent_texts(calls)


def _big_name(i: int) -> str:
    return f"Member {i:03d} " + "n" * 30


async def test_active_list_of_a_big_team_fits_in_messages(offline_bot: OfflineBot) -> None:
    texts = await _big_team_list(offline_bot)
    assert len(texts) > 1 and all(len(t) <= LIMIT for t in texts)
    whole = "".join(texts)
    assert all(_big_name(i) in whole for i in range(300))


async def test_active_list_of_a_big_team_keeps_each_name_whole(offline_bot: OfflineBot) -> None:
    texts = await _big_team_list(offline_bot)
    for i in range(300):
        assert any(_big_name(i) in t for t in texts), _big_name(i)


async def test_active_admin_without_a_team_must_name_one(org: OfflineBot) -> None:
    answer = await _say(org, ADMIN_ID, "/active")
    assert answer.startswith("Name the team")
    listed = await _say(org, ADMIN_ID, "/active bradford")
    assert listed.splitlines()[0].endswith("— November 2026:") and "Bob" in listed
    assert _rows(org) == {}


async def test_a_redelivered_tap_does_not_undo_a_later_one(org: OfflineBot) -> None:
    message = (await _ask(org))[CAL]
    yes = org.updates.callback_query(CAL, "ci:2026-11:y", message=message, first_name="Cal")
    no = org.updates.callback_query(CAL, "ci:2026-11:n", message=message, first_name="Cal")
    await org.process(yes)
    await org.process(no)
    again = await org.process(yes)
    assert _edits(again) == []
    assert _rows(org) == {(CAL, NOVEMBER): (False, None)}


async def test_residents_back_to_an_earlier_figure_is_a_new_figure(org: OfflineBot) -> None:
    for n in ("5000", "6000", "5000"):
        await _say(org, MIA, f"/residents north-ward {n}")
    assert await _say(org, MIA, "/residents north-ward 5000") == (
        "✓ North Ward's area: 5,000 residents (unchanged)."
    )
    assert _figures(org) == [5000, 6000, 5000]
    assert "5,000 residents" in await _say(org, MIA, "/residents north-ward")


async def test_checkin_skips_a_member_whose_only_team_is_archived(org: OfflineBot) -> None:
    t = table_of(Team)
    with _db(org).begin() as conn:
        conn.execute(update(t).where(t.c.slug == "bradford").values(archived_at=LAST_DAY))
    assert sorted(await _ask(org)) == sorted([MIA, ALICE, CAL, KAI])


async def test_active_list_of_a_team_named_like_a_month_in_either_order(
    offline_bot: OfflineBot,
) -> None:
    with _db(offline_bot).begin() as conn:
        team = make_team(conn, "May")
        make_member(conn, team, ALICE, "Alice", Role.ORGANISER, username="alice")
    one = await _say(offline_bot, ALICE, "/active thismonth may")
    assert one.startswith("May — November 2026:")
    other = await _say(offline_bot, ALICE, "/active may thismonth")
    assert other == one


async def test_a_question_sent_in_december_does_not_call_november_this_month(
    org: OfflineBot,
) -> None:
    questions = await _ask(org, datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
    text = questions[CAL]["text"]
    assert "November 2026" in text
    assert "this month" not in text


async def test_active_a_forgotten_member_reads_like_nobody(org: OfflineBot) -> None:
    await _say(org, CAL, "/forgetme confirm")
    cal = await _say(org, ALICE, "/active @cal")
    nobody = await _say(org, ALICE, "/active @nobody")
    assert cal.replace("@cal", "@x") == nobody.replace("@nobody", "@x")
    assert "Cal" not in await _say(org, ALICE, "/active north-ward november")
    assert _rows(org) == {}
