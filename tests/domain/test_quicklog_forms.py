"""The quick-log forms people write: counts, days and parts of the day, tags, near misses, chatter.

Each failing input of issue #8's table that concerns the grammar is a test here, and so is each
kind of input it stands for. The clock is Friday 2026-11-20 15:00 in London (GMT).
"""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organiser_bot.domain.kinds import Kind, KindRegistry
from organiser_bot.domain.periods import local_date, to_utc
from organiser_bot.domain.quicklog import (
    LineError,
    ParsedEntry,
    command_word,
    is_chatter,
    parse_line,
)
from organiser_bot.domain.teams import slugify
from tests.domain.quicklog_render import render_entry

LONDON = ZoneInfo("Europe/London")
KINDS = KindRegistry()
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # Friday
TODAY = date(2026, 11, 20)
YESTERDAY = date(2026, 11, 19)


def parse(line: str, *, now: datetime = NOW) -> ParsedEntry:
    result = parse_line(line, now=now, tz=LONDON, kinds=KINDS)
    assert isinstance(result, ParsedEntry), result
    return result


def fail(line: str, *, now: datetime = NOW) -> LineError:
    result = parse_line(line, now=now, tz=LONDON, kinds=KINDS)
    assert isinstance(result, LineError), result
    return result


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(day, time(hour, minute), LONDON)


def works(example: str) -> bool:
    return isinstance(parse_line(example, now=NOW, tz=LONDON, kinds=KINDS), ParsedEntry)


# --- the table -----------------------------------------------------------------------


def test_doors_14_with_an_exclamation_mark_is_14() -> None:
    entry = parse("doors 14!")
    assert (entry.kind, entry.count, entry.note) == ("resident_contact", 14, "")


def test_121_x3_is_three() -> None:
    entry = parse("121 x3")
    assert (entry.kind, entry.count, entry.note) == ("one_to_one", 3, "")


def test_121_jo_yesterday_evening_is_yesterday_with_note_jo() -> None:
    entry = parse("121 Jo yesterday evening")
    assert (entry.occurred_at, entry.note) == (at(YESTERDAY, 18), "Jo")
    assert (entry.dated, entry.timed) == (True, True)


def test_121_jo_tomorrow_is_refused_as_the_future() -> None:
    error = fail("121 Jo tomorrow")
    assert "future" in error.message
    assert works(error.example)


def test_a_digits_first_team_tag_is_taken_out_of_the_note() -> None:
    entry = parse("121 Sam #5-towns")
    assert (entry.team, entry.note) == ("5-towns", "Sam")
    assert slugify(entry.team) == slugify("5 Towns")


@pytest.mark.parametrize(
    ("line", "count", "note"),
    [
        ("1-2-1 with Jo", 1, "Jo"),
        ("one to one with Jo", 1, "Jo"),
        ("2x121", 2, ""),
        ("had a 121 with Sam", 1, "Sam"),
    ],
)
def test_near_misses_in_the_table_are_understood(line: str, count: int, note: str) -> None:
    entry = parse(line)
    assert (entry.kind, entry.count, entry.note) == ("one_to_one", count, note)


def test_thanks_is_chatter() -> None:
    assert is_chatter("thanks!", KINDS)
    assert isinstance(parse_line("thanks!", now=NOW, tz=LONDON, kinds=KINDS), LineError)


# --- counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "count", "note"),
    [
        ("doors 14!", 14, ""),
        ("doors 14. Elm Road", 14, "Elm Road"),
        ("121 x3", 3, ""),
        ("121 X3", 3, ""),
        ("121 3x", 3, ""),
        ("121 ×3", 3, ""),
        ("121 *3", 3, ""),
        ("121 x 3 Sam", 3, "Sam"),
        ("121 x3 Sam Patel", 3, "Sam Patel"),
        ("121 Sam x3", 3, "Sam"),
        ("121 Sam Patel 3x", 3, "Sam Patel"),
        ("121 Sam ×3", 3, "Sam"),
        ("121 Sam x 3", 3, "Sam"),
        ("121 Sam +3", 3, "Sam"),
        ("121 Sam x3 yesterday", 3, "Sam"),
        ("2x121", 2, ""),
        ("2X121 Sam", 2, "Sam"),
        ("2×121", 2, ""),
        ("3x 121 Sam", 3, "Sam"),
        ("3 x 121 Sam", 3, "Sam"),
        ("3 X 121", 3, ""),
        ("121x3 Sam", 3, "Sam"),
        ("3 one to ones", 3, ""),
        ("doors yesterday 14", 14, ""),
        ("doors yesterday 14 Elm Road", 14, "Elm Road"),
    ],
)
def test_counts_as_people_write_them(line: str, count: int, note: str) -> None:
    entry = parse(line)
    assert (entry.count, entry.note) == (count, note)


