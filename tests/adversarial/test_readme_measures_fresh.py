"""README.md's claims about /measures, /scrutiny, the monthly check-in, /diary @user, /residents and
/active, each checked through the real Application (``process_update``) on SQLite and
PostgreSQL: the command tables, "The review's measures, diaries and scrutiny", the Data
protection rows and paragraphs, the digest's scrutiny line, /help for every role and the
command menus."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.menu import MANAGER_COMMANDS, PRIVATE_COMMANDS, register_menus
from handlers.residents import TelegramCheckinAsker
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.residents import send_checkins
from storage import people
from storage.engine import Database
from storage.models import MonthlyCheckin, Scrutiny, TeamResidents
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import make_member, make_team
from tests.offline import Call

MIA, ALICE, CAL, KAI, BEA, BOB, STRANGER = 6001, 6002, 6003, 6004, 6101, 6102, 6999
NAMES = {
    MIA: "Mia",
    ALICE: "Alice",
    CAL: "Cal",
    KAI: "Kai",
    BEA: "Bea",
    BOB: "Bob",
    ADMIN_ID: "Ada",
    STRANGER: "Stranger",
}
USERNAMES = {MIA: "mia", ALICE: "alice", CAL: "cal", KAI: "kai", BEA: "bea", BOB: "bob"}
ROLES = {
    "admin": ADMIN_ID,
    "manager": MIA,
    "organiser": ALICE,
    "councillor": CAL,
    "caseworker": KAI,
    "stranger": STRANGER,
}
SCRUTINY, RESIDENTS, CHECKIN = table_of(Scrutiny), table_of(TeamResidents), table_of(MonthlyCheckin)
NORTH_CHAT, BRADFORD_CHAT = -7001, -7002


def _db(bot: OfflineBot) -> Database:
    return bot.app.bot_data.db  # type: ignore[no-any-return]


async def _say(bot: OfflineBot, user_id: int, text: str) -> str:
    return await bot.say(
        user_id, text, first_name=NAMES.get(user_id, "Test"), username=USERNAMES.get(user_id)
    )


@pytest.fixture
def org(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward (chat bound): manager Mia, organiser Alice, councillor Cal, caseworker Kai.
    Bradford (chat bound): manager Bea, organiser Bob."""
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward", chat_id=NORTH_CHAT)
        bradford = make_team(conn, "Bradford", chat_id=BRADFORD_CHAT)
        make_member(conn, north, MIA, "Mia", Role.MANAGER, username="mia")
        make_member(conn, north, ALICE, "Alice", Role.ORGANISER, username="alice")
        make_member(conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal")
        make_member(conn, north, KAI, "Kai", Role.CASEWORKER, username="kai")
        make_member(conn, bradford, BEA, "Bea", Role.MANAGER, username="bea")
        make_member(conn, bradford, BOB, "Bob", Role.ORGANISER, username="bob")
    return offline_bot


def _looks(bot: OfflineBot) -> list[tuple[str, int | None]]:
    """Every recorded look: (command, whether a person was asked about)."""
    with _db(bot).begin() as conn:
        rows = conn.execute(
            select(SCRUTINY.c.what, SCRUTINY.c.subject_person_id).order_by(SCRUTINY.c.id)
        )
        return [(what, subject) for what, subject in rows]


def _count(bot: OfflineBot, table: Any) -> int:
    with _db(bot).begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _moment(bot: OfflineBot) -> Moment:
    data = bot.app.bot_data
    return Moment(now=data.now(), tz=data.settings.tz, kinds=data.kinds)


async def _ask(bot: OfflineBot, when: datetime) -> dict[int, dict[str, Any]]:
    """Run the monthly check-in at ``when``; the message each member got, by user id."""
    bot.clock.now = when
    since = len(bot.request.calls)
    await send_checkins(TelegramCheckinAsker(bot.app.bot), _db(bot), moment=_moment(bot))
    sent = [c for c in bot.request.calls[since:] if c.method == "sendMessage" and c.status == 200]
    return {int(c.params["chat_id"]): c.params | {"result": c.result} for c in sent}


async def _tap(bot: OfflineBot, user_id: int, asked: dict[str, Any], label: str) -> list[Call]:
    [button] = [
        b
        for row in asked["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"].strip().lower().startswith(label)
    ]
    update = bot.updates.callback_query(
        user_id, button["callback_data"], message=asked["result"], first_name=NAMES[user_id]
    )
    if user_id in USERNAMES:  # as Telegram sends it: the tapper's @username too
        update["callback_query"]["from"]["username"] = USERNAMES[user_id]
    return await bot.process(update)


# --- /help for every role ----------------------------------------------------------------------

NEW = {
    "/measures": "/measures",
    "/scrutiny": "/scrutiny",
    "/diary @user": "/diary @user",
    "/residents": "/residents",
    "/active": "/active",
}
MAY_USE = {
    "admin": {"/measures", "/scrutiny", "/diary @user", "/residents", "/active"},
    "manager": {"/measures", "/scrutiny", "/diary @user", "/residents", "/active"},
    "organiser": {"/measures", "/scrutiny", "/active"},
    "councillor": {"/measures", "/scrutiny"},
    "caseworker": {"/measures", "/scrutiny"},
    "stranger": set(),
}


@pytest.mark.parametrize("role", list(ROLES))
async def test_help_names_exactly_the_new_commands_each_role_may_use(
    org: OfflineBot, role: str
) -> None:
    text = await _say(org, ROLES[role], "/help")
    shown = {name for name, token in NEW.items() if token in text}
    assert shown == MAY_USE[role]
    # The check-in line for everyone in a team (README: "tap Yes or No ... until the 7th").
    in_team = role not in {"admin", "stranger"}
    assert ("Yes or No" in text and "7th" in text) is in_team


@pytest.mark.parametrize("role", list(ROLES))
async def test_every_command_help_offers_is_answered_without_a_refusal(
    org: OfflineBot, role: str
) -> None:
    """What /help offers a role works for it: no "Only …" refusal (README: who may do what)."""
    uid = ROLES[role]
    for command in sorted(MAY_USE[role]):
        typed = {"/diary @user": "/diary @cal", "/residents": "/residents north-ward"}.get(
            command, command
        )
        answer = await _say(org, uid, typed)
        assert not answer.startswith("Only"), (typed, answer)
        assert "bot is for members" not in answer, (typed, answer)


# --- the command menus -------------------------------------------------------------------------


def _names(commands: list[Any]) -> set[str]:
    return {c.command for c in commands}


def test_private_menu_offers_measures_and_scrutiny_to_every_member() -> None:
    assert {"measures", "scrutiny"} <= _names(PRIVATE_COMMANDS)
    assert not {"residents", "active"} & _names(PRIVATE_COMMANDS)


async def test_managers_menu_adds_residents_and_active(org: OfflineBot) -> None:
    since = len(org.request.calls)
    await register_menus(org.app.bot, frozenset({ADMIN_ID}), frozenset({MIA}))
    menus = {
        c.params["scope"].get("chat_id", c.params["scope"]["type"]): {
            m["command"] for m in c.params["commands"]
        }
        for c in org.request.calls_to("setMyCommands", since)
    }
    for uid in (ADMIN_ID, MIA):
        assert {"measures", "scrutiny", "residents", "active", "diary"} <= menus[uid]
    assert "active" not in menus["all_private_chats"]
    assert {"residents", "active"} <= _names(MANAGER_COMMANDS)


async def test_organisers_menu_offers_active(org: OfflineBot) -> None:
    since = len(org.request.calls)
    # As the bot does at start: the organisers read from the database.
    organisers = _db(org).call(people.role_holder_ids, Role.ORGANISER)
    assert ALICE in organisers
    await register_menus(org.app.bot, frozenset({ADMIN_ID}), frozenset({MIA}), organisers)
    menus = {
        c.params["scope"].get("chat_id", c.params["scope"]["type"]): {
            m["command"] for m in c.params["commands"]
        }
        for c in org.request.calls_to("setMyCommands", since)
    }
    assert "active" in menus.get(ALICE, menus["all_private_chats"])


# --- /residents --------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["12400", "12,400", "12 400", "12_400"])
async def test_residents_readme_example_reply_for_each_spelling(
    org: OfflineBot, typed: str
) -> None:
    await _say(org, MIA, "/residents north-ward 11000")
    answer = await _say(org, MIA, f"/residents north-ward {typed}")
    assert answer == "✓ North Ward's area: 12,400 residents (was 11,000)."


@pytest.mark.parametrize(
    ("typed", "ok"),
    [("1", True), ("100,000,000", True), ("0", False), ("100000001", False), ("12.5", False)],
)
async def test_residents_accepts_whole_numbers_from_1_to_100_million(
    org: OfflineBot, typed: str, ok: bool
) -> None:
    answer = await _say(org, ADMIN_ID, f"/residents north-ward {typed}")
    assert answer.startswith("✓") is ok
    assert _count(org, RESIDENTS) == (1 if ok else 0)


@pytest.mark.parametrize("role", ["organiser", "councillor", "caseworker", "stranger"])
async def test_residents_only_for_managers_and_admins(org: OfflineBot, role: str) -> None:
    answer = await _say(org, ROLES[role], "/residents north-ward 5000")
    assert not answer.startswith("✓")
    assert _count(org, RESIDENTS) == 0


async def test_residents_manager_of_another_team_is_refused_and_nothing_recorded(
    org: OfflineBot,
) -> None:
    other = await _say(org, BEA, "/residents north-ward 5000")
    none = await _say(org, BEA, "/residents zzzz 5000")
    assert other.replace("north-ward", "X") == none.replace("zzzz", "X")
    assert _count(org, RESIDENTS) == 0


async def test_residents_team_shows_when_and_by_whom_and_list_is_your_teams(
    org: OfflineBot,
) -> None:
    await _say(org, MIA, "/residents north-ward 12400")
    shown = await _say(org, MIA, "/residents north-ward")
    assert "12,400 residents" in shown and "Mia" in shown and "26 November 2026" in shown
    listed = await _say(org, MIA, "/residents")
    assert "North Ward" in listed and "Bradford" not in listed
    everyone = await _say(org, ADMIN_ID, "/residents")
    assert "North Ward" in everyone and "Bradford" in everyone


# --- /active -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "month"),
    [
        ("", "November 2026"),
        (" lastmonth", "October 2026"),
        (" 2026-10", "October 2026"),
        (" october", "October 2026"),
    ],
)
async def test_active_month_spellings_and_default(org: OfflineBot, typed: str, month: str) -> None:
    answer = await _say(org, ALICE, f"/active @cal{typed}")
    assert "Cal" in answer and month in answer
    with _db(org).begin() as conn:
        [(active, first_day)] = conn.execute(
            select(CHECKIN.c.active, CHECKIN.c.month).where(CHECKIN.c.active.is_not(None))
        ).all()
    assert active is True
    assert first_day == (date(2026, 11, 1) if month.startswith("Nov") else date(2026, 10, 1))


