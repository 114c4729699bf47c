"""The operator table: every operator's truth table, value checks and list splitting."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.operators import OPERATORS, VALUE_CHECKS, as_list, to_date

FIXED_TODAY = dt.date(2025, 6, 15)

#: (operator, attribute value, policy value, expected outcome) — every operator appears.
CASES = [
    ("equals", True, True, True),
    ("equals", False, True, False),
    ("equals", "EU", "EU", True),
    ("equals", "eu", "EU", False),
    ("equals", 30, 30, True),
    ("equals", "true", True, True),  # tag values are text: "true" equals true
    ("equals", "30", 30, True),
    ("equals", None, None, True),
    ("equals", None, "EU", False),
    ("not_equals", "EU", "EEA", True),
    ("not_equals", "EU", "EU", False),
    ("not_equals", None, "x", True),
    ("in", "EU", ["EU", "EEA"], True),
    ("in", "third-country", ["EU", "EEA"], False),
    ("in", None, ["EU"], False),
    ("in", "1", [1, 2], True),
    ("not_in", "US", ["EU", "EEA"], True),
    ("not_in", "EU", ["EU"], False),
    ("exists", "x", True, True),
    ("exists", False, True, True),  # false is a value
    ("exists", 0, True, True),
    ("exists", None, True, False),
    ("exists", "", True, False),
    ("exists", [], True, False),
    ("exists", None, False, True),
    ("exists", "x", False, False),
    ("gt", 31, 30, True),
    ("gt", 30, 30, False),
    ("gt", "31", 30, True),  # numeric tag value
    ("gt", "many", 30, False),
    ("gt", None, 30, False),
    ("gt", True, 0, False),  # a bool is not a number
    ("gte", 30, 30, True),
    ("gte", 29.5, 30, False),
    ("lt", 5, 15, True),
    ("lt", 15, 15, False),
    ("lt", None, 15, False),
    ("lte", 15, 15, True),
    ("lte", 15.1, 15, False),
    ("matches", "cs-prod-eu", r"^cs-.*-eu$", True),
    ("matches", "cs-prod-us", r"^cs-.*-eu$", False),
    ("matches", "xx-cs", "cs", True),  # search, not fullmatch
    ("matches", None, "cs", False),
    ("matches", 12, "1", False),
    ("contains", ["acl", "policy"], "acl", True),
    ("contains", ["policy"], "acl", False),
    ("contains", "email,phone", "phone", True),  # separated tag value
    ("contains", "email,phone", "pho", False),  # items, not substrings, once split
    ("contains", "customer-data", "customer", True),  # plain string: substring
    ("contains", None, "x", False),
    ("not_contains", ["acl"], "policy", True),
    ("not_contains", ["acl"], "acl", False),
    ("subset_of", ["email", "name"], ["email", "name", "phone"], True),
    ("subset_of", ["email", "iban"], ["email", "name"], False),
    ("subset_of", "email;name", ["email", "name"], True),
    ("subset_of", [], ["email"], True),
    ("subset_of", None, ["email"], True),
    ("intersects", ["iban", "x"], ["iban"], True),
    ("intersects", "email phone", ["iban"], False),
    ("intersects", [], ["iban"], False),
    ("older_than_days", "2025-05-01", 30, True),
    ("older_than_days", "2025-06-01", 30, False),
    ("older_than_days", "2025-05-16", 30, False),  # exactly 30 days is not older than 30
    ("older_than_days", dt.date(2024, 1, 1), 365, True),
    ("older_than_days", "2025-05-01T10:00:00Z", 30, True),
    ("older_than_days", "soon", 30, False),
    ("older_than_days", None, 30, False),
    ("newer_than_days", "2025-06-10", 30, True),
    ("newer_than_days", "2025-01-01", 30, False),
    ("newer_than_days", None, 30, False),
    ("date_passed", "2025-06-14", True, True),
    ("date_passed", "2025-06-15", True, False),  # today has not passed yet
    ("date_passed", "2025-06-16", False, True),
    ("date_passed", "2025-06-14", False, False),
    ("date_passed", "never", True, False),
    ("version_gte", "14.10", "14.9", True),
    ("version_gte", "14.2.1", "14.10", False),
    ("version_gte", "macOS 14.2 (23C64)", "14.2", True),
    ("version_gte", "10.0.19045", "10.0.9200", True),
    ("version_gte", "14", "14.0.0", True),
    ("version_gte", "unknown", "1", False),
    ("version_gte", None, "1", False),
    ("version_lt", "13.6.1", "14", True),
    ("imatches", "EUROPE-WEST3", "^europe-", True),
    ("imatches", "europe-west3", "^EUROPE-", True),
    ("imatches", "US-EAST1", "^europe-", False),
    ("imatches", None, "^europe-", False),
    ("version_lt", "14.0", "14", False),
    ("version_lt", "", "14", False),
]


@pytest.mark.parametrize(("name", "actual", "expected", "outcome"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_operator_truth_table(name, actual, expected, outcome):
    assert OPERATORS[name].apply(actual, expected, FIXED_TODAY) is outcome


def test_every_operator_has_cases():
    assert {c[0] for c in CASES} == set(OPERATORS)


def test_every_operator_declares_a_known_value_kind_and_types():
    from policycheck.attributes import VALUE_TYPES

    for op in OPERATORS.values():
        assert op.value in VALUE_CHECKS, op.name
        assert op.accepts <= set(VALUE_TYPES), op.name
        assert op.description


@pytest.mark.parametrize(("kind", "value", "ok"), [
    ("scalar", "x", True), ("scalar", 3, True), ("scalar", None, True), ("scalar", [1], False), ("scalar", {}, False),
    ("list", [1], True), ("list", [], True), ("list", "EU", False),
    ("number", 3, True), ("number", 2.5, True), ("number", True, False), ("number", "3", False),
    ("bool", True, True), ("bool", "true", False), ("bool", 1, False),
    ("regex", "^a+$", True), ("regex", "(", False), ("regex", 5, False),
    ("version", "14.2", True), ("version", "10.0.19045", True), ("version", 14, True), ("version", "latest", False),
    ("version", True, False),
])
def test_value_checks(kind, value, ok):
    assert (VALUE_CHECKS[kind](value) is None) is ok


def test_version_value_rejects_a_yaml_float_that_lost_its_digits():
    # YAML reads an unquoted 14.10 as the float 14.1: comparing against it would let 14.2 pass.
    problem = VALUE_CHECKS["version"](14.1)
    assert problem is not None and "quote" in problem


def test_to_date_forms():
    assert to_date("2025-01-31") == dt.date(2025, 1, 31)
    assert to_date("2025-01-31T23:59:59+02:00") == dt.date(2025, 1, 31)
    assert to_date(dt.datetime(2025, 1, 31, 8)) == dt.date(2025, 1, 31)
    assert to_date("31.01.2025") is None
    assert to_date(20250131) is None


@pytest.mark.parametrize(("text", "items"), [
    ("email,phone", ["email", "phone"]),
    ("email, phone ;address", ["email", "phone", "address"]),
    ("email phone", ["email", "phone"]),
    ("a:b+c/d|e", ["a", "b", "c", "d", "e"]),
    ("order_data__bank_details", ["order_data", "bank_details"]),
    ("  ", []),
    ("", []),
])
def test_as_list_splits_tag_values(text, items):
    assert as_list(text) == items


def test_as_list_keeps_lists_and_wraps_scalars():
    assert as_list(["a b"]) == ["a b"]
    assert as_list(("x",)) == ["x"]
    assert as_list(None) == []
    assert as_list(7) == [7]


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12)


@given(st.lists(_WORD, max_size=8), st.sampled_from([",", ", ", ";", " ", ":", "+", "/", "|", "__", " , "]))
def test_as_list_round_trips_any_separator(items, separator):
    assert as_list(separator.join(items)) == items


@given(st.lists(_WORD, min_size=1, max_size=6), st.lists(_WORD, max_size=6))
def test_subset_of_agrees_with_set_inclusion(items, allowed):
    assert OPERATORS["subset_of"].apply(",".join(items), allowed, FIXED_TODAY) is set(items).issubset(allowed)
