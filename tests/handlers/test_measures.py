"""``/measures`` through the real bot: managers see people, members the aggregate, another
team's name is answered like no team's, and a long ``all`` is split into messages that fit."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from organiser_bot.domain.roles import Role
from storage.engine import Database
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import log, make_member, make_team

MANAGER = 1500
ORGANISER = 2001
COUNCILLOR = 2002
OTHER_MANAGER = 3001
STRANGER = 4004
LIMIT = 4096


async def _join(
    bot: OfflineBot, user_id: int, role: str, name: str, team: str = "north-ward"
) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    assert "Welcome" in await bot.say(user_id, f"/start {code.group(1)}", first_name=name)


async def _texts(bot: OfflineBot, user_id: int, text: str) -> list[str]:
    replies = await bot.replies(bot.message(user_id, text))
    texts = [str(r.params["text"]) for r in replies]
    assert texts, f"no reply to {text!r}"
    assert all(len(t.encode("utf-16-le")) // 2 <= LIMIT for t in texts)
    return texts


@pytest.fixture
async def org(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward (manager Mia, organiser Sam, councillor Cleo, all from Thu 12 Nov) and
    South Side (manager Ada); Cleo logged 7 resident contacts on Mon 16 Nov and Sam 2 on
    Tue 17 Nov; the clock is Thu 26 Nov."""
    now = offline_bot.clock.now
    offline_bot.clock.now = now - timedelta(weeks=2)
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await offline_bot.say(ADMIN_ID, "/newteam South Side")
    await _join(offline_bot, MANAGER, "manager", "Mia")
    await _join(offline_bot, ORGANISER, "organiser", "Sam")
    await _join(offline_bot, COUNCILLOR, "councillor", "Cleo")
    await _join(offline_bot, OTHER_MANAGER, "manager", "Ada", team="south-side")
    offline_bot.clock.now = now - timedelta(weeks=1)
    await offline_bot.say(COUNCILLOR, "doors 7 mon")
    await offline_bot.say(ORGANISER, "doors 2 tue")
    offline_bot.clock.now = now
    await offline_bot.say(COUNCILLOR, "doors 5 yesterday")  # this week: not complete
    return offline_bot


async def test_a_manager_sees_each_person_and_the_team(org: OfflineBot) -> None:
    [text] = await _texts(org, MANAGER, "/measures")
    assert text.startswith("North Ward · measures")
    assert "4 weeks 26 Oct – 22 Nov" in text
    # Cleo: 7 in the 11 days from 12 Nov to 22 Nov; Sam 2 in the same 11.
    assert "   4.5  Cleo, councillor (7 in 11 days)" in text
    assert "   1.3  Sam, organiser (2 in 11 days)" in text
    assert "   4.5  councillors (7 in 11 days)" in text
    assert "   2.9  team (9 in 22 days)" in text
    assert "Mia" not in text  # a manager is not in the rate
    assert "13 weeks 24 Aug – 22 Nov against the 13 before (25 May – 23 Aug)" in text
    assert "     9  resident contact (0 before: new)" in text
    assert "     —  Nov so far: no residents figure recorded (0 active)" in text


async def test_a_member_sees_the_aggregate_only(org: OfflineBot) -> None:
    [text] = await _texts(org, ORGANISER, "/measures")
    assert "Cleo" not in text and "Sam" not in text
    assert "   2.9  team (9 in 22 days)" in text
    assert "Per-person rates: the team's managers and admins." in text


async def test_another_teams_name_is_answered_like_no_teams(org: OfflineBot) -> None:
    [other] = await _texts(org, ORGANISER, "/measures south-side")
    [none] = await _texts(org, ORGANISER, "/measures nowhere")
    assert other.replace("south-side", "X") == none.replace("nowhere", "X")
    assert "South Side" not in other and "/measures north-ward lastmonth" in other
    [refused] = await _texts(org, STRANGER, "/measures")
    assert "members of a team and admins" in refused
    [bad] = await _texts(org, MANAGER, "/measures north-ward fortnight")
    assert "4w" in bad and "North Ward" not in bad


async def test_an_admin_sees_a_line_per_team_and_each_role_pooled(org: OfflineBot) -> None:
    [text] = await _texts(org, ADMIN_ID, "/measures all")
    lines = text.splitlines()
    assert lines[:6] == [
        "Measures of 2 teams",
        "Resident contacts a week present · 4 weeks 26 Oct – 22 Nov",
        "   4.5  councillors (7 in 11 days)",
        "   1.3  organisers (2 in 11 days)",
        "   2.9  all of them (9 in 22 days)",
        "",
    ]
    assert lines[6].startswith("Per team: contacts a week present · residents per active member")
    assert lines[6].endswith("(25 May – 23 Aug): resident contact")
    # North Ward's rate and its 9 contacts, new; South Side has no one in the rate and nothing
    # logged: dashes and a nought.
    assert lines[7:9] == ["   2.9       —  9 new · North Ward", "     —       —  0 · South Side"]
    assert "Cleo" not in text and "Sam" not in text  # nobody's own figures
    assert "/measures <team>" in lines[-1]
    # A team named: that team in full, per person.
    [north] = await _texts(org, ADMIN_ID, "/measures north-ward")
    assert "   4.5  Cleo, councillor (7 in 11 days)" in north


async def test_all_over_200_teams_is_a_few_messages_with_every_team_once(
    offline_bot: OfflineBot,
) -> None:
    db = Database(offline_bot.db_url)
    try:
        with db.begin() as conn:
            for t in range(200):
                team = make_team(conn, f"Headingley and Hyde Park {t:03d}")
                for p in range(3):
                    role = (Role.COUNCILLOR, Role.ORGANISER, Role.CASEWORKER)[p]
                    person = make_member(conn, team, 10_000 + t * 10 + p, f"Member {p}", role)
                    log(conn, person, team, "resident_contact", 1_000 + t, date(2026, 11, 17))
    finally:
        db.close()
    texts = await _texts(offline_bot, ADMIN_ID, "/measures all")
    assert 1 < len(texts) <= 5
    whole = "\n".join(texts)
    for t in range(200):
        [line] = [x for x in whole.splitlines() if x.endswith(f" Park {t:03d}")]
        # 1,000 + t each over three members' whole four weeks (84 days): × 3 × 7 / 84 a week.
        assert line.split()[0] == f"{(1_000 + t) * 3 * 7 / 84:.1f}"
        assert f"  {3 * (1_000 + t):,} new · " in line
    assert "Member" not in whole
    # Each role pooled over the 200 teams: 1,000 + t for t < 200, summed, in 200 × 28 days.
    assert "  councillors (219,900 in 5,600 days)" in whole
