"""``/export``: the entries of a manager's teams as a CSV document that is safe to open.

The document is UTF-8 with a byte-order mark (so Excel reads it as UTF-8), with the columns of
:data:`CSV_COLUMNS` and CRLF line ends. Text cells that a spreadsheet would run as a formula are
neutralised (:func:`neutralise`); numbers are written as numbers. Rows are streamed from the
database into a temporary file, so memory stays flat however long the period is
(``bench/bench_export.py`` measures it).
"""

from __future__ import annotations

import codecs
import csv
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from organiser_bot.domain.access import Actor
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.moment import Moment
from organiser_bot.domain.names import distinct_names
from organiser_bot.domain.periods import Period, PeriodError, as_utc, parse_period
from organiser_bot.domain.refusals import Action
from organiser_bot.usecases.actors import read_only
from organiser_bot.usecases.guards import permitted_teams, require_manager
from organiser_bot.usecases.reports import BadPeriod
from organiser_bot.usecases.scrutiny import Look, record_looks
from storage import activities, audit, people
from storage.activities import ExportedEntry

#: The CSV columns of ``/export``, in order.
#:
#: * ``date``: the local day the entry counts for (``YYYY-MM-DD``).
#: * ``time``: the local time of day (``HH:MM``) when the person gave one, else blank.
#: * ``team``, ``team_name``: the team's short name and its name.
#: * ``person``, ``role``: the person's name and their role in that team (blank if none is held);
#:   people of one team who share a name are told apart as ``/team`` tells them apart
#:   (``Sam Murphy (@sam_m)``, ``Sam Murphy (2)``:
#:   :func:`~organiser_bot.domain.names.distinct_names`).
#: * ``kind``, ``count``, ``note``: what was logged; ``count`` is a number.
#: * ``occurred_at``: when it happened, UTC, ISO 8601 with ``Z`` (``2026-11-26T14:00:00Z``),
#:   only when a time was given, else blank.
#: * ``recorded_at``: when the bot recorded it, UTC, ISO 8601 with ``Z``.
#: * ``recorded_at_local``: the same instant in the configured zone, ISO 8601 with its offset
#:   (``2026-06-01T15:00:00+01:00``).
CSV_COLUMNS = (
    "date",
    "time",
    "team",
    "team_name",
    "person",
    "role",
    "kind",
    "count",
    "note",
    "occurred_at",
    "recorded_at",
    "recorded_at_local",
)

#: First characters that make a spreadsheet read a cell as a formula: the OWASP list (``=``,
#: ``+``, ``-``, ``@``, tab, carriage return) and their full-width forms (``＝＋－＠``), which
#: East Asian input methods type and some spreadsheets take as the ASCII ones.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")

#: The export is kept in memory up to this many bytes, then in a temporary file on disk.
SPOOL_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class CsvExport:
    """A CSV document of ``rows`` entries over ``period``, notes included.

    Attributes:
        file: The document (UTF-8 with a byte-order mark), positioned at its start; the caller
            sends it and closes it (a temporary file, gone once closed).
    """

    period: Period
    rows: int
    file: IO[bytes]


def neutralise(cell: str) -> str:
    """``cell`` made safe to open in a spreadsheet: prefixed with a single quote when it would
    start a formula.

    The rule is OWASP's (https://owasp.org/www-community/attacks/CSV_Injection): a cell that
    begins with ``=``, ``+``, ``-``, ``@``, tab (0x09) or carriage return (0x0D) gets a leading
    ``'``, which spreadsheets show as text and do not run. Two cases are added: the full-width
    forms ``＝＋－＠``, and any of these after leading whitespace (`` =1+1``), since spreadsheets
    may trim spaces on import. Everything else is returned unchanged, so removing the one added
    quote gives back the original text.
    """
    if cell[:1] in FORMULA_STARTS or cell.lstrip()[:1] in FORMULA_STARTS:
        return "'" + cell
    return cell


def _utc(at: datetime) -> str:
    """``at`` (aware UTC) as ISO 8601 to the second with ``Z``: ``2026-11-26T14:00:00Z``."""
    return at.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


#: Person labels by (team id, person id).
Labels = Mapping[tuple[int, int], str]


