"""Typed attribute schemas: what each resource type exposes to rules.

One source drives policy validation, the published JSON Schema and the docs.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace

from .registry import Registry

__all__ = [
    "OPEN_PREFIXES",
    "RESOURCE_FIELDS",
    "RESOURCE_TYPES",
    "UNSUPPLIED",
    "VALUE_TYPES",
    "AttributeSpec",
    "ResourceType",
    "bind_groups",
    "expand_type_selector",
    "register_type",
]

#: Value types an attribute can have; operators declare which of these they accept.
VALUE_TYPES = ("bool", "int", "number", "string", "list", "date", "map", "version")

#: Group of a vocabulary attribute only some providers supply (e.g. facts read in the data itself): a provider that
#: binds no group to it leaves it unknown, never null, so a rule reading it gives ``error``, not a fail or pass.
UNSUPPLIED = "unsupplied"


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute: its dotted name, value type, meaning and the collection group supplying it."""

    name: str
    type: str
    description: str
    group: str = "core"
    enum: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.type not in VALUE_TYPES:
            raise ValueError(f"attribute {self.name}: unknown type {self.type!r}")


def bind_groups(vocabulary: tuple[AttributeSpec, ...], groups: dict[str, list[str]]) -> tuple[AttributeSpec, ...]:
    """Return the vocabulary with each attribute bound to the collection group whose glob matches it.

    ``groups`` maps a provider's group name (one API call or a few) to attribute-name globs.
    Attributes no glob matches keep their declared group: ``core`` (supplied at listing time) unless the
    vocabulary declares them :data:`UNSUPPLIED`.
    """
    bound = []
    for spec in vocabulary:
        group = next(
            (name for name, patterns in groups.items() if any(fnmatch.fnmatchcase(spec.name, p) for p in patterns)),
            spec.group,
        )
        bound.append(replace(spec, group=group))
    return tuple(bound)


#: Prefixes whose sub-keys are free-form, with their value type: tags (labels) and provider-specific raw
#: values. Each is also the collection group that supplies it.
OPEN_PREFIXES = {"tags": "string", "raw": "map"}


@dataclass(frozen=True)
class ResourceType:
    """A kind of resource (``aws.s3.bucket``) with its attribute schema."""

    name: str
    description: str
    provider: str
    kind: str  # "data-store" or "device": lets a rule target every type of a kind at once
    attributes: tuple[AttributeSpec, ...]
    by_name: dict[str, AttributeSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {a.name: a for a in self.attributes})

    @property
    def declared_prefixes(self) -> frozenset[str]:
        """Open prefixes (``raw``) whose attributes this type declares one by one."""
        return frozenset(p for p in OPEN_PREFIXES if p != "tags" and any(n.startswith(p + ".") for n in self.by_name))

    def attribute(self, path: str) -> AttributeSpec | None:
        """The spec for ``path``; ``tags.<key>`` resolves to an open string attribute, ``raw.<...>`` too unless the
        type declares its raw attributes (then only those exist: a typo is an error, not "not collected")."""
        if path in self.by_name:
            return self.by_name[path]
        head, _, rest = path.partition(".")
        if head in self.declared_prefixes:
            return None
        if head in OPEN_PREFIXES and rest:
            return AttributeSpec(path, OPEN_PREFIXES[head], f"{head} value {rest!r}", head)
        return None

    def group_of(self, path: str) -> str:
        """The collection group supplying ``path`` (``core`` for unknown paths)."""
        spec = self.attribute(path)
        return spec.group if spec else "core"


RESOURCE_TYPES: Registry[ResourceType] = Registry("resource type")

#: Fields every resource has, readable by rules like attributes.
RESOURCE_FIELDS = (
    AttributeSpec("id", "string", "Unique resource id; includes the account or project."),
    AttributeSpec("name", "string", "Human-readable name."),
    AttributeSpec("type", "string", "Resource type, e.g. aws.s3.bucket."),
    AttributeSpec("provider", "string", "Provider that collected the resource."),
    AttributeSpec("account", "string", "AWS account id, GCP project id or inventory source."),
    AttributeSpec("region", "string", "Region or location as the provider names it."),
)


def register_type(resource_type: ResourceType) -> ResourceType:
    """Register a resource type (idempotent for the same definition)."""
    if resource_type.name in RESOURCE_TYPES and RESOURCE_TYPES.get(resource_type.name) == resource_type:
        return resource_type
    RESOURCE_TYPES.register(resource_type.name, resource_type)
    return resource_type


def expand_type_selector(selector: str) -> list[str]:
    """Resolve a rule's ``resources`` entry: an exact type, a kind (``data-store``) or a glob."""
    names = RESOURCE_TYPES.names()
    if selector in names:
        return [selector]
    by_kind = [n for n in names if RESOURCE_TYPES.get(n).kind == selector]
    if by_kind:
        return by_kind
    return [n for n in names if fnmatch.fnmatchcase(n, selector)]
