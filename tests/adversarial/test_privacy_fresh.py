"""/mydata and /forgetme tried as a person would, through the real Application (both databases).

Zofia manages North Ward (she bound its chat, set a role target and created Mia's invite) and
is an organiser in South Side; she logs entries with notes, records absences, and has replies
stored that quote her notes. Then she renames herself in Telegram, asks to be forgotten, taps
an old Undo button, has old updates redelivered, and joins again by a new invite. After that
no value in any table may hold her name (old or new), @username, a note or her Telegram id.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import SQLModel

from handlers.common import stored_replies_written
from handlers.texts.privacy import NOTHING_HELD
from organiser_bot.domain.digest import render_digest_text
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.usecases.digests import build_week
from storage.engine import Database
from storage.models import Absence, Activity, InboxUpdate, Person, Target
from storage.query import table_of
from tests.conftest import ADMIN_ID, BotHarness, OfflineBot

ZOFIA, MIA, STRANGER = 7_301_559, 7_302_113, 7_309_871
NAME, USERNAME = "Zofia Kowalczyk", "zofia_k"
NEW_NAME, NEW_USERNAME = "Zosia Nowakowska", "zosia_nn"
NOTE_N, NOTE_S = "rent arrears Elm Court", "damp flat Birchwood"
GROUP = -100_445_566
PERSON, ACTIVITY, ABSENCE = table_of(Person), table_of(Activity), table_of(Absence)
INBOX = table_of(InboxUpdate)
#: Monday of the week the entries are logged in (Thu 26 Nov 2026 is the clock's start).
W48 = date(2026, 11, 23)
IDENTIFYING: tuple[str, ...] = (NAME, "Kowalczyk", USERNAME, NEW_NAME, "Nowakowska", NEW_USERNAME)
IDENTIFYING += (NOTE_N, "Elm Court", NOTE_S, "Birchwood", str(ZOFIA))


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


async def _invite(bot: OfflineBot, by: int, team: str, role: str) -> str:
    reply = await bot.say(by, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    return code.group(1)


async def _zofia(bot: OfflineBot, text: str, **kwargs: Any) -> str:
    kwargs.setdefault("first_name", NAME)
    kwargs.setdefault("username", USERNAME)
    return await bot.say(ZOFIA, text, **kwargs)


def _mentions(value: Any) -> bool:
    if isinstance(value, str):
        return any(s in value for s in IDENTIFYING)
    return isinstance(value, int) and not isinstance(value, bool) and value == ZOFIA


def _rows_mentioning(bot: OfflineBot) -> list[str]:
    """Every value, in every table, that holds one of :data:`IDENTIFYING`."""
    found = []
    with _db(bot).begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if _mentions(value):
                        found.append(f"{table.name}.{column} = {value!r}")
    return found


def _not_keys(found: list[str]) -> list[str]:
    return [v for v in found if not v.startswith("processed_update.key = ")]


def _count(bot: OfflineBot, table: Any, *where: Any) -> int:
    with _db(bot).begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


async def _world(bot: OfflineBot) -> dict[str, Any]:
    """Zofia and Mia as described above; returns the updates a test may replay or tap under."""
    await bot.say(ADMIN_ID, "/newteam North Ward")
    await bot.say(ADMIN_ID, "/newteam South Side")
    code = await _invite(bot, ADMIN_ID, "north-ward", "manager")
    assert "Welcome" in await _zofia(bot, f"/start {code}")
    start = bot.message(ZOFIA, f"/start {await _invite(bot, ADMIN_ID, 'south-side', 'organiser')}")
    assert "Welcome" in (await bot.replies(start))[0].params["text"]
    mia_code = await _invite(bot, ZOFIA, "north-ward", "organiser")
    assert "Welcome" in await bot.say(MIA, f"/start {mia_code}", first_name="Mia Lee")
    bound = await bot.say(ZOFIA, "/bind north-ward", chat_id=GROUP, chat_type="supergroup")
    assert "North Ward" in bound
    assert "12" in await _zofia(bot, "/target organiser 121 12 north-ward")
    logged = bot.message(ZOFIA, f"121 2 {NOTE_N} #north-ward")
    [confirm] = await bot.replies(logged)
    assert NOTE_N.split()[0] in confirm.params["text"]
    assert "✓" in await _zofia(bot, f"case 3 {NOTE_S} #south-side")
    assert "✓" in await bot.say(MIA, "121 4 Mia's own note")
    assert "✓" in await _zofia(bot, "/away 2026-11-24 2026-11-25")
    assert "✓" in await _zofia(bot, "/away 2026-12-14 2026-12-18")
    # A manager's command about her: its stored reply names her.
    assert "5" in await bot.say(ADMIN_ID, f"/target @{USERNAME} 121 5 north-ward")
    await stored_replies_written(bot.app.bot_data)
    return {"logged": logged, "confirm": confirm, "start": start}


async def _past_week(bot: OfflineBot) -> dict[str, Any]:
    """W48's /totals of both teams, /export, and every team's digest, as a person sees them."""
    totals = {
        team: await bot.say(ADMIN_ID, f"/totals {team} 2026-W48")
        for team in ("north-ward", "south-side")
    }
    [doc] = await bot.replies(bot.message(ADMIN_ID, "/export 2026-W48"), "sendDocument")
    rows = list(csv.DictReader(io.StringIO(doc.files["document"].decode("utf-8-sig"))))
    with _db(bot).begin() as conn:
        digests = [
            render_digest_text(d, KindRegistry())
            for d in build_week(conn, monday=W48, kinds=KindRegistry())
        ]
    return {"totals": totals, "export": rows, "digests": digests}


def _anonymised(text: str) -> str:
    return text.replace(NAME, "former member")


# --- /mydata: what the bot holds, as stored ---------------------------------------------------


async def test_mydata_lists_absences_username_teams_and_what_she_made(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _world(bot)
    mine = await _zofia(bot, "/mydata")
    for shown in (
        f"Name: {NAME} · @{USERNAME}",
        f"Telegram user id: {ZOFIA}",
        "• North Ward — manager, since 26 Nov 2026",
        "• South Side — organiser, since 26 Nov 2026",
        "• 24 Nov 2026 – 25 Nov 2026",
        "• 14 Dec 2026 – 18 Dec 2026",
        "• one-to-one in North Ward: 5 a week",
        "group chat bound for North Ward",
    ):
        assert shown in mine, (shown, mine)
    assert "targets set: 1" in mine.lower() and "invites created: 1" in mine.lower()
    assert NOTE_N not in mine and NOTE_S not in mine


async def test_mydata_shows_the_name_stored_not_the_one_in_the_update(
    offline_bot: OfflineBot,
) -> None:
    """After a rename in Telegram, /mydata shows exactly what the person row holds once the
    command is carried out (the stored name and @username), and a manager's view agrees."""
    bot = offline_bot
    await _world(bot)
    mine = await _zofia(bot, "/mydata", first_name=NEW_NAME, username=NEW_USERNAME)
    with _db(bot).begin() as conn:
        row = conn.execute(
            select(PERSON.c.display_name, PERSON.c.username).where(
                PERSON.c.telegram_user_id == ZOFIA
            )
        ).one()
    assert f"Name: {row.display_name} · @{row.username}" in mine
    team = await bot.say(ADMIN_ID, "/team north-ward")
    assert row.display_name in team


