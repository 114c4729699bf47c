"""Load policy packs in stages, each error one line naming file and place.

1. YAML syntax (line:column), 2. the generated JSON Schema (path of the offending key),
3. semantics: resource types, attributes (with did-you-mean), operator/value types, duplicate
rule ids, regular expressions, params.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from .attributes import OPEN_PREFIXES, RESOURCE_FIELDS, RESOURCE_TYPES, AttributeSpec, expand_type_selector
from .conditions import COMBINATORS, AttrRef, Condition, Leaf, Lookup, NotOf
from .errors import PolicyError
from .model import Severity
from .operators import OPERATORS, VALUE_CHECKS, is_number
from .policy import PolicyPack, Rule
from .provider import load_providers
from .registry import did_you_mean
from .schema import error_path, explain_schema_error, policy_pack_schema, validation_error
from .yamlsource import PathKey, YamlDocument, format_path, load_yaml

__all__ = ["Overrides", "builtin_packs", "load_packs", "resolve_policy_paths"]

PARAM_REF = "$params."
ATTR_PARAM = re.compile(r"\$\{params\.([A-Za-z0-9_-]+)\}")
_FIELD_SPECS = {spec.name: spec for spec in RESOURCE_FIELDS}
#: Operators whose value lists possible attribute values (checked against an attribute's enum).
_ENUM_CHECKED = {"equals": False, "not_equals": False, "in": True, "not_in": True}
#: Ordering operators read a number from text only where text holds numbers by convention: tags (retention-days).
NUMBER_OPERATORS = frozenset({"gt", "gte", "lt", "lte"})
NUMBERS_IN_TEXT = ("tags.",)
#: Which policy values can ever equal a value of each attribute type (null fits every type).
_VALUE_FITS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int": (lambda v: is_number(v), "a number"),
    "number": (lambda v: is_number(v), "a number"),
    "string": (lambda v: isinstance(v, str | int | float), "text"),
    "date": (lambda v: isinstance(v, str), "a date such as 2026-12-31"),
    "version": (lambda v: isinstance(v, str) or is_number(v), "a version"),
    "list": (lambda v: True, "a list"),
    "map": (lambda v: True, "any value"),
}


def builtin_packs() -> dict[str, Any]:
    """Built-in pack names -> their YAML resource (``policies/*.yaml``)."""
    folder = resources.files("policycheck.policies")
    return {entry.name.rsplit(".", 1)[0]: entry for entry in folder.iterdir()
            if entry.name.endswith((".yaml", ".yml"))}


def resolve_policy_paths(specs: list[str]) -> list[Path]:
    """Expand ``--policy`` values: files, folders (every *.yaml inside) or built-in pack names."""
    paths: list[Path] = []
    builtins = builtin_packs()
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            if not found:
                raise PolicyError("folder holds no .yaml policy files", source=spec)
            paths.extend(found)
        elif path.exists():
            paths.append(path)
        elif spec in builtins:
            with resources.as_file(builtins[spec]) as real:
                paths.append(Path(real))
        else:
            hint = did_you_mean(spec, list(builtins))
            raise PolicyError(f"no such policy file, folder or built-in pack{hint}; built-in packs: "
                              f"{', '.join(sorted(builtins)) or 'none'}", source=spec)
    return paths


class Overrides(dict[str, Any]):
    """Param overrides by name that remember where each came from (``--param`` or a config file)."""

    def __init__(self, values: Mapping[str, Any] | None = None, sources: Mapping[str, str] | None = None):
        super().__init__(values or {})
        self.sources = dict(sources or {})


def load_packs(specs: list[str], overrides: Mapping[str, Any] | None = None) -> list[PolicyPack]:
    """Load and validate every pack; ``overrides`` replace declared params by name."""
    load_providers()
    documents = [load_yaml(path, PolicyError, what="policy file") for path in resolve_policy_paths(specs)]
    sources = getattr(overrides, "sources", {})
    overrides = dict(overrides or {})
    _check_overrides(documents, overrides, sources)
    seen_ids: dict[str, str] = {}
    packs = [_PackParser(doc, overrides, seen_ids).parse() for doc in documents]
    names = [p.name for p in packs]
    for name in names:
        if names.count(name) > 1:
            raise PolicyError(f"pack '{name}' is loaded twice", source=next(p.source for p in packs if p.name == name))
    return packs


def _check_overrides(documents: list[YamlDocument], overrides: dict[str, Any], sources: Mapping[str, str]) -> None:
    declared: dict[str, Any] = {}
    for doc in documents:
        params = doc.data.get("params") if isinstance(doc.data, dict) else None
        if isinstance(params, dict):
            declared.update(params)
    for name, value in overrides.items():
        if name not in declared:
            raise PolicyError(f"unknown param '{name}'{did_you_mean(name, list(declared))}; declared: "
                              f"{', '.join(sorted(declared)) or 'none'}", source=sources.get(name, "--param"))
        expected = declared[name]
        if _json_kind(value) != _json_kind(expected):
            raise PolicyError(f"param '{name}' must be {_json_kind(expected)}, got {_json_kind(value)} {value!r}",
                              source=sources.get(name, "--param"))


def _json_kind(value: Any) -> str:
    """How an error message names the JSON kind of ``value`` (``a list``)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "null"
    return "a string"


class _PackParser:
    """Validates one document (stages 2 and 3) and builds its PolicyPack."""

    def __init__(self, doc: YamlDocument, overrides: dict[str, Any], seen_ids: dict[str, str]):
        self.doc = doc
        self.overrides = overrides
        self.seen_ids = seen_ids
        self.params: dict[str, Any] = {}

    def fail(self, path: PathKey, message: str) -> PolicyError:
        """The error to raise for ``path`` of this document."""
        return PolicyError(f"{format_path(path)}: {message}", source=self.doc.source, place=self.doc.place(path))

    def parse(self) -> PolicyPack:
        """Validate the document and build its pack; PolicyError at the first problem."""
        data = self.doc.data
        if not isinstance(data, dict):
            raise self.fail((), "a policy pack must be a mapping with apiVersion, kind, metadata and rules")
        declared = params if isinstance(params := data.get("params"), dict) else {}
        # set before the schema check: its condition messages resolve params too
        self.params = {**declared, **{k: v for k, v in self.overrides.items() if k in declared}}
        self._check_schema(data)
        rules = tuple(self._rule(index, raw, data["metadata"]["name"]) for index, raw in enumerate(data["rules"]))
        meta = data["metadata"]
        return PolicyPack(
            name=meta["name"], version=str(meta.get("version", "0")), source=self.doc.source, rules=rules,
            params=self.params, description=meta.get("description", ""),
            out_of_scope=tuple(meta.get("out_of_scope", ())),
        )

    # -- stage 2 ------------------------------------------------------------------------
    def _check_schema(self, data: dict[str, Any]) -> None:
        error = validation_error(policy_pack_schema(), data)
        if error is None:
            return
        path = tuple(error.absolute_path)
        for key in ("when", "require"):
            if key in path:  # conditions get a specific message from the condition parser
                cut = path.index(key) + 1
                node: Any = data
                for part in path[:cut]:
                    node = node[part]
                self._condition(node, path[:cut], types=None)
        raise PolicyError(f"{format_path(path)}: {explain_schema_error(error)}", source=self.doc.source,
                          place=self.doc.place(error_path(error)))

    # -- stage 3 ------------------------------------------------------------------------
    def _rule(self, index: int, raw: dict[str, Any], pack: str) -> Rule:
        path: PathKey = ("rules", index)
        rule_id = raw["id"]
        if rule_id in self.seen_ids:
            raise self.fail((*path, "id"), f"duplicate rule id '{rule_id}' (first defined in {self.seen_ids[rule_id]})")
        self.seen_ids[rule_id] = f"{self.doc.source}:{self.doc.place((*path, 'id'))}"
        types = self._types(raw["resources"], (*path, "resources"))
        when = self._condition(raw["when"], (*path, "when"), types) if "when" in raw else None
        line = int(self.doc.place(path).split(":")[0])
        return Rule(
            id=rule_id, title=raw["title"], severity=Severity.parse(raw["severity"]), resource_types=types,
            require=self._condition(raw["require"], (*path, "require"), types), when=when,
            references=tuple(raw.get("references", ())), remediation=raw.get("remediation", ""),
            description=raw.get("description", ""), pack=pack, source=self.doc.source, line=line,
        )

    def _types(self, selectors: list[str], path: PathKey) -> tuple[str, ...]:
        names: list[str] = []
        for index, selector in enumerate(selectors):
            matched = expand_type_selector(selector)
            if not matched:
                kinds = {t.kind for _, t in RESOURCE_TYPES.items()}
                hint = did_you_mean(selector, [*RESOURCE_TYPES.names(), *kinds])
                raise self.fail((*path, index), f"unknown resource type '{selector}'{hint}; known: "
                                f"{', '.join(RESOURCE_TYPES.names()) or 'none (no provider installed)'}")
            names.extend(n for n in matched if n not in names)
        return tuple(names)

    def _condition(self, node: Any, path: PathKey, types: tuple[str, ...] | None) -> Condition:
        if not isinstance(node, dict) or not node:
            raise self.fail(path, "a condition must be a mapping: {attr: PATH, OPERATOR: VALUE} or all/any/not")
        combinators = [k for k in node if k in COMBINATORS]
        if combinators:
            if len(node) != 1:
                raise self.fail(path, f"'{combinators[0]}' must stand alone in its mapping; found keys "
                                f"{sorted(node)}")
            key = combinators[0]
            body = node[key]
            if COMBINATORS[key] is NotOf:
                return NotOf(self._condition(body, (*path, key), types))
            if not isinstance(body, list) or not body:
                raise self.fail((*path, key), f"'{key}' takes a non-empty list of conditions")
            items = tuple(self._condition(item, (*path, key, i), types) for i, item in enumerate(body))
            return COMBINATORS[key](items)
        return self._leaf(node, path, types)

    def _leaf(self, node: dict[str, Any], path: PathKey, types: tuple[str, ...] | None) -> Leaf:
        if "attr" not in node:
            unknown = next(iter(node))
            raise self.fail(path, f"condition needs 'attr' (or all/any/not); got '{unknown}'"
                            f"{did_you_mean(unknown, [*COMBINATORS, 'attr'])}")
        ops = [k for k in node if k != "attr"]
        if len(ops) != 1:
            raise self.fail(path, f"a condition takes exactly one operator besides 'attr'; found {ops or 'none'}")
        op_name = ops[0]
        if op_name not in OPERATORS:
            raise self.fail((*path, op_name), f"unknown operator '{op_name}'{did_you_mean(op_name, list(OPERATORS))}")
        operator = OPERATORS[op_name]
        if not isinstance(node["attr"], str) or not node["attr"]:
            raise self.fail((*path, "attr"), "attr must be a non-empty string")
        attr = self._interpolate(node["attr"], (*path, "attr"))
        value = self._value(node[op_name], (*path, op_name), types)
        specs = self._attribute_specs(attr, (*path, "attr"), types)
        for type_name, spec in specs.items():
            if spec.type not in operator.accepts:
                raise self.fail((*path, op_name), f"operator '{op_name}' does not apply to {spec.type} attribute "
                                f"'{attr}' (of {type_name})")
            if op_name in NUMBER_OPERATORS and spec.type == "string" and not attr.startswith(NUMBERS_IN_TEXT):
                raise self.fail((*path, op_name), f"operator '{op_name}' compares numbers; '{attr}' is a string "
                                f"attribute (of {type_name}): every resource would fail")
        if not isinstance(value, AttrRef | Lookup):
            problem = VALUE_CHECKS[operator.value](value)
            if problem:
                raise self.fail((*path, op_name), f"'{op_name}' needs {problem}, got {value!r}")
            self._check_value_types(attr, op_name, value, specs, path)
            self._check_enum(attr, op_name, value, specs, path)
        if isinstance(value, Lookup):
            self._check_lookup(op_name, value, path)
        return Leaf(attr, operator, value)

    def _check_lookup(self, op_name: str, lookup: Lookup, path: PathKey) -> None:
        """Every entry of a looked-up params map must be a value the operator accepts."""
        check = VALUE_CHECKS[OPERATORS[op_name].value]
        for key, item in lookup.mapping.items():
            problem = check(item)
            if problem:
                raise self.fail((*path, op_name), f"'{op_name}' needs {problem} in every entry of param "
                                f"'{lookup.name}', got {key}: {item!r}")

    def _check_value_types(self, attr: str, op_name: str, value: Any, specs: dict[str, AttributeSpec],
                           path: PathKey) -> None:
        """A value that can never equal the attribute (``equals: "yes"`` on a bool) is a load error."""
        if op_name not in _ENUM_CHECKED:
            return
        for spec in specs.values():
            fits, wanted = _VALUE_FITS[spec.type]
            for item in value if _ENUM_CHECKED[op_name] else [value]:
                if item is not None and not fits(item):
                    raise self.fail((*path, op_name), f"{attr} is {spec.type}: '{op_name}' needs {wanted}, "
                                    f"got {item!r}")

    def _check_enum(self, attr: str, op_name: str, value: Any, specs: dict[str, AttributeSpec], path: PathKey) -> None:
        if op_name not in _ENUM_CHECKED:
            return
        values = value if _ENUM_CHECKED[op_name] else [value]
        for spec in specs.values():
            if spec.enum:
                for item in values:
                    if item is not None and item not in spec.enum:  # null (not set) fits every attribute
                        raise self.fail((*path, op_name), f"'{item}' is not a value of {attr} "
                                        f"(one of: {', '.join(spec.enum)}){did_you_mean(str(item), spec.enum)}")

    def _attribute_specs(self, attr: str, path: PathKey, types: tuple[str, ...] | None) -> dict[str, AttributeSpec]:
        if attr in _FIELD_SPECS:
            return {"every type": _FIELD_SPECS[attr]}
        specs = {}
        for type_name in types or ():
            resource_type = RESOURCE_TYPES.get(type_name)
            spec = resource_type.attribute(attr)
            if spec is None:
                rest = attr.partition(".")[2]  # 'tag.owner' -> suggest 'tags.owner'
                choices = [*resource_type.by_name, *_FIELD_SPECS,
                           *(f"{p}.{rest}" for p in OPEN_PREFIXES if rest and p not in resource_type.declared_prefixes)]
                raise self.fail(path, f"unknown attribute '{attr}' for {type_name}{did_you_mean(attr, choices)}")
            specs[type_name] = spec
        return specs

    def _interpolate(self, attr: str, path: PathKey) -> str:
        def param_text(match: re.Match[str]) -> str:
            value = self._param(match.group(1), path)
            if not isinstance(value, str):
                raise self.fail(path, f"param '{match.group(1)}' used in attr must be a string, got {value!r}")
            return value
        return ATTR_PARAM.sub(param_text, attr)

    def _param(self, name: str, path: PathKey) -> Any:
        if name not in self.params:
            raise self.fail(path, f"undefined param '{name}'{did_you_mean(name, list(self.params))}")
        return self.params[name]

    def _value(self, value: Any, path: PathKey, types: tuple[str, ...] | None) -> Any:
        if isinstance(value, str) and value.startswith(PARAM_REF):
            return self._param(value[len(PARAM_REF):], path)
        if isinstance(value, dict) and "$attr" in value:
            if set(value) != {"$attr"} or not isinstance(value["$attr"], str):
                raise self.fail(path, "{$attr: PATH} takes one attribute path")
            target = self._interpolate(value["$attr"], path)
            self._attribute_specs(target, path, types)
            return AttrRef(target)
        if isinstance(value, dict) and "$param" in value:
            if set(value) != {"$param", "$key"}:
                raise self.fail(path, "{$param: NAME, $key: PATH} looks a params map up by an attribute's value")
            mapping = self._param(str(value["$param"]), path)
            if not isinstance(mapping, dict):
                raise self.fail(path, f"param '{value['$param']}' must be a mapping to be looked up")
            key = self._interpolate(str(value["$key"]), path)
            self._attribute_specs(key, path, types)
            return Lookup(str(value["$param"]), mapping, key)
        return value
