"""Silent edges made visible: what a run notices about the resources it saw, as warnings.

Nothing scanned at all, resources of a type no provider declares (a snapshot from a newer version
or a typo), and one resource listed twice (an inventory with a duplicate id) each become one
warning (:class:`~policycheck.model.CollectionProblem` of level ``warning``): on stderr and in every
report, failing nothing unless ``--fail-on-empty`` makes an empty run an error.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .attributes import RESOURCE_TYPES
from .model import CollectionProblem, Resource

__all__ = ["EdgeWatch"]

#: How many duplicate ids a warning names before it only counts.
SHOWN = 3


#: How the note of an empty run begins (merge drops it from shards when the whole run scanned something).
EMPTY_RUN = "no resources were scanned"


@dataclass
class EdgeWatch:
    """Watches the resources of one run (called from the thread that streams them)."""

    seen: set[tuple[str, str, str, str, str]] = field(default_factory=set)
    unknown_types: Counter[tuple[str, str]] = field(default_factory=Counter)
    duplicates: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    count: int = 0

    def __call__(self, resource: Resource) -> None:
        self.count += 1
        if resource.type not in RESOURCE_TYPES:
            self.unknown_types[resource.provider, resource.type] += 1
        key = (resource.provider, resource.type, resource.account, resource.region, resource.id)
        if key in self.seen:
            scope = (resource.provider, resource.account or resource.type)
            self.duplicates[scope] += 1
            self.examples.setdefault(scope, [])
            if len(self.examples[scope]) < SHOWN:
                self.examples[scope].append(resource.id)
        else:
            self.seen.add(key)

    @staticmethod
    def is_empty_run(problem: CollectionProblem) -> bool:
        """``problem`` is the "no resources were scanned" note of a run (a shard's holds only for that shard)."""
        return (problem.provider, problem.scope) == ("policycheck", "run") and \
            problem.message.startswith(EMPTY_RUN)

    def warnings(self, *, fail_on_empty: bool = False) -> list[CollectionProblem]:
        """The edges seen, as warnings (an empty run is an error with ``fail_on_empty``)."""
        found = []
        if not self.count:
            found.append(CollectionProblem(
                "policycheck", "run", f"{EMPTY_RUN}: check the providers' scope, credentials and inventory files"
                + ("" if fail_on_empty else " (--fail-on-empty makes this fail the run)"),
                "error" if fail_on_empty else "warning"))
        for (provider, kind), number in sorted(self.unknown_types.items()):
            found.append(CollectionProblem(provider, kind, f"{number} resource(s) of unknown type '{kind}': no rule "
                                           "evaluates them (a snapshot of a newer policycheck, or a typo?)", "warning"))
        for (provider, scope), number in sorted(self.duplicates.items()):
            shown = ", ".join(self.examples[provider, scope])
            found.append(CollectionProblem(provider, scope, f"{number} resource id(s) listed more than once (e.g. "
                                           f"{shown}); each copy is evaluated, the duplicates may hide each other",
                                           "warning"))
        return found
