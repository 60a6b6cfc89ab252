"""Names in every script, tried as a new user would: teams named in Cyrillic, Greek, Hebrew and
mixed scripts, on Persian and Arabic keyboards, very long names, names that differ only in case,
spacing or Unicode form; people who share a name, with and without usernames, and after one
changes it; the digest charts on a host with only DejaVu Sans.

Everything goes through the real Application (``Application.process_update`` with the offline
Bot API of tests/offline.py), on SQLite and PostgreSQL; charts through the public render
functions with every warning an error.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
from datetime import date, timedelta

import pytest

from charts import _text, render_diarised_chart, render_trend_chart
from organiser_bot.domain.digest import TeamDigest
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.usecases.digests import build_week_by_slug
from storage.engine import Database
from tests.charts.test_digest_charts import digest, member
from tests.conftest import ADMIN_ID, OfflineBot

W48 = date(2026, 11, 23)  # the clock's week
MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _looks(text: str) -> str:
    """What a reader sees: format characters (zero-width space, direction marks, soft hyphen)
    are invisible, case and runs of spaces hardly show."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", visible).casefold().split())


async def _invite(
    bot: OfflineBot, slug: str, user_id: int, name: str, username: str | None = None
) -> str:
    invite = await bot.say(ADMIN_ID, f"/invite {slug} organiser")
    code = re.search(r"start=([\w-]+)", invite)
    assert code, invite
    return await bot.say(user_id, f"/start {code.group(1)}", first_name=name, username=username)


async def _newteam(bot: OfflineBot, name: str) -> str:
    """Create ``name``; its short name, as the reply gives it."""
    reply = await bot.say(ADMIN_ID, f"/newteam {name}")
    found = re.search(r"created \(short name: (\S+)\)", reply)
    assert reply.startswith("✓") and found, reply
    return found.group(1)


def _unisolated(text: str) -> str:
    """``text`` without the bidi isolates (FSI, PDI) that wrap right-to-left names."""
    return text.replace("\u2068", "").replace("\u2069", "")


def _member_lines(text: str) -> list[str]:
    return [x for x in text.splitlines() if x.startswith("• ")]


# --- teams in Cyrillic, Greek, Hebrew and mixed scripts, through every command ------------------

TEAMS = {
    "Cyrillic": ("Северный район", "Олена Коваль", "обход"),
    "Greek": ("Οδός Πατησίων", "Ελένη Παπαδοπούλου", "επίσκεψη"),
    "Hebrew": ("צוות צפון", "שרה כהן", "ביקור בית"),
    "mixed": ("Team 北区 Север", "Zoë 王", "visit 家访"),
    "Urdu": ("شمالی ٹیم", "عمران خانے", "گھر کا دورہ"),
}


async def test_teams_in_cyrillic_greek_hebrew_and_mixed_scripts_work_everywhere(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=2)
    slugs: dict[str, str] = {}
    for i, (label, (team, person, _)) in enumerate(TEAMS.items()):
        slug = await _newteam(bot, team)
        assert slug == unicodedata.normalize("NFC", slug) and " " not in slug, slug
        slugs[label] = slug
        welcome = await _invite(bot, slug, 7000 + i, person)
        assert "Welcome" in welcome and team in welcome, welcome
    bot.clock.now = now
    for i, (label, (team, person, note)) in enumerate(TEAMS.items()):
        slug = slugs[label]
        uid = 7000 + i
        logged = await bot.say(uid, f"121 2 {note} #{slug}", first_name=person)
        assert logged.startswith("✓") and note in logged, logged
        used = await bot.say(uid, f"/use {slug}", first_name=person)
        assert used.startswith("✓") and team in used, used
        totals = await bot.say(ADMIN_ID, f"/totals {slug}")
        assert totals.startswith(team), totals
        assert any(person in x and "one-to-one 2/" in x for x in _member_lines(totals)), totals
        team_text = _unisolated(await bot.say(ADMIN_ID, f"/team {slug}"))
        assert f"• {person} — organiser" in team_text, team_text
        group = -100700 - i
        bound = await bot.say(ADMIN_ID, f"/bind {slug}", chat_id=group, chat_type="group")
        assert team in bound, bound
        text = _unisolated(await bot.say(ADMIN_ID, "/digest", chat_id=group, chat_type="group"))
        assert text.splitlines()[0].startswith(team), text
        assert any(x.startswith(f"• {person}: one-to-one 2/") for x in text.splitlines()), text

    db: Database = bot.app.bot_data.db
    digests: dict[str, TeamDigest] = await db.run(
        build_week_by_slug, monday=W48, kinds=KindRegistry()
    )
    for families in (_text.FONT_FAMILIES, ("DejaVu Sans",)):
        saved = _text.FONT_FAMILIES
        _text.FONT_FAMILIES = families
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                for slug in slugs.values():
                    for render in (render_diarised_chart, render_trend_chart):
                        assert render(digests[slug]).startswith(b"\x89PNG")
        finally:
            _text.FONT_FAMILIES = saved