def person_labels(conn: Connection, team_ids: Iterable[int]) -> dict[tuple[int, int], str]:
    """Each team's people as ``/team`` names them: everyone who has been a member of the team,
    those who share a name told apart (:func:`~organiser_bot.domain.names.distinct_names`).
    One small query per team, before the entries stream.

    Returns:
        (team id, person id) -> label.
    """
    labels: dict[tuple[int, int], str] = {}
    for team_id in team_ids:
        members = people.team_members(conn, team_id)
        names = distinct_names([(m.person_id, m.display_name, m.username) for m in members])
        labels.update(((team_id, person_id), name) for person_id, name in names.items())
    return labels


def _row(
    entry: ExportedEntry, tz: ZoneInfo, kinds: KindRegistry, labels: Labels
) -> list[str | int]:
    occurred = as_utc(entry.occurred_at)
    recorded = as_utc(entry.recorded_at)
    timed = entry.time_given
    return [
        entry.occurred_on.isoformat(),
        f"{occurred.astimezone(tz):%H:%M}" if timed else "",
        neutralise(entry.team_slug),
        neutralise(entry.team_name),
        neutralise(labels.get((entry.team_id, entry.person_id), entry.person_name)),
        entry.role.value if entry.role is not None else "",
        neutralise(kinds.get(entry.kind).label),
        entry.count,
        neutralise(entry.note or ""),
        _utc(occurred) if timed else "",
        _utc(recorded),
        recorded.astimezone(tz).isoformat(timespec="seconds"),
    ]


class _Utf8:
    """A text sink for :func:`csv.writer` that writes UTF-8 bytes to a binary file."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def write(self, text: str) -> int:
        return self._file.write(text.encode("utf-8"))


def write_csv(
    file: IO[bytes],
    entries: Iterable[ExportedEntry],
    *,
    tz: ZoneInfo,
    kinds: KindRegistry,
    labels: Labels | None = None,
) -> int:
    """Write the byte-order mark, the header and one row per entry to ``file``.

    Args:
        labels: The ``person`` cell by (team id, person id) (:func:`person_labels`); a person
            not in it is written by their display name.

    Returns:
        How many entry rows were written (the header not counted).
    """
    file.write(codecs.BOM_UTF8)
    sink = _Utf8(file)
    csv.writer(sink).writerow(CSV_COLUMNS)  # plain names, nothing to quote
    # Every text cell of a row is quoted, so a spreadsheet whose list separator is ";" (much
    # of Europe) cannot split a cell such as "Jo;=HYPERLINK(…)" into one that starts a formula
    # (OWASP CSV injection: field separators).
    writer = csv.writer(sink, quoting=csv.QUOTE_NONNUMERIC)
    rows = 0
    for entry in entries:
        writer.writerow(_row(entry, tz, kinds, labels or {}))
        rows += 1
    return rows


@read_only
def export_csv(conn: Connection, actor: Actor, args: list[str], *, moment: Moment) -> CsvExport:
    """``/export [period]``: entries of the teams the caller manages, notes included (only
    managers of the team and admins ever receive notes). Audited (``export``, with the count);
    each team exported is a look in the scrutiny ledger, recorded in this transaction
    (:func:`~organiser_bot.usecases.scrutiny.record_looks`).

    Returns:
        The CSV (see :data:`CSV_COLUMNS`): one row per live entry, oldest first, kinds by label.

    Raises:
        NotPermitted: the person is neither a manager nor an admin.
        BadPeriod: the period could not be read.
    """
    require_manager(actor, Action.EXPORT)
    try:
        period = parse_period(" ".join(args) or None, today=moment.today)
    except PeriodError as exc:
        raise BadPeriod(exc) from None
    team_ids = [t.id for t in permitted_teams(actor, Action.EXPORT, people.list_teams(conn))]
    labels = person_labels(conn, team_ids)  # before the entries stream: one cursor at a time
    # Handed to the caller open (it sends the document, then closes it): no ``with`` here.
    file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115
    try:
        rows = write_csv(
            file,
            activities.export_rows(conn, team_ids=team_ids, start=period.start, end=period.end),
            tz=moment.tz,
            kinds=moment.kinds,
            labels=labels,
        )
        audit.record(
            conn,
            at=moment.now,
            actor=actor.person_id,
            action="export",
            entity="activity",
            entity_id=None,
            rows=rows,
            period=period.label,
        )
        record_looks(conn, actor, Look.EXPORT, team_ids, moment=moment)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return CsvExport(period, rows, file)