@pytest.mark.parametrize(
    ("line", "note"),
    [
        ("121 Sam flat 12", "Sam flat 12"),
        ("doors Elm Road 14", "Elm Road 14"),
        ("121 1 5 Acacia Ave", "5 Acacia Ave"),
        ("case 2 flat 3 repair", "flat 3 repair"),
        ("121 Sam 2x4 timber", "Sam 2x4 timber"),
    ],
)
def test_a_bare_number_after_the_note_is_part_of_it(line: str, note: str) -> None:
    assert parse(line).note == note


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("121 Sam x3 Patel", "'x3' looks like a count"),
        ("121 Sam 3x Patel", "'3x' looks like a count"),
        ("121 Sam x 3 Patel", "'x 3' looks like a count"),
        ("121 Sam +1 Patel", "'+1' looks like a count"),
        ("121 3 Sam x2", "count once"),
        ("2x121 x3", "count once"),
        ("+2 doors 3", "count once"),
        ("3 doors 4", "count once"),
        ("121 x0", "at least 1"),
        ("121 Sam x600", "typo"),
    ],
)
def test_count_refusals_have_a_hint(line: str, fragment: str) -> None:
    error = fail(line)
    assert fragment in error.message
    assert len(error.message) < 120
    assert works(error.example)


# --- days, times and parts of the day --------------------------------------------------------

MON, WED, THU = date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 19)
LAST_FRI = date(2026, 11, 13)


@pytest.mark.parametrize(
    ("words", "when", "timed"),
    [
        ("yesterday evening", at(THU, 18), True),
        ("yday eve", at(THU, 18), True),
        ("yesterday morning", at(THU, 9), True),
        ("yesterday afternoon", at(THU, 14), True),
        ("yesterday night", at(THU, 21), True),
        ("yday am", at(THU, 9), True),
        ("yday pm", at(THU, 14), True),
        ("this morning", at(TODAY, 9), True),
        ("this afternoon", at(TODAY, 14), True),
        ("last night", at(THU, 21), True),
        ("mon morning", at(MON, 9), True),
        ("monday evening", at(MON, 18), True),
        ("on mon evening", at(MON, 18), True),
        ("wed night", at(WED, 21), True),
        ("last fri night", at(LAST_FRI, 21), True),
        ("on last fri evening", at(LAST_FRI, 18), True),
        ("18/11 evening", at(WED, 18), True),
        ("last tue", at(date(2026, 11, 17), 12), False),
        ("this mon", at(MON, 12), False),
        ("this fri", NOW, False),
        ("2 days ago", at(WED, 12), False),
        ("a day ago", at(THU, 12), False),
        ("one day ago", at(THU, 12), False),
        ("1 week ago", at(LAST_FRI, 12), False),
        ("a week ago", at(LAST_FRI, 12), False),
        ("yesterday evening at 6:30", at(THU, 18, 30), True),
        ("yesterday evening at 6:30am", at(THU, 6, 30), True),
        ("this morning at 9:15", at(TODAY, 9, 15), True),
        ("mon afternoon at 3", at(MON, 15), True),
    ],
)
def test_day_phrases(words: str, when: datetime, timed: bool) -> None:
    for line in (f"121 {words} Sam Patel", f"121 Sam Patel {words}"):
        entry = parse(line)
        assert (entry.occurred_at, entry.note, entry.dated, entry.timed) == (
            when,
            "Sam Patel",
            True,
            timed,
        ), line


def test_a_part_of_today_under_way_means_now_and_one_gone_by_means_its_time() -> None:
    evening = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)
    assert parse("121 Jo tonight", now=evening).occurred_at == evening
    late = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    assert parse("121 Jo tonight", now=late).occurred_at == at(TODAY, 21)
    assert parse("121 Jo this evening", now=late).occurred_at == at(TODAY, 18)
    assert parse("121 Jo fri evening", now=late).occurred_at == at(TODAY, 18)


@pytest.mark.parametrize(
    "line",
    [
        "121 Jo tomorrow",
        "121 tmrw Jo",
        "121 Jo tomorrow morning",
        "121 Jo next mon",
        "121 Jo next week",
        "121 Jo in 2 days",
        "121 Jo this sat",
        "121 Jo tonight",  # at 15:00 the night has not begun
        "121 Jo this evening",
        "121 Jo fri evening",
        "121 Jo 2026-11-21",
        "121 Jo at 18:30",
        "121 Jo this morning at 4pm",
    ],
)
def test_the_future_is_refused(line: str) -> None:
    error = fail(line)
    assert "future" in error.message
    assert works(error.example)


def test_tonight_at_ten_in_the_morning_is_the_future() -> None:
    assert "future" in fail("121 Jo tonight", now=datetime(2026, 11, 20, 10, tzinfo=UTC)).message


@pytest.mark.parametrize(
    ("line", "phrase"),
    [
        ("121 Jo last week", "last week"),
        ("121 last month Jo", "last month"),
        ("121 Jo the other day", "the other day"),
        ("121 Jo few days ago", "few days ago"),
        ("121 Jo a few days ago", "few days ago"),
    ],
)
def test_a_phrase_naming_no_single_day_is_refused(line: str, phrase: str) -> None:
    error = fail(line)
    assert f"Which day is '{phrase}'?" in error.message
    assert works(error.example)


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("121 Sam today Patel", "today"),
        ("121 Sam yesterday evening Patel", "yesterday evening"),
        ("121 Sam last night Patel", "last night"),
        ("121 Sam this morning Patel", "this morning"),
        ("121 Jo wed evening re rent", "wed evening"),
        ("121 Jo last week re rent", "last week"),
        ("121 Jo tomorrow about rota", "tomorrow"),
        ("121 Jo tonight at the hall", "tonight"),
        ("121 met Sam mon about fri rota", "mon"),
        ("121 Jo thursday re rent", "thursday"),
        ("121 Jo 18/11 re rent", "18/11"),
        ("121 Jo 2026-11-18 re rent", "2026-11-18"),
        ("121 Jo 18:30 re rent", "18:30"),
        ("121 Jo 6pm re rent", "6pm"),
        ("121 Jo 2 days ago re rent", "2 days ago"),
        ("121 Jo few days ago re rent", "few days ago"),
        ("121 Jo 24/7 support", "24/7"),
    ],
)
def test_a_day_or_time_in_the_middle_of_the_note_is_refused(line: str, word: str) -> None:
    error = fail(line)
    assert f"'{word}' looks like a day or time" in error.message
    assert "quotes" in error.message
    assert works(error.example)