# --- one name, typed differently, is one short name ---------------------------------------------


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("North Ward", "NORTH   ward"),
        ("Северный район", "СЕВЕРНЫЙ  Район"),
        ("Zoë Crew", "Zoe\u0308 Crew"),  # precomposed, then e + combining diaeresis
        ("Οδός Πατησίων", "ΟΔΌΣ ΠΑΤΗΣΊΩΝ"),
        ("ｶﾀｶﾅ Team", "カタカナ team"),  # half-width and full-width katakana
        ("ক্ষেত্র দল", "ক্\u200dষেত্র দল"),  # with a zero width joiner
    ],
)
async def test_a_name_typed_differently_is_the_same_short_name(
    offline_bot: OfflineBot, first: str, again: str
) -> None:
    slug = await _newteam(offline_bot, first)
    reply = await offline_bot.say(ADMIN_ID, f"/newteam {again}")
    assert not reply.startswith("✓") and f"{slug} already exists" in reply, reply
    suggestion = re.search(r"e\.g\. (/newteam .+)$", reply)
    assert suggestion, reply
    made = await offline_bot.say(ADMIN_ID, suggestion.group(1))
    assert made.startswith("✓"), made  # the suggested name is free
    typed = "-".join(again.split())  # the other spelling, typed as a short name
    found = await offline_bot.say(ADMIN_ID, f"/totals {typed}")
    assert found.startswith(first), found  # finds the first team


async def test_persian_and_arabic_keyboards_give_the_same_short_name(
    offline_bot: OfflineBot,
) -> None:
    # README: "The same name typed on two keyboards gives the same short name." An Urdu or
    # Persian keyboard types ی (U+06CC) and ک (U+06A9); an Arabic one types ي (U+064A) and
    # ك (U+0643) for the same letters, drawn alike in the middle of a word.
    slug = await _newteam(offline_bot, "شمالی ٹیم")
    arabic_keyboard = "شمالي-ٹيم"
    found = await offline_bot.say(ADMIN_ID, f"/totals {arabic_keyboard}")
    assert found.startswith("شمالی ٹیم"), found
    again = await offline_bot.say(ADMIN_ID, "/newteam کیان")
    assert again.startswith("✓"), again
    twin = await offline_bot.say(ADMIN_ID, "/newteam كيان")
    assert not twin.startswith("✓"), (slug, twin)  # a second team that looks the same


async def test_a_greek_short_name_typed_without_tonos_finds_the_team(
    offline_bot: OfflineBot,
) -> None:
    # As /use lodz-polnoc finds łódź-północ; Greek keyboards drop the tonos in capitals.
    slug = await _newteam(offline_bot, "Οδός Πατησίων")
    assert slug == "οδός-πατησίων"
    found = await offline_bot.say(ADMIN_ID, "/totals οδος-πατησιων")
    assert found.startswith("Οδός Πατησίων"), found


async def test_a_latin_short_name_typed_without_accents_finds_the_team(
    offline_bot: OfflineBot,
) -> None:
    slug = await _newteam(offline_bot, "Łódź Północ")
    await _invite(offline_bot, slug, 7101, "Łucja")
    logged = await offline_bot.say(7101, "121 2 #LODZ-POLNOC", first_name="Łucja")
    assert logged.startswith("✓"), logged
    assert "Łucja" in await offline_bot.say(ADMIN_ID, "/totals lodz-polnoc")
    # A second team whose short name would only differ in accents is refused (so the short
    # name typed without accents stays unambiguous); the suggested name works.
    twin = await offline_bot.say(ADMIN_ID, "/newteam Lodz Polnoc")
    assert not twin.startswith("✓"), twin
    suggestion = re.search(r"e\.g\. (/newteam .+)$", twin)
    assert suggestion, twin
    assert (await offline_bot.say(ADMIN_ID, suggestion.group(1))).startswith("✓")


