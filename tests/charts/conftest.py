"""Chart tests fail on matplotlib's missing-glyph warning, whatever the project-wide filters say.

matplotlib warns "Glyph N (NAME) missing from font(s) ..." when it draws a character from its
Last Resort font, i.e. as a box: a name drawn wrong must fail a test, not pass quietly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
MISSING_GLYPH = r"error:Glyph \d+ .* missing from font:UserWarning"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.filterwarnings(MISSING_GLYPH))
