"""Policy conditions: ``all``/``any``/``not`` combinators over ``{attr: PATH, OP: VALUE}`` leaves.

Evaluation is three-valued: True, False, or None when an attribute the outcome depends on is
unknown. ``all`` is False as soon as one child is False (and stops reading further
attributes, so lazy providers fetch less), ``any`` is True as soon as one child is True.

Every condition also has a :attr:`Condition.compiled` form: the same evaluation as one closure,
built once per condition, with what ``evaluate`` decides on each call (is the value dynamic, which
operator function, is it dated) decided once. The engine runs it for every resource, after trying
the :attr:`Condition.known` form: the same evaluation for the common case that every value read is
known, which only collects the values read and gives up (None) at the first unknown one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from .model import Resource, Unknown, reader
from .operators import Operator, decide_bounded

__all__ = ["COMBINATORS", "AllOf", "AnyOf", "AttrRef", "Condition", "Evaluator", "KnownEvaluator", "Leaf",
           "Lookup", "NotOf", "Trace"]


class Trace:
    """One evaluation: the date it is made as of, the values it read and why unknown ones are unknown.

    One is made per rule and resource, so it is a plain slotted class (no dataclass machinery).
    """

    __slots__ = ("evaluation_date", "observed", "unknown")

    def __init__(self, evaluation_date: dt.date, observed: dict[str, Any] | None = None,
                 unknown: dict[str, str] | None = None):
        self.evaluation_date = evaluation_date
        self.observed: dict[str, Any] = {} if observed is None else observed
        self.unknown: dict[str, str] = {} if unknown is None else unknown

    def __repr__(self) -> str:
        return f"Trace({self.evaluation_date!r}, observed={self.observed!r}, unknown={self.unknown!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return (self.evaluation_date, self.observed, self.unknown) == (other.evaluation_date, other.observed,
                                                                       other.unknown)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass it replaces

    def read(self, resource: Resource, path: str) -> Any:
        """``resource.get(path)``, remembering the value (or why it is unknown) for the finding."""
        value = resource.get(path)
        self.note(path, value)
        return value

    def note(self, label: str, value: Any) -> None:
        """Remember a value the evaluation used (an attribute, or a looked-up param entry)."""
        if isinstance(value, Unknown):
            self.unknown[label] = value.reason
        else:
            self.observed[label] = value


#: A compiled condition: ``evaluate`` as one closure (see :attr:`Condition.compiled`).
Evaluator = Callable[[Resource, Trace], "bool | None"]
#: A condition for known values (see :attr:`Condition.known`): resource, the values read so far (filled in as
#: a trace would, in reading order), the evaluation date -> True, False, or None when it met an unknown value.
KnownEvaluator = Callable[[Resource, dict[str, Any], dt.date], "bool | None"]


class Condition:
    """Base of the condition tree: subclasses implement ``evaluate``, ``attributes`` and ``_describe``
    (and may implement ``_compile``)."""

    def evaluate(self, resource: Resource, trace: Trace) -> bool | None:
        """True, False, or None when an unknown attribute decides the outcome."""
        raise NotImplementedError

    @cached_property
    def compiled(self) -> Evaluator:
        """``evaluate`` as one closure, built on first use (a frozen dataclass still caches in its ``__dict__``)."""
        return self._compile()

    def _compile(self) -> Evaluator:
        return self.evaluate

    @cached_property
    def known(self) -> KnownEvaluator | None:
        """The evaluation when every value read is known, or None for a condition without this form.

        It gives the outcome ``evaluate`` gives and records the values in the order a trace does; at the
        first unknown value it returns None, and the caller evaluates again with a trace (reads are idempotent).
        """
        return self._known()

    def _known(self) -> KnownEvaluator | None:
        return None

    def attributes(self) -> set[str]:
        """Every attribute path this condition may read."""
        raise NotImplementedError

    def describe(self) -> str:
        """Readable form for messages and docs (``encryption.at_rest equals true``), built once per condition."""
        text = self.__dict__.get("_description")
        if text is None:  # the same on every evaluation; a frozen dataclass can still cache in its __dict__
            text = self.__dict__["_description"] = self._describe()
        return text

    def _describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class AttrRef:
    """A value taken from another attribute of the same resource: ``{$attr: PATH}``."""

    path: str

    def resolve(self, resource: Resource, trace: Trace) -> Any:
        """The other attribute's value (Unknown when it is)."""
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
        """The map's entry for the key attribute's value; Unknown when the key is unknown;
        :data:`NO_ENTRY` when the key is absent or the map has no entry for it."""
        key = trace.read(resource, self.key)
        if isinstance(key, Unknown):
            return key
        if not isinstance(key, str) or key not in self.mapping:
            return NO_ENTRY
        return self.mapping[key]

    def __str__(self) -> str:
        return f"params.{self.name}[{self.key}]"


