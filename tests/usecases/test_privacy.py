"""/mydata and /forgetme as typed outcomes: everything held, shown as stored, then forgotten."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TypeVar

import pytest
from sqlalchemy import Connection, select

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.digest import TeamDigest, render_digest_text
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.names import distinct_names
from organiser_bot.domain.periods import Period
from organiser_bot.domain.roles import Role
from organiser_bot.domain.targets import TargetRow, person_scope, role_scope
from organiser_bot.usecases import members, privacy, reports
from organiser_bot.usecases.digests import build_week
from organiser_bot.usecases.privacy import ForgetNeedsConfirm, Forgotten, NothingHeld
from storage import ledger, people, processed
from storage import privacy as privacy_store
from storage import targets as target_store
from storage.engine import Database
from storage.models import ProcessedUpdate
from storage.privacy import (
    FORMER_MEMBER,
    HeldAbsence,
    HeldKind,
    HeldMembership,
    HeldTarget,
    forgotten_user_id,
)
from storage.query import table_of
from tests.digest_factories import LONDON, SETUP_AT, log, make_member, make_team
from tests.usecases.test_digests import KINDS, MONDAY, known_dataset

T = TypeVar("T")

#: Thursday 26 Nov 2026.
MOMENT = Moment(now=datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tz=LONDON, kinds=KindRegistry())
ZOFIA, MIA, STRANGER = 11, 15, 99


def _as(db: Database, user_id: int, fn: Callable[[Connection, Actor], T], name: str = "") -> T:
    with db.begin() as conn:
        actor = people.load_actor(
            conn, Identity(user_id, name or str(user_id)), admin_ids=frozenset()
        )
        return fn(conn, actor)


def _my_data(conn: Connection, actor: Actor) -> privacy.MyData | None:
    return privacy.my_data(conn, actor, admin_ids=(), moment=MOMENT)


def _forget(db: Database, *args: str) -> object:
    return _as(db, ZOFIA, lambda c, a: privacy.forget_me(c, a, list(args), moment=MOMENT))


@pytest.fixture
def zofia(db: Database) -> int:
    """Zofia (@zofia_k): organiser in North Ward since 2 Nov, in South Side from 1 Oct until
    she left on 20 Nov; two entries with notes and one without, an absence over today (Thu 26
    Nov), one to come and a cancelled one, a personal target, a role target she set, a nudge.
    Returns her person id."""
    with db.begin() as conn:
        north, south = make_team(conn, "North Ward"), make_team(conn, "South Side")
        mia = make_member(conn, north, MIA, "Mia", Role.MANAGER)
        zofia = make_member(
            conn,
            north,
            ZOFIA,
            "Zofia",
            Role.ORGANISER,
            username="zofia_k",
            joined_on=date(2026, 11, 2),
        )
        make_member(
            conn,
            south,
            ZOFIA,
            "Zofia",
            Role.ORGANISER,
            username="zofia_k",
            joined_on=date(2026, 10, 1),
            left_on=date(2026, 11, 20),
        )
        log(conn, zofia, north, "one_to_one", 2, date(2026, 11, 24), note="tenants assoc")
        log(conn, zofia, north, "one_to_one", 1, date(2026, 11, 25), note="Priya")
        log(conn, zofia, south, "resident_contact", 14, date(2026, 11, 10))
        target_store.add_absence(
            conn,
            person_id=zofia,
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 3),
            now=SETUP_AT,
        )
        target_store.add_absence(
            conn,
            person_id=zofia,
            starts_on=date(2026, 11, 25),
            ends_on=date(2026, 11, 27),
            now=SETUP_AT,
        )
        cancelled = target_store.add_absence(
            conn,
            person_id=zofia,
            starts_on=date(2026, 11, 2),
            ends_on=date(2026, 11, 2),
            now=SETUP_AT,
        )
        target_store.cancel_absence(conn, cancelled, now=SETUP_AT)
        target_store.set_target(
            conn,
            team_id=north,
            scope=person_scope(zofia),
            kind="one_to_one",
            weekly=5,
            by=mia,
            now=SETUP_AT,
        )
        target_store.set_target(
            conn,
            team_id=north,
            scope=role_scope(Role.COUNCILLOR),
            kind="casework",
            weekly=4,
            by=zofia,
            now=SETUP_AT,
        )
        ledger.claim_nudge(conn, person_id=zofia, iso_week="2026-W47", now=SETUP_AT)
        return zofia


def test_strangers_are_held_nothing_about_and_cannot_be_forgotten(db: Database) -> None:
    assert _as(db, STRANGER, _my_data) is None
    with pytest.raises(NothingHeld):
        _as(db, STRANGER, lambda c, a: privacy.forget_me(c, a, ["confirm"], moment=MOMENT))


def test_my_data_lists_everything_held_as_stored(db: Database, zofia: int) -> None:
    data = _as(db, ZOFIA, _my_data, name="Zofia")
    assert data is not None
    assert (data.telegram_user_id, data.display_name, data.username) == (ZOFIA, "Zofia", "zofia_k")
    assert data.created_at == SETUP_AT
    assert data.memberships == (
        HeldMembership("North Ward", Role.ORGANISER, date(2026, 11, 2), None, ()),
        HeldMembership("South Side", Role.ORGANISER, date(2026, 10, 1), date(2026, 11, 20), ()),
    )
    assert data.absences == (
        HeldAbsence(date(2026, 11, 2), date(2026, 11, 2), cancelled=True),
        HeldAbsence(date(2026, 11, 25), date(2026, 11, 27), cancelled=False),
        HeldAbsence(date(2026, 12, 1), date(2026, 12, 3), cancelled=False),
    )
    assert data.entries == (HeldKind("one_to_one", 2, 3), HeldKind("resident_contact", 1, 14))
    assert (data.withdrawn, data.notes) == (0, 2)
    # Days 10, 24 and 25 Nov; the weeks of 9 and 23 Nov.
    assert (data.day_totals, data.week_totals) == (3, 2)
    assert data.targets_for_them == (HeldTarget("North Ward", "one_to_one", 5),)
    assert (data.targets_set, data.invites_created, data.chats_bound) == (1, 0, ())
    assert data.nudges == ("2026-W47",)
    assert data.nudges_paused is False


def test_forget_me_asks_then_keeps_the_entries_and_leaves_every_team(
    db: Database, zofia: int
) -> None:
    assert _forget(db) == ForgetNeedsConfirm()
    assert _forget(db, "confirm", "now") == ForgetNeedsConfirm()
    assert _as(db, ZOFIA, _my_data) is not None  # asking changed nothing
    assert _forget(db, "Confirm") == Forgotten(entries=3)
    with db.begin() as conn:
        actor = people.load_actor(conn, Identity(ZOFIA, "Zofia"), admin_ids=frozenset())
        assert actor.person_id is None and not actor.teams
    assert _as(db, ZOFIA, _my_data, name="Zofia Nowak") is None
    with pytest.raises(NothingHeld):
        _forget(db, "confirm")


def test_the_forgotten_row_keeps_no_name_and_no_telegram_id(db: Database, zofia: int) -> None:
    _forget(db, "confirm")
    with db.begin() as conn:
        held = privacy_store.held(conn, zofia, tz=LONDON)
        rows = privacy_store.identifying_rows(conn, zofia, ZOFIA)
    assert held is not None
    assert (held.display_name, held.username) == (FORMER_MEMBER, None)
    # Telegram ids have at most 52 significant bits: this one is no one's.
    assert held.telegram_user_id == forgotten_user_id(zofia) < -(2**52)
    # What her teams' figures are made of stays, under the anonymous row: the North Ward
    # membership ends today, the absence over today ends today, and the rest are deleted.
    assert held.memberships == (
        HeldMembership("North Ward", Role.ORGANISER, date(2026, 11, 2), MOMENT.today, ()),
        HeldMembership("South Side", Role.ORGANISER, date(2026, 10, 1), date(2026, 11, 20), ()),
    )
    assert held.absences == (HeldAbsence(date(2026, 11, 25), MOMENT.today, cancelled=False),)
    assert held.entries == (HeldKind("one_to_one", 2, 3), HeldKind("resident_contact", 1, 14))
    assert (held.withdrawn, held.notes, held.day_totals, held.week_totals) == (0, 0, 3, 2)
    assert held.targets_for_them == (HeldTarget("North Ward", "one_to_one", 5),)
    assert held.nudges == ()
    assert (held.targets_set, held.default_team) == (0, None)
    assert {ref: n for ref, n in rows.items() if n} == {}


def test_absences_do_not_return_on_rejoining(db: Database, zofia: int) -> None:
    _forget(db, "confirm")
    with db.begin() as conn:
        north = people.find_team(conn, "north-ward")
        assert north is not None
        again = make_member(conn, north.id, ZOFIA, "Zofia", Role.ORGANISER)
        assert again != zofia
        assert target_store.absences(conn, start=date.min, end=date.max, person_ids=[again]) == []
        # The former member's span stays, counted in North Ward's past targets only.
        kept = target_store.absences(conn, start=date.min, end=date.max, person_ids=[zofia])
        assert [(a.starts_on, a.ends_on) for a in kept] == [(date(2026, 11, 25), MOMENT.today)]
    data = _as(db, ZOFIA, _my_data, name="Zofia")
    assert data is not None
    assert data.absences == data.entries == data.targets_for_them == ()
    assert data.memberships == (
        HeldMembership("North Ward", Role.ORGANISER, SETUP_AT.date(), None, ()),
    )
    assert _as(db, ZOFIA, lambda c, a: members.away(c, a, [], moment=MOMENT)) == members.Absences(
        ()
    )


def test_a_target_she_set_for_a_role_stays_and_hers_stays_anonymous(
    db: Database, zofia: int
) -> None:
    with db.begin() as conn:
        north = people.find_team(conn, "north-ward")
        assert north is not None
        assert TargetRow(north.id, person_scope(zofia), "one_to_one", 5) in target_store.overrides(
            conn
        )
    _forget(db, "confirm")
    with db.begin() as conn:
        after = target_store.overrides(conn)
    assert set(after) == {
        TargetRow(north.id, person_scope(zofia), "one_to_one", 5),
        TargetRow(north.id, role_scope(Role.COUNCILLOR), "casework", 4),
    }


def test_kept_replies_naming_her_are_blanked_and_others_kept(db: Database, zofia: int) -> None:
    replies = {
        "m:15:1": "✓ Zofia's one-to-one target in North Ward is now 5 a week.",
        "m:15:2": "✓ Zofiana's one-to-one target in North Ward is now 5 a week.",
        "m:15:3": "• Zofia @zofia_k — organiser",
        "cb:7": "Undone: one-to-one “tenants assoc”",
        "cb:8": "Undone: one-to-one “tenants association”",
    }
    with db.begin() as conn:
        for key, text in replies.items():
            processed.claim(conn, key, at=SETUP_AT)
            processed.add_reply(conn, key, text)
    _forget(db, "confirm")
    with db.begin() as conn:
        kept = {key: processed.replies(conn, key) for key in replies}
    assert kept == {
        "m:15:1": (),
        "m:15:2": (replies["m:15:2"],),
        "m:15:3": (),
        "cb:7": (),
        "cb:8": (replies["cb:8"],),
    }


def _keep(db: Database, replies: dict[str, str]) -> None:
    with db.begin() as conn:
        for key, text in replies.items():
            processed.claim(conn, key, at=SETUP_AT)
            processed.add_reply(conn, key, text)


def _kept(db: Database, keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
    with db.begin() as conn:
        return {key: processed.replies(conn, key) for key in keys}


def test_her_processed_keys_move_off_her_telegram_id(db: Database, zofia: int) -> None:
    replies = {
        f"m:{ZOFIA}:1": "✓ one-to-one “Priya”",
        f"e:{ZOFIA}:1:1764151200:0a1b2c3d4e5f": "✓ one-to-one ×2 “Priya”",
        f"m:{ZOFIA}5:1": "✓ a reply in chat 115",  # a chat id that starts with hers
        f"m:{MIA}:1": "✓ a reply to Mia",
    }
    _keep(db, replies)
    _forget(db, "confirm")
    moved = forgotten_user_id(zofia)
    with db.begin() as conn:
        keys = set(conn.execute(select(table_of(ProcessedUpdate).c.key)).scalars())
    assert keys == {
        f"m:{moved}:1",
        f"e:{moved}:1:1764151200:0a1b2c3d4e5f",
        f"m:{ZOFIA}5:1",
        f"m:{MIA}:1",
    }
    assert _kept(db, keys) == {
        f"m:{moved}:1": (),
        f"e:{moved}:1:1764151200:0a1b2c3d4e5f": (),
        f"m:{ZOFIA}5:1": (replies[f"m:{ZOFIA}5:1"],),
        f"m:{MIA}:1": (replies[f"m:{MIA}:1"],),
    }
    # A redelivery of her old message finds no key: it is someone new's, claimed afresh.
    assert db.call(processed.claim, f"m:{ZOFIA}:1", at=SETUP_AT)


def test_a_rename_blanks_kept_replies_naming_the_old_name_or_username(
    db: Database, zofia: int
) -> None:
    replies = {
        "m:15:1": "✓ Zofia's one-to-one target in North Ward is now 5 a week.",
        "m:15:2": "• @zofia_k — organiser",
        "m:15:3": "✓ Zofiana's one-to-one target in North Ward is now 5 a week.",
        "m:15:4": "• Zosia @zosia_n — organiser",
    }
    _keep(db, replies)
    renamed = Identity(ZOFIA, "Zosia", "zosia_n")
    for _ in range(2):  # the second load changes nothing, and blanks nothing more
        with db.begin() as conn:
            people.load_actor(conn, renamed, admin_ids=frozenset(), refresh=True)
        assert _kept(db, replies) == {
            "m:15:1": (),
            "m:15:2": (),
            "m:15:3": (replies["m:15:3"],),
            "m:15:4": (replies["m:15:4"],),
        }
    _forget(db, "confirm")
    assert _kept(db, replies)["m:15:4"] == ()


def test_a_username_taken_by_someone_else_is_blanked_from_kept_replies(
    db: Database, zofia: int
) -> None:
    """Mia takes @zofia_k in Telegram: Zofia's row loses it, and so do replies naming it."""
    replies = {"m:15:1": "• Zofia @zofia_k — organiser", "m:15:2": "• Zofia — organiser"}
    _keep(db, replies)
    with db.begin() as conn:
        people.load_actor(
            conn, Identity(MIA, "Mia", "zofia_k"), admin_ids=frozenset(), refresh=True
        )
    assert _kept(db, replies) == {"m:15:1": (), "m:15:2": (replies["m:15:2"],)}


