"""The hostile-data corpus (issue 13): every attack of the 0.1.0 attack run, kept as a regression.

Each module covers one item of the issue. Inputs are real files (snapshots in the format
``policycheck collect`` writes, JSON reports, YAML), and the CLI runs in-process through click's
runner or, where signals, pipes and exit codes matter, as a real ``python -m policycheck`` process.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).parent))

from hostile_support import PACK, snapshot_document

from policycheck.cli import main


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(PACK, encoding="utf-8")
    return path


@pytest.fixture
def snapshot(tmp_path: Path) -> Callable[..., Path]:
    """Write a snapshot of ``records`` (with ``problems``) and return its path."""
    def write(records: Iterable[dict[str, Any]], name: str = "snapshot.json",
              problems: list[dict[str, str]] | None = None) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(snapshot_document(records, problems)), encoding="utf-8")
        return path
    return write


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run the CLI in-process from ``tmp_path`` with a fixed evaluation date and no config file around."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLICYCHECK_EVALUATION_DATE", "2026-05-01")

    def run(*args: Any) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return run
