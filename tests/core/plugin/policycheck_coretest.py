"""A small provider used only by the core tests: it exercises the public plugin contract.

It reads an "estate" JSON file (config key ``estate``, CLI flag ``--coretest-estate``) that lists
resources of two types, ``test.store`` (data-store vocabulary bound to collection groups) and
``test.device`` (device vocabulary). Every collection group of a resource gets a lazy fetcher
that records its call in :data:`FETCH_LOG`, so tests can count what the engine actually read.

Estate format::

    {"resources": [
        {"type": "test.store", "id": "s1", "name": "one", "region": "eu-central-1", "account": "111",
         "tags": {"owner": "a"},             # omitted: tags come from a "tags" fetcher (see groups)
         "core": {"location.country": "DE"},  # known at listing time
         "groups": {"encryption": {"encryption.at_rest": true},
                    "access": {"error": "denied", "action": "test:GetAccess"},  # CollectionError
                    "retention": {"crash": "boom"}}}],                           # unexpected exception
     "fail_listing": "no credentials",    # CredentialError before the first resource (exit 2)
     "fail_after": 1,                     # a PolicycheckError after N resources (collection problem)
     "crash_listing": "bug"}              # an unexpected exception while listing (a provider bug)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policycheck.attributes import ResourceType, bind_groups
from policycheck.errors import CollectionError, CredentialError, InputError
from policycheck.model import Resource
from policycheck.provider import CollectPlan, Provider
from policycheck.settings import Settings, setting
from policycheck.vocabulary import DATA_STORE, DEVICE

STORE_GROUPS = {
    "encryption": ["encryption.*"],
    "access": ["access.*"],
    "retention": ["retention.*"],
    "backup": ["backup.*", "versioning.*", "logging.*", "deletion_protection.*"],
    "replication": ["replication.*"],
}
DEVICE_GROUPS = {"posture": ["encryption.*", "screen_lock.*", "firewall.*", "os.*"], "people": ["agreements.*",
                                                                                              "training.*", "owner"]}

TEST_STORE = ResourceType("test.store", "A data store of the core test provider.", "coretest", "data-store",
                          bind_groups(DATA_STORE, STORE_GROUPS))
TEST_DEVICE = ResourceType("test.device", "A device of the core test provider.", "coretest", "device",
                           bind_groups(DEVICE, DEVICE_GROUPS))

#: (resource id, group) for every fetcher call, in call order.
FETCH_LOG: list[tuple[str, str]] = []
_LOG_LOCK = threading.Lock()


@dataclass(frozen=True)
class CoreTestSettings(Settings):
    """Settings of the core test provider."""

    section = "coretest"

    estate: str | None = setting(None, "Estate JSON file of the core test provider.", flag="--coretest-estate",
                                 path="always")
    flag: bool = setting(False, "A boolean option of the core test provider.", flag="--coretest-flag")


class CoreTestProvider(Provider):
    """Reads resources from a JSON estate file; every non-core group is fetched lazily."""

    name = "coretest"
    description = "Core test provider (tests/core only)."
    resource_types = (TEST_STORE, TEST_DEVICE)
    settings_class = CoreTestSettings
    settings: CoreTestSettings

    def collect(self, plan: CollectPlan) -> Iterator[Resource]:
        estate = self._estate()
        if estate.get("fail_listing"):
            raise CredentialError(estate["fail_listing"], source="coretest")
        if estate.get("crash_listing"):
            raise RuntimeError(estate["crash_listing"])
        fail_after = estate.get("fail_after")
        types = {t.name: t for t in self.resource_types}
        for count, record in enumerate(estate.get("resources", [])):
            if fail_after is not None and count >= fail_after:
                raise InputError("listing broke off", source="coretest")
            if not plan.wants_type(record["type"]):
                continue
            yield _resource(record, types[record["type"]])

    def permissions(self, plan: CollectPlan) -> list[str]:
        return sorted(f"test:Get{group.title()}" for t in self.resource_types for group in plan.groups(t))

    def _estate(self) -> dict[str, Any]:
        path = self.settings.estate
        if not path:
            raise CredentialError("no estate configured (--coretest-estate)", source="coretest")
        return json.loads(Path(path).read_text(encoding="utf-8"))


def _resource(record: dict[str, Any], resource_type: ResourceType) -> Resource:
    groups = dict(record.get("groups", {}))
    fetchers = {name: _fetcher(record["id"], name, spec) for name, spec in groups.items()}
    return Resource(
        type=record["type"], id=record["id"], name=record.get("name", record["id"]), provider="coretest",
        account=record.get("account", "000000000000"), region=record.get("region", "eu-central-1"),
        tags=record.get("tags"), attributes=record.get("core", {}), fetchers=fetchers,
        group_of=resource_type.group_of,
    )


def _fetcher(resource_id: str, group: str, spec: dict[str, Any]):
    def fetch() -> dict[str, Any]:
        with _LOG_LOCK:
            FETCH_LOG.append((resource_id, group))
        if "error" in spec:
            raise CollectionError(spec["error"], action=spec.get("action"))
        if "crash" in spec:
            raise RuntimeError(spec["crash"])
        return spec
    return fetch
