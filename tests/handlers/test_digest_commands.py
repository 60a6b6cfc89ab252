"""/digest and /ledger: the real Application, fed updates in process."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection

from handlers.posting import TelegramPoster
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.digest_run import send_due_digests
from storage import ledger
from storage.engine import Database
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import log, make_member, make_team

GROUP = -100777
OTHER_GROUP = -100778
UNBOUND_GROUP = -100779
MANAGER = 4001
ORGANISER = 4002
OTHER_MANAGER = 4003
W48 = date(2026, 11, 23)  # the harness clock's week (Thursday 26 November 2026)


def two_teams(conn: Connection) -> None:
    north = make_team(conn, "North Ward", chat_id=GROUP)
    south = make_team(conn, "South", chat_id=OTHER_GROUP)
    make_member(conn, north, MANAGER, "Nia Manager", Role.MANAGER)
    organiser = make_member(conn, north, ORGANISER, "Sam Patel", Role.ORGANISER)
    log(conn, organiser, north, "one_to_one", 4, W48, note="private: never in a group")
    log(conn, organiser, north, "one_to_one", 3, W48 + timedelta(days=2))
    make_member(conn, south, OTHER_MANAGER, "Oli Other", Role.MANAGER)


def _db(bot: OfflineBot) -> Database:
    db: Database = bot.app.bot_data.db
    return db


async def _say_in_group(bot: OfflineBot, user_id: int, text: str, chat_id: int = GROUP) -> str:
    return await bot.say(user_id, text, chat_id=chat_id, chat_type="supergroup")


async def test_manager_digest_in_team_chat_posts_a_marked_preview_without_a_ledger_row(
    offline_bot: OfflineBot,
) -> None:
    await _db(offline_bot).run(two_teams)

    text = await _say_in_group(offline_bot, MANAGER, "/digest")

    lines = text.splitlines()
    assert lines[0] == "North Ward · 2026-W48 · preview"
    assert "• Sam Patel: one-to-one 7/15 ✗" in lines
    assert lines[-1].endswith("Preview only: not recorded in the digest ledger.")
    assert "private" not in text  # notes never reach a group
    [album] = [
        c for c in offline_bot.request.calls_to("sendMediaGroup") if c.params["chat_id"] == GROUP
    ]
    assert [m["type"] for m in album.params["media"]] == ["photo", "photo"]
    assert album.params["media"][0]["caption"] == "North Ward · 2026-W48 · preview"
    assert all(png.startswith(b"\x89PNG") for png in album.files.values())
    assert await _db(offline_bot).run(ledger.entries, iso_weeks=["2026-W48", "2026-W47"]) == []


async def test_admin_may_preview_any_team(offline_bot: OfflineBot) -> None:
    await _db(offline_bot).run(two_teams)
    text = await _say_in_group(offline_bot, ADMIN_ID, "/digest", chat_id=OTHER_GROUP)
    assert text.startswith("South · 2026-W48 · preview")


async def test_digest_is_refused_to_members_and_explained_elsewhere(
    offline_bot: OfflineBot,
) -> None:
    await _db(offline_bot).run(two_teams)
    assert "Only North Ward's manager" in await _say_in_group(offline_bot, ORGANISER, "/digest")
    assert "Only South's manager" in await _say_in_group(
        offline_bot, MANAGER, "/digest", chat_id=OTHER_GROUP
    )
    assert "/bind" in await _say_in_group(offline_bot, MANAGER, "/digest", chat_id=UNBOUND_GROUP)
    assert "group chat" in await offline_bot.say(MANAGER, "/digest")
    assert offline_bot.calls("sendMediaGroup") == []


async def test_ledger_lists_sent_and_missing_digests_per_team(offline_bot: OfflineBot) -> None:
    await _db(offline_bot).run(two_teams)
    app = offline_bot.app
    settings = app.bot_data.settings
    await send_due_digests(
        TelegramPoster(app.bot, admin_ids=settings.admin_telegram_ids),
        _db(offline_bot),
        schedule=settings.digest_at,
        moment=Moment(offline_bot.clock.now, settings.tz, KindRegistry()),
    )

    text = await offline_bot.say(ADMIN_ID, "/ledger")

    lines = text.splitlines()
    assert lines[0] == "Digest ledger · last 4 weeks · times Europe/London"
    # Both went out in the same run, at the same clock reading: the spread is nil.
    w47 = lines.index("2026-W47 (16 Nov) · 2 sent within 0 s")
    assert lines[w47 + 1 : w47 + 3] == [
        "• North Ward: sent Thu 26 Nov 12:00 · template 2",
        "• South: sent Thu 26 Nov 12:00 · template 2",
    ]
    w46 = lines.index("2026-W46 (9 Nov)")
    assert lines[w46 + 1 : w46 + 3] == ["• North Ward: missing", "• South: missing"]
    assert "2026-W44 (26 Oct)" in lines and lines[-1].startswith("Template version now: 2.")


async def test_ledger_shows_a_manager_only_their_teams_and_members_nothing(
    offline_bot: OfflineBot,
) -> None:
    await _db(offline_bot).run(two_teams)
    text = await offline_bot.say(MANAGER, "/ledger")
    assert "North Ward" in text and "South" not in text
    assert "Only managers and admins" in await offline_bot.say(ORGANISER, "/ledger")
