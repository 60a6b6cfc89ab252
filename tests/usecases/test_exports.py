"""``/export``: a UTF-8 CSV with a byte-order mark, every column filled, formula-starting cells
neutralised, times only when given, streamed from the database; on SQLite and PostgreSQL."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, event, select

from organiser_bot.domain.access import Actor, Identity
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.periods import to_utc
from organiser_bot.domain.refusals import NotPermitted
from organiser_bot.domain.roles import Role
from organiser_bot.usecases import exports, logbook
from organiser_bot.usecases.exports import CSV_COLUMNS, FORMULA_STARTS, neutralise, write_csv
from organiser_bot.usecases.reports import BadPeriod
from storage import people
from storage.activities import ExportedEntry
from storage.engine import Database
from storage.models import AuditEntry
from storage.query import table_of
from tests.digest_factories import LONDON, log, make_member, make_team

T = TypeVar("T")

#: Thursday 26 Nov 2026 16:00 UTC (GMT, so local time is the same): after 2pm.
NOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
THURSDAY = date(2026, 11, 26)
KINDS = KindRegistry()
ADMIN, MANAGER, SAM, CLEO = 1, 15, 11, 12
CHAT = 8000

#: Names and notes in several scripts, as members write them.
WORLD = {
    "Arabic": ("عائشة", "زيارة منزلية"),
    "Bengali": ("রহিম", "বাড়ির দরজা"),
    "Polish": ("Zoë Łukasz", "żółć gęślą jaźń"),
    "Chinese": ("李明", "租户协会"),
    "emoji": ("Ali 🌟", "great chat 👍🏽 family 👨‍👩‍👧"),
}


def _moment(now: datetime = NOW) -> Moment:
    return Moment(now=now, tz=LONDON, kinds=KINDS)


def _as(db: Database, user_id: int, fn: Callable[[Connection, Actor], T]) -> T:
    with db.begin() as conn:
        actor = people.load_actor(
            conn, Identity(user_id, f"user {user_id}"), admin_ids=frozenset({ADMIN})
        )
        return fn(conn, actor)


def _export(db: Database, user_id: int = MANAGER, *args: str) -> exports.CsvExport:
    return _as(db, user_id, lambda c, a: exports.export_csv(c, a, list(args), moment=_moment()))


def _content(export: exports.CsvExport) -> bytes:
    with export.file as file:
        return file.read()


def _rows(content: bytes) -> list[dict[str, str]]:
    # utf-8-sig drops the byte-order mark, as a spreadsheet does.
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _log(db: Database, user_id: int, text: str, message_id: int, sent_at: datetime = NOW) -> None:
    outcome = _as(
        db,
        user_id,
        lambda c, a: logbook.log_text(
            c,
            a,
            text,
            chat_id=CHAT + user_id,
            message_id=message_id,
            sent_at=sent_at,
            moment=_moment(),
        ),
    )
    assert isinstance(outcome, logbook.Logged), outcome


@pytest.fixture
def north(db: Database) -> int:
    """North Ward: manager Mia, organiser Sam, councillor Cleo."""
    with db.begin() as conn:
        team = make_team(conn, "North Ward")
        make_member(conn, team, MANAGER, "Mia", Role.MANAGER)
        make_member(conn, team, SAM, "Sam", Role.ORGANISER)
        make_member(conn, team, CLEO, "Cleo", Role.COUNCILLOR)
    return team


# --- the document --------------------------------------------------------------------------------


def test_the_document_starts_with_the_utf8_byte_order_mark_then_the_header(
    db: Database, north: int
) -> None:
    content = _content(_export(db))
    header = ",".join(CSV_COLUMNS).encode("ascii") + b"\r\n"
    assert content[:3] == b"\xef\xbb\xbf" == codecs.BOM_UTF8
    assert content == b"\xef\xbb\xbf" + header  # no entries yet: the header alone


def test_every_column_is_filled_for_an_entry_with_a_time(db: Database, north: int) -> None:
    # Logged at 16:00 UTC on 26 Nov, for 14:00 that day (GMT: local is UTC).
    _log(db, SAM, "121 Jo tenants assoc 2pm", 1)
    export = _export(db)
    [row] = _rows(_content(export))
    assert export.rows == 1 and export.period.label == "week 2026-W48"
    assert row == {
        "date": "2026-11-26",
        "time": "14:00",
        "team": "north-ward",
        "team_name": "North Ward",
        "person": "Sam",
        "role": "organiser",
        "kind": "one-to-one",
        "count": "1",
        "note": "Jo tenants assoc",
        "occurred_at": "2026-11-26T14:00:00Z",
        "recorded_at": "2026-11-26T16:00:00Z",
        "recorded_at_local": "2026-11-26T16:00:00+00:00",
    }


def test_doors_yesterday_has_no_time_and_2pm_has_14_00(db: Database, north: int) -> None:
    """The issue's rows: ``doors 3 yesterday`` was exported at 12:00, a time nobody gave."""
    _log(db, CLEO, "doors 3 yesterday", 1)
    _log(db, SAM, "121 Jo 2pm", 2)
    _log(db, SAM, "121 Ann", 3)  # no time given: the message's time is not a time of day given
    rows = {(r["person"], r["date"], r["note"]): r for r in _rows(_content(_export(db)))}
    doors = rows[("Cleo", "2026-11-25", "")]
    assert (doors["time"], doors["occurred_at"], doors["count"]) == ("", "", "3")
    assert doors["recorded_at"] == "2026-11-26T16:00:00Z"  # recorded today, dated yesterday
    jo = rows[("Sam", "2026-11-26", "Jo")]
    assert (jo["time"], jo["occurred_at"]) == ("14:00", "2026-11-26T14:00:00Z")
    ann = rows[("Sam", "2026-11-26", "Ann")]
    assert (ann["time"], ann["occurred_at"]) == ("", "")


