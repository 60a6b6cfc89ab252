"""``/diary @user [period]`` tried as a new user would, through the real Application
(``Application.process_update`` with the offline request) on SQLite and PostgreSQL.

North Ward (manager Mia, councillor Cleo) and South Side (manager Ada, caseworker Kit) are set
up through /newteam and invites; organiser Sam joins both and logs in each by quick logs, edits a
message, undoes another. Then every role asks for Sam's diary, names are misspelt or held by
no one, someone forgets themselves, the clocks change, notes run long, updates are redelivered,
and the scrutiny ledger is counted after each.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.texts import refusal_text
from organiser_bot.domain.digest import message_length
from organiser_bot.domain.names import FSI, PDI
from organiser_bot.domain.refusals import Action, NotPermitted
from organiser_bot.usecases.identities import UnknownMember
from storage import people
from storage.engine import Database
from storage.models import Activity, Person, Scrutiny
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import log

MIA, ADA, SAM, KIT, CLEO, STRANGER = (
    7_100_001,
    7_100_002,
    7_100_003,
    7_100_004,
    7_100_005,
    7_100_009,
)
NORTH, SOUTH = "north-ward", "south-side"
SCRUTINY, PERSON, ACTIVITY = table_of(Scrutiny), table_of(Person), table_of(Activity)
#: The clock's day: Thursday 26 Nov 2026 (week 2026-W48 began Monday 23).
THURSDAY = date(2026, 11, 26)
NOBODY = refusal_text(UnknownMember("@nobody"))
REFUSED = refusal_text(NotPermitted(Action.SEE_MEMBER_DIARY))


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


async def _join(bot: OfflineBot, user_id: int, team: str, role: str, name: str, **kw: Any) -> str:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    welcome = await bot.say(user_id, f"/start {code.group(1)}", first_name=name, **kw)
    assert "Welcome" in welcome or "welcome" in welcome, welcome
    return welcome


async def _sam(bot: OfflineBot, text: str) -> str:
    return await bot.say(SAM, text, first_name="Sam", username="sam")


def _looks(bot: OfflineBot) -> list[tuple[int, int, int | None, str]]:
    with _db(bot).begin() as conn:
        rows = conn.execute(
            select(
                SCRUTINY.c.viewer_person_id,
                SCRUTINY.c.team_id,
                SCRUTINY.c.subject_person_id,
                SCRUTINY.c.what,
            ).order_by(SCRUTINY.c.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _person(bot: OfflineBot, user_id: int) -> int:
    with _db(bot).begin() as conn:
        found = conn.execute(
            select(PERSON.c.id).where(PERSON.c.telegram_user_id == user_id)
        ).scalar_one()
    return int(found)


def _team(bot: OfflineBot, slug: str) -> int:
    with _db(bot).begin() as conn:
        team = people.find_team(conn, slug)
    assert team is not None
    return team.id


async def _all(bot: OfflineBot, user_id: int, text: str) -> list[str]:
    replies = await bot.replies(bot.message(user_id, text))
    return [str(c.params["text"]) for c in replies]


@pytest.fixture
async def org(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward and South Side, every member joined nine weeks ago; Sam in both (North
    first, so quick logs go there unless tagged ``#south-side``). Clock: Thu 26 Nov 2026 12:00."""
    bot = offline_bot
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=9)
    assert "North Ward" in await bot.say(ADMIN_ID, "/newteam North Ward")
    assert "South Side" in await bot.say(ADMIN_ID, "/newteam South Side")
    await _join(bot, MIA, NORTH, "manager", "Mia", username="mia")
    await _join(bot, ADA, SOUTH, "manager", "Ada", username="ada")
    await _join(bot, SAM, NORTH, "organiser", "Sam", username="sam")
    await _join(bot, SAM, SOUTH, "organiser", "Sam", username="sam")
    await _join(bot, KIT, SOUTH, "caseworker", "Kit", username="kit")
    await _join(bot, CLEO, NORTH, "councillor", "Cleo", username="cleo")
    bot.clock.now = now
    return bot


