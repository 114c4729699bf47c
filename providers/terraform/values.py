"""Reading planned values: a value that is only known after apply raises :class:`NotKnown`.

``after_unknown`` mirrors the shape of ``after``: ``true`` marks an unknown value (or a whole
unknown block), so every read walks both trees together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policycheck.errors import CollectionError

from .document import Instance


class NotKnown(CollectionError):
    """A value the plan cannot prove; the attributes derived from it are unknown."""


def get(instance: Instance, *path: str | int) -> Any:
    """The value at ``path`` (None when not set); NotKnown when only known after apply."""
    value: Any = instance.values
    unknown: Any = instance.unknown
    for step in path:
        if unknown is True:
            break
        value = _step(value, step)
        unknown = _step(unknown, step)
    if unknown is True or (unknown and _any_unknown(unknown) and value in (None, [], {})):
        raise NotKnown(f"{instance.address}: {'.'.join(map(str, path))} is known only after apply")
    return value


def blocks(instance: Instance, name: str) -> list[Instance]:
    """A nested block's entries, each readable with :func:`get` (empty when the block is not set)."""
    items = get(instance, name) or []
    unknown = _step(instance.unknown, name)
    if isinstance(items, Mapping):
        items, unknown = [items], [unknown]
    return [Instance(f"{instance.address}.{name}[{i}]", instance.module, instance.mode, instance.type,
                     instance.name, instance.index, item if isinstance(item, Mapping) else {},
                     _step(unknown, i) or {}, instance.action, instance.source_file, instance.provider_name,
                     (*instance.block_path, name, i))
            for i, item in enumerate(items)]


def known(instance: Instance, *path: str | int) -> bool:
    try:
        get(instance, *path)
    except NotKnown:
        return False
    return True


def _step(node: Any, step: str | int) -> Any:
    # plain dict/list checks: the values come from json.load, and ABC isinstance checks are a hot spot
    if type(step) is int:
        return node[step] if type(node) is list and step < len(node) else None
    return node.get(step) if type(node) is dict else None


def _any_unknown(node: Any) -> bool:
    if node is True:
        return True
    if isinstance(node, dict):
        return any(_any_unknown(v) for v in node.values())
    if isinstance(node, list):
        return any(_any_unknown(v) for v in node)
    return False
