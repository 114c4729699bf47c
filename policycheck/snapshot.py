"""Offline snapshots: collected resources as versioned JSON, evaluated later with no cloud access."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .attributes import RESOURCE_TYPES
from .errors import InputError
from .inputs import DEFAULT_MAX_INPUT_MB, MB, read_bounded
from .model import CollectionProblem, Resource, Unknown

__all__ = ["FORMAT", "Snapshot", "load_snapshot", "read_snapshot", "resource_record", "write_snapshot"]

FORMAT = "policycheck/snapshot/v1"
REQUIRED = ("type", "id", "name", "provider")


def resource_record(resource: Resource) -> dict[str, Any]:
    """What a snapshot keeps of a resource: known values, and unknown ones with their reason."""
    unknown = dict(resource.unknown_attributes)
    known = {}
    for name, value in resource.known_attributes.items():
        if isinstance(value, Unknown):  # a provider may store Unknown as a value: it must not become a string
            unknown.setdefault(name, value.reason)
        else:
            known[name] = value
    failed = resource.failed_groups
    if failed and resource.type in RESOURCE_TYPES:
        for spec in RESOURCE_TYPES.get(resource.type).attributes:
            if spec.group in failed:
                unknown.setdefault(spec.name, failed[spec.group])
    if "tags" in failed:
        unknown["tags"] = failed["tags"]
    return {
        "type": resource.type, "id": resource.id, "name": resource.name, "provider": resource.provider,
        "account": resource.account, "region": resource.region, "tags": resource.tags,
        "attributes": dict(sorted(known.items())), "unknown": dict(sorted(unknown.items())),
    }


def write_snapshot(resources: Iterable[Resource], out: TextIO, *, version: str, sources: list[str],
                   created: dt.datetime | None = None,
                   problems: Callable[[], list[CollectionProblem]] | None = None) -> int:
    """Stream resources as a snapshot document; returns how many were written.

    ``problems`` is called once every resource is written: the scopes that could not be listed,
    kept so that a scan of the snapshot reports them too.
    """
    created = created or dt.datetime.now(dt.UTC)  # the run hands in its own clock's time
    header = {"format": FORMAT, "created": created.isoformat(timespec="seconds"), "policycheck_version": version,
              "sources": sources}
    out.write(json.dumps(header, indent=1)[:-2] + ',\n "resources": [\n')
    count = 0
    for resource in resources:
        out.write((",\n" if count else "") + "  " + json.dumps(resource_record(resource), default=str,
                                                               sort_keys=True))
        count += 1
    trailer = json.dumps([p.as_dict() for p in problems()] if problems else [], sort_keys=True)
    out.write(f'\n ],\n "problems": {trailer}\n}}\n')
    return count


@dataclass(frozen=True)
class Snapshot:
    """A parsed snapshot file: its resource records and the collection problems it carries."""

    source: str
    records: list[Any]
    problems: list[CollectionProblem]

    def resources(self) -> Iterator[Resource]:
        for index, record in enumerate(self.records):
            yield _resource(record, f"resources[{index}]", self.source)


def load_snapshot(path: Path, *, cap: int = DEFAULT_MAX_INPUT_MB * MB) -> Snapshot:
    """Read and check a snapshot file of at most ``cap`` bytes; a malformed file is one clear line (exit 2)."""
    source = str(path)
    raw = read_bounded(path, InputError, cap=cap, what="snapshot file", raise_flag="--max-input-mb")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError("snapshot is not UTF-8 text", source=source) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", source=source, place=f"{exc.lineno}:{exc.colno}") from None
    except RecursionError:
        raise InputError("not a snapshot: JSON nested too deeply to read", source=source) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise InputError(f"not a policycheck snapshot (format must be '{FORMAT}', found {found!r})", source=source)
    records = document.get("resources")
    if not isinstance(records, list):
        raise InputError("'resources' must be a list", source=source)
    problems = document.get("problems", [])
    if not isinstance(problems, list) or not all(
            isinstance(p, dict) and all(isinstance(p.get(k), str) for k in ("provider", "scope", "message"))
            for p in problems):
        raise InputError("'problems' must be a list of {provider, scope, message}", source=source)
    return Snapshot(source, records, [CollectionProblem(p["provider"], p["scope"], p["message"],
                                                        "warning" if p.get("level") == "warning" else "error")
                                      for p in problems])


def read_snapshot(path: Path) -> Iterator[Resource]:
    """Resources of a snapshot file (see :func:`load_snapshot`)."""
    return load_snapshot(path).resources()


def _resource(record: Any, place: str, source: str) -> Resource:
    if not isinstance(record, dict):
        raise InputError(f"{place}: a resource must be an object", source=source)
    missing = [key for key in REQUIRED if not isinstance(record.get(key), str) or not record.get(key)]
    if missing:
        raise InputError(f"{place}: missing or empty {', '.join(missing)}", source=source)
    for key in ("attributes", "unknown"):
        if not isinstance(record.get(key, {}), dict):
            raise InputError(f"{place}.{key}: must be an object", source=source)
    tags = record.get("tags")
    unknown = dict(record.get("unknown") or {})
    if tags is not None and not isinstance(tags, dict):
        raise InputError(f"{place}.tags: must be an object or null", source=source)
    if tags is None and "tags" not in unknown:
        unknown["tags"] = "tags were not collected"
    return Resource(
        type=record["type"], id=record["id"], name=record["name"], provider=record["provider"],
        account=str(record.get("account", "")), region=str(record.get("region", "")),
        tags={str(k): str(v) for k, v in tags.items()} if tags is not None else None,
        attributes=record.get("attributes") or {}, unknown={k: str(v) for k, v in unknown.items()},
        absent=f"not collected in snapshot {Path(source).name} (collect with these policies or --all-attributes)",
    )
