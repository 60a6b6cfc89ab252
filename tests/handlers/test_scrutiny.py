"""/scrutiny through the bot: what everyone sees of each team's looks, what is never shown,
what records a look (a redelivery included) and what does not, and a large organisation split
over messages that fit a phone."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from telegram.constants import MessageLimit

from handlers.texts import NOT_A_MEMBER
from handlers.texts.scrutiny import HEADING
from organiser_bot.domain.digest import message_length
from organiser_bot.domain.roles import Role
from storage import scrutiny as store
from storage.engine import Database
from storage.models import Scrutiny
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import make_member, make_team

MIA, SAM, KIT, STRANGER = 1500, 2001, 2002, 9999
GROUP = -100_555
LOOK = table_of(Scrutiny)


async def _join(
    bot: OfflineBot, inviter: int, team: str, role: str, user_id: int, name: str
) -> None:
    reply = await bot.say(inviter, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    assert "Welcome" in await bot.say(
        user_id, f"/start {code.group(1)}", first_name=name, username=name.split()[0].lower()
    )


def _looks(bot: OfflineBot) -> int:
    db: Database = bot.app.bot_data.db
    with db.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(LOOK)).scalar_one())


async def _organisation(bot: OfflineBot) -> None:
    """Leeds (manager Mia, organiser Sam, bound to GROUP) and York (caseworker Kit)."""
    await bot.say(ADMIN_ID, "/newteam Leeds", first_name="Ada Admin")
    await bot.say(ADMIN_ID, "/newteam York", first_name="Ada Admin")
    await _join(bot, ADMIN_ID, "leeds", "manager", MIA, "Mia Khan")
    await _join(bot, MIA, "leeds", "organiser", SAM, "Sam Patel")
    await _join(bot, ADMIN_ID, "york", "caseworker", KIT, "Kit Lowe")
    assert "Leeds" in await bot.say(MIA, "/bind leeds", chat_id=GROUP, chat_type="supergroup")


async def test_everyone_sees_each_teams_looks_and_never_who_looked(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    assert _looks(bot) == 0  # joining, inviting and binding look at no one's figures
    await bot.say(MIA, "/totals")
    await bot.say(MIA, "/team")
    await bot.say(ADMIN_ID, "/totals all")
    await bot.say(ADMIN_ID, "/totals @sam")
    text = await bot.say(KIT, "/scrutiny")  # a caseworker in York
    assert text.startswith(HEADING.format(period="last 4 weeks"))
    lines = text.splitlines()
    assert "• Leeds — 4 looks by 2 people: totals 3, team 1" in lines
    assert "• York — 1 look by 1 person: totals 1" in lines
    assert lines.index("• Leeds — 4 looks by 2 people: totals 3, team 1") < lines.index(
        "• York — 1 look by 1 person: totals 1"
    )
    assert "Median team: 2.5 looks." in lines
    for never in ("Mia", "Ada", "Sam", "@sam", "one-to-one"):
        assert never not in text


async def test_a_redelivered_read_shows_the_figures_again_and_counts_again(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    update = bot.message(MIA, "/totals")
    first = await bot.replies(update)
    again = await bot.replies(update)
    assert first[0].params["text"] == again[0].params["text"]
    assert _looks(bot) == 2
    assert "• Leeds — 2 looks by 1 person: totals 2" in (await bot.say(SAM, "/scrutiny"))


async def test_members_and_the_group_reading_figures_record_nothing(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    await bot.say(SAM, "/week")
    await bot.say(SAM, "/diary")
    await bot.say(SAM, "/mydata")
    # The group's /totals shows the week's counts to the whole group: not a private look.
    await bot.say(MIA, "/totals", chat_id=GROUP, chat_type="supergroup")
    await bot.say(SAM, "/totals")  # refused: an organiser
    await bot.say(MIA, "/totals york")  # refused: not her team
    await bot.say(MIA, "/scrutiny")
    assert _looks(bot) == 0
    text = await bot.say(SAM, "/scrutiny")
    assert "• Leeds — no looks" in text and "Median team: 0 looks." in text


async def test_strangers_groups_and_bad_periods_get_a_short_answer(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    assert await bot.say(STRANGER, "/scrutiny") == NOT_A_MEMBER
    in_group = await bot.say(SAM, "/scrutiny", chat_id=GROUP, chat_type="supergroup")
    assert "private chat" in in_group and "Leeds —" not in in_group
    bad = await bot.say(SAM, "/scrutiny fortnight")
    assert "fortnight" in bad and len(bad) < 400
    assert "last week" in await bot.say(SAM, "/scrutiny last")
    assert "/scrutiny [period]" in await bot.say(SAM, "/help")
    assert "/scrutiny [period]" in await bot.say(ADMIN_ID, "/help")


async def test_a_large_organisation_is_split_at_line_breaks_into_messages_that_fit(
    offline_bot: OfflineBot,
) -> None:
    db: Database = offline_bot.app.bot_data.db
    with db.begin() as conn:
        viewer = None
        for t in range(150):
            team = make_team(conn, f"Ward {t:03d} " + "Ó" * 50)
            viewer = make_member(conn, team, 10_000 + t, "Manager", Role.MANAGER)
            for what in ("totals", "team", "export", "diary", "measures"):
                store.record(
                    conn, at=offline_bot.clock.now, viewer=viewer, what=what, team_ids=[team]
                )
    sent = await offline_bot.replies(offline_bot.message(ADMIN_ID, "/scrutiny"))
    assert len(sent) > 1
    texts = [str(c.params["text"]) for c in sent]
    assert all(message_length(t) <= MessageLimit.MAX_TEXT_LENGTH for t in texts)
    lines = "\n".join(texts).splitlines()
    teams = [line for line in lines if line.startswith("• Ward ")]
    assert len(teams) == 150
    assert all(
        line.endswith("— 5 looks by 1 person: totals 1, team 1, export 1, diary 1, measures 1")
        for line in teams
    )