# --- /forgetme ----------------------------------------------------------------------------------


async def test_forgetme_asks_first_and_changes_nothing(offline_bot: OfflineBot) -> None:
    bot = offline_bot
    await _world(bot)
    before = _rows_mentioning(bot)
    asked = await _zofia(bot, "/forgetme")
    assert "/forgetme confirm" in asked
    assert "/forgetme confirmed" not in asked
    await _zofia(bot, "/forgetme yes please")
    assert _count(bot, PERSON, PERSON.c.display_name == NAME) == 1
    assert NAME in await _zofia(bot, "/mydata")
    assert len(_rows_mentioning(bot)) >= len(before)


async def test_forgetme_keeps_past_totals_export_and_digest_counts(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _world(bot)
    bot.clock.advance(days=7)  # Thu 3 Dec: W48 is a past week
    before = await _past_week(bot)
    assert NAME in before["totals"]["north-ward"]
    assert any(r.get("note") == NOTE_N for r in before["export"])
    done = await _zofia(bot, "/forgetme confirm")
    assert done.startswith("Done")
    after = await _past_week(bot)
    for team in ("north-ward", "south-side"):
        assert _anonymised(before["totals"][team]) == after["totals"][team], team
    assert len(after["export"]) == len(before["export"])
    counts = sorted((r["team"], r["kind"], r["count"]) for r in before["export"])
    assert sorted((r["team"], r["kind"], r["count"]) for r in after["export"]) == counts
    exported = json.dumps(after["export"])
    assert not [s for s in IDENTIFYING if s in exported]
    assert [_anonymised(d) for d in before["digests"]] == after["digests"]
    assert await _zofia(bot, "/mydata") == NOTHING_HELD


async def test_forgetme_leaves_no_trace_of_a_manager_in_two_teams(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _world(bot)
    mias_week = await bot.say(MIA, "/week")
    assert await _zofia(bot, "/forgetme confirm")
    await stored_replies_written(bot.app.bot_data)
    assert _not_keys(_rows_mentioning(bot)) == []
    assert _count(bot, PERSON, PERSON.c.telegram_user_id == ZOFIA) == 0
    # What she made stays, without her: Mia's invite worked, the chat stays bound, the role
    # target she set still applies.
    assert "Mia Lee" in await bot.say(ADMIN_ID, "/team north-ward")
    assert await bot.say(MIA, "/week") == mias_week
    assert await _zofia(bot, "/mydata") == NOTHING_HELD
    # The manager's old reply that named her, and his @username lookups, name no one now.
    assert "Unknown" in await bot.say(ADMIN_ID, f"/totals @{USERNAME}") or NAME not in (
        await bot.say(ADMIN_ID, f"/totals @{USERNAME}")
    )


async def test_forgetme_after_a_rename_leaves_neither_the_old_nor_the_new_name(
    offline_bot: OfflineBot,
) -> None:
    """She renamed herself in Telegram and wrote again (the bot now holds the new name); the
    manager's reply stored before the rename names her by the old one."""
    bot = offline_bot
    await _world(bot)
    await _zofia(bot, "/week", first_name=NEW_NAME, username=NEW_USERNAME)
    assert NEW_NAME in await _zofia(bot, "/mydata", first_name=NEW_NAME, username=NEW_USERNAME)
    await _zofia(bot, "/forgetme confirm", first_name=NEW_NAME, username=NEW_USERNAME)
    await stored_replies_written(bot.app.bot_data)
    assert _not_keys(_rows_mentioning(bot)) == []


async def test_absences_are_gone_and_do_not_return_on_rejoining(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _world(bot)
    await _zofia(bot, "/forgetme confirm")
    # Whatever absences stay (past ones, as anonymous spans) are no one's she can reach.
    code = await _invite(bot, ADMIN_ID, "north-ward", "organiser")
    assert "Welcome" in await _zofia(bot, f"/start {code}")
    mine = await _zofia(bot, "/mydata")
    assert "Absences" not in mine and "Dec 2026" not in mine.split("Teams")[-1].split("\n\n")[1:]
    assert (await _zofia(bot, "/away")).startswith("No absences recorded.")
    with _db(bot).begin() as conn:
        new_id = conn.execute(
            select(PERSON.c.id).where(PERSON.c.telegram_user_id == ZOFIA)
        ).scalar_one()
        assert (
            conn.execute(
                select(func.count()).select_from(ABSENCE).where(ABSENCE.c.person_id == new_id)
            ).scalar_one()
            == 0
        )
        # The future absence (14-18 Dec) was deleted at /forgetme, not kept anonymously.
        assert (
            conn.execute(
                select(func.count())
                .select_from(ABSENCE)
                .where(ABSENCE.c.ends_on > date(2026, 11, 26))
            ).scalar_one()
            == 0
        )
    # Her new week is not pro-rated by the old absences: no "away" on her line.
    week = await _zofia(bot, "/week")
    assert "away" not in week.lower()


async def test_undo_button_after_forgetting_changes_no_total_and_stores_no_one(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    world = await _world(bot)
    await _zofia(bot, "/forgetme confirm")
    before = await bot.say(ADMIN_ID, "/totals north-ward")
    markup = world["confirm"].params["reply_markup"]
    data = markup["inline_keyboard"][0][0]["callback_data"]
    tap = bot.updates.callback_query(ZOFIA, data, message=world["confirm"].result, first_name=NAME)
    calls = await bot.process(tap)
    answered = " ".join(str(c.params.get("text", "")) for c in calls if c.method != "sendDocument")
    assert NOTE_N not in answered and NAME not in answered
    assert await bot.say(ADMIN_ID, "/totals north-ward") == before
    assert _count(bot, ACTIVITY, ACTIVITY.c.deleted_at.is_not(None)) == 0
    await stored_replies_written(bot.app.bot_data)
    assert _count(bot, PERSON, PERSON.c.telegram_user_id == ZOFIA) == 0
    assert _not_keys(_rows_mentioning(bot)) == []


async def test_redelivered_old_updates_after_forgetting_change_nothing(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    world = await _world(bot)
    await _zofia(bot, "/forgetme confirm")
    await stored_replies_written(bot.app.bot_data)
    before = (await bot.say(ADMIN_ID, "/totals north-ward"), _count(bot, ACTIVITY))
    for update in (world["logged"], world["start"]):
        calls = await bot.process(update)
        said = " ".join(str(c.params.get("text", "")) for c in calls)
        assert NOTE_N not in said and NAME not in said
    assert (await bot.say(ADMIN_ID, "/totals north-ward"), _count(bot, ACTIVITY)) == before
    # The old /start did not make her a member again.
    assert NAME not in await bot.say(ADMIN_ID, "/team south-side")
    assert _count(bot, PERSON, PERSON.c.telegram_user_id == ZOFIA) == 0
    await stored_replies_written(bot.app.bot_data)
    assert _not_keys(_rows_mentioning(bot)) == []


async def test_an_edit_of_an_old_log_after_forgetting_changes_no_total(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    world = await _world(bot)
    await _zofia(bot, "/forgetme confirm")
    before = (await bot.say(ADMIN_ID, "/totals north-ward"), _count(bot, ACTIVITY))
    calls = await bot.process(bot.updates.edited(world["logged"], f"121 9 {NOTE_N} #north-ward"))
    said = " ".join(str(c.params.get("text", "")) for c in calls)
    assert NOTE_N not in said
    assert (await bot.say(ADMIN_ID, "/totals north-ward"), _count(bot, ACTIVITY)) == before
    await stored_replies_written(bot.app.bot_data)
    assert _not_keys(_rows_mentioning(bot)) == []


async def test_someone_who_never_joined_is_held_nothing_about(offline_bot: OfflineBot) -> None:
    bot = offline_bot
    await bot.say(ADMIN_ID, "/newteam North Ward")
    said = [
        await bot.say(STRANGER, text, first_name="Stranger Danger", username="strngr")
        for text in ("/mydata", "/forgetme", "/forgetme confirm")
    ]
    assert said[0] == NOTHING_HELD
    assert all("Done" not in s for s in said[1:]), said
    assert all(s.strip() for s in said)
    await stored_replies_written(bot.app.bot_data)
    with _db(bot).begin() as conn:
        assert conn.execute(select(func.count()).select_from(PERSON)).scalar_one() == 1  # admin
    found = []
    with _db(bot).begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                found += [
                    f"{table.name}.{c}"
                    for c, v in row.items()
                    if isinstance(v, str) and ("Stranger" in v or "strngr" in v)
                ]
    assert found == []


async def test_no_telegram_id_is_left_in_processed_update_keys(offline_bot: OfflineBot) -> None:
    """The brief's strictest reading: no value anywhere holds her Telegram id."""
    bot = offline_bot
    await _world(bot)
    await _zofia(bot, "/forgetme confirm")
    await stored_replies_written(bot.app.bot_data)
    assert _rows_mentioning(bot) == []


# --- End to end, polling the loopback Bot API: the raw updates kept in inbox_update -------------


async def test_forgetme_leaves_no_raw_update_with_her_name(bot: BotHarness) -> None:
    """README: after /forgetme 'the only trace left is the ids of messages carried out (chat
    and message id, no content)'."""
    await bot.say(ADMIN_ID, "/newteam North Ward")
    reply = await bot.say(ADMIN_ID, "/invite north-ward organiser")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    who = {"first_name": NAME, "username": USERNAME}
    assert "Welcome" in await bot.say(ZOFIA, f"/start {code.group(1)}", **who)
    assert "✓" in await bot.say(ZOFIA, f"121 2 {NOTE_N}", **who)
    assert (await bot.say(ZOFIA, "/forgetme confirm", **who)).startswith("Done")
    # Another update carried out after hers: the intake has finished hers by then.
    await bot.say(ADMIN_ID, "/team north-ward")
    database = Database(bot.db_url)
    try:
        with database.begin() as conn:
            payloads = list(conn.execute(select(INBOX.c.payload)).scalars())
    finally:
        database.close()
    assert payloads  # the intake keeps raw updates: there is something to look at
    assert [p for p in payloads if any(s in p for s in IDENTIFYING)] == []


async def test_a_managers_stale_member_button_for_her_sets_nothing_after_forgetting(
    offline_bot: OfflineBot,
) -> None:
    """A member list sent before she was forgotten: tapping her button afterwards must not set
    a target on the anonymous row, nor name her."""
    bot = offline_bot
    await _world(bot)
    listing = bot.message(ADMIN_ID, "/target member 121 7 north-ward")
    [sent] = await bot.replies(listing)
    buttons = [b for row in sent.params["reply_markup"]["inline_keyboard"] for b in row]
    [hers] = [b for b in buttons if NAME in b["text"]]
    await _zofia(bot, "/forgetme confirm")
    with _db(bot).begin() as conn:
        targets_before = conn.execute(select(func.count()).select_from(table_of(Target))).scalar()
    tap = bot.updates.callback_query(ADMIN_ID, hers["callback_data"], message=sent.result)
    calls = await bot.process(tap)
    said = " ".join(str(c.params.get("text", "")) for c in calls)
    assert NAME not in said
    with _db(bot).begin() as conn:
        targets_after = conn.execute(select(func.count()).select_from(table_of(Target))).scalar()
    assert targets_after == targets_before, said


async def test_the_forgetme_reply_claims_only_what_happened(offline_bot: OfflineBot) -> None:
    bot = offline_bot
    await _world(bot)  # the admin set her a personal target of 5
    done = await _zofia(bot, "/forgetme confirm")
    with _db(bot).begin() as conn:
        kept = conn.execute(
            select(func.count())
            .select_from(table_of(Target))
            .where(table_of(Target).c.scope.like("person:%"))
        ).scalar_one()
    assert kept == 1  # her target stays, anonymously
    assert "personal targets are deleted" not in done
