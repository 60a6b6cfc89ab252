"""Charts for the weekly digest, rendered to PNG bytes with matplotlib's object API (no pyplot)."""

from __future__ import annotations

from charts.digest import render_diarised_chart, render_trend_chart

__all__ = ["render_diarised_chart", "render_trend_chart"]
