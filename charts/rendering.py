"""A digest rendered for posting or for files: the domain's text summary, both charts, their hash.

Shared by the Telegram poster and the offline ``organiser-bot digest`` and ``demo`` commands, so
a digest written to a folder is byte for byte the one a team would get. Pure: of this project it
imports only the domain and the charts beside it.
"""

from __future__ import annotations

from charts import render_diarised_chart, render_trend_chart
from organiser_bot.domain.digest import (
    RenderedDigest,
    TeamDigest,
    render_digest_messages,
    render_digest_text,
)
from organiser_bot.domain.kinds import KindRegistry


def render_digest(d: TeamDigest, kinds: KindRegistry) -> RenderedDigest:
    """Render the text and both charts of a digest.

    CPU-bound (matplotlib, ~0.1-0.4 s): the bot calls it in a worker thread, never on the loop.

    Args:
        d: The digest.
        kinds: The kind registry, for labels the digest does not carry.

    Returns:
        The text (whole, and as the messages it is posted in), ``week.png`` (the diarised
        chart) then ``trend.png``, and their hash.
    """
    images = (
        ("week.png", render_diarised_chart(d)),
        ("trend.png", render_trend_chart(d)),
    )
    return RenderedDigest.of(
        d, render_digest_text(d, kinds), images, render_digest_messages(d, kinds)
    )
