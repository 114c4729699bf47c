"""``policycheck diff OLD.json NEW.json``: new, resolved, unchanged; exit 1 only for new failing findings."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.model import Severity
from policycheck.report import Thresholds
from policycheck.reporters import load_reporters


@pytest.fixture
def reports(scan, tmp_path, kit):
    """Last night's report, and tonight's: crm-export became public, callcentre-us got encrypted."""
    def write(name, snapshot=kit.ESTATE, **options):
        path = tmp_path / name
        path.write_text(load_reporters().get("json").render(scan(snapshot, **options), False), encoding="utf-8")
        return path

    resources = kit.estate_resources()
    resources[0]["attributes"]["access.public"] = True
    resources[1]["attributes"]["encryption.at_rest"] = True
    resources[3]["attributes"]["encryption.at_rest"] = True  # tickets: readable again, no longer an error
    del resources[3]["unknown"]["encryption.at_rest"]
    tonight = kit.write_snapshot(tmp_path / "tonight-estate.json", resources)
    return {"old": write("old.json"), "new": write("new.json", tonight), "same": write("same.json"),
            "write": write, "tonight": tonight}


def run(*args):
    return CliRunner().invoke(main, ["diff", *map(str, args)])


def test_identical_reports_have_nothing_new(reports):
    result = run(reports["old"], reports["same"])
    assert result.exit_code == 0, result.output
    assert "0 new, 0 resolved, 8 unchanged failing findings" in result.output
    assert "OK: no new failing findings" in result.output


def test_new_and_resolved_findings(reports):
    result = run(reports["old"], reports["new"])
    assert result.exit_code == 1
    out = result.output
    assert "1 new, 2 resolved, 6 unchanged failing findings" in out
    new_block = out.split("new:")[1].split("resolved:")[0]
    assert "+ critical fail  TK-PUB-001" in new_block and "store:acct-1:crm-export" in new_block
    resolved_block = out.split("resolved:")[1]
    assert "store:acct-1:callcentre-us" in resolved_block and "[now: pass]" in resolved_block
    assert "store:acct-2:tickets" in resolved_block  # the former error
    assert "FAILED: 1 new failing finding(s)" in out


def test_json_format(reports, tmp_path):
    out = tmp_path / "diff.json"
    result = run(reports["old"], reports["new"], "--format", "json", "--output", out)
    assert result.exit_code == 1
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["format"] == "policycheck/diff/v1"
    assert document["summary"] == {"new": 1, "resolved": 2, "unchanged": 6, "failing_new": 1}
    assert [f["rule_id"] for f in document["new_findings"]] == ["TK-PUB-001"]
    assert {f["now"] for f in document["resolved"]} == {"pass"}
    assert all(f["result"] in ("fail", "error") for f in document["unchanged"])


def test_markdown_format(reports):
    result = run(reports["old"], reports["new"], "-f", "markdown")
    assert result.output.startswith("## policycheck diff: ❌ 1 new failing finding(s)")
    assert "| 1 | 2 | 6 |" in result.output
    assert "### New (1)" in result.output and "### Resolved (2)" in result.output


def test_threshold_defaults_to_the_new_reports_and_can_be_overridden(reports, tmp_path, kit):
    resources = kit.estate_resources()
    resources[0]["attributes"]["logging.access_logging"] = False  # a new low finding only
    snapshot = kit.write_snapshot(tmp_path / "low.json", resources)
    new = reports["write"]("medium.json", snapshot, thresholds=Thresholds(Severity.MEDIUM))
    assert run(reports["old"], new).exit_code == 0          # NEW was scanned with --fail-on medium
    assert run(reports["old"], new, "--fail-on", "low").exit_code == 1


def test_new_error_respects_fail_on_error(reports, tmp_path, kit):
    resources = kit.estate_resources()
    resources[0]["unknown"]["access.public"] = "AccessDenied (s3:GetBucketPolicyStatus)"
    del resources[0]["attributes"]["access.public"]
    new = reports["write"]("errors.json", kit.write_snapshot(tmp_path / "e.json", resources))
    assert run(reports["old"], new).exit_code == 1
    assert run(reports["old"], new, "--no-fail-on-error").exit_code == 0


@pytest.mark.parametrize(("content", "message"), [
    ("[]", "not a policycheck JSON report"),
    ('{"format": "policycheck/report/v1", "findings": [{"fingerprint": "a", "severity": "severe"}]}',
     "findings[0].severity"),
])
def test_bad_input_is_exit_2_with_one_line(reports, tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(reports["old"]), str(bad)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_missing_file(reports, tmp_path):
    result = run(tmp_path / "nope.json", reports["old"])
    assert result.exit_code == 2
    assert "report file not found" in result.output
