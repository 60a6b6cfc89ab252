"""People and who may see them, tried as a stranger, an organiser and another team's manager
would: forged button taps, usernames that move between people, and the three target forms,
through ``Application.process_update`` on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update as sql_update

from handlers.pickers import parse_remove_data
from storage.engine import Database
from storage.models import Person
from tests.conftest import ADMIN_ID, OfflineBot

MIA, ALICE, SAM1, SAM2, BEA, BOB, STRANGER = 1501, 2001, 2002, 2003, 1502, 2101, 9009
LEEDS_GROUP, BRADFORD_GROUP = -1001501, -1001502
#: What only Bradford's members and admins may read (its display name differs from its short
#: name, so a reply that echoes only what was typed never contains it).
BRADFORD_SECRETS = ("Bradförd Wést", "Bob Brown", "Bea Boyd")


async def _join(
    bot: OfflineBot, user_id: int, team: str, role: str, name: str, username: str | None = None
) -> None:
    reply = await bot.say(ADMIN_ID, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    joined = await bot.say(user_id, f"/start {code.group(1)}", first_name=name, username=username)
    assert "Welcome" in joined


@pytest.fixture
async def org(offline_bot: OfflineBot) -> OfflineBot:
    """Leeds (manager Mia, Alice @alice, two organisers called Sam Murphy with no username) and
    Bradförd Wést (manager Bea Boyd, organiser Bob Brown @bob), each bound to a group."""
    now = offline_bot.clock.now
    offline_bot.clock.now = now - timedelta(weeks=2)
    await offline_bot.say(ADMIN_ID, "/newteam Leeds", first_name="Ada")
    await offline_bot.say(ADMIN_ID, "/newteam Bradförd Wést")
    await _join(offline_bot, MIA, "leeds", "manager", "Mia")
    await _join(offline_bot, ALICE, "leeds", "organiser", "Alice", "alice")
    await _join(offline_bot, SAM1, "leeds", "organiser", "Sam Murphy")
    await _join(offline_bot, SAM2, "leeds", "organiser", "Sam Murphy")
    await _join(offline_bot, BEA, "bradförd-wést", "manager", "Bea Boyd")
    await _join(offline_bot, BOB, "bradförd-wést", "organiser", "Bob Brown", "bob")
    await offline_bot.process(
        offline_bot.message(MIA, "/bind leeds", chat_id=LEEDS_GROUP, chat_type="supergroup")
    )
    await offline_bot.process(
        offline_bot.message(
            BEA, "/bind bradförd-wést", chat_id=BRADFORD_GROUP, chat_type="supergroup"
        )
    )
    offline_bot.clock.now = now
    return offline_bot


def _buttons(params: dict[str, Any]) -> list[tuple[str, str]]:
    rows = params["reply_markup"]["inline_keyboard"]
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def _said(bot: OfflineBot, update: dict[str, Any]) -> str:
    """Every text, popup, caption and file the bot sent in answer to ``update``."""
    said = []
    for call in await bot.process(update):
        said += [str(call.params.get(key) or "") for key in ("text", "caption")]
        said += [bytes(f).decode("utf-8", "replace") for f in call.files.values()]
    return "\n".join(said)


def _leaked(text: str, secrets: tuple[str, ...] = BRADFORD_SECRETS) -> list[str]:
    return [s for s in secrets if s.casefold() in text.casefold()]


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = digits[d] + out
        if not n:
            return out


def _with_asker(data: str, asker: int) -> str:
    prefix, _, rest = data.partition(":")
    return f"{prefix}:{_b36(asker)}:{rest.split(':', 1)[1]}"


async def _bradford_lists(bot: OfflineBot) -> tuple[str, str]:
    """The real target and remove buttons for Bob, as Bradförd Wést's manager is sent them."""
    [target] = await bot.replies(bot.message(BEA, "/target member 121 5 bradförd-wést"))
    [remove] = await bot.replies(bot.message(BEA, "/remove bradförd-wést"))
    return dict(_buttons(target.params))["Bob Brown"], dict(_buttons(remove.params))["Bob Brown"]


