"""JSON Schemas generated from the registries: policy packs, waivers, config.

The published files under ``policycheck/schemas/`` are these documents written out
(``policycheck schema --write``); a test keeps them current.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from .attributes import RESOURCE_TYPES
from .conditions import COMBINATORS
from .model import SEVERITIES, Result
from .operators import OPERATORS
from .registry import did_you_mean

if TYPE_CHECKING:  # jsonschema is imported when a document is validated, keeping the CLI's start fast
    import jsonschema

__all__ = [
    "API_VERSION",
    "DRAFT",
    "RULE_ID_PATTERN",
    "condition_schema",
    "error_path",
    "explain_schema_error",
    "first_error",
    "policy_pack_schema",
    "published_schemas",
    "report_schema",
    "validation_error",
    "waivers_schema",
]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
RULE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
API_VERSION = "policycheck/v1"


def condition_schema() -> dict[str, Any]:
    """A condition: a leaf ``{attr, OPERATOR}`` (operators from the table) or one combinator."""
    leaf = {
        "type": "object",
        "description": "Compare one attribute: {attr: PATH, OPERATOR: VALUE}.",
        "properties": {"attr": {"type": "string", "minLength": 1},
                       **{name: {"description": op.description} for name, op in OPERATORS.items()}},
        "required": ["attr"],
        "additionalProperties": False,
        "minProperties": 2,
        "maxProperties": 2,
    }
    combinator = {
        name: {
            "type": "object",
            "properties": {name: {"$ref": "#/$defs/condition"} if name == "not"
                           else {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}}},
            "required": [name],
            "additionalProperties": False,
        }
        for name in COMBINATORS
    }
    return {"oneOf": [leaf, *combinator.values()]}


def policy_pack_schema() -> dict[str, Any]:
    """A policy pack file; rule ``resources`` lists the registered types and kinds."""
    kinds = sorted({t.kind for _, t in RESOURCE_TYPES.items()})
    return {
        "$schema": DRAFT,
        "$id": "https://policycheck.dev/schemas/policy-pack-v1.json",
        "title": "policycheck policy pack",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "rules"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": "PolicyPack"},
            "metadata": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]*$"},
                    "version": {"type": "string"},
                    "description": {"type": "string"},
                    "out_of_scope": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["duty", "references"],
                            "additionalProperties": False,
                            "properties": {
                                "duty": {"type": "string"},
                                "references": {"type": "array", "items": {"type": "string"}},
                                "reason": {"type": "string"},
                            },
                        },
                    },
                },
            },
            "params": {"type": "object", "description": "Named values rules reference as $params.NAME."},
            "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
        },
        "$defs": {
            "rule": {
                "type": "object",
                "required": ["id", "title", "severity", "resources", "require"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": RULE_ID_PATTERN},
                    "title": {"type": "string", "minLength": 1},
                    "description": {"type": "string"},
                    "severity": {"enum": list(SEVERITIES)},
                    "resources": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "minLength": 1},
                        "description": "Resource types, kinds (" + ", ".join(kinds) + ") or globs such as aws.*. "
                                       "Known types: " + ", ".join(RESOURCE_TYPES.names()),
                    },
                    "when": {"$ref": "#/$defs/condition"},
                    "require": {"$ref": "#/$defs/condition"},
                    "references": {"type": "array", "items": {"type": "string"}},
                    "remediation": {"type": "string"},
                },
            },
            "condition": condition_schema(),
        },
    }


def waivers_schema() -> dict[str, Any]:
    """A waiver file."""
    return {
        "$schema": DRAFT,
        "$id": "https://policycheck.dev/schemas/waivers-v1.json",
        "title": "policycheck waivers",
        "type": "object",
        "required": ["apiVersion", "kind", "waivers"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": "Waivers"},
            "waivers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["rule", "reason", "approver", "expires"],
                    "additionalProperties": False,
                    "anyOf": [{"required": ["resource"]}, {"required": ["tags"]}],
                    "properties": {
                        "id": {"type": "string"},
                        "rule": {"type": "string", "minLength": 1, "description": "Rule id or glob."},
                        "resource": {"type": "string", "minLength": 1, "description": "Resource id glob."},
                        "tags": {"type": "object", "minProperties": 1,
                                 "additionalProperties": {"type": "string"}},
                        "scope": {"const": "tagged", "description": "Required when a waiver selects by 'tags' "
                                  "only and its 'rule' is a glob: acknowledges that anyone who can tag a resource "
                                  "can exempt it from every matching rule."},
                        "reason": {"type": "string", "minLength": 3},
                        "approver": {"type": "string", "minLength": 1},
                        "created": {"type": "string", "format": "date"},
                        "expires": {"type": "string", "format": "date",
                                    "description": "Last day the waiver applies (YYYY-MM-DD)."},
                    },
                },
            },
        },
    }


def report_schema() -> dict[str, Any]:
    """The JSON report (format policycheck/report/v1): what CI and baselines may rely on."""
    string_or_null = {"type": ["string", "null"]}
    resource = {"type": "object", "required": ["type", "id", "name", "provider", "account", "region"],
                "properties": {
                    **{k: {"type": "string"} for k in ("type", "id", "name", "provider", "account", "region")},
                    "source": {"type": "object", "required": ["path", "line"],
                               "description": "Where the resource is declared in code (infrastructure as code).",
                               "properties": {"path": {"type": "string"}, "line": {"type": "integer", "minimum": 1}}},
                }}
    finding = {
        "type": "object",
        "required": ["fingerprint", "rule_id", "severity", "result", "message", "resource", "observed", "waiver"],
        "properties": {
            "fingerprint": {"type": "string", "description": "Stable across runs: rule, account, region, resource."},
            "rule_id": {"type": "string"},
            "title": {"type": "string"},
            "severity": {"enum": list(SEVERITIES)},
            "result": {"enum": [r.value for r in Result]},
            "new": {"type": ["boolean", "null"], "description": "Not in the baseline (null without --baseline)."},
            "message": {"type": "string"},
            "resource": resource,
            "observed": {"type": "object"},
            "references": {"type": "array", "items": {"type": "string"}},
            "waiver": {"type": ["object", "null"]},
            "first_seen": {"type": "string", "format": "date",
                           "description": "Failing findings: the day first seen (carried over from the baseline)."},
            "age_days": {"type": "integer", "minimum": 0},
            "deadline": {"type": ["string", "null"], "description": "first_seen plus the sla days of the severity."},
            "past_deadline": {"type": "boolean"},
        },
    }
    return {
        "$schema": DRAFT,
        "$id": "https://policycheck.dev/schemas/report-v1.json",
        "title": "policycheck JSON report",
        "type": "object",
        "required": ["format", "run", "packs", "summary", "rules", "findings", "waivers", "coverage"],
        "properties": {
            "format": {"const": "policycheck/report/v1"},
            "run": {"type": "object", "required": ["tool", "version", "started", "finished", "exit_code"],
                    "properties": {"exit_code": {"enum": [0, 1]}, "evaluated_on": string_or_null, "shard": {
                        "type": "object", "required": ["index", "count", "partition"],
                        "description": "Present in the report of one shard (--shard I/N); 'policycheck merge' joins "
                        "the shards into one report without it.",
                        "properties": {"index": {"type": "integer", "minimum": 1},
                                       "count": {"type": "integer", "minimum": 1},
                                       "partition": {"type": "object", "description": "Provider -> how it split "
                                                     "its work (account, project, inventory file, resource id).",
                                                     "additionalProperties": {"type": "string"}}}}}},
            "packs": {"type": "array", "items": {"type": "object", "required": ["name", "version"]}},
            "summary": {"type": "object", "required": ["resources", "results", "by_severity", "failing"],
                        "properties": {"by_rule": {
                            "type": "object", "description": "Rule id -> result -> count, passes left out included.",
                            "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}}}}},
            "selection": {
                "type": "object", "description": "What --rule, --skip-rule, --severity, --reference and the config's "
                "rules: left out or changed.",
                "properties": {
                    "criteria": {"type": "object",
                                 "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                    "deselected": {"type": "array", "items": {"type": "object", "required": ["rule_id", "reason"]}},
                    "overridden": {"type": "array", "items": {
                        "type": "object", "required": ["rule_id", "severity", "pack_severity"]}}}},
            "rules": {"type": "array", "items": {"type": "object", "required": ["id", "title", "severity"]}},
            "findings": {"type": "array", "items": finding},
            "collection_problems": {"type": "array"},
            "skipped": {"type": "array", "description": "Rules not evaluated on resources whose source can never know "
                        "an attribute they read (e.g. a plan); not failing.", "items": {
                            "type": "object",
                            "required": ["rule_id", "resource_type", "provider", "reason", "resources"]}},
            "waivers": {"type": "object", "required": ["applied", "expired", "unused"]},
            "coverage": {"type": "array", "items": {"type": "object", "required": ["reference", "rules"]}},
            "baseline": {"type": ["object", "null"]},
        },
    }


def published_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema document, as shipped under policycheck/schemas/."""
    return {
        "policy-pack.schema.json": policy_pack_schema(),
        "waivers.schema.json": waivers_schema(),
        "report.schema.json": report_schema(),
        "policy-tests.schema.json": _policy_tests_schema(),
    }


