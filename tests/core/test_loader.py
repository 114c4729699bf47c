"""Loading valid packs: what the parsed rules look like; type selectors; folders and built-in names."""

from __future__ import annotations

import pytest
from core_support import pack_text, rule_text

from policycheck.conditions import AllOf, AnyOf, AttrRef, Leaf, Lookup, NotOf
from policycheck.errors import PolicyError
from policycheck.loader import load_packs, resolve_policy_paths
from policycheck.model import Severity
from policycheck.policy import attribute_needs


def test_a_full_rule_is_parsed(policy):
    path = policy(rule_text(
        "GDPR-LOC-001", severity="critical", resources="[test.store]",
        when="{attr: tags.data-classification, in: [personal, sensitive]}",
        require="{attr: location.jurisdiction, in: $params.allowed}",
        extra="references: ['GDPR Art. 44']\nremediation: Move it.\ndescription: Where data lives."),
        params="allowed: [EU, EEA]")
    [pack] = load_packs([str(path)])
    assert (pack.name, pack.version, pack.source) == ("core-test", "1.0.0", str(path))
    [rule] = pack.rules
    assert rule.id == "GDPR-LOC-001" and rule.severity is Severity.CRITICAL
    assert rule.resource_types == ("test.store",)
    assert rule.when == Leaf("tags.data-classification", rule.when.operator, ["personal", "sensitive"])
    assert rule.require.value == ["EU", "EEA"]  # the param is resolved at load time
    assert rule.references == ("GDPR Art. 44",) and rule.remediation == "Move it."
    assert rule.pack == "core-test" and rule.line == 7  # the rule item starts on line 7
    assert rule.attributes() == {"tags.data-classification", "location.jurisdiction"}


def test_combinators_build_the_tree(policy):
    path = policy(rule_text(require="""
      all:
        - {attr: encryption.at_rest, equals: true}
        - any:
            - {attr: encryption.key_management, equals: customer-managed}
            - not: {attr: tags.tier, equals: gold}"""))
    rule = load_packs([str(path)])[0].rules[0]
    assert isinstance(rule.require, AllOf)
    first, second = rule.require.items
    assert isinstance(first, Leaf) and isinstance(second, AnyOf)
    assert isinstance(second.items[1], NotOf)


@pytest.mark.parametrize(("selector", "expected"), [
    ("[test.store]", {"test.store"}),
    ("[test.*]", {"test.store", "test.device"}),
    ("[test.store, test.*]", {"test.store", "test.device"}),
])
def test_resource_selectors(policy, selector, expected):
    path = policy(rule_text(resources=selector, require="{attr: location.jurisdiction, exists: true}"))
    assert set(load_packs([str(path)])[0].rules[0].resource_types) == expected


def test_kind_selects_every_type_of_that_kind(policy):
    path = policy(rule_text(resources="[data-store]", require="{attr: encryption.at_rest, equals: true}"))
    types = load_packs([str(path)])[0].rules[0].resource_types
    assert "test.store" in types and "test.device" not in types


def test_kind_with_an_attribute_one_type_lacks_is_an_error(policy):
    # retention.* is data-store vocabulary; a device has none: the rule must not silently skip devices
    path = policy(rule_text(resources="[test.*]", require="{attr: retention.max_age_days, lte: 30}"))
    with pytest.raises(PolicyError, match=r"unknown attribute 'retention\.max_age_days' for test\.device"):
        load_packs([str(path)])


def test_attribute_references_and_lookups(policy):
    path = policy(
        rule_text("R-1", require="{attr: backup.retention_days, lte: {$attr: retention.max_age_days}}"),
        rule_text("R-2", require="{attr: retention.max_age_days, lte: {$param: max_days, $key: tags.purpose}}"),
        params="max_days: {support: 30, billing: 3650}")
    r1, r2 = load_packs([str(path)])[0].rules
    assert r1.require.value == AttrRef("retention.max_age_days")
    assert r2.require.value == Lookup("max_days", {"support": 30, "billing": 3650}, "tags.purpose")
    assert r2.attributes() == {"retention.max_age_days", "tags.purpose"}