async def _own_list_message(bot: OfflineBot, user_id: int) -> dict[str, Any]:
    """A message the bot sent ``user_id`` in their private chat, to tap under."""
    [sent] = await bot.replies(bot.message(user_id, "/help"))
    result: dict[str, Any] = sent.response["result"]
    return result


# --- Forged button taps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "tapper", [MIA, SAM1, STRANGER], ids=["leeds-manager", "organiser", "stranger"]
)
async def test_a_forged_target_tap_on_another_teams_member_changes_nothing_and_names_no_one(
    org: OfflineBot, tapper: int
) -> None:
    target_data, _ = await _bradford_lists(org)
    forged = _with_asker(target_data, tapper)
    assert forged.split(":")[1] == _b36(tapper) and forged != target_data
    message = await _own_list_message(org, tapper)

    said = await _said(org, org.updates.callback_query(tapper, forged, message=message))

    assert said.strip()
    assert not _leaked(said)
    assert "one-to-one: 0/15" in await org.say(BOB, "/week")


@pytest.mark.parametrize(
    "tapper", [MIA, SAM1, STRANGER], ids=["leeds-manager", "organiser", "stranger"]
)
@pytest.mark.parametrize("confirm", [False, True], ids=["choose", "confirm"])
async def test_a_forged_remove_tap_on_another_teams_member_changes_nothing_and_names_no_one(
    org: OfflineBot, tapper: int, confirm: bool
) -> None:
    _, remove_data = await _bradford_lists(org)
    forged = _with_asker(remove_data, tapper)
    if confirm:
        forged = forged[:-1] + "1"
    tap = parse_remove_data(forged)
    assert tap is not None and tap.asker == tapper and tap.confirm is confirm
    message = await _own_list_message(org, tapper)

    said = await _said(org, org.updates.callback_query(tapper, forged, message=message))

    assert said.strip()
    assert not _leaked(said)
    assert "Bob Brown" in await org.say(BEA, "/team bradförd-wést")


async def test_a_forged_tap_pairing_own_team_with_another_teams_member_is_refused(
    org: OfflineBot,
) -> None:
    # Mia's own list names Leeds; she swaps in Bob's person number from Bradförd Wést's list.
    [mine] = await org.replies(org.message(MIA, "/target member 121 5"))
    alice = dict(_buttons(mine.params))["Alice"]
    bob_target, bob_remove = await _bradford_lists(org)
    bob_person = bob_target.split(":")[3]
    fields = alice.split(":")
    fields[3] = bob_person
    forged_target = ":".join(fields)
    r = bob_remove.split(":")
    leeds_team = fields[2]
    forged_remove = ":".join([r[0], _b36(MIA), leeds_team, r[3], "1"])
    message = mine.response["result"]

    said = await _said(org, org.updates.callback_query(MIA, forged_target, message=message))
    said += await _said(org, org.updates.callback_query(MIA, forged_remove, message=message))

    assert not _leaked(said)
    assert "one-to-one: 0/15" in await org.say(BOB, "/week")
    assert "Bob Brown" in await org.say(BEA, "/team bradförd-wést")


async def test_a_tap_on_a_list_sent_to_someone_else_is_refused_even_by_its_teams_manager(
    org: OfflineBot,
) -> None:
    # An admin's list, tapped by Leeds's own manager: the list is not hers.
    [sent] = await org.replies(org.message(ADMIN_ID, "/target member 121 5 leeds"))
    data = dict(_buttons(sent.params))["Alice"]

    said = await _said(org, org.updates.callback_query(MIA, data, message=sent.response["result"]))

    assert "someone else" in said
    assert "one-to-one: 0/15" in await org.say(ALICE, "/week")


# --- Replies to commands: no other team's names or members ----------------------------------

