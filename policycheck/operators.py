"""The operator table: every comparison a policy leaf can make, in one place.

An operator takes the attribute's value (never Unknown: the engine handles that) and the
policy value, and returns a bool. ``value`` says what the policy value must be (checked at
load time); ``accepts`` lists the attribute types it applies to. The JSON Schema's operator
names come from this table, so a new operator is one entry here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .attributes import VALUE_TYPES
from .versions import parse_version

__all__ = ["OPERATORS", "VALUE_CHECKS", "Operator", "as_list", "compile_regex", "decide_bounded", "is_number",
           "to_date"]

ANY_TYPE = frozenset(VALUE_TYPES)
SCALAR = ANY_TYPE - {"list", "map"}
NUMERIC = frozenset({"int", "number"})

#: Separators of list-valued tags (tag values cannot hold JSON lists): space , ; : + / | or __.
LIST_SEPARATORS = re.compile(r"\s*(?:[,;:+/|\s]|__)\s*")


@dataclass(frozen=True)
class Operator:
    """One comparison: ``func(attribute value, policy value) -> bool`` and what it may be applied to.

    A ``dated`` operator compares with the evaluation date: ``func(value, policy value, date)``.
    """

    name: str
    func: Callable[..., bool]
    value: str  # what the policy value must be: any, scalar, list, number, bool, regex, days, version
    accepts: frozenset[str]
    description: str
    dated: bool = False

    def apply(self, actual: Any, expected: Any, evaluation_date: dt.date) -> bool:
        """The comparison, as of ``evaluation_date`` for dated operators."""
        if self.dated:
            return bool(self.func(actual, expected, evaluation_date))
        return bool(self.func(actual, expected))
    #: "up": true for all values above some threshold (gt, gte); "down": true below it (lt, lte);
    #: lets a known bound of an unknown number decide the outcome (:func:`decide_bounded`).
    monotone: str | None = None


def is_number(value: Any) -> bool:
    """An int or a finite float (``.nan`` and ``.inf`` compare with nothing sensibly)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def as_list(value: Any) -> list[Any]:
    """A list attribute as is; a string tag split on the documented separators; None as []."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    if isinstance(value, str):
        return [part for part in LIST_SEPARATORS.split(value.strip()) if part]
    return [value]


def _comparable(value: Any) -> Any:
    """Numbers stay numbers; numeric strings (tag values) become numbers."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


_NUMBERS: frozenset[Any] = frozenset({int, float})  # exactly these (a bool is no number here)


def _ordered(compare: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, expected: Any) -> bool:
        if actual.__class__ in _NUMBERS and expected.__class__ in _NUMBERS:  # the common case, as _comparable has it
            return compare(actual, expected)
        left, right = _comparable(actual), _comparable(expected)
        if left is None or right is None or isinstance(left, bool):
            return False
        return compare(left, right)
    return check


