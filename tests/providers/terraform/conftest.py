"""Fixtures: plan and state JSON written by hand in Terraform's documented "JSON Output Format"
(developer.hashicorp.com/terraform/internals/json-format; identical in OpenTofu,
opentofu.org/docs/internals/json-format), with the .tf files they were planned from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policycheck.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
PLAN = FIXTURES / "main" / "plan.json"
STATE = FIXTURES / "state.json"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def collect(tmp_path):
    """Resources of a plan through ``policycheck collect``: id -> (attributes, unknown reasons, snapshot record)."""

    def collect_(*paths: Path, extra: tuple[str, ...] = ()) -> dict[str, dict]:
        out = tmp_path / "snapshot.json"
        args = ["collect", "--provider", "terraform", "-o", str(out), *extra]
        for path in paths:
            args += ["--plan", str(path)]
        code, output = run(*args)
        assert code == 0, output
        return {r["id"]: r for r in json.loads(out.read_text())["resources"]}

    return collect_


@pytest.fixture
def write_plan(tmp_path):
    def write(document: dict, name: str = "plan.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(document))
        return path

    return write