PRIVATE_ASKS = [
    "/invite bradford-west organiser",
    "/invite bradförd-wést organiser",
    "/target @bob 121 5",
    "/target @bob 121 5 bradförd-wést",
    "/target @bob 121 reset",
    "/target @bob 121 none",
    "/target member 121 5 bradförd-wést",
    "/target member 121 5 bradförd-wést bob",
    "/target organiser 121 3 bradförd-wést",
    "/totals @bob",
    "/totals bradförd-wést",
    "/team bradförd-wést",
    "/remove bradförd-wést",
    "/remove bradförd-wést @bob",
    "/remove bradförd-wést bob",
    "/remove @bob",
    "/export",
    "/export bradförd-wést",
    "/ledger",
    "/ledger bradförd-wést",
    "/use bradförd-wést",
    "/week bradförd-wést",
    "/diary bradförd-wést",
    "#bradförd-wést 2 doors",
    "/log doors 2 #bradförd-wést",
]


@pytest.mark.parametrize(
    "user_id", [STRANGER, MIA, SAM1], ids=["stranger", "leeds-manager", "leeds-organiser"]
)
async def test_a_private_reply_names_no_other_team_or_its_members(
    org: OfflineBot, user_id: int
) -> None:
    leaks = {}
    for text in PRIVATE_ASKS:
        said = await _said(org, org.message(user_id, text))
        assert said.strip(), text
        if leaked := _leaked(said):
            leaks[text] = leaked

    assert leaks == {}


GROUP_ASKS = [
    "/totals @bob",
    "/team",
    "/team bradförd-wést",
    "/target @bob 121 5",
    "/target member 121 5",
    "/remove bradförd-wést",
    "/remove bradförd-wést @bob",
    "/export",
    "/ledger",
    "/digest",
    "/bind bradförd-wést",
    "/invite bradförd-wést organiser",
]


@pytest.mark.parametrize(
    "user_id", [STRANGER, MIA, SAM1], ids=["stranger", "leeds-manager", "leeds-organiser"]
)
@pytest.mark.parametrize("chat_id", [LEEDS_GROUP, -1009999], ids=["leeds-group", "other-group"])
async def test_a_group_reply_names_no_other_team_or_its_members(
    org: OfflineBot, user_id: int, chat_id: int
) -> None:
    leaks = {}
    for text in GROUP_ASKS:
        update = org.message(user_id, text, chat_id=chat_id, chat_type="supergroup")
        if leaked := _leaked(await _said(org, update)):
            leaks[text] = leaked

    assert leaks == {}


@pytest.mark.parametrize(
    "text",
    [
        "/target @alice 121 5",
        "/totals @alice",
        "/remove leeds @alice",
        "/remove leeds",
        "/target member 121 5",
        "/team leeds",
    ],
)
async def test_an_organiser_is_not_shown_their_own_teams_members_by_managers_commands(
    org: OfflineBot, text: str
) -> None:
    said = await _said(org, org.message(SAM1, text))

    assert said.strip()
    assert "Alice" not in said and "Mia" not in said
    assert "one-to-one: 0/15" in await org.say(ALICE, "/week")


async def test_an_admin_still_reaches_another_teams_member(org: OfflineBot) -> None:
    reply = await org.say(ADMIN_ID, "/target @bob 121 4")

    assert "Bob Brown" in reply and "Bradförd Wést" in reply
    assert "one-to-one: 0/4" in await org.say(BOB, "/week")


# --- Identities: usernames kept current from every update ------------------------------------


async def test_a_username_changed_in_an_edited_message_is_kept(org: OfflineBot) -> None:
    sent = org.message(ALICE, "doors 1")
    await org.process(sent)
    edited = org.updates.edited(sent, "doors 2")
    edited["edited_message"]["from"]["username"] = "alice_k"
    await org.process(edited)

    reply = await org.say(MIA, "/target @alice_k 121 6")

    assert "Alice" in reply and "now 6" in reply


