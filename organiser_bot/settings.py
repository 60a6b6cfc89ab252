"""Configuration from the environment and ``.env``: one ``Settings`` object, validated at start."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from organiser_bot.domain.schedule import WeeklySchedule

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"


class Settings(BaseSettings):
    """Everything the bot reads from its environment. Names match ``.env.example``."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    database_url: str = "sqlite:///organiser_bot.db"
    timezone: str = "Europe/London"
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset())
    digest_schedule: str = "mon 09:00"
    nudge_schedule: str = "thu 17:00"
    log_level: str = "INFO"
    #: Days a note is kept: notes of entries dated longer ago are erased by a daily job.
    notes_retention_days: int = Field(default=365, ge=1)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (try Europe/London)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL (try sqlite:///organiser_bot.db or "
                "postgresql+psycopg://user@host/db)"
            ) from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite and postgresql databases are supported")
        return value

    @field_validator("digest_schedule", "nudge_schedule")
    @classmethod
    def _check_schedule(cls, value: str) -> str:
        if value.strip().lower() in ("off", "none", ""):
            return "off"
        WeeklySchedule.parse(value)
        return value

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value) if p]
            if not all(re.fullmatch(r"-?\d+", p) for p in parts):
                raise ValueError("expected Telegram user ids separated by commas, e.g. 12345,67890")
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @cached_property
    def tz(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    @property
    def digest_at(self) -> WeeklySchedule | None:
        """When the weekly digest goes out, or None if turned off."""
        return None if self.digest_schedule == "off" else WeeklySchedule.parse(self.digest_schedule)

    @property
    def nudge_at(self) -> WeeklySchedule | None:
        """When mid-week nudges go out, or None if turned off."""
        return None if self.nudge_schedule == "off" else WeeklySchedule.parse(self.nudge_schedule)
