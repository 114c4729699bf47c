"""The plan's ``configuration``: expressions, their references, and the provider configuration.

References are followed across module boundaries the way Terraform resolves them: ``var.X``
in a module is the module call's ``X`` argument in the parent; ``module.M.OUT`` is the
child's output ``OUT``. Each resolved reference keeps the module instance it points into,
so a split resource in ``module.crm["eu"]`` joins the bucket of that same instance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .document import strip_keys

#: ``aws_s3_bucket.b``, ``aws_s3_bucket.b["eu"]``, ``data.aws_kms_key.k``, ``module.m[0].out``, ``var.x``.
_REFERENCE = re.compile(r'^(?P<data>data\.)?(?P<type>[A-Za-z_][\w-]*)\.(?P<name>[A-Za-z_][\w-]*)'
                        r'(?:\[(?P<index>"(?:[^"\\]|\\.)*"|\d+)\])?(?:\.(?P<rest>.*))?$')
MAX_DEPTH = 12


@dataclass(frozen=True)
class Target:
    """A resolved reference: a resource (type, name, maybe an instance key) in one module instance."""

    module: str  # module instance address; keys may be missing where the reference did not give them
    mode: str
    type: str
    name: str
    index: Any = None
    has_index: bool = False
    exact_module: bool = True  # False: the module instance is not known (a call with count/for_each)


class Configuration:
    """Index over ``configuration``: modules by path, resources by (module path, mode, type, name)."""

    def __init__(self, document: Mapping[str, Any]):
        config = document.get("configuration") or {}
        self.present = bool(config)
        self.providers: Mapping[str, Any] = config.get("provider_config") or {}
        self.variables = {name: (v or {}).get("value") for name, v in (document.get("variables") or {}).items()
                          if isinstance(v, dict)}
        self.modules: dict[str, Mapping[str, Any]] = {}
        self.calls: dict[str, Mapping[str, Any]] = {}  # module path -> its module call
        self.resources: dict[tuple[str, str, str, str], Mapping[str, Any]] = {}
        self._index("", config.get("root_module") or {}, None)

    def _index(self, path: str, module: Mapping[str, Any], call: Mapping[str, Any] | None) -> None:
        self.modules[path] = module
        if call is not None:
            self.calls[path] = call
        for resource in module.get("resources") or []:
            key = (path, resource.get("mode", "managed"), resource.get("type", ""), resource.get("name", ""))
            self.resources[key] = resource
        for name, child in (module.get("module_calls") or {}).items():
            child_path = f"{path}.module.{name}" if path else f"module.{name}"
            self._index(child_path, child.get("module") or {}, child)

    def resource(self, module_path: str, mode: str, type_: str, name: str) -> Mapping[str, Any] | None:
        return self.resources.get((module_path, mode, type_, name))

    # -- references ---------------------------------------------------------------------------
    def targets(self, module: str, expression: Any, depth: int = 0) -> Iterator[Target]:
        """Resources an expression refers to, from the module instance ``module``."""
        if depth > MAX_DEPTH or not isinstance(expression, Mapping):
            return
        references = list(expression.get("references") or [])
        for reference in _most_specific(references):
            yield from self._follow(module, reference, depth)

    def _follow(self, module: str, reference: str, depth: int) -> Iterator[Target]:
        match = _REFERENCE.match(reference)
        if not match:
            return
        kind, name, rest = match["type"], match["name"], match["rest"] or ""
        index, has_index = _index_value(match["index"])
        if match["data"] is None and kind == "var":
            yield from self._variable(module, name, depth)
        elif match["data"] is None and kind == "module":
            yield from self._output(module, name, index, has_index, rest.split(".")[0], depth)
        elif match["data"] is None and kind in ("local", "each", "count", "path", "terraform", "self"):
            return
        else:
            yield Target(module, "data" if match["data"] else "managed", kind, name, index, has_index)

    def _variable(self, module: str, name: str, depth: int) -> Iterator[Target]:
        path = strip_keys(module)
        call = self.calls.get(path)
        if call is None:
            return
        parent = _parent(module)
        yield from self.targets(parent, (call.get("expressions") or {}).get(name), depth + 1)

    def _output(self, module: str, call: str, index: Any, has_index: bool, output: str, depth: int) -> Iterator[Target]:
        child_path = f"{strip_keys(module)}.module.{call}" if module else f"module.{call}"
        child_call = self.calls.get(child_path) or {}
        repeated = "count_expression" in child_call or "for_each_expression" in child_call
        prefix = f"{module}.module.{call}" if module else f"module.{call}"
        child = f"{prefix}[{json.dumps(index)}]" if has_index else prefix
        outputs = (self.modules.get(child_path) or {}).get("outputs") or {}
        expression = (outputs.get(output) or {}).get("expression")
        for target in self.targets(child, expression, depth + 1):
            if repeated and not has_index:
                yield Target(target.module, target.mode, target.type, target.name, target.index, target.has_index,
                             exact_module=False)
            else:
                yield target

    # -- values -------------------------------------------------------------------------------
    def constant(self, module: str, expression: Any, depth: int = 0) -> tuple[bool, Any]:
        """(True, value) when the expression is a constant or a variable resolved to one, else (False, None)."""
        if depth > MAX_DEPTH or not isinstance(expression, Mapping):
            return False, None
        if "constant_value" in expression:
            return True, expression["constant_value"]
        references = expression.get("references") or []
        variables = [r for r in references if r.startswith("var.")]
        if len(variables) != 1 or len(references) != 1:
            return False, None
        name = variables[0][4:].split(".")[0].split("[")[0]
        path = strip_keys(module)
        if not path:
            if name in self.variables:
                return True, self.variables[name]
            return _default(self.modules.get("", {}), name)
        call = self.calls.get(path) or {}
        argument = (call.get("expressions") or {}).get(name)
        if argument is None:
            return _default(self.modules.get(path, {}), name)
        return self.constant(_parent(module), argument, depth + 1)

    def provider(self, resource: Mapping[str, Any] | None) -> tuple[str, Mapping[str, Any]] | None:
        """The provider configuration (key, entry) a configured resource uses."""
        if resource is None:
            return None
        key = str(resource.get("provider_config_key") or "")
        while key:
            if key in self.providers:
                return key, self.providers[key]
            # older formats: "module.crm:aws" (or "crm:aws") when the module inherits its parent's provider
            head, sep, local = key.rpartition(":")
            if not sep:
                return None
            parent = _parent(head if head.startswith("module.") else f"module.{head}")
            key = f"{parent}:{local}" if parent else local
        return None


def _default(module: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    variable = (module.get("variables") or {}).get(name)
    if isinstance(variable, Mapping) and "default" in variable:
        return True, variable["default"]
    return False, None


def _parent(module: str) -> str:
    """The parent module instance of ``module`` ("" for a top-level module)."""
    position = module.rfind(".module.")
    return module[:position] if position >= 0 else ""


def _index_value(text: str | None) -> tuple[Any, bool]:
    if text is None:
        return None, False
    return json.loads(text), True


def _most_specific(references: list[str]) -> list[str]:
    """Drop references repeating a longer one's prefix (Terraform lists ``a.b["k"].id``, ``a.b["k"]``, ``a.b``)."""
    kept: list[str] = []
    for reference in sorted(set(references), key=len, reverse=True):
        if not any(other.startswith(reference) and other[len(reference):len(reference) + 1] in ("[", ".")
                   for other in kept):
            kept.append(reference)
    return kept