@pytest.mark.parametrize(
    "line",
    [
        "121 Jo sat in on the meeting",
        "121 Jo from the Sun office",
        "121 Jo wed in May",
        "121 Sam at 9 Elm Road",
        "121 Jo coffee morning",
        "121 Jo night shift worker",
        "121 Jo last time",
        "121 Jo 31/02 typo",
        "121 Jo 50/50 split",
    ],
)
def test_ordinary_words_stay_in_the_note(line: str) -> None:
    entry = parse(line)
    assert (entry.note, entry.dated, entry.occurred_at) == (line[4:], False, NOW)


# --- notes and quotes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "note", "when"),
    [
        ('121 yesterday "Sam said today was bad"', "Sam said today was bad", at(THU, 12)),
        ('121 "Sam said today was bad" yesterday', "Sam said today was bad", at(THU, 12)),
        ("121 “Jo 24/7 support”", "Jo 24/7 support", NOW),
        ('121 "with Sam"', "with Sam", NOW),
        ('121 "x3 Sam"', "x3 Sam", NOW),
        ('121 "#north rocks"', "#north rocks", NOW),
        ('121 Sam "the mon rota" Patel', 'Sam "the mon rota" Patel', NOW),
        ('121 ""Sam""', '"Sam"', NOW),
        ("121 Sam's flat", "Sam's flat", NOW),
    ],
)
def test_quoted_words_are_note_words(line: str, note: str, when: datetime) -> None:
    entry = parse(line)
    assert (entry.note, entry.occurred_at, entry.team) == (note, when, None)


@pytest.mark.parametrize(
    ("line", "note"),
    [
        ("121 with Sam", "Sam"),
        ("121 With Sam", "Sam"),
        ("121 w/ Sam", "Sam"),
        ("121 - Sam", "Sam"),
        ("121 yesterday with Sam Patel", "Sam Patel"),
        ("121 with with Sam", "Sam"),
        ("121 Sam with Jo", "Sam with Jo"),
    ],
)
def test_one_leading_connector_is_dropped(line: str, note: str) -> None:
    assert parse(line).note == note


# --- team tags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "team", "note"),
    [
        ("121 Sam #5-towns", "5-towns", "Sam"),
        ("#5-towns 121 Sam", "5-towns", "Sam"),
        ("121 Sam #северный-район", "северный-район", "Sam"),
        ("121 Sam #Северный-Район", "северный-район", "Sam"),
        ("121 Sam #北区", "北区", "Sam"),
        ("121 Sam #North_East", "north_east", "Sam"),
        ("121 Sam #12b", "12b", "Sam"),
        ("121 Sam #nowhere!", "nowhere", "Sam"),
        ("121 flat #12 Sam", None, "flat #12 Sam"),
    ],
)
def test_tags_for_every_team_short_name(line: str, team: str | None, note: str) -> None:
    entry = parse(line)
    assert (entry.team, entry.note) == (team, note)


@pytest.mark.parametrize("name", ["5 Towns", "Северный район", "北区", "North East", "हिन्दी टीम"])
def test_a_tag_of_a_teams_slug_names_that_team(name: str) -> None:
    slug = slugify(name)
    entry = parse(f"121 Sam #{slug}")
    assert entry.team is not None and slugify(entry.team) == slug


# --- kinds: near misses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "count", "note"),
    [
        ("1-2-1 Jo", 1, "Jo"),
        ("1-2-1s 3", 3, ""),
        ("1:1 Jo", 1, "Jo"),
        ("1:1s 2 Jo", 2, "Jo"),
        ("one to one Jo", 1, "Jo"),
        ("One To One Jo", 1, "Jo"),
        ("one-to-one Jo", 1, "Jo"),
        ("1to1 Jo", 1, "Jo"),
        ("1 to 1 Jo", 1, "Jo"),
        ("1 on 1 Jo", 1, "Jo"),
        ("1on1 Jo", 1, "Jo"),
        ("one on one Jo", 1, "Jo"),
        ("121s 3", 3, ""),
        ("2 121s", 2, ""),
        ("one to ones 2 Jo", 2, "Jo"),
        ("2 one to ones", 2, ""),
        ("one-to-ones 2", 2, ""),
        ("had a 121 with Sam", 1, "Sam"),
        ("Had a 1-2-1 with Sam", 1, "Sam"),
        ("had an oto with Sam", 1, "Sam"),
        ("had another 121 with Sam", 1, "Sam"),
        ("i had a 121 with Sam", 1, "Sam"),
        ("just had a one to one with Sam", 1, "Sam"),
        ("did 3 121s", 3, ""),
        ("did 2x121 yesterday", 2, ""),
        ("held 2 one to ones", 2, ""),
        ("1-2-1 with Jo yesterday evening", 1, "Jo"),
    ],
)
def test_near_misses_for_one_to_ones(line: str, count: int, note: str) -> None:
    entry = parse(line)
    assert (entry.kind, entry.count, entry.note) == ("one_to_one", count, note)


