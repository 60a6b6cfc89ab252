"""``/diary @user`` through ``Application.process_update`` on both databases: the member's days,
notes only to the team's managers, long periods split under Telegram's limit, members refused,
and a member's own ``/diary`` as before."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from handlers.texts import refusal_text
from organiser_bot.domain.digest import message_length
from organiser_bot.domain.refusals import Action, NotPermitted
from organiser_bot.domain.roles import Role
from storage import people
from storage.engine import Database
from storage.models import Person, Scrutiny
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import log, make_member, make_team

MIA, SAM, KIT, ADA = 2001, 2002, 2003, 2004
#: The clock's week: Monday 23 to Thursday 26 Nov 2026 (today).
MONDAY = date(2026, 11, 23)
THURSDAY = date(2026, 11, 26)


_person = table_of(Person)


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


@pytest.fixture
def org(offline_bot: OfflineBot) -> OfflineBot:
    """North (manager Mia, organiser @sam) and South (manager Ada, caseworker @kit, and Sam)."""
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North", chat_id=-100)
        south = make_team(conn, "South", chat_id=-200)
        make_member(conn, north, MIA, "Mia", Role.MANAGER)
        sam = make_member(conn, north, SAM, "Sam", Role.ORGANISER, username="sam")
        make_member(conn, south, ADA, "Ada", Role.MANAGER)
        make_member(conn, south, KIT, "Kit", Role.CASEWORKER, username="kit")
        make_member(conn, south, SAM, "Sam", Role.ORGANISER, username="sam")
        log(conn, sam, north, "one_to_one", 1, MONDAY, note="Priya", at=time(9, 30))
        log(conn, sam, north, "casework", 2, THURSDAY, note="damp flat", at=time(11, 5))
        log(conn, sam, south, "resident_contact", 6, MONDAY, note="Elm Road")
    return offline_bot


def _looks(bot: OfflineBot) -> int:
    with _db(bot).begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table_of(Scrutiny))).scalar_one())


async def test_a_manager_reads_a_members_days_with_their_notes(org: OfflineBot) -> None:
    text = await org.say(MIA, "/diary @sam")
    assert text == "\n".join(
        [
            "Diary of Sam · week 2026-W48",
            "Mon 23 Nov: one-to-one 1",
            "  09:30 one-to-one — Priya",
            "Tue 24 Nov: —",
            "Wed 25 Nov: —",
            "Thu 26 Nov: casework 2",
            "  11:05 2 × casework — damp flat",
        ]
    )
    assert _looks(org) == 1


async def test_an_admin_outside_the_team_sees_counts_and_times_but_no_notes(
    org: OfflineBot,
) -> None:
    text = await org.say(ADMIN_ID, "/diary @sam week")
    assert "Mon 23 Nov: one-to-one 1 · resident contact 6" in text
    assert "  09:30 one-to-one #north" in text
    assert "  11:05 2 × casework #north" in text
    for note in ("Priya", "damp flat", "Elm Road"):
        assert note not in text
    assert text.endswith("Notes are shown only to the team's managers.")
    assert _looks(org) == 2  # North's figures and South's


async def test_a_member_is_refused_and_their_own_diary_is_unchanged(org: OfflineBot) -> None:
    refused = await org.say(SAM, "/diary @kit")
    assert refused == refusal_text(NotPermitted(Action.SEE_MEMBER_DIARY))
    own = await org.say(SAM, "/diary")
    assert own.startswith("Your diary · week 2026-W48")
    assert "09:30 one-to-one #north — Priya" in own
    assert "Elm Road" in own  # their own notes, in every team
    assert _looks(org) == 0


async def test_a_name_in_another_team_gets_the_same_reply_as_no_one(org: OfflineBot) -> None:
    kit = await org.say(MIA, "/diary @kit")
    nobody = await org.say(MIA, "/diary @nobody")
    assert kit == nobody.replace("@nobody", "@kit")
    assert "South" not in kit and "Kit" not in kit
    bad = await org.say(MIA, "/diary @sam fortnight")
    assert "fortnight" in bad
    assert _looks(org) == 0


async def test_a_redelivered_request_is_answered_again_and_counts_again(org: OfflineBot) -> None:
    # Like /totals: the figures are shown again, so the look is recorded again.
    update = org.message(MIA, "/diary @sam")
    first = await org.replies(update)
    assert _looks(org) == 1
    again = await org.replies(update)
    assert [c.params["text"] for c in again] == [c.params["text"] for c in first]
    assert _looks(org) == 2


async def test_a_long_period_is_split_under_the_limit_and_capped(org: OfflineBot) -> None:
    with _db(org).begin() as conn:
        north = people.find_team(conn, "north")
        sam = conn.execute(select(_person.c.id).where(_person.c.username == "sam")).scalar_one()
        assert north is not None
        for back in range(120):
            day = THURSDAY - timedelta(days=back)
            for hour in (8, 13, 17):
                log(conn, sam, north.id, "resident_contact", 3, day, note="x" * 40, at=time(hour))
    replies = await org.replies(org.message(MIA, "/diary @sam 2026-07-01..2026-11-30"))
    texts = [str(c.params["text"]) for c in replies]
    assert len(texts) > 1
    assert all(message_length(t) <= 4096 for t in texts)
    whole = "\n".join(texts)
    first_shown = THURSDAY - timedelta(days=91)
    assert f"{first_shown:%a} {first_shown.day} {first_shown:%b}: " in whole
    before = first_shown - timedelta(days=1)
    assert f"{before:%a} {before.day} {before:%b}: " not in whole
    assert "(only the last 92 days are shown: ask for a shorter period)" in whole
    # Every day shown, each with its entries: nothing between the parts was lost.
    assert whole.count(" — " + "x" * 40 + "\n") + whole.endswith("x" * 40) == 92 * 3
