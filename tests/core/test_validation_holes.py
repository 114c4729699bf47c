"""Load-time refusals from issue 14: ordering operators on text attributes, undeclared raw.* attributes, and the
case-insensitive ``imatches``."""

from __future__ import annotations

import pytest
from core_support import rule_text, store

from policycheck.attributes import RESOURCE_TYPES, AttributeSpec, ResourceType, register_type
from policycheck.vocabulary import DATA_STORE

RAW_TYPE = ResourceType("test.rawstore", "A store declaring its raw attributes.", "coretest", "data-store",
                        (*DATA_STORE, AttributeSpec("raw.storage_class", "string", "Storage class.", "raw")))


@pytest.fixture(autouse=True)
def _raw_type():
    register_type(RAW_TYPE)
    yield
    RESOURCE_TYPES._items.pop(RAW_TYPE.name, None)  # the registry has no public removal: tests only


@pytest.mark.parametrize("op", ["lte", "lt", "gt", "gte"])
def test_ordering_operator_on_a_string_attribute_is_refused(cli, policy, op):
    pack = policy(rule_text("X", require=f"{{attr: location.country, {op}: 5}}"))
    result = cli("validate", "-p", pack)
    assert result.exit_code == 2
    assert (f"rules[0].require.{op}: operator '{op}' compares numbers; 'location.country' is a string attribute "
            "(of test.store)") in result.stderr


def test_ordering_operator_on_a_tag_and_a_number_is_accepted(cli, policy, estate):
    pack = policy(rule_text("TAG", require="{attr: tags.retention-days, lte: 365}"),
                  rule_text("NUM", require="{attr: retention.max_age_days, lte: 365}"))
    assert cli("validate", "-p", pack).exit_code == 0
    records = estate(store("s", tags={"retention-days": "400"}, core={"retention.max_age_days": 30}))
    result = cli("scan", "-p", pack, "--coretest-estate", records, "--compact")
    assert result.stdout.startswith("high TAG test.store s:")
    assert len(result.stdout.splitlines()) == 1


def test_undeclared_raw_attribute_of_a_type_that_declares_raw_is_refused(cli, policy):
    pack = policy(rule_text("X", resources="[test.rawstore]", require="{attr: raw.storage_clas, equals: STANDARD}"))
    result = cli("validate", "-p", pack)
    assert result.exit_code == 2
    assert ("unknown attribute 'raw.storage_clas' for test.rawstore (did you mean 'raw.storage_class'?)"
            in result.stderr)
    ok = policy(rule_text("X", resources="[test.rawstore]", require="{attr: raw.storage_class, equals: STANDARD}"),
                name="ok.yaml")
    assert cli("validate", "-p", ok).exit_code == 0


def test_shipped_types_declare_their_raw_attributes(cli, policy):
    pytest.importorskip("google.cloud.storage")
    from policycheck.provider import load_providers

    load_providers()
    pack = policy(rule_text("X", resources="[gcp.storage.bucket]", require="{attr: raw.location_typ, equals: x}"))
    result = cli("validate", "-p", pack)
    assert "did you mean 'raw.location_type'?" in result.stderr


def test_imatches_ignores_case(cli, policy, estate):
    pack = policy(rule_text("EU", require="{attr: location.region, imatches: '^europe-'}"))
    records = estate(store("upper", tags={}, core={"location.region": "EUROPE-WEST3"}),
                     store("other", tags={}, core={"location.region": "US-EAST1"}))
    result = cli("scan", "-p", pack, "--coretest-estate", records, "--compact")
    assert [line.split()[3].rstrip(":") for line in result.stdout.splitlines()] == ["other"]
