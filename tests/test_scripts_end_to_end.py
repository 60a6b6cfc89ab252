"""Names in every script, end to end: /newteam, joining by invite, quick logs with a #team tag,
/use, /totals, /team, /export and the weekly digest (its text and both charts).

Teams and people are named in Arabic, Urdu, Bengali, Gurmukhi, Polish and Chinese and with
emoji; two people share the name Sam Murphy. Everything goes through the real Application
(``Application.process_update`` with the in-process Bot API of tests/offline.py). The clock is
Thursday 26 November 2026, 12:00 in London; everyone joined two weeks before.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from charts import render_diarised_chart, render_trend_chart
from handlers.texts.targets import BUTTON_LABEL, member_labels
from organiser_bot.domain.digest import TeamDigest
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.names import isolated
from organiser_bot.domain.roles import Role
from organiser_bot.domain.teams import slugify
from organiser_bot.usecases.digests import build_week_by_slug
from organiser_bot.usecases.identities import MemberChoice
from storage.engine import Database
from storage.people import CurrentMember
from tests.conftest import ADMIN_ID, OfflineBot

W48 = date(2026, 11, 23)  # the clock's week


@dataclass(frozen=True)
class Member:
    """Someone who joins ``team`` by invite and logs ``count`` one-to-ones with ``note``."""

    user_id: int
    name: str
    team: str
    slug: str
    note: str
    count: int
    username: str | None = None


#: (team name, its short name as members type it): one team per script.
TEAMS = (
    ("فريق الشمال", "فريق-الشمال"),  # Arabic
    ("شمالی ٹیم", "شمالی-ٹیم"),  # Urdu
    ("শ্যামবাজার দল", "শ্যামবাজার-দল"),  # Bengali
    ("ਪੰਜਾਬ ਟੀਮ", "ਪੰਜਾਬ-ਟੀਮ"),  # Gurmukhi
    ("Łódź Północ", "łódź-północ"),  # Polish
    ("北区", "北区"),  # Chinese
    ("🌟 Stars Crew 🚀", "stars-crew"),  # emoji
)

MEMBERS = (
    Member(5001, "علي حسن", "فريق الشمال", "فريق-الشمال", "زيارة منزلية", 2),
    Member(5002, "عائشہ خان", "شمالی ٹیم", "شمالی-ٹیم", "گھر کا دورہ", 3),
    Member(5003, "রহিম উদ্দিন", "শ্যামবাজার দল", "শ্যামবাজার-দল", "বাড়ি পরিদর্শন", 4),
    Member(5004, "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ", "ਪੰਜਾਬ ਟੀਮ", "ਪੰਜਾਬ-ਟੀਮ", "ਘਰ ਦੀ ਫੇਰੀ", 1),
    Member(5005, "Łucja Wójcik", "Łódź Północ", "łódź-północ", "wizyta źródłowa", 2),
    Member(5006, "王小明", "北区", "北区", "家访", 3),
    Member(5007, "Ali 🌟", "🌟 Stars Crew 🚀", "stars-crew", "door knock 🚪", 2),
    # Two people with one name in one team: one has a username, one has none.
    Member(5008, "Sam Murphy", "Łódź Północ", "łódź-północ", "tenants", 1, username="sam_m"),
    Member(5009, "Sam Murphy", "Łódź Północ", "łódź-północ", "flats", 5),
)

#: Ali is in the Chinese team too, and logs there with a tag.
ALI = MEMBERS[6]


def _db(bot: OfflineBot) -> Database:
    db: Database = bot.app.bot_data.db
    return db


async def _say(bot: OfflineBot, m: Member, text: str) -> str:
    """``text`` from ``m``, with the name and username Telegram sends on every update."""
    return await bot.say(m.user_id, text, first_name=m.name, username=m.username)


async def _invite(bot: OfflineBot, slug: str, user_id: int, name: str, username: str | None) -> str:
    invite = await bot.say(ADMIN_ID, f"/invite {slug} organiser")
    code = re.search(r"start=([\w-]+)", invite)
    assert code, invite
    return await bot.say(user_id, f"/start {code.group(1)}", first_name=name, username=username)


@pytest.fixture
async def world(offline_bot: OfflineBot) -> OfflineBot:
    """Every team created by name, everyone joined by invite two weeks ago, every line logged
    this week with its team's #tag."""
    bot = offline_bot
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=2)
    for name, slug in TEAMS:
        created = await bot.say(ADMIN_ID, f"/newteam {name}")
        assert created.startswith(f"✓ Team {name} created (short name: {slug})"), created
    for m in MEMBERS:
        welcome = await _invite(bot, m.slug, m.user_id, m.name, m.username)
        assert "Welcome" in welcome and m.team in welcome, welcome
    welcome = await _invite(bot, "北区", ALI.user_id, ALI.name, None)
    assert "北区" in welcome, welcome
    bot.clock.now = now
    for m in MEMBERS:
        reply = await _say(bot, m, f"121 {m.count} {m.note} #{m.slug}")
        assert reply.startswith("✓"), (m, reply)
        assert m.note in reply, (m, reply)
    reply = await _say(bot, ALI, "121 家访 #北区")
    assert reply.startswith("✓") and "北区" in reply, reply
    return bot