# Figures for the weeks before /forgetme, computed before and after it, from the digest tests'
# known dataset: North Ward's Alex (one-to-ones in W45 and W47) and Jo (away Mon-Wed of W47)
# forget themselves on Thu 26 Nov.
ALEX, SAM, JO = 11, 12, 14
#: W45 to W47: Mon 2 Nov to Sun 22 Nov.
PAST = Period(date(2026, 11, 2), date(2026, 11, 23), "three weeks")


def _figures(
    conn: Connection, north: int
) -> tuple[list[reports.MemberTotals], list[TeamDigest], list[reports.MemberTotals]]:
    """North Ward's /totals over :data:`PAST`, every team's W47 digest, and /totals this week."""
    this_week = Period(MOMENT.this_monday, MOMENT.this_monday + (PAST.end - PAST.start) / 3, "")
    return (
        reports.team_totals(conn, north, PAST),
        build_week(conn, monday=MONDAY, kinds=KINDS),
        reports.team_totals(conn, north, this_week),
    )


def _renamed(rows: list[reports.MemberTotals], names: dict[int, str]) -> list[object]:
    return sorted(
        (replace(r, name=names.get(r.person_id, r.name)) for r in rows), key=lambda r: r.person_id
    )


def _lines(digest: TeamDigest, names: dict[str, str]) -> list[str]:
    text = render_digest_text(digest, KINDS)
    for old, new in names.items():
        text = text.replace(old, new)
    return sorted(text.splitlines())


