"""What the bot says about a person's own data: ``/mydata`` and ``/forgetme``."""

from __future__ import annotations

from datetime import date

from handlers.texts import refusal_text
from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.usecases.privacy import (
    FORGET_CONFIRM,
    ForgetNeedsConfirm,
    Forgotten,
    HeldCheckin,
    Looker,
    MyData,
    NothingHeld,
)

NOTHING_HELD = (
    "The bot holds nothing about you. Like everyone's, the messages you send are kept until "
    "they are carried out, and their ids for a week, so that none is lost or carried out twice."
)


def _date(day: date) -> str:
    """``12 Nov 2026``."""
    return f"{day.day} {day:%b %Y}"


def _span(first: date, last: date | None) -> str:
    if last is None:
        return f"since {_date(first)}"
    return _date(first) if first == last else f"{_date(first)} – {_date(last)}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _you(data: MyData) -> list[str]:
    username = f"@{data.username}" if data.username else "no @username stored"
    return [
        "You",
        f"Name: {data.display_name} · {username}",
        f"Telegram user id: {data.telegram_user_id}",
        f"First stored: {_date(data.created_at.date())}",
        f"Logs to: {data.default_team or 'your first team'}",
        f"Nudges: {'paused' if data.nudges_paused else 'on'}",
    ]


def _teams(data: MyData) -> list[str]:
    lines = []
    for m in data.memberships:
        line = f"• {m.team_name} — {m.role.value}, {_span(m.joined_on, m.left_on)}"
        if m.gaps:
            gaps = ", ".join(_span(first, last) for first, last in m.gaps)
            line += f" (not a member {gaps})"
        lines.append(line)
    return ["Teams", *lines] if lines else []


def _absences(data: MyData) -> list[str]:
    lines = [
        f"• {_span(a.starts_on, a.ends_on)}{' (cancelled)' if a.cancelled else ''}"
        for a in data.absences
    ]
    return ["Absences", *lines] if lines else []


def _entries(data: MyData, kinds: KindRegistry) -> list[str]:
    lines = [
        f"• {kinds.get(k.kind).label}: {_plural(k.entries, 'entry', 'entries')}, {k.total} in all"
        for k in data.entries
    ]
    if data.withdrawn:
        lines.append(f"Withdrawn entries kept: {data.withdrawn}")
    if data.notes:
        lines.append(f"With notes: {data.notes}")
    if data.day_totals or data.week_totals:
        days, weeks = _plural(data.day_totals, "day"), _plural(data.week_totals, "week")
        lines.append(f"Running totals from them: {days}, {weeks}")
    return ["Entries", *lines] if lines else []


def _targets(data: MyData, kinds: KindRegistry) -> list[str]:
    lines = [
        f"• {kinds.get(t.kind).label} in {t.team_name or 'every team'}: {t.weekly} a week"
        for t in data.targets_for_them
    ]
    return ["Targets set for you", *lines] if lines else []


LOOKED_HEADING = "Who looked at your figures"
NO_LOOKS = "No manager or admin has looked at your figures."
LOOKS_NOTE = (
    "Counted: each /totals, /export and /measures of a team on a day you were in it, and each "
    "/totals or /diary asked about you. Only you see this list; /scrutiny shows everyone each "
    "team's count."
)


def _looker(looker: Looker) -> str:
    if looker.admin:
        now = "admin"
    elif looker.roles:
        now = "; ".join(f"{role.value}, {team}" for team, role in looker.roles)
    else:
        now = "no role now"
    commands = ", ".join(f"{what} {n}" for what, n in looker.looks)
    return f"• {looker.name} ({now}): {commands} — last {_date(looker.last_on)}"


def _looked_at(data: MyData) -> list[str]:
    if not data.looked_at_you:
        return [LOOKED_HEADING, NO_LOOKS]
    return [LOOKED_HEADING, *(_looker(k) for k in data.looked_at_you), LOOKS_NOTE]


def _checkin(c: HeldCheckin) -> str:
    month = f"{c.month:%b %Y}"
    if c.active is None:
        return f"• {month}: asked, not answered" if c.asked else f"• {month}: not answered"
    state = "active" if c.active else "not active"
    return f"• {month}: {state}{' (marked, not your own answer)' if c.marked else ''}"


def _checkins(data: MyData) -> list[str]:
    return ["Monthly check-ins", *(_checkin(c) for c in data.checkins)] if data.checkins else []


def _records(data: MyData) -> list[str]:
    done = []
    if data.targets_set:
        done.append(f"targets set: {data.targets_set}")
    if data.invites_created:
        done.append(f"invites created: {data.invites_created}")
    if data.chats_bound:
        done.append(f"group chat bound for {', '.join(data.chats_bound)}")
    if data.residents_set:
        done.append(f"residents figures recorded: {data.residents_set}")
    if data.marked_active:
        done.append(f"months you marked someone active: {data.marked_active}")
    if data.looks_taken:
        done.append(f"looks you took at figures (counted in /scrutiny): {data.looks_taken}")
    lines = []
    if done:
        joined = " · ".join(done)
        lines.append(joined[0].upper() + joined[1:])  # str.capitalize would lower team names
    if data.audit_by or data.audit_about:
        lines.append(f"Audit trail: {data.audit_by} changes by you, {data.audit_about} about you")
    if data.nudges:
        lines.append(f"Nudges sent: {', '.join(data.nudges)}")
    if data.replies_kept or data.updates_kept:
        lines.append(
            f"Kept to carry updates out once: {_plural(data.replies_kept, 'reply', 'replies')} "
            f"(7 days), {_plural(data.updates_kept, 'message')} as sent (until carried out)"
        )
    return ["Other records", *lines] if lines else []


def my_data(data: MyData | None, kinds: KindRegistry) -> str:
    """The reply to ``/mydata``: a section per kind of data held, empty sections left out."""
    if data is None:
        return NOTHING_HELD
    sections = [
        _you(data),
        _teams(data),
        _absences(data),
        _entries(data, kinds),
        _targets(data, kinds),
        _checkins(data),
        _looked_at(data),
        _records(data),
        [
            "/diary shows your entries and notes; /forgetme erases your name and notes and "
            "leaves the rest with no name."
        ],
    ]
    return "\n\n".join("\n".join(s) for s in sections if s)


def forget(outcome: ForgetNeedsConfirm | Forgotten) -> str:
    """The reply to ``/forgetme``: what it would do, or what it did."""
    if isinstance(outcome, Forgotten):
        n = outcome.entries
        if n:
            stay = "stays" if n == 1 else "stay"
            kept = (
                f"Your {_plural(n, 'entry', 'entries')} {stay} in your teams' totals as a "
                "former member's, with no name."
            )
        else:
            kept = "You had no entries in any total."
        return (
            "Done: your name, username and notes are erased, and you've left every team. "
            f"{kept} Any targets set for you alone stay on the former member's line, for the weeks "
            "you were in; your nudges are deleted, and your Telegram id is gone from everything: "
            "/mydata shows nothing held."
        )
    return (
        "This erases your name, username and notes, and takes you out of every team today. "
        "Your entries, the days you were away and the targets set for you alone stay in your "
        "teams' totals as a former member's, with no name, so the teams' counts don't change; "
        "your nudges are deleted. If you join again, you start as someone new. It can't be "
        f"undone. To go ahead: /forgetme {FORGET_CONFIRM}"
    )


@refusal_text.register
def _(refusal: NothingHeld) -> str:
    return NOTHING_HELD
