"""Helpers shared by the core test modules (importable because conftest puts this folder on sys.path)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

CORE_DIR = Path(__file__).resolve().parents[1]
PLUGIN_DIR = CORE_DIR / "plugin"
MALFORMED_DIR = CORE_DIR / "malformed"
REPO = CORE_DIR.parents[1]

PACK_HEADER = "apiVersion: policycheck/v1\nkind: PolicyPack\n"


def pack_text(rules: str, *, name: str = "core-test", params: str = "", version: str = "1.0.0") -> str:
    """A policy pack document around ``rules`` (YAML list items, any indentation)."""
    body = PACK_HEADER + f"metadata: {{name: {name}, version: \"{version}\"}}\n"
    if params:
        body += "params:\n" + textwrap.indent(textwrap.dedent(params).strip("\n"), "  ") + "\n"
    return body + "rules:\n" + textwrap.indent(textwrap.dedent(rules).strip("\n"), "  ") + "\n"


def rule_text(rule_id: str = "T-1", *, require: str, when: str | None = None, severity: str = "high",
              resources: str = "[test.store]", extra: str = "") -> str:
    """One rule as a YAML list item."""
    lines = [f"- id: {rule_id}", f"  title: rule {rule_id}", f"  severity: {severity}",
             f"  resources: {resources}"]
    if when:
        lines.append(f"  when: {when}")
    lines.append(f"  require: {require}")
    if extra:
        lines.append(textwrap.indent(textwrap.dedent(extra).strip("\n"), "  "))
    return "\n".join(lines) + "\n"


def store(rid: str, *, tags: dict[str, str] | None = None, core: dict[str, Any] | None = None,
          groups: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """One ``test.store`` record of an estate file."""
    record: dict[str, Any] = {"type": "test.store", "id": rid, "name": fields.pop("name", rid), **fields}
    if tags is not None:
        record["tags"] = tags
    record["core"] = core or {}
    record["groups"] = groups or {}
    return record


def device(rid: str, *, groups: dict[str, Any] | None = None, core: dict[str, Any] | None = None,
           **fields: Any) -> dict[str, Any]:
    return {"type": "test.device", "id": rid, "name": rid, "tags": {}, "core": core or {},
            "groups": groups or {}, **fields}


EXPECT = re.compile(r"# expect: (?P<place>\d+:\d+|-) (?P<fragment>.+)")


def expectation(path: Path) -> tuple[str | None, str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("ascii")
    match = EXPECT.fullmatch(first.strip())
    assert match, f"{path.name}: first line must be '# expect: LINE:COL fragment'"
    return (None if match["place"] == "-" else match["place"]), match["fragment"]


def check_one_line_error(exit_code: int, stdout: str, stderr: str, path: Path) -> None:
    place, fragment = expectation(path)
    assert exit_code == 2, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    prefix = f"policycheck: error: {path}:" + (f"{place}: " if place else " ")
    assert lines[0].startswith(prefix), f"{lines[0]!r} should start with {prefix!r}"
    assert fragment in lines[0]