async def test_active_no_marks_not_active_and_reply_says_what_it_was_before(
    org: OfflineBot,
) -> None:
    await _say(org, MIA, "/active @cal october")
    answer = await _say(org, ALICE, "/active @cal october no")
    assert "Cal" in answer and "October 2026" in answer
    assert "not active" in answer.lower()
    assert "was" in answer.lower() or "before" in answer.lower()
    listed = await _say(org, ALICE, "/active north-ward october")
    assert "Not active (1): Cal" in listed


@pytest.mark.parametrize("order", ["/active north-ward october", "/active october north-ward"])
async def test_active_list_takes_team_and_month_in_either_order(
    org: OfflineBot, order: str
) -> None:
    await _say(org, ALICE, "/active @kai october")
    listed = await _say(org, ALICE, order)
    assert "North Ward" in listed and "October 2026" in listed
    assert "Active (1): Kai" in listed
    assert "Not answered" in listed and "Bob" not in listed


@pytest.mark.parametrize("role", ["councillor", "caseworker", "stranger"])
async def test_active_refused_for_roles_without_it(org: OfflineBot, role: str) -> None:
    answer = await _say(org, ROLES[role], "/active @kai")
    assert "Kai" not in answer or role != "stranger"
    assert _count(org, CHECKIN) == 0


