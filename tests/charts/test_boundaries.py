"""The charts package is pure rendering: of this project it imports only the domain."""

from __future__ import annotations

import ast
from pathlib import Path

CHARTS = Path(__file__).resolve().parents[2] / "charts"
OURS = ("organiser_bot", "handlers", "storage", "charts", "bench", "tests")
# Telegram and the database belong to the adapters and storage, never to rendering.
FOREIGN = ("telegram", "sqlalchemy", "sqlmodel", "alembic", "psycopg")


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top in FOREIGN:
        return False
    if top not in OURS:
        return True  # the standard library, numpy, matplotlib
    return module in ("charts", "organiser_bot.domain") or module.startswith(
        ("charts.", "organiser_bot.domain.")
    )


def test_charts_import_only_the_domain_and_themselves() -> None:
    sources = sorted(CHARTS.glob("*.py"))
    assert sources
    for path in sources:
        for module in imported_modules(path):
            assert allowed(module), f"{path.name} imports {module}"


def test_the_rule_rejects_adapters_and_storage() -> None:
    assert not allowed("telegram.ext")
    assert not allowed("storage.tables")
    assert not allowed("handlers.common")
    assert not allowed("organiser_bot.usecases.digests")
    assert allowed("organiser_bot.domain.digest")
    assert allowed("matplotlib.figure")
