"""``policycheck test``: sample resources with the result each named rule must give, as ``opa test`` or
``conftest verify`` do for Rego, but as data (schema: ``policy-tests.schema.json``)::

    apiVersion: policycheck/v1
    kind: PolicyTests
    evaluation_date: 2026-06-01          # optional; default --evaluation-date, else today
    params: {allowed_purposes: [billing]}  # optional pack param overrides for every test
    resources:                           # optional named samples, reused by tests
      s3: {type: aws.s3.bucket, tags: {data-classification: personal}, attributes: {encryption.at_rest: true}}
    tests:
      - name: unencrypted bucket fails
        resource: {extends: s3, attributes: {encryption.at_rest: false}}
        expect: {GDPR-SEC-001: fail, GDPR-LOC-001: skip}

``skip``: the rule does not apply (out of its ``when`` scope, or it does not target the type). A tag
or ``unknown`` entry set to null removes it; ``unknown: {attr: reason}`` makes a value unknown.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .attributes import RESOURCE_TYPES
from .engine import evaluate_rule
from .errors import InputError
from .model import Resource, Result
from .policy import PolicyPack, Rule
from .registry import did_you_mean
from .schema import DRAFT, error_path, explain_schema_error, validation_error
from .yamlsource import PathKey, YamlDocument, format_path, load_yaml

__all__ = ["EXPECTATIONS", "KIND", "Outcome", "TestCase", "find_test_files", "load_tests", "policy_tests_schema",
           "render", "run_tests"]

KIND = "PolicyTests"
#: What a test may expect of a rule: an engine result, or ``skip`` (the rule does not apply).
EXPECTATIONS = ("pass", "fail", "error", "skip")

_NAME = {"type": "string", "pattern": r"^[A-Za-z0-9_.:-]+$"}
_RESOURCE_FIELDS = {
    "type": {"type": "string", "description": "Resource type (aws.s3.bucket, device, ...)."},
    "id": {"type": "string"}, "name": {"type": "string"}, "provider": {"type": "string"},
    "account": {"type": "string"}, "region": {"type": "string"},
    "tags": {"type": "object", "additionalProperties": {"type": ["string", "null"]},
             "description": "Tags or labels; null removes one inherited with extends."},
    "attributes": {"type": "object", "description": "Attribute values by dotted name (encryption.at_rest)."},
    "unknown": {"type": "object", "additionalProperties": {"type": ["string", "null"]},
                "description": "Attributes that could not be collected, with the reason ('tags': every tag)."},
}


def policy_tests_schema() -> dict[str, Any]:
    """JSON Schema of a policy test file (``kind: PolicyTests``)."""
    resource = {"type": "object", "additionalProperties": False, "properties": _RESOURCE_FIELDS}
    return {
        "$schema": DRAFT,
        "$id": "https://policycheck.dev/schemas/policy-tests-v1.json",
        "title": "policycheck policy tests",
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "tests"],
        "properties": {
            "apiVersion": {"const": "policycheck/v1"},
            "kind": {"const": KIND},
            "description": {"type": "string"},
            "evaluation_date": {"type": "string", "format": "date", "description": "Evaluate as of this day."},
            "params": {"type": "object", "description": "Pack param overrides for every test of the file."},
            "resources": {"type": "object", "propertyNames": _NAME, "additionalProperties": {
                **resource, "required": ["type"]}, "description": "Named sample resources."},
            "tests": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["name", "resource", "expect"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "resource": {"oneOf": [
                        {"type": "string", "description": "A named sample of resources:."},
                        {**resource, "properties": {**_RESOURCE_FIELDS, "extends": {
                            "type": "string", "description": "A named sample to start from."}}}]},
                    "params": {"type": "object", "description": "Pack param overrides for this test."},
                    "expect": {"type": "object", "minProperties": 1, "description": "Rule id -> expected result.",
                               "additionalProperties": {"enum": list(EXPECTATIONS)}},
                }}},
        },
    }


@dataclass(frozen=True)
class TestCase:
    """One test: where it is, its resource, its params and what each rule must give."""

    __test__ = False  # not a pytest class

    name: str
    source: str
    place: str
    resource: Callable[[], Resource]
    expect: Mapping[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)
    evaluation_date: dt.date | None = None


@dataclass(frozen=True)
class Outcome:
    """One expectation checked: the rule's actual result and, for a mismatch, its trace."""

    case: TestCase
    rule_id: str
    expected: str
    actual: str
    trace: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


