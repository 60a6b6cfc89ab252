"""Choosing a member on an inline keyboard, through ``Application.process_update``: /target
member, /remove <team>, an @username several hold; and what a manager of another team hears."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.pickers import parse_remove_data, parse_target_data, remove_data, target_data
from organiser_bot.domain.kinds import Kind, KindRegistry
from organiser_bot.usecases.members import RemoveTap
from organiser_bot.usecases.targets import TargetChange, TargetTap, TargetValue
from tests.conftest import ADMIN_ID, OfflineBot

MIA, ALICE, SAM1, SAM2, BEA, BOB = 1501, 2001, 2002, 2003, 1502, 2101
#: Telegram's limit on a button's callback data, in bytes.
CALLBACK_LIMIT = 64


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
    Bradford (manager Bea, Bob @bob), all members since two weeks before the clock's week."""
    now = offline_bot.clock.now
    offline_bot.clock.now = now - timedelta(weeks=2)
    await offline_bot.say(ADMIN_ID, "/newteam Leeds", first_name="Ada")
    await offline_bot.say(ADMIN_ID, "/newteam Bradford")
    await _join(offline_bot, MIA, "leeds", "manager", "Mia")
    await _join(offline_bot, ALICE, "leeds", "organiser", "Alice", "alice")
    await _join(offline_bot, SAM1, "leeds", "organiser", "Sam Murphy")
    await _join(offline_bot, SAM2, "leeds", "organiser", "Sam Murphy")
    await _join(offline_bot, BEA, "bradford", "manager", "Bea")
    await _join(offline_bot, BOB, "bradford", "organiser", "Bob", "bob")
    offline_bot.clock.now = now
    return offline_bot


def _buttons(sent: dict[str, Any]) -> list[tuple[str, str]]:
    rows = sent["reply_markup"]["inline_keyboard"]
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_a_name_in_another_team_gets_the_same_reply_as_no_name(org: OfflineBot) -> None:
    bob = await org.say(MIA, "/target @bob 121 5")
    nobody = await org.say(MIA, "/target @nobody 121 5")
    assert bob.replace("@bob", "@x") == nobody.replace("@nobody", "@x")
    assert "Bob" not in bob and "Bradford" not in bob
    assert "/target member" in bob  # what to do
    removed = await org.say(MIA, "/remove leeds @bob")
    assert removed.replace("@bob", "@x") == (await org.say(MIA, "/remove leeds @nobody")).replace(
        "@nobody", "@x"
    )
    assert "one-to-one: 0/15" in await org.say(BOB, "/week")


async def test_set_clear_and_reset_say_what_the_target_is_now_and_was(org: OfflineBot) -> None:
    assert (
        await org.say(MIA, "/target @alice 121 5")
        == "✓ Alice's one-to-one target in Leeds is now 5 a week (was 15)."
    )
    assert "one-to-one: 0/5" in await org.say(ALICE, "/week")
    cleared = await org.say(MIA, "/target @alice 121 0")
    assert cleared.startswith("✓ Alice's one-to-one target in Leeds is now none (was 5).")
    assert "0 and none both mean no target" in cleared
    assert "one-to-one: 0/" not in await org.say(ALICE, "/week")
    assert (
        await org.say(MIA, "/target @alice 121 reset")
        == "✓ Alice's one-to-one target in Leeds is now the organiser target, 15 (was none)."
    )
    assert "one-to-one: 0/15" in await org.say(ALICE, "/week")
    assert "nothing to reset" in await org.say(MIA, "/target @alice 121 reset")
    assert (
        await org.say(MIA, "/target organiser 121 12")
        == "✓ The one-to-one target for organisers in Leeds is now 12 a week (was 15)."
    )
    assert (
        await org.say(MIA, "/target organiser 121 reset")
        == "✓ The one-to-one target for organisers in Leeds is now the built-in default, 15 "
        "(was 12)."
    )
    assert "none (no target) or reset" in await org.say(MIA, "/target @alice 121 lots")


