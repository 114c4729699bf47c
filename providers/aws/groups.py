"""Collection groups: which attributes one or a few API calls supply, as one table per type.

A service module declares its groups; from that one table come the resource type's attribute
schema (:func:`resource_type`), the fetchers a resource gets (:func:`fetchers`, only the
groups the plan needs) and the IAM actions ``policycheck permissions`` prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from policycheck.attributes import AttributeSpec, ResourceType, bind_groups
from policycheck.provider import CollectPlan
from policycheck.vocabulary import DATA_STORE

from .calls import Api

Derive = Callable[[Any], Mapping[str, Any]]


@dataclass(frozen=True)
class Group:
    """Attributes (globs) a group supplies, every API it may call, and how it derives the values."""

    attributes: tuple[str, ...]
    apis: tuple[Api, ...]
    derive: Derive


@dataclass(frozen=True)
class TypeSpec:
    """A resource type with its groups and the calls that list it."""

    type: ResourceType
    groups: Mapping[str, Group]
    listing: tuple[Api, ...]


def resource_type(name: str, description: str, groups: Mapping[str, Group],
                  raw: Iterable[AttributeSpec] = ()) -> ResourceType:
    """The shared data-store vocabulary plus ``raw`` extras, each bound to its group."""
    bound = bind_groups((*DATA_STORE, *raw), {g: list(group.attributes) for g, group in groups.items()})
    return ResourceType(name, description, "aws", "data-store", bound)


def wanted_groups(spec: TypeSpec, plan: CollectPlan) -> list[str]:
    needed = plan.groups(spec.type)
    return [name for name in spec.groups if name in needed]


def fetchers(spec: TypeSpec, plan: CollectPlan, facts: Any) -> dict[str, Callable[[], Mapping[str, Any]]]:
    """A fetcher for every group the plan needs, each deriving from the resource's shared facts."""
    return {name: partial(spec.groups[name].derive, facts) for name in wanted_groups(spec, plan)}


def actions(spec: TypeSpec, plan: CollectPlan) -> set[str]:
    """IAM actions to list the type and fetch the groups the plan needs."""
    found = {a.action for a in spec.listing}
    for name in wanted_groups(spec, plan):
        found.update(a.action for a in spec.groups[name].apis)
    return found