# -- loading -------------------------------------------------------------------------------------
def find_test_files(paths: list[str]) -> list[Path]:
    """Files and folders (every ``*.yaml``/``*.yml`` inside declaring ``kind: PolicyTests``)."""
    found: list[Path] = []
    for spec in paths:
        path = Path(spec)
        if path.is_dir():
            found += [p for p in sorted(path.rglob("*")) if p.suffix in (".yaml", ".yml") and _declares_kind(p)]
        elif path.exists():
            found.append(path)
        else:
            raise InputError("no such test file or folder", source=spec)
    if not found:
        raise InputError(f"no test files (YAML with 'kind: {KIND}')", source=", ".join(paths) or ".")
    return found


def _declares_kind(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as handle:
        return any(line.strip() in (f"kind: {KIND}", f'kind: "{KIND}"') for line in handle.read(4096).splitlines())


def load_tests(paths: list[str], rule_ids: list[str]) -> list[TestCase]:
    """Every test of the files, checked: schema, resource types and attributes, rule ids (with did-you-mean)."""
    schema = policy_tests_schema()
    cases: list[TestCase] = []
    for path in find_test_files(paths):
        document = load_yaml(path, InputError, what="test file")
        error = validation_error(schema, document.data)
        if error is not None:
            raise InputError(f"{format_path(tuple(error.absolute_path))}: {explain_schema_error(error)}",
                             source=document.source, place=document.place(error_path(error)))
        cases += _FileReader(document, rule_ids).cases()
    return cases


class _FileReader:
    """Turns one validated test document into test cases; errors name file:line:col."""

    def __init__(self, document: YamlDocument, rule_ids: list[str]):
        self.document = document
        self.rule_ids = rule_ids
        self.data: dict[str, Any] = document.data
        self.samples: dict[str, Any] = self.data.get("resources") or {}

    def fail(self, message: str, where: PathKey) -> InputError:
        return InputError(f"{format_path(where)}: {message}", source=self.document.source,
                          place=self.document.place(where))

    def cases(self) -> list[TestCase]:
        day = self.data.get("evaluation_date")
        evaluation_date = dt.date.fromisoformat(str(day)) if day else None
        for name, sample in self.samples.items():
            self.spec(sample, ("resources", name))
        out = []
        for index, test in enumerate(self.data["tests"]):
            where: PathKey = ("tests", index)
            spec = self.spec(test["resource"], (*where, "resource"))
            for rule_id in test["expect"]:
                if rule_id not in self.rule_ids:
                    raise self.fail(f"unknown rule id '{rule_id}'{did_you_mean(rule_id, self.rule_ids)}",
                                    (*where, "expect", rule_id))
            out.append(TestCase(test["name"], self.document.source, self.document.place(where),
                                functools.partial(_resource, spec, f"test-{index}"), dict(test["expect"]),
                                {**(self.data.get("params") or {}), **(test.get("params") or {})}, evaluation_date))
        return out

    def spec(self, value: Any, where: PathKey) -> dict[str, Any]:
        """The resource fields of a test (a sample name, or fields that may extend one), checked."""
        if isinstance(value, str):
            value = {"extends": value}
        spec: dict[str, Any] = {}
        if "extends" in value:
            base = value["extends"]
            if base not in self.samples:
                raise self.fail(f"no resource named '{base}'{did_you_mean(base, list(self.samples))}",
                                (*where, "extends") if len(where) > 2 else where)
            spec = _merged(self.samples[base], {})
        spec = _merged(spec, {k: v for k, v in value.items() if k != "extends"})
        type_name = spec.get("type")
        if not isinstance(type_name, str) or type_name not in RESOURCE_TYPES:
            known = RESOURCE_TYPES.names()
            raise self.fail(f"unknown resource type '{type_name}'{did_you_mean(str(type_name), known)}",
                            (*where, "type"))
        resource_type = RESOURCE_TYPES.get(type_name)
        for path in (*spec.get("attributes", {}), *(k for k in spec.get("unknown", {}) if k != "tags")):
            if resource_type.attribute(path) is None:
                hint = did_you_mean(path, list(resource_type.by_name))
                raise self.fail(f"unknown attribute '{path}' of {type_name}{hint}", where)
        return spec


def _merged(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``; tags, attributes and unknown merge key by key, a null tag/unknown removes."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for key, value in extra.items():
        if key in ("tags", "attributes", "unknown"):
            merged = {**out.get(key, {}), **value}
            out[key] = {k: v for k, v in merged.items() if v is not None or key == "attributes"}
        else:
            out[key] = value
    return out


def _resource(spec: Mapping[str, Any], default_id: str) -> Resource:
    attributes = dict(spec.get("attributes") or {})
    unknown = dict(spec.get("unknown") or {})
    resource_type = RESOURCE_TYPES.get(spec["type"])
    return Resource(type=spec["type"], id=spec.get("id", default_id), name=spec.get("name", spec.get("id", default_id)),
                    provider=spec.get("provider", resource_type.provider), account=spec.get("account", ""),
                    region=spec.get("region", str(attributes.get("location.region") or "")),
                    tags=None if "tags" in unknown else dict(spec.get("tags") or {}), attributes=attributes,
                    unknown=unknown)


# -- running -------------------------------------------------------------------------------------
def run_tests(cases: list[TestCase], packs_for: Callable[[Mapping[str, Any]], list[PolicyPack]],
              today: dt.date) -> Iterator[Outcome]:
    """Check every expectation; ``packs_for(params)`` loads the packs with a test's param overrides."""
    for case in cases:
        rules = {r.id: r for pack in packs_for(case.params) for r in pack.rules}
        resource = case.resource()
        for rule_id, expected in case.expect.items():
            actual, trace = _actual(rules[rule_id], resource, case.evaluation_date or today)
            yield Outcome(case, rule_id, expected, actual, () if actual == expected else trace)


def _actual(rule: Rule, resource: Resource, day: dt.date) -> tuple[str, tuple[str, ...]]:
    explain = [f"when:     {rule.when.describe()}" if rule.when else "when:     (every resource of its types)",
               f"require:  {rule.require.describe()}"]
    if not rule.applies_to(resource.type):
        return "skip", (*explain, f"result:   skip ({rule.id} does not target {resource.type})")
    try:
        outcome = evaluate_rule(rule, resource, day)
    except Exception as exc:  # as the engine does: a crash is an error, never a pass
        return Result.ERROR.value, (*explain, f"result:   error (internal: {type(exc).__name__}: {exc})")
    if outcome is None:
        return "skip", (*explain, "result:   skip (out of scope: 'when' does not hold)")
    result, message, observed = outcome
    values = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in observed.items()) or "nothing"
    return result.value, (*explain, f"result:   {result.value}: {message}", f"observed: {values}")


def render(outcomes: list[Outcome], seconds: float, header: str) -> str:
    """pytest-style: a dot per passing expectation, F per mismatch, then each mismatch with its trace."""
    lines = [header]
    by_file: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_file.setdefault(outcome.case.source, []).append(outcome)
    for source, items in by_file.items():
        marks = "".join("." if o.ok else "F" for o in items)
        lines.append(source)
        lines += [f"  {marks[i:i + 76]}" for i in range(0, len(marks), 76)]
    failed = [o for o in outcomes if not o.ok]
    if failed:
        lines += ["", "=" * 30 + " FAILURES " + "=" * 30]
    for outcome in failed:
        case = outcome.case
        lines += [f"___ {case.source}:{case.place} {case.name} [{outcome.rule_id}] ___",
                  f"expected {outcome.expected}, got {outcome.actual}", *(f"  {line}" for line in outcome.trace), ""]
    counts = f"{len(failed)} failed, {len(outcomes) - len(failed)} passed" if failed else f"{len(outcomes)} passed"
    lines.append(f"{'=' * 8} {counts} in {seconds:.2f} s {'=' * 8}")
    return "\n".join(lines) + "\n"


def clock() -> float:
    """Seconds for the summary line (monotonic)."""
    return time.monotonic()