@pytest.mark.parametrize(
    ("line", "kind", "count"),
    [
        ("cases 2", "casework", 2),
        ("did 14 doors", "resident_contact", 14),
        ("done 14 doors", "resident_contact", 14),
        ("resident contacts 3", "resident_contact", 3),
    ],
)
def test_plurals_and_lead_ins_for_other_kinds(line: str, kind: str, count: int) -> None:
    entry = parse(line)
    assert (entry.kind, entry.count) == (kind, count)


def test_a_lead_in_without_a_kind_is_an_unknown_kind() -> None:
    assert fail("had a chat with Sam").message.startswith("I don't know 'had'")


def test_a_custom_kind_named_like_a_lead_in_still_works() -> None:
    kinds = KindRegistry([Kind("done", "done")])
    result = parse_line("done 3 Sam", now=NOW, tz=LONDON, kinds=kinds)
    assert isinstance(result, ParsedEntry) and (result.kind, result.count) == ("done", 3)


# --- chatter ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "Thanks",
        "thank you",
        "Thank you so much!",
        "thx",
        "ta",
        "cheers",
        "ok",
        "OK!",
        "okay thanks",
        "👍",
        "🙏🙏",
        "ok 👍",
        "hi",
        "Hello!",
        "good morning",
        "morning all",
        "great, thanks",
        "...",
    ],
)
def test_chatter(text: str) -> None:
    assert is_chatter(text, KINDS)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "121 Sam",
        "ok 121",
        "thanks 121 Sam",
        "doors",
        "hi #north",
        "xyz",
        "Sam Patel",
        "hello there how are you doing today",
        "thanks for the 2",
        "it's fine",
    ],
)
def test_not_chatter(text: str) -> None:
    assert not is_chatter(text, KINDS)


def test_a_kind_is_never_chatter() -> None:
    assert not is_chatter("ta", KindRegistry([Kind("talk", "talk", ("ta",))]))


# --- what the confirmation needs -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "dated", "timed"),
    [
        ("121 Sam", False, False),
        ("121 Sam yesterday", True, False),
        ("121 Sam today", True, False),
        ("121 Sam at 9", True, True),
        ("121 Sam yesterday at 9", True, True),
        ("121 Sam this morning", True, True),
        ("121 Sam last night", True, True),
    ],
)
def test_dated_and_timed(line: str, dated: bool, timed: bool) -> None:
    entry = parse(line)
    assert (entry.dated, entry.timed) == (dated, timed)


def test_parsed_entry_still_takes_six_positional_fields() -> None:
    entry = ParsedEntry("one_to_one", 1, NOW, "", None, False)
    assert entry.timed is False


# --- render -> parse round-trips for every form ----------------------------------------------

FORMS = [
    "121 Sam Patel tenants assoc",
    "doors 14!",
    "121 x3",
    "121 Sam x3",
    "2x121 Sam",
    "3 x 121",
    "121 1 5 Acacia Ave",
    "121 Sam flat 12",
    "121 Jo yesterday evening",
    "121 Jo this morning",
    "121 Jo last night",
    "121 Jo mon morning",
    "121 Jo last fri night",
    "121 Jo 2 days ago",
    "121 Jo a week ago",
    "121 Jo last tue",
    "121 Jo this mon",
    "121 Jo yesterday evening at 6:30",
    "121 Jo at 9",
    "121 Jo 18/11",
    "121 Sam #5-towns",
    "121 Sam #северный-район",
    "121 Sam #北区",
    "1-2-1 with Jo",
    "one to one with Jo",
    "had a 121 with Sam",
    "did 3 121s",
    '121 yesterday "Sam said today was bad"',
    '121 "with Sam"',
    '121 "x3 Sam"',
    '121 Sam "the mon rota" Patel',
    '121 ""Sam""',
    "121 sat with Jo",
    "121 Jo sat in",
]


@pytest.mark.parametrize("line", FORMS)
@pytest.mark.parametrize("now", [NOW, datetime(2026, 11, 20, 22, 0, tzinfo=UTC)])
def test_every_form_renders_and_parses_back(line: str, now: datetime) -> None:
    entry = parse(line, now=now)
    text = render_entry(entry, now=now, tz=LONDON, kinds=KINDS)
    again = parse(text, now=now)
    assert (again.kind, again.count, again.note, again.team, again.dated) == (
        entry.kind,
        entry.count,
        entry.note,
        entry.team,
        entry.dated,
    ), text
    minute = timedelta(minutes=1)
    assert abs(again.occurred_at - entry.occurred_at) < minute, text


def test_render_quotes_a_note_only_when_it_must() -> None:
    assert render_entry(parse("121 Sam Patel"), now=NOW, tz=LONDON, kinds=KINDS) == (
        "one-to-one Sam Patel"
    )
    entry = parse('121 yesterday "Sam said today was bad"')
    assert render_entry(entry, now=NOW, tz=LONDON, kinds=KINDS) == (
        'one-to-one "Sam said today was bad" yesterday'
    )


