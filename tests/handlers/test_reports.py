"""Managers' and members' reading commands: /totals, /target, /export, /away, /pause."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from tests.conftest import ADMIN_ID, OfflineBot

MANAGER = 1500
ORGANISER = 2001
COUNCILLOR = 2002


async def _join(
    bot: OfflineBot,
    user_id: int,
    role: str,
    name: str,
    team: str = "north-ward",
    inviter: int = ADMIN_ID,
    username: str | None = None,
) -> None:
    reply = await bot.say(inviter, f"/invite {team} {role}")
    code = re.search(r"start=([\w-]+)", reply)
    assert code, reply
    joined = await bot.say(user_id, f"/start {code.group(1)}", first_name=name, username=username)
    assert "Welcome" in joined


@pytest.fixture
async def org(offline_bot: OfflineBot) -> OfflineBot:
    """North Ward with a manager, an organiser (@sam) and a councillor, all members since two
    weeks before the clock's week, and a few entries this week."""
    now = offline_bot.clock.now
    offline_bot.clock.now = now - timedelta(weeks=2)
    await offline_bot.say(ADMIN_ID, "/newteam North Ward")
    await _join(offline_bot, MANAGER, "manager", "Mia")
    await _join(offline_bot, ORGANISER, "organiser", "Sam", inviter=MANAGER, username="sam")
    await _join(offline_bot, COUNCILLOR, "councillor", "Cleo", inviter=MANAGER)
    offline_bot.clock.now = now
    await offline_bot.say(ORGANISER, "121 4 tenants assoc\n121 Priya mon")
    await offline_bot.say(COUNCILLOR, "doors 12 yesterday\ncase 2 damp flat")
    return offline_bot


async def test_manager_totals_show_every_member_against_targets(org: OfflineBot) -> None:
    text = await org.say(MANAGER, "/totals")
    assert "North Ward · week" in text
    assert "• Sam (organiser): one-to-one 5/15" in text
    assert "• Cleo (councillor): resident contact 12/20, casework 2/5" in text
    assert "Team: resident contact 12/20, casework 2/5, one-to-one 5/15" in text
    assert "(manager)" in text  # Mia, who has no targets
    # Sam joined on Thursday 12 Nov, in the first of the four weeks: 15 × 4/7 → 9, then 15 + 15.
    last4 = await org.say(MANAGER, "/totals @sam 4w")
    assert "• Sam (organiser, joined Thu 12 Nov): one-to-one 5/39" in last4
    assert "Only managers" in await org.say(ORGANISER, "/totals")


async def test_a_bad_period_gets_a_helpful_reply(org: OfflineBot) -> None:
    reply = await org.say(MANAGER, "/totals north-ward fortnight")
    assert "4w" in reply and "North Ward" not in reply


async def test_targets_follow_person_over_team_role_over_default(org: OfflineBot) -> None:
    reply = await org.say(MANAGER, "/target organiser 121 10 north-ward")
    assert (
        reply == "✓ The one-to-one target for organisers in North Ward is now 10 a week (was 15)."
    )
    assert "one-to-one: 5/10" in await org.say(ORGANISER, "/week")
    reply = await org.say(MANAGER, "/target @sam 121 6 north-ward")
    assert reply == "✓ Sam's one-to-one target in North Ward is now 6 a week (was 10)."
    assert "one-to-one: 5/6" in await org.say(ORGANISER, "/week")
    assert "(was 6)" in await org.say(MANAGER, "/target @sam 121 7 north-ward")
    assert "Only managers" in await org.say(ORGANISER, "/target organiser 121 1")
    assert "Unknown kind" in await org.say(MANAGER, "/target organiser lunch 3")


async def test_export_is_a_csv_with_notes_for_managers_only(org: OfflineBot) -> None:
    [doc] = await org.replies(org.message(MANAGER, "/export"), "sendDocument")
    rows = list(csv.DictReader(io.StringIO(next(iter(doc.files.values())).decode())))
    assert {r["person"] for r in rows} == {"Sam", "Cleo"}
    assert "tenants assoc" in {r["note"] for r in rows}
    assert "Only managers" in await org.say(ORGANISER, "/export")


async def test_away_pro_rates_targets_and_can_be_cancelled(org: OfflineBot) -> None:
    # The clock is Thursday 26 Nov 2026: away Mon-Wed leaves 4 of 7 days.
    reply = await org.say(ORGANISER, "/away 2026-11-23 2026-11-25")
    assert reply.startswith("✓ Away Mon 23 Nov – Wed 25 Nov (3 days)")
    week = await org.say(ORGANISER, "/week")
    assert "one-to-one: 5/9" in week and "away 3d" in week
    assert "Mon 23 Nov" in await org.say(ORGANISER, "/away")
    assert "cancelled" in await org.say(ORGANISER, "/away cancel")
    assert "one-to-one: 5/15" in await org.say(ORGANISER, "/week")
    assert "before the start" in await org.say(ORGANISER, "/away 2026-11-25 2026-11-23")
    assert "Usage" in await org.say(ORGANISER, "/away someday")


async def test_pause_and_resume_nudges(org: OfflineBot) -> None:
    assert "paused" in await org.say(ORGANISER, "/pause")
    assert "Nudges: paused" in await org.say(ORGANISER, "/mydata")
    assert "back on" in await org.say(ORGANISER, "/resume")
    assert "Nudges: on" in await org.say(ORGANISER, "/mydata")


