"""SARIF 2.1.0: valid against the official schema, and what GitHub code scanning needs."""

from __future__ import annotations

import json
import shutil

import pytest

from policycheck.model import Result, Severity
from policycheck.report import CollectionProblem
from policycheck.reporters import load_reporters
from policycheck.reporters.sarif import FINGERPRINT_KEY, SEVERITY_MAP, sarif_document


def render(report) -> dict:
    return json.loads(load_reporters().get("sarif").render(report, False))


def test_full_report_is_valid_sarif(report, sarif_validator, kit):
    document = render(report)
    kit.assert_valid_sarif(sarif_validator, document)
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1


def test_one_rule_descriptor_per_policy_rule_with_help(report):
    rules = render(report)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in report.rules]
    by_id = {r["id"]: r for r in rules}
    loc = by_id["TK-LOC-001"]
    assert loc["shortDescription"]["text"] == "Personal data stays in allowed jurisdictions"
    for text in (loc["help"]["text"], loc["help"]["markdown"]):
        assert "GDPR Art. 44" in text and "GDPR Art. 46" in text
        assert "Move the data to an EU region" in text
    assert "security" in loc["properties"]["tags"]
    assert "GDPR Art. 44" in loc["properties"]["tags"]


@pytest.mark.parametrize(("rule_id", "level", "score"), [
    ("TK-LOC-001", "error", "9.5"),   # critical
    ("TK-ENC-001", "error", "8.0"),   # high
    ("TK-RET-001", "warning", "5.5"),  # medium
    ("TK-LOG-001", "note", "3.0"),    # low
    ("TK-OWN-001", "note", None),     # info: not a security alert
])
def test_severity_maps_to_level_and_security_severity(report, rule_id, level, score):
    rule = {r["id"]: r for r in render(report)["runs"][0]["tool"]["driver"]["rules"]}[rule_id]
    assert rule["defaultConfiguration"]["level"] == level
    assert rule["properties"].get("security-severity") == score


def test_security_severity_bands_match_githubs():
    """GitHub: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9."""
    bands = {Severity.CRITICAL: (9.0, 10.0), Severity.HIGH: (7.0, 8.9), Severity.MEDIUM: (4.0, 6.9),
             Severity.LOW: (0.1, 3.9)}
    for severity, (low, high) in bands.items():
        assert low <= float(SEVERITY_MAP[severity][1]) <= high


def test_one_result_per_failing_erroring_or_waived_finding(report):
    results = render(report)["runs"][0]["results"]
    reported = [f for f in report.findings if f.result in (Result.FAIL, Result.ERROR, Result.WAIVED)]
    assert len(results) == len(reported) == 9
    assert {r["properties"]["result"] for r in results} == {"fail", "error", "waived"}
    assert not any(r["properties"]["result"] == "pass" for r in results)
    rules = render(report)["runs"][0]["tool"]["driver"]["rules"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_waived_finding_is_an_accepted_suppression_with_justification(report):
    results = render(report)["runs"][0]["results"]
    waived = [r for r in results if r["properties"]["result"] == "waived"]
    assert len(waived) == 1
    suppression, = waived[0]["suppressions"]
    assert suppression["kind"] == "external"
    assert suppression.get("status", "accepted") == "accepted"  # absent means accepted
    assert "written once a year" in suppression["justification"]
    assert "dpo@example.com" in suppression["justification"] and "2025-03-01" in suppression["justification"]
    assert all(r["suppressions"] == [] for r in results if r["properties"]["result"] != "waived")


def test_error_result_says_it_could_not_evaluate(report):
    error, = [r for r in render(report)["runs"][0]["results"] if r["properties"]["result"] == "error"]
    assert "could not evaluate" in error["message"]["text"]
    assert "kms:DescribeKey" in error["message"]["text"]
    assert error["level"] == "error"  # high severity: an unknown value fails like a violation


def test_partial_fingerprints_are_the_finding_fingerprints_and_stable(scan):
    first, second = scan(), scan()
    fingerprints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in render(first)["runs"][0]["results"]]
    assert fingerprints == [f.fingerprint for f in first.findings if f.result is not Result.PASS]
    assert len(set(fingerprints)) == len(fingerprints)
    assert fingerprints == [r["partialFingerprints"][FINGERPRINT_KEY] for r in render(second)["runs"][0]["results"]]


