"""Every refusal of the onboarding and reading use cases has its own wording."""

from __future__ import annotations

import handlers  # noqa: F401 - importing the adapter registers every feature's wording