async def test_team_listing_and_use_for_a_single_team(org: OfflineBot) -> None:
    listing = await org.say(MANAGER, "/team")
    assert "North Ward (north-ward) · 3 members" in listing
    assert "• Sam @sam — organiser" in listing
    assert "You log to North Ward" in await org.say(ORGANISER, "/use")


async def test_forgetme_erases_name_and_notes_and_keeps_the_counts(org: OfflineBot) -> None:
    from sqlalchemy import select

    from storage.engine import make_engine
    from storage.models import Activity
    from storage.query import table_of

    assert "/forgetme confirm" in await org.say(ORGANISER, "/forgetme")
    assert "one-to-one: 5/15" in await org.say(ORGANISER, "/week")  # nothing changed yet
    last = await org.say(MANAGER, "/totals last")
    done = await org.say(ORGANISER, "/forgetme confirm")
    assert done.startswith("Done: your name, username and notes are erased")
    assert "Your 2 entries stay in your teams' totals" in done
    assert "invite" in await org.say(ORGANISER, "/week")  # no longer a member
    engine = make_engine(org.db_url)
    activity = table_of(Activity)
    with engine.connect() as conn:
        notes = (
            conn.execute(select(activity.c.note).where(activity.c.note.is_not(None)))
            .scalars()
            .all()
        )
    engine.dispose()
    assert notes == ["damp flat"]  # only the councillor's note is left
    totals = await org.say(MANAGER, "/totals")
    # Sam's 5 still count, on a line with no name; this week measures Monday to today: 15 x 4/7.
    assert "• former member (organiser, left Thu 26 Nov): one-to-one 5/9" in totals
    assert "Team: resident contact 12/20, casework 2/5, one-to-one 5/9" in totals
    assert "Sam" not in totals
    # Last week is as it was, but for the name (members are listed by name).
    after = await org.say(MANAGER, "/totals last")
    assert sorted(after.splitlines()) == sorted(last.replace("Sam", "former member").splitlines())
    assert "former member (organiser)" in after


NEWCOMER = 2003


async def test_someone_who_joined_today_is_measured_from_today(org: OfflineBot) -> None:
    # The clock is Thursday 26 Nov: Noor's first week counts Thursday to Sunday, 15 x 4/7 -> 9.
    await _join(org, NEWCOMER, "organiser", "Noor", inviter=MANAGER)
    await org.say(NEWCOMER, "121 2 coffee")
    week = await org.say(NEWCOMER, "/week")
    assert "North Ward · week of Mon 23 Nov · joined Thu" in week
    # Paced over her four days: by Thursday, 9 x 1/4 = 2.25 of them.
    assert "one-to-one: 2/9 · behind pace (about 2 by today)" in week
    this_week = await org.say(MANAGER, "/totals")
    assert "• Noor (organiser, joined Thu 26 Nov): one-to-one 2/9" in this_week
    assert "• Sam (organiser): one-to-one 5/15" in this_week
    # Last week Noor was not a member: not listed, no 0/15.
    last_week = await org.say(MANAGER, "/totals north-ward last")
    assert "Noor" not in last_week and "Sam (organiser" in last_week
    # Four weeks: a target for her days only, not 2/60.
    assert "• Noor (organiser, joined Thu 26 Nov): one-to-one 2/9" in await org.say(
        MANAGER, "/totals 4w"
    )


async def test_the_digest_says_when_someone_joined(org: OfflineBot) -> None:
    from sqlalchemy import update

    from storage.engine import make_engine
    from storage.models import Membership
    from storage.query import table_of

    group = -100555
    assert "North Ward" in await org.say(
        MANAGER, "/bind north-ward", chat_id=group, chat_type="group"
    )
    # Sam joined on Wednesday of this week: 15 x 5/7 -> 11.
    membership = table_of(Membership)
    engine = make_engine(org.db_url)
    with engine.begin() as conn:
        conn.execute(
            update(membership)
            .where(membership.c.role == "organiser")
            .values(joined_on=org.clock.now.date().replace(day=25))
        )
    engine.dispose()
    preview = await org.say(MANAGER, "/digest", chat_id=group, chat_type="group")
    assert "• Sam (joined Wed): one-to-one 5/11 ✗" in preview.splitlines()


async def test_remove_asks_then_ends_a_membership(org: OfflineBot) -> None:
    from telegram.ext import CommandHandler, filters

    from handlers.reports import cmd_remove

    # Registered here as the application registers it (a private-chat command).
    org.app.add_handler(CommandHandler("remove", cmd_remove, filters=filters.ChatType.PRIVATE), -5)
    asked = await org.say(MANAGER, "/remove north-ward @sam")
    assert "ends Sam's membership of North Ward" in asked
    assert "/remove north-ward @sam confirm" in asked
    assert "Sam" in await org.say(MANAGER, "/team")  # nothing changed yet
    done = await org.say(MANAGER, "/remove north-ward @sam confirm")
    assert done == "✓ Sam is no longer in North Ward (last day Thu 26 Nov)."
    assert "Sam" not in await org.say(MANAGER, "/team")
    # This week still counts Monday to Thursday for Sam: 15 x 4/7 -> 9.
    assert "• Sam (organiser, left Thu 26 Nov): one-to-one 5/9" in await org.say(MANAGER, "/totals")
    assert "Only a team's managers" in await org.say(COUNCILLOR, "/remove north-ward @sam")
    assert "Usage: /remove" in await org.say(MANAGER, "/remove")
    assert "Tap the member" in await org.say(MANAGER, "/remove north-ward")
