"""Issue #9, final check of the digest run against the fake Bot API: a 150-member team's digest
keeps every part (the issue's team, and one with longer lines of the same kind), and failures
make one plain notice per failing team per week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Connection
from telegram import Bot

from organiser_bot.domain.digest import message_length
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import digest_run
from storage import ledger
from storage.engine import Database
from tests.conftest import ADMIN_ID
from tests.digest_factories import log, make_member, make_team
from tests.fakebot import FakeBotAPI
from tests.jobs.test_digest_group_life import (
    W47_SLOT,
    run,
    telegram,  # noqa: F401 - the fixture
)
from tests.jobs.test_digest_job import W47

TG = tuple[FakeBotAPI, Bot]
BIG_CHAT, SMALL_CHAT = -2101, -2102
SCRIPTS = ("Ольга Смирнова-Кузнецова", "محمد عبد الرحمن", "李小龍", "Zoë 👩🏽‍🔧 O'Neill-Ó Briain")


def _big(conn: Connection, *, role: Role, team_name: str, fancy: bool) -> list[str]:
    """A 150-member team (all logging) and a small one beside it; returns the member names."""
    team = make_team(conn, team_name, chat_id=BIG_CHAT)
    names = []
    for i in range(150):
        name = f"{SCRIPTS[i % len(SCRIPTS)]} {i:03d}" if fancy else f"Organiser {i:03d} Longname"
        joined = W47 + timedelta(days=i % 7) if fancy and i % 3 == 0 else None
        person = make_member(conn, team, 20_000 + i, name, role, joined_on=joined)
        day = W47 + timedelta(days=6)
        log(
            conn,
            person,
            team,
            "one_to_one" if role is Role.ORGANISER else "resident_contact",
            1 + i % 20,
            day,
        )
        if role is Role.COUNCILLOR:
            log(conn, person, team, "casework", i % 6, day)
        names.append(name)
    small = make_team(conn, "Small", chat_id=SMALL_CHAT)
    person = make_member(conn, small, 9_998, "Sam Small", Role.ORGANISER)
    log(conn, person, small, "one_to_one", 15, W47)
    return names


@pytest.mark.parametrize(
    ("role", "team_name", "fancy"),
    [
        (Role.ORGANISER, "Leeds", False),  # the issue: 150 members
        (Role.COUNCILLOR, "Leeds & District Community Organisers' Forum 🌍", True),
    ],
)
async def test_a_150_member_digest_keeps_its_team_and_cross_team_lines(
    telegram: TG,  # noqa: F811
    db: Database,
    role: Role,
    team_name: str,
    fancy: bool,
) -> None:
    api, tg = telegram
    names = db.call(lambda c: _big(c, role=role, team_name=team_name, fancy=fancy))

    report = await run(tg, db, W47_SLOT)

    assert sorted(report.sent) == sorted([team_name, "Small"])
    texts = api.sent_texts(BIG_CHAT)
    assert len(texts) >= 2 and all(message_length(t) <= 4096 for t in texts)
    title = f"{team_name} · 2026-W47"
    assert texts[0].startswith(title + "\n")
    for i, text in enumerate(texts[1:], start=2):  # README: headed "Team · week (2/3)"
        assert text.startswith(f"{title} ({i}/{len(texts)})\n")
    body = "\n".join(texts)
    for name in names:  # every member line, once, whole
        assert body.count(name) == 1, name
    tail = texts[-1].splitlines()[-3:]
    assert tail[0].startswith("Team attainment: ")
    # Nobody opened either team's figures that week: the same counts in both digests.
    looked = "Your team's figures were opened 0 times this week; the median team's 0."
    assert tail[1] == looked == api.sent_texts(SMALL_CHAT)[-1].splitlines()[-2]
    assert tail[2] == api.sent_texts(SMALL_CHAT)[-1].splitlines()[-1]
    assert tail[2].startswith("Across 2 teams the median attainment was ")
    assert body.count("Team attainment: ") == 1 and body.count("Across 2 teams") == 1
    assert body.count(looked) == 1


def _failing_three(conn: Connection) -> None:
    for name, chat_id in (("Bravo", -2202), ("Charlie", -2203), ("Zulu", -2201)):
        team = make_team(conn, name, chat_id=chat_id)
        person = make_member(conn, team, 600 + chat_id, f"Member {name}", Role.ORGANISER)
        log(conn, person, team, "one_to_one", 4, W47)


async def test_two_teams_failing_differently_all_week_are_each_told_once_in_plain_words(
    telegram: TG,  # noqa: F811
    db: Database,
) -> None:
    api, tg = telegram
    db.call(_failing_three)
    api.remove_bot(-2201)  # Zulu: the bot was removed (403 Forbidden)
    week = []
    for i in range(3 * ledger.MAX_ATTEMPTS):
        if i < ledger.MAX_ATTEMPTS:  # Bravo and Charlie (tried first): Telegram does not answer
            api.fail_next("sendMediaGroup", status=502, times=2)
        week.append(await run(tg, db, W47_SLOT + i * digest_run.CATCH_UP_INTERVAL))
    notices = api.sent_texts(ADMIN_ID)
    told = [line for n in notices for line in n.splitlines() if line.startswith("• ")]
    teams = sorted(line[2:].split(":")[0] for line in told)
    assert len(teams) == len(set(teams))  # one notice line per failing team per week
    assert teams == ["Bravo", "Charlie", "Zulu"], notices
    [zulu] = [line for line in told if line.startswith("• Zulu")]
    assert "removed" in zulu and "will not be tried again" in zulu
    for line in told:
        assert "Forbidden" not in line and "Bad Request" not in line
        name = line[2:].split(":")[0]
        assert f"{name}: {name}:" not in line and line.count(":") <= 2, line
    assert sum(len(r.told) for r in week) == len(teams)
    assert all(r.sent == [] for r in week)
    assert len(notices) <= 2  # the first run tells all three at once; nothing after that
