"""Issue #9, final check of README's claims ("Managers and admins", "The weekly digest") not
already pinned elsewhere: group commands answered by one line with a private link, the preview
marked as such, the digest's joined note, and a large team's charts sent as documents."""

from __future__ import annotations

import re

from telegram import Bot

from handlers.groups import PRIVATE_ONLY_COMMANDS
from organiser_bot.domain.roles import Role
from storage.engine import Database
from tests.adversarial.test_issue9_final_digest_run import BIG_CHAT, _big
from tests.conftest import ADMIN_ID, OfflineBot
from tests.fakebot import FakeBotAPI
from tests.jobs.test_digest_group_life import (
    W47_SLOT,
    run,
    telegram,  # noqa: F401 - the fixture
)
from tests.offline import BOT_USER

MANAGER, SAM = 5001, 5002
GROUP = -100555


async def _join(bot: OfflineBot, user_id: int, role: str, name: str) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite leeds {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    assert "Welcome" in await bot.say(user_id, f"/start {code.group(1)}", first_name=name)


async def test_every_other_command_in_a_group_gets_one_line_linking_the_private_chat(
    offline_bot: OfflineBot,
) -> None:
    await offline_bot.say(ADMIN_ID, "/newteam Leeds")
    await _join(offline_bot, MANAGER, "manager", "Mia")
    await _join(offline_bot, SAM, "organiser", "Sam")
    bound = await offline_bot.say(MANAGER, "/bind leeds", chat_id=GROUP, chat_type="supergroup")
    assert bound.startswith("✓")
    for command in PRIVATE_ONLY_COMMANDS:
        reply = await offline_bot.say(SAM, f"/{command}", chat_id=GROUP, chat_type="supergroup")
        assert "\n" not in reply.strip(), (command, reply)
        assert f"t.me/{BOT_USER['username']}" in reply, (command, reply)
    # /digest in the group: this week so far, marked as a preview, with Sam's joined note.
    preview = await offline_bot.say(MANAGER, "/digest", chat_id=GROUP, chat_type="supergroup")
    assert preview.splitlines()[0].endswith(" · preview")
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[offline_bot.clock.now.weekday()]
    joined = [line for line in preview.splitlines() if line.startswith("• Sam")]
    if offline_bot.clock.now.weekday() > 0:
        assert joined and f"(joined {weekday})" in joined[0], preview


async def test_a_large_teams_charts_go_as_documents_when_too_tall_for_a_photo(
    telegram: tuple[FakeBotAPI, Bot],  # noqa: F811
    db: Database,
) -> None:
    api, tg = telegram
    db.call(lambda c: _big(c, role=Role.ORGANISER, team_name="Leeds", fancy=False))
    assert "Leeds" in (await run(tg, db, W47_SLOT)).sent
    [album] = [
        r for r in api.requests if r.method == "sendMediaGroup" and r.params["chat_id"] == BIG_CHAT
    ]
    kinds = [m["type"] for m in album.params["media"]]
    assert "document" in kinds, kinds  # 150 member rows: taller than MAX_PHOTO_SIDE