async def test_the_same_target_again_says_nothing_changed(org: OfflineBot) -> None:
    await org.say(MIA, "/target @alice 121 none")
    assert (
        await org.say(MIA, "/target @alice 121 0")
        == "Alice's one-to-one target in Leeds is already none: nothing changed."
    )
    await org.say(MIA, "/target @alice 121 6")
    assert (
        await org.say(MIA, "/target @alice 121 6")
        == "Alice's one-to-one target in Leeds is already 6 a week: nothing changed."
    )
    assert "one-to-one: 0/6" in await org.say(ALICE, "/week")


async def test_clearing_a_target_that_was_none_through_the_role_says_so(org: OfflineBot) -> None:
    await org.say(MIA, "/target organiser 121 none")

    cleared = await org.say(MIA, "/target @alice 121 none")

    assert cleared.startswith(
        "✓ Alice's one-to-one target in Leeds is now none, as it was already."
    )
    assert "(was none)" not in cleared
    # Stored for her: the organisers' target set again does not apply to her.
    await org.say(MIA, "/target organiser 121 9")
    assert "one-to-one: 0/" not in await org.say(ALICE, "/week")
    assert "one-to-one: 0/9" in await org.say(SAM1, "/week")


async def test_a_reset_to_no_default_has_one_colon(org: OfflineBot) -> None:
    await org.say(MIA, "/target organiser 121 none")
    await org.say(MIA, "/target organiser 121 reset")
    await org.say(ADMIN_ID, "/target organiser 121 none")

    reply = await org.say(MIA, "/target organiser 121 reset")

    assert reply == (
        "The one-to-one target for organisers in Leeds is already the target for organisers in "
        "every team, none: nothing to reset."
    )


async def test_remove_with_an_username_and_no_team_shows_the_usage(org: OfflineBot) -> None:
    reply = await org.say(MIA, "/remove @alice")

    assert reply.startswith("Usage: /remove <team>")
    assert "Alice" in await org.say(MIA, "/team leeds")


async def test_a_tap_on_a_malformed_button_refreshes_the_name_and_changes_nothing(
    org: OfflineBot,
) -> None:
    [sent] = await org.replies(org.message(MIA, "/help"))
    for data in ("tp:zz", "rp:1:2"):
        tap = org.updates.callback_query(MIA, data, message=sent.response["result"])
        tap["callback_query"]["from"].update(first_name="Mia K", username="mia_k")
        [answer] = await org.replies(tap, "answerCallbackQuery")
        assert "expired" in str(answer.params.get("text")).lower()

    reply = await org.say(ADMIN_ID, "/target @mia_k 121 6")
    assert "Mia K" in reply and "now 6" in reply


async def test_a_member_with_no_username_is_chosen_on_buttons(org: OfflineBot) -> None:
    [sent] = await org.replies(org.message(MIA, "/target member 121 5"), "sendMessage")
    assert "Tap the member whose target to change" in sent.params["text"]
    buttons = _buttons(sent.params)
    labels = [label for label, _ in buttons]
    assert labels == ["Alice", "Mia", "Sam Murphy (1)", "Sam Murphy (2)"]
    assert all(len(data.encode()) <= CALLBACK_LIMIT for _, data in buttons)
    data = dict(buttons)["Sam Murphy (2)"]
    message = sent.response["result"]

    # Someone else's tap on the list changes nothing.
    [answer] = await org.replies(
        org.updates.callback_query(BEA, data, message=message), "answerCallbackQuery"
    )
    assert answer.params["text"] == "This list was sent to someone else."
    assert "one-to-one: 0/15" in await org.say(SAM2, "/week")

    calls = await org.process(org.updates.callback_query(MIA, data, message=message))
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert (
        edit.params["text"] == "✓ Sam Murphy's one-to-one target in Leeds is now 5 a week (was 15)."
    )
    assert "reply_markup" not in edit.params
    assert "one-to-one: 0/5" in await org.say(SAM2, "/week")
    assert "one-to-one: 0/15" in await org.say(SAM1, "/week")

    # The other buttons of the same list are out of date now: refused, nothing changed.
    other = dict(buttons)["Sam Murphy (1)"]
    calls = await org.process(org.updates.callback_query(MIA, other, message=message))
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "changed since this list was sent" in answer.params["text"]
    assert "one-to-one: 0/15" in await org.say(SAM1, "/week")
    # Malformed data is an expired button.
    [answer] = await org.replies(
        org.updates.callback_query(MIA, "tp:zz", message=message), "answerCallbackQuery"
    )
    assert answer.params["text"] == "That button has expired."


