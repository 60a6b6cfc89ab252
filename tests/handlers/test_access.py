"""/access through the bot: what a member, a stranger and a group see, and a large organisation
split over messages that fit a phone."""

from __future__ import annotations

import re

from telegram.constants import MessageLimit

from handlers.texts import NOT_A_MEMBER
from handlers.texts.access import HEADING
from organiser_bot.domain.digest import message_length
from organiser_bot.domain.roles import Role
from storage.engine import Database
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import make_member, make_team

MIA, SAM, BOB, STRANGER = 1500, 2001, 2002, 9999
GROUP = -100_555


async def _join(
    bot: OfflineBot, inviter: int, team: str, role: str, user_id: int, name: str
) -> None:
    reply = await bot.say(inviter, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    assert "Welcome" in await bot.say(
        user_id, f"/start {code.group(1)}", first_name=name, username=name.split()[0].lower()
    )


async def test_a_member_sees_every_role_and_who_granted_it(offline_bot: OfflineBot) -> None:
    bot = offline_bot
    await bot.say(ADMIN_ID, "/newteam Leeds", first_name="Ada Admin")
    await _join(bot, ADMIN_ID, "leeds", "manager", MIA, "Mia Khan")
    await _join(bot, MIA, "leeds", "organiser", SAM, "Sam Patel")
    await _join(bot, MIA, "leeds", "organiser", BOB, "Bob Brown")
    assert "ends" in await bot.say(MIA, "/remove leeds @bob")
    assert "no longer" in await bot.say(MIA, "/remove leeds @bob confirm")
    text = await bot.say(SAM, "/access")
    assert text.startswith(HEADING)
    assert "Admins, granted by the configuration (ADMIN_TELEGRAM_IDS):\n• Ada Admin" in text
    assert "Leeds (leeds) · 2 members\n" in text
    # The clock stands at Thursday 26 Nov 2026.
    assert "• Mia Khan — manager, by Ada Admin, 26 Nov" in text
    assert "• Sam Patel — organiser, by Mia Khan, 26 Nov" in text
    assert "• 26 Nov · Bob Brown removed from Leeds by Mia Khan" in text
    assert "Bob Brown —" not in text  # no longer holds a role


async def test_a_stranger_is_told_how_to_join_and_a_group_is_pointed_to_the_private_chat(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await bot.say(ADMIN_ID, "/newteam Leeds")
    text = await bot.say(STRANGER, "/access")
    assert text == NOT_A_MEMBER
    assert "Leeds" not in text
    in_group = await bot.say(ADMIN_ID, "/access", chat_id=GROUP, chat_type="supergroup")
    assert "private chat" in in_group
    assert "Leeds" not in in_group


async def test_help_and_the_permission_table_name_access(offline_bot: OfflineBot) -> None:
    bot = offline_bot
    await bot.say(ADMIN_ID, "/newteam Leeds")
    await _join(bot, ADMIN_ID, "leeds", "caseworker", SAM, "Sam Patel")
    assert "/access — who holds which role" in await bot.say(SAM, "/help")
    assert "/access — who holds which role" in await bot.say(ADMIN_ID, "/help")


async def test_a_large_organisation_is_split_at_line_breaks_into_messages_that_fit(
    offline_bot: OfflineBot,
) -> None:
    db: Database = offline_bot.app.bot_data.db
    long_name = "Bartholomew-Alexander " + "Ó" * 100  # 123 characters, the longest kept is 128
    with db.begin() as conn:
        for t in range(40):
            team = make_team(conn, f"Ward {t:02d}")
            for m in range(8):
                user_id = 10_000 + t * 10 + m
                make_member(conn, team, user_id, f"{long_name} {m}", Role.ORGANISER)
    sent = await offline_bot.replies(offline_bot.message(ADMIN_ID, "/access"))
    assert len(sent) > 1
    texts = [str(c.params["text"]) for c in sent]
    assert all(message_length(t) <= MessageLimit.MAX_TEXT_LENGTH for t in texts)
    lines = "\n".join(texts).splitlines()
    people = [line for line in lines if line.startswith("• Bartholomew")]
    assert len(people) == 40 * 8  # every line whole, none lost at a split
    assert sum(line.startswith("Ward ") for line in lines) == 40
