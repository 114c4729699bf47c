"""The compiled forms of conditions and rules give exactly what the condition tree gives.

The engine runs :attr:`Condition.compiled`, :attr:`Condition.known` and :func:`judge_of` for speed; the
oracle here is ``Condition.evaluate`` with a :class:`Trace`, and the message wording of the engine's
contract. Every shape of condition is swept over values of every kind: known, unknown, unknown with a
known bound, absent, and values that are equal yet print differently (``true`` and ``1``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from policycheck.clean import clean_mapping
from policycheck.conditions import AllOf, AnyOf, AttrRef, Condition, Leaf, Lookup, NotOf, Trace
from policycheck.engine import evaluate_resource, evaluate_rule, judge_of
from policycheck.model import Resource, Result, Severity, Unknown
from policycheck.operators import OPERATORS
from policycheck.policy import Rule

DAY = dt.date(2026, 6, 15)
OP = OPERATORS

#: Values the swept attribute ``x`` takes: each kind the engine treats differently.
X_VALUES: dict[str, Any] = {
    "true": True, "false": False, "one": 1, "float-one": 1.0, "text-one": "1", "five": 5, "twenty": 20,
    "none": None, "version": "14.7.1", "old-version": "13.6.9", "date": "2026-01-31", "de": "DE", "list": ["a", "b"],
    "nan": float("nan"), "unknown": "UNKNOWN", "bounded-low": "BOUNDED_LOW", "bounded-high": "BOUNDED_HIGH",
    "absent": "ABSENT",
}

CONDITIONS: dict[str, Condition] = {
    "equals-true": Leaf("x", OP["equals"], True),
    "equals-1": Leaf("x", OP["equals"], 1),
    "lte-10": Leaf("x", OP["lte"], 10),
    "gt-3": Leaf("x", OP["gt"], 3),
    "in-list": Leaf("x", OP["in"], ["DE", "FR", 1]),
    "not-in": Leaf("x", OP["not_in"], ["US"]),
    "version": Leaf("x", OP["version_gte"], "14.0"),
    "older": Leaf("x", OP["older_than_days"], 30),
    "exists": Leaf("x", OP["exists"], True),
    "matches": Leaf("x", OP["matches"], "^1"),
    "attr-ref": Leaf("x", OP["lt"], AttrRef("m")),
    "attr-ref-unknown": Leaf("x", OP["equals"], AttrRef("u")),
    "lookup": Leaf("x", OP["version_gte"], Lookup("minimum", {"gold": "14.0", "silver": "13.0"}, "kind")),
    "lookup-no-entry": Leaf("x", OP["not_in"], Lookup("allowed", {"bronze": ["US"]}, "kind")),
    "lookup-unknown-key": Leaf("x", OP["equals"], Lookup("allowed", {"gold": True}, "u")),
    "all": AllOf((Leaf("a", OP["equals"], True), Leaf("x", OP["lte"], 10))),
    "all-unknown-first": AllOf((Leaf("u", OP["equals"], True), Leaf("x", OP["lte"], 10))),
    "any": AnyOf((Leaf("x", OP["equals"], True), Leaf("x", OP["gte"], 10))),
    "not": NotOf(Leaf("x", OP["in"], ["DE"])),
    "nested": AllOf((AnyOf((Leaf("b", OP["equals"], True), Leaf("x", OP["exists"], True))),
                     NotOf(AllOf((Leaf("x", OP["equals"], False), Leaf("u", OP["equals"], True)))))),
    "tag": Leaf("tags.owner", OP["equals"], "team-a"),
    "field": Leaf("region", OP["in"], ["eu-west-1"]),
}


def resource(x: str) -> Resource:
    value = X_VALUES[x]
    attributes: dict[str, Any] = {"a": True, "b": False, "m": 10, "kind": "gold"}
    unknown = {"u": "access denied"}
    bounds: dict[str, tuple[float | None, float | None]] = {}
    if value == "UNKNOWN":
        unknown["x"] = "throttled"
    elif value in ("BOUNDED_LOW", "BOUNDED_HIGH"):
        unknown["x"] = "only a grace period is reported"
        bounds["x"] = (15, None) if value == "BOUNDED_LOW" else (None, 2)
    elif value != "ABSENT":
        attributes["x"] = value
    return Resource(type="test.store", id=f"r-{x}", name=x, provider="coretest", region="eu-west-1",
                    tags={"owner": "team-a"}, attributes=attributes, unknown=unknown, bounds=bounds,
                    absent="the test source does not report it")


CASES = list(itertools.product(CONDITIONS, X_VALUES))


@pytest.mark.parametrize(("condition", "x"), CASES)
def test_compiled_condition_gives_what_the_tree_gives(condition, x):
    cond, res = CONDITIONS[condition], resource(x)
    expected_trace, trace = Trace(DAY), Trace(DAY)
    outcome = cond.evaluate(res, expected_trace)
    assert cond.compiled(res, trace) is outcome
    assert list(trace.observed.items()) == list(expected_trace.observed.items())  # same values, same order
    assert trace.unknown == expected_trace.unknown


@pytest.mark.parametrize(("condition", "x"), CASES)
def test_known_form_agrees_or_hands_over_at_an_unknown_value(condition, x):
    cond, res = CONDITIONS[condition], resource(x)
    trace = Trace(DAY)
    outcome = cond.evaluate(res, trace)
    known = cond.known
    assert known is not None  # every shape above has the form
    observed: dict[str, Any] = {}
    result = known(res, observed, DAY)
    if result is None:
        assert trace.unknown  # it gives up only where an unknown value was read
    else:
        assert not trace.unknown
        assert result is outcome
        assert list(observed.items()) == list(trace.observed.items())


def _rule(require: Condition, when: Condition | None = None, rule_id: str = "T-1") -> Rule:
    return Rule(id=rule_id, title="t", severity=Severity.MEDIUM, resource_types=("test.store",), require=require,
                when=when)


def _oracle(rule: Rule, res: Resource) -> tuple[Result, str, dict[str, Any]] | None:
    """The engine's contract, from the condition tree (what evaluate_rule returned before it was compiled)."""
    def short(value: Any) -> str:
        text = "null" if value is None else str(value).lower() if isinstance(value, bool) else repr(value)
        return text if len(text) <= 80 else text[:77] + "..."

    def unknown_text(trace: Trace) -> str:
        return "; ".join(f"{p} unknown: {r}" for p, r in trace.unknown.items()) or "value unknown"

    trace = Trace(DAY)
    if rule.when is not None:
        in_scope = rule.when.evaluate(res, trace)
        if in_scope is False:
            return None
        if in_scope is None:
            return Result.ERROR, "scope cannot be decided: " + unknown_text(trace), trace.observed
    outcome = rule.require.evaluate(res, trace)
    if outcome is True:
        return Result.PASS, f"{rule.require.describe()} holds", trace.observed
    if outcome is False:
        seen = ", ".join(f"{p}={short(v)}" for p, v in trace.observed.items()) or "nothing"
        partly = f"; {unknown_text(trace)}" if trace.unknown else ""
        return Result.FAIL, f"expected {rule.require.describe()}; observed {seen}{partly}", trace.observed
    return Result.ERROR, unknown_text(trace), trace.observed