DYNAMIC = (AttrRef, Lookup)

#: A params map has no entry for the resource's key: the comparison does not hold, whatever the
#: operator (``not_in`` against nothing must not pass for a purpose or OS nobody configured).
NO_ENTRY = object()


@dataclass(frozen=True)
class Leaf(Condition):
    """``{attr: PATH, OPERATOR: VALUE}``: one operator applied to one attribute."""

    attr: str
    operator: Operator
    value: Any

    def evaluate(self, resource: Resource, trace: Trace) -> bool | None:
        actual = trace.read(resource, self.attr)
        expected = self.value
        if isinstance(expected, DYNAMIC):
            expected = expected.resolve(resource, trace)
            if isinstance(self.value, Lookup):  # show what the rule compared with: the minimum, the allowed list
                trace.note(str(self.value), None if expected is NO_ENTRY else expected)
        if isinstance(expected, Unknown):
            return None
        if isinstance(actual, Unknown):  # a known bound may still settle it (a lock delay of at least 10 > 5)
            if expected is NO_ENTRY or (actual.lower is None and actual.upper is None):
                return None
            return decide_bounded(self.operator, actual.lower, actual.upper, expected)
        if expected is NO_ENTRY:
            return False
        return self.operator.apply(actual, expected, trace.evaluation_date)

    def _compile(self) -> Evaluator:
        if isinstance(self.value, DYNAMIC):
            return self.evaluate
        attr, operator, expected, func = self.attr, self.operator, self.value, self.operator.func
        read = reader(attr)

        def leaf(resource: Resource, trace: Trace) -> bool | None:
            actual = read(resource, attr)
            if isinstance(actual, Unknown):  # a known bound may still settle it (a lock delay of at least 10 > 5)
                trace.unknown[attr] = actual.reason
                if actual.lower is None and actual.upper is None:
                    return None
                return decide_bounded(operator, actual.lower, actual.upper, expected)
            trace.observed[attr] = actual
            return bool(func(actual, expected))

        def dated_leaf(resource: Resource, trace: Trace) -> bool | None:
            actual = read(resource, attr)
            if isinstance(actual, Unknown):
                trace.unknown[attr] = actual.reason
                if actual.lower is None and actual.upper is None:
                    return None
                return decide_bounded(operator, actual.lower, actual.upper, expected)
            trace.observed[attr] = actual
            return bool(func(actual, expected, trace.evaluation_date))

        return dated_leaf if operator.dated else leaf

    def _known(self) -> KnownEvaluator | None:
        attr, func, dated, dynamic = self.attr, self.operator.func, self.operator.dated, self.value
        read = reader(attr)

        def compare(actual: Any, expected: Any, evaluation_date: dt.date) -> bool:
            return bool(func(actual, expected, evaluation_date) if dated else func(actual, expected))

        if isinstance(dynamic, AttrRef):
            other = dynamic.path

            def by_attribute(resource: Resource, observed: dict[str, Any], evaluation_date: dt.date) -> bool | None:
                actual = read(resource, attr)
                if isinstance(actual, Unknown):
                    return None
                observed[attr] = actual
                expected = resource.get(other)
                if isinstance(expected, Unknown):
                    return None
                observed[other] = expected
                return compare(actual, expected, evaluation_date)

            return by_attribute
        if isinstance(dynamic, Lookup):
            key_attr, mapping, label = dynamic.key, dynamic.mapping, str(dynamic)

            def by_lookup(resource: Resource, observed: dict[str, Any], evaluation_date: dt.date) -> bool | None:
                actual = read(resource, attr)
                if isinstance(actual, Unknown):
                    return None
                observed[attr] = actual
                key = resource.get(key_attr)
                if isinstance(key, Unknown):
                    return None
                observed[key_attr] = key
                if not isinstance(key, str) or key not in mapping:
                    observed[label] = None
                    return False
                expected = observed[label] = mapping[key]
                return compare(actual, expected, evaluation_date)

            return by_lookup
        expected = self.value

        def fixed(resource: Resource, observed: dict[str, Any], evaluation_date: dt.date) -> bool | None:
            actual = read(resource, attr)
            if isinstance(actual, Unknown):
                return None
            observed[attr] = actual
            return bool(func(actual, expected, evaluation_date) if dated else func(actual, expected))

        return fixed

    def attributes(self) -> set[str]:
        if isinstance(self.value, AttrRef):
            return {self.attr, self.value.path}
        if isinstance(self.value, Lookup):
            return {self.attr, self.value.key}
        return {self.attr}

    def _describe(self) -> str:
        value = str(self.value) if isinstance(self.value, DYNAMIC) else json.dumps(self.value, default=str)
        return f"{self.attr} {self.operator.name} {value}"