async def _week_of_logs(bot: OfflineBot) -> None:
    """Sam's week: North on Monday and today, South on Wednesday."""
    assert "✓" in await _sam(bot, "121 Priya mon at 9:30")
    assert "✓" in await _sam(bot, "case 2 damp flat at 11:05")
    assert "✓" in await _sam(bot, "doors 6 Elm Road wed #south-side")


# --- who may ask ----------------------------------------------------------------------------------


@pytest.mark.parametrize("asker", [SAM, KIT, CLEO])
async def test_every_member_role_is_refused_alike_and_nothing_is_recorded(
    org: OfflineBot, asker: int
) -> None:
    await _week_of_logs(org)
    for target in ("@sam", "@kit", "@cleo", "@nobody", "@mia"):
        assert await org.say(asker, f"/diary {target}") == REFUSED
    assert await org.say(asker, "/diary @sam 2026-01-01..2026-12-31") == REFUSED
    assert _looks(org) == []


async def test_a_stranger_learns_nothing_about_the_member(org: OfflineBot) -> None:
    await _week_of_logs(org)
    text = await org.say(STRANGER, "/diary @sam", first_name="Eve")
    for secret in ("Priya", "damp flat", "Elm Road", "Sam", "one-to-one", "North"):
        assert secret not in text
    assert text == await org.say(STRANGER, "/diary @nobody", first_name="Eve")
    assert _looks(org) == []


async def test_the_members_own_diary_is_unchanged_and_records_no_look(org: OfflineBot) -> None:
    await _week_of_logs(org)
    own = await _sam(org, "/diary")
    assert own.startswith("Your diary · week 2026-W48"), own
    for note in ("Priya", "damp flat", "Elm Road"):
        assert note in own
    assert own == await _sam(org, "/diary week")
    # A manager's own /diary (no @) is theirs, not a look at anyone.
    mia = await org.say(MIA, "/diary")
    assert mia == "No entries in week 2026-W48."
    assert _looks(org) == []


