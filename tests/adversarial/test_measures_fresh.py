"""``/measures`` tried as a new user would, through the real bot on SQLite and PostgreSQL: the
figures against a day-by-day count of what was logged (quick logs, /log with past days, /undo,
edits, /away, /remove and rejoining, /forgetme), complete weeks at Sunday night, Monday morning,
the clocks changing and a period's end, another team's name refused exactly like no team for
every role, replies within 4,096 characters, and the scrutiny ledger."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storage.engine import Database
from storage.models import Scrutiny
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot

LOOK = table_of(Scrutiny)
LIMIT = 4096

MIA, CLEO, SAM, KIT, NOOR, FAY, ADA, SOL, STRANGER = (
    1500,
    2001,
    2002,
    2003,
    2004,
    2005,
    3001,
    3002,
    9999,
)


def _at(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


async def _join(
    bot: OfflineBot, user_id: int, role: str, name: str, team: str, username: str | None = None
) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    welcome = await bot.say(user_id, f"/start {code.group(1)}", first_name=name, username=username)
    assert "Welcome" in welcome, welcome


async def _texts(bot: OfflineBot, user_id: int, text: str) -> list[str]:
    replies = await bot.replies(bot.message(user_id, text))
    texts = [str(r.params["text"]) for r in replies]
    assert texts, f"no reply to {text!r}"
    assert all(len(t.encode("utf-16-le")) // 2 <= LIMIT for t in texts), [len(t) for t in texts]
    return texts


async def _one(bot: OfflineBot, user_id: int, text: str) -> str:
    [reply] = await _texts(bot, user_id, text)
    return reply


def _looks(bot: OfflineBot) -> list[tuple[int, int]]:
    """(viewer person id, team id) of every look in the ledger."""
    db: Database = bot.app.bot_data.db
    with db.begin() as conn:
        rows = conn.execute(select(LOOK)).mappings().all()
    return [dict(r) for r in rows]  # type: ignore[misc]


def _rate(contacts: int, days: int) -> str:
    return f"{contacts * 7 / days:.1f}"


def _row(figure: str, text: str) -> str:
    return f"{figure:>6}  {text}"


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


async def _organisation(bot: OfflineBot) -> None:
    """North Ward and South Side from Tue 20 Oct 2026; what each member logs is in the test."""
    bot.clock.now = _at(2026, 10, 20)
    assert "North Ward" in await bot.say(ADMIN_ID, "/newteam North Ward")
    assert "South Side" in await bot.say(ADMIN_ID, "/newteam South Side")
    await _join(bot, MIA, "manager", "Mia", "north-ward", "mia")
    await _join(bot, CLEO, "councillor", "Cleo", "north-ward", "cleo")
    await _join(bot, SAM, "organiser", "Sam", "north-ward", "sam")
    await _join(bot, KIT, "caseworker", "Kit", "north-ward", "kit")
    await _join(bot, FAY, "organiser", "Fay", "north-ward", "fay")
    await _join(bot, ADA, "manager", "Ada", "south-side", "ada")
    await _join(bot, SOL, "councillor", "Sol", "south-side", "sol")


async def _history(bot: OfflineBot) -> None:
    """Everything logged, day by day (London is on UTC from 25 Oct):

    * Cleo (councillor, throughout): 7 on Tue 27 Oct; 3 for Tue 10 Nov logged on 12 Nov with
      /log; 4 on 12 Nov undone; 2 on Mon 16 Nov edited to 20; 1 at 23:30 on Sun 22 Nov; 100 at
      00:30 on Mon 23 Nov (the week not complete). 31 in 28 days.
    * Sam (organiser): away Mon 2 – Wed 4 Nov; 10 on Tue 10 Nov. 10 in 25 days.
    * Kit (caseworker): 2 on Mon 2 Nov; removed Wed 4 Nov; rejoined Mon 9 Nov; 8 on Fri 20
      Nov. 10 in 10 + 14 = 24 days.
    * Noor (councillor): joined Wed 11 Nov; 5 on Thu 12 Nov; 9 on Tue 24 Nov (not complete).
      5 in 12 days.
    * Fay (organiser): 6 for Mon 26 Oct; /forgetme on Wed 18 Nov. 6 in 24 days.
    * Mia (manager): 50 on Mon 16 Nov (in the 13 weeks, not in the rates).
    * Sol (South Side councillor, throughout): 3 on 12 Nov.

    North Ward's residents: 1,000 from 27 Oct, 2,000 from 5 Nov. Active in October: Cleo (Sam
    marked not); in November: Fay (before /forgetme), Cleo, Kit, Noor.
    """
    bot.clock.now = _at(2026, 10, 27)
    assert "1,000" in await bot.say(MIA, "/residents north-ward 1000")
    assert "✓" in await bot.say(CLEO, "doors 7")
    assert "✓" in await bot.say(FAY, "doors 6 yesterday")
    bot.clock.now = _at(2026, 11, 2)
    assert "✓" in await bot.say(KIT, "doors 2")
    away = await bot.say(SAM, "/away 2026-11-02 2026-11-04")
    assert "2 Nov" in away or "away" in away.lower(), away
    bot.clock.now = _at(2026, 11, 4)
    removed = await bot.say(MIA, "/remove north-ward @kit confirm")
    assert "Kit" in removed, removed
    bot.clock.now = _at(2026, 11, 5)
    assert "2,000" in await bot.say(MIA, "/residents north-ward 2,000")
    bot.clock.now = _at(2026, 11, 9)
    await _join(bot, KIT, "caseworker", "Kit", "north-ward", "kit")
    bot.clock.now = _at(2026, 11, 10)
    assert "✓" in await bot.say(SAM, "doors 10")
    bot.clock.now = _at(2026, 11, 11)
    await _join(bot, NOOR, "councillor", "Noor", "north-ward", "noor")
    bot.clock.now = _at(2026, 11, 12)
    assert "✓" in await bot.say(CLEO, "/log contacts 3 2026-11-10")
    assert "✓" in await bot.say(NOOR, "doors 5")
    assert "✓" in await bot.say(CLEO, "doors 4")
    assert "4" in await bot.say(CLEO, "/undo")
    assert "✓" in await bot.say(SOL, "doors 3")
    for mark in ("@fay", "@cleo", "@cleo october", "@sam october no"):
        assert (
            "Fay" in (said := await bot.say(MIA, f"/active {mark}"))
            or "Cleo" in said
            or ("Sam" in said)
        ), said
    bot.clock.now = _at(2026, 11, 16)
    original = bot.message(CLEO, "doors 2")
    [ok] = await bot.replies(original)
    assert "✓" in ok.params["text"]
    await bot.process(bot.updates.edited(original, "doors 20"))
    assert "✓" in await bot.say(MIA, "doors 50")
    bot.clock.now = _at(2026, 11, 18)
    await bot.say(FAY, "/forgetme")
    gone = await bot.say(FAY, "/forgetme confirm")
    assert "erased" in gone.lower() or "forgot" in gone.lower(), gone
    bot.clock.now = _at(2026, 11, 20)
    assert "✓" in await bot.say(KIT, "doors 8")
    assert "Kit" in await bot.say(MIA, "/active @kit")
    assert "Noor" in await bot.say(MIA, "/active @noor")
    bot.clock.now = _at(2026, 11, 22, 23, 30)
    assert "✓" in await bot.say(CLEO, "doors 1")
    bot.clock.now = _at(2026, 11, 23, 0, 30)
    assert "✓" in await bot.say(CLEO, "doors 100")
    bot.clock.now = _at(2026, 11, 24)
    assert "✓" in await bot.say(NOOR, "doors 9")
    bot.clock.now = _at(2026, 11, 26)


@pytest.fixture
async def org(offline_bot: OfflineBot) -> OfflineBot:
    await _organisation(offline_bot)
    await _history(offline_bot)
    return offline_bot


async def test_a_managers_figures_match_the_day_by_day_count(org: OfflineBot) -> None:
    text = await _one(org, MIA, "/measures")
    lines = text.splitlines()
    assert lines[0] == "North Ward · measures"
    assert "4 weeks 26 Oct – 22 Nov" in lines[1]
    for name, role, n, d in [
        ("Cleo", "councillor", 31, 28),
        ("Sam", "organiser", 10, 25),
        ("Kit", "caseworker", 10, 24),
        ("Noor", "councillor", 5, 12),
        ("former member", "organiser", 6, 24),
    ]:
        assert _row(_rate(n, d), f"{name}, {role} ({n} in {_days(d)})") in lines, (name, text)
    assert _row(_rate(36, 40), "councillors (36 in 40 days)") in lines, text
    assert _row(_rate(16, 49), "organisers (16 in 49 days)") in lines, text
    assert _row(_rate(10, 24), "caseworkers (10 in 24 days)") in lines, text
    assert _row(_rate(62, 113), "team (62 in 113 days)") in lines, text
    assert "Mia" not in text and "Fay" not in text
    assert "13 weeks 24 Aug – 22 Nov against the 13 before (25 May – 23 Aug)" in text
    assert _row("112", "resident contact (0 before: new)") in lines, text


async def test_the_summary_agrees_with_each_team_in_full(org: OfflineBot) -> None:
    whole = "\n".join(await _texts(org, ADMIN_ID, "/measures all"))
    lines = whole.splitlines()
    assert lines[0] == "Measures of 2 teams"
    assert _row(_rate(39, 68), "councillors (39 in 68 days)") in lines, whole
    assert _row(_rate(16, 49), "organisers (16 in 49 days)") in lines, whole
    assert _row(_rate(10, 24), "caseworkers (10 in 24 days)") in lines, whole
    assert _row(_rate(65, 141), "all of them (65 in 141 days)") in lines, whole
    assert f"{_rate(62, 113):>6}     500  112 new · North Ward" in lines, whole
    assert f"{_rate(3, 28):>6}       —  3 new · South Side" in lines, whole
    assert "Cleo" not in whole and "former member" not in whole


async def test_residents_per_active_member_by_month(org: OfflineBot) -> None:
    lines = (await _one(org, MIA, "/measures")).splitlines()
    at = lines.index("Residents per active member")
    assert lines[at + 1 :][:3] == [
        _row("—", "Sep: no member active (1,000 residents)"),
        _row("1,000", "Oct (1,000 residents, 1 active)"),
        _row("500", "Nov so far (2,000 residents, 4 active)"),
    ], lines
    whole = "\n".join(await _texts(org, ADMIN_ID, "/measures all"))
    assert f"{_rate(62, 113):>6}     500  112 new · North Ward" in whole, whole


async def test_last_month_is_measured_as_at_its_end(org: OfflineBot) -> None:
    """October ends on Saturday 31st: its last complete week ends Sunday 25 Oct, the day the
    clocks went back; October is not "so far"."""
    text = await _one(org, MIA, "/measures north-ward 2026-10-01..2026-10-31")
    lines = text.splitlines()
    assert "4 weeks 28 Sep – 25 Oct" in lines[1], text
    # Everyone joined on Tue 20 Oct: 6 days each; nothing logged before 26 Oct.
    assert _row(_rate(0, 6), "Cleo, councillor (0 in 6 days)") in lines, text
    assert "Noor" not in text  # joined in November
    assert "13 weeks 27 Jul – 25 Oct" in text and "nothing logged in either" in text
    assert "so far" not in text
    assert _row("1,000", "Oct (1,000 residents, 1 active)") in lines, text


# --- Complete weeks at the boundaries ------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "window"),
    [
        # London on GMT: Sunday 23:30 is still Sunday; Monday 00:30 completes the week.
        (_at(2026, 11, 29, 23, 30), "26 Oct – 22 Nov"),
        (_at(2026, 11, 29, 23, 59), "26 Oct – 22 Nov"),
        (_at(2026, 11, 30, 0, 0), "2 Nov – 29 Nov"),
        (_at(2026, 11, 30, 0, 30), "2 Nov – 29 Nov"),
        # On BST, Sunday 23:30 UTC is Monday 00:30 in London: the week is complete.
        (_at(2026, 10, 18, 22, 59), "14 Sep – 11 Oct"),
        (_at(2026, 10, 18, 23, 0), "21 Sep – 18 Oct"),
        # The Sunday the clocks go back (25 Oct): 23:30 UTC is 23:30 GMT, still Sunday.
        (_at(2026, 10, 25, 23, 30), "21 Sep – 18 Oct"),
        (_at(2026, 10, 26, 0, 0), "28 Sep – 25 Oct"),
        # Spring forward (29 Mar 2026): 23:00 UTC on Sunday is Monday in London.
        (_at(2026, 3, 29, 22, 30), "23 Feb – 22 Mar"),
        (_at(2026, 3, 29, 23, 0), "2 Mar – 29 Mar"),
        # Across a new year.
        (_at(2027, 1, 4, 9, 0), "7 Dec 2026 – 3 Jan 2027"),
    ],
)
async def test_a_week_is_complete_from_monday_midnight_local(
    offline_bot: OfflineBot, now: datetime, window: str
) -> None:
    bot = offline_bot
    bot.clock.now = _at(2026, 1, 5)
    await bot.say(ADMIN_ID, "/newteam North Ward")
    bot.clock.now = now
    text = await _one(bot, ADMIN_ID, "/measures")
    assert text.splitlines()[1] == f"Resident contacts a week present · 4 weeks {window}", text


async def test_an_entry_at_local_midnight_falls_in_the_local_week(offline_bot: OfflineBot) -> None:
    """Sun 18 Oct 2026 23:30 UTC is Mon 19 Oct 00:30 in London (BST): an entry then is in the
    week from 19 Oct, not yet complete at Mon 19 Oct 08:00; 22:30 UTC is still Sunday."""
    bot = offline_bot
    bot.clock.now = _at(2026, 9, 1)
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(bot, CLEO, "councillor", "Cleo", "north-ward")
    bot.clock.now = _at(2026, 10, 18, 22, 30)
    assert "Sun 18 Oct" in await bot.say(CLEO, "doors 3")
    bot.clock.now = _at(2026, 10, 18, 23, 30)
    assert "Mon 19 Oct" in await bot.say(CLEO, "doors 40")
    bot.clock.now = _at(2026, 10, 19, 7, 0)
    lines = (await _one(bot, ADMIN_ID, "/measures")).splitlines()
    assert lines[1].endswith("21 Sep – 18 Oct"), lines
    assert _row(_rate(3, 28), "Cleo, councillor (3 in 28 days)") in lines, lines
    assert _row("3", "resident contact (0 before: new)") in lines, lines


@pytest.mark.parametrize(
    ("period", "window", "months"),
    [
        ("2026-11-01..2026-11-22", "26 Oct – 22 Nov", ("Sep", "Oct", "Nov so far")),
        ("2026-11-01..2026-11-21", "19 Oct – 15 Nov", ("Sep", "Oct", "Nov so far")),
        ("last", "26 Oct – 22 Nov", ("Sep", "Oct", "Nov so far")),
        ("2026-W46", "19 Oct – 15 Nov", ("Sep", "Oct", "Nov so far")),
        ("2026-09-01..2026-09-30", "31 Aug – 27 Sep", ("Jul", "Aug", "Sep")),
        # A period reaching past today is measured as at today.
        ("2026-11-01..2026-12-31", "26 Oct – 22 Nov", ("Sep", "Oct", "Nov so far")),
        # A leap February (2024) ends on Thursday 29th.
        ("2024-02-01..2024-02-29", "29 Jan – 25 Feb", ("Dec", "Jan", "Feb")),
    ],
)
async def test_the_as_at_day_is_the_periods_end(
    offline_bot: OfflineBot, period: str, window: str, months: tuple[str, ...]
) -> None:
    bot = offline_bot
    assert "North Ward" in await bot.say(ADMIN_ID, "/newteam North Ward")
    text = await _one(bot, ADMIN_ID, f"/measures north-ward {period}")
    lines = text.splitlines()
    assert lines[1].endswith(f"4 weeks {window}"), text
    at = lines.index("Residents per active member")
    shown = [line.split(":")[0].split("(")[0].strip(" —") for line in lines[at + 1 : at + 4]]
    assert shown == list(months), lines
    # The period on its own, without the team, reads the same.
    assert await _one(bot, ADMIN_ID, f"/measures {period}") == text


# --- Who sees what, refusals and the scrutiny ledger ---------------------------------------------


@pytest.mark.parametrize("user_id", [CLEO, SAM, KIT, NOOR])
async def test_a_member_sees_their_teams_aggregate_and_records_no_look(
    org: OfflineBot, user_id: int
) -> None:
    before = _looks(org)
    for asked in ("/measures", "/measures north-ward", "/measures all", "/measures last"):
        text = await _one(org, user_id, asked)
        assert text.startswith("North Ward · measures"), (asked, text)
        for name in ("Cleo", "Sam", "Kit", "Noor", "former member", "Mia", "South Side"):
            assert name not in text, (asked, name, text)
        assert _row(_rate(62, 113), "team (62 in 113 days)") in text.splitlines(), text
        assert "Per-person rates: the team's managers and admins." in text
    assert _looks(org) == before


@pytest.mark.parametrize("user_id", [MIA, CLEO, SAM, KIT, ADA, SOL])
@pytest.mark.parametrize("after", ["", " lastmonth", " 2026-11-01..2026-11-22", " all"])
async def test_another_teams_name_is_refused_exactly_like_no_teams(
    org: OfflineBot, user_id: int, after: str
) -> None:
    own, other = (
        ("south-side", "north-ward") if user_id in (ADA, SOL) else ("north-ward", "south-side")
    )
    before = _looks(org)
    [theirs] = await _texts(org, user_id, f"/measures {other}{after}")
    [nobodys] = await _texts(org, user_id, f"/measures zzzzzzzzzz{after}")
    assert theirs.replace(other, "X") == nobodys.replace("zzzzzzzzzz", "X")
    assert theirs.count(other) == 1  # the echo of what was typed, nothing more
    for name in ("North Ward", "South Side"):
        assert name not in theirs
    assert own in theirs
    assert _looks(org) == before


async def test_strangers_and_the_forgotten_are_refused_alike(org: OfflineBot) -> None:
    before = _looks(org)
    replies = {
        await _one(org, who, asked)
        for who in (STRANGER, FAY)
        for asked in ("/measures", "/measures north-ward", "/measures all", "/measures zz")
    }
    assert len(replies) == 1, replies
    [refused] = replies
    assert "North Ward" not in refused and "north-ward" not in refused
    assert _looks(org) == before


async def test_each_look_by_a_manager_or_admin_is_recorded_per_team_shown(
    org: OfflineBot,
) -> None:
    def ledger() -> list[tuple[int, str, int | None]]:
        return sorted((r["team_id"], r["what"], r["subject_person_id"]) for r in _looks(org))

    start = ledger()
    db: Database = org.app.bot_data.db
    with db.begin() as conn:
        from sqlalchemy import text as sql

        teams = dict(conn.execute(sql("SELECT slug, id FROM team")).all())
        people = dict(conn.execute(sql("SELECT telegram_user_id, id FROM person")).all())
    north, south = teams["north-ward"], teams["south-side"]
    await _one(org, MIA, "/measures")
    await _one(org, MIA, "/measures all")  # Mia manages one team: that team
    await _one(org, ADA, "/measures south-side last")
    await _texts(org, ADMIN_ID, "/measures all")
    await _one(org, ADMIN_ID, "/measures north-ward")
    await _one(org, MIA, "/measures north-ward fortnight")  # refused: no look
    assert start == []
    assert ledger() == sorted(
        [
            (north, "measures", None),
            (north, "measures", None),
            (south, "measures", None),
            (north, "measures", None),
            (south, "measures", None),
            (north, "measures", None),
        ]
    ), ledger()
    viewers = sorted(r["viewer_person_id"] for r in _looks(org))
    assert viewers.count(people[MIA]) == 2
    assert viewers.count(people[ADA]) == 1
    assert viewers.count(people[ADMIN_ID]) == 3


# --- Odd memberships: gaps and absences together, two teams, a new role, redelivery --------------

KIT2, ZED, IVY, AMAL = 5001, 5002, 5003, 5004


async def _odd(bot: OfflineBot) -> None:
    """Leeds and York from Tue 20 Oct 2026, measured on Thu 26 Nov (4 weeks 26 Oct – 22 Nov).

    * Kit (Leeds caseworker): away Tue 3 – Sat 7 Nov; removed Wed 4 Nov; rejoined Mon 9 Nov as
      a councillor (a new role applies to the whole window); 2 on Mon 2 Nov, 8 on Fri 20 Nov.
      Days: 26 Oct – 2 Nov (8) + 9 – 22 Nov (14) = 22, as a councillor.
    * Zed (Leeds organiser): away 20 Oct – 31 Dec: no day present.
    * Ivy (organiser in Leeds, then York): 6 on Wed 11 Nov to Leeds (the update delivered
      twice), 4 on Tue 10 Nov to York with #york; away 16–17 Nov, withdrawn with /away cancel.
    * أمل (York councillor, right to left): 1 on Thu 12 Nov.
    """
    bot.clock.now = _at(2026, 10, 20)
    await bot.say(ADMIN_ID, "/newteam Leeds")
    await bot.say(ADMIN_ID, "/newteam York")
    await _join(bot, KIT2, "caseworker", "Kit", "leeds", "kit")
    await _join(bot, ZED, "organiser", "Zed", "leeds", "zed")
    await _join(bot, IVY, "organiser", "Ivy", "leeds", "ivy")
    await _join(bot, IVY, "organiser", "Ivy", "york", "ivy")
    await _join(bot, AMAL, "councillor", "أمل", "york", "amal")
    assert "Dec" in await bot.say(ZED, "/away 2026-10-20 2026-12-31")
    bot.clock.now = _at(2026, 11, 2)
    assert "✓" in await bot.say(KIT2, "doors 2")
    assert "Nov" in await bot.say(KIT2, "/away 2026-11-03 2026-11-07")
    bot.clock.now = _at(2026, 11, 4)
    assert "Kit" in await bot.say(ADMIN_ID, "/remove leeds @kit confirm")
    bot.clock.now = _at(2026, 11, 9)
    await _join(bot, KIT2, "councillor", "Kit", "leeds", "kit")
    bot.clock.now = _at(2026, 11, 10)
    assert "✓" in await bot.say(IVY, "doors 4 #york")
    assert "Nov" in await bot.say(IVY, "/away 2026-11-16 2026-11-17")
    assert "Nov" in await bot.say(IVY, "/away cancel")
    bot.clock.now = _at(2026, 11, 11)
    twice = bot.message(IVY, "doors 6 #leeds")
    await bot.process(twice)
    await bot.process(twice)
    bot.clock.now = _at(2026, 11, 12)
    assert "✓" in await bot.say(AMAL, "doors 1")
    bot.clock.now = _at(2026, 11, 20)
    assert "✓" in await bot.say(KIT2, "doors 8")
    bot.clock.now = _at(2026, 11, 26)


async def test_gaps_absences_two_teams_and_a_new_role_in_full_and_in_summary(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _odd(bot)
    leeds = (await _one(bot, ADMIN_ID, "/measures leeds")).splitlines()
    assert _row(_rate(10, 22), "Kit, councillor (10 in 22 days)") in leeds, leeds
    assert _row("—", "Zed, organiser: no day present") in leeds, leeds
    assert _row(_rate(6, 28), "Ivy, organiser (6 in 28 days)") in leeds, leeds
    assert _row(_rate(10, 22), "councillors (10 in 22 days)") in leeds, leeds
    assert _row(_rate(6, 28), "organisers (6 in 28 days)") in leeds, leeds
    assert _row(_rate(16, 50), "team (16 in 50 days)") in leeds, leeds
    assert not any("caseworker" in line for line in leeds), leeds
    york = (await _one(bot, ADMIN_ID, "/measures york")).splitlines()
    assert _row(_rate(4, 28), "Ivy, organiser (4 in 28 days)") in york, york
    assert _row(_rate(1, 28), "\u2068أمل\u2069, councillor (1 in 28 days)") in york or any(
        "أمل" in line and line.startswith(_row(_rate(1, 28), "")) for line in york
    ), york
    assert _row(_rate(5, 56), "team (5 in 56 days)") in york, york
    whole = (await _one(bot, ADMIN_ID, "/measures all")).splitlines()
    assert _row(_rate(11, 50), "councillors (11 in 50 days)") in whole, whole
    assert _row(_rate(10, 56), "organisers (10 in 56 days)") in whole, whole
    assert _row(_rate(21, 106), "all of them (21 in 106 days)") in whole, whole
    assert f"{_rate(16, 50):>6}       —  16 new · Leeds" in whole, whole
    assert any(line.startswith(f"{_rate(5, 56):>6}       —  5 new · ") for line in whole), whole


async def test_a_manager_of_one_team_and_councillor_of_another_records_only_the_first(
    org: OfflineBot,
) -> None:
    """Mia manages North Ward and joins South Side as a councillor: South Side's measures are
    the aggregate to her and her look at them is not scrutiny."""
    await _join(org, MIA, "councillor", "Mia", "south-side", "mia")
    south = await _one(org, MIA, "/measures south-side")
    assert south.startswith("South Side · measures")
    assert "Sol" not in south and "Mia" not in south
    assert _looks(org) == []
    whole = "\n".join(await _texts(org, MIA, "/measures all"))
    assert whole.startswith("Measures of 2 teams") and "Sol" not in whole
    assert [r["what"] for r in _looks(org)] == ["measures"]
    assert len({r["team_id"] for r in _looks(org)}) == 1


async def test_a_team_of_300_long_names_in_every_script_fits_in_messages(
    offline_bot: OfflineBot,
) -> None:
    from datetime import date

    from organiser_bot.domain.roles import Role
    from tests.digest_factories import log, make_member, make_team

    scripts = ["Émilie-Ånne", "محمد عبد الله", "שרה", "Ζωή", "Дмитрий", "李小龍", "👩🏽‍🔧 Jo"]
    names = [f"{scripts[i % len(scripts)]} {'x' * 40} {i:03d}" for i in range(300)]
    db: Database = offline_bot.app.bot_data.db
    with db.begin() as conn:
        team = make_team(conn, "Big Ward")
        for i, name in enumerate(names):
            role = (Role.COUNCILLOR, Role.ORGANISER, Role.CASEWORKER)[i % 3]
            person = make_member(conn, team, 20_000 + i, name, role)
            log(conn, person, team, "resident_contact", 1 + i % 7, date(2026, 11, 17))
    texts = await _texts(offline_bot, ADMIN_ID, "/measures big-ward")
    assert len(texts) > 1
    assert texts[0].startswith("Big Ward · measures")
    whole = "\n".join(texts)
    for i, name in enumerate(names):
        hits = [line for line in whole.splitlines() if f"{i:03d}" in line and "x" * 40 in line]
        assert len(hits) == 1, (name, hits)
        n = 1 + i % 7
        assert hits[0].startswith(_row(_rate(n, 28), "")), hits
        assert hits[0].endswith(f" ({n} in 28 days)"), hits
    total = sum(1 + i % 7 for i in range(300))
    assert _row(_rate(total, 300 * 28), f"team ({total:,} in {300 * 28:,} days)") in whole
    assert "Residents per active member" in texts[-1]


async def test_check_in_taps_count_as_active_and_the_latest_word_stands(org: OfflineBot) -> None:
    """November's check-in on Mon 30 Nov asks those not marked yet (Sam and Mia): Sam taps Yes,
    Mia (a manager is a member too) Yes, then No. Active in November: Fay, Cleo, Kit and Noor
    (marked) and Sam."""
    from handlers.residents import TelegramCheckinAsker
    from organiser_bot.domain.moment import Moment
    from organiser_bot.usecases.residents import send_checkins

    bot = org
    bot.clock.now = _at(2026, 11, 30, 11, 0)
    data = bot.app.bot_data
    since = len(bot.request.calls)
    moment = Moment(now=data.now(), tz=data.settings.tz, kinds=data.kinds)
    await send_checkins(TelegramCheckinAsker(bot.app.bot), data.db, moment=moment)
    asked = {
        int(c.params["chat_id"]): c for c in bot.request.calls[since:] if c.method == "sendMessage"
    }
    assert {SAM, MIA} <= set(asked) and not {CLEO, KIT, NOOR, FAY} & set(asked), sorted(asked)

    async def tap(user_id: int, answer: str) -> None:
        call = asked[user_id]
        buttons = [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
        [button] = [b for b in buttons if b["text"].startswith(answer)]
        await bot.process(
            bot.updates.callback_query(user_id, button["callback_data"], message=call.result)
        )

    await tap(SAM, "Yes")
    await tap(MIA, "Yes")
    lines = (await _one(bot, MIA, "/measures")).splitlines()
    assert _row("333", "Nov so far (2,000 residents, 6 active)") in lines, lines
    await tap(MIA, "No")
    lines = (await _one(bot, MIA, "/measures")).splitlines()
    assert _row("400", "Nov so far (2,000 residents, 5 active)") in lines, lines
    bot.clock.now = _at(2026, 12, 1, 9, 0)
    lines = (await _one(bot, MIA, "/measures")).splitlines()
    at = lines.index("Residents per active member")
    assert lines[at + 1 : at + 4] == [
        _row("1,000", "Oct (1,000 residents, 1 active)"),
        _row("400", "Nov (2,000 residents, 5 active)"),
        _row("—", "Dec so far: no member active (2,000 residents)"),
    ], lines
    # A period ending in November: November is over, not "so far".
    lines = (await _one(bot, MIA, "/measures 2026-11-01..2026-11-30")).splitlines()
    assert _row("400", "Nov (2,000 residents, 5 active)") in lines, lines
    assert not any("so far" in line for line in lines), lines


async def test_joining_and_leaving_after_local_midnight_count_from_the_local_day(
    offline_bot: OfflineBot,
) -> None:
    """On BST, 23:30 UTC on Sunday is 00:30 on Monday in London: Cleo joining then joined on
    Monday 19 Oct; Kit removed at 23:30 UTC on Sun 25 Oct (GMT again: still Sunday) left on
    Sunday. Measured on Thu 29 Oct (4 weeks 28 Sep – 25 Oct): Cleo 7 days, Kit 28."""
    bot = offline_bot
    bot.clock.now = _at(2026, 9, 1)
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(bot, KIT, "caseworker", "Kit", "north-ward", "kit")
    bot.clock.now = _at(2026, 10, 18, 23, 30)
    await _join(bot, CLEO, "councillor", "Cleo", "north-ward", "cleo")
    bot.clock.now = _at(2026, 10, 25, 23, 30)
    assert "Kit" in await bot.say(ADMIN_ID, "/remove north-ward @kit confirm")
    bot.clock.now = _at(2026, 10, 29)
    lines = (await _one(bot, ADMIN_ID, "/measures")).splitlines()
    assert lines[1].endswith("28 Sep – 25 Oct"), lines
    assert _row(_rate(0, 7), "Cleo, councillor (0 in 7 days)") in lines, lines
    assert _row(_rate(0, 28), "Kit, caseworker (0 in 28 days)") in lines, lines


async def test_removed_and_back_the_same_day_or_the_next_loses_no_day(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    bot.clock.now = _at(2026, 10, 1)
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(bot, KIT, "caseworker", "Kit", "north-ward", "kit")
    await _join(bot, SAM, "organiser", "Sam", "north-ward", "sam")
    bot.clock.now = _at(2026, 11, 4, 9, 0)
    assert "Kit" in await bot.say(ADMIN_ID, "/remove north-ward @kit confirm")
    assert "Sam" in await bot.say(ADMIN_ID, "/remove north-ward @sam confirm")
    bot.clock.now = _at(2026, 11, 4, 15, 0)
    await _join(bot, KIT, "caseworker", "Kit", "north-ward", "kit")
    bot.clock.now = _at(2026, 11, 5, 9, 0)
    await _join(bot, SAM, "organiser", "Sam", "north-ward", "sam")
    assert "✓" in await bot.say(KIT, "doors 3")
    bot.clock.now = _at(2026, 11, 26)
    lines = (await _one(bot, ADMIN_ID, "/measures")).splitlines()
    assert _row(_rate(3, 28), "Kit, caseworker (3 in 28 days)") in lines, lines
    assert _row(_rate(0, 28), "Sam, organiser (0 in 28 days)") in lines, lines
    await bot.say(ADMIN_ID, "/newteam South Side")
    whole = (await _one(bot, ADMIN_ID, "/measures all")).splitlines()
    assert _row(_rate(3, 56), "all of them (3 in 56 days)") in whole, whole


async def test_an_edit_moving_an_entry_to_another_kind_or_week_moves_it_in_the_measures(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    bot.clock.now = _at(2026, 10, 1)
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(bot, CLEO, "councillor", "Cleo", "north-ward", "cleo")
    bot.clock.now = _at(2026, 11, 12)
    original = bot.message(CLEO, "doors 5")
    await bot.process(original)
    bot.clock.now = _at(2026, 11, 26)

    async def shown() -> list[str]:
        return (await _one(bot, ADMIN_ID, "/measures")).splitlines()

    assert _row(_rate(5, 28), "Cleo, councillor (5 in 28 days)") in await shown()
    await bot.process(bot.updates.edited(original, "doors 5 2026-10-06"))
    lines = await shown()
    assert _row(_rate(0, 28), "Cleo, councillor (0 in 28 days)") in lines, lines
    assert _row("5", "resident contact (0 before: new)") in lines, lines
    await bot.process(bot.updates.edited(original, "121 x5"))
    lines = await shown()
    assert _row(_rate(0, 28), "Cleo, councillor (0 in 28 days)") in lines, lines
    assert _row("5", "one-to-one (0 before: new)") in lines, lines
    assert not any("resident contact" in line for line in lines), lines


async def test_an_archived_team_is_refused_like_no_team_and_left_out_of_all(
    org: OfflineBot,
) -> None:
    from sqlalchemy import update

    from storage.models import Team

    team = table_of(Team)
    db: Database = org.app.bot_data.db
    with db.begin() as conn:
        conn.execute(
            update(team).where(team.c.slug == "south-side").values(archived_at=_at(2026, 11, 25))
        )
    archived = await _one(org, ADMIN_ID, "/measures south-side")
    none = await _one(org, ADMIN_ID, "/measures zzzzzzzzzz")
    assert archived.replace("south-side", "X") == none.replace("zzzzzzzzzz", "X")
    whole = "\n".join(await _texts(org, ADMIN_ID, "/measures all"))
    assert "South Side" not in whole and "Sol" not in whole
    assert len(_looks(org)) == 1  # North Ward's, by /measures all; none for the refusals


async def test_namesakes_and_other_scripts_in_a_teams_measures(offline_bot: OfflineBot) -> None:
    """Two councillors called Sam (one @sam_a, one without a username) and a team whose name is
    in Cyrillic: each Sam on a line of their own, told apart, the team found by its name."""
    bot = offline_bot
    bot.clock.now = _at(2026, 10, 1)
    reply = await bot.say(ADMIN_ID, "/newteam Северный")
    assert "Северный" in reply, reply
    slug = "северный"
    await _join(bot, SAM, "councillor", "Sam", slug, "sam_a")
    await _join(bot, CLEO, "councillor", "Sam", slug, None)
    bot.clock.now = _at(2026, 11, 10)
    assert "✓" in await bot.say(SAM, "doors 4")
    assert "✓" in await bot.say(CLEO, "doors 9")
    bot.clock.now = _at(2026, 11, 26)
    text = await _one(bot, ADMIN_ID, f"/measures {slug.upper()}")
    lines = text.splitlines()
    sams = [line for line in lines if "Sam" in line]
    assert len(sams) == 2, text
    assert sams[0] != sams[1]
    assert {line[:6] for line in sams} == {f"{_rate(4, 28):>6}", f"{_rate(9, 28):>6}"}, sams
    assert sams[0].split(", councillor")[0] != sams[1].split(", councillor")[0], sams
    assert _row(_rate(13, 56), "councillors (13 in 56 days)") in lines, text


@pytest.mark.parametrize("live", [3, 60])
async def test_all_shows_no_kind_logged_only_in_an_archived_team(
    offline_bot: OfflineBot, live: int
) -> None:
    """Every live team logged resident contacts; an archived team alone logged one-to-ones.
    ``/measures all`` lists the kinds of the teams shown: one-to-ones are no column of it
    (with more than 50 teams the reads take every team, archived ones included)."""
    from datetime import date

    from sqlalchemy import update

    from organiser_bot.domain.roles import Role
    from storage.models import Team
    from tests.digest_factories import log, make_member, make_team

    db: Database = offline_bot.app.bot_data.db
    with db.begin() as conn:
        for t in range(live):
            team = make_team(conn, f"Ward {t:02d}")
            person = make_member(conn, team, 30_000 + t, f"Member {t}", Role.ORGANISER)
            log(conn, person, team, "resident_contact", 2, date(2026, 11, 17))
        gone = make_team(conn, "Closed Ward")
        person = make_member(conn, gone, 39_999, "Closed", Role.ORGANISER)
        log(conn, person, gone, "one_to_one", 5, date(2026, 11, 17))
        t_ = table_of(Team)
        conn.execute(update(t_).where(t_.c.id == gone).values(archived_at=_at(2026, 11, 25)))
    whole = "\n".join(await _texts(offline_bot, ADMIN_ID, "/measures all"))
    assert f"Measures of {live} teams" in whole
    assert "Closed" not in whole
    assert "one-to-one" not in whole, whole[:600]
    ward = [line for line in whole.splitlines() if line.endswith("Ward 00")]
    assert ward == [f"{_rate(2, 28):>6}       —  2 new · Ward 00"], ward
    looks = _looks(offline_bot)
    assert len(looks) == live and gone not in {r["team_id"] for r in looks}
    assert len({r["team_id"] for r in looks}) == live


async def test_a_manager_of_many_teams_sees_no_kind_of_a_team_not_theirs(
    offline_bot: OfflineBot,
) -> None:
    from datetime import date

    from organiser_bot.domain.roles import Role
    from tests.digest_factories import log, make_member, make_team

    db: Database = offline_bot.app.bot_data.db
    with db.begin() as conn:
        for t in range(51):
            team = make_team(conn, f"Ward {t:02d}")
            make_member(conn, team, MIA, "Mia", Role.MANAGER)
            person = make_member(conn, team, 30_000 + t, f"Member {t}", Role.ORGANISER)
            log(conn, person, team, "resident_contact", 2, date(2026, 11, 17))
        other = make_team(conn, "Elsewhere")
        person = make_member(conn, other, 39_999, "Else", Role.ORGANISER)
        log(conn, person, other, "one_to_one", 5, date(2026, 11, 17))
    whole = "\n".join(await _texts(offline_bot, MIA, "/measures all"))
    assert "Measures of 51 teams" in whole
    assert "Elsewhere" not in whole
    assert "one-to-one" not in whole, whole[:600]
    looks = _looks(offline_bot)
    assert len(looks) == 51 and other not in {r["team_id"] for r in looks}
    assert len({r["team_id"] for r in looks}) == 51
    # Mia joins Elsewhere as a councillor: 52 teams shown, her look at Elsewhere not recorded.
    with db.begin() as conn:
        make_member(conn, other, MIA, "Mia", Role.COUNCILLOR)
    whole = "\n".join(await _texts(offline_bot, MIA, "/measures all"))
    assert "Measures of 52 teams" in whole and "Elsewhere" in whole
    looks = _looks(offline_bot)
    assert len(looks) == 102 and other not in {r["team_id"] for r in looks}


async def test_thirteen_weeks_against_the_thirteen_before_at_their_edges(
    offline_bot: OfflineBot,
) -> None:
    """As at Thu 26 Nov: 13 weeks 24 Aug – 22 Nov, the 13 before 25 May – 23 Aug. Resident
    contacts: 1 on Sun 24 May (in neither), 4 on Mon 25 May and 6 on Sun 23 Aug (before), 2 on
    Mon 24 Aug and 3 on Sun 22 Nov (now), 50 on Mon 23 Nov (in neither): 5 against 10.
    One-to-ones: 3 on Wed 1 Jul only: 0 against 3. Casework: 7 on Mon 24 Aug: new."""
    from datetime import date

    from organiser_bot.domain.roles import Role
    from tests.digest_factories import log, make_member, make_team

    db: Database = offline_bot.app.bot_data.db
    with db.begin() as conn:
        team = make_team(conn, "North Ward", created_at=_at(2026, 1, 5))
        other = make_team(conn, "South Side", created_at=_at(2026, 1, 5))
        cleo = make_member(conn, team, CLEO, "Cleo", Role.COUNCILLOR, joined_on=date(2026, 1, 5))
        make_member(conn, other, SOL, "Sol", Role.COUNCILLOR, joined_on=date(2026, 1, 5))
        for kind, n, day in [
            ("resident_contact", 1, date(2026, 5, 24)),
            ("resident_contact", 4, date(2026, 5, 25)),
            ("resident_contact", 6, date(2026, 8, 23)),
            ("resident_contact", 2, date(2026, 8, 24)),
            ("resident_contact", 3, date(2026, 11, 22)),
            ("resident_contact", 50, date(2026, 11, 23)),
            ("one_to_one", 3, date(2026, 7, 1)),
            ("casework", 7, date(2026, 8, 24)),
        ]:
            log(conn, cleo, team, kind, n, day)
    lines = (await _one(offline_bot, ADMIN_ID, "/measures north-ward")).splitlines()
    assert "13 weeks 24 Aug – 22 Nov against the 13 before (25 May – 23 Aug)" in lines, lines
    at = lines.index("13 weeks 24 Aug – 22 Nov against the 13 before (25 May – 23 Aug)")
    assert lines[at + 1 : at + 4] == [
        _row("0", "one-to-one (3 before: -3, -100%)"),
        _row("7", "casework (0 before: new)"),
        _row("5", "resident contact (10 before: -5, -50%)"),
    ], lines
    assert _row(_rate(3, 28), "Cleo, councillor (3 in 28 days)") in lines, lines
    whole = (await _one(offline_bot, ADMIN_ID, "/measures all")).splitlines()
    assert [line for line in whole if line.endswith("North Ward")] == [
        f"{_rate(3, 28):>6}       —  0 -100% · 7 new · 5 -50% · North Ward"
    ], whole
    assert [line for line in whole if line.endswith("South Side")] == [
        f"{_rate(0, 28):>6}       —  0 · 0 · 0 · South Side"
    ], whole


@pytest.mark.parametrize("user_id", [ADMIN_ID, MIA, CLEO, STRANGER])
async def test_in_a_group_chat_no_figures_are_shown_and_no_look_recorded(
    org: OfflineBot, user_id: int
) -> None:
    group = -100_555
    update = org.message(user_id, "/measures all", chat_id=group, chat_type="supergroup")
    calls = await org.process(update)
    said = " ".join(str(c.params.get("text", "")) for c in calls)
    for shown in ("Cleo", "team (", "North Ward · measures", "Measures of", "112"):
        assert shown not in said, said
    assert _looks(org) == []


async def test_a_forgotten_member_of_two_teams_keeps_their_days_and_contacts_in_each(
    offline_bot: OfflineBot,
) -> None:
    """Fay, organiser in North Ward and South Side from 20 Oct, away Mon 9 – Fri 13 Nov (and
    1 – 5 Dec, deleted by /forgetme), logs 6 to each team, then /forgetme on Wed 18 Nov: in
    each team 6 in 26 Oct – 18 Nov less the 5 days away = 19 days, as a former member."""
    bot = offline_bot
    bot.clock.now = _at(2026, 10, 20)
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await bot.say(ADMIN_ID, "/newteam South Side")
    await _join(bot, FAY, "organiser", "Fay", "north-ward", "fay")
    await _join(bot, FAY, "organiser", "Fay", "south-side", "fay")
    await _join(bot, SAM, "organiser", "Sam", "south-side", "sam")
    bot.clock.now = _at(2026, 11, 2)
    assert "Nov" in await bot.say(FAY, "/away 2026-11-09 2026-11-13")
    assert "Dec" in await bot.say(FAY, "/away 2026-12-01 2026-12-05")
    assert "✓" in await bot.say(FAY, "doors 6 #north-ward")
    assert "✓" in await bot.say(FAY, "doors 6 #south-side")
    bot.clock.now = _at(2026, 11, 18)
    await bot.say(FAY, "/forgetme")
    await bot.say(FAY, "/forgetme confirm")
    bot.clock.now = _at(2026, 11, 26)
    for slug in ("north-ward", "south-side"):
        lines = (await _one(bot, ADMIN_ID, f"/measures {slug}")).splitlines()
        assert _row(_rate(6, 19), "former member, organiser (6 in 19 days)") in lines, lines
        assert not any("Fay" in line for line in lines), lines
    whole = (await _one(bot, ADMIN_ID, "/measures all")).splitlines()
    assert _row(_rate(12, 66), "organisers (12 in 66 days)") in whole, whole
    assert f"{_rate(6, 19):>6}       —  6 new · North Ward" in whole, whole
    assert f"{_rate(6, 47):>6}       —  6 new · South Side" in whole, whole


async def test_with_no_team_yet_an_admin_is_told_so(offline_bot: OfflineBot) -> None:
    for asked in ("/measures", "/measures all", "/measures last"):
        text = await _one(offline_bot, ADMIN_ID, asked)
        assert "measures" not in text.splitlines()[0].lower() or "no team" in text.lower(), text
        assert "team" in text.lower(), text
    assert _looks(offline_bot) == []


@pytest.mark.parametrize(
    "spelt",
    ["SOUTH-SIDE", "South-Side", "\u200fsouth-side", "south-side\u200b", "ＳＯＵＴＨ-ＳＩＤＥ"],
)
async def test_other_spellings_of_another_teams_name_are_refused_like_no_teams(
    org: OfflineBot, spelt: str
) -> None:
    """Cleo (North Ward) typing South Side's short name in other cases, with invisible marks
    or in full-width letters gets the reply a name of no team gets; the same spelling of her
    own team's name finds it or is refused alike."""
    theirs = await _one(org, CLEO, f"/measures {spelt}")
    nobodys = await _one(org, CLEO, f"/measures {spelt.replace('s', 'q').replace('S', 'Q')}")
    assert "South Side" not in theirs and "Sol" not in theirs
    assert theirs.startswith("No team called"), theirs
    assert nobodys.startswith("No team called"), nobodys
    assert re.sub(r"called .* that", "called X that", theirs) == re.sub(
        r"called .* that", "called X that", nobodys
    )
    own = spelt.replace("south-side", "north-ward").replace("SOUTH-SIDE", "NORTH-WARD")
    own = own.replace("South-Side", "North-Ward").replace(
        "ＳＯＵＴＨ-ＳＩＤＥ", "ＮＯＲＴＨ-ＷＡＲＤ"
    )
    mine = await _one(org, CLEO, f"/measures {own}")
    assert mine.startswith("North Ward · measures") or mine.startswith("No team called"), mine
    assert _looks(org) == []


