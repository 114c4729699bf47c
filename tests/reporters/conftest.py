"""Reports to render: a real scan (loader, engine, waivers) of a small snapshot of test stores.

The stores are of type ``testkit.store`` from the plugin in ``fixtures/plugin``. In-process
tests register that type only for the test's duration; subprocess tests put the plugin on
PYTHONPATH, where policycheck finds it through its entry point like any third-party provider.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from policycheck.attributes import RESOURCE_TYPES
from policycheck.context import RunContext
from policycheck.report import Report, Thresholds
from policycheck.resolution import resolve
from policycheck.run import run_scan

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
PLUGIN = FIXTURES / "plugin"
POLICY = FIXTURES / "policy.yaml"
ESTATE = FIXTURES / "estate.json"
WAIVERS = FIXTURES / "waivers.yaml"
SCHEMAS = HERE.parent / "schemas"
EVALUATION_DATE = dt.date(2025, 2, 1)


def _plugin_store():
    spec = importlib.util.spec_from_file_location("policycheck_testkit", PLUGIN / "policycheck_testkit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.STORE


@pytest.fixture
def testkit_type(monkeypatch: pytest.MonkeyPatch):
    """Register ``testkit.store`` for this test only (the registry is left as it was)."""
    store = _plugin_store()
    monkeypatch.setitem(RESOURCE_TYPES._items, store.name, store)
    return store


@pytest.fixture
def scan(testkit_type, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Report]:
    """Scan a snapshot in-process (cwd: the repository root) and return the Report."""
    monkeypatch.chdir(HERE.parents[1])

    def run(snapshot: Path = ESTATE, *, policies: list[str] | None = None, waivers: Path | None = WAIVERS,
            baseline: Path | None = None, thresholds: Thresholds | None = None) -> Report:
        thresholds = thresholds or Thresholds()
        flags = {"policies": tuple(policies or [str(POLICY)]), "waivers": str(waivers) if waivers else None,
                 "baseline": str(baseline) if baseline else None, "fail_on": thresholds.fail_on.label,
                 "fail_on_error": thresholds.fail_on_error, "evaluation_date": EVALUATION_DATE.isoformat(),
                 "workers": 2}
        settings = resolve(None, flags, read_config=False)
        return run_scan(settings, RunContext.build(settings.run), snapshots=[snapshot])

    return run


@pytest.fixture
def report(scan) -> Report:
    return scan()


def write_snapshot(path: Path, resources: list[dict]) -> Path:
    path.write_text(json.dumps({"format": "policycheck/snapshot/v1", "created": "2025-02-01T00:00:00+00:00",
                                "policycheck_version": "0.1.0", "sources": ["testkit"], "resources": resources}),
                    encoding="utf-8")
    return path


def estate_resources() -> list[dict]:
    return json.loads(ESTATE.read_text(encoding="utf-8"))["resources"]


# -- the CLI in a subprocess ----------------------------------------------------------------
def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PLUGIN), env.get("PYTHONPATH")]))
    env.pop("NO_COLOR", None)
    return env


def policycheck(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m policycheck ARGS`` with the test plugin installed."""
    return subprocess.run([sys.executable, "-m", "policycheck", *args], capture_output=True, text=True,
                          env=cli_env(), cwd=cwd or HERE.parents[1], timeout=120)


def scan_args(*extra: str, snapshot: Path = ESTATE) -> list[str]:
    return ["scan", "--policy", str(POLICY), "--snapshot", str(snapshot), "--waivers", str(WAIVERS),
            "--evaluation-date", EVALUATION_DATE.isoformat(), *extra]


# -- the schemas ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sarif_validator() -> jsonschema.Draft7Validator:
    """The official SARIF 2.1.0 schema (draft-07), with format checks."""
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/")
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="session")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd"))


def assert_valid_sarif(validator: jsonschema.Draft7Validator, document: dict) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


class Kit:
    """The helpers above for test modules (conftest modules are not importable by name)."""

    FIXTURES, PLUGIN, POLICY, ESTATE, WAIVERS, SCHEMAS = FIXTURES, PLUGIN, POLICY, ESTATE, WAIVERS, SCHEMAS
    EVALUATION_DATE = EVALUATION_DATE
    write_snapshot = staticmethod(write_snapshot)
    estate_resources = staticmethod(estate_resources)
    policycheck = staticmethod(policycheck)
    scan_args = staticmethod(scan_args)
    cli_env = staticmethod(cli_env)
    assert_valid_sarif = staticmethod(assert_valid_sarif)


@pytest.fixture(scope="session")
def kit() -> type[Kit]:
    return Kit