async def test_in_a_group_the_command_points_to_the_private_chat_and_shows_nothing(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    replies = await org.replies(
        org.message(MIA, "/diary @sam", chat_id=-100_77, chat_type="supergroup")
    )
    for c in replies:
        for secret in ("Priya", "damp flat", "Elm Road", "Diary of"):
            assert secret not in str(c.params.get("text", ""))
    assert _looks(org) == []


# --- what a manager sees --------------------------------------------------------------------------


async def test_a_manager_sees_their_teams_entries_only_with_notes_and_one_look(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    north = await org.say(MIA, "/diary @sam")
    assert north == "\n".join(
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
    south = await org.say(ADA, "/diary @SAM")
    assert "Elm Road" in south and "resident contact 6" in south
    for other in ("Priya", "damp flat", "one-to-one", "casework", "#"):
        assert other not in south
    sam = _person(org, SAM)
    assert _looks(org) == [
        (_person(org, MIA), _team(org, NORTH), sam, "diary"),
        (_person(org, ADA), _team(org, SOUTH), sam, "diary"),
    ]


async def test_an_admin_outside_the_teams_sees_counts_and_times_never_notes(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    text = await org.say(ADMIN_ID, "/diary @sam")
    for note in ("Priya", "damp flat", "Elm Road"):
        assert note not in text
    assert "  09:30 one-to-one #north-ward" in text
    assert "resident contact 6" in text and "#south-side" in text
    assert text.endswith("Notes are shown only to the team's managers.")
    looks = _looks(org)
    assert sorted(t for _, t, _, _ in looks) == sorted([_team(org, NORTH), _team(org, SOUTH)])
    assert {(s, w) for _, _, s, w in looks} == {(_person(org, SAM), "diary")}


async def test_an_admin_who_manages_north_reads_north_notes_only(org: OfflineBot) -> None:
    await _week_of_logs(org)
    await _join(org, ADMIN_ID, NORTH, "manager", "Ann")
    text = await org.say(ADMIN_ID, "/diary @sam")
    assert "Priya" in text and "damp flat" in text
    assert "Elm Road" not in text
    assert text.endswith("Notes are shown only to the team's managers.")


async def test_a_manager_of_both_teams_sees_both_with_team_tags_and_every_note(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    await _join(org, MIA, SOUTH, "manager", "Mia", username="mia")
    text = await org.say(MIA, "/diary @sam")
    assert "  09:30 one-to-one #north-ward — Priya" in text
    assert "Elm Road" in text and "#south-side" in text
    assert "Notes are shown only" not in text
    assert len(_looks(org)) == 2


# --- names that are not the member's ------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "@kit",
        "@KIT",
        "@ada",
        "@nobody",
        "@",
        "@sam_",
        "@ｓａｍ",
        "@sa\u200bm",
        "@sam\u202e",
        "@عائشة",
        "@" + "k" * 300,
    ],
)
async def test_another_teams_member_and_names_no_one_holds_get_the_same_reply(
    org: OfflineBot, typed: str
) -> None:
    await _week_of_logs(org)
    text = await org.say(MIA, f"/diary {typed}")
    assert text == NOBODY.replace("@nobody", typed)
    for leak in ("South", "south", "Kit", "Ada", "Elm"):
        assert leak not in text.replace(typed, "")
    assert _looks(org) == []


async def test_a_forgotten_member_is_no_one_and_their_old_username_finds_nothing(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    await _sam(org, "/forgetme")
    await _sam(org, "/forgetme confirm")
    for viewer in (MIA, ADA):
        assert await org.say(viewer, "/diary @sam") == NOBODY.replace("@nobody", "@sam")
    admin = await org.say(ADMIN_ID, "/diary @sam")
    assert admin == NOBODY.replace("@nobody", "@sam")
    assert _looks(org) == []


async def test_a_member_who_left_is_no_longer_someone_the_team_can_look_up(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    with _db(org).begin() as conn:
        people.end_membership(
            conn, person_id=_person(org, SAM), team_id=_team(org, NORTH), left_on=THURSDAY
        )
    assert await org.say(MIA, "/diary @sam") == NOBODY.replace("@nobody", "@sam")
    # Still in South: Ada sees South's days and nothing of North's.
    south = await org.say(ADA, "/diary @sam")
    assert "Elm Road" in south and "Priya" not in south


async def test_namesakes_are_told_apart_without_naming_other_teams(org: OfflineBot) -> None:
    await _week_of_logs(org)
    await _join(org, 7_100_050, NORTH, "councillor", "Sam", username="sam_b")
    await _join(org, 7_100_051, SOUTH, "councillor", "Kit", username="kit_b")
    north = await org.say(MIA, "/diary @sam")
    assert north.startswith("Diary of Sam (@sam) · week 2026-W48"), north
    other = await org.say(MIA, "/diary @sam_b")
    assert other.startswith("Diary of Sam (@sam_b) · week 2026-W48"), other
    assert "Priya" not in other
    # Kit's namesake is in South only: to Ada, the two Kits are told apart; Mia knows neither.
    assert (await org.say(ADA, "/diary @kit")).startswith("Diary of Kit (@kit)")
    assert await org.say(MIA, "/diary @kit_b") == NOBODY.replace("@nobody", "@kit_b")


async def test_a_username_two_people_still_hold_is_refused_not_merged(org: OfflineBot) -> None:
    await _week_of_logs(org)
    with _db(org).begin() as conn:
        # Cleo took @sam in Telegram and has not written since Sam last did: both rows hold it.
        conn.execute(
            PERSON.update().where(PERSON.c.telegram_user_id == CLEO).values(username="sam")
        )
    text = await org.say(MIA, "/diary @sam")
    assert text.startswith("Several members hold @sam"), text
    for secret in ("Priya", "damp flat", "south"):
        assert secret not in text
    assert _looks(org) == []


async def test_a_right_to_left_name_is_isolated_in_the_heading(org: OfflineBot) -> None:
    await _join(org, 7_100_060, NORTH, "councillor", "عائشة حسن", username="aisha")
    await org.say(7_100_060, "121 زيارة at 10:00", first_name="عائشة حسن", username="aisha")
    text = await org.say(MIA, "/diary @aisha")
    assert text.startswith(f"Diary of {FSI}عائشة حسن{PDI} · week 2026-W48"), text
    assert "  10:00 one-to-one — زيارة" in text


# --- what counts ------------------------------------------------------------------------------


async def test_edited_and_undone_entries_never_show(org: OfflineBot) -> None:
    first = org.message(SAM, "121 Jo at 10:00", first_name="Sam", username="sam")
    assert "✓" in str((await org.replies(first))[0].params["text"])
    await org.replies(org.updates.edited(first, "case 3 Bo at 10:15"))
    assert "✓" in await _sam(org, "doors 7 Oak Lane at 11:00")
    await _sam(org, "/undo")
    text = await org.say(MIA, "/diary @sam")
    assert "Thu 26 Nov: casework 3" in text, text
    assert "  10:15 3 × casework — Bo" in text
    for gone in ("Jo", "one-to-one", "Oak Lane", "resident contact", "10:00", "11:00"):
        assert gone not in text
    # The admin's view agrees on counts.
    assert "Thu 26 Nov: casework 3" in await org.say(ADMIN_ID, "/diary @sam")


async def test_counts_are_the_days_sum_and_an_untimed_entry_has_no_time(org: OfflineBot) -> None:
    assert "✓" in await _sam(org, "doors 4 Ash")
    assert "✓" in await _sam(org, "doors 5 Birch at 08:00")
    assert "✓" in await _sam(org, "2x121 Cy yesterday")
    text = await org.say(MIA, "/diary @sam")
    assert "Wed 25 Nov: one-to-one 2" in text
    assert "\n  2 × one-to-one — Cy" in text
    assert "Thu 26 Nov: resident contact 9" in text
    assert "\n  4 × resident contact — Ash" in text
    assert "\n  08:00 5 × resident contact — Birch" in text


# --- periods ------------------------------------------------------------------------------------


async def test_the_autumn_clock_change_keeps_each_entry_on_its_local_day_and_time(
    org: OfflineBot,
) -> None:
    # Sun 25 Oct 2026: BST ends at 02:00 local. Sat 23:30 is still BST; Sun 23:30 is GMT.
    assert "✓" in await _sam(org, "doors 3 Ash 2026-10-24 at 23:30")
    assert "✓" in await _sam(org, "doors 4 Birch 2026-10-25 at 23:30")
    assert "✓" in await _sam(org, "121 Cedar 2026-10-25 at 00:30")
    text = await org.say(MIA, "/diary @sam 2026-W43")
    assert text.splitlines()[0] == "Diary of Sam · week 2026-W43"
    days = [ln for ln in text.splitlines() if not ln.startswith("  ")][1:]
    assert [d.split(":")[0] for d in days] == [
        "Mon 19 Oct",
        "Tue 20 Oct",
        "Wed 21 Oct",
        "Thu 22 Oct",
        "Fri 23 Oct",
        "Sat 24 Oct",
        "Sun 25 Oct",
    ]
    sat = text.index("Sat 24 Oct:")
    sun = text.index("Sun 25 Oct:")
    assert text.index("23:30 3 × resident contact — Ash") in range(sat, sun)
    assert text.index("00:30 one-to-one — Cedar") > sun
    assert text.index("23:30 4 × resident contact — Birch") > sun
    assert "Sun 25 Oct: one-to-one 1 · resident contact 4" in text


async def test_the_spring_clock_change_week_from_the_running_totals(org: OfflineBot) -> None:
    with _db(org).begin() as conn:
        sam, north = _person(org, SAM), _team(org, NORTH)
        log(conn, sam, north, "casework", 1, date(2026, 3, 29), note="a", at=time(0, 30))
        log(conn, sam, north, "casework", 2, date(2026, 3, 29), note="b", at=time(23, 30))
        log(conn, sam, north, "casework", 4, date(2026, 3, 28), note="c", at=time(23, 30))
    text = await org.say(MIA, "/diary @sam 2026-03-23..2026-03-29")
    assert "Sat 28 Mar: casework 4\n  23:30 4 × casework — c" in text
    assert "Sun 29 Mar: casework 3\n  00:30 casework — a\n  23:30 2 × casework — b" in text


async def test_a_leap_day_is_a_day_of_its_own(org: OfflineBot) -> None:
    text = await org.say(MIA, "/diary @sam 2024-02-28..2024-03-01")
    assert text.splitlines()[1:] == ["Wed 28 Feb: —", "Thu 29 Feb: —", "Fri 1 Mar: —"]


@pytest.mark.parametrize(
    ("period", "days", "capped"),
    [
        ("13w", 88, False),  # 13 weeks up to today (Thursday): 12 weeks and 4 days
        ("2026-08-27..2026-11-26", 92, False),
        ("2026-08-26..2026-11-26", 92, True),
        ("2026-01-01..2026-12-31", 92, True),
        ("2025-01-01..2026-12-31", 92, True),
    ],
)
async def test_long_periods_show_their_last_92_days_up_to_today(
    org: OfflineBot, period: str, days: int, capped: bool
) -> None:
    whole = "\n".join(await _all(org, MIA, f"/diary @sam {period}"))
    lines = [ln for ln in whole.splitlines()[1:] if re.match(r"^\w{3} \d{1,2} \w{3}: ", ln)]
    assert len(lines) == days, whole[:300]
    assert lines[-1].startswith("Thu 26 Nov: ")
    assert ("only the last 92 days are shown" in whole) == capped
    assert len(_looks(org)) == 1


@pytest.mark.parametrize(
    "period", ["fortnight", "2026-13-01..2026-13-02", "2026-11-30..2026-11-01", "week extra", "💥"]
)
async def test_an_unreadable_period_is_refused_and_records_nothing(
    org: OfflineBot, period: str
) -> None:
    text = await org.say(MIA, f"/diary @sam {period}")
    assert not text.startswith("Diary of"), text
    assert _looks(org) == []


async def test_a_period_not_yet_begun_says_so(org: OfflineBot) -> None:
    text = await org.say(MIA, "/diary @sam 2027-W02")
    assert text == "Diary of Sam · week 2027-W02\nThat period has not begun yet."


# --- long replies -------------------------------------------------------------------------------


async def test_huge_notes_in_any_script_are_split_under_the_limit_and_nothing_lost(
    org: OfflineBot,
) -> None:
    sam, north = _person(org, SAM), _team(org, NORTH)
    notes = [("🏠" * 2100) + "END1", "ب" * 5000 + "END2", "x" * 4096, "żółć 租户 " * 300 + "END4"]
    with _db(org).begin() as conn:
        for i, note in enumerate(notes):
            log(conn, sam, north, "casework", 1, THURSDAY - timedelta(days=i), note=note)
    parts = await _all(org, MIA, "/diary @sam")
    assert len(parts) > 1
    assert all(message_length(p) <= 4096 for p in parts), [message_length(p) for p in parts]
    joined = "".join(parts)
    for note in notes:
        assert note in joined or note.replace("\n", "") in joined.replace("\n", "")


async def test_five_hundred_and_one_entries_say_the_list_was_cut(org: OfflineBot) -> None:
    sam, north = _person(org, SAM), _team(org, NORTH)
    with _db(org).begin() as conn:
        for i in range(501):
            day = THURSDAY - timedelta(days=i % 3)
            log(conn, sam, north, "one_to_one", 1, day, note=f"n{i}", at=time(i % 24, i % 60))
    parts = await _all(org, MIA, "/diary @sam")
    assert all(message_length(p) <= 4096 for p in parts)
    whole = "\n".join(parts)
    assert whole.count("\n  ") == 500
    assert "(the first 500 entries are listed; every day's counts are shown)" in whole
    counts = sum(int(n) for n in re.findall(r"^\w{3} \d+ \w{3}: one-to-one (\d+)$", whole, re.M))
    assert counts == 501
    assert len(_looks(org)) == 1


# --- the ledger --------------------------------------------------------------------------------


async def test_a_redelivered_request_is_answered_alike_and_counts_once_per_delivery(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    update = org.message(MIA, "/diary @sam")
    first = [c.params["text"] for c in await org.replies(update)]
    org.clock.advance(minutes=5)
    assert len(_looks(org)) == 1
    again = [c.params["text"] for c in await org.replies(update)]
    assert again == first
    # README (since eb866ae): a redelivered report is run again and counts again, once.
    assert len(_looks(org)) == 2
    await org.say(MIA, "/diary @sam")
    looks = _looks(org)
    assert len(looks) == 3
    assert {(v, s) for v, _, s, _ in looks} == {(_person(org, MIA), _person(org, SAM))}


async def test_an_admins_look_over_two_teams_is_one_row_per_team_per_delivery(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    update = org.message(ADMIN_ID, "/diary @sam 13w")
    await org.replies(update)
    teams = sorted([_team(org, NORTH), _team(org, SOUTH)])
    assert sorted(t for _, t, _, _ in _looks(org)) == teams
    await org.replies(update)
    looks = _looks(org)
    assert sorted(t for _, t, _, _ in looks) == sorted(teams * 2)
    assert {s for _, _, s, _ in looks} == {_person(org, SAM)}


async def test_the_member_sees_in_mydata_who_looked_at_their_figures(org: OfflineBot) -> None:
    await _week_of_logs(org)
    await org.say(MIA, "/diary @sam")
    mydata = await _sam(org, "/mydata")
    assert "Mia" in mydata, mydata
    cleo = await org.say(CLEO, "/mydata")
    assert "Mia" not in cleo


async def test_a_refused_diary_changes_no_entry(org: OfflineBot) -> None:
    await _week_of_logs(org)

    def entries() -> int:
        with _db(org).begin() as conn:
            return int(conn.execute(select(func.count()).select_from(ACTIVITY)).scalar_one())

    before = entries()
    for user, text in [(KIT, "/diary @sam"), (MIA, "/diary @kit"), (MIA, "/diary @sam bad")]:
        await org.say(user, text)
    assert entries() == before
    assert _looks(org) == []


async def test_two_at_signs_are_read_as_one(org: OfflineBot) -> None:
    await _week_of_logs(org)
    assert await org.say(MIA, "/diary @@sam") == await org.say(MIA, "/diary @sam")


async def test_a_manager_asking_for_their_own_diary_by_username(org: OfflineBot) -> None:
    assert "✓" in await org.say(MIA, "121 Lee at 10:00", first_name="Mia", username="mia")
    text = await org.say(MIA, "/diary @mia")
    assert "  10:00 one-to-one — Lee" in text
    assert _looks(org) == [(_person(org, MIA), _team(org, NORTH), _person(org, MIA), "diary")]


async def test_an_entry_edited_into_another_team_moves_between_the_managers_views(
    org: OfflineBot,
) -> None:
    first = org.message(SAM, "121 Jo mon at 10:00", first_name="Sam", username="sam")
    assert "✓" in str((await org.replies(first))[0].params["text"])
    await org.replies(org.updates.edited(first, "121 Jo tue at 10:00 #south-side"))
    north = await org.say(MIA, "/diary @sam")
    assert "Jo" not in north and "one-to-one" not in north, north
    south = await org.say(ADA, "/diary @sam")
    assert "Tue 24 Nov: one-to-one 1\n  10:00 one-to-one — Jo" in south, south
    assert "Mon 23 Nov: —" in south


async def test_a_forgotten_member_who_rejoins_shows_none_of_their_old_entries(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    await _sam(org, "/forgetme")
    await _sam(org, "/forgetme confirm")
    await _join(org, SAM, NORTH, "organiser", "Sam", username="sam")
    assert "✓" in await _sam(org, "doors 2 Fir at 12:00")
    text = await org.say(MIA, "/diary @sam")
    assert "Mon 23 Nov: —" in text and "Priya" not in text and "casework" not in text
    assert "Thu 26 Nov: resident contact 2\n  12:00 2 × resident contact — Fir" in text


async def test_a_redelivered_long_diary_is_sent_again_whole(org: OfflineBot) -> None:
    sam, north = _person(org, SAM), _team(org, NORTH)
    with _db(org).begin() as conn:
        for back in range(60):
            day = THURSDAY - timedelta(days=back)
            log(conn, sam, north, "resident_contact", 3, day, note="y" * 120, at=time(9))
    update = org.message(MIA, "/diary @sam 13w")
    first = [str(c.params["text"]) for c in await org.replies(update)]
    again = [str(c.params["text"]) for c in await org.replies(update)]
    assert len(first) > 1
    assert again == first
    assert len(_looks(org)) == 2


async def test_an_admin_who_is_only_an_organiser_in_north_sees_no_notes(org: OfflineBot) -> None:
    await _week_of_logs(org)
    await _join(org, ADMIN_ID, NORTH, "organiser", "Ann")
    text = await org.say(ADMIN_ID, "/diary @sam")
    for note in ("Priya", "damp flat", "Elm Road"):
        assert note not in text
    assert "  09:30 one-to-one #north-ward" in text
    assert len(_looks(org)) == 2


async def test_a_renamed_username_is_found_by_its_new_name_only(org: OfflineBot) -> None:
    await _week_of_logs(org)
    assert "✓" in await org.say(SAM, "doors 1 Gum at 12:00", first_name="Sam", username="samuel")
    assert await org.say(MIA, "/diary @sam") == NOBODY.replace("@nobody", "@sam")
    text = await org.say(MIA, "/diary @samuel")
    assert "Priya" in text and "Gum" in text
    assert len(_looks(org)) == 1


async def test_an_undelivered_diary_is_not_told_as_not_done_while_its_look_is_kept(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    restore = org.request.refuse(
        "sendMessage", "Bad Request: chat not found", lambda p: "Diary of" in str(p.get("text"))
    )
    texts = [str(c.params["text"]) for c in await org.replies(org.message(MIA, "/diary @sam"))]
    restore()
    told_not_done = "wasn't done" in texts[-1]
    assert texts[-1].startswith("Sorry") == told_not_done  # the apology is what was sent
    looks = _looks(org)
    mydata = await _sam(org, "/mydata")
    assert looks == [] or not told_not_done, (looks, texts[-1])
    assert ("diary 1" in mydata) == bool(looks)


async def test_the_ambiguous_hour_of_the_autumn_change_stays_on_its_day(org: OfflineBot) -> None:
    assert "✓" in await _sam(org, "doors 2 Kay 2026-10-25 at 01:30")
    assert "✓" in await _sam(org, "doors 3 Lou 2026-10-25 at 02:30")
    text = await org.say(MIA, "/diary @sam 2026-10-25")
    assert "Sun 25 Oct: resident contact 5" in text, text
    assert "\n  01:30 2 × resident contact — Kay\n  02:30 3 × resident contact — Lou" in text


async def test_a_long_period_in_the_past_shows_its_own_last_92_days(org: OfflineBot) -> None:
    whole = "\n".join(await _all(org, MIA, "/diary @sam 2026-01-01..2026-06-30"))
    days = [ln for ln in whole.splitlines() if re.match(r"^\w{3} \d{1,2} \w{3}: ", ln)]
    assert len(days) == 92
    assert days[0].startswith("Tue 31 Mar: ") and days[-1].startswith("Tue 30 Jun: ")
    assert "(only the last 92 days are shown: ask for a shorter period)" in whole


async def test_a_username_in_capitals_is_found_in_any_case(org: OfflineBot) -> None:
    await _join(org, 7_100_070, NORTH, "caseworker", "Bea", username="BeaX_77")
    await org.say(7_100_070, "case Rent at 10:00", first_name="Bea", username="BeaX_77")
    for typed in ("@beax_77", "@BEAX_77", "@BeaX_77"):
        assert "  10:00 casework — Rent" in await org.say(MIA, f"/diary {typed}")
    assert len(_looks(org)) == 3


async def test_a_kind_an_admin_added_shows_by_its_label(org: OfflineBot) -> None:
    added = await org.say(ADMIN_ID, "/newkind surgery advice")
    assert "surgery" in added.lower(), added
    assert "✓" in await _sam(org, "advice 2 Library at 10:00")
    assert "✓" in await _sam(org, "121 Jo at 09:00")
    text = await org.say(MIA, "/diary @sam")
    # Built-in kinds first, then the added one, on the day's line.
    assert "Thu 26 Nov: one-to-one 1 · surgery 2" in text, text
    assert "  10:00 2 × surgery — Library" in text


async def test_an_edited_diary_command_is_not_run_again_nor_logged(org: OfflineBot) -> None:
    await _week_of_logs(org)
    first = org.message(MIA, "/diary @sam")
    await org.replies(first)
    org.clock.advance(minutes=1)
    replies = await org.replies(org.updates.edited(first, "/diary @sam last"))
    for c in replies:
        assert "Diary of" not in str(c.params.get("text", ""))
    assert len(_looks(org)) == 1
    with _db(org).begin() as conn:
        mias = conn.execute(
            select(func.count())
            .select_from(ACTIVITY)
            .where(ACTIVITY.c.person_id == _person(org, MIA))
        ).scalar_one()
    assert mias == 0


async def test_a_username_as_long_as_a_message_is_refused_in_parts_that_fit(
    org: OfflineBot,
) -> None:
    typed = "@" + "k" * (4096 - len("/diary @"))  # a whole message: Telegram's most
    parts = await _all(org, MIA, f"/diary {typed}")
    assert not any(p.startswith("Sorry") for p in parts), parts[-1]
    assert parts and all(message_length(p) <= 4096 for p in parts)
    assert "".join(parts).replace("\n", "") == NOBODY.replace("@nobody", typed).replace("\n", "")
    assert _looks(org) == []


async def test_a_period_as_long_as_a_message_is_refused_within_the_limit(org: OfflineBot) -> None:
    parts = await _all(org, MIA, "/diary @sam " + "x" * (4096 - len("/diary @sam ")))
    assert parts and all(message_length(p) <= 4096 for p in parts), parts
    assert not any(p.startswith("Sorry") or p.startswith("Diary of") for p in parts)
    assert _looks(org) == []


async def test_the_diarys_counts_agree_with_totals_for_the_member(org: OfflineBot) -> None:
    await _week_of_logs(org)
    assert "✓" in await _sam(org, "121 x3 Zed tue")
    diary = await org.say(MIA, "/diary @sam")
    summed: dict[str, int] = {}
    for label, n in re.findall(r"(?:: | · )([a-z -]+?) (\d+)(?=$| · )", diary, re.M):
        summed[label] = summed.get(label, 0) + int(n)
    assert summed == {"one-to-one": 4, "casework": 2}
    totals = await org.say(MIA, "/totals @sam")
    assert "• Sam (organiser): one-to-one 4/15, casework 2" in totals, totals


async def test_a_period_word_before_the_username_is_refused_not_read_as_ones_own(
    org: OfflineBot,
) -> None:
    await _week_of_logs(org)
    text = await org.say(MIA, "/diary week @sam")
    assert text.startswith("I can't read 'week @sam' as a period."), text
    assert "Priya" not in text
    assert _looks(org) == []


async def test_a_month_end_splits_the_days_at_local_midnight(org: OfflineBot) -> None:
    assert "✓" in await _sam(org, "doors 1 Pine 2026-10-31 at 23:59")
    assert "✓" in await _sam(org, "doors 2 Yew 2026-11-01 at 00:00")
    text = await org.say(MIA, "/diary @sam 2026-10-31..2026-11-01")
    assert text.splitlines()[1:] == [
        "Sat 31 Oct: resident contact 1",
        "  23:59 resident contact — Pine",
        "Sun 1 Nov: resident contact 2",
        "  00:00 2 × resident contact — Yew",
    ]
