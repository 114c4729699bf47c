"""Fixtures for the tests of the built-in pack ``gdpr-customer-service``.

The pack targets resource kinds (``data-store``, ``device``), so it covers whatever types the
installed providers register. The tests evaluate it on the six types the built-in providers
ship; a type whose provider is not importable yet is stood in for by a local registration with
the shared vocabulary (what every provider exposes), removed again after each test module.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from policycheck.attributes import RESOURCE_TYPES, ResourceType, register_type
from policycheck.vocabulary import DATA_STORE, DEVICE

KIT_NAME = "policycheck_gdpr_testkit"
if KIT_NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(KIT_NAME, Path(__file__).with_name("gdpr_testkit.py"))
    assert _spec and _spec.loader
    sys.modules[KIT_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[KIT_NAME])
kit = sys.modules[KIT_NAME]


@pytest.fixture(scope="module", autouse=True)
def shipped_types() -> Iterator[list[str]]:
    """Register stand-ins for shipped types whose provider is not installed; yield their names."""
    added = []
    for name in kit.missing_shipped_types():
        kind, provider = kit.SHIPPED_TYPES[name]
        vocabulary = DATA_STORE if kind == "data-store" else DEVICE
        register_type(ResourceType(name, f"stand-in for {name}", f"{provider}-stand-in", kind, vocabulary))
        added.append(name)
    yield added
    for name in added:  # the registry has no public removal: tests only
        RESOURCE_TYPES._items.pop(name, None)


@pytest.fixture
def evaluation_date() -> dt.date:
    return kit.EVALUATED_ON