def _policy_tests_schema() -> dict[str, Any]:
    from .policytest import policy_tests_schema  # the test file format lives with its runner

    return policy_tests_schema()


def validation_error(schema: dict[str, Any], document: Any) -> jsonschema.ValidationError | None:
    """The one error of ``document`` against ``schema`` worth reporting (see :func:`first_error`), or None."""
    import jsonschema

    return first_error(jsonschema.Draft202012Validator(schema).iter_errors(document))


def first_error(errors: Iterable[jsonschema.ValidationError]) -> jsonschema.ValidationError | None:
    """The error to report: the shallowest; at one depth an unknown key before a missing one
    (a misspelt key explains the required key that seems absent)."""
    return min(errors, default=None, key=lambda e: (len(e.absolute_path), e.validator != "additionalProperties",
                                                    list(map(str, e.absolute_path))))


def error_path(error: jsonschema.ValidationError) -> tuple[str | int, ...]:
    """Where to point: the offending key itself for an unknown key, else the failing value."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = cast(Mapping[str, Any], error.schema)  # additionalProperties fails only in an object schema
        extra = [k for k in error.instance if k not in schema.get("properties", {})]
        if extra:
            return (*path, extra[0])
    return path


def explain_schema_error(error: jsonschema.ValidationError) -> str:
    """Rewrite jsonschema's message so it names the real problem."""
    if error.validator == "additionalProperties":
        schema = cast(Mapping[str, Any], error.schema)  # additionalProperties fails only in an object schema
        extra = [k for k in cast(Mapping[str, Any], error.instance) if k not in schema.get("properties", {})]
        allowed = list(schema.get("properties", {}))
        hint = did_you_mean(extra[0], allowed) if extra else ""
        return f"unknown key '{extra[0] if extra else '?'}'{hint}; allowed: {', '.join(allowed)}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "enum":
        choices = cast(list[Any], error.validator_value)  # an enum keyword's value is its list
        hint = did_you_mean(str(error.instance), [str(v) for v in choices])
        return f"{error.instance!r} is not one of {', '.join(map(str, choices))}{hint}"
    if error.validator == "const":
        return f"must be {error.validator_value!r}, got {error.instance!r}"
    if error.validator == "type":
        return f"must be {error.validator_value}, got {type(error.instance).__name__} {error.instance!r}"
    if error.validator == "pattern":
        return f"{error.instance!r} does not match the pattern {error.validator_value}"
    return error.message