async def test_a_username_changed_in_a_button_tap_is_kept(org: OfflineBot) -> None:
    [logged] = await org.replies(org.message(ALICE, "doors 1"))
    [(_, undo)] = _buttons(logged.params)
    tap = org.updates.callback_query(ALICE, undo, message=logged.response["result"])
    tap["callback_query"]["from"]["username"] = "alice_k"
    await org.process(tap)

    reply = await org.say(MIA, "/target @alice_k 121 6")

    assert "Alice" in reply and "now 6" in reply


async def test_a_username_changed_in_a_tap_on_an_expired_button_is_kept(org: OfflineBot) -> None:
    message = await _own_list_message(org, ALICE)
    tap = org.updates.callback_query(ALICE, "tp:zz", message=message)
    tap["callback_query"]["from"]["username"] = "alice_k"
    await org.process(tap)

    reply = await org.say(MIA, "/target @alice_k 121 6")

    assert "Alice" in reply and "now 6" in reply


async def test_a_username_changed_in_a_plain_group_message_is_kept(org: OfflineBot) -> None:
    await org.process(
        org.message(
            ALICE, "morning all", chat_id=LEEDS_GROUP, first_name="Alice", username="alice_k"
        )
    )

    reply = await org.say(MIA, "/target @alice_k 121 6")

    assert "Alice" in reply and "now 6" in reply


async def test_a_username_given_up_no_longer_finds_its_former_holder(org: OfflineBot) -> None:
    await org.say(ALICE, "/week", first_name="Alice", username=None)

    reply = await org.say(MIA, "/target @alice 121 6")

    assert "now 6" not in reply
    assert "/target member" in reply
    assert "one-to-one: 0/15" in await org.say(ALICE, "/week", first_name="Alice")


async def test_a_username_taken_by_a_stranger_no_longer_finds_its_former_holder(
    org: OfflineBot,
) -> None:
    # Alice gave up @alice without writing since; a stranger took it and wrote to the bot.
    await org.say(STRANGER, "/start", first_name="Zed", username="alice")

    reply = await org.say(MIA, "/target @alice 121 6")

    assert "now 6" not in reply
    assert "one-to-one: 0/15" in await org.say(ALICE, "/week", first_name="Alice", username=None)


async def test_a_username_is_matched_in_any_case_and_taken_in_any_case(org: OfflineBot) -> None:
    await org.say(SAM1, "/week", first_name="Sam Murphy", username="Sam_M")
    await org.say(SAM2, "/week", first_name="Sam Murphy", username="sam_m")

    reply = await org.say(MIA, "/target @SAM_M 121 4")

    assert reply == "✓ Sam Murphy's one-to-one target in Leeds is now 4 a week (was 15)."
    assert "one-to-one: 0/4" in await org.say(SAM2, "/week")
    assert "one-to-one: 0/15" in await org.say(SAM1, "/week")


async def test_a_username_two_rows_still_hold_is_refused_with_what_to_do(org: OfflineBot) -> None:
    # Stored before usernames were taken from their former holders: both rows say @sam.
    await _both_hold_sam(org)

    [sent] = await org.replies(org.message(MIA, "/target @sam 121 4"))

    text = sent.params["text"]
    assert "now 4" not in text
    markup = sent.params.get("reply_markup")
    assert markup or "/target member" in text
    assert "one-to-one: 0/15" in await org.say(SAM1, "/week")
    assert "one-to-one: 0/15" in await org.say(SAM2, "/week")


@pytest.mark.parametrize(
    "text", ["/target @nobody 121 5", "/totals @nobody", "/remove leeds @nobody"]
)
async def test_an_unknown_username_is_refused_with_what_to_do(org: OfflineBot, text: str) -> None:
    reply = await org.say(MIA, text)

    assert "@nobody" in reply
    rest = reply.replace(text, "")
    assert "/" in rest or "choose" in rest  # says what to do instead


# --- Target forms ----------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["NONE", "None", "0", "00"])
async def test_clear_is_understood_in_any_case_and_as_zero(org: OfflineBot, word: str) -> None:
    reply = await org.say(MIA, f"/target @alice 121 {word}")

    assert "now none (was 15)" in reply
    assert "one-to-one: 0/" not in await org.say(ALICE, "/week")