def _equals(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and not isinstance(expected, str) and expected is not None:
        return actual == _scalar_text(expected)
    return bool(actual == expected)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _in(actual: Any, expected: list[Any]) -> bool:
    return any(_equals(actual, item) for item in expected or [])


@lru_cache(maxsize=512)
def compile_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile`` once per pattern (a rule's regex is applied to every resource)."""
    return re.compile(pattern, flags)


def _matches(actual: Any, pattern: str) -> bool:
    return isinstance(actual, str) and compile_regex(pattern).search(actual) is not None


def _imatches(actual: Any, pattern: str) -> bool:
    return isinstance(actual, str) and compile_regex(pattern, re.IGNORECASE).search(actual) is not None


def _contains(actual: Any, expected: Any) -> bool:
    items = as_list(actual)
    if isinstance(actual, str) and isinstance(expected, str) and len(items) <= 1:
        return expected in actual
    return any(_equals(item, expected) for item in items)


def _subset_of(actual: Any, expected: list[Any] | None) -> bool:
    allowed = as_list(expected)
    return all(any(_equals(item, a) for a in allowed) for item in as_list(actual))


def _intersects(actual: Any, expected: list[Any]) -> bool:
    return any(_in(item, as_list(expected)) for item in as_list(actual))


def to_date(value: Any) -> dt.date | None:
    """A date from a date/datetime or an ISO string (tag values such as ``2026-01-31``)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return None
    return None


def _age_days(actual: Any, today: dt.date) -> int | None:
    day = to_date(actual)
    return None if day is None else (today - day).days


def _older_than_days(actual: Any, days: float, today: dt.date) -> bool:
    age = _age_days(actual, today)
    return age is not None and age > days


def _newer_than_days(actual: Any, days: float, today: dt.date) -> bool:
    age = _age_days(actual, today)
    return age is not None and age < days


def _date_passed(actual: Any, expected: bool, today: dt.date) -> bool:
    day = to_date(actual)
    return day is not None and (day < today) == bool(expected)


def _version(compare: Callable[[tuple[int, ...], tuple[int, ...]], bool]) -> Callable[[Any, Any], bool]:
    def check(actual: Any, expected: Any) -> bool:
        left, right = parse_version(actual), parse_version(expected)
        return left is not None and right is not None and compare(left, right)
    return check


def _exists(actual: Any, expected: bool) -> bool:
    present = actual is not None and actual != "" and actual != []
    return present == bool(expected)


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("equals", _equals, "scalar", ANY_TYPE, "Value equals the given value."),
        Operator("not_equals", lambda a, e: not _equals(a, e), "scalar", ANY_TYPE,
                 "Value differs from the given value."),
        Operator("in", _in, "list", SCALAR, "Value is one of the given list."),
        Operator("not_in", lambda a, e: not _in(a, e), "list", SCALAR, "Value is none of the given list."),
        Operator("exists", _exists, "bool", ANY_TYPE, "true: value is present and not empty; false: absent."),
        Operator("gt", _ordered(lambda a, e: a > e), "number", NUMERIC | {"string"}, "Number greater than.",
                 monotone="up"),
        Operator("gte", _ordered(lambda a, e: a >= e), "number", NUMERIC | {"string"}, "Number greater or equal.",
                 monotone="up"),
        Operator("lt", _ordered(lambda a, e: a < e), "number", NUMERIC | {"string"}, "Number less than.",
                 monotone="down"),
        Operator("lte", _ordered(lambda a, e: a <= e), "number", NUMERIC | {"string"}, "Number less or equal.",
                 monotone="down"),
        Operator("matches", _matches, "regex", frozenset({"string", "version"}), "String matches the regular "
                 "expression (search)."),
        Operator("imatches", _imatches, "regex", frozenset({"string", "version"}), "As matches, ignoring case "
                 "(GCS locations are upper case: EUROPE-WEST3)."),
        Operator("contains", _contains, "scalar", frozenset({"list", "string"}), "List (or separated tag value) "
                 "holds the value; for a plain string, substring."),
        Operator("not_contains", lambda a, e: not _contains(a, e), "scalar", frozenset({"list", "string"}),
                 "Negation of contains."),
        Operator("subset_of", _subset_of, "list", frozenset({"list", "string"}), "Every item of the list (or "
                 "separated tag value) is in the given list; an empty list is a subset."),
        Operator("intersects", _intersects, "list", frozenset({"list", "string"}), "At least one item is in the "
                 "given list."),
        Operator("older_than_days", _older_than_days, "number", frozenset({"date", "string"}), "Date lies more "
                 "than N days in the past.", dated=True),
        Operator("newer_than_days", _newer_than_days, "number", frozenset({"date", "string"}), "Date lies less "
                 "than N days in the past.", dated=True),
        Operator("date_passed", _date_passed, "bool", frozenset({"date", "string"}), "true: the date lies "
                 "before the evaluation date (a purpose-end date has passed).", dated=True),
        Operator("version_gte", _version(lambda a, e: a >= e), "version", frozenset({"version", "string"}),
                 "Version is at least the given one, compared numerically."),
        Operator("version_lt", _version(lambda a, e: a < e), "version", frozenset({"version", "string"}),
                 "Version is below the given one, compared numerically."),
    )
}

def decide_bounded(op: Operator, lower: float | None, upper: float | None, expected: Any) -> bool | None:
    """The outcome of ``op`` for an unknown number known to lie in [lower, upper], or None when the bound
    does not settle it (either end may be None: unbounded). Only monotone operators can be decided."""
    if op.monotone is None:
        return None
    # an "up" operator that holds at the lower end holds above it, one that fails at the upper end fails below it
    ends = ((lower, True), (upper, False)) if op.monotone == "up" else ((upper, True), (lower, False))
    for end, outcome in ends:
        if end is not None and bool(op.func(end, expected)) is outcome:
            return outcome
    return None


#: Checks that the policy value fits what the operator expects; returns an error text or None.
VALUE_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "any": lambda v: None,
    "scalar": lambda v: None if not isinstance(v, dict | list) else "a single value",
    "list": lambda v: None if isinstance(v, list) else "a list",
    "number": lambda v: None if is_number(v) else "a finite number",
    "bool": lambda v: None if isinstance(v, bool) else "true or false",
    "regex": lambda v: _regex_problem(v),
    "version": lambda v: _version_problem(v),
}


def _version_problem(value: Any) -> str | None:
    if isinstance(value, float):  # YAML reads an unquoted 14.10 as 14.1: the digits the user meant are lost
        return f"a version in quotes such as \"{value}\" (unquoted, YAML reads a version like 14.10 as the number 14.1)"
    return None if parse_version(value) is not None else "a version such as 14.2 or 10.0.19045"


def _regex_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "a regular expression string"
    try:
        compile_regex(value)
    except re.error as exc:
        return f"a valid regular expression ({exc})"
    return None