# --- /newteam ---------------------------------------------------------------------------------


async def test_a_taken_short_name_is_refused_with_a_free_one(world: OfflineBot) -> None:
    reply = await world.say(ADMIN_ID, "/newteam 北区")
    assert (
        reply
        == "A team called 北区 with the short name 北区 already exists. Give yours a name of its "
        "own, e.g. /newteam 北区 2"
    )
    assert (await world.say(ADMIN_ID, "/newteam 北区 2")).startswith("✓ Team 北区 2 created")
    reply = await world.say(ADMIN_ID, "/newteam ŁÓDŹ  północ!")
    assert "łódź-północ already exists" in reply, reply
    assert "/newteam ŁÓDŹ północ! 2" in reply


async def test_a_name_of_emoji_alone_is_refused_helpfully(world: OfflineBot) -> None:
    reply = await world.say(ADMIN_ID, "/newteam 🌟🚀")
    assert "letter or digit" in reply and "/newteam North Ward" in reply
    assert not reply.startswith("✓")


# --- joining, /use and #tags --------------------------------------------------------------------


async def test_a_member_of_two_teams_switches_by_the_short_name_they_type(
    world: OfflineBot,
) -> None:
    assert await _say(world, ALI, "/use 北区") == (
        "✓ Entries now go to 北区. Add #team to a line to log it elsewhere."
    )
    assert (await _say(world, ALI, "121 Wang")).endswith("· 北区")
    reply = await _say(world, ALI, "121 Jo #STARS-crew")
    assert reply.endswith("· 🌟 Stars Crew 🚀"), reply


async def test_an_unknown_tag_is_refused_and_nothing_is_logged(world: OfflineBot) -> None:
    reply = await _say(world, ALI, "121 Jo #فريق-الشمال")
    assert not reply.startswith("✓"), reply
    assert "stars-crew" in reply and "北区" in reply  # the teams they can tag
    totals = await world.say(ADMIN_ID, "/totals فريق-الشمال")
    assert "Ali" not in totals


# --- /totals and /team --------------------------------------------------------------------------


async def test_totals_show_every_name_and_tell_the_two_sams_apart(world: OfflineBot) -> None:
    for name, slug in TEAMS:
        text = await world.say(ADMIN_ID, f"/totals {slug}")
        assert text.startswith(name), text
        for m in MEMBERS:
            if m.team == name and m.name != "Sam Murphy":
                line = next(x for x in text.splitlines() if x.startswith("• ") and m.name in x)
                assert f"one-to-one {m.count}/" in line, (m, text)
    polish = await world.say(ADMIN_ID, "/totals łódź-północ")
    assert "• Sam Murphy (@sam_m) (organiser): one-to-one 1/" in polish, polish
    assert "• Sam Murphy (2) (organiser): one-to-one 5/" in polish, polish
    stars = await world.say(ADMIN_ID, "/totals stars-crew")
    assert "• Ali 🌟 (organiser): one-to-one 2/" in stars, stars


async def test_team_lists_every_name_and_tells_the_two_sams_apart(world: OfflineBot) -> None:
    for name, slug in TEAMS:
        text = await world.say(ADMIN_ID, f"/team {slug}")
        assert text.startswith(f"{name} ({slug})"), text
        for m in MEMBERS:
            if m.team == name and m.name != "Sam Murphy":
                assert f"• {isolated(m.name)} — organiser" in text, (m, text)
    polish = (await world.say(ADMIN_ID, "/team łódź-północ")).splitlines()
    assert "• Sam Murphy (@sam_m) — organiser" in polish
    assert "• Sam Murphy (2) — organiser" in polish


