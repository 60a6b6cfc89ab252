"""The scrutiny ledger tried as a new user would: every role's attempt at someone's figures,
another team's names, odd and right-to-left names, /forgetme on either side of a look, /mydata
showing one's own looks only, period bounds across the clocks changing, and the digest line."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from handlers.texts import NOT_A_MEMBER
from organiser_bot.domain.access import Identity
from organiser_bot.domain.digest import scrutiny_line
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import digests
from organiser_bot.usecases.scrutiny import scrutiny_report
from storage import people
from storage import privacy as privacy_store
from storage import scrutiny as store
from storage.engine import Database
from storage.models import Scrutiny
from storage.query import table_of
from tests.conftest import ADMIN_ID, OfflineBot
from tests.digest_factories import LONDON, make_member, make_team

LOOK = table_of(Scrutiny)
KINDS = KindRegistry()

MIA, SAM, KIT, CLR, NOOR, LEE, YMGR, STRANGER = 1500, 2001, 2002, 2003, 2004, 2005, 2006, 9999
GROUP = -100_777


async def _join(
    bot: OfflineBot, inviter: int, team: str, role: str, user_id: int, name: str, username: str
) -> None:
    reply = await bot.say(inviter, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    welcome = await bot.say(user_id, f"/start {code.group(1)}", first_name=name, username=username)
    assert "Welcome" in welcome, welcome


def _looks(bot: OfflineBot) -> int:
    db: Database = bot.app.bot_data.db
    with db.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(LOOK)).scalar_one())


async def _organisation(bot: OfflineBot) -> None:
    """Leeds: manager Mia, organiser Sam, councillor Clr (bound to GROUP). York: manager
    "مريم" (right to left, @ymgr), caseworker Kit, and Noor, a namesake of nobody."""
    await bot.say(ADMIN_ID, "/newteam Leeds", first_name="Ada Admin")
    await bot.say(ADMIN_ID, "/newteam York", first_name="Ada Admin")
    await _join(bot, ADMIN_ID, "leeds", "manager", MIA, "Mia Khan", "mia")
    await _join(bot, MIA, "leeds", "organiser", SAM, "Sam Patel", "sam")
    await _join(bot, MIA, "leeds", "councillor", CLR, "Clr Jones", "clr")
    await _join(bot, ADMIN_ID, "york", "manager", YMGR, "مريم", "ymgr")
    await _join(bot, YMGR, "york", "caseworker", KIT, "Kit Lowe", "kit")
    assert "Leeds" in await bot.say(MIA, "/bind leeds", chat_id=GROUP, chat_type="supergroup")
    assert _looks(bot) == 0


# --- Refused and members' own reads record nothing -----------------------------------------------


@pytest.mark.parametrize("user_id", [SAM, CLR, KIT, STRANGER])
async def test_no_member_nor_stranger_records_a_look_with_any_figures_command(
    offline_bot: OfflineBot, user_id: int
) -> None:
    bot = offline_bot
    await _organisation(bot)
    for text in (
        "/totals",
        "/totals leeds",
        "/totals all",
        "/totals @sam",
        "/totals @kit",
        "/team",
        "/team leeds",
        "/export",
        "/export 4w",
        "/diary @sam",
        "/diary @kit",
        "/measures all",
        "/measures york",
        "/measures leeds",
        "/measures",
        "/week",
        "/diary",
        "/mydata",
    ):
        await bot.send(user_id, text)
    assert _looks(bot) == 0


async def test_a_manager_asking_for_another_teams_figures_records_nothing_and_learns_nothing(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    # York exists; "Narnia" does not: the answers must not tell them apart.
    york = await bot.say(MIA, "/totals york")
    narnia = await bot.say(MIA, "/totals narnia")
    assert york.replace("york", "X") == narnia.replace("narnia", "X")
    assert (await bot.say(MIA, "/team york")).replace("york", "X") == (
        await bot.say(MIA, "/team narnia")
    ).replace("narnia", "X")
    kit = await bot.say(MIA, "/diary @kit")
    nobody = await bot.say(MIA, "/diary @nobody")
    assert kit.replace("kit", "X") == nobody.replace("nobody", "X")
    assert (await bot.say(MIA, "/totals @kit")).replace("kit", "X") == (
        await bot.say(MIA, "/totals @nobody")
    ).replace("nobody", "X")
    await bot.say(MIA, "/measures york")
    await bot.say(MIA, "/totals leeds fortnight")  # a bad period
    await bot.say(MIA, "/diary @sam fortnight")
    await bot.say(MIA, "/export fortnight")
    await bot.say(MIA, "/measures leeds fortnight")
    assert _looks(bot) == 0


async def test_the_group_totals_records_nothing_even_from_an_admin_or_with_words(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    for user_id in (MIA, ADMIN_ID, SAM):
        for text in ("/totals", "/totals all", "/totals @sam", "/totals last"):
            await bot.process(bot.message(user_id, text, chat_id=GROUP, chat_type="supergroup"))
    assert _looks(bot) == 0


# --- What /scrutiny shows ------------------------------------------------------------------------


async def test_scrutiny_counts_every_command_and_names_no_viewer_even_right_to_left(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    for text in ("/totals", "/team", "/diary @sam", "/measures", "/totals @sam"):
        await bot.say(MIA, text)
        bot.clock.advance(seconds=1)
    sent = await bot.process(bot.message(MIA, "/export"))
    assert any(c.method == "sendDocument" for c in sent)
    await bot.say(YMGR, "/totals")
    await bot.say(ADMIN_ID, "/measures all")
    assert _looks(bot) == 9
    for user_id in (SAM, CLR, KIT, YMGR, MIA, ADMIN_ID):
        text = await bot.say(user_id, "/scrutiny")
        lines = text.splitlines()
        assert (
            "• Leeds — 7 looks by 2 people: totals 2, team 1, export 1, diary 1, measures 2"
            in lines
        ), text
        assert "• York — 2 looks by 2 people: totals 1, measures 1" in lines, text
        assert "Median team: 4.5 looks." in lines
        for never in ("Mia", "mia", "مريم", "ymgr", "Ada", "Sam", "@sam", "Kit"):
            assert never not in text


async def test_scrutiny_refuses_strangers_and_odd_periods_briefly_and_records_nothing(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    await bot.say(MIA, "/totals")
    assert await bot.say(STRANGER, "/scrutiny") == NOT_A_MEMBER
    huge = await bot.say(SAM, "/scrutiny " + "ש" * 5000)
    assert len(huge) < 600 and "Leeds —" not in huge
    for odd in ("@mia", "2026-02-29", "2026-W54", "0w", "105w", "2026-11-30..2026-11-01"):
        reply = await bot.say(SAM, f"/scrutiny {odd}")
        assert "Leeds —" not in reply, (odd, reply)
    leap = await bot.say(SAM, "/scrutiny 2028-02-29")  # a real leap day, in the future
    assert "• Leeds — no looks" in leap
    assert _looks(bot) == 1


# --- /mydata: one's own looks only ---------------------------------------------------------------


async def test_mydata_shows_each_member_only_the_looks_at_their_own_figures(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    await bot.say(MIA, "/totals")  # Leeds as a team
    bot.clock.advance(seconds=1)
    await bot.say(MIA, "/diary @clr")  # Clr alone
    bot.clock.advance(seconds=1)
    await bot.say(YMGR, "/totals @kit")  # Kit alone
    bot.clock.advance(seconds=1)
    await bot.say(MIA, "/team")  # a list of names, not figures
    sam = await bot.say(SAM, "/mydata")
    clr = await bot.say(CLR, "/mydata")
    kit = await bot.say(KIT, "/mydata")
    mia = await bot.say(MIA, "/mydata")
    assert "• Mia Khan (manager, Leeds): totals 1 — last 26 Nov 2026" in sam.splitlines(), sam
    assert "diary" not in sam.split("Who looked at your figures")[1].split("Counted:")[0]
    assert "• Mia Khan (manager, Leeds): totals 1, diary 1 — last 26 Nov 2026" in clr.splitlines()
    assert "• مريم (manager, York): totals 1 — last 26 Nov 2026" in kit.splitlines(), kit
    assert "Mia" not in kit
    assert "مريم" not in sam and "مريم" not in clr
    assert "No manager or admin has looked at your figures." in mia


async def test_mydata_leaves_out_looks_from_before_one_joined(offline_bot: OfflineBot) -> None:
    bot = offline_bot
    await _organisation(bot)
    await bot.say(MIA, "/totals")
    bot.clock.advance(days=1)
    await _join(bot, MIA, "leeds", "organiser", LEE, "Lee Ng", "lee")
    lee = await bot.say(LEE, "/mydata")
    assert "No manager or admin has looked at your figures." in lee
    bot.clock.advance(hours=1)
    await bot.say(MIA, "/measures")
    lee = await bot.say(LEE, "/mydata")
    assert "• Mia Khan (manager, Leeds): measures 1 — last 27 Nov 2026" in lee.splitlines()


async def test_a_forgotten_viewer_stays_counted_and_is_shown_only_as_a_former_member(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    await bot.say(MIA, "/totals @sam")
    bot.clock.advance(seconds=1)
    await bot.say(MIA, "/diary @sam")
    before = await bot.say(KIT, "/scrutiny")
    assert "• Leeds — 2 looks by 1 person: totals 1, diary 1" in before.splitlines()
    await bot.say(MIA, "/forgetme confirm")
    assert _looks(bot) == 2
    assert await bot.say(KIT, "/scrutiny") == before
    sam = await bot.say(SAM, "/mydata")
    assert "Mia" not in sam
    assert any(
        line.startswith("• former member") and "totals 1, diary 1" in line
        for line in sam.splitlines()
    ), sam


async def test_a_forgotten_subject_keeps_the_count_but_returns_with_no_looks_of_their_own(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    await bot.say(MIA, "/totals @sam")
    bot.clock.advance(seconds=1)
    await bot.say(MIA, "/totals")
    before = await bot.say(KIT, "/scrutiny")
    await bot.say(SAM, "/forgetme confirm")
    assert await bot.say(KIT, "/scrutiny") == before
    assert _looks(bot) == 2
    # Sam writes again: someone new, whom nobody has looked at.
    again = await bot.say(SAM, "/mydata")
    assert "Mia" not in again


# --- /diary @user redelivered --------------------------------------------------------------------


async def test_a_redelivered_diary_look_is_recorded_like_a_redelivered_totals(
    offline_bot: OfflineBot,
) -> None:
    """A redelivered /totals counts again (tests/handlers/test_scrutiny.py); a redelivered
    /diary @user shows the same figures again and must be counted the same way."""
    bot = offline_bot
    await _organisation(bot)
    update = bot.message(MIA, "/diary @sam")
    first = await bot.replies(update)
    again = await bot.replies(update)
    assert first and again
    assert first[0].params["text"] == again[0].params["text"]
    totals = bot.message(MIA, "/totals")
    await bot.replies(totals)
    await bot.replies(totals)
    with bot.app.bot_data.db.begin() as conn:
        per = dict(
            (w, int(n))
            for w, n in conn.execute(select(LOOK.c.what, func.count()).group_by(LOOK.c.what))
        )
    assert per["totals"] == 2
    assert per["diary"] == per["totals"]


# --- Period bounds across the clocks changing ----------------------------------------------------


def _moment(now: datetime) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


def _counts(db: Database, user_id: int, args: list[str], now: datetime) -> dict[str, int]:
    with db.begin() as conn:
        actor = people.load_actor(
            conn, Identity(user_id, f"user {user_id}"), admin_ids=frozenset({ADMIN_ID})
        )
        report = scrutiny_report(conn, actor, args, moment=_moment(now))
    return {t.name: t.looks for t in report.teams}


def _setup_two_teams(db: Database) -> tuple[int, int, int]:
    with db.begin() as conn:
        north = make_team(conn, "North", chat_id=-1)
        south = make_team(conn, "South", chat_id=-2)
        viewer = make_member(conn, north, MIA, "Mia", Role.MANAGER)
        make_member(conn, south, KIT, "Kit", Role.CASEWORKER)
    return north, south, viewer


@pytest.mark.parametrize(
    ("period", "first_in", "first_out_after"),
    [
        # Sunday 25 Oct 2026, 25 hours long: BST midnight to GMT midnight.
        (
            "2026-10-25",
            datetime(2026, 10, 24, 23, 0, tzinfo=UTC),
            datetime(2026, 10, 26, 0, 0, tzinfo=UTC),
        ),
        # Sunday 29 Mar 2026, 23 hours long: GMT midnight to BST midnight.
        (
            "2026-03-29",
            datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 23, 0, tzinfo=UTC),
        ),
        # The ISO week holding the autumn change.
        (
            "2026-W43",
            datetime(2026, 10, 18, 23, 0, tzinfo=UTC),
            datetime(2026, 10, 26, 0, 0, tzinfo=UTC),
        ),
        # A range across the spring change.
        (
            "2026-03-28..2026-03-30",
            datetime(2026, 3, 28, 0, 0, tzinfo=UTC),
            datetime(2026, 3, 30, 23, 0, tzinfo=UTC),
        ),
    ],
)
def test_scrutiny_periods_are_local_days_across_the_clocks_changing(
    db: Database, period: str, first_in: datetime, first_out_after: datetime
) -> None:
    north, _south, viewer = _setup_two_teams(db)
    tick = timedelta(microseconds=1)
    with db.begin() as conn:
        for at in (first_in - tick, first_in, first_out_after - tick, first_out_after):
            store.record(conn, at=at, viewer=viewer, what="totals", team_ids=[north])
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert _counts(db, KIT, period.split(), now) == {"North": 2, "South": 0}


def test_scrutiny_default_four_weeks_ends_at_local_midnight_in_summer(db: Database) -> None:
    north, south, viewer = _setup_two_teams(db)
    # Wed 1 Jul 2026 00:30 BST is 30 Jun 23:30 UTC: today is 1 Jul, the week from Mon 29 Jun.
    now = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    start = datetime(2026, 6, 7, 23, 0, tzinfo=UTC)  # Mon 8 Jun 00:00 BST
    tick = timedelta(microseconds=1)
    with db.begin() as conn:
        store.record(conn, at=start - tick, viewer=viewer, what="team", team_ids=[north, south])
        store.record(conn, at=start, viewer=viewer, what="team", team_ids=[north])
        store.record(conn, at=now, viewer=viewer, what="team", team_ids=[north, south])
    assert _counts(db, KIT, [], now) == {"North": 2, "South": 1}


def test_mydata_dates_the_last_look_on_the_local_day(db: Database) -> None:
    with db.begin() as conn:
        north = make_team(conn, "North")
        mia = make_member(conn, north, MIA, "Mia", Role.MANAGER)
        sam = make_member(conn, north, SAM, "Sam", Role.ORGANISER, joined_on=date(2026, 7, 1))
        # 30 Jun 23:30 UTC is 1 Jul 00:30 BST: Sam's first day.
        store.record(
            conn,
            at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
            viewer=mia,
            what="totals",
            team_ids=[north],
        )
        # 30 Jun 22:59 UTC is 23:59 BST on 30 Jun: before Sam joined.
        store.record(
            conn,
            at=datetime(2026, 6, 30, 22, 59, tzinfo=UTC),
            viewer=mia,
            what="export",
            team_ids=[north],
        )
        data = privacy_store.held(conn, sam, tz=LONDON, admin_ids=())
    assert data is not None
    [looker] = data.looked_at_you
    assert looker.looks == (("totals", 1),)
    assert looker.last_on == date(2026, 7, 1)


def test_mydata_leaves_out_looks_after_one_left_and_in_a_gap(db: Database) -> None:
    with db.begin() as conn:
        north = make_team(conn, "North")
        mia = make_member(conn, north, MIA, "Mia", Role.MANAGER)
        sam = make_member(
            conn,
            north,
            SAM,
            "Sam",
            Role.ORGANISER,
            joined_on=date(2026, 10, 1),
            left_on=date(2026, 10, 25),
        )
        for at, what in (
            (datetime(2026, 10, 25, 22, 59, tzinfo=UTC), "totals"),  # 22:59 GMT on 25 Oct: in
            (datetime(2026, 10, 26, 0, 0, tzinfo=UTC), "export"),  # 26 Oct: after leaving
            (datetime(2026, 9, 30, 22, 59, tzinfo=UTC), "measures"),  # 23:59 BST 30 Sep: before
            (datetime(2026, 9, 30, 23, 0, tzinfo=UTC), "measures"),  # 00:00 BST 1 Oct: in
        ):
            store.record(conn, at=at, viewer=mia, what=what, team_ids=[north])
        data = privacy_store.held(conn, sam, tz=LONDON, admin_ids=())
    assert data is not None
    [looker] = data.looked_at_you
    assert looker.looks == (("totals", 1), ("measures", 1))


# --- The digest line -----------------------------------------------------------------------------


def test_the_digest_counts_the_local_week_across_the_autumn_change_against_one_median(
    db: Database,
) -> None:
    with db.begin() as conn:
        north = make_team(conn, "North", chat_id=-1)
        south = make_team(conn, "South", chat_id=-2)
        east = make_team(conn, "East", chat_id=-3)
        make_team(conn, "West")  # no chat: gets no digest, so not in the median
        mia = make_member(conn, north, MIA, "Mia", Role.MANAGER)
        tick = timedelta(microseconds=1)
        start = datetime(2026, 10, 18, 23, 0, tzinfo=UTC)  # Mon 19 Oct 00:00 BST
        end = datetime(2026, 10, 26, 0, 0, tzinfo=UTC)  # Mon 26 Oct 00:00 GMT
        for at in (start - tick, start, end - tick, end):
            store.record(conn, at=at, viewer=mia, what="totals", team_ids=[north, south])
        for _ in range(3):
            store.record(conn, at=start, viewer=mia, what="export", team_ids=[north])
        west = people.find_team(conn, "west")
        assert west is not None
        for _ in range(9):
            store.record(conn, at=start, viewer=mia, what="export", team_ids=[west.id])
        built = digests.build_week_by_team(conn, monday=date(2026, 10, 19), kinds=KINDS, tz=LONDON)
        one = digests.build_week_by_team(
            conn, monday=date(2026, 10, 19), kinds=KINDS, tz=LONDON, team_ids=[east]
        )
    assert {t: d.looks for t, d in built.items() if t != west.id} == {
        north: 5,
        south: 2,
        east: 0,
    }
    medians = {d.looks_median for t, d in built.items()}
    assert medians == {2}
    assert one[east].looks_median == 2
    line = "Your team's figures were opened 5 times this week; the median team's 2."
    assert scrutiny_line(built[north]) == line
    assert scrutiny_line(built[east]).endswith("opened 0 times this week; the median team's 2.")


# --- Mixed standings and namesakes ---------------------------------------------------------------


async def test_a_manager_who_is_a_plain_member_elsewhere_records_looks_only_where_she_manages(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    reply = await bot.say(YMGR, "/invite york caseworker")
    code = re.search(r"start=([\w-]+)", reply)
    assert code
    await bot.say(MIA, f"/start {code.group(1)}", first_name="Mia Khan", username="mia")
    await bot.say(MIA, "/measures york")  # her own team's aggregate, as a member
    bot.clock.advance(seconds=1)
    await bot.say(MIA, "/measures all")
    bot.clock.advance(seconds=1)
    await bot.say(MIA, "/totals all")
    bot.clock.advance(seconds=1)
    await bot.say(MIA, "/totals york")
    with bot.app.bot_data.db.begin() as conn:
        york = people.find_team(conn, "york")
        assert york is not None
        at_york = conn.execute(
            select(func.count()).select_from(LOOK).where(LOOK.c.team_id == york.id)
        ).scalar_one()
    assert at_york == 0
    kit = await bot.say(KIT, "/mydata")
    assert "No manager or admin has looked at your figures." in kit


async def test_mydata_tells_namesake_viewers_apart_and_marks_the_admin(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    await _join(bot, ADMIN_ID, "leeds", "manager", NOOR, "Mia Khan", "miak")
    await bot.say(MIA, "/totals")
    bot.clock.advance(seconds=1)
    await bot.say(NOOR, "/totals @sam")
    bot.clock.advance(seconds=1)
    await bot.say(ADMIN_ID, "/totals all")
    sam = await bot.say(SAM, "/mydata")
    lookers = [line for line in sam.splitlines() if line.startswith("• ") and " — last " in line]
    assert len(lookers) == 3, sam
    assert any(line.startswith("• Mia Khan (@mia) (manager, Leeds): totals 1") for line in lookers)
    assert any(line.startswith("• Mia Khan (@miak) (manager, Leeds): totals 1") for line in lookers)
    assert sum("(admin)" in line for line in lookers) == 1


async def test_mydata_with_many_lookers_is_split_into_messages_that_fit_and_loses_none(
    offline_bot: OfflineBot,
) -> None:
    from telegram.constants import MessageLimit

    from organiser_bot.domain.digest import message_length

    bot = offline_bot
    db: Database = bot.app.bot_data.db
    with db.begin() as conn:
        team = make_team(conn, "Leeds " + "Ó" * 40)
        make_member(conn, team, SAM, "Sam", Role.ORGANISER)
        for i in range(160):
            viewer = make_member(
                conn, team, 50_000 + i, f"Manager {i:03d} " + "ش" * 30, Role.MANAGER
            )
            store.record(
                conn,
                at=bot.clock.now - timedelta(minutes=i),
                viewer=viewer,
                what="totals",
                team_ids=[team],
            )
    sent = await bot.replies(bot.message(SAM, "/mydata"))
    texts = [str(c.params["text"]) for c in sent]
    assert all(message_length(t) <= MessageLimit.MAX_TEXT_LENGTH for t in texts)
    lookers = [line for t in texts for line in t.splitlines() if line.startswith("• Manager ")]
    assert len(lookers) == 160


def test_a_team_created_after_the_week_is_not_a_median_team_that_week(db: Database) -> None:
    with db.begin() as conn:
        north = make_team(conn, "North", chat_id=-1)
        south = make_team(conn, "South", chat_id=-2)
        new = make_team(
            conn, "New", chat_id=-3, created_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        )
        mia = make_member(conn, north, MIA, "Mia", Role.MANAGER)
        at = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
        for _ in range(4):
            store.record(conn, at=at, viewer=mia, what="totals", team_ids=[north])
        for _ in range(2):
            store.record(conn, at=at, viewer=mia, what="totals", team_ids=[south])
        built = digests.build_week_by_team(conn, monday=date(2026, 10, 19), kinds=KINDS, tz=LONDON)
    assert built[north].looks == 4 and built[south].looks == 2
    assert new not in built or built[new].looks == 0
    assert built[north].looks_median == 3


async def test_one_command_over_two_of_ones_teams_is_one_look_in_mydata_and_one_per_team(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    await _organisation(bot)
    reply = await bot.say(YMGR, "/invite york organiser")
    code = re.search(r"start=([\w-]+)", reply)
    assert code
    await bot.say(SAM, f"/start {code.group(1)}", first_name="Sam Patel", username="sam")
    await bot.say(ADMIN_ID, "/totals all")
    bot.clock.advance(seconds=1)
    await bot.say(ADMIN_ID, "/totals @sam")
    bot.clock.advance(seconds=1)
    await bot.say(ADMIN_ID, "/measures all")
    assert _looks(bot) == 6
    sam = await bot.say(SAM, "/mydata")
    assert "• Ada Admin (admin): totals 2, measures 1 — last 26 Nov 2026" in sam.splitlines()
    text = await bot.say(KIT, "/scrutiny")
    assert "• Leeds — 3 looks by 1 person: totals 2, measures 1" in text.splitlines()
    assert "• York — 3 looks by 1 person: totals 2, measures 1" in text.splitlines()
    # Asking /scrutiny (and again, redelivered) is no look at anyone's figures.
    update = bot.message(SAM, "/scrutiny")
    await bot.replies(update)
    await bot.replies(update)
    assert _looks(bot) == 6
