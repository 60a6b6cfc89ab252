"""Test helper: render a parsed entry back to a quick-log line, the inverse of ``parse_line``.

Only the round-trip property tests use it, so it lives with them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from organiser_bot.domain.kinds import Kind, KindRegistry
from organiser_bot.domain.periods import as_utc, local_date
from organiser_bot.domain.quicklog import ParsedEntry, parse_line

_NOON = time(12, 0)
_ONE_DAY = timedelta(days=1)


def render_entry(entry: ParsedEntry, *, now: datetime, tz: ZoneInfo, kinds: KindRegistry) -> str:
    """Render an entry as a canonical quick-log line.

    Parsing the result with the same ``now`` gives back the same kind, count, local day (and
    local minute when the entry has a time), note and team. The note is put in quotes when it
    would otherwise read differently. Shape: ``KIND [COUNT] [NOTE] [DAY] [at HH:MM] [#team]``.
    """
    note_tokens = entry.note.split()
    note = " ".join(note_tokens)
    show_count = entry.count != 1 or bool(note_tokens and note_tokens[0].isdigit())

    when: list[str] = []
    local = as_utc(entry.occurred_at).astimezone(tz)
    day = local.date()
    today = local_date(now, tz)
    if entry.dated or day != today:
        if day == today:
            when.append(f"at {local:%H:%M}")
        else:
            when.append("yesterday" if day == today - _ONE_DAY else day.isoformat())
            if local.time() != _NOON:
                when.append(f"at {local:%H:%M}")
    tail = [*when, f"#{entry.team}"] if entry.team else when

    def line(note_text: str) -> str:
        words = note_text.split()
        next_token = str(entry.count) if show_count else (words[0] if words else None)
        parts = [_render_kind_word(kinds.get(entry.kind), next_token, kinds)]
        if show_count:
            parts.append(str(entry.count))
        if note_text:
            parts.append(note_text)
        return " ".join([*parts, *tail])

    plain = line(note)
    if not note or _reads_back(plain, entry, now, tz, kinds):
        return plain
    return line(f'"{note}"')


def _reads_back(
    text: str, entry: ParsedEntry, now: datetime, tz: ZoneInfo, kinds: KindRegistry
) -> bool:
    again = parse_line(text, now=now, tz=tz, kinds=kinds)
    return isinstance(again, ParsedEntry) and (
        again.kind,
        again.count,
        again.note,
        again.team,
        local_date(again.occurred_at, tz),
    ) == (entry.kind, entry.count, entry.note, entry.team, local_date(entry.occurred_at, tz))


def _render_kind_word(kind: Kind, next_token: str | None, kinds: KindRegistry) -> str:
    """The first of label, key, aliases that the registry resolves back to ``kind``."""
    for name in dict.fromkeys((kind.label, kind.key, *kind.aliases)):
        words = name.split()
        if not 1 <= len(words) <= 2 or name[0] in "+#":
            continue
        if kinds.lookup(name) != kind:
            continue
        if len(words) == 1 and next_token is not None:
            clash = kinds.lookup(f"{name} {next_token}")
            if clash is not None and clash != kind:
                continue
        return " ".join(words)
    return kind.key