async def test_a_username_that_moved_goes_to_its_new_holder(org: OfflineBot) -> None:
    # Sam Murphy (1) had @sam; gave it up; Sam Murphy (2) took it and writes to the bot.
    await org.say(SAM1, "/week", first_name="Sam Murphy", username="sam")
    await org.say(SAM2, "/week", first_name="Sam Murphy", username="sam")
    reply = await org.say(MIA, "/target @sam 121 4")
    assert reply == "✓ Sam Murphy's one-to-one target in Leeds is now 4 a week (was 15)."
    assert "one-to-one: 0/4" in await org.say(SAM2, "/week")
    assert "one-to-one: 0/15" in await org.say(SAM1, "/week", first_name="Sam Murphy")


async def test_remove_without_a_username_chooses_then_confirms(org: OfflineBot) -> None:
    [sent] = await org.replies(org.message(MIA, "/remove leeds murphy"), "sendMessage")
    assert "ends today" in sent.params["text"]
    buttons = dict(_buttons(sent.params))
    assert set(buttons) == {"Sam Murphy (1)", "Sam Murphy (2)"}
    calls = await org.process(
        org.updates.callback_query(MIA, buttons["Sam Murphy (1)"], message=sent.response["result"])
    )
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert "This ends Sam Murphy's membership of Leeds" in edit.params["text"]
    assert "Sam Murphy" in await org.say(MIA, "/team leeds")  # nothing changed yet
    [(label, confirm)] = _buttons(edit.params)
    assert label == "End Sam Murphy's membership"
    calls = await org.process(
        org.updates.callback_query(MIA, confirm, message=sent.response["result"])
    )
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert edit.params["text"].startswith("✓ Sam Murphy is no longer in Leeds")
    assert (await org.say(MIA, "/team leeds")).count("Sam Murphy") == 1
    # The confirmation again: the member has left; refused, nothing more changes.
    calls = await org.process(
        org.updates.callback_query(MIA, confirm, message=sent.response["result"])
    )
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "no longer in a team you manage" in answer.params["text"]
    assert (await org.say(MIA, "/team leeds")).count("Sam Murphy") == 1


async def test_a_manager_of_another_team_is_offered_nobody(org: OfflineBot) -> None:
    reply = await org.say(BEA, "/target member 121 5 leeds")
    assert "Sam" not in reply and "Alice" not in reply
    reply = await org.say(BEA, "/remove leeds")
    assert "Sam" not in reply and "Alice" not in reply


LONGEST_KIND = Kind("k" * 32, "k")


@given(
    asker=st.integers(min_value=1, max_value=2**53),
    team=st.integers(min_value=1, max_value=2**31),
    person=st.integers(min_value=1, max_value=2**31),
    value=st.sampled_from(
        [
            TargetValue(TargetChange.SET, 1000),
            TargetValue(TargetChange.CLEAR),
            TargetValue(TargetChange.RESET),
            TargetValue(TargetChange.SET, 7),
        ]
    ),
    state=st.text(alphabet="0123456789abcdef", min_size=8, max_size=8),
    confirm=st.booleans(),
)
def test_callback_data_fits_telegrams_limit_and_reads_back(
    asker: int, team: int, person: int, value: TargetValue, state: str, confirm: bool
) -> None:
    kinds = KindRegistry([Kind(f"extra_{i}", f"extra {i}") for i in range(40)] + [LONGEST_KIND])
    tap = TargetTap(asker, team, person, LONGEST_KIND.key, value, state)
    data = target_data(tap, kinds)
    assert len(data.encode()) <= CALLBACK_LIMIT
    assert parse_target_data(data, kinds) == tap
    removal = RemoveTap(asker, team, person, confirm)
    data = remove_data(removal)
    assert len(data.encode()) <= CALLBACK_LIMIT
    assert parse_remove_data(data) == removal