def test_local_columns_follow_summer_time(db: Database, north: int) -> None:
    """In June London is UTC+1: local time and UTC differ by an hour in every timestamp."""
    june = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    with db.begin() as conn:
        sam = people.load_actor(conn, Identity(SAM, "Sam"), admin_ids=frozenset()).person_id
        assert sam is not None
        log(conn, sam, north, "one_to_one", 2, date(2026, 6, 10), at=time(15, 30), note="x")
    export = _as(
        db, MANAGER, lambda c, a: exports.export_csv(c, a, ["month"], moment=_moment(june))
    )
    [row] = _rows(_content(export))
    assert (row["date"], row["time"], row["occurred_at"]) == (
        "2026-06-10",
        "15:30",
        "2026-06-10T14:30:00Z",
    )
    assert row["recorded_at"] == "2026-06-10T14:30:00Z"
    assert row["recorded_at_local"] == "2026-06-10T15:30:00+01:00"


def test_an_edit_that_adds_or_drops_a_time_changes_the_time_column(
    db: Database, north: int
) -> None:
    # Sent at 14:00: "121 Jo" happened at the message's time, but no time was given.
    sent = to_utc(THURSDAY, time(14, 0), LONDON)
    for text, expected in (("121 Jo", ""), ("121 Jo 2pm", "14:00"), ("121 Jo", "")):
        outcome = _as(
            db,
            SAM,
            lambda c, a, text=text: logbook.edit_text(
                c, a, text, chat_id=CHAT, message_id=7, sent_at=sent, moment=_moment(sent)
            ),
        )
        assert isinstance(outcome, logbook.Logged)
        export = _as(db, MANAGER, lambda c, a: exports.export_csv(c, a, [], moment=_moment(sent)))
        [row] = _rows(_content(export))
        assert row["time"] == expected, text


@pytest.mark.parametrize("script", sorted(WORLD))
def test_names_and_notes_in_every_script_survive(db: Database, script: str) -> None:
    name, note = WORLD[script]
    with db.begin() as conn:
        team = make_team(conn, f"Ward {script}")
        make_member(conn, team, MANAGER, "Mia", Role.MANAGER)
        person = make_member(conn, team, SAM, name, Role.ORGANISER)
        log(conn, person, team, "one_to_one", 1, THURSDAY, note=note)
    content = _content(_export(db))
    [row] = _rows(content)
    assert (row["person"], row["note"]) == (name, note)
    assert name.encode("utf-8") in content and note.encode("utf-8") in content