async def test_a_name_refused_for_its_accents_names_the_team_that_exists(
    offline_bot: OfflineBot,
) -> None:
    slug = await _newteam(offline_bot, "Łódź Północ")
    twin = await offline_bot.say(ADMIN_ID, "/newteam Lodz Polnoc")
    assert slug in twin or "Łódź Północ" in twin, twin


async def test_names_of_emoji_or_punctuation_alone_are_refused_and_nothing_is_made(
    offline_bot: OfflineBot,
) -> None:
    for name in ("🌟🚀", "👨\u200d👩\u200d👧", "🇺🇦", "!!! ???", "—", "\u200d\u200c"):
        reply = await offline_bot.say(ADMIN_ID, f"/newteam {name}")
        assert not reply.startswith("✓") and "/newteam North Ward" in reply, (name, reply)
    teams = await offline_bot.say(ADMIN_ID, "/teams")
    assert "🌟" not in teams and "🇺🇦" not in teams, teams


# --- very long names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "শ্যামবাজার উত্তর পূর্ব দক্ষিণ পশ্চিম সমিতি " * 4,  # Bengali, vowel signs at the cut
        "الفريق الشمالي للتنظيم المجتمعي في المدينة " * 4,
        "北区" * 60,
    ],
)
async def test_a_very_long_name_is_refused_helpfully_and_the_longest_allowed_works(
    offline_bot: OfflineBot, name: str
) -> None:
    refused = await offline_bot.say(ADMIN_ID, f"/newteam {name.strip()}")
    assert not refused.startswith("✓") and "64 characters" in refused, refused
    longest = name[:64].strip()
    slug = await _newteam(offline_bot, longest)
    assert len(slug) <= 64 and not unicodedata.category(slug[0]).startswith("M"), slug
    welcome = await _invite(offline_bot, slug, 7201, "Rahim")
    assert "Welcome" in welcome, welcome
    logged = await offline_bot.say(7201, f"121 1 #{slug}", first_name="Rahim")
    assert logged.startswith("✓"), logged
    for command in (f"/totals {slug}", f"/team {slug}"):
        reply = await offline_bot.say(ADMIN_ID, command)
        assert _utf16(reply) <= MAX_MESSAGE and "Rahim" in reply, reply
    # The same name again is refused, and any name suggested instead is free.
    twin = await offline_bot.say(ADMIN_ID, f"/newteam {longest}")
    assert not twin.startswith("✓") and slug in twin, twin
    suggestion = re.search(r"e\.g\. (/newteam .+)$", twin)
    if suggestion:
        made = await offline_bot.say(ADMIN_ID, suggestion.group(1))
        assert made.startswith("✓"), made


# --- people with the same name ------------------------------------------------------------------


async def test_same_names_in_case_spacing_and_form_are_told_apart_everywhere(
    offline_bot: OfflineBot,
) -> None:
    bot = offline_bot
    now = bot.clock.now
    bot.clock.now = now - timedelta(weeks=2)
    slug = await _newteam(bot, "Łódź Północ")
    people = [
        (7301, "Sam Murphy", "sam_m"),
        (7302, "sam murphy", None),
        (7303, "Sam  Murphy", None),
        (7304, "ＳＡＭ Murphy", None),  # full-width letters
        (7305, "Zoe\u0308", None),
        (7306, "Zoë", "zoe_k"),
    ]
    for uid, name, username in people:
        assert "Welcome" in await _invite(bot, slug, uid, name, username)
    bot.clock.now = now
    for n, (uid, name, username) in enumerate(people, start=1):
        assert (await bot.say(uid, f"121 {n}", first_name=name, username=username)).startswith("✓")
    group = -100800
    await bot.say(ADMIN_ID, f"/bind {slug}", chat_id=group, chat_type="group")
    texts = {
        "/totals": await bot.say(ADMIN_ID, f"/totals {slug}"),
        "/team": await bot.say(ADMIN_ID, f"/team {slug}"),
        "digest": await bot.say(ADMIN_ID, "/digest", chat_id=group, chat_type="group"),
    }
    for where, text in texts.items():
        lines = _member_lines(text)
        assert len(lines) == len(people), (where, text)
        names = [re.split(r" — |: | \(organiser\)", x[2:])[0] for x in lines]
        assert len({_looks(x) for x in names}) == len(names), (where, names)
        assert any("(@sam_m)" in x for x in names) and any("(@zoe_k)" in x for x in names)

    db: Database = bot.app.bot_data.db
    digests: dict[str, TeamDigest] = await db.run(
        build_week_by_slug, monday=W48, kinds=KindRegistry()
    )
    labels = [m.name for m in digests[slug].members]
    assert len({_looks(x) for x in labels}) == len(people), labels