# --- properties: a count or day token is read or refused, wherever it stands ------------------

# Words the grammar may read next to a count or day token; a generated note avoids them.
GRAMMAR_WORDS = {
    *("today", "yesterday", "yday", "tonight", "tomorrow", "tmrw", "tmr", "tomoz", "ago"),
    *("last", "this", "next", "on", "at", "in", "the", "a", "an", "one", "few", "other"),
    *("day", "days", "week", "weeks", "month", "year", "hour", "hours", "min", "mins"),
    *("am", "pm", "morning", "afternoon", "evening", "eve", "night"),
    *("dozen", "hundred"),  # "6 hundred" after a count is one count, 600
    *("mon", "monday", "tue", "tues", "tuesday", "wed", "weds", "wednesday", "thu", "thur"),
    *("thurs", "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday"),
    *("with", "w/", "x", "had", "did", "done", "held", "i", "just", "also", "another"),
    *("later", "soon", "now", "weekend", "back", "earlier", "recently", "future", "noon"),
    *("midday", "morn", "lunch", "lunchtime", "yest", "ystd", "tonite", "couple", "several"),
    *("some", "many", "wk", "wks", "hr", "hrs", "minute", "minutes", "months", "years", "once"),
    *("twice", "thrice", "times", "of", "over", "from", "before"),
    *(
        [
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
        ]
    ),
    *("fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"),
    *(
        [
            "jan",
            "january",
            "feb",
            "february",
            "mar",
            "march",
            "apr",
            "april",
            "may",
            "jun",
            "june",
            "jul",
            "july",
            "aug",
        ]
    ),
    *(
        [
            "august",
            "sep",
            "sept",
            "september",
            "oct",
            "october",
            "nov",
            "november",
            "dec",
            "december",
        ]
    ),
}
WORDS = st.one_of(
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=8),
    st.sampled_from(["Zoë", "Łukasz", "flat-3", "O'Neil", "5", "12b", "#12", "Сергей"]),
).filter(lambda w: w.lower() not in GRAMMAR_WORDS and KINDS.lookup(w) is None)

# (phrase, local day it names at NOW); "sat", "sun" and "wed" are days only at the edges.
DAYS = [
    ("yesterday", THU),
    ("yday", THU),
    ("today", TODAY),
    ("mon", MON),
    ("thursday", THU),
    ("last fri", LAST_FRI),
    ("2 days ago", WED),
    ("a day ago", THU),
    ("18/11", WED),
    ("2026-11-18", WED),
    ("yesterday evening", THU),
    ("last night", THU),
    ("mon morning", MON),
    ("this morning", TODAY),
]
EDGE_ONLY_DAYS = [("sat", date(2026, 11, 14)), ("sun", date(2026, 11, 15)), ("wed", WED)]
COUNT_AFTER_KIND = ["{n}", "x{n}", "{n}x", "×{n}", "x {n}", "{n}!"]
COUNT_AT_END = ["x{n}", "{n}x", "×{n}", "x {n}", "+{n}"]
COUNT_MIDDLE = ["x{n}", "{n}x", "×{n}", "x {n}", "+{n}"]
COUNT_BEFORE_KIND = ["{n}", "+{n}", "{n}x", "{n} x", "{n}×"]


@st.composite
def counted_dated_lines(draw: st.DrawFn) -> tuple[str, int, date, str, bool]:
    """A line with one count and one day token in any position.

    Returns the line, the count and day it says, its note, and whether both tokens stand where
    the grammar reads them (so it must be read, not refused).
    """
    words = draw(st.lists(WORDS, min_size=0, max_size=5))
    n = draw(st.integers(1, 500))
    count_at = draw(st.sampled_from(["before", "after", "end", "middle"]))
    day_at = draw(st.sampled_from(["after", "end", "middle"]))
    if count_at == "middle" or day_at == "middle":
        # There must be note words on both sides of the token.
        words = [*words, *draw(st.lists(WORDS, min_size=2, max_size=3))]
    phrase, day = draw(st.sampled_from(DAYS if day_at == "middle" else DAYS + EDGE_ONLY_DAYS))
    forms = {
        "before": COUNT_BEFORE_KIND,
        "after": COUNT_AFTER_KIND,
        "end": COUNT_AT_END,
        "middle": COUNT_MIDDLE,
    }[count_at]
    count_token = draw(st.sampled_from(forms)).format(n=n)

    head = ["121"]
    body = list(words)
    tail: list[str] = []
    if day_at == "after":
        head.append(phrase)
    elif day_at == "end":
        tail.append(phrase)
    else:
        body.insert(draw(st.integers(1, len(body) - 1)), phrase)
    if count_at == "before":
        head.insert(0, count_token)
    elif count_at == "after":
        head.insert(1, count_token)
    elif count_at == "end":
        tail.append(count_token) if draw(st.booleans()) else tail.insert(0, count_token)
    else:
        body.insert(draw(st.integers(1, len(body) - 1)), count_token)
    line = " ".join([*head, *body, *tail])
    # A number first in the note reads as the count unless a count came first: two counts
    # are refused.
    number_first = bool(body) and body[0].isdigit() and count_at != "after"
    readable = count_at != "middle" and day_at != "middle" and not number_first
    return line, n, day, " ".join(words), readable


