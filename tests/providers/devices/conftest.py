"""Helpers for the device-inventory tests: fixture files, a provider run, resources by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from policycheck.model import Resource
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.devices import DeviceProvider

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = "2026-11-02"
KEY = b"test-pseudonym-key-0123456789abcdef"


def run(config: dict[str, Any], *, reveal: bool = True, key: bytes = KEY,
        context: ProviderContext | None = None) -> list[Resource]:
    """Collect every device of ``config`` (as_of fixed so ages are stable)."""
    ctx = context or ProviderContext(reveal_identities=reveal, pseudonym_key=key)
    return list(DeviceProvider({"as_of": AS_OF, **config}, ctx).collect(CollectPlan()))


def by_name(resources: Iterable[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}


@pytest.fixture
def fixture() -> Callable[[str], str]:
    return lambda name: str(FIXTURES / name)


@pytest.fixture
def register() -> str:
    return str(FIXTURES / "staff-register.csv")