def test_formula_starting_names_notes_and_team_names_are_neutralised(db: Database) -> None:
    with db.begin() as conn:
        team = make_team(conn, "@Ward")
        make_member(conn, team, MANAGER, "Mia", Role.MANAGER)
        person = make_member(conn, team, SAM, '=HYPERLINK("http://x")', Role.ORGANISER)
        log(conn, person, team, "one_to_one", 1, THURSDAY, note="+44 7700 900123")
        log(conn, person, team, "one_to_one", 1, THURSDAY, note="-2 since last week")
    rows = _rows(_content(_export(db)))
    assert {r["person"] for r in rows} == {'\'=HYPERLINK("http://x")'}
    assert {r["team"] for r in rows} == {"'@ward"}
    assert {r["team_name"] for r in rows} == {"'@Ward"}
    assert sorted(r["note"] for r in rows) == ["'+44 7700 900123", "'-2 since last week"]
    assert {r["count"] for r in rows} == {"1"}  # numbers stay numbers


def test_only_managers_and_admins_export_and_a_bad_period_is_refused(
    db: Database, north: int
) -> None:
    with pytest.raises(NotPermitted):
        _export(db, SAM)
    with pytest.raises(BadPeriod):
        _export(db, MANAGER, "soon")


def test_an_export_is_audited_with_its_row_count(db: Database, north: int) -> None:
    _log(db, SAM, "121 Jo\n121 Ann", 1)
    assert _export(db).rows == 2
    audit = table_of(AuditEntry)
    with db.begin() as conn:
        [detail] = conn.execute(select(audit.c.detail).where(audit.c.action == "export")).scalars()
    assert json.loads(detail) == {"period": "week 2026-W48", "rows": 2}


def test_the_rows_are_read_with_yield_per(db: Database, north: int) -> None:
    """Streamed, not fetched at once: the export's SELECT runs with ``yield_per`` (on
    PostgreSQL a server-side cursor)."""
    _log(db, SAM, "121 Jo", 1)
    seen: list[Any] = []

    def before(_conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        context = args[-2]
        if statement.lstrip().upper().startswith("SELECT") and "activity.time_given" in statement:
            seen.append((context, cursor))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        _content(_export(db))
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    [(context, cursor)] = seen
    assert context.execution_options.get("yield_per") == 1000
    if db.engine.dialect.name == "postgresql":
        assert isinstance(cursor, psycopg.ServerCursor)


# --- the neutralising rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\t=1",
        "\tplain",
        "\r=1",
        "\rplain",
        "＝1+1",
        "＋1",
        "－1",
        "＠SUM(A1)",
        " =1+1",
        "\u3000＝1",
        "\n@x",
        "\u00a0-x",
    ],
)
def test_a_cell_that_would_start_a_formula_gets_a_leading_quote(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "plain", "Zoë", "'=already quoted", "a=b", "1-2", "李明"])
def test_other_cells_are_left_as_they_are(cell: str) -> None:
    assert neutralise(cell) == cell


def _entry(name: str, note: str, kind: str = "one_to_one") -> ExportedEntry:
    at = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    return ExportedEntry(at, THURSDAY, True, kind, 3, note, at, name, "t", "T", Role.ORGANISER)


def _dangerous(cell: str) -> bool:
    return cell[:1] in FORMULA_STARTS or cell.lstrip()[:1] in FORMULA_STARTS


@given(name=st.text(), note=st.text())
def test_any_text_round_trips_and_no_written_cell_starts_a_formula(name: str, note: str) -> None:
    file = io.BytesIO()
    assert write_csv(file, [_entry(name, note)], tz=LONDON, kinds=KINDS) == 1
    [row] = _rows(file.getvalue())
    for original, written in ((name, row["person"]), (note, row["note"])):
        assert not _dangerous(written)
        assert written == original or (_dangerous(original) and written == "'" + original)
        restored = written[1:] if written != original else written
        assert restored == original
    assert row["count"] == "3"
