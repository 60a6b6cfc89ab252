"""Every refusal of the onboarding and reading use cases has its own wording."""

from __future__ import annotations

from types import ModuleType

import pytest

import handlers  # noqa: F401 - importing the adapter registers every feature's wording
from handlers.texts import refusal_text
from organiser_bot.domain.refusals import Refusal
from organiser_bot.usecases import onboarding, reports


@pytest.mark.parametrize("module", [onboarding, reports])
def test_every_refusal_a_use_case_module_defines_is_worded(module: ModuleType) -> None:
    refusals = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Refusal)
        and value.__module__ == module.__name__
    ]
    fallback = refusal_text.dispatch(Refusal)
    assert refusals
    assert [r.__name__ for r in refusals if refusal_text.dispatch(r) is fallback] == []
