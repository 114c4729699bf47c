"""Rules and policy packs: the parsed, validated form of a policy YAML file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .conditions import Condition
from .model import Severity

__all__ = ["PolicyPack", "Rule", "RuleInfo", "attribute_needs"]


@dataclass(frozen=True)
class RuleInfo:
    """What reports say about a rule: its identity, severity, references and remediation.

    A loaded :class:`Rule` is one; a JSON report read back gives these without the conditions.
    """

    id: str
    title: str
    severity: Severity
    resource_types: tuple[str, ...]
    references: tuple[str, ...] = ()
    remediation: str = ""
    description: str = ""
    pack: str = ""
    source: str = ""
    line: int = 1

    def applies_to(self, type_name: str) -> bool:
        """The rule targets resources of ``type_name``."""
        return type_name in self.resource_types


@dataclass(frozen=True, kw_only=True)
class Rule(RuleInfo):
    """One check: which resources, in which scope, what must hold."""

    require: Condition
    when: Condition | None = None

    def attributes(self) -> set[str]:
        """Every attribute the rule may read (scope and requirement)."""
        return self.require.attributes() | (self.when.attributes() if self.when else set())


@dataclass(frozen=True)
class PolicyPack:
    """One loaded policy file: its rules and the params they were built with."""

    name: str
    version: str
    source: str
    rules: tuple[Rule, ...]
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    out_of_scope: tuple[dict[str, Any], ...] = ()


def attribute_needs(rules: list[Rule], also: Iterable[str] = ()) -> dict[str, frozenset[str]]:
    """Attributes the rules read, per resource type: what a provider must collect.

    ``also`` names attributes read from every targeted type besides (waiver tag selectors).
    """
    extra = set(also)
    needs: dict[str, set[str]] = {}
    for rule in rules:
        for type_name in rule.resource_types:
            needs.setdefault(type_name, set(extra)).update(rule.attributes())
    return {name: frozenset(paths) for name, paths in needs.items()}
