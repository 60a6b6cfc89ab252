"""The digest ledger's new rules, on SQLite and PostgreSQL: what a run may send (with each chat's
topic and binding time), giving a week up, one admin notice per team and week, and the spread of
a week's sending."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from handlers.texts.digests import duration
from organiser_bot.domain.schedule import WeeklySchedule, digest_due_for_chat, week_slot
from storage import chats, ledger
from storage.engine import Database
from tests.digest_factories import LONDON, make_team

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STALE = timedelta(minutes=30)


def _claim(conn: Connection, team_id: int, week: str = "2026-W47", now: datetime = AT) -> None:
    row = ledger.claim(
        conn,
        team_id=team_id,
        iso_week=week,
        template_version="1",
        chat_id=-1,
        now=now,
        stale_after=STALE,
    )
    assert row is not None


def test_teams_to_send_carries_the_topic_and_the_aware_binding_time(db: Database) -> None:
    bound = datetime(2026, 11, 29, 15, 30, 12, tzinfo=UTC)

    def setup(conn: Connection) -> None:
        alpha = make_team(conn, "Alpha")
        chats.bind_chat(
            conn, team_id=alpha, chat_id=-10, title="A", by=None, now=bound, thread_id=7
        )
        make_team(conn, "Bravo", chat_id=-20)
        make_team(conn, "Charlie")  # no chat

    db.call(setup)
    targets = db.call(
        lambda c: ledger.teams_to_send(c, iso_week="2026-W47", now=AT, stale_after=STALE)
    )
    assert [(t.team.name, t.chat_id, t.thread_id) for t in targets] == [
        ("Alpha", -10, 7),
        ("Bravo", -20, None),
    ]
    assert targets[0].bound_at == bound and targets[0].bound_at.tzinfo is not None


def test_a_given_up_week_is_never_claimed_again_and_admins_are_told_once(db: Database) -> None:
    team = db.call(lambda c: make_team(c, "Alpha", chat_id=-10))

    def fail_for_good(conn: Connection) -> None:
        _claim(conn, team)
        row = ledger.mark_failed(
            conn, team_id=team, iso_week="2026-W47", error="gone", give_up=True
        )
        assert row is not None and (row.status, row.last_error) == (ledger.GIVEN_UP, "gone")
        assert not ledger.will_retry(row)

    db.call(fail_for_good)
    later = AT + timedelta(days=1)
    assert (
        db.call(
            lambda c: ledger.claim(
                c,
                team_id=team,
                iso_week="2026-W47",
                template_version="1",
                chat_id=-10,
                now=later,
                stale_after=STALE,
            )
        )
        is None
    )
    assert (
        db.call(
            lambda c: ledger.teams_to_send(c, iso_week="2026-W47", now=later, stale_after=STALE)
        )
        == []
    )
    told = [
        db.call(
            lambda c, i=i: ledger.claim_admin_notice(
                c, team_id=team, iso_week="2026-W47", now=AT + timedelta(minutes=i)
            )
        )
        for i in range(3)
    ]
    assert told == [True, False, False]
    row = db.call(lambda c: ledger.get(c, team_id=team, iso_week="2026-W47"))
    assert row is not None and row.admins_told_at == AT
    # No row, nothing to tell.
    assert not db.call(
        lambda c: ledger.claim_admin_notice(c, team_id=team, iso_week="2026-W40", now=AT)
    )


def test_move_chat_keeps_the_parts_delivered(db: Database) -> None:
    team = db.call(lambda c: make_team(c, "Alpha", chat_id=-10))

    def partly_sent(conn: Connection) -> None:
        _claim(conn, team)
        ledger.record_part(
            conn, team_id=team, iso_week="2026-W47", part="charts", message_ids=(3, 4)
        )
        ledger.move_chat(conn, team_id=team, iso_week="2026-W47", chat_id=-1000000000010)

    db.call(partly_sent)
    row = db.call(lambda c: ledger.get(c, team_id=team, iso_week="2026-W47"))
    assert row is not None and row.chat_id == -1000000000010 and row.parts == {"charts": (3, 4)}


def test_week_spreads_measure_first_to_last_sent_over_every_team(db: Database) -> None:
    offsets = [timedelta(seconds=s) for s in (0, 12, 41)]

    def sent_weeks(conn: Connection) -> None:
        teams = [make_team(conn, name, chat_id=-i) for i, name in enumerate("ABCD", 1)]
        for team, offset in zip(teams, offsets, strict=False):
            _claim(conn, team)
            ledger.mark_sent(
                conn,
                team_id=team,
                iso_week="2026-W47",
                template_version="1",
                content_hash="h",
                now=AT + offset,
            )
        # D failed: it is not part of the spread.
        _claim(conn, teams[3], now=AT + timedelta(hours=5))
        ledger.mark_failed(conn, team_id=teams[3], iso_week="2026-W47", error="x")
        # One team sent in W46.
        _claim(conn, teams[0], week="2026-W46")
        ledger.mark_sent(
            conn,
            team_id=teams[0],
            iso_week="2026-W46",
            template_version="1",
            content_hash="h",
            now=AT - timedelta(days=7),
        )

    db.call(sent_weeks)
    spreads = db.call(
        lambda c: ledger.week_spreads(c, iso_weeks=["2026-W47", "2026-W46", "2026-W45"])
    )
    assert set(spreads) == {"2026-W47", "2026-W46"}
    w47 = spreads["2026-W47"]
    assert (w47.sent, w47.first, w47.last) == (3, AT + min(offsets), AT + max(offsets))
    assert w47.spread == max(offsets) - min(offsets)
    assert w47.first.tzinfo is not None
    assert spreads["2026-W46"].spread == timedelta(0)


SCHEDULES = st.builds(
    WeeklySchedule.parse,
    st.builds(
        lambda d, h, m: f"{d} {h:02d}:{m:02d}",
        st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
        st.integers(0, 23),
        st.integers(0, 59),
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    schedule=SCHEDULES,
    monday=st.dates(date(2025, 1, 6), date(2030, 12, 30)).map(
        lambda d: d - timedelta(days=d.weekday())
    ),
    offset=st.integers(-14 * 24 * 3600, 14 * 24 * 3600),
)
def test_a_chat_is_owed_a_week_exactly_when_bound_by_that_weeks_slot(
    schedule: WeeklySchedule, monday: date, offset: int
) -> None:
    slot = week_slot(monday, schedule, LONDON)
    bound_at = slot + timedelta(seconds=offset)
    assert digest_due_for_chat(bound_at, monday, schedule, LONDON) == (offset <= 0)
    # The slot is in the week after the one it is for.
    assert slot.astimezone(LONDON).date() - monday >= timedelta(days=6)
    assert slot.astimezone(LONDON).date() - monday <= timedelta(days=14)


def test_durations_are_short_words() -> None:
    assert [duration(timedelta(seconds=s)) for s in (0, 41, 185, 7500, 97_200, 2 * 86400)] == [
        "0 s",
        "41 s",
        "3 min 5 s",
        "2 h 5 min",
        "1 day 3 h",
        "2 days 0 h",
    ]
