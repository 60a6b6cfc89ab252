"""The ``keep-measures`` job: scheduled with the bot's other jobs every minute, it reads
and keeps every live team's ``/measures all`` figures for the day's windows where they are not
kept, so a look reads them kept; the figures are those a fresh read gives, and no look is
recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, func, select

from handlers import jobs
from organiser_bot.domain.measures import windows
from organiser_bot.domain.periods import local_date, parse_period
from organiser_bot.domain.roles import Role
from organiser_bot.usecases.measures import summarise, team_figures
from storage import measures as store
from storage import measures_cache as cache
from storage.engine import Database
from storage.models import Scrutiny
from storage.query import table_of
from tests.conftest import BotHarness
from tests.digest_factories import LONDON, log, make_member, make_team


def _kept(conn: Connection, key: str) -> dict[int, bool]:
    """Team id -> whether its figures are kept for the windows named ``key``."""
    return {t: cache.holding(k, key) is not None for t, k in cache.read(conn, None).items()}


async def test_the_job_keeps_every_teams_figures_for_the_day(bot: BotHarness) -> None:
    db: Database = bot.app.bot_data.db
    today = local_date(bot.app.bot_data.now(), LONDON)
    with db.begin() as conn:
        teams = [make_team(conn, name) for name in ("North Ward", "South Ward", "East Ward")]
        for i, team in enumerate(teams):
            person = make_member(conn, team, 11 + i, f"Sam {i}", Role.ORGANISER)
            for back in (3, 10, 40, 120):
                log(conn, person, team, "resident_contact", i + back, today - timedelta(days=back))
    spans = windows(today=today, end=parse_period(None, today=today).end)
    key = cache.windows_key(spans)
    with db.begin() as conn:
        assert set(_kept(conn, key).values()) == {False}
        looks = conn.execute(select(func.count()).select_from(table_of(Scrutiny))).scalar_one()
    jobs.schedule(bot.app)
    jq = bot.app.job_queue
    assert jq is not None
    try:
        [job] = jq.get_jobs_by_name(jobs.MEASURES_JOB)
        assert job.trigger.interval == jobs.KEEP_MEASURES_EVERY
        await job.run(bot.app)
        with db.begin() as conn:
            assert _kept(conn, key) == dict.fromkeys(teams, True)
            live = store.live_teams(conn)
            fresh = summarise(live, spans, team_figures(conn, teams, spans))
            kept = summarise(
                live,
                spans,
                {t: cache.loads(k.figures or "") for t, k in cache.read(conn, None).items()},
            )
            assert kept == fresh
            assert fresh.rate.contacts > 0
            after = conn.execute(select(func.count()).select_from(table_of(Scrutiny))).scalar_one()
            assert after == looks  # the job is nobody's look
    finally:
        for scheduled in jq.jobs():
            scheduled.schedule_removal()