@settings(max_examples=400, deadline=None)
@given(case=counted_dated_lines())
def test_count_and_day_tokens_are_read_or_refused_never_noted(
    case: tuple[str, int, date, str, bool],
) -> None:
    line, count, day, note, readable = case
    result = parse_line(line, now=NOW, tz=LONDON, kinds=KINDS)
    if isinstance(result, LineError):
        assert not readable, (line, result)
        return
    assert (result.count, local_date(result.occurred_at, LONDON), result.note) == (
        count,
        day,
        note,
    ), line


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(WORDS, min_size=1, max_size=5),
    token=st.sampled_from(
        [d for d, _ in DAYS if " " not in d] + ["x3", "3x", "+3", "18:30", "6pm", "tomorrow"]
    ),
    where=st.integers(0, 10),
)
def test_a_token_in_a_note_is_never_stored_there_unquoted(
    words: list[str], token: str, where: int
) -> None:
    body = list(words)
    body.insert(where % (len(body) + 1), token)
    result = parse_line("121 " + " ".join(body), now=NOW, tz=LONDON, kinds=KINDS)
    if isinstance(result, ParsedEntry):
        assert token not in result.note.split()


# --- issue #8, second round: a new user's ~700 messages (Thu 26 Nov 2026 12:00 London) --------

ROUND2 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
R2_TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    "line",
    [
        *(f"121 Jo {w}" for w in ("tommorow", "tomorow", "2moro", "2morrow", "in two days")),
        *(f"121 Jo {w}" for w in ("in a week", "in an hour", "later", "later today", "soon")),
        *(f"121 Jo {w}" for w in ("2 days from now", "a week from now", "this weekend")),
        *(f"121 Jo {w}" for w in ("next weekend", "tonite", "2nite", "27/11", "01/12", "27 nov")),
        "121 in two days Jo",
    ],
)
def test_round2_future_phrases_are_refused(line: str) -> None:
    assert "future" in fail(line, now=ROUND2).message


@pytest.mark.parametrize(
    ("line", "count", "day", "note"),
    [
        ("121 Jo day before yesterday", 1, date(2026, 11, 24), "Jo"),
        ("121 the day before yesterday Jo", 1, date(2026, 11, 24), "Jo"),
        *((f"121 Jo {w}", 1, date(2026, 11, 25), "Jo") for w in ("yest", "ystd", "y'day")),
        *((f"121 Jo {w}", 1, date(2026, 11, 25), "Jo") for w in ("(yesterday)", "[yesterday]")),
        ("121 Jo yesterday…", 1, date(2026, 11, 25), "Jo"),
        *((f"121 Jo {w}", 1, date(2026, 11, 25), "Jo") for w in ("25 nov", "nov 25", "25th")),
        *((f"121 Jo {w}", 1, date(2026, 11, 25), "Jo") for w in ("25th November", "25.11")),
        ("121 Jo 25-11", 1, date(2026, 11, 25), "Jo"),
        *((f"doors {w}", 14, R2_TODAY, "") for w in ("- 14", "=14", "(14)", "~14", "14+")),
        *((f"doors {w}", 14, R2_TODAY, "") for w in ("１４", "١٤", "fourteen")),
        ("doors three", 3, R2_TODAY, ""),
        ("121 two", 2, R2_TODAY, ""),
        ("121 Jo (x3)", 3, R2_TODAY, "Jo"),
        ("121 Jo twice", 2, R2_TODAY, "Jo"),
        ("121 Jo 2 times", 2, R2_TODAY, "Jo"),
        ("121 Jo 2 wks ago", 1, date(2026, 11, 12), "Jo"),
        ("121 Jo 3days ago", 1, date(2026, 11, 23), "Jo"),
        ("121 Jo two days ago", 1, date(2026, 11, 24), "Jo"),
        ("121 Jo yesterday 🙂", 1, date(2026, 11, 25), "Jo"),
        ("yesterday 121 Jo", 1, date(2026, 11, 25), "Jo"),
        ("121 Jo, yesterday", 1, date(2026, 11, 25), "Jo"),
        ("121 Jo - yesterday", 1, date(2026, 11, 25), "Jo"),
        *((f"{k} Jo", 1, R2_TODAY, "Jo") for k in ("121's", "121’s", "1–2–1", "1-on-1")),
        *((f"{k} Jo", 1, R2_TODAY, "Jo") for k in ("one-on-one", "1-to-1", "one2one")),
        *((f"{k} Jo", 1, R2_TODAY, "Jo") for k in ("one-2-one", "onetoone", "1 2 1")),
        ("a 121 with Jo", 1, R2_TODAY, "Jo"),
        ("one to one's Jo", 1, R2_TODAY, "Jo"),
    ],
)
def test_round2_read_right(line: str, count: int, day: date, note: str) -> None:
    entry = parse(line, now=ROUND2)
    assert (entry.count, local_date(entry.occurred_at, LONDON), entry.note) == (count, day, note)


