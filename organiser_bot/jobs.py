"""Scheduled jobs."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application


def schedule(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Schedule the weekly digest and the mid-week nudge."""
