"""``scan --baseline PREVIOUS.json``: only findings not in the baseline fail; fixed ones are resolved.

Through the real CLI in a subprocess, as a pipeline runs it.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration  # the CLI in a subprocess


@pytest.fixture
def baseline(tmp_path, kit):
    path = tmp_path / "previous.json"
    result = kit.policycheck(*kit.scan_args("--format", f"json={path}"))
    assert result.returncode == 1, result.stderr
    return path


def test_unchanged_estate_passes_against_its_own_baseline(baseline, tmp_path, kit):
    report = tmp_path / "tonight.json"
    result = kit.policycheck(*kit.scan_args("--baseline", str(baseline), "--format", f"json={report}",
                                            "--format", "text"))
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["baseline"] == {"source": str(baseline), "new": 0, "known": 8, "past_deadline": 0,
                                    "resolved": []}
    assert document["summary"]["failing"] == 0
    failing = [f for f in document["findings"] if f["result"] in ("fail", "error")]
    assert len(failing) == 8 and not any(f["new"] for f in failing)
    assert "(known" in result.stdout and "PASSED" in result.stdout


def test_new_finding_fails_and_fixed_one_is_resolved(baseline, tmp_path, kit):
    resources = kit.estate_resources()
    resources[0]["attributes"]["access.public"] = True        # crm-export: newly public
    resources[1]["attributes"]["encryption.at_rest"] = True   # callcentre-us: now encrypted
    snapshot = kit.write_snapshot(tmp_path / "tonight-estate.json", resources)
    report, sarif = tmp_path / "tonight.json", tmp_path / "tonight.sarif"
    result = kit.policycheck(*kit.scan_args("--baseline", str(baseline), "--format", f"json={report}",
                                            "--format", f"sarif={sarif}", snapshot=snapshot))
    assert result.returncode == 1, result.stderr
    document = json.loads(report.read_text(encoding="utf-8"))
    new = [(f["rule_id"], f["resource"]["name"]) for f in document["findings"]
           if f["new"] and f["result"] in ("fail", "error")]
    assert new == [("TK-PUB-001", "crm-export")]
    assert document["summary"]["failing"] == 1
    assert document["baseline"]["new"] == 1
    assert [(r["rule_id"], r["resource"]) for r in document["baseline"]["resolved"]] == [
        ("TK-ENC-001", "store:acct-1:callcentre-us")]
    states = {r["baselineState"] for r in json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]}
    assert states == {"new", "unchanged"}


def test_new_finding_below_the_threshold_does_not_fail(baseline, tmp_path, kit):
    resources = kit.estate_resources()
    resources[0]["attributes"]["logging.access_logging"] = False  # a new low finding
    snapshot = kit.write_snapshot(tmp_path / "tonight-estate.json", resources)
    result = kit.policycheck(*kit.scan_args("--baseline", str(baseline), "--fail-on", "medium", snapshot=snapshot))
    assert result.returncode == 0, result.stdout + result.stderr
    result = kit.policycheck(*kit.scan_args("--baseline", str(baseline), "--fail-on", "low", snapshot=snapshot))
    assert result.returncode == 1


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not a JSON report"),
    ('{"format": "policycheck/snapshot/v1", "resources": []}', "not a policycheck JSON report"),
    ('{"format": "policycheck/report/v1", "findings": [{"rule_id": "X"}]}', "fingerprints"),
])
def test_unusable_baseline_is_a_one_line_error(tmp_path, kit, content, message):
    path = tmp_path / "previous.json"
    path.write_text(content, encoding="utf-8")
    result = kit.policycheck(*kit.scan_args("--baseline", str(path)))
    assert result.returncode == 2
    assert message in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
