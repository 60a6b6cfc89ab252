"""Every refusal a use case or domain rule can raise has its own wording.

A refusal type without a registered wording would reach the user as the generic "That can't be
done."; this finds every concrete :class:`Refusal` subclass under ``organiser_bot`` and checks
that ``handlers.texts.refusal_text`` has a wording registered for it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

# Imported as the application imports it, so the feature text modules' registrations have run.
import handlers  # noqa: F401
import organiser_bot.domain
import organiser_bot.usecases
from handlers.texts import refusal_text
from organiser_bot.domain.refusals import Refusal


def _import_all(package: ModuleType) -> None:
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        importlib.import_module(info.name)


def _subclasses(cls: type[Refusal]) -> set[type[Refusal]]:
    found: set[type[Refusal]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _ours() -> list[type[Refusal]]:
    _import_all(organiser_bot.domain)
    _import_all(organiser_bot.usecases)
    return sorted(
        (
            cls
            for cls in _subclasses(Refusal)
            if cls.__module__.startswith("organiser_bot.") and not inspect.isabstract(cls)
        ),
        key=lambda cls: (cls.__module__, cls.__qualname__),
    )


def test_refusals_are_found() -> None:
    names = {cls.__qualname__ for cls in _ours()}
    assert {"NotAMember", "NotPermitted", "NoManagedTeam", "UnknownTeam"} <= names
    assert len(names) > 4  # the features' own refusals too


def test_every_refusal_has_its_own_wording() -> None:
    generic = refusal_text.dispatch(Refusal)
    unworded = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _ours()
        if refusal_text.dispatch(cls) is generic
    ]
    assert unworded == []
