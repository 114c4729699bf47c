"""Combinators over leaves, with three-valued logic: True, False, None (unknown)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from policycheck.conditions import AllOf, AnyOf, AttrRef, Leaf, Lookup, NotOf, Trace
from policycheck.errors import CollectionError
from policycheck.model import Resource
from policycheck.operators import OPERATORS

DAY = dt.date(2026, 6, 15)  # the evaluation date of these tests

T, F, U = "true", "false", "unknown"


def resource(**fetched) -> Resource:
    """A resource with attributes a=True, b=False, and u unknown (its group fails)."""
    def broken():
        raise CollectionError("denied", action="test:GetU")
    return Resource(type="test.store", id="r", name="r", provider="coretest",
                    attributes={"a": True, "b": False, "n": 10, "m": 20, "kind": "gold", "none": None},
                    fetchers={"ugroup": broken}, group_of=lambda p: "ugroup" if p.startswith("u") else "core")


LEAF = {T: Leaf("a", OPERATORS["equals"], True), F: Leaf("b", OPERATORS["equals"], True),
        U: Leaf("u", OPERATORS["equals"], True)}
VALUE = {T: True, F: False, U: None}


def kleene_and(values):
    if False in values:
        return False
    return None if None in values else True


def kleene_or(values):
    if True in values:
        return True
    return None if None in values else False


@pytest.mark.parametrize("combo", [*itertools.product((T, F, U), repeat=2), (T, T, U), (F, U, U), (U,)])
def test_all_and_any_follow_kleene_logic(combo):
    items = tuple(LEAF[c] for c in combo)
    values = [VALUE[c] for c in combo]
    assert AllOf(items).evaluate(resource(), Trace(DAY)) is kleene_and(values)
    assert AnyOf(items).evaluate(resource(), Trace(DAY)) is kleene_or(values)


@pytest.mark.parametrize(("child", "outcome"), [(T, False), (F, True), (U, None)])
def test_not(child, outcome):
    assert NotOf(LEAF[child]).evaluate(resource(), Trace(DAY)) is outcome


def test_nested_combinators():
    cond = AllOf((AnyOf((LEAF[F], NotOf(LEAF[F]))), NotOf(AnyOf((LEAF[F], LEAF[F])))))
    assert cond.evaluate(resource(), Trace(DAY)) is True
    assert NotOf(NotOf(LEAF[U])).evaluate(resource(), Trace(DAY)) is None


def test_all_stops_reading_after_the_first_false():
    reads = []

    def fetch_x():
        reads.append("x")
        return {"x": 1}
    r = Resource(type="t", id="r", name="r", provider="p", attributes={"b": False}, fetchers={"xg": fetch_x},
                 group_of=lambda p: "xg" if p == "x" else "core")
    cond = AllOf((Leaf("b", OPERATORS["equals"], True), Leaf("x", OPERATORS["equals"], 1)))
    assert cond.evaluate(r, Trace(DAY)) is False
    assert reads == []
    assert AnyOf((Leaf("b", OPERATORS["equals"], False), Leaf("x", OPERATORS["equals"], 1))).evaluate(
        r, Trace(DAY)) is True
    assert reads == []


def test_trace_records_observed_values_and_unknown_reasons():
    trace = Trace(DAY)
    AllOf((LEAF[T], LEAF[U])).evaluate(resource(), trace)
    assert trace.observed == {"a": True}
    assert trace.unknown == {"u": "denied (test:GetU)"}


def test_attr_ref_compares_two_attributes():
    assert Leaf("n", OPERATORS["lt"], AttrRef("m")).evaluate(resource(), Trace(DAY)) is True
    assert Leaf("m", OPERATORS["lt"], AttrRef("n")).evaluate(resource(), Trace(DAY)) is False
    assert Leaf("n", OPERATORS["lt"], AttrRef("u")).evaluate(resource(), Trace(DAY)) is None
    assert Leaf("n", OPERATORS["lt"], AttrRef("m")).attributes() == {"n", "m"}


def test_lookup_indexes_a_param_map_by_an_attribute():
    limits = {"gold": 15, "silver": 5}
    leaf = Leaf("n", OPERATORS["lte"], Lookup("limits", limits, "kind"))
    assert leaf.evaluate(resource(), Trace(DAY)) is True
    assert Leaf("m", OPERATORS["lte"], Lookup("limits", limits, "kind")).evaluate(resource(), Trace(DAY)) is False
    assert Leaf("n", OPERATORS["lte"], Lookup("limits", limits, "u")).evaluate(resource(), Trace(DAY)) is None
    # a key missing from the map (or absent) gives no entry: no operator holds, not even a negated one
    trace = Trace(DAY)
    assert Leaf("n", OPERATORS["lte"], Lookup("limits", limits, "none")).evaluate(resource(), trace) is False
    negated = Leaf("n", OPERATORS["not_in"], Lookup("limits", {"silver": [1]}, "kind"))
    assert negated.evaluate(resource(), trace) is False
    assert trace.observed["params.limits[none]"] is None
    seen = Trace(DAY)
    leaf.evaluate(resource(), seen)
    assert seen.observed["params.limits[kind]"] == 15  # the finding shows what was compared with
    assert leaf.attributes() == {"n", "kind"}
    assert "params.limits[kind]" in leaf.describe()


def test_attributes_collects_every_path():
    cond = AllOf((LEAF[T], AnyOf((LEAF[F], NotOf(LEAF[U])))))
    assert cond.attributes() == {"a", "b", "u"}


def test_describe_is_readable():
    cond = AllOf((Leaf("a", OPERATORS["equals"], True), NotOf(Leaf("k", OPERATORS["in"], ["EU", "EEA"]))))
    assert cond.describe() == 'all(a equals true; not(k in ["EU", "EEA"]))'