def test_locations_name_the_resource_and_the_rule_line_in_the_policy_file(report, kit):
    policy_lines = kit.POLICY.read_text(encoding="utf-8").splitlines()
    for result in render(report)["runs"][0]["results"]:
        location, = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "tests/reporters/fixtures/policy.yaml", "uriBaseId": "%SRCROOT%"}
        line = physical["region"]["startLine"]
        assert f"id: {result['ruleId']}" in policy_lines[line - 1]
        logical, = location["logicalLocations"]
        assert logical["fullyQualifiedName"] == result["properties"]["resource"]["id"]
        assert logical["kind"] == "resource"


def test_policy_outside_the_checkout_gets_an_absolute_file_uri(scan, tmp_path, monkeypatch, sarif_validator, kit):
    outside = tmp_path / "policies" / "my policy.yaml"
    outside.parent.mkdir()
    shutil.copy(kit.POLICY, outside)
    report = scan(policies=[str(outside)])
    monkeypatch.chdir(kit.FIXTURES)  # neither the working directory nor the package root holds the file
    document = render(report)
    kit.assert_valid_sarif(sarif_validator, document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": outside.resolve().as_uri()}
    assert "my%20policy.yaml" in location["uri"]


def test_baseline_state_marks_new_and_unchanged(scan, tmp_path, kit):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(load_reporters().get("json").render(scan(), False), encoding="utf-8")
    resources = kit.estate_resources()
    resources[2]["attributes"]["encryption.at_rest"] = False  # archive-2023 newly unencrypted
    report = scan(kit.write_snapshot(tmp_path / "tonight.json", resources), baseline=baseline)
    states = {(r["ruleId"], r["properties"]["resource"]["name"]): r["baselineState"]
              for r in render(report)["runs"][0]["results"]}
    assert states[("TK-ENC-001", "archive-2023")] == "new"
    assert states[("TK-ENC-001", "callcentre-us")] == "unchanged"
    assert set(states.values()) == {"new", "unchanged"}


def test_collection_problems_make_the_run_unsuccessful(report, sarif_validator, kit):
    report.problems = [CollectionProblem("aws", "account 111122223333 eu-west-1", "AccessDenied: s3:ListAllMyBuckets")]
    document = sarif_document(report)
    kit.assert_valid_sarif(sarif_validator, json.loads(json.dumps(document, default=str)))
    invocation, = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 1
    assert "s3:ListAllMyBuckets" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_expired_waiver_is_a_configuration_notification(report):
    invocation, = render(report)["runs"][0]["invocations"]
    texts = [n["message"]["text"] for n in invocation["toolConfigurationNotifications"]]
    assert any("W-002" in text and "expired" in text for text in texts)


def test_report_without_findings_is_valid(scan, tmp_path, sarif_validator, kit):
    report = scan(kit.write_snapshot(tmp_path / "empty.json", []))
    document = render(report)
    kit.assert_valid_sarif(sarif_validator, document)
    assert document["runs"][0]["results"] == []
    assert len(document["runs"][0]["tool"]["driver"]["rules"]) == 6


def test_schema_rejects_a_broken_document(report, sarif_validator):
    """The validator is not vacuous: a result without a message is caught."""
    document = render(report)
    del document["runs"][0]["results"][0]["message"]
    assert list(sarif_validator.iter_errors(document))


def test_results_beyond_githubs_limit_keep_the_most_severe(report, sarif_validator, kit):
    document = json.loads(json.dumps(sarif_document(report, max_results=3), default=str))
    kit.assert_valid_sarif(sarif_validator, document)
    run = document["runs"][0]
    assert sorted(r["ruleId"] for r in run["results"]) == ["TK-LOC-001", "TK-PUB-001", "TK-PUB-001"]  # critical
    assert run["properties"]["omittedResults"] == 6
    warning, = run["invocations"][0]["toolExecutionNotifications"]
    assert "6 less severe results left out" in warning["message"]["text"]