SCOPES: dict[str, Condition | None] = {
    "no scope": None,
    "scope on a": Leaf("a", OP["equals"], True),
    "scope on b": Leaf("b", OP["equals"], True),
    "scope on x": Leaf("x", OP["exists"], True),
    "scope on u": Leaf("u", OP["equals"], True),
}


@pytest.mark.parametrize(("scope", "condition"), list(itertools.product(SCOPES, CONDITIONS)))
def test_compiled_rule_gives_the_result_message_and_values_of_the_tree(scope, condition):
    rule = _rule(CONDITIONS[condition], SCOPES[scope])
    for x in [*X_VALUES, *reversed(X_VALUES)]:  # twice, in both orders: remembered verdicts must not leak
        res = resource(x)
        got, expected = evaluate_rule(rule, res, DAY), _oracle(rule, res)
        assert got == expected, x
        if got is not None and expected is not None:
            assert list(got[2].items()) == list(expected[2].items()), x


def test_a_remembered_verdict_is_kept_apart_for_values_that_are_equal_but_print_differently():
    rule = _rule(Leaf("x", OP["lte"], 10))
    outcomes = [evaluate_rule(rule, resource(x), DAY) for x in ("true", "one", "float-one", "true", "one")]
    assert [(o[0], o[1]) for o in outcomes if o] == [
        (Result.FAIL, "expected x lte 10; observed x=true"), (Result.PASS, "x lte 10 holds"),
        (Result.PASS, "x lte 10 holds"), (Result.FAIL, "expected x lte 10; observed x=true"),
        (Result.PASS, "x lte 10 holds")]


def test_findings_of_many_resources_share_no_values_read():
    rule = _rule(Leaf("x", OP["equals"], True))
    first, second = (evaluate_resource([rule], resource("true"), DAY)[0] for _ in range(2))
    assert first.observed == second.observed == {"x": True}
    assert first.observed is not second.observed  # a report may hold both; neither changes with the other


def test_a_rule_is_compiled_once():
    rule = _rule(CONDITIONS["all"])
    assert judge_of(rule) is judge_of(rule)
    assert CONDITIONS["all"].compiled is CONDITIONS["all"].compiled


class _Hostile:
    """A value whose comparison raises (a provider bug): the finding must be an error, never a pass."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparison")

    __hash__ = object.__hash__


@pytest.mark.parametrize("condition", [Leaf("x", OP["equals"], True), AllOf((Leaf("x", OP["in"], ["DE"]),))])
def test_a_crashing_comparison_is_an_error_finding_on_the_compiled_path_too(condition):
    res = Resource(type="test.store", id="r", name="r", provider="coretest", attributes={"x": _Hostile()})
    [finding] = evaluate_resource([_rule(condition)], res, DAY)
    assert finding.result is Result.ERROR
    assert finding.message == "internal error while evaluating: RuntimeError: no comparison"


def test_clean_mapping_copies_safe_maps_and_cleans_unsafe_ones():
    safe = {"os.name": "macOS", "managed": True, "n": 3, "f": 1.5, "none": None}
    copied = clean_mapping(safe)
    assert copied == safe and copied is not safe
    dirty = {"name\x1b[31m": "red\u202eevil", "ok": ["a\nb"], 5: "five", "nested": {"k": "v\x00"}}
    assert clean_mapping(dirty) == {"name\ufffd[31m": "red\ufffdevil", "ok": ["a b"], 5: "five",
                                    "nested": {"k": "v\ufffd"}}
    assert clean_mapping({}) == {}


def test_resource_names_are_cleaned_one_by_one_when_any_is_unsafe():
    res = Resource(type="t", id="id\x07", name="n\u202e", provider="p", account="acc", region="")
    assert (res.id, res.name, res.account, res.region) == ("id\ufffd", "n\ufffd", "acc", "")
    assert Unknown("x") != Unknown("y")