def test_forget_me_leaves_past_totals_digests_and_the_median_as_they_were(db: Database) -> None:
    ids = db.call(known_dataset)
    with db.begin() as conn:
        totals, digests, this_week = _figures(conn, ids.north)
        alex = people.load_actor(conn, Identity(ALEX, "Alex"), admin_ids=frozenset()).person_id
        jo = people.load_actor(conn, Identity(JO, "Jo"), admin_ids=frozenset()).person_id
    assert alex is not None and jo is not None
    assert totals[0].totals and digests[0].cross_team_median is not None  # figures to compare
    for user_id in (ALEX, JO):
        done = _as(db, user_id, lambda c, a: privacy.forget_me(c, a, ["confirm"], moment=MOMENT))
        assert isinstance(done, Forgotten) and done.entries > 0
    labels = distinct_names([(alex, FORMER_MEMBER, None), (jo, FORMER_MEMBER, None)])
    assert sorted(labels.values()) == [f"{FORMER_MEMBER} (1)", f"{FORMER_MEMBER} (2)"]
    with db.begin() as conn:
        totals_after, digests_after, this_week_after = _figures(conn, ids.north)
        assert [
            ref
            for p in (alex, jo)
            for ref, n in privacy_store.identifying_rows(conn, p, ALEX if p == alex else JO).items()
            if n
        ] == []

    # /totals over the past weeks: the same numbers, the two lines with no name.
    assert _renamed(totals_after, {}) == _renamed(totals, labels)
    before = reports.TeamTotals("North Ward", PAST, tuple(totals))
    after = reports.TeamTotals("North Ward", PAST, tuple(totals_after))
    # The same sums; kinds are listed in the order members are, and members by name.
    assert sorted(after.summary()) == sorted(before.summary())
    assert {r.name for r in totals_after if r.person_id in (alex, jo)} == set(labels.values())
    # The W47 digests of every team: text, team line, trend and cross-team median.
    by_name = {"Alex Jones": labels[alex], "Jo Brown": labels[jo]}
    assert [d.team_name for d in digests_after] == [d.team_name for d in digests]
    for was, now in zip(digests, digests_after, strict=True):
        assert (now.attainment, now.cross_team_median, now.teams_compared, now.trend) == (
            was.attainment,
            was.cross_team_median,
            was.teams_compared,
            was.trend,
        )
        assert _lines(now, {}) == _lines(was, by_name)
        assert "Alex" not in render_digest_text(now, KINDS)
    # This week: every count stays; they are members until today, and measured until then.
    assert {r.person_id: r.totals for r in this_week_after} == {
        r.person_id: r.totals for r in this_week
    }
    assert {r.left_on for r in this_week_after if r.person_id in (alex, jo)} == {MOMENT.today}


def test_a_personal_target_stays_on_the_anonymous_row(db: Database) -> None:
    ids = db.call(known_dataset)
    with db.begin() as conn:
        totals, digests, _ = _figures(conn, ids.north)
        sam = people.load_actor(conn, Identity(SAM, "Sam"), admin_ids=frozenset()).person_id
    _as(db, SAM, lambda c, a: privacy.forget_me(c, a, ["confirm"], moment=MOMENT))
    with db.begin() as conn:
        totals_after, digests_after, _ = _figures(conn, ids.north)
    # Sam's own 12 a week still measures the weeks he counted in, under no name.
    [was] = [r for r in totals if r.person_id == sam]
    [now] = [r for r in totals_after if r.person_id == sam]
    assert (now.name, now.totals) == (FORMER_MEMBER, was.totals)
    assert (was.targets["one_to_one"], now.targets["one_to_one"]) == (3 * 12, 3 * 12)
    north = next(d for d in digests_after if d.team_name == "North Ward")
    [former] = [m for m in north.members if m.name == FORMER_MEMBER]
    assert former.targets["one_to_one"] == 12
    assert (
        north.trend[-1].totals
        == next(d for d in digests if d.team_name == "North Ward").trend[-1].totals
    )
