"""Every table that refers to a person is shown by /mydata and forgotten by /forgetme.

The tables are walked from ``SQLModel.metadata``: a column with a foreign key to ``person.id``
that ``storage.privacy.REFERENCES`` does not name fails here, and so does a table that neither
refers to a person nor is declared below as holding nothing about anyone. Then one person fills
every reference through the bot, asks to be forgotten, and no row may still identify her.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from handlers.common import stored_replies_written
from handlers.texts.privacy import NOTHING_HELD
from storage import inbox, ledger, processed
from storage import privacy as privacy_store
from storage.engine import Database
from storage.models import Person, ProcessedUpdate
from storage.privacy import REFERENCES, PersonData
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import LONDON

#: References to a person without a foreign key, each with where the person is found in it.
NOT_FOREIGN_KEYS = {
    ("target", "scope"): "person:<id>",
    ("audit", "detail"): 'JSON: "person_id": <id>, "person:<id>", or their user id as a value',
    ("activity", "source_chat_id"): "their private chat's id, which is their user id",
    ("processed_update", "reply"): "replies to messages in their private chat (m:<id>:...)",
    ("inbox_update", "payload"): 'the raw update: "id": <user id>',
}
#: Tables that hold nothing about any person, and why.
NO_PERSON = {
    "team": "a team's name, slug and dates",
    "activity_kind": "kinds admins add",
    "digest_ledger": "a team's weekly digest: group chat, message ids, counts' hash",
    "heartbeat": "when the bot ran, stopped and last polled",
    "status_chat": "the group told of starts, stops and failures (who chose it: the audit)",
    "team_weekly_total": "a team's running totals per kind and week, summed over its members",
    "team_measures_cache": "a team's /measures all line: its figures per role and kind, summed",
}

ZOFIA = 7_654_321  # her Telegram user id: no other number in the test is this one
NAME, USERNAME, NOTE = "Zofia Kowalczyk", "zofia_k", "rent arrears at Elm Court"
GROUP = -100_777
PERSON, PROCESSED = table_of(Person), table_of(ProcessedUpdate)


def _person_foreign_keys() -> set[tuple[str, str]]:
    return {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        for fk in column.foreign_keys
        if fk.column.table.name == "person"
    }


def test_every_foreign_key_to_a_person_is_a_declared_reference() -> None:
    found = _person_foreign_keys()
    assert ("activity", "person_id") in found  # the walk sees the tables
    expected = found | set(NOT_FOREIGN_KEYS) | {("person", "id")}
    assert set(REFERENCES) == expected, (
        f"not in storage.privacy.REFERENCES: {sorted(expected - set(REFERENCES))}; "
        f"declared but not found: {sorted(set(REFERENCES) - expected)}"
    )


def test_every_table_refers_to_a_person_or_is_declared_to_hold_no_one() -> None:
    tables = set(SQLModel.metadata.tables)
    referring = {table for table, _ in REFERENCES}
    assert not referring & set(NO_PERSON)
    assert tables == referring | set(NO_PERSON), (
        f"in neither REFERENCES nor NO_PERSON: {sorted(tables - referring - set(NO_PERSON))}"
    )


def test_every_reference_is_shown_by_a_field_of_my_data() -> None:
    shown = {f.name for f in fields(PersonData)}
    assert set(REFERENCES.values()) <= shown


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


async def _invite(bot: OfflineBot, by: int, team: str, role: str) -> str:
    reply = await bot.say(by, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    return code.group(1)


async def _zofia(bot: OfflineBot, text: str) -> str:
    return await bot.say(ZOFIA, text, first_name=NAME, username=USERNAME)


async def _fill_every_reference(bot: OfflineBot) -> int:
    """Zofia, a manager of North Ward and once an organiser in South Side, leaves a row in
    every table that refers to a person; returns her person id."""
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await bot.say(ADMIN_ID, "/newteam South Side")
    assert "Welcome" in await _zofia(
        bot, f"/start {await _invite(bot, ADMIN_ID, 'north-ward', 'manager')}"
    )
    assert "Welcome" in await _zofia(
        bot, f"/start {await _invite(bot, ADMIN_ID, 'south-side', 'organiser')}"
    )
    await _invite(bot, ZOFIA, "north-ward", "organiser")  # invite.created_by
    bound = await bot.say(
        ZOFIA, "/bind north-ward", chat_id=GROUP, chat_type="supergroup", first_name=NAME
    )
    assert "North Ward" in bound
    logged = bot.message(ZOFIA, f"121 2 {NOTE} #north-ward", first_name=NAME, username=USERNAME)
    await bot.replies(logged)
    await bot.replies(bot.updates.edited(logged, f"121 3 {NOTE} #north-ward"))  # audit chat_id
    assert "✓" in await _zofia(bot, "/away 2026-12-01 2026-12-03")
    assert "✓" in await _zofia(bot, "/target organiser 121 12 north-ward")
    assert "5" in await bot.say(ADMIN_ID, f"/target @{USERNAME} 121 5 north-ward")
    assert "5,000" in await _zofia(bot, "/residents north-ward 5000")  # team_residents.set_by
    # monthly_checkin.person_id and .marked_by: a manager marks herself active this month.
    assert "active in November 2026" in await _zofia(bot, f"/active @{USERNAME}")
    # scrutiny.viewer_person_id: her look at her team's figures; .subject_person_id: an
    # admin's look at hers (North Ward and South Side, which she was in today).
    assert "Team: one-to-one 3/3" in await _zofia(bot, "/totals north-ward")
    assert NAME in await bot.say(ADMIN_ID, f"/totals @{USERNAME}")
    assert "South Side" in await bot.say(ADMIN_ID, f"/remove south-side @{USERNAME} confirm")
    with _db(bot).begin() as conn:
        person = conn.execute(
            select(PERSON.c.id).where(PERSON.c.telegram_user_id == ZOFIA)
        ).scalar_one()
        # What the jobs and the intake store, written as they write it.
        ledger.claim_nudge(conn, person_id=person, iso_week="2026-W48", now=bot.clock.now)
        processed.claim(conn, f"m:{ZOFIA}:9001", at=bot.clock.now)
        processed.add_reply(conn, f"m:{ZOFIA}:9001", f"✓ one-to-one “{NOTE}”")
        processed.claim(conn, "cb:42", at=bot.clock.now)
        processed.add_reply(conn, "cb:42", f"Undone: one-to-one “{NOTE}”")
        sent = {"from": {"id": ZOFIA, "first_name": NAME, "username": USERNAME}, "text": NOTE}
        update = {"update_id": 5, "message": sent}
        # Not yet carried out: a carried-out update keeps no payload.
        inbox.store(conn, [inbox.Received(5, json.dumps(update))], at=bot.clock.now)
    return int(person)


def _rows_mentioning(bot: OfflineBot) -> list[str]:
    """Every value, in every table, that holds her name, username, note or user id."""
    found = []
    with _db(bot).begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if _mentions(value):
                        found.append(f"{table.name}.{column} = {value!r}")
    return found


def _mentions(value: Any) -> bool:
    if isinstance(value, str):
        return any(s in value for s in (NAME, "Kowalczyk", USERNAME, NOTE, "Elm Court", str(ZOFIA)))
    return isinstance(value, int) and value == ZOFIA


async def test_forgetme_leaves_no_row_that_identifies_the_person(offline_bot: OfflineBot) -> None:
    bot = offline_bot
    person = await _fill_every_reference(bot)
    await stored_replies_written(bot.app.bot_data)
    with _db(bot).begin() as conn:
        before = privacy_store.identifying_rows(conn, person, ZOFIA)
        held = privacy_store.held(conn, person, tz=LONDON)
    assert [ref for ref, n in before.items() if n == 0] == []
    assert held is not None
    assert [f for f in set(REFERENCES.values()) if not getattr(held, f)] == []
    mine = await _zofia(bot, "/mydata")
    for shown in (
        f"Name: {NAME} · @{USERNAME}",
        f"Telegram user id: {ZOFIA}",
        "• North Ward — manager, since 26 Nov 2026",
        "• South Side — organiser, 26 Nov 2026",
        "• 1 Dec 2026 – 3 Dec 2026",
        "• one-to-one: 1 entry, 3 in all",
        "• one-to-one in North Ward: 5 a week",
        "group chat bound for North Ward",
        "Nudges sent: 2026-W48",
        "Monthly check-ins\n• Nov 2026: active (marked, not your own answer)",
        # The admin's one /totals @user, which showed two teams, is one look; her own look
        # at her team is not listed.
        "Who looked at your figures\n• Test (admin): totals 1 — last 26 Nov 2026\nCounted:",
        "residents figures recorded: 1",
        "months you marked someone active: 1",
        "looks you took at figures (counted in /scrutiny): 1",
    ):
        assert shown in mine
    assert NOTE not in mine  # notes are counted, and read in /diary

    totals = await bot.say(ADMIN_ID, "/totals north-ward")
    assert f"• {NAME} (manager" in totals
    looks = await bot.say(ADMIN_ID, "/scrutiny")  # hers, the admin's at her, and this one
    assert "• North Ward — 3 looks by 2 people: totals 3" in looks.splitlines()
    assert "/forgetme confirm" in await _zofia(bot, "/forgetme")
    done = await _zofia(bot, "/forgetme confirm")
    assert done.startswith("Done: your name, username and notes are erased")
    assert "Your 1 entry stays in your teams' totals as a former member's" in done
    await stored_replies_written(bot.app.bot_data)

    with _db(bot).begin() as conn:
        inbox.finish(conn, [5], at=bot.clock.now)  # carried out, as the intake marks it
        after = privacy_store.identifying_rows(conn, person, ZOFIA)
        moved = conn.execute(
            select(PROCESSED.c.key, PROCESSED.c.reply).where(
                PROCESSED.c.key.like(f"m:{privacy_store.forgotten_user_id(person)}:%")
            )
        ).all()
    assert {ref: n for ref, n in after.items() if n} == {}
    # Her updates' keys (message ids only) stay for a week under the former member's chat id,
    # with no reply, so none is carried out again by that key; nothing anywhere holds her,
    # her Telegram id included.
    assert len(moved) >= 2 and [r.reply for r in moved if r.reply is not None] == []
    assert _rows_mentioning(bot) == []
    assert await _zofia(bot, "/mydata") == NOTHING_HELD
    # Her looks, and the admin's look at her, stay counted: they name no one now.
    assert await bot.say(ADMIN_ID, "/scrutiny") == looks
    # Her entry still counts in North Ward, on a line that names no one.
    totals_after = await bot.say(ADMIN_ID, "/totals north-ward")
    assert "Team: one-to-one 3/3" in totals.splitlines()
    # The same count; her own target stays on the anonymous row, counted to her last day.
    assert "Team: one-to-one 3/1" in totals_after.splitlines()
    assert "• former member (manager, joined Thu 26 Nov, left Thu 26 Nov)" in totals_after
    assert NAME not in totals_after


async def test_absences_do_not_return_when_a_forgotten_person_joins_again(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await bot.say(ADMIN_ID, "/newteam North Ward")
    assert "Welcome" in await _zofia(
        bot, f"/start {await _invite(bot, ADMIN_ID, 'north-ward', 'organiser')}"
    )
    await _zofia(bot, "/away 2026-12-01 2026-12-03")
    assert "1 Dec" in await _zofia(bot, "/mydata")
    await _zofia(bot, "/forgetme confirm")
    assert "Welcome" in await _zofia(
        bot, f"/start {await _invite(bot, ADMIN_ID, 'north-ward', 'organiser')}"
    )
    mine = await _zofia(bot, "/mydata")
    assert "Absences" not in mine and "1 Dec" not in mine
    assert (await _zofia(bot, "/away")).startswith("No absences recorded.")
