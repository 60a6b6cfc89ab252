"""The import arrows of the house hold: domain <- usecases <- handlers, storage and charts on the
domain only, and no cycles between our packages.

Every ``import`` counts, wherever it is written: at the top of a module, inside a function, or
under ``if TYPE_CHECKING`` (a type-only import still ties the two packages together).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("organiser_bot", "handlers", "storage", "charts")

DOMAIN = "organiser_bot.domain"
USECASES = "organiser_bot.usecases"


@dataclass(frozen=True)
class Source:
    """One module's text, and whether it is a package's ``__init__``."""

    text: str
    is_package: bool = False


@dataclass(frozen=True)
class Import:
    """``module`` imports ``target`` (absolute, ``a.b.name`` for ``from a.b import name``)."""

    module: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.module} imports {self.target} (line {self.line})"


def within(name: str, *packages: str) -> bool:
    """Whether the dotted ``name`` is one of ``packages`` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in packages)


def ours(name: str) -> bool:
    return within(name, *OURS)


def read_sources(root: Path = ROOT) -> dict[str, Source]:
    """Every module of our packages, by dotted name."""
    sources = {}
    for top in OURS:
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            sources[name] = Source(path.read_text(encoding="utf-8"), is_package)
    return sources


def imports_of(module: str, source: Source) -> list[Import]:
    """Every import in ``source``, relative ones made absolute.

    Raises:
        ValueError: A relative import climbs above the top-level package.
    """
    package = module if source.is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source.text)):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                if node.level > len(parts):
                    raise ValueError(
                        f"{module}: relative import above the top (line {node.lineno})"
                    )
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found += [
                Import(module, base if alias.name == "*" else f"{base}.{alias.name}", node.lineno)
                for alias in node.names
            ]
    return found


def all_imports(sources: Mapping[str, Source]) -> list[Import]:
    return [imp for module, source in sources.items() for imp in imports_of(module, source)]


def stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


@dataclass(frozen=True)
class Rule:
    """What the modules of ``layer`` may import: of ours only ``allowed``; of others, none of
    ``foreign``, and when ``only_stdlib_and`` is set, nothing outside the standard library and it.
    """

    layer: str
    allowed: tuple[str, ...]
    foreign: tuple[str, ...] = ()
    only_stdlib_and: tuple[str, ...] | None = None

    def breaks(self, imp: Import) -> bool:
        if not within(imp.module, self.layer):
            return False
        if ours(imp.target):
            return not within(imp.target, *self.allowed)
        if within(imp.target, *self.foreign):
            return True
        if self.only_stdlib_and is not None:
            return not (stdlib(imp.target) or within(imp.target, *self.only_stdlib_and))
        return False


RULES = (
    # (a) Pure rules: no database, Telegram, drawing, settings, nor anything of ours beyond itself.
    Rule(
        DOMAIN,
        allowed=(DOMAIN,),
        foreign=(
            "sqlalchemy",
            "sqlmodel",
            "telegram",
            "matplotlib",
            "alembic",
            "pydantic",
            "pydantic_settings",
            "psycopg",
        ),
    ),
    # (b) One transaction each: the domain, the storage, other use cases; no adapter, no drawing.
    Rule(USECASES, allowed=(DOMAIN, USECASES, "storage"), only_stdlib_and=("sqlalchemy",)),
    # (c) Tables and queries speak in domain value types.
    Rule("storage", allowed=("storage", DOMAIN), foreign=("telegram", "matplotlib")),
    # (d) Pure rendering.
    Rule(
        "charts",
        allowed=("charts", DOMAIN),
        foreign=("telegram", "sqlalchemy", "sqlmodel", "alembic", "psycopg"),
    ),
    # The Telegram adapter: use cases, the domain and charts; no SQL. Of the wiring it reads only
    # what the wiring hands every handler: the typed context (bot_data) and the settings.
    Rule(
        "handlers",
        allowed=(
            "handlers",
            DOMAIN,
            USECASES,
            "charts",
            "organiser_bot.context",
            "organiser_bot.settings",
        ),
        foreign=("sqlalchemy", "sqlmodel", "alembic", "psycopg", "matplotlib"),
    ),
)


def violations(imports: Iterable[Import], rule: Rule) -> list[Import]:
    return [imp for imp in imports if rule.breaks(imp)]


def unit_of(module: str) -> str:
    """The package a module belongs to, for the cycle check.

    A subpackage is its own unit (``organiser_bot.domain``, ``handlers.texts``,
    ``storage.migrations``); the modules directly in ``organiser_bot`` are the wiring, each its
    own unit: ``app`` imports everything, while ``context`` and ``settings`` are read by all.
    """
    parts = module.split(".")
    if parts[0] == "organiser_bot":
        return ".".join(parts[:2])
    if parts[0] == "storage" and len(parts) > 1 and parts[1] == "migrations":
        return "storage.migrations"
    if parts[0] == "handlers" and len(parts) > 1 and parts[1] == "texts":
        return "handlers.texts"
    return parts[0]


