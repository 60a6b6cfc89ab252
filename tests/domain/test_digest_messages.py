"""A digest's text as the messages it is posted in: every team's digest has the same parts, the
team line, the scrutiny line and the cross-team line are never cut, and no message is over
Telegram's limit."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

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
)
from organiser_bot.domain.kinds import KindRegistry

KINDS = KindRegistry()
MONDAY = date(2026, 11, 16)


def member(i: int, name: str) -> MemberWeek:
    return MemberWeek(
        f"{name} {i}",
        "organiser",
        {"one_to_one": (1, 0, 2, 0, 0, 0, 0), "resident_contact": (0, 3, 0, 0, 0, 0, 0)},
        {"one_to_one": 15, "resident_contact": 40},
    )


def team(members: list[MemberWeek], *, attainment: float | None = 0.41) -> TeamDigest:
    return TeamDigest(
        team_name="Leeds Central",
        iso_week="2026-W47",
        week_start=MONDAY,
        kinds=("one_to_one", "resident_contact"),
        kind_labels={},
        members=tuple(members),
        attainment=attainment,
        cross_team_median=0.5,
        teams_compared=12,
        looks=7,
        looks_median=2.5,
    )


def check(d: TeamDigest, messages: tuple[str, ...], limit: int) -> None:
    assert all(message_length(m) <= limit for m in messages)
    first, last = messages[0].splitlines(), messages[-1].splitlines()
    assert first[0] == digest_title(d)
    # The team line, the scrutiny line and the shared cross-team line close the last message,
    # whole.
    assert last[-1] == cross_team_line(d)
    assert last[-2] == scrutiny_line(d)
    assert last[-2] == "Your team's figures were opened 7 times this week; the median team's 2.5."
    assert last[-3].startswith(("Team attainment: ", "Team: no targets"))
    # Every member line appears once, in order, across the messages.
    body = [
        line
        for i, m in enumerate(messages)
        for line in m.splitlines()[(2 if i == 0 else 1) :]
        if line.startswith("• ")
    ]
    assert body == [member_line(m, d, KINDS) for m in d.members]
    for i, m in enumerate(messages[1:], start=2):
        assert m.splitlines()[0] == f"{digest_title(d)} ({i}/{len(messages)})"


def test_a_150_member_team_keeps_its_team_line_and_cross_team_line() -> None:
    d = team([member(i, "Member With A Fairly Long Name") for i in range(150)])
    assert message_length(render_digest_text(d, KINDS)) > MESSAGE_LIMIT
    messages = render_digest_messages(d, KINDS)
    assert len(messages) > 1
    check(d, messages, MESSAGE_LIMIT)


def test_a_small_team_is_one_message_equal_to_the_text() -> None:
    d = team([member(i, "Sam") for i in range(5)])
    assert render_digest_messages(d, KINDS) == (render_digest_text(d, KINDS),)


def test_limit_counts_utf16_units_as_telegram_does() -> None:
    # Each 🌟 is one character but two UTF-16 code units.
    d = team([member(i, "🌟" * 60) for i in range(40)])
    messages = render_digest_messages(d, KINDS)
    assert all(len(m.encode("utf-16-le")) // 2 <= MESSAGE_LIMIT for m in messages)
    check(d, messages, MESSAGE_LIMIT)


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=128), min_size=0, max_size=60),
    limit=st.integers(min_value=700, max_value=4096),
    attainment=st.none() | st.floats(min_value=0, max_value=1),
)
def test_any_team_any_limit(names: list[str], limit: int, attainment: float | None) -> None:
    names = [" ".join(n.split()) or "x" for n in names]
    d = team([member(i, n) for i, n in enumerate(names)], attainment=attainment)
    messages = render_digest_messages(d, KINDS, limit=limit)
    if not d.members:
        assert messages == (render_digest_text(d, KINDS),)
        return
    check(d, messages, limit)
