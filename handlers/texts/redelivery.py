"""What the bot says when Telegram delivers an update it has carried out already."""

from __future__ import annotations

#: A redelivered update whose first replies were never stored (the bot stopped in between).
ALREADY_DONE = "✓ Already done: this message was received and carried out before."