def resolve(target: str, modules: Iterable[str]) -> str | None:
    """The module of ours that ``target`` names or is inside (``a.b.name`` -> ``a.b``)."""
    known = set(modules)
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        if (name := ".".join(parts[:end])) in known:
            return name
    return None


def unit_cycles(imports: Iterable[Import], modules: Iterable[str]) -> list[list[str]]:
    """Each set of units that import one another in a circle, with the imports that close it.

    Returns:
        One list per cycle: the units in the cycle (sorted), then one line per import between
        two of its units.
    """
    modules = list(modules)
    edges: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for imp in imports:
        target = resolve(imp.target, modules)
        if target is None:
            continue
        a, b = unit_of(imp.module), unit_of(target)
        if a != b:
            edges[a].add(b)
            why[a, b].append(imp)

    # Tarjan's strongly connected components: a component of two or more units is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        on_stack.add(unit)
        for nxt in sorted(edges[unit]):
            if nxt not in index:
                visit(nxt)
                low[unit] = min(low[unit], low[nxt])
            elif nxt in on_stack:
                low[unit] = min(low[unit], index[nxt])
        if low[unit] == index[unit]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for unit in sorted({unit_of(m) for m in modules} | set(edges)):
        if unit not in index:
            visit(unit)
    return [
        [" <-> ".join(c)]
        + [str(imp) for a in c for b in c if a != b for imp in why.get((a, b), [])]
        for c in components
    ]


@pytest.fixture(scope="module")
def sources() -> dict[str, Source]:
    found = read_sources()
    assert {"organiser_bot.domain", "organiser_bot.usecases", "storage", "charts", "handlers"} <= (
        set(found)
    )
    return found


@pytest.mark.parametrize("rule", RULES, ids=[r.layer for r in RULES])
def test_each_layer_imports_only_what_it_may(rule: Rule, sources: dict[str, Source]) -> None:
    layer = {m: s for m, s in sources.items() if within(m, rule.layer)}
    assert layer, f"no modules found under {rule.layer}"
    bad = violations(all_imports(layer), rule)
    assert not bad, f"{rule.layer} must not import these:\n" + "\n".join(map(str, bad))


def test_no_import_cycles_between_our_packages(sources: dict[str, Source]) -> None:
    cycles = unit_cycles(all_imports(sources), sources)
    assert not cycles, "import cycles between packages:\n" + "\n\n".join(
        "\n".join(c) for c in cycles
    )


# The checker itself must be able to fail.


SYNTHETIC = {
    "organiser_bot.domain": Source("", is_package=True),
    "organiser_bot.domain.bad": Source(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import kinds\n"
        "if TYPE_CHECKING:\n"
        "    from storage.tables import entries\n"
        "def f():\n"
        "    from ..settings import Settings\n"
        "    import telegram.ext\n"
    ),
    "organiser_bot.domain.kinds": Source(""),
    "organiser_bot.usecases.bad": Source("from handlers.texts import refusal_text\nimport numpy\n"),
    "storage.bad": Source("from organiser_bot.usecases import guards\n"),
    "charts.bad": Source("import sqlalchemy\nfrom storage import tables\n"),
    "handlers.texts": Source("from handlers.common import run_as_actor\n", is_package=True),
    "handlers.common": Source("def f():\n    from handlers.texts import refusal_text\n"),
    "handlers.bad": Source("from storage.people import load_actor\nfrom sqlalchemy import text\n"),
}


def test_the_checker_flags_synthetic_bad_imports() -> None:
    imports = all_imports(SYNTHETIC)
    found = {r.layer: {str(i) for i in violations(imports, r)} for r in RULES}
    assert found == {
        DOMAIN: {
            "organiser_bot.domain.bad imports storage.tables.entries (line 5)",
            "organiser_bot.domain.bad imports organiser_bot.settings.Settings (line 7)",
            "organiser_bot.domain.bad imports telegram.ext (line 8)",
        },
        USECASES: {
            "organiser_bot.usecases.bad imports handlers.texts.refusal_text (line 1)",
            "organiser_bot.usecases.bad imports numpy (line 2)",
        },
        "storage": {"storage.bad imports organiser_bot.usecases.guards (line 1)"},
        "handlers": {
            "handlers.bad imports storage.people.load_actor (line 1)",
            "handlers.bad imports sqlalchemy.text (line 2)",
        },
        "charts": {
            "charts.bad imports sqlalchemy (line 1)",
            "charts.bad imports storage.tables (line 2)",
        },
    }


def test_the_checker_finds_a_cycle_and_names_its_imports() -> None:
    cycles = unit_cycles(all_imports(SYNTHETIC), SYNTHETIC)
    assert cycles == [
        [
            "handlers <-> handlers.texts",
            "handlers.common imports handlers.texts.refusal_text (line 2)",
            "handlers.texts imports handlers.common.run_as_actor (line 1)",
        ]
    ]