async def test_active_another_teams_member_reads_like_no_member(org: OfflineBot) -> None:
    other = await _say(org, ALICE, "/active @bob")
    none = await _say(org, ALICE, "/active @zzzz")
    assert other.replace("bob", "X") == none.replace("zzzz", "X")
    assert _count(org, CHECKIN) == 0


# --- the monthly check-in ----------------------------------------------------------------------


async def test_checkin_on_the_last_day_asks_about_this_month_with_yes_and_no(
    org: OfflineBot,
) -> None:
    asked = await _ask(org, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    assert set(asked) == {MIA, ALICE, CAL, KAI, BEA, BOB}
    text = asked[CAL]["text"]
    assert text.startswith("Were you active this month (November 2026)?")
    labels = [b["text"] for row in asked[CAL]["reply_markup"]["inline_keyboard"] for b in row]
    assert [label.strip() for label in labels] == ["Yes", "No"]
    again = await _ask(org, datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    assert again == {}


async def test_checkin_reaching_someone_on_the_3rd_asks_about_last_month(org: OfflineBot) -> None:
    asked = await _ask(org, datetime(2026, 12, 3, 11, 0, tzinfo=UTC))
    assert asked[CAL]["text"].startswith("Were you active last month (November 2026)?")


async def test_checkin_answer_can_change_until_the_7th_then_closes(org: OfflineBot) -> None:
    asked = await _ask(org, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    await _tap(org, CAL, asked[CAL], "yes")
    org.clock.now = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
    await _tap(org, CAL, asked[CAL], "no")
    listed = await _say(org, ALICE, "/active north-ward november")
    assert "Not active (1): Cal" in listed
    org.clock.now = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    calls = await _tap(org, CAL, asked[CAL], "yes")
    said = " ".join(
        c.params.get("text", "")
        for c in calls
        if c.method in {"answerCallbackQuery", "editMessageText", "sendMessage"}
    )
    assert "closed" in said
    assert "Not active (1): Cal" in await _say(org, ALICE, "/active north-ward november")


async def test_checkin_members_tap_replaces_an_organisers_mark(org: OfflineBot) -> None:
    asked = await _ask(org, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    await _say(org, ALICE, "/active @cal november no")
    await _tap(org, CAL, asked[CAL], "yes")
    assert "Active (1): Cal" in await _say(org, ALICE, "/active north-ward november")
    await _say(org, ALICE, "/active @cal november no")
    assert "Not active (1): Cal" in await _say(org, ALICE, "/active north-ward november")


# --- /scrutiny and what is recorded -------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "manager", "organiser", "councillor", "caseworker"])
async def test_scrutiny_open_to_everyone_in_the_organisation_default_4_weeks(
    org: OfflineBot, role: str
) -> None:
    await _say(org, MIA, "/totals north-ward")
    answer = await _say(org, ROLES[role], "/scrutiny")
    assert "last 4 weeks" in answer
    assert "North Ward" in answer and "Bradford" in answer
    assert "Median team" in answer
    assert "Mia" not in answer  # never who looked


async def test_scrutiny_refused_to_a_stranger(org: OfflineBot) -> None:
    await _say(org, MIA, "/totals north-ward")
    answer = await _say(org, STRANGER, "/scrutiny")
    assert "North Ward" not in answer and "look" not in answer


async def test_scrutiny_takes_any_period_totals_accepts(org: OfflineBot) -> None:
    for period in ("week", "last", "13w", "month", "2026-W48", "2026-11-01..2026-11-30"):
        totals = await _say(org, MIA, f"/totals north-ward {period}")
        scrutiny = await _say(org, KAI, f"/scrutiny {period}")
        assert not totals.startswith("I couldn't") and "North Ward" in scrutiny, period


@pytest.mark.parametrize(
    ("typed", "what", "about_a_person"),
    [
        ("/totals north-ward", "totals", False),
        ("/team north-ward", "team", False),
        ("/measures north-ward", "measures", False),
        ("/diary @cal", "diary", True),
        ("/totals @cal", "totals", True),
    ],
)
async def test_a_managers_look_is_recorded_with_its_command(
    org: OfflineBot, typed: str, what: str, about_a_person: bool
) -> None:
    await _say(org, MIA, typed)
    [(recorded, subject)] = _looks(org)
    assert what in recorded
    assert (subject is not None) is about_a_person


async def test_export_look_is_recorded(org: OfflineBot) -> None:
    await _say(org, CAL, "doors 3")
    await org.process(org.message(MIA, "/export", first_name="Mia", username="mia"))
    assert [w for w, _ in _looks(org)] == ["export"]


@pytest.mark.parametrize("role", ["organiser", "councillor", "caseworker"])
async def test_a_members_own_measures_and_diary_are_not_recorded(
    org: OfflineBot, role: str
) -> None:
    await _say(org, ROLES[role], "/measures")
    await _say(org, ROLES[role], "/diary")
    await _say(org, ROLES[role], "/week")
    assert _looks(org) == []


@pytest.mark.parametrize(
    ("uid", "typed"),
    [
        (ALICE, "/totals north-ward"),
        (CAL, "/diary @kai"),
        (BEA, "/diary @cal"),
        (BEA, "/measures north-ward"),
        (MIA, "/measures bradford"),
        (MIA, "/totals zzzz"),
        (STRANGER, "/measures"),
    ],
)
async def test_refused_reads_record_no_look(org: OfflineBot, uid: int, typed: str) -> None:
    await _say(org, uid, typed)
    assert _looks(org) == []


async def test_group_totals_records_no_look(org: OfflineBot) -> None:
    await org.process(
        org.message(MIA, "/totals", chat_id=NORTH_CHAT, chat_type="group", first_name="Mia")
    )
    assert _looks(org) == []


async def test_measures_all_records_one_look_per_team_shown(org: OfflineBot) -> None:
    await _say(org, ADMIN_ID, "/measures all")
    assert [w for w, _ in _looks(org)] == ["measures", "measures"]
    await _say(org, MIA, "/measures all")
    assert len(_looks(org)) == 3


# --- /measures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["organiser", "councillor", "caseworker"])
async def test_measures_for_members_is_the_aggregate_without_names(
    org: OfflineBot, role: str
) -> None:
    await _say(org, CAL, "doors 14 mon")
    answer = await _say(org, ROLES[role], "/measures")
    assert answer.startswith("North Ward · measures")
    for name in ("Cal", "Kai", "Alice", "Mia"):
        assert name not in answer
    assert "councillors" in answer


async def test_measures_for_a_manager_is_per_person(org: OfflineBot) -> None:
    answer = await _say(org, MIA, "/measures")
    assert answer.startswith("North Ward · measures")
    for name in ("Cal, councillor", "Kai, caseworker", "Alice, organiser"):
        assert name in answer
    assert "Mia" not in answer.split("13 weeks")[0]  # managers' own contacts are not in the rates


async def test_measures_all_is_every_team_for_admins_own_for_managers(org: OfflineBot) -> None:
    admin = await _say(org, ADMIN_ID, "/measures all")
    assert "Bradford" in admin and "North Ward" in admin
    manager = await _say(org, MIA, "/measures all")
    assert "Bradford" not in manager
    assert "Bradford" not in await _say(org, ALICE, "/measures all")


async def test_measures_a_member_naming_another_team_reads_like_no_team(org: OfflineBot) -> None:
    other = await _say(org, ALICE, "/measures bradford")
    none = await _say(org, ALICE, "/measures zzzz")
    assert other.replace("bradford", "X") == none.replace("zzzz", "X")


async def test_measures_residents_per_active_member_uses_residents_and_checkins(
    org: OfflineBot,
) -> None:
    await _say(org, MIA, "/residents north-ward 12000")
    await _say(org, ALICE, "/active @cal")
    await _say(org, ALICE, "/active @kai")
    answer = await _say(org, MIA, "/measures")
    [nov] = [line for line in answer.splitlines() if "Nov so far" in line]
    assert "6,000" in nov or "6000" in nov
    none = await _say(org, ADMIN_ID, "/measures bradford")
    assert "—" in none and ("no residents" in none.lower() or "not recorded" in none.lower())


# --- /diary @user ------------------------------------------------------------------------------


async def test_diary_user_manager_sees_notes_admin_only_counts(org: OfflineBot) -> None:
    await _say(org, CAL, "doors 14 yesterday at 18:30 Elm Street")
    manager = await _say(org, MIA, "/diary @cal")
    admin = await _say(org, ADMIN_ID, "/diary @cal")
    assert "Elm Street" in manager and "18:30" in manager
    assert "Elm Street" not in admin and "18:30" in admin
    assert "—" in manager  # a day with nothing


async def test_diary_user_name_only_in_another_team_reads_like_no_one(org: OfflineBot) -> None:
    other = await _say(org, MIA, "/diary @bob")
    none = await _say(org, MIA, "/diary @zzzz")
    assert other.replace("bob", "X") == none.replace("zzzz", "X")
    assert _looks(org) == []


async def test_diary_user_longer_than_92_days_shows_the_last_92_and_says_so(
    org: OfflineBot,
) -> None:
    calls = await org.process(
        org.message(MIA, "/diary @cal 2026-01-01..2026-11-26", first_name="Mia", username="mia")
    )
    answer_parts = [c.params["text"] for c in calls if c.method == "sendMessage"]
    text = "\n".join(answer_parts)
    assert "92" in text
    assert "Aug" in text and "Jan" not in text.replace("2026-01-01", "")
    assert all(len(p) <= 4096 for p in answer_parts)


@pytest.mark.parametrize("role", ["organiser", "councillor", "caseworker", "stranger"])
async def test_diary_user_refused_to_other_roles(org: OfflineBot, role: str) -> None:
    await _say(org, CAL, "doors 14 Elm Street")
    answer = await _say(org, ROLES[role], "/diary @cal")
    assert "Elm Street" not in answer
    assert _looks(org) == []


# --- Data protection: /mydata and /forgetme -----------------------------------------------------


async def test_mydata_shows_checkins_residents_marks_and_looks(org: OfflineBot) -> None:
    await _say(org, MIA, "/residents north-ward 12000")
    await _say(org, MIA, "/active @cal october")
    await _say(org, MIA, "/totals @cal")
    asked = await _ask(org, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    await _tap(org, MIA, asked[MIA], "yes")
    mine = await _say(org, MIA, "/mydata")
    lower = mine.lower()
    assert "residents figures recorded: 1" in lower
    assert "check-in" in lower or "active" in lower
    assert "looks you took" in lower
    cal = await _say(org, CAL, "/mydata")
    assert "Who looked at your figures" in cal
    assert "Mia (manager, North Ward)" in cal and "totals 1" in cal
    assert "October 2026" in cal or "Oct 2026" in cal  # the month he was marked


async def test_mydata_counts_diary_of_you_and_measures_of_your_team(org: OfflineBot) -> None:
    await _say(org, MIA, "/diary @cal")
    await _say(org, MIA, "/measures")
    cal = await _say(org, CAL, "/mydata")
    [line] = [x for x in cal.splitlines() if x.startswith("• Mia")]
    assert "diary 1" in line and "measures 1" in line
    kai = await _say(org, KAI, "/mydata")
    [kline] = [x for x in kai.splitlines() if x.startswith("• Mia")]
    assert "diary" not in kline and "measures 1" in kline


async def test_forgetme_keeps_scrutiny_counts_and_active_members(org: OfflineBot) -> None:
    await _say(org, MIA, "/residents north-ward 12000")
    await _say(org, MIA, "/totals north-ward")
    await _say(org, MIA, "/active @cal")
    asked = await _ask(org, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    await _tap(org, KAI, asked[KAI], "yes")
    before_measures = await _say(org, ADMIN_ID, "/measures north-ward")
    before_scrutiny = await _say(org, CAL, "/scrutiny")
    await _say(org, MIA, "/forgetme confirm")
    await _say(org, KAI, "/forgetme confirm")
    after_scrutiny = await _say(org, CAL, "/scrutiny")
    assert [x for x in before_scrutiny.splitlines() if "North Ward" in x] == [
        x for x in after_scrutiny.splitlines() if "North Ward" in x
    ]
    after_measures = await _say(org, ADMIN_ID, "/measures north-ward")
    nov = [x for x in before_measures.splitlines() if "Nov so far" in x]
    assert nov == [x for x in after_measures.splitlines() if "Nov so far" in x]
    shown = await _say(org, ADMIN_ID, "/residents north-ward")
    assert "Mia" not in shown and "12,000" in shown
    assert "Mia" not in await _say(org, CAL, "/mydata")


# --- the weekly digest's scrutiny line ----------------------------------------------------------


async def test_digest_preview_has_the_scrutiny_line(org: OfflineBot) -> None:
    await _say(org, MIA, "/totals north-ward")
    await _say(org, MIA, "/team north-ward")
    await _say(org, MIA, "/measures")
    await _say(org, BEA, "/totals bradford")
    calls = await org.process(
        org.message(
            MIA, "/digest", chat_id=NORTH_CHAT, chat_type="group", first_name="Mia", username="mia"
        )
    )
    texts = [
        c.params.get("text") or c.params.get("caption") or ""
        for c in calls
        if c.method in {"sendMessage", "sendPhoto", "sendDocument"}
    ]
    joined = "\n".join(texts)
    assert "Your team's figures were opened 3 times so far this week; the median team's 2." in (
        joined
    )
    assert "Mia" not in joined.split("Your team's figures")[1].split("\n")[0]


# --- more of the section's claims ----------------------------------------------------------------


async def test_active_reply_says_marked_by_a_former_member_after_the_marker_forgets(
    org: OfflineBot,
) -> None:
    await _say(org, MIA, "/active @cal october")
    await _say(org, MIA, "/forgetme confirm")
    answer = await _say(org, ALICE, "/active @cal october no")
    assert answer == "✓ Cal: not active in October 2026 (was active, marked by a former member)."


async def test_active_reply_says_their_own_answer(org: OfflineBot) -> None:
    asked = await _ask(org, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    await _tap(org, CAL, asked[CAL], "yes")
    answer = await _say(org, ALICE, "/active @cal november no")
    assert answer == "✓ Cal: not active in November 2026 (was active, their own answer)."


async def test_active_member_who_left_mid_month_can_be_marked_for_it_not_after(
    offline_bot: OfflineBot,
) -> None:
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        make_member(conn, north, ALICE, "Alice", Role.ORGANISER, username="alice")
        make_member(
            conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal", left_on=date(2026, 10, 15)
        )
    answer = await _say(offline_bot, ALICE, "/active @cal october")
    assert answer.startswith("✓ Cal: active in October 2026")
    refused = await _say(offline_bot, ALICE, "/active @cal")
    assert not refused.startswith("✓")
    with _db(offline_bot).begin() as conn:
        months = conn.execute(
            select(CHECKIN.c.month).where(CHECKIN.c.active.is_not(None))
        ).scalars()
        assert list(months) == [date(2026, 10, 1)]


async def test_active_in_one_team_counts_in_every_team_of_that_month(
    offline_bot: OfflineBot,
) -> None:
    """README: "A person active in a month counts as an active member of every team they were
    a member of in that month, whatever their role." """
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        bradford = make_team(conn, "Bradford")
        make_member(conn, north, ALICE, "Alice", Role.ORGANISER, username="alice")
        make_member(conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal")
        make_member(conn, bradford, BEA, "Bea", Role.MANAGER, username="bea")
        make_member(conn, bradford, CAL, "Cal", Role.CASEWORKER, username="cal")
    await _say(offline_bot, BEA, "/residents bradford 9000")
    await _say(offline_bot, ALICE, "/active @cal")
    listed = await _say(offline_bot, BEA, "/active bradford")
    assert "Active (1): Cal" in listed
    measures = await _say(offline_bot, BEA, "/measures bradford")
    [nov] = [line for line in measures.splitlines() if "Nov so far" in line]
    assert "9,000" in nov and "no member active" not in nov


async def test_checkin_asks_someone_in_two_teams_once(offline_bot: OfflineBot) -> None:
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        bradford = make_team(conn, "Bradford")
        make_member(conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal")
        make_member(conn, bradford, CAL, "Cal", Role.CASEWORKER, username="cal")
    asked = await _ask(offline_bot, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    assert list(asked) == [CAL]
    assert await _ask(offline_bot, datetime(2026, 12, 1, 11, 0, tzinfo=UTC)) == {}


async def test_checkin_nobody_asked_about_a_month_they_were_not_in_a_team(
    offline_bot: OfflineBot,
) -> None:
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        make_member(conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal")
        make_member(
            conn, north, KAI, "Kai", Role.CASEWORKER, username="kai", joined_on=date(2026, 12, 2)
        )
    asked = await _ask(offline_bot, datetime(2026, 12, 3, 11, 0, tzinfo=UTC))
    assert set(asked) == {CAL}


async def test_checkin_the_job_does_not_ask_after_the_7th(org: OfflineBot) -> None:
    assert await _ask(org, datetime(2026, 12, 8, 11, 0, tzinfo=UTC)) == {}
    assert _count(org, CHECKIN) == 0


async def test_checkin_tap_after_the_7th_says_closed_and_an_organiser_can_still_mark(
    org: OfflineBot,
) -> None:
    asked = await _ask(org, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    org.clock.now = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
    calls = await _tap(org, CAL, asked[CAL], "yes")
    said = [c.params.get("text", "") for c in calls]
    assert any("closed on" in s and "nothing was changed" in s for s in said)
    assert "Not answered" in await _say(org, ALICE, "/active north-ward november")
    answer = await _say(org, ALICE, "/active @cal november")
    assert answer.startswith("✓ Cal: active in November 2026")


async def test_measures_member_with_no_day_present_is_shown_as_such_never_zero(
    org: OfflineBot,
) -> None:
    away = await _say(org, KAI, "/away 2026-10-20 2026-11-25")
    assert away.startswith("✓"), away
    answer = await _say(org, MIA, "/measures")
    [kai] = [line for line in answer.splitlines() if "Kai" in line]
    assert "0.0" not in kai and "—" in kai and "no day present" in kai
    [caseworkers] = [line for line in answer.splitlines() if "caseworkers" in line]
    assert "0.0" not in caseworkers and "no day present" in caseworkers


async def test_measures_managers_own_contacts_are_not_in_the_rates(org: OfflineBot) -> None:
    before = await _say(org, ALICE, "/measures")
    await _say(org, MIA, "doors 40 2026-11-16")
    after = await _say(org, ALICE, "/measures")
    head = before.split("13 weeks")[0]
    assert head == after.split("13 weeks")[0]


async def test_measures_only_complete_weeks_count(org: OfflineBot) -> None:
    """Today is Thu 26 Nov: this week is not complete, last week (16–22 Nov) is."""
    before = await _say(org, ALICE, "/measures")
    await _say(org, CAL, "doors 28 mon")
    assert await _say(org, ALICE, "/measures") == before
    await _say(org, CAL, "doors 28 2026-11-20")
    after = await _say(org, ALICE, "/measures")
    [line] = [x for x in after.splitlines() if "councillors" in x]
    assert line.split()[0] == "7.0"  # 28 contacts over the 4 weeks ÷ 4 weeks present


async def test_measures_three_month_rate_says_new_when_none_before(org: OfflineBot) -> None:
    await _say(org, CAL, "doors 10 2026-11-20")
    answer = await _say(org, ALICE, "/measures")
    three = answer.split("13 weeks")[1].split("Residents per active member")[0]
    assert "new" in three and "resident contact" in three


async def test_measures_residents_figure_in_force_at_each_months_end(org: OfflineBot) -> None:
    await _say(org, MIA, "/residents north-ward 11000")
    await _say(org, MIA, "/residents north-ward 12400")
    for uid in (ALICE, CAL):
        await _say(org, MIA, f"/active @{USERNAMES[uid]} september")
    answer = await _say(org, MIA, "/measures")
    [sep] = [x for x in answer.splitlines() if "Sep" in x and "residents" in x.lower()]
    assert "5,500" in sep or "5500" in sep  # the first figure, for a month before it
    [nov] = [x for x in answer.splitlines() if "Nov so far" in x]
    assert "12,400" in nov


async def test_measures_default_team_follows_use(offline_bot: OfflineBot) -> None:
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        bradford = make_team(conn, "Bradford")
        make_member(conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal")
        make_member(conn, bradford, CAL, "Cal", Role.COUNCILLOR, username="cal")
    await _say(offline_bot, CAL, "/use north-ward")
    assert (await _say(offline_bot, CAL, "/measures")).startswith("North Ward · measures")
    await _say(offline_bot, CAL, "/use bradford")
    assert (await _say(offline_bot, CAL, "/measures")).startswith("Bradford · measures")
    both = await _say(offline_bot, CAL, "/measures all")
    assert "North Ward" in both and "Bradford" in both and "Cal" not in both
    assert _looks(offline_bot) == []


async def test_diary_user_shows_only_entries_in_teams_you_may_manage(
    offline_bot: OfflineBot,
) -> None:
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        bradford = make_team(conn, "Bradford")
        make_member(conn, north, MIA, "Mia", Role.MANAGER, username="mia")
        make_member(conn, north, CAL, "Cal", Role.COUNCILLOR, username="cal")
        make_member(conn, bradford, BEA, "Bea", Role.MANAGER, username="bea")
        make_member(conn, bradford, CAL, "Cal", Role.COUNCILLOR, username="cal")
    await _say(offline_bot, CAL, "doors 11 Elm Street #north-ward")
    await _say(offline_bot, CAL, "case 2 Oak Road #bradford")
    mia = await _say(offline_bot, MIA, "/diary @cal")
    bea = await _say(offline_bot, BEA, "/diary @cal")
    assert "Elm Street" in mia and "Oak Road" not in mia
    assert "Oak Road" in bea and "Elm Street" not in bea


async def test_diary_user_days_run_up_to_today_only(org: OfflineBot) -> None:
    answer = await _say(org, MIA, "/diary @cal")
    assert "Thu 26" in answer and "Fri 27" not in answer and "Mon 23" in answer


async def test_scrutiny_most_looked_at_first_by_command(org: OfflineBot) -> None:
    await _say(org, BEA, "/totals bradford")
    await _say(org, BEA, "/team bradford")
    await _say(org, MIA, "/totals north-ward")
    answer = await _say(org, CAL, "/scrutiny")
    lines = [x for x in answer.splitlines() if x.startswith("•")]
    assert lines[0].startswith("• Bradford — 2 looks by 1 person")
    assert "totals 1" in lines[0] and "team 1" in lines[0]
    assert lines[1].startswith("• North Ward — 1 look by 1 person")


async def test_scrutiny_a_redelivered_command_counts_again(org: OfflineBot) -> None:
    update = org.message(MIA, "/totals north-ward", first_name="Mia", username="mia")
    await org.process(update)
    await org.process(update)
    assert len(_looks(org)) == 2


async def test_mydata_does_not_count_team_lists_but_counts_looks_on_days_you_were_in(
    offline_bot: OfflineBot,
) -> None:
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        make_member(conn, north, MIA, "Mia", Role.MANAGER, username="mia")
        make_member(
            conn, north, KAI, "Kai", Role.CASEWORKER, username="kai", joined_on=date(2026, 11, 27)
        )
    await _say(offline_bot, MIA, "/totals north-ward")
    await _say(offline_bot, MIA, "/team north-ward")
    offline_bot.clock.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    await _say(offline_bot, MIA, "/measures")
    await _say(offline_bot, MIA, "/team north-ward")
    kai = await _say(offline_bot, KAI, "/mydata")
    [line] = [x for x in kai.splitlines() if x.startswith("• Mia")]
    assert "measures 1" in line and "totals" not in line and "team" not in line


async def test_digest_median_is_over_teams_with_a_chat_zeros_included(org: OfflineBot) -> None:
    with _db(org).begin() as conn:
        west = make_team(conn, "West")  # no chat: not in the median
        make_member(conn, west, BEA, "Bea", Role.MANAGER, username="bea")
        make_team(conn, "East", chat_id=-7003)  # a chat and no looks: a zero in the median
    for _ in range(5):
        await _say(org, BEA, "/totals west")
    await _say(org, MIA, "/totals north-ward")
    await _say(org, MIA, "/totals north-ward")
    await _say(org, ADMIN_ID, "/totals bradford")
    calls = await org.process(
        org.message(
            MIA, "/digest", chat_id=NORTH_CHAT, chat_type="group", first_name="Mia", username="mia"
        )
    )
    joined = "\n".join(c.params.get("text", "") for c in calls if c.method == "sendMessage")
    assert "Your team's figures were opened 2 times so far this week; the median team's 1." in (
        joined
    )


async def test_checkin_someone_who_blocked_the_bot_is_not_asked_again(org: OfflineBot) -> None:
    from tests.offline import Refused

    methods = org.request._methods
    send = methods["sendMessage"]

    def blocked(params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if int(params["chat_id"]) == CAL:
            raise Refused("Forbidden: bot was blocked by the user", status=403)
        return send(params, files)

    methods["sendMessage"] = blocked
    try:
        asked = await _ask(org, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    finally:
        methods["sendMessage"] = send
    assert {MIA, ALICE, KAI} <= set(asked)
    for day in (1, 2, 7):
        again = await _ask(org, datetime(2026, 12, day, 11, 0, tzinfo=UTC))
        assert CAL not in again


async def test_checkin_failed_for_now_is_asked_again_next_day(org: OfflineBot) -> None:
    restore = org.request.refuse(
        "sendMessage", "Bad Request: something passing", lambda p: int(p["chat_id"]) == CAL
    )
    try:
        await _ask(org, datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    finally:
        restore()
    again = await _ask(org, datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
    assert list(again) == [CAL]
    assert again[CAL]["text"].startswith("Were you active last month (November 2026)?")


async def test_diary_user_over_92_days_shows_exactly_the_last_92(org: OfflineBot) -> None:
    calls = await org.process(
        org.message(MIA, "/diary @cal 2026-01-01..2026-11-26", first_name="Mia", username="mia")
    )
    parts = [c.params["text"] for c in calls if c.method == "sendMessage"]
    text = "\n".join(parts)
    days = [
        x for x in text.splitlines() if x[:3] in {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    ]
    assert len(days) == 92
    assert days[0].startswith("Thu 27 Aug") and days[-1].startswith("Thu 26 Nov")
    assert "only the last 92 days are shown" in text
    assert all(len(p) <= 4096 for p in parts)


async def test_measures_admin_sees_one_team_per_person(org: OfflineBot) -> None:
    answer = await _say(org, ADMIN_ID, "/measures north-ward")
    assert "Cal, councillor" in answer and "Kai, caseworker" in answer
    assert "Per-person rates" not in answer


async def test_active_long_list_is_split_without_cutting_a_name(offline_bot: OfflineBot) -> None:
    names = [f"Member{i:03d} עם-שם-ארוך Longsurname-{i:03d}" for i in range(300)]
    with _db(offline_bot).begin() as conn:
        north = make_team(conn, "North Ward")
        make_member(conn, north, ALICE, "Alice", Role.ORGANISER, username="alice")
        for i, name in enumerate(names):
            make_member(conn, north, 20000 + i, name, Role.COUNCILLOR)
    calls = await offline_bot.process(
        offline_bot.message(ALICE, "/active", first_name="Alice", username="alice")
    )
    parts = [c.params["text"] for c in calls if c.method == "sendMessage"]
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    for name in names:
        assert sum(name in p for p in parts) == 1, name


async def test_measures_all_two_hundred_teams_fit_in_a_few_messages(
    offline_bot: OfflineBot,
) -> None:
    with _db(offline_bot).begin() as conn:
        for i in range(200):
            team = make_team(conn, f"Ward {i:03d} of the very long borough name")
            make_member(conn, team, 30000 + i, f"Councillor {i}", Role.COUNCILLOR)
    calls = await offline_bot.process(
        offline_bot.message(ADMIN_ID, "/measures all", first_name="Ada")
    )
    parts = [c.params["text"] for c in calls if c.method == "sendMessage"]
    assert 1 <= len(parts) <= 5
    assert all(len(p) <= 4096 for p in parts)
    joined = "\n".join(parts)
    for i in range(200):
        assert sum(f"Ward {i:03d} of the very long borough name" in p for p in parts) == 1
    assert "Councillor 1" not in joined
    assert len(_looks(offline_bot)) == 200


async def test_checkin_job_runs_daily_at_11_local_time(offline_bot: OfflineBot) -> None:
    from handlers import jobs

    jobs.schedule(offline_bot.app)
    jq = offline_bot.app.job_queue
    try:
        [job] = jq.get_jobs_by_name(jobs.CHECKIN_JOB)
        trigger = job.trigger
        fields = {f.name: str(f) for f in trigger.fields}
        assert fields["hour"] == "11" and fields["minute"] == "0"
        assert str(trigger.timezone) == str(offline_bot.app.bot_data.settings.tz)
    finally:
        for j in jq.jobs():
            j.schedule_removal()


async def test_checkin_asks_no_one_before_the_months_last_day(org: OfflineBot) -> None:
    assert await _ask(org, datetime(2026, 11, 29, 11, 0, tzinfo=UTC)) == {}
    assert _count(org, CHECKIN) == 0


async def test_looks_stay_under_former_member_after_forgetme(org: OfflineBot) -> None:
    await _say(org, MIA, "/totals @cal")
    await _say(org, MIA, "/forgetme confirm")
    cal = await _say(org, CAL, "/mydata")
    [line] = [x for x in cal.splitlines() if x.startswith("• former member")]
    assert "totals 1" in line
    before = await _say(org, KAI, "/scrutiny")
    await _say(org, CAL, "/forgetme confirm")
    assert await _say(org, KAI, "/scrutiny") == before
    assert "North Ward — 1 look by 1 person: totals 1" in before


async def test_ledger_shows_digest_template_version_2(org: OfflineBot) -> None:
    assert "Template version now: 2." in await _say(org, ADMIN_ID, "/ledger")


async def test_measures_a_manager_naming_another_team_reads_like_no_team(org: OfflineBot) -> None:
    other = await _say(org, MIA, "/measures bradford")
    none = await _say(org, MIA, "/measures zzzz")
    assert other.replace("bradford", "X") == none.replace("zzzz", "X")
    assert "Bea" not in other and "Bob" not in other
    assert _looks(org) == []


def _marks(bot: OfflineBot) -> dict[date, bool]:
    with _db(bot).begin() as conn:
        rows = conn.execute(
            select(CHECKIN.c.month, CHECKIN.c.active).where(CHECKIN.c.active.is_not(None))
        )
        return {month: active for month, active in rows}


async def test_active_last_month_in_two_words_does_not_mark_this_month(org: OfflineBot) -> None:
    answer = await _say(org, ALICE, "/active @cal last month no")
    assert date(2026, 11, 1) not in _marks(org), answer


async def test_active_two_months_are_refused_and_change_nothing(org: OfflineBot) -> None:
    answer = await _say(org, ALICE, "/active @cal october november")
    assert not answer.startswith("✓")
    assert _marks(org) == {}


@pytest.mark.parametrize(
    ("period", "four", "thirteen"),
    [
        ("", "4 weeks 26 Oct – 22 Nov", "13 weeks 24 Aug – 22 Nov"),
        ("month", "4 weeks 26 Oct – 22 Nov", "13 weeks 24 Aug – 22 Nov"),
        ("2026-W45", "4 weeks 12 Oct – 8 Nov", "13 weeks 10 Aug – 8 Nov"),
        ("2026-11-01..2026-11-11", "4 weeks 12 Oct – 8 Nov", "13 weeks 10 Aug – 8 Nov"),
    ],
)
async def test_measures_are_as_at_the_periods_end_complete_weeks_only(
    org: OfflineBot, period: str, four: str, thirteen: str
) -> None:
    answer = await _say(org, ALICE, f"/measures {period}".strip())
    assert four in answer and thirteen in answer


def test_group_menus_offer_none_of_the_new_private_commands() -> None:
    from handlers.menu import GROUP_ADMIN_COMMANDS, GROUP_COMMANDS

    group = _names(GROUP_COMMANDS + GROUP_ADMIN_COMMANDS)
    assert not {"measures", "scrutiny", "residents", "active", "diary"} & group
