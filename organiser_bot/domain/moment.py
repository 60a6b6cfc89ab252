"""The moment a use case runs in: the time, the configured zone, and the kinds in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from organiser_bot.domain.kinds import KindRegistry
from organiser_bot.domain.periods import local_date, week_monday


@dataclass(frozen=True, slots=True)
class Moment:
    """When and where a use case runs; passed as one value instead of ``now``, ``tz``, ``kinds``.

    Attributes:
        now: The current instant, aware UTC.
        tz: The zone weeks and days are computed in (``TIMEZONE``, default Europe/London).
        kinds: The activity kinds in force (built-in plus those admins added).
    """

    now: datetime
    tz: ZoneInfo
    kinds: KindRegistry

    @property
    def today(self) -> date:
        """The local date of ``now`` in ``tz``."""
        return local_date(self.now, self.tz)

    @property
    def this_monday(self) -> date:
        """The Monday of the ISO week ``now`` falls in, in ``tz``."""
        return week_monday(self.today)

    @property
    def days_elapsed(self) -> int:
        """Days of this ISO week so far, today included: 1 on Monday, 7 on Sunday."""
        return (self.today - self.this_monday).days + 1