async def test_the_residents_figure_in_force_at_each_month_end_by_the_local_day(
    offline_bot: OfflineBot,
) -> None:
    """Figures: 1,000 on 1 Sep; 1,200 at 23:30 UTC on 30 Sep (00:30 on 1 Oct in London, BST);
    1,500 at 23:30 UTC on 31 Oct (GMT: still 31 Oct); 3,000 then 2,500 on 1 Nov. September is
    measured by 1,000, October by 1,500, November by 2,500; Cleo marked active each month."""
    bot = offline_bot
    bot.clock.now = _at(2026, 8, 3)
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await bot.say(ADMIN_ID, "/newteam South Side")
    await _join(bot, CLEO, "councillor", "Cleo", "north-ward", "cleo")
    for when, figure in [
        (_at(2026, 9, 1), "1000"),
        (_at(2026, 9, 30, 23, 30), "1200"),
        (_at(2026, 10, 31, 23, 30), "1500"),
        (_at(2026, 11, 1, 9), "3000"),
        (_at(2026, 11, 1, 10), "2500"),
    ]:
        bot.clock.now = when
        said = await bot.say(ADMIN_ID, f"/residents north-ward {figure}")
        assert f"{int(figure):,}" in said, said
    bot.clock.now = _at(2026, 11, 26)
    for month in ("2026-09", "2026-10", "2026-11"):
        said = await bot.say(ADMIN_ID, f"/active @cleo {month}")
        assert "Cleo" in said, said
    lines = (await _one(bot, ADMIN_ID, "/measures north-ward")).splitlines()
    at = lines.index("Residents per active member")
    assert lines[at + 1 : at + 4] == [
        _row("1,000", "Sep (1,000 residents, 1 active)"),
        _row("1,500", "Oct (1,500 residents, 1 active)"),
        _row("2,500", "Nov so far (2,500 residents, 1 active)"),
    ], lines
    whole = (await _one(bot, ADMIN_ID, "/measures all")).splitlines()
    assert any(line.endswith("North Ward") and "  2,500  " in line for line in whole), whole
    october = (await _one(bot, ADMIN_ID, "/measures all 2026-10-01..2026-10-31")).splitlines()
    assert any(line.endswith("North Ward") and "  1,500  " in line for line in october), october


async def test_a_councillor_back_as_a_manager_leaves_the_rates_for_the_whole_window(
    org: OfflineBot,
) -> None:
    """Cleo is removed on Thu 26 Nov and rejoins as a manager the same day: her current role
    counts for the whole window, so her 31 contacts leave the rates (not the 13-week total)."""
    assert "Cleo" in await org.say(MIA, "/remove north-ward @cleo confirm")
    await _join(org, CLEO, "manager", "Cleo", "north-ward", "cleo")
    lines = (await _one(org, MIA, "/measures")).splitlines()
    assert not any(line.strip().split("  ")[-1].startswith("Cleo") for line in lines), lines
    assert _row(_rate(5, 12), "councillors (5 in 12 days)") in lines, lines
    assert _row(_rate(31, 85), "team (31 in 85 days)") in lines, lines
    assert _row("112", "resident contact (0 before: new)") in lines, lines
    whole = (await _one(org, ADMIN_ID, "/measures all")).splitlines()
    assert f"{_rate(31, 85):>6}     500  112 new · North Ward" in whole, whole
    assert _row(_rate(8, 40), "councillors (8 in 40 days)") in whole, whole
