"""Issue #9, point 2 tried adversarially: every digest has the same parts whatever the team's size.

Teams of 1, 149, 150 and 400 members with long names in other scripts and emoji: each message is
at most 4,096 UTF-16 code units, the title opens the first message, continuation messages are
headed ``<title> (i/n)``, every member line appears exactly once and whole, and the team line, the
scrutiny line and the cross-team line appear once each, at the end of the last message.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from charts.digest import render_diarised_chart
from organiser_bot.domain.digest import (
    MESSAGE_LIMIT,
    MemberWeek,
    TeamDigest,
    cross_team_line,
    digest_title,
    member_line,
    message_length,
    render_digest_messages,
    render_digest_text,
    scrutiny_line,
    team_attainment,
)
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.digests import build_week
from storage.engine import Database
from tests.digest_factories import LONDON, log, make_member, make_team

KINDS = KindRegistry()
MONDAY = date(2026, 11, 16)

# Names of the kind real groups have: other scripts, emoji (2 UTF-16 units each, some joined by
# ZWJ), combining marks, right-to-left text; some at the 128-character limit of a display name.
NAMES = (
    "Zoë Ó Súilleabháin",
    "محمد عبد الرحمن",
    "Αλέξανδρος Παπαδόπουλος",
    "李小龍",
    "Đặng Thị Ngọc Hân",
    "👩‍👩‍👧‍👦 Family Rep 🏳️‍🌈",
    "Ṡ̶t̷r̸a̵n̴g̶e̷ ̸N̵a̴m̶e̷",
    "🦄" * 64,  # 128 UTF-16 units of emoji
    "Rukhsana " + "𝒜" * 119,  # mathematical letters outside the BMP, 128 characters
)


def _member(i: int, *, joined: int | None = None) -> MemberWeek:
    name = f"{NAMES[i % len(NAMES)]} {i}"
    days = (True,) * 7 if joined is None else tuple(d >= joined for d in range(7))
    kinds = ("one_to_one", "resident_contact", "casework")
    targets = {k: 5 + (i + j) % 11 for j, k in enumerate(kinds)}
    daily = {k: tuple((i * 7 + j + d) % 4 for d in range(7)) for j, k in enumerate(kinds)}
    return MemberWeek(name, "organiser", daily, targets, i % 3 if i % 5 == 0 else 0, days)


def _digest(members: tuple[MemberWeek, ...], *, team: str = "Leeds Central 🏙️") -> TeamDigest:
    return TeamDigest(
        team_name=team,
        iso_week="2026-W47",
        week_start=MONDAY,
        kinds=("one_to_one", "resident_contact", "casework"),
        kind_labels={k: KINDS.get(k).label for k in ("one_to_one", "resident_contact", "casework")},
        members=members,
        attainment=team_attainment(members),
        cross_team_median=0.6149,
        teams_compared=37,
        looks=9,
        looks_median=3,
    )


def _check_parts(d: TeamDigest, messages: tuple[str, ...], *, limit: int = MESSAGE_LIMIT) -> None:
    assert all(message_length(m) <= limit for m in messages)
    title = digest_title(d)
    assert messages[0].split("\n")[0] == title
    n = len(messages)
    for i, m in enumerate(messages[1:], start=2):
        assert m.split("\n")[0] == f"{title} ({i}/{n})"
    lines = [line for m in messages for line in m.split("\n")]
    expected_members = [member_line(m, d, KINDS) for m in d.members]
    for line in expected_members:
        assert lines.count(line) == 1, line
    member_lines = [line for line in lines if line.startswith("• ")]
    assert member_lines == expected_members  # in order, none cut, none extra
    cross, looked = cross_team_line(d), scrutiny_line(d)
    team_lines = [line for line in lines if line.startswith("Team")]
    assert len(team_lines) == 1 and lines.count(cross) == 1 and lines.count(looked) == 1
    last = messages[-1].split("\n")
    assert last[-3:] == [team_lines[0], looked, cross]
    if n == 1:
        assert messages[0] == render_digest_text(d, KINDS)


@pytest.mark.parametrize("size", [1, 149, 150, 400])
def test_every_size_keeps_every_part(size: int) -> None:
    d = _digest(tuple(_member(i, joined=(i % 4) if i % 6 == 0 else None) for i in range(size)))
    messages = render_digest_messages(d, KINDS)
    _check_parts(d, messages)
    if size >= 149:
        assert len(messages) > 1  # these names do not fit one message
    # Nothing is lost: the split text holds exactly the whole text's lines, plus headers.
    whole = render_digest_text(d, KINDS).split("\n")
    split = [line for m in messages for line in m.split("\n")]
    headers = [f"{digest_title(d)} ({i}/{len(messages)})" for i in range(2, len(messages) + 1)]
    assert sorted(split) == sorted(whole + headers)


def test_a_preview_split_keeps_its_own_lines() -> None:
    members = tuple(_member(i) for i in range(300))
    d = _digest(members)
    preview = TeamDigest(**{**{f: getattr(d, f) for f in d.__dataclass_fields__}, "preview": True})
    messages = render_digest_messages(preview, KINDS)
    _check_parts(preview, messages)
    assert messages[0].split("\n")[0].endswith("· preview")
    assert "Preview only" in messages[-1].split("\n")[-1]


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(
        st.text(
            alphabet=st.characters(
                blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\n\r"
            ),
            min_size=1,
            max_size=128,
        ),
        min_size=1,
        max_size=250,
    ),
    team=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=64,
    ),
)
def test_any_names_keep_every_part(names: list[str], team: str) -> None:
    members = tuple(
        MemberWeek(
            f"{n} #{i}", "organiser", {"one_to_one": (1, 0, 0, 0, 0, 0, i % 5)}, {"one_to_one": 15}
        )
        for i, n in enumerate(names)
    )
    d = _digest(members, team=team.replace("\n", " "))
    _check_parts(d, render_digest_messages(d, KINDS))


@pytest.mark.parametrize("limit", [600, 1000, 2048])
def test_smaller_limits_still_keep_the_tail_once(limit: int) -> None:
    d = _digest(tuple(_member(i) for i in range(120)))
    _check_parts(d, render_digest_messages(d, KINDS, limit=limit), limit=limit)


def test_the_chart_of_400_members_decodes() -> None:
    d = _digest(tuple(_member(i) for i in range(400)))
    png = render_diarised_chart(d)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


# --- Built from storage --------------------------------------------------------------------------


def test_a_150_member_team_from_storage_keeps_every_part_and_the_shared_median(
    db: Database,
) -> None:
    def setup(conn: Connection) -> None:
        big = make_team(conn, "Big Team", chat_id=-1001)
        small = make_team(conn, "Small", chat_id=-1002)
        s = make_member(conn, small, 9_000, "Solo", Role.ORGANISER)
        log(conn, s, small, "one_to_one", 15, MONDAY)
        for i in range(150):
            joined = MONDAY.replace(day=MONDAY.day + (i % 7)) if i % 10 == 0 else None
            p = make_member(
                conn,
                big,
                10_000 + i,
                f"{NAMES[i % len(NAMES)]} {i}",
                Role.ORGANISER,
                joined_on=joined,
            )
            if i % 3:
                log(conn, p, big, "one_to_one", i % 17, joined or MONDAY)

    db.call(setup)
    digests = {
        d.team_name: d
        for d in db.call(
            build_week,
            monday=MONDAY,
            kinds=KINDS,
            tz=LONDON,
        )
    }
    big = digests["Big Team"]
    assert len(big.members) == 150
    messages = render_digest_messages(big, KINDS)
    assert len(messages) > 1
    _check_parts(big, messages)
    # The cross-team line is the very same sentence in both teams' digests.
    small = render_digest_messages(digests["Small"], KINDS)
    assert small[-1].split("\n")[-1] == messages[-1].split("\n")[-1]
    joiners = [m for m in big.members if m.joined_day]
    assert joiners and all("(joined " in member_line(m, big, KINDS) for m in joiners)
