"""Every state-changing update delivered twice (Telegram resends what the bot did not confirm
before an unclean restart) changes nothing more and gets the same reply (issue #10, point 4).

One table: each case prepares what its command needs, then delivers the same update twice.
Between the deliveries the clock moves on, so a second run would leave different timestamps;
the database (every table but the processed keys and the inbox) must be exactly as after the
first delivery, and the reply texts the same. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from handlers.common import stored_replies_written
from handlers.keyboards import UNDO_PREFIX
from handlers.texts.privacy import NOTHING_HELD
from handlers.texts.redelivery import ALREADY_DONE
from storage.engine import make_engine
from tests.conftest import ADMIN_ID, OfflineBot
from tests.offline import Call

MANAGER = 2101
ORGANISER = 2102
NEWCOMER = 2103
GROUP = -100777
SKIPPED = {"processed_update", "inbox_update", "alembic_version"}

Update = dict[str, Any]


def dump(bot: OfflineBot) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but the processed keys and the inbox), sorted."""
    engine = make_engine(bot.db_url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        tables = {
            name: sorted(conn.execute(select(table)).all(), key=repr)
            for name, table in meta.tables.items()
            if name not in SKIPPED
        }
    engine.dispose()
    return tables


async def _invite(bot: OfflineBot, role: str) -> str:
    reply = await bot.say(ADMIN_ID, f"/invite leeds {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    return code.group(1)


@pytest.fixture
async def leeds(offline_bot: OfflineBot) -> OfflineBot:
    """Team Leeds with a manager and an organiser (@sam), joined a week ago."""
    bot = offline_bot
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=1)
    assert "created" in await bot.say(ADMIN_ID, "/newteam Leeds")
    for user, role, name in ((MANAGER, "manager", "mo"), (ORGANISER, "organiser", "sam")):
        code = await _invite(bot, role)
        welcome = await bot.say(user, f"/start {code}", first_name=name.title(), username=name)
        assert welcome.startswith("Welcome"), welcome
    bot.clock.now = now
    return bot


async def _nothing(bot: OfflineBot) -> None:
    return None


def msg(user: int, text: str, **kw: Any) -> Callable[[OfflineBot], Awaitable[Update]]:
    async def build(bot: OfflineBot) -> Update:
        return bot.message(user, text, **kw)

    return build


def after(
    setup: list[tuple[int, str]], user: int, text: str, **kw: Any
) -> Callable[[OfflineBot], Awaitable[Update]]:
    async def build(bot: OfflineBot) -> Update:
        for who, said in setup:
            await bot.say(who, said)
        return bot.message(user, text, **kw)

    return build


async def _start_code(bot: OfflineBot) -> Update:
    return bot.message(NEWCOMER, f"/start {await _invite(bot, 'organiser')}", first_name="Nia")


async def _revoke(bot: OfflineBot) -> Update:
    return bot.message(ADMIN_ID, f"/revoke {await _invite(bot, 'organiser')}")


async def _edit(bot: OfflineBot) -> Update:
    original = bot.message(ORGANISER, "121 Jay")
    assert await bot.replies(original)
    return bot.updates.edited(original, "121 Jay x2")


async def _undo_button(bot: OfflineBot) -> Update:
    original = bot.message(ORGANISER, "doors 4\n121 Jay")
    [confirmation] = await bot.replies(original)
    markup = confirmation.params["reply_markup"]
    data = markup["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith(UNDO_PREFIX)
    sent = confirmation.response["result"]
    return bot.updates.callback_query(ORGANISER, data, message=sent)


@dataclass(frozen=True)
class Case:
    name: str
    prepare: Callable[[OfflineBot], Awaitable[Update]]


CASES = [
    Case("quick log", msg(ORGANISER, "121 Jay\ndoors 12")),
    Case("/log", msg(ORGANISER, "/log case 2 housing repair")),
    Case("edit", _edit),
    Case("/undo", after([(ORGANISER, "121 Jay"), (ORGANISER, "121 Sam")], ORGANISER, "/undo")),
    Case("Undo button", _undo_button),
    Case("/away", msg(ORGANISER, "/away 2026-11-30 2026-12-02")),
    Case(
        "/away cancel",
        after([(ORGANISER, "/away 2026-11-30 2026-12-02")], ORGANISER, "/away cancel"),
    ),
    Case("/target", msg(MANAGER, "/target organiser 121 9 leeds")),
    Case("/target @user", msg(MANAGER, "/target @sam 121 4 leeds")),
    Case("/newteam", msg(ADMIN_ID, "/newteam Bradford")),
    Case("/invite", msg(ADMIN_ID, "/invite leeds organiser")),
    Case("/revoke", _revoke),
    Case("/start <code>", _start_code),
    Case("/bind", msg(ADMIN_ID, "/bind leeds", chat_id=GROUP, chat_type="supergroup")),
    Case("/forgetme", msg(ORGANISER, "/forgetme")),
    Case("/pause", msg(ORGANISER, "/pause")),
    Case("/resume", after([(ORGANISER, "/pause")], ORGANISER, "/resume")),
    Case("/newkind", msg(ADMIN_ID, "/newkind leaflet leaflets")),
    Case("/use", after([(ADMIN_ID, "/newteam Bradford")], ADMIN_ID, "/use bradford")),
    Case("/remove", msg(MANAGER, "/remove leeds @sam")),
    Case(
        "/remove confirm",
        after([(MANAGER, "/remove leeds @sam")], MANAGER, "/remove leeds @sam confirm"),
    ),
    # Refused: the refusal is not stored, so the redelivery is refused again, the same way.
    Case("refused /target", msg(ORGANISER, "/target organiser 121 1")),
    # Read-only commands go through the same mechanism.
    Case("/week", after([(ORGANISER, "121 Jay")], ORGANISER, "/week")),
    Case("/help", msg(ORGANISER, "/help")),
]


def _texts(calls: list[Call]) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in calls
        if c.method in ("sendMessage", "answerCallbackQuery")
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_redelivered_update_changes_nothing_more_and_gets_the_same_reply(
    leeds: OfflineBot, case: Case
) -> None:
    update = await case.prepare(leeds)
    first = await leeds.process(update)
    after_first = dump(leeds)
    leeds.clock.advance(minutes=3)  # a second run would stamp different times
    again = await leeds.process(update)
    assert dump(leeds) == after_first
    first_texts, again_texts = _texts(first), _texts(again)
    assert first_texts and again_texts
    if update.get("callback_query"):
        # The popup says the same; the confirmation was edited the first time.
        [popup] = [c.params.get("text") for c in first if c.method == "answerCallbackQuery"]
        [popup_again] = [c.params.get("text") for c in again if c.method == "answerCallbackQuery"]
        assert popup_again == popup
    else:
        assert again_texts == first_texts
    assert ALREADY_DONE not in again_texts


async def test_a_redelivered_forgetme_confirm_changes_nothing_and_is_answered_as_someone_new(
    leeds: OfflineBot,
) -> None:
    """``/forgetme confirm`` moves the person's processed keys off their Telegram id, its own
    among them: a redelivery of it is an update from someone the bot holds nothing about."""
    await leeds.say(ORGANISER, "/forgetme")
    update = leeds.message(ORGANISER, "/forgetme confirm")
    first = _texts(await leeds.process(update))
    assert first and first[0].startswith("Done")
    after_first = dump(leeds)
    leeds.clock.advance(minutes=3)
    again = await leeds.process(update)
    assert dump(leeds) == after_first
    assert _texts(again) == [NOTHING_HELD]


async def test_a_redelivery_after_a_crash_before_the_reply_says_it_was_done(
    leeds: OfflineBot,
) -> None:
    """The work committed but the process stopped before replying (no reply stored): the
    redelivery changes nothing and says it was already done."""
    update = leeds.message(ORGANISER, "121 Jay")
    assert await leeds.replies(update)
    # Replies are stored in batches after they are sent: let those queued be written, then
    # take them away, as if the process had stopped before storing them.
    await stored_replies_written(leeds.app.bot_data)
    engine = make_engine(leeds.db_url)
    with engine.begin() as conn:
        meta = MetaData()
        meta.reflect(conn, only=["processed_update"])
        conn.execute(meta.tables["processed_update"].update().values(reply=None))
    engine.dispose()
    before = dump(leeds)
    [again] = await leeds.replies(update)
    assert again.params["text"] == ALREADY_DONE
    assert dump(leeds) == before