async def test_after_a_name_change_labels_follow_and_stay_apart(offline_bot: OfflineBot) -> None:
    bot = offline_bot
    slug = await _newteam(bot, "Leeds")
    for uid in (7401, 7402):
        assert "Welcome" in await _invite(bot, slug, uid, "Sam Murphy")
    before = _member_lines(await bot.say(ADMIN_ID, f"/team {slug}"))
    assert "• Sam Murphy (1) — organiser" in before and "• Sam Murphy (2) — organiser" in before
    # The second Sam renames himself in Telegram and writes to the bot.
    await bot.say(7402, "/help", first_name="Samuel Murphy")
    after = _member_lines(await bot.say(ADMIN_ID, f"/team {slug}"))
    assert "• Sam Murphy — organiser" in after and "• Samuel Murphy — organiser" in after, after
    # A third Sam Murphy joins, with a username: everyone sharing the name is told apart again.
    assert "Welcome" in await _invite(bot, slug, 7403, "Sam Murphy", "sammy")
    third = _member_lines(await bot.say(ADMIN_ID, f"/team {slug}"))
    assert "• Samuel Murphy — organiser" in third, third
    assert "• Sam Murphy (@sammy) — organiser" in third, third
    assert len({_looks(x) for x in third}) == 3, third
    # The member picker's buttons tell them apart too.
    [sent] = await bot.replies(bot.message(ADMIN_ID, f"/remove {slug}"), "sendMessage")
    buttons = [b["text"] for row in sent.params["reply_markup"]["inline_keyboard"] for b in row]
    sams = [b for b in buttons if "Sam" in b]
    assert len(sams) == 3 and len({_looks(b) for b in sams}) == 3, buttons


async def test_names_differing_only_by_an_invisible_character_are_told_apart(
    offline_bot: OfflineBot,
) -> None:
    # A name pasted from another app often carries a right-to-left mark or a zero-width space:
    # the two lines then look identical.
    bot = offline_bot
    slug = await _newteam(bot, "فريق الشمال")
    people = [
        (7501, "علي حسن"),
        (7502, "علي حسن\u200f"),  # right-to-left mark
        (7503, "Sam Murphy"),
        (7504, "Sam\u200b Murphy"),  # zero-width space
        (7505, "Sam Mur\u00adphy"),  # soft hyphen
    ]
    for uid, name in people:
        assert "Welcome" in await _invite(bot, slug, uid, name)
    for command in (f"/totals {slug}", f"/team {slug}"):
        lines = _member_lines(await bot.say(ADMIN_ID, command))
        assert len({_looks(x) for x in lines}) == len(people), (command, lines)


# --- the charts on a host with only DejaVu Sans -------------------------------------------------


def _dejavu_chart(name: str) -> bytes:
    saved = _text.FONT_FAMILIES
    _text.FONT_FAMILIES = ("DejaVu Sans",)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return render_diarised_chart(digest([member(name)], team_name="T"))
    finally:
        _text.FONT_FAMILIES = saved


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("Bo 👍🏽", "Bo 👍"),  # skin tone
        ("Kim 🏳️\u200d🌈", "Kim 🏳️"),  # ZWJ sequence
        ("Team 1️⃣", "Team 1"),  # keycap
        ("🎉", "🎊"),  # emoji alone
        ("Noor 🇵🇸", "Noor 🇺🇦"),  # flags
        ("Sam \U0001d11e", "Sam"),  # a symbol no font here has
    ],
)
def test_emoji_and_symbols_are_drawn_or_replaced_visibly_on_dejavu(name: str, other: str) -> None:
    assert _dejavu_chart(name) != _dejavu_chart(other)


def _swapped_names_change_the_chart(a: str, b: str, *, dejavu: bool = False) -> bool:
    """Whether the diarised chart of a team where ``a`` did more than ``b`` differs from the one
    where the same figures belong the other way round: False when the two names are drawn alike.
    """
    more = {"one_to_one": (4, 4, 4, 0, 0, 0, 0)}
    less = {"one_to_one": (1, 0, 0, 0, 0, 0, 0)}
    saved = _text.FONT_FAMILIES
    if dejavu:
        _text.FONT_FAMILIES = ("DejaVu Sans",)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            one = render_diarised_chart(digest([member(a, daily=more), member(b, daily=less)]))
            two = render_diarised_chart(digest([member(b, daily=more), member(a, daily=less)]))
    finally:
        _text.FONT_FAMILIES = saved
    return one != two