@pytest.mark.parametrize(
    ("line", "hour", "minute"),
    [
        ("121 Jo an hour ago", 11, 0),
        ("121 Jo 2 hours ago", 10, 0),
        ("121 Jo @9am", 9, 0),
        ("121 Jo @ 9", 9, 0),
        ("121 Jo at noon", 12, 0),
        ("121 Jo 9-10am", 9, 0),
        ("121 Jo 9:00-10:00", 9, 0),
        ("121 Jo this morn", 9, 0),
        ("121 Jo this am", 9, 0),
        ("121 Jo yesterday lunchtime", 12, 30),
    ],
)
def test_round2_times(line: str, hour: int, minute: int) -> None:
    entry = parse(line, now=ROUND2)
    assert entry.note == "Jo" and entry.timed
    local_time = entry.occurred_at.astimezone(LONDON)
    assert (local_time.hour, local_time.minute) == (hour, minute)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("121 Jo last weekend", "Which day"),
        ("121 Jo at the weekend", "Which day"),
        ("121 Jo earlier this week", "Which day"),
        ("121 Jo a few days back", "Which day"),
        ("121 Jo this week", "Which day"),
        ("121 Jo a couple of days ago", "'a couple of days ago'"),
        ("121 Jo 27th", "Which month"),
        ("doors 1,000", "the most is 500"),
    ],
)
def test_round2_refused_with_a_true_hint(line: str, fragment: str) -> None:
    assert fragment in fail(line, now=ROUND2).message


@pytest.mark.parametrize(
    ("line", "team", "note"),
    [
        ("121 Sam (#5-towns)", "5-towns", "Sam"),
        ("121 Sam#5-towns", "5-towns", "Sam"),
        ("121 Sam ＃leeds", "leeds", "Sam"),
    ],
)
def test_round2_tags(line: str, team: str, note: str) -> None:
    entry = parse(line, now=ROUND2)
    assert (entry.team, entry.note) == (team, note)


@pytest.mark.parametrize(
    "text",
    [
        *("thanks bot", "cheers mate", "nice one", "hi there", "hey bot", "Thanks, that's great"),
        *("amazing thanks", "thanks x", "awesome", "brill", "sorry", "haha", "yes please"),
        *("спасибо", "merci"),
    ],
)
def test_round2_chatter(text: str) -> None:
    assert is_chatter(text, KINDS)


def test_round2_command_words() -> None:
    assert [command_word(w) for w in ("help", "Undo", "cancel", "121")] == [
        "help",
        "undo",
        "undo",
        None,
    ]


# --- generic guards: look-alike days, unread relative days, count words, two entries ----------

ROUND3 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday


@pytest.mark.parametrize(
    "line",
    [
        "121 Sam yesterdy",
        "121 Sam yesteday",
        "121 Sam yestrday",
        "121 Sam ysterday evening",
        "121 Sam monady",
        "121 Sam wednsday",
        "121 Sam thurday",
        "121 Sam tusday",
    ],
)
def test_a_misspelt_day_in_the_note_is_refused(line: str) -> None:
    error = fail(line, now=ROUND3)
    assert "looks like a day: check the spelling" in error.message
    assert "quotes" in error.message


@pytest.mark.parametrize(
    ("line", "note"),
    [
        ("121 Sam re: flat 12 repairs", "Sam re: flat 12 repairs"),
        ("case Mrs Ten Acres", "Mrs Ten Acres"),
        ("121 Jo about the later shift", "Jo about the later shift"),
        ("121 Jo one more time", "Jo one more time"),
        ("121 May", "May"),
        ("121 June Smith", "June Smith"),
        ("121 next door", "next door"),
        ("121 tonight's meeting prep", "tonight's meeting prep"),
        ("121 Monaghan", "Monaghan"),
        ("121 Wednesfield", "Wednesfield"),
        ("121 Satterthwaite", "Satterthwaite"),
        ("121 Sundeep", "Sundeep"),
        ("121 coffee mornings", "coffee mornings"),
        ("case about doors", "about doors"),
        ("121 Sam and doors", "Sam and doors"),
    ],
)
def test_ordinary_notes_stay_notes(line: str, note: str) -> None:
    assert parse(line, now=ROUND3).note == note


def test_last_nite_is_last_night() -> None:
    entry = parse("121 Sam last nite", now=ROUND3)
    assert (entry.occurred_at, entry.note) == (at(date(2026, 11, 25), 21), "Sam")


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("121 Jo twenty one days ago", "twenty one days ago"),
        ("121 Jo 2 or 3 days ago", "2 or 3 days ago"),
        ("121 Jo half an hour ago", "half an hour ago"),
        ("121 Jo the day before", "the day before"),
        ("121 Jo sunday gone", "sunday gone"),
        ("121 Jo friday gone", "friday gone"),
        ("121 Jo Tuesday last", "tuesday last"),
        ("121 Jo the other night", "the other night"),
        ("121 Jo friday before last", "friday before last"),
        ("121 Sam 24 November 2026", "24 november 2026"),
        ("121 Sam yesterday at 6 o'clock", "yesterday at 6 o'clock"),
        ("121 Sam yesterday 3ish", "yesterday 3ish"),
        ("121 Sam yesterday midnight", "yesterday midnight"),
        ("121 Sam yesterday evning", "yesterday evning"),
    ],
)
def test_a_day_phrase_it_cannot_read_at_the_end_is_refused_as_unread(line: str, shown: str) -> None:
    error = fail(line, now=ROUND3)
    assert f"I can't read '{shown}' as a day or time" in error.message
    assert "put it at the end" not in error.message
    assert works(error.example)


