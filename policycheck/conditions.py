"""Policy conditions: ``all``/``any``/``not`` combinators over ``{attr: PATH, OP: VALUE}`` leaves.

Evaluation is three-valued: True, False, or None when an attribute the outcome depends on is
unknown. ``all`` is False as soon as one child is False (and stops reading further
attributes, so lazy providers fetch less), ``any`` is True as soon as one child is True.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Resource, Unknown
from .operators import Operator

COMBINATORS = ("all", "any", "not")


@dataclass
class Trace:
    """What one evaluation read: values seen and why unknown ones are unknown."""

    observed: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)

    def read(self, resource: Resource, path: str) -> Any:
        value = resource.get(path)
        if isinstance(value, Unknown):
            self.unknown[path] = value.reason
        else:
            self.observed[path] = value
        return value


class Condition:
    """Base of the condition tree."""

    def evaluate(self, resource: Resource, trace: Trace) -> bool | None:
        raise NotImplementedError

    def attributes(self) -> set[str]:
        """Every attribute path this condition may read."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class AttrRef:
    """A value taken from another attribute of the same resource: ``{$attr: PATH}``."""

    path: str

    def resolve(self, resource: Resource, trace: Trace) -> Any:
        return trace.read(resource, self.path)

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class Lookup:
    """A params map indexed by an attribute: ``{$param: NAME, $key: PATH}``."""

    name: str
    mapping: Mapping[str, Any]
    key: str

    def resolve(self, resource: Resource, trace: Trace) -> Any:
        key = trace.read(resource, self.key)
        if isinstance(key, Unknown):
            return key
        return self.mapping.get(key) if isinstance(key, str) else None

    def __str__(self) -> str:
        return f"params.{self.name}[{self.key}]"


DYNAMIC = (AttrRef, Lookup)


@dataclass(frozen=True)
class Leaf(Condition):
    attr: str
    operator: Operator
    value: Any

    def evaluate(self, resource: Resource, trace: Trace) -> bool | None:
        actual = trace.read(resource, self.attr)
        expected = self.value.resolve(resource, trace) if isinstance(self.value, DYNAMIC) else self.value
        if isinstance(actual, Unknown) or isinstance(expected, Unknown):
            return None
        return bool(self.operator.func(actual, expected))

    def attributes(self) -> set[str]:
        extra = {self.value.path} if isinstance(self.value, AttrRef) else set()
        if isinstance(self.value, Lookup):
            extra = {self.value.key}
        return {self.attr, *extra}

    def describe(self) -> str:
        text = self.__dict__.get("_description")
        if text is None:  # the same on every evaluation: built once (a frozen dataclass can still use __dict__)
            value = str(self.value) if isinstance(self.value, DYNAMIC) else json.dumps(self.value, default=str)
            text = self.__dict__["_description"] = f"{self.attr} {self.operator.name} {value}"
        return text


@dataclass(frozen=True)
class AllOf(Condition):
    items: tuple[Condition, ...]

    def evaluate(self, resource: Resource, trace: Trace) -> bool | None:
        outcome: bool | None = True
        for item in self.items:
            result = item.evaluate(resource, trace)
            if result is False:
                return False
            if result is None:
                outcome = None
        return outcome

    def attributes(self) -> set[str]:
        return set().union(*(i.attributes() for i in self.items))

    def describe(self) -> str:
        return "all(" + "; ".join(i.describe() for i in self.items) + ")"


@dataclass(frozen=True)
class AnyOf(Condition):
    items: tuple[Condition, ...]

    def evaluate(self, resource: Resource, trace: Trace) -> bool | None:
        outcome: bool | None = False
        for item in self.items:
            result = item.evaluate(resource, trace)
            if result is True:
                return True
            if result is None:
                outcome = None
        return outcome

    def attributes(self) -> set[str]:
        return set().union(*(i.attributes() for i in self.items))

    def describe(self) -> str:
        return "any(" + "; ".join(i.describe() for i in self.items) + ")"


@dataclass(frozen=True)
class NotOf(Condition):
    item: Condition

    def evaluate(self, resource: Resource, trace: Trace) -> bool | None:
        result = self.item.evaluate(resource, trace)
        return None if result is None else not result

    def attributes(self) -> set[str]:
        return self.item.attributes()

    def describe(self) -> str:
        return f"not({self.item.describe()})"