def test_two_members_told_apart_by_a_suffix_stay_apart_in_the_chart() -> None:
    assert _swapped_names_change_the_chart("Sam Murphy (@sam_m)", "Sam Murphy (2)")
    assert _swapped_names_change_the_chart("Sam Murphy (@sam_m)", "Sam Murphy (2)", dejavu=True)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Muhammad Abdullah Abdul-Rahman Al-Hashimi Khan",
            "Muhammad Ibrahim Abdul-Rahman Al-Hashimi Khan",
        ),
        ("Bo 👍🏽 and friends", "Bo 👍🏾 and friends"),  # skin tones: cut alike
    ],
)
def test_two_long_names_in_one_team_stay_apart_in_the_chart(a: str, b: str) -> None:
    assert _swapped_names_change_the_chart(a, b)


@pytest.mark.parametrize(("a", "b"), [("张伟", "章伟"), ("王芳", "汪芳"), ("सीता", "सिता")])
def test_two_members_in_one_team_stay_apart_in_a_dejavu_only_chart(a: str, b: str) -> None:
    assert _swapped_names_change_the_chart(a, b, dejavu=True)


# --- /totals, /export -----------------------------------------------------------------------------


async def test_totals_for_a_team_that_does_not_exist_says_so(offline_bot: OfflineBot) -> None:
    await _newteam(offline_bot, "Северный район")
    reply = await offline_bot.say(ADMIN_ID, "/totals северный")
    assert "period" not in reply and "северный" in reply, reply
    assert "северный-район" in reply, reply  # the teams there are, or the nearest one


async def test_export_tells_two_people_of_one_name_apart(offline_bot: OfflineBot) -> None:
    bot = offline_bot
    slug = await _newteam(bot, "Северный район")
    for uid, username in ((7601, "sam_m"), (7602, None)):
        assert "Welcome" in await _invite(bot, slug, uid, "Sam Murphy", username)
        assert (await bot.say(uid, "121 1", first_name="Sam Murphy", username=username)).startswith(
            "✓"
        )
    [doc] = await bot.replies(bot.message(ADMIN_ID, "/export"), "sendDocument")
    [content] = doc.files.values()
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 2, rows
    people = {
        tuple(v for k, v in r.items() if k not in {"recorded_at", "recorded_at_local"})
        for r in rows
    }
    assert len(people) == 2, rows


# --- right-to-left names in the text replies ----------------------------------------------------


def _first_strong(line: str) -> str:
    """The direction a Telegram client gives a line (Unicode bidi rules P2-P3): that of its
    first letter with a strong direction, skipping isolates; "L" when it has none."""
    depth = 0
    for ch in line:
        if ch in "\u2066\u2067\u2068":
            depth += 1
        elif ch == "\u2069":
            depth = max(0, depth - 1)
        elif depth == 0 and unicodedata.bidirectional(ch) in {"L", "R", "AL"}:
            return "L" if unicodedata.bidirectional(ch) == "L" else "R"
    return "L"


async def test_english_lines_about_a_right_to_left_name_stay_left_to_right(
    offline_bot: OfflineBot,
) -> None:
    # "• علي حسن (organiser, joined Thu 26 Nov): one-to-one 2/9": its first strong letter is
    # Arabic, so the English line is set right to left, right-aligned among left-aligned ones.
    bot = offline_bot
    slug = await _newteam(bot, "North Ward")
    assert "Welcome" in await _invite(bot, slug, 7701, "علي حسن")
    assert "Welcome" in await _invite(bot, slug, 7702, "Jo")
    group = -100770
    await bot.say(ADMIN_ID, f"/bind {slug}", chat_id=group, chat_type="group")
    for text in (
        await bot.say(ADMIN_ID, f"/totals {slug}"),
        await bot.say(ADMIN_ID, f"/team {slug}"),
        await bot.say(ADMIN_ID, "/digest", chat_id=group, chat_type="group"),
    ):
        lines = _member_lines(text)
        assert any("علي حسن" in x for x in lines), text
        assert all(_first_strong(x) == "L" for x in lines), lines
