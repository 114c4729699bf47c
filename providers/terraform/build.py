"""From derived facts to a :class:`Resource`: one table of groups per resource type.

Each group names the attributes it supplies and derives them from the facts; a group whose
derivation meets a value the plan cannot prove (:class:`~.values.NotKnown`) leaves all its
attributes unknown, so a rule reading them yields ``error``, never ``pass``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.attributes import ResourceType
from policycheck.errors import CollectionError
from policycheck.model import Resource, SourceLocation

from .document import Instance

PROVIDER = "terraform"
#: Attributes no group supplied are unknown, never silently null.
ABSENT = "not derived from the plan"
#: Attributes no plan can ever know, for every resource type: rules reading them are skipped with this note.
NEVER_IN_A_PLAN = {"retention.oldest_record_age_days": "the age of the oldest record is read in the data itself; a "
                                                       "plan describes configuration, not data"}


@dataclass(frozen=True)
class Group:
    """Attributes a derivation supplies (``tags`` for the tags)."""

    attributes: tuple[str, ...]
    derive: Callable[[Any], Mapping[str, Any]]


def build(resource_type: ResourceType, groups: tuple[Group, ...], facts: Any, instance: Instance, *, account: str,
          region: str, unobservable: Mapping[str, str] | None = None,
          source: SourceLocation | None = None) -> Resource:
    """The resource of ``instance``: every group derived, failures recorded as unknown attributes."""
    known: dict[str, Any] = {}
    unknown: dict[str, str] = {}
    tags = None
    for group in groups:
        try:
            derived = dict(group.derive(facts))
        except CollectionError as exc:
            unknown.update(dict.fromkeys(group.attributes, str(exc)))
            continue
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:  # malformed values: fail closed
            reason = f"{instance.address}: unexpected value shape ({type(exc).__name__}: {exc})"
            unknown.update(dict.fromkeys(group.attributes, reason))
            continue
        if "tags" in derived:
            tags = derived.pop("tags")
        known.update(derived)
    return Resource(type=resource_type.name, id=instance.address, name=instance.address, provider=PROVIDER,
                    account=account, region=region, tags=tags, attributes=known, unknown=unknown, absent=ABSENT,
                    unobservable={**NEVER_IN_A_PLAN, **(unobservable or {})}, source=source)


def string_map(value: Any) -> dict[str, str]:
    """A tags/labels map as strings."""
    return {str(k): "" if v is None else str(v) for k, v in (value or {}).items()}
