"""No reply names a team, or any of its members, to someone without the right to see them: every
refusal a stranger or another team's manager can get, through the real Application."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from organiser_bot.domain.roles import Role
from storage import people
from storage.engine import Database
from tests.conftest import OfflineBot
from tests.digest_factories import SETUP_AT, log, make_member, make_team

NORTH_GROUP, SOUTH_GROUP, SPARE_GROUP = -100901, -100902, -100903
MIA, SAM, KIT, BOB, STRANGER = 5001, 5002, 5003, 5004, 5009
SOUTH_CODE = "south-side-invite"
#: What only South Side's members and admins may read.
SOUTH_SECRETS = ("South Side", "Kit Khan", "Bob Brown", "south secret note")
SOUTH_MEMBERS = ("Kit Khan", "Bob Brown")


def two_teams(conn: Connection) -> None:
    north = make_team(conn, "North Ward", chat_id=NORTH_GROUP)
    south = make_team(conn, "South Side", chat_id=SOUTH_GROUP)
    make_member(conn, north, MIA, "Mia Manager", Role.MANAGER)
    make_member(conn, north, SAM, "Sam Patel", Role.ORGANISER, username="sam")
    make_member(conn, south, KIT, "Kit Khan", Role.MANAGER, username="kit")
    bob = make_member(conn, south, BOB, "Bob Brown", Role.ORGANISER, username="bob")
    log(conn, bob, south, "one_to_one", 2, date(2026, 11, 24), note="south secret note")
    people.create_invite(
        conn,
        code=SOUTH_CODE,
        team_id=south,
        role=Role.ORGANISER,
        created_by=None,
        now=SETUP_AT,
        expires_at=SETUP_AT + timedelta(days=60),
        uses=5,
    )


async def _everything_said(bot: OfflineBot, update: dict[str, Any]) -> str:
    """Every text, caption and file the bot sent in answer to ``update``."""
    said = []
    for call in await bot.process(update):
        said += [str(call.params.get(key) or "") for key in ("text", "caption")]
        said += [bytes(f).decode("utf-8", "replace") for f in call.files.values()]
    return "\n".join(said)


def _db(bot: OfflineBot) -> Database:
    db: Database = bot.app.bot_data.db
    return db


PRIVATE_ASKS = [
    "/invite south-side organiser",
    f"/revoke {SOUTH_CODE}",
    "/target organiser 121 3 south-side",
    "/target @bob 121 5",
    "/target @kit 121 5 south-side",
    "/totals south-side",
    "/totals @bob",
    "/totals all",
    "/team south-side",
    "/team",
    "/remove south-side @bob",
    "/export",  # a manager gets their own teams' entries: none of South Side's
    "/ledger",
]


@pytest.mark.parametrize("text", PRIVATE_ASKS)
@pytest.mark.parametrize(
    "user_id", [STRANGER, MIA, SAM], ids=["stranger", "north-manager", "north-organiser"]
)
async def test_a_private_refusal_names_no_other_team_and_none_of_its_members(
    offline_bot: OfflineBot, user_id: int, text: str
) -> None:
    await _db(offline_bot).run(two_teams)

    reply = await _everything_said(offline_bot, offline_bot.message(user_id, text))

    assert reply.strip()
    assert not [secret for secret in SOUTH_SECRETS if secret.lower() in reply.lower()]


@pytest.mark.parametrize(
    ("text", "chat_id"),
    [
        ("/bind south-side", SPARE_GROUP),
        ("/bind south-side", NORTH_GROUP),
        ("/digest", SOUTH_GROUP),
        ("/totals", SOUTH_GROUP),
    ],
)
@pytest.mark.parametrize(
    "user_id", [STRANGER, MIA, SAM], ids=["stranger", "north-manager", "north-organiser"]
)
async def test_a_group_refusal_names_none_of_another_teams_members(
    offline_bot: OfflineBot, user_id: int, text: str, chat_id: int
) -> None:
    await _db(offline_bot).run(two_teams)

    update = offline_bot.message(user_id, text, chat_id=chat_id, chat_type="supergroup")
    reply = await _everything_said(offline_bot, update)

    assert reply.strip()
    # In South Side's own group its name is posted with every digest; elsewhere it is not said.
    secrets = SOUTH_MEMBERS if chat_id == SOUTH_GROUP else SOUTH_SECRETS
    assert not [secret for secret in secrets if secret.lower() in reply.lower()]
    assert offline_bot.calls("sendMediaGroup") == []


async def test_the_teams_own_manager_is_still_told_the_teams_name(
    offline_bot: OfflineBot,
) -> None:
    await _db(offline_bot).run(two_teams)
    await offline_bot.say(BOB, "/start")  # Bob, an organiser in South Side, may see its name

    reply = await offline_bot.say(BOB, "/invite south-side organiser")

    assert "South Side" in reply
