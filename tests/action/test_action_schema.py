"""action.yml against the GitHub Action metadata schema, and the example workflows against the workflow
schema, both as check-jsonschema ships them (vendored from SchemaStore: no download needed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
needs_check_jsonschema = pytest.mark.skipif(shutil.which("check-jsonschema") is None,
                                            reason="check-jsonschema is not installed (pip install check-jsonschema)")


def check(schema: str, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["check-jsonschema", "--builtin-schema", schema, *map(str, paths)], capture_output=True,
                          text=True, timeout=120)


@needs_check_jsonschema
def test_action_metadata_is_valid():
    result = check("vendor.github-actions", REPO / "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_check_jsonschema
def test_example_workflows_are_valid():
    result = check("vendor.github-workflows", *sorted((REPO / "examples" / "workflows").glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_check_jsonschema
def test_the_schema_check_catches_a_broken_cache_step(tmp_path):
    broken = (REPO / "action.yml").read_text(encoding="utf-8").replace("uses: actions/cache@v4", "usess: x")
    (tmp_path / "action.yml").write_text(broken, encoding="utf-8")
    assert check("vendor.github-actions", tmp_path / "action.yml").returncode == 1
