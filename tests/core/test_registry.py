"""Registries and the plugin contract: providers, resource types, collect plans, output formats."""

from __future__ import annotations

import dataclasses

import pytest
from policycheck_coretest import TEST_DEVICE, TEST_STORE, CoreTestProvider

from policycheck.attributes import (
    RESOURCE_TYPES,
    AttributeSpec,
    ResourceType,
    bind_groups,
    expand_type_selector,
    register_type,
)
from policycheck.provider import PROVIDERS, CollectPlan, Provider, load_providers, register_provider
from policycheck.registry import Registry, did_you_mean
from policycheck.reporters import REPORTERS, load_reporters
from policycheck.settings import Settings, setting
from policycheck.vocabulary import DATA_STORE, DEVICE


def test_registry_register_get_and_decorator():
    registry: Registry[int] = Registry("widget")
    registry.register("one", 1)

    @registry.register("two")
    def two():
        return 2
    assert registry.get("one") == 1 and registry.get("two") is two
    assert registry.names() == ["one", "two"] and len(registry) == 2 and "one" in registry
    registry.register("one", 1)  # the same item again is fine
    with pytest.raises(ValueError, match="widget 'one' is already registered"):
        registry.register("one", 11)
    with pytest.raises(KeyError, match=r"unknown widget 'onw' \(did you mean 'one'\?\); known: one, two"):
        registry.get("onw")


def test_did_you_mean():
    assert did_you_mean("equal", ["equals", "in"]) == " (did you mean 'equals'?)"
    assert did_you_mean("zzz", ["equals", "in"]) == ""


def test_the_test_provider_is_registered_through_the_public_api():
    assert PROVIDERS.get("coretest") is CoreTestProvider
    assert RESOURCE_TYPES.get("test.store") is TEST_STORE and RESOURCE_TYPES.get("test.device") is TEST_DEVICE
    assert load_providers() is PROVIDERS  # loading again changes nothing


def test_provider_contract_is_checked_at_registration():
    class Nameless(Provider):
        resource_types = (TEST_STORE,)

        def collect(self, plan):
            return iter(())

    with pytest.raises(TypeError, match="must set 'name'"):
        register_provider(Nameless)

    class Typeless(Nameless):
        name = "typeless"
        resource_types = ()

    with pytest.raises(TypeError, match="must set 'resource_types'"):
        register_provider(Typeless)

    @dataclasses.dataclass(frozen=True)
    class ClashingSettings(Settings):
        estate: str | None = setting(None, "same flag as coretest", flag="--coretest-estate")

    class Clashing(Nameless):
        name = "clashing"
        settings_class = ClashingSettings

    with pytest.raises(TypeError, match=r"option\(s\) \['--coretest-estate'\] already used"):
        register_provider(Clashing)
    assert "typeless" not in PROVIDERS and "clashing" not in PROVIDERS


def test_register_type_is_idempotent_but_refuses_a_different_definition():
    assert register_type(TEST_STORE) is TEST_STORE
    other = ResourceType("test.store", "another", "x", "data-store", ())
    with pytest.raises(ValueError, match=r"resource type 'test\.store' is already registered"):
        register_type(other)


def test_attribute_spec_types_are_checked():
    with pytest.raises(ValueError, match="unknown type 'boolean'"):
        AttributeSpec("x", "boolean", "oops")


def test_bind_groups_binds_by_glob_and_defaults_to_core():
    bound = {a.name: a.group for a in bind_groups(DATA_STORE, {"enc": ["encryption.*"], "pub": ["access.public"]})}
    assert bound["encryption.kms_key"] == "enc"
    assert bound["access.public"] == "pub"
    assert bound["access.public_via"] == "core"
    assert {a.name for a in DATA_STORE} == set(bound)


def test_open_prefixes_resolve_to_their_group():
    assert TEST_STORE.attribute("tags.owner").group == "tags"
    assert TEST_STORE.attribute("raw.bucket.Policy").group == "raw"
    assert TEST_STORE.attribute("tags.") is None and TEST_STORE.attribute("nope") is None
    assert TEST_STORE.group_of("encryption.at_rest") == "encryption"
    assert TEST_STORE.group_of("location.country") == "core"


def test_vocabularies_have_unique_names_and_valid_enums():
    for vocabulary in (DATA_STORE, DEVICE):
        names = [a.name for a in vocabulary]
        assert len(names) == len(set(names))
        assert all(a.description for a in vocabulary)


def test_expand_type_selector():
    assert expand_type_selector("test.store") == ["test.store"]
    assert set(expand_type_selector("test.*")) == {"test.store", "test.device"}
    stores = expand_type_selector("data-store")  # a kind: every type of that kind
    assert "test.store" in stores and "test.device" not in stores
    assert expand_type_selector("nothing.*") == []


def test_collect_plan_helpers():
    plan = CollectPlan(needs={"test.store": frozenset({"encryption.at_rest", "tags.pii", "location.region"})})
    assert plan.wants_type("test.store") and not plan.wants_type("test.device")
    assert plan.wants_group(TEST_STORE, "encryption") and not plan.wants_group(TEST_STORE, "access")
    assert plan.groups(TEST_STORE) == {"encryption", "tags", "core"}
    everything = CollectPlan()
    assert everything.wants_type("anything") and everything.wants_group(TEST_STORE, "backup")
    assert everything.groups(TEST_STORE) == {"core", "encryption", "access", "retention", "backup", "replication",
                                             "tags"}


def test_built_in_output_formats_are_registered():
    load_reporters()
    assert {"json", "text"} <= set(REPORTERS.names())
    for _, reporter in REPORTERS.items():
        assert reporter.description and reporter.extension