# --- /export ------------------------------------------------------------------------------------


async def test_export_keeps_every_name_and_note_intact(world: OfflineBot) -> None:
    [doc] = await world.replies(world.message(ADMIN_ID, "/export"), "sendDocument")
    [content] = doc.files.values()
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    found = {(r["team_name"], r["person"], r["note"]) for r in rows}
    for m in MEMBERS:
        if m.name != "Sam Murphy":
            assert (m.team, m.name, m.note) in found, (m, sorted(found))
    # The two Sam Murphys are told apart as /team tells them apart.
    sams = {r["person"] for r in rows if r["person"].startswith("Sam Murphy")}
    assert sams == {"Sam Murphy (@sam_m)", "Sam Murphy (2)"}, sams
    assert ("北区", ALI.name, "家访") in found
    # Short names too: what a member types is what the file says.
    assert {r["team"] for r in rows} == {slug for _, slug in TEAMS}


# --- the digest: text and both charts -----------------------------------------------------------


async def test_the_digest_text_names_everyone_and_tells_the_two_sams_apart(
    world: OfflineBot,
) -> None:
    for i, (name, slug) in enumerate(TEAMS):
        group = -100900 - i
        bound = await world.say(ADMIN_ID, f"/bind {slug}", chat_id=group, chat_type="group")
        assert name in bound, bound
        text = await world.say(ADMIN_ID, "/digest", chat_id=group, chat_type="group")
        lines = text.splitlines()
        assert lines[0] == f"{name} · 2026-W48 · preview", text
        for m in MEMBERS:
            if m.team == name and m.name != "Sam Murphy":
                assert any(
                    x.startswith(f"• {isolated(m.name)}: one-to-one {m.count}/") for x in lines
                ), (
                    m,
                    text,
                )
        if slug == "łódź-północ":
            assert any(x.startswith("• Sam Murphy (@sam_m): one-to-one 1/") for x in lines), text
            assert any(x.startswith("• Sam Murphy (2): one-to-one 5/") for x in lines), text
        albums = [
            c for c in world.request.calls_to("sendMediaGroup") if c.params["chat_id"] == group
        ]
        assert len(albums) == 1 and len(albums[0].files) == 2, albums


async def test_both_charts_draw_every_name_without_a_warning(world: OfflineBot) -> None:
    digests: dict[str, TeamDigest] = await _db(world).run(
        build_week_by_slug, monday=W48, kinds=KindRegistry()
    )
    assert set(digests) >= {slug for _, slug in TEAMS}
    for name, slug in TEAMS:
        digest = digests[slug]
        labels = [m.name for m in digest.members]
        assert len(set(labels)) == len(labels), labels  # told apart in the chart too
        assert {m.name for m in MEMBERS if m.team == name} <= {
            re.sub(r" \((@\w+|\d+)\)$", "", label) for label in labels
        }
        with warnings.catch_warnings():
            # A missing glyph (matplotlib's "Glyph ... missing from font(s)") or anything else
            # drawn wrong must fail, not pass quietly.
            warnings.simplefilter("error")
            for render in (render_diarised_chart, render_trend_chart):
                png = render(digest)
                assert png.startswith(b"\x89PNG"), (slug, render.__name__)


def test_the_short_names_here_are_what_slugify_gives() -> None:
    # The fixture types short names by hand, as members do; they must be the rule's.
    for name, slug in TEAMS:
        assert slugify(name) == slug
        assert unicodedata.is_normalized("NFC", slug)


# --- the member picker's buttons ----------------------------------------------------------------


def test_picker_buttons_cut_long_names_but_keep_what_tells_them_apart() -> None:
    long_name = "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ " * 6  # far over a button's length
    members = tuple(
        CurrentMember(pid, name, username, Role.ORGANISER, W48, 1, "ਪੰਜਾਬ ਟੀਮ", "ਪੰਜਾਬ-ਟੀਮ")
        for pid, name, username in [
            (1, long_name, "gurpreet"),
            (2, long_name, None),
            (3, "Sam Murphy", None),
            (4, "Sam Murphy", None),
        ]
    )
    labels = member_labels(MemberChoice(members, total=len(members)))
    assert len(set(labels)) == len(labels), labels
    assert all(len(label) <= BUTTON_LABEL for label in labels)
    assert labels[0].endswith("… (@gurpreet)") and labels[1].endswith("… (2)")
    assert labels[2:] == ["Sam Murphy (1)", "Sam Murphy (2)"]
