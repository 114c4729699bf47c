"""Shared fixtures of the core tests.

The core tests never depend on the built-in providers (they are written in parallel): a small
provider in ``plugin/policycheck_coretest.py`` is registered here through the public API, and
for subprocess tests through a real ``policycheck.providers`` entry point (see ``plugin_env``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

PLUGIN_DIR = Path(__file__).parent / "plugin"

if str(PLUGIN_DIR) not in sys.path:
    sys.path.insert(0, str(PLUGIN_DIR))

import policycheck_coretest as coretest  # noqa: E402
from core_support import pack_text  # noqa: E402

from policycheck.provider import PROVIDERS, register_provider  # noqa: E402

if "coretest" not in PROVIDERS:
    register_provider(coretest.CoreTestProvider)

from policycheck.cli import main  # noqa: E402


@pytest.fixture(autouse=True)
def _clean_fetch_log() -> Iterator[None]:
    coretest.FETCH_LOG.clear()
    yield
    coretest.FETCH_LOG.clear()


@pytest.fixture
def fetch_log() -> list[tuple[str, str]]:
    """(resource id, group) of every lazy fetch made by the core test provider."""
    return coretest.FETCH_LOG


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a file under tmp_path: ``write("a.yaml", text)``; dicts/lists are written as JSON."""
    def _write(name: str, content: Any) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict | list):
            path.write_text(json.dumps(content, indent=1), encoding="utf-8")
        else:
            path.write_text(content, encoding="utf-8")
        return path
    return _write


@pytest.fixture
def estate(write: Callable[..., Path]) -> Callable[..., Path]:
    """Write an estate file for the core test provider from resource records."""
    def _estate(*records: dict[str, Any], name: str = "estate.json", **extra: Any) -> Path:
        return write(name, {"resources": list(records), **extra})
    return _estate


@pytest.fixture
def policy(write: Callable[..., Path]) -> Callable[..., Path]:
    """Write a policy pack from rule items: ``policy(rule_text(...), rule_text(...), params=...)``."""
    def _policy(*rules: str, name: str = "policy.yaml", pack: str = "core-test", params: str = "") -> Path:
        return write(name, pack_text("".join(rules), name=pack, params=params))
    return _policy


class Cli:
    """Runs the real click command in-process with separate stdout and stderr."""

    def __init__(self, cwd: Path):
        self.cwd = cwd

    def __call__(self, *args: Any, input: str | None = None) -> Result:
        runner = CliRunner()
        old = Path.cwd()
        os.chdir(self.cwd)
        try:
            return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
        finally:
            os.chdir(old)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """``cli("scan", "--policy", path, ...)`` -> click Result (exit_code, stdout, stderr), cwd = tmp_path."""
    return Cli(tmp_path)


@pytest.fixture(scope="session")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for a real ``python -m policycheck`` subprocess that finds the core test provider
    through the ``policycheck.providers`` entry-point group, exactly as a third-party plugin would."""
    site = tmp_path_factory.mktemp("plugin-site")
    dist = site / "policycheck_coretest-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: policycheck-coretest\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[policycheck.providers]\ncoretest = policycheck_coretest:CoreTestProvider\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYCHECK_", "COVERAGE"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), str(PLUGIN_DIR), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "140"
    return env
