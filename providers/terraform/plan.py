"""One plan or state: its instances, how they refer to each other, and where each one is.

Joins follow the configuration's references (modules, ``count`` and ``for_each`` instances
included). Where the configuration does not decide (a state file has none; a literal name),
a known value of the referring attribute is matched against the target's identifying
attributes (``id``, ``bucket``, ``arn``, ...): equality of known values, never a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from policycheck.inputs import DEFAULT_MAX_INPUT_MB, MB
from policycheck.regions import locate

from . import values
from .config import Configuration, Target
from .document import Instance, instances, is_plan, load, strip_keys
from .values import NotKnown

#: An attribute name, or a path into nested blocks (``("rule", 0, "destination", 0, "bucket")``).
Path_ = str | tuple[str | int, ...]

#: Attributes that identify an instance when another resource names it by value.
IDENTIFIERS = ("id", "bucket", "arn", "name", "identifier", "cluster_identifier", "key_id", "self_link")


class Plan:
    """The instances of one plan/state file, indexed for joins."""

    def __init__(self, path: Path, document: Mapping[str, Any] | None = None, *, cap: int = DEFAULT_MAX_INPUT_MB * MB):
        self.path = path
        document = load(path, cap=cap) if document is None else document
        self.is_plan = is_plan(document)
        self.config = Configuration(document)
        self.instances = list(instances(document, str(path)))
        self._by_resource: dict[tuple[str, str, str, str], list[Instance]] = defaultdict(list)
        self._by_type: dict[str, list[Instance]] = defaultdict(list)
        for instance in self.instances:
            self._by_resource[instance.module_path, instance.mode, instance.type, instance.name].append(instance)
            self._by_type[instance.type].append(instance)

    def of_type(self, *types: str, mode: str = "managed") -> list[Instance]:
        return [i for t in types for i in self._by_type.get(t, ()) if i.mode == mode]

    def configuration(self, instance: Instance) -> Mapping[str, Any] | None:
        return self.config.resource(instance.module_path, instance.mode, instance.type, instance.name)

    def expression(self, instance: Instance, attribute: Path_) -> Any:
        """The configuration expression of ``attribute``: a name, or a path into nested blocks."""
        node: Any = (self.configuration(instance) or {}).get("expressions") or {}
        for step in (*instance.block_path, *((attribute,) if isinstance(attribute, str) else attribute)):
            if isinstance(step, int):
                node = node[step] if isinstance(node, list) and step < len(node) else None
            else:
                node = node.get(step) if isinstance(node, Mapping) else None
        return node

    def value(self, instance: Instance, attribute: Path_, default: Any = None) -> Any:
        """A setting's value; ``default`` (the service's documented default) where the configuration leaves it unset
        and the provider computes it after apply. An unknown value the configuration sets stays unknown."""
        path = (attribute,) if isinstance(attribute, str) else attribute
        try:
            found = values.get(instance, *path)
        except NotKnown:
            if self.configured(instance, path):
                raise
            return default
        return default if found is None else found

    def configured(self, instance: Instance, attribute: Path_) -> bool:
        """The configuration sets ``attribute`` (so an unknown value of it is not a default)."""
        return self.expression(instance, attribute) is not None

    # -- joins ------------------------------------------------------------------------------
    def referenced(self, instance: Instance, attribute: Path_, types: Iterable[str], mode: str = "managed",
                   by_value: bool = True) -> list[Instance]:
        """Instances of ``types`` that ``instance``'s ``attribute`` refers to.

        One instance when the plan decides; several when it cannot tell which (the caller
        treats that as unknown); none when the target is not in this plan.
        """
        types = tuple(types)
        found: list[Instance] = []
        for target in self._targets(instance, attribute):
            if target.type in types and target.mode == mode:
                found.extend(self._instances_of(target, instance))
        if not found and by_value:
            found = self._by_value(instance, attribute, types, mode)
        return list({id(i): i for i in found}.values())

    def refers_to(self, instance: Instance, attribute: Path_, types: Iterable[str], mode: str = "managed") -> bool:
        """The configuration of ``attribute`` refers to some resource of ``types`` (whatever its values)."""
        return any(t.type in tuple(types) and t.mode == mode for t in self._targets(instance, attribute))

    def _targets(self, instance: Instance, attribute: Path_) -> list[Target]:
        """What ``attribute`` refers to; ``each.value`` stands for the resource ``for_each`` iterates over."""
        expression = self.expression(instance, attribute)
        found = list(self.config.targets(instance.module, expression))
        references = (expression or {}).get("references") or () if isinstance(expression, Mapping) else ()
        if any(r == "each.value" or r.startswith("each.value.") for r in references):
            for_each = (self.configuration(instance) or {}).get("for_each_expression")
            found += self.config.targets(instance.module, for_each)
        return found

    def _instances_of(self, target: Target, referrer: Instance) -> list[Instance]:
        key = (strip_keys(target.module), target.mode, target.type, target.name)
        candidates = [i for i in self._by_resource.get(key, ()) if not target.exact_module or i.module == target.module]
        if target.has_index:
            return [i for i in candidates if i.index == target.index]
        if len(candidates) <= 1:
            return candidates
        if self._repeats_with(referrer, target):
            return [i for i in candidates if i.index == referrer.index]
        return candidates

    def _repeats_with(self, referrer: Instance, target: Target) -> bool:
        """The referrer's instances line up with the target's: ``target[count.index]``, ``target[each.key]`` or
        ``for_each = target``."""
        config = self.configuration(referrer) or {}
        if referrer.index is None:
            return False
        for_each = config.get("for_each_expression") or {}
        if any(r.split("[")[0] == f"{target.type}.{target.name}" for r in for_each.get("references") or ()):
            return True
        used = {r for e in (config.get("expressions") or {}).values() if isinstance(e, Mapping)
                for r in e.get("references") or ()}
        return bool(used & {"count.index", "each.key", "each.value"})

    def _by_value(self, instance: Instance, attribute: Path_, types: tuple[str, ...], mode: str) -> list[Instance]:
        try:
            value = values.get(instance, *((attribute,) if isinstance(attribute, str) else attribute))
        except NotKnown:
            return []
        if not isinstance(value, str) or not value:
            return []
        return [i for t in types for i in self._by_type.get(t, ()) if i.mode == mode
                and any(values.known(i, key) and i.values.get(key) == value for key in IDENTIFIERS)]

    # -- where ------------------------------------------------------------------------------
    def region(self, instance: Instance) -> str:
        """The AWS region of ``instance``: its own ``region`` value, the ARN, else its provider configuration."""
        own = instance.values.get("region")
        if isinstance(own, str) and own and values.known(instance, "region"):
            return own
        arn = instance.values.get("arn")
        if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[3]:
            return arn.split(":")[3]
        if not self.config.present:
            raise NotKnown(f"{instance.address}: the state records no region for this resource")
        provider = self.config.provider(self.configuration(instance))
        if provider is None:
            raise NotKnown(f"{instance.address}: its provider configuration is not in the plan")
        key, entry = provider
        expression = (entry.get("expressions") or {}).get("region")
        if expression is None:
            raise NotKnown(f"provider '{key}' sets no region in the configuration (it came from the environment "
                           "at plan time)")
        ok, value = self.config.constant(str(entry.get("module_address") or ""), expression)
        if not ok or not isinstance(value, str) or not value:
            raise NotKnown(f"provider '{key}': region is not a constant or a variable the plan resolves")
        return value


def location(region: str) -> dict[str, Any]:
    return locate("aws", region)