@pytest.mark.parametrize("word", ["-1", "5.5", "1e3", "99999999999999999999", "five", "½"])
async def test_a_value_that_is_not_a_target_changes_nothing(org: OfflineBot, word: str) -> None:
    reply = await org.say(MIA, f"/target @alice 121 {word}")

    assert "✓" not in reply
    assert "none" in reply and "reset" in reply
    assert "one-to-one: 0/15" in await org.say(ALICE, "/week")


async def test_a_cleared_role_target_applies_to_its_members_and_reset_returns_to_it(
    org: OfflineBot,
) -> None:
    await org.say(MIA, "/target @alice 121 7")
    cleared = await org.say(MIA, "/target organiser 121 none")
    assert "now none (was 15)" in cleared
    assert "one-to-one: 0/" not in await org.say(SAM1, "/week")
    assert "one-to-one: 0/7" in await org.say(ALICE, "/week")

    reset = await org.say(MIA, "/target @alice 121 reset")

    assert "now the organiser target" in reset and "(was 7)" in reset
    assert "one-to-one: 0/" not in await org.say(ALICE, "/week")
    back = await org.say(MIA, "/target organiser 121 reset")
    assert "built-in default, 15" in back
    assert "one-to-one: 0/15" in await org.say(ALICE, "/week")


@pytest.mark.parametrize("word", ["none", "reset", "9"])
async def test_each_form_works_through_the_member_picker(org: OfflineBot, word: str) -> None:
    await org.say(MIA, "/target @alice 121 3")
    [sent] = await org.replies(org.message(MIA, f"/target member 121 {word}"))
    data = dict(_buttons(sent.params))["Alice"]

    said = await _said(org, org.updates.callback_query(MIA, data, message=sent.response["result"]))

    week = await org.say(ALICE, "/week")
    if word == "none":
        assert "now none (was 3)" in said and "one-to-one: 0/" not in week
    elif word == "reset":
        assert "organiser target, 15 (was 3)" in said and "one-to-one: 0/15" in week
    else:
        assert "now 9 a week (was 3)" in said and "one-to-one: 0/9" in week


async def test_a_replayed_tap_from_a_copied_update_sets_nothing_twice(org: OfflineBot) -> None:
    [sent] = await org.replies(org.message(MIA, "/target member 121 5"))
    data = dict(_buttons(sent.params))["Sam Murphy (1)"]
    tap = org.updates.callback_query(MIA, data, message=sent.response["result"])
    await org.process(tap)
    await org.say(MIA, "/target @alice 121 2")

    again = copy.deepcopy(tap)
    again["update_id"] += 1000
    again["callback_query"]["id"] += "1"
    said = await _said(org, again)

    assert "now 5" not in said or "changed since" in said
    assert "one-to-one: 0/5" in await org.say(SAM1, "/week")


# --- A team's short name: another team's answers the same as a name no team has --------------

_SAYS_IT_EXISTS = "the reply tells an existing team's short name from one no team has"
_TEAM_FORMS = [
    "/invite {t} organiser",
    "/revoke {t}",
    "/target organiser 121 3 {t}",
    "/target @alice 121 3 {t}",
    "/target @bob 121 3 {t}",
    "/totals {t}",
    "/totals week {t}",
    "/team {t}",
    "/remove {t}",
    "/remove {t} @bob",
    "/export week {t}",
    "/ledger {t}",
    "/use {t}",
    "/week {t}",
    "/diary {t}",
    "#{t} 2 doors",
]
#: The (asker, form) pairs whose replies differ today.
_DIFFER: set[tuple[int, str]] = set()
_ASKERS = {STRANGER: "stranger", MIA: "leeds-manager", SAM1: "leeds-organiser"}


