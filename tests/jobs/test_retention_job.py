"""The daily ``erase-old-notes`` job: scheduled with the bot's other jobs, it erases the notes
older than ``NOTES_RETENTION_DAYS`` in the running bot's database."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection, select

from handlers import jobs
from organiser_bot.domain.periods import local_date
from organiser_bot.domain.roles import Role
from storage.engine import Database
from storage.models import Activity
from storage.query import table_of
from tests.conftest import BotHarness
from tests.digest_factories import LONDON, log, make_member, make_team


def _notes(conn: Connection) -> dict[date, str | None]:
    a = table_of(Activity)
    return {day: note for day, note in conn.execute(select(a.c.occurred_on, a.c.note))}


async def test_the_daily_job_erases_notes_older_than_the_setting(bot: BotHarness) -> None:
    settings = bot.app.bot_data.settings
    assert settings.notes_retention_days == 365
    db: Database = bot.app.bot_data.db
    today = local_date(bot.app.bot_data.now(), LONDON)
    days = [today - timedelta(days=n) for n in (365, 366)]
    with db.begin() as conn:
        team = make_team(conn, "North Ward")
        person = make_member(conn, team, 11, "Sam", Role.ORGANISER)
        for day in days:
            log(conn, person, team, "one_to_one", 1, day, note="casework detail")
    jobs.schedule(bot.app)
    jq = bot.app.job_queue
    assert jq is not None
    try:
        [job] = jq.get_jobs_by_name(jobs.RETENTION_JOB)
        assert job.next_t is not None
        assert job.next_t.astimezone(settings.tz).time() == jobs.PRUNE_AT
        await job.run(bot.app)
        with db.begin() as conn:
            assert _notes(conn) == {days[0]: "casework detail", days[1]: None}
    finally:
        for scheduled in jq.jobs():
            scheduled.schedule_removal()
