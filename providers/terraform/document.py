"""Plan and state JSON (``terraform show -json``, format_version 1.x) as resource instances.

Format: Terraform's "JSON Output Format" (developer.hashicorp.com/terraform/internals/json-format),
identical for OpenTofu (opentofu.org/docs/internals/json-format). A plan carries
``resource_changes`` (each with ``change.actions``, ``after`` and ``after_unknown``) and the
``configuration``; a state carries ``values.root_module`` with every resource's values, all known.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policycheck.errors import InputError
from policycheck.inputs import DEFAULT_MAX_INPUT_MB, MB, read_bounded

SUPPORTED_MAJOR = "1"

#: ``change.actions`` -> what happens to the instance; None: it is gone after apply (not evaluated).
ACTIONS: dict[tuple[str, ...], str | None] = {
    ("no-op",): "no-op",
    ("create",): "create",
    ("read",): "read",
    ("update",): "update",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("delete",): None,
    ("forget",): None,
}


@dataclass
class Instance:
    """One resource instance as it will be after apply (plan) or is now (state)."""

    address: str
    module: str  # module instance address ("" for the root), e.g. module.crm["eu"]
    mode: str  # managed or data
    type: str
    name: str
    index: Any  # None, a count index or a for_each key
    values: Mapping[str, Any]
    unknown: Any  # after_unknown: True, or a tree of the values' shape marking unknown leaves
    action: str  # create, update, no-op, replace, read, or state
    source_file: str
    provider_name: str = ""
    block_path: tuple[str | int, ...] = ()  # for a view of a nested block: its path from the resource

    @property
    def module_path(self) -> str:
        """The module's configuration path: instance keys removed (module.crm)."""
        return strip_keys(self.module)

    @property
    def created(self) -> bool:
        """Created by this plan: nothing set outside the configuration can apply to it yet."""
        return self.action in ("create", "replace")


def strip_keys(address: str) -> str:
    """``module.a["x"].module.b[0]`` -> ``module.a.module.b``."""
    out, depth = [], 0
    for char in address:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def load(path: Path, *, cap: int = DEFAULT_MAX_INPUT_MB * MB) -> dict[str, Any]:
    """The JSON document of ``path`` (a regular file of at most ``cap`` bytes); InputError naming the file for
    anything that is not plan or state JSON."""
    data = read_bounded(path, InputError, cap=cap, what="plan", raise_flag="--max-input-mb")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        place = f"line {exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else None
        raise InputError("not JSON; write the plan with 'terraform show -json tfplan > plan.json'",
                         source=str(path), place=place) from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise InputError("not Terraform plan or state JSON (no format_version)", source=str(path))
    version = str(document["format_version"])
    if version.split(".")[0] != SUPPORTED_MAJOR:
        raise InputError(f"format_version {version} is not supported (1.x expected)", source=str(path))
    if not any(key in document for key in ("resource_changes", "planned_values", "values", "configuration")):
        raise InputError("neither a plan (resource_changes) nor a state (values)", source=str(path))
    return document


def is_plan(document: Mapping[str, Any]) -> bool:
    return "resource_changes" in document or "planned_values" in document


def instances(document: Mapping[str, Any], source: str) -> Iterator[Instance]:
    """Every instance that exists after apply: planned changes of a plan, or the resources of a state."""
    if is_plan(document):
        yield from _changes(document, source)
    else:
        yield from _state(((document.get("values") or {}).get("root_module")) or {}, source)


def _changes(document: Mapping[str, Any], source: str) -> Iterator[Instance]:
    for position, change in enumerate(document.get("resource_changes") or []):
        if not isinstance(change, dict) or not isinstance(change.get("change"), dict):
            raise InputError("resource change is not an object", source=source, place=f"resource_changes[{position}]")
        body = change["change"]
        actions = tuple(body.get("actions") or ())
        if actions not in ACTIONS:
            raise InputError(f"unknown actions {list(actions)}", source=source,
                             place=f"resource_changes[{position}] ({change.get('address')})")
        action = ACTIONS[actions]
        if action is None:
            continue  # destroyed (or forgotten): nothing of it remains to evaluate
        after = body.get("after")
        if not isinstance(after, dict):
            raise InputError("change.after is not an object", source=source,
                             place=f"resource_changes[{position}] ({change.get('address')})")
        yield _instance(change, after, body.get("after_unknown") or {}, action, source)


def _state(module: Mapping[str, Any], source: str) -> Iterator[Instance]:
    for resource in module.get("resources") or []:
        yield _instance(resource, resource.get("values") or {}, {}, "state", source)
    for child in module.get("child_modules") or []:
        yield from _state(child, source)


def _instance(item: Mapping[str, Any], values: dict[str, Any], unknown: Any, action: str, source: str) -> Instance:
    address = str(item.get("address") or "")
    module = str(item.get("module_address") or "")
    if not module and address.startswith("module."):  # state resources carry no module_address
        module = address.rsplit(f".{item.get('type')}.", 1)[0] if item.get("mode") != "data" \
            else address.rsplit(f".data.{item.get('type')}.", 1)[0]
    return Instance(address=address, module=module, mode=str(item.get("mode") or "managed"),
                    type=str(item.get("type") or ""), name=str(item.get("name") or ""), index=item.get("index"),
                    values=values, unknown=unknown, action=action, source_file=source,
                    provider_name=str(item.get("provider_name") or ""))