def _team_cases() -> list[Any]:
    cases = []
    for asker, label in _ASKERS.items():
        for form in _TEAM_FORMS:
            marks = (
                [pytest.mark.xfail(strict=True, reason=_SAYS_IT_EXISTS)]
                if (asker, form) in _DIFFER
                else []
            )
            cases.append(pytest.param(asker, form, marks=marks, id=f"{label}:{form}"))
    return cases


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # replies only: one database
@pytest.mark.parametrize(("asker", "form"), _team_cases())
async def test_another_teams_short_name_gets_the_same_reply_as_no_teams(
    org: OfflineBot, asker: int, form: str
) -> None:
    theirs = await _said(org, org.message(asker, form.format(t="bradförd-wést")))
    nobodys = await _said(org, org.message(asker, form.format(t="nosuchteam")))

    assert theirs.replace("bradförd-wést", "X") == nobodys.replace("nosuchteam", "X")


@pytest.mark.parametrize("asker", list(_ASKERS), ids=list(_ASKERS.values()))
async def test_bind_in_a_spare_group_answers_another_teams_name_as_no_teams(
    org: OfflineBot, asker: int
) -> None:
    spare = -1009999
    theirs = await _said(
        org, org.message(asker, "/bind bradförd-wést", chat_id=spare, chat_type="supergroup")
    )
    nobodys = await _said(
        org, org.message(asker, "/bind nosuchteam", chat_id=spare, chat_type="supergroup")
    )

    assert theirs.replace("bradförd-wést", "X") == nobodys.replace("nosuchteam", "X")


# --- More on who an @username means ------------------------------------------------------------


async def _both_hold_sam(bot: OfflineBot) -> None:
    db: Database = bot.app.bot_data.db

    def both_sam(conn: Any) -> None:
        table = Person.__table__
        conn.execute(
            sql_update(table)  # type: ignore[arg-type]
            .where(table.c.telegram_user_id.in_([SAM1, SAM2]))  # type: ignore[attr-defined]
            .values(username="sam")
        )

    await db.run(both_sam)


async def test_totals_for_a_username_several_hold_is_refused_with_what_to_do(
    org: OfflineBot,
) -> None:
    await _both_hold_sam(org)

    [sent] = await org.replies(org.message(MIA, "/totals @sam"))

    text = sent.params["text"]
    assert "0/30" not in text
    assert sent.params.get("reply_markup") or "@sam" in text


async def test_remove_for_a_username_several_hold_offers_them_to_choose(org: OfflineBot) -> None:
    await _both_hold_sam(org)

    [sent] = await org.replies(org.message(MIA, "/remove leeds @sam"))

    assert [label for label, _ in _buttons(sent.params)] == ["Sam Murphy (1)", "Sam Murphy (2)"]
    assert (await org.say(MIA, "/team leeds")).count("Sam Murphy") == 2


async def test_a_list_tapped_after_its_sender_stopped_managing_changes_nothing(
    org: OfflineBot,
) -> None:
    [target] = await org.replies(org.message(MIA, "/target member 121 5"))
    [remove] = await org.replies(org.message(MIA, "/remove leeds"))
    # Mia's own membership ends (an admin removes her).
    [pick] = await org.replies(org.message(ADMIN_ID, "/remove leeds mia"))
    [(_, choose)] = _buttons(pick.params)
    calls = await org.process(
        org.updates.callback_query(ADMIN_ID, choose, message=pick.response["result"])
    )
    [edit] = [c for c in calls if c.method == "editMessageText"]
    [(_, confirm)] = _buttons(edit.params)
    await org.process(
        org.updates.callback_query(ADMIN_ID, confirm, message=pick.response["result"])
    )

    said = await _said(
        org,
        org.updates.callback_query(
            MIA, dict(_buttons(target.params))["Alice"], message=target.response["result"]
        ),
    )
    said += await _said(
        org,
        org.updates.callback_query(
            MIA, dict(_buttons(remove.params))["Alice"], message=remove.response["result"]
        ),
    )

    assert "✓" not in said
    assert "one-to-one: 0/15" in await org.say(ALICE, "/week")
    assert "Alice" in await org.say(ADMIN_ID, "/team leeds")