@pytest.mark.parametrize(
    ("line", "count"),
    [
        ("doors twenty one", 21),
        ("doors twenty-one", 21),
        ("doors thirty", 30),
        ("doors a dozen", 12),
        ("doors 2 dozen", 24),
        ("doors one hundred", 100),
        ("doors x two", 2),
        ("doors 2 dozen yesterday", 24),
    ],
)
def test_counts_said_in_several_words_are_read(line: str, count: int) -> None:
    entry = parse(line, now=ROUND3)
    assert (entry.count, entry.note) == (count, "")


@pytest.mark.parametrize(
    "line",
    [
        *("doors about 10", "doors around 10", "doors approx 10", "doors 10ish"),
        *("doors 1o", "doors l4", "doors 10-15", "doors 14 14"),
    ],
)
def test_an_inexact_count_is_refused(line: str) -> None:
    error = fail(line, now=ROUND3)
    assert "looks like a count" in error.message
    assert works(error.example)


@pytest.mark.parametrize(
    "line", ["121 Sam; doors 14", "121 Sam / doors 14", "121 Sam, 121 Jo", "121 Sam and 121 Jo"]
)
def test_two_entries_on_one_line_are_refused(line: str) -> None:
    error = fail(line, now=ROUND3)
    assert "One entry per line" in error.message
    assert all(works(example) for example in error.example.splitlines())


@pytest.mark.parametrize(
    "text",
    [
        *("no worries", "no problem", "will do", "sounds good", "great stuff", "yup", "alright"),
        *("okie", "grand", "sweet", "hmm", "huh", "see you", "love it", "gn", "merry xmas"),
        *("oops", "never mind", "gracias", "thank you Sam", "thanks for yesterday"),
    ],
)
def test_round3_chatter(text: str) -> None:
    assert is_chatter(text, KINDS)


def test_lunch_with_sam_is_no_chatter() -> None:
    assert not is_chatter("lunch with Sam", KINDS)
    assert command_word("lunch with Sam") is None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        *(("what?", "help"), ("is this working?", "help"), ("are you there?", "help")),
        *(("what can you do?", "help"), ("how do I log?", "help"), ("help me", "help")),
        *(("how does this work", "help"), ("start", "help"), ("menu", "help")),
        *(("undo that", "undo"), ("undo last", "undo"), ("delete that", "undo")),
        *(("remove that", "undo"), ("cancel that", "undo"), ("ignore that", "undo")),
        *(("wrong", "undo"), ("that's wrong", "undo"), ("Sorry wrong chat", "undo")),
        *(("doors?", None), ("121?", None)),
    ],
)
def test_round3_command_words(text: str, command: str | None) -> None:
    assert command_word(text) == command


# --- spoken and dotted times, ``this arvo``, ``@team-tag`` ----------------------------------

THURSDAY_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("line", "hour", "minute"),
    [
        ("121 Sam half six yesterday", 6, 30),  # as ``at 6`` is read: 06:00
        ("121 Sam yesterday at half six", 6, 30),
        ("121 Sam half past 6 yesterday", 6, 30),
        ("121 Sam quarter past 3 yesterday", 3, 15),
        ("121 Sam quarter to 4 yesterday", 3, 45),
        ("121 Sam yesterday evening half six", 18, 30),
        ("121 Sam 15.00 yesterday", 15, 0),
        ("121 Sam yesterday 15.00", 15, 0),
        ("121 Sam 15h30 yesterday", 15, 30),
    ],
)
def test_spoken_dotted_and_h_times_are_read_and_leave_the_note(
    line: str, hour: int, minute: int
) -> None:
    entry = parse(line, now=THURSDAY_NOON)
    assert entry.note == "Sam"
    assert entry.occurred_at == at(WEDNESDAY, hour, minute)
    assert entry.timed


def test_at_six_is_read_as_half_six_is() -> None:
    assert parse("121 Sam at 6 yesterday", now=THURSDAY_NOON).occurred_at == at(WEDNESDAY, 6)


def test_a_dotted_amount_without_a_day_stays_in_the_note() -> None:
    assert parse("case paid 15.00", now=THURSDAY_NOON).note == "paid 15.00"


def test_this_arvo_is_this_afternoon() -> None:
    later = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    entry = parse("121 Sam this arvo", now=later)
    assert entry.note == "Sam"
    assert entry.occurred_at == at(date(2026, 11, 26), 14)
    assert parse("121 Sam yesterday arvo", now=later).occurred_at == at(WEDNESDAY, 14)


def test_this_arvo_before_noon_is_the_future() -> None:
    assert "future" in fail("121 Sam this arvo", now=datetime(2026, 11, 26, 10, tzinfo=UTC)).message


def test_an_at_word_with_a_hyphen_is_a_team_tag() -> None:
    entry = parse("121 Sam @5-towns", now=THURSDAY_NOON)
    assert (entry.team, entry.note) == ("5-towns", "Sam")


@pytest.mark.parametrize("line", ["121 Sam @sam", "121 Sam @sam_p"])
def test_an_at_username_stays_in_the_note(line: str) -> None:
    entry = parse(line, now=THURSDAY_NOON)
    assert entry.team is None
    assert entry.note == line.removeprefix("121 ")


def test_an_at_time_range_is_not_a_tag() -> None:
    entry = parse("121 Sam @9-10am", now=THURSDAY_NOON)
    assert entry.team is None
    assert entry.note == "Sam"