@dataclass(frozen=True)
class _Junction(Condition):
    """``all``/``any`` in three-valued logic; stops at the first decisive item, reading nothing further."""

    items: tuple[Condition, ...]
    #: The item result that decides the whole junction at once.
    decisive: ClassVar[bool]
    keyword: ClassVar[str]

    def evaluate(self, resource: Resource, trace: Trace) -> bool | None:
        outcome: bool | None = not self.decisive
        for item in self.items:
            result = item.evaluate(resource, trace)
            if result is self.decisive:
                return result
            if result is None:
                outcome = None
        return outcome

    def _compile(self) -> Evaluator:
        items, decisive = tuple(i.compiled for i in self.items), self.decisive

        def junction(resource: Resource, trace: Trace) -> bool | None:
            outcome: bool | None = not decisive
            for item in items:
                result = item(resource, trace)
                if result is decisive:
                    return result
                if result is None:
                    outcome = None
            return outcome

        return junction

    def _known(self) -> KnownEvaluator | None:
        items = tuple(i.known for i in self.items)
        if any(item is None for item in items):
            return None
        decisive = self.decisive

        def junction(resource: Resource, observed: dict[str, Any], evaluation_date: dt.date) -> bool | None:
            for item in items:
                result = item(resource, observed, evaluation_date)  # type: ignore[misc]
                if result is None or result is decisive:
                    return result
            return not decisive

        return junction

    def attributes(self) -> set[str]:
        return set().union(*(i.attributes() for i in self.items))

    def _describe(self) -> str:
        return f"{self.keyword}(" + "; ".join(i.describe() for i in self.items) + ")"


@dataclass(frozen=True)
class AllOf(_Junction):
    """``all``: False as soon as one item is False; None if none is False but one is unknown."""

    decisive = False
    keyword = "all"


@dataclass(frozen=True)
class AnyOf(_Junction):
    """``any``: True as soon as one item is True; None if none is True but one is unknown."""

    decisive = True
    keyword = "any"


@dataclass(frozen=True)
class NotOf(Condition):
    """``not``: negation; unknown stays unknown."""

    item: Condition

    def evaluate(self, resource: Resource, trace: Trace) -> bool | None:
        result = self.item.evaluate(resource, trace)
        return None if result is None else not result

    def _compile(self) -> Evaluator:
        item = self.item.compiled

        def negation(resource: Resource, trace: Trace) -> bool | None:
            result = item(resource, trace)
            return None if result is None else not result

        return negation

    def _known(self) -> KnownEvaluator | None:
        item = self.item.known
        if item is None:
            return None

        def negation(resource: Resource, observed: dict[str, Any], evaluation_date: dt.date) -> bool | None:
            result = item(resource, observed, evaluation_date)
            return None if result is None else not result

        return negation

    def attributes(self) -> set[str]:
        return self.item.attributes()

    def _describe(self) -> str:
        return f"not({self.item.describe()})"


#: Combinator keyword -> condition class (``not`` takes one condition, the others a list).
COMBINATORS: dict[str, Callable[..., Condition]] = {"all": AllOf, "any": AnyOf, "not": NotOf}