def test_lookup_map_entries_must_suit_the_operator(policy):
    path = policy(rule_text(require="{attr: retention.max_age_days, lte: {$param: max_days, $key: tags.purpose}}"),
                  params="max_days: {support: thirty}")
    with pytest.raises(PolicyError, match="max_days"):
        load_packs([str(path)])


def test_param_interpolated_into_an_attribute_path(policy):
    path = policy(rule_text(require='{attr: "tags.${params.owner_tag}", exists: true}'), params="owner_tag: owner")
    assert load_packs([str(path)])[0].rules[0].require.attr == "tags.owner"


def test_resource_fields_are_attributes_of_every_type(policy):
    path = policy(rule_text(resources="[test.*]", require="{attr: region, matches: '^eu-'}"))
    assert load_packs([str(path)])[0].rules[0].require.attr == "region"


def test_enum_values_are_checked_but_open_tags_and_null_are_not(policy):
    ok = policy(rule_text(require="{attr: encryption.key_management, equals: customer-managed}"),
                rule_text("T-2", require="{attr: tags.anything, equals: whatever}"),
                rule_text("T-3", require="{attr: encryption.key_management, not_equals: null}"),
                rule_text("T-4", require="{attr: location.jurisdiction, not_in: [third-country, null]}"),
                name="ok.yaml")
    assert len(load_packs([str(ok)])[0].rules) == 4


def test_folder_loads_every_yaml_sorted(write):
    folder = write("packs/b.yaml", pack_text(rule_text("B-1", require="{attr: encryption.at_rest, equals: true}"),
                                              name="b")).parent
    write("packs/sub/a.yml", pack_text(rule_text("A-1", require="{attr: encryption.at_rest, equals: true}"),
                                       name="a"))
    write("packs/notes.txt", "not a pack")
    packs = load_packs([str(folder)])
    assert [p.name for p in packs] == ["b", "a"]  # b.yaml sorts before sub/a.yml


def test_empty_folder_and_unknown_pack_name(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PolicyError, match=r"folder holds no \.yaml policy files"):
        resolve_policy_paths([str(tmp_path / "empty")])
    with pytest.raises(PolicyError, match="no such policy file, folder or built-in pack"):
        resolve_policy_paths(["no-such-pack-anywhere"])


def test_rule_ids_must_be_unique_across_packs(write):
    a = write("a.yaml", pack_text(rule_text("X-1", require="{attr: encryption.at_rest, equals: true}"), name="a"))
    b = write("b.yaml", pack_text(rule_text("X-1", require="{attr: encryption.at_rest, equals: true}"), name="b"))
    with pytest.raises(PolicyError) as info:
        load_packs([str(a), str(b)])
    assert info.value.source == str(b) and "duplicate rule id 'X-1'" in str(info.value)
    assert f"first defined in {a}:5:5" in str(info.value)


def test_the_same_pack_name_twice_is_an_error(write):
    a = write("a.yaml", pack_text(rule_text("X-1", require="{attr: encryption.at_rest, equals: true}"), name="same"))
    b = write("b.yaml", pack_text(rule_text("X-2", require="{attr: encryption.at_rest, equals: true}"), name="same"))
    with pytest.raises(PolicyError, match="pack 'same' is loaded twice"):
        load_packs([str(a), str(b)])


def test_attribute_needs_per_type(policy):
    path = policy(rule_text("R-1", resources="[test.*]", require="{attr: encryption.at_rest, equals: true}"),
                  rule_text("R-2", when="{attr: tags.pii, equals: 'yes'}",
                            require="{attr: access.public, equals: false}"))
    rules = list(load_packs([str(path)])[0].rules)
    assert attribute_needs(rules) == {
        "test.store": frozenset({"encryption.at_rest", "tags.pii", "access.public"}),
        "test.device": frozenset({"encryption.at_rest"}),
    }


def test_published_policy_schema_lists_every_operator_and_registered_type():
    from policycheck.operators import OPERATORS
    from policycheck.schema import policy_pack_schema

    schema = policy_pack_schema()
    leaf = schema["$defs"]["condition"]["oneOf"][0]
    assert set(leaf["properties"]) == {"attr", *OPERATORS}
    assert "test.store" in schema["$defs"]["rule"]["properties"]["resources"]["description"]
