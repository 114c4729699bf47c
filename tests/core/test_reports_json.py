"""The JSON report: valid against its published schema, versioned, complete; and baselines built on it."""

from __future__ import annotations

import json

import jsonschema
import pytest
from core_support import rule_text, store

from policycheck.schema import report_schema

HEADER = "apiVersion: policycheck/v1\nkind: Waivers\nwaivers:\n"


@pytest.fixture
def pack(policy):
    return policy(
        rule_text("GDPR-ENC-1", severity="high", require="{attr: encryption.at_rest, equals: true}",
                  extra="references: ['GDPR Art. 32', 'GDPR Art. 5(1)(f)']\nremediation: Enable default encryption."),
        rule_text("GDPR-LOC-1", severity="critical", require="{attr: location.jurisdiction, in: [EU, EEA]}",
                  extra="references: ['GDPR Art. 44']"),
        rule_text("OPS-1", severity="low", require="{attr: backup.enabled, equals: true}"),
        params="unused: 1")


@pytest.fixture
def estate_file(estate):
    return estate(
        store("b-ok", account="111", region="eu-central-1", tags={},
              core={"location.jurisdiction": "EU"},
              groups={"encryption": {"encryption.at_rest": True}, "backup": {"backup.enabled": True}}),
        store("b-bad", account="111", region="us-east-1", tags={"team": "x"},
              core={"location.jurisdiction": "third-country"},
              groups={"encryption": {"encryption.at_rest": False}, "backup": {"error": "denied"}}),
        {"type": "test.device", "id": "d1", "name": "d1", "tags": {}, "groups": {}})


def report(cli, *args):
    result = cli("scan", *args, "--evaluation-date", "2025-06-15", "-f", "json")
    assert result.exit_code in (0, 1), result.stderr
    return result, json.loads(result.stdout)


def test_report_validates_against_the_published_schema(cli, pack, estate_file, write):
    waivers = write("w.yaml", HEADER + "  - {id: W, rule: OPS-*, resource: b-bad, reason: restore test, "
                                       "approver: ops, expires: 2025-07-01}\n")
    _, doc = report(cli, "-p", pack, "--coretest-estate", estate_file, "--waivers", waivers)
    jsonschema.Draft202012Validator(report_schema()).validate(doc)
    assert doc["format"] == "policycheck/report/v1"


def test_report_content(cli, pack, estate_file):
    result, doc = report(cli, "-p", pack, "--coretest-estate", estate_file)
    assert result.exit_code == 1
    run = doc["run"]
    assert run["tool"] == "policycheck" and run["evaluated_on"] == "2025-06-15" and run["exit_code"] == 1
    assert run["sources"] == ["coretest"] and run["fail_on"] == "low" and run["fail_on_error"] is True
    assert doc["packs"] == [{"name": "core-test", "version": "1.0.0", "source": str(pack), "params": {"unused": 1}}]
    summary = doc["summary"]
    assert summary["resources"] == 2  # no rule reads devices: the provider was not even asked to list them
    assert summary["resources_by_type"] == {"test.store": 2}
    assert summary["results"] == {"pass": 3, "fail": 2, "error": 1, "waived": 0}
    assert summary["by_severity"]["critical"] == {"pass": 1, "fail": 1, "error": 0, "waived": 0}
    assert summary["by_severity"]["low"] == {"pass": 1, "fail": 0, "error": 1, "waived": 0}
    assert summary["failing"] == 3
    rule = next(r for r in doc["rules"] if r["id"] == "GDPR-ENC-1")
    assert rule["references"] == ["GDPR Art. 32", "GDPR Art. 5(1)(f)"]
    assert rule["remediation"] == "Enable default encryption." and rule["line"] == 7  # after 2 params lines
    finding = next(f for f in doc["findings"] if f["rule_id"] == "GDPR-LOC-1" and f["result"] == "fail")
    assert finding["resource"] == {"type": "test.store", "id": "b-bad", "name": "b-bad", "provider": "coretest",
                                   "account": "111", "region": "us-east-1"}
    assert finding["observed"] == {"location.jurisdiction": "third-country"}
    assert finding["references"] == ["GDPR Art. 44"] and finding["new"] is None and finding["waiver"] is None
    assert len(finding["fingerprint"]) == 32


def test_findings_are_in_a_stable_documented_order(cli, pack, estate_file):
    _, doc = report(cli, "-p", pack, "--coretest-estate", estate_file)
    keys = [(f["rule_id"], f["resource"]["type"], f["resource"]["account"], f["resource"]["region"],
             f["resource"]["id"]) for f in doc["findings"]]
    assert keys == sorted(keys)
    _, again = report(cli, "-p", pack, "--coretest-estate", estate_file)
    assert again["findings"] == doc["findings"]


def test_coverage_groups_rules_by_legal_reference_in_article_order(cli, pack, estate_file):
    _, doc = report(cli, "-p", pack, "--coretest-estate", estate_file)
    assert [row["reference"] for row in doc["coverage"]] == ["GDPR Art. 5(1)(f)", "GDPR Art. 32", "GDPR Art. 44",
                                                             "(no reference)"]
    art32 = next(row for row in doc["coverage"] if row["reference"] == "GDPR Art. 32")
    assert art32["rules"] == ["GDPR-ENC-1"] and art32["pass"] == 1 and art32["fail"] == 1


def test_fingerprints_are_stable_across_runs_and_renames(cli, pack, estate, estate_file):
    _, first = report(cli, "-p", pack, "--coretest-estate", estate_file)
    records = json.loads(estate_file.read_text())["resources"]
    for record in records:
        record["name"] = record["name"] + "-renamed"
    renamed = estate(*records, name="renamed.json")
    _, second = report(cli, "-p", pack, "--coretest-estate", renamed)
    assert [f["fingerprint"] for f in first["findings"]] == [f["fingerprint"] for f in second["findings"]]


# -- baselines ------------------------------------------------------------------------------------
def test_baseline_fails_only_on_new_findings(cli, pack, estate, estate_file, tmp_path):
    _, doc = report(cli, "-p", pack, "--coretest-estate", estate_file)
    (tmp_path / "baseline.json").write_text(json.dumps(doc))
    same, same_doc = report(cli, "-p", pack, "--coretest-estate", estate_file, "--baseline", "baseline.json")
    assert same.exit_code == 0
    assert same_doc["baseline"] == {"source": "baseline.json", "new": 0, "known": 3, "past_deadline": 0,
                                    "resolved": []}
    assert {f["new"] for f in same_doc["findings"] if f["result"] in ("fail", "error")} == {False}
    assert same_doc["summary"]["failing"] == 0

    records = json.loads(estate_file.read_text())["resources"]
    records[0]["groups"]["encryption"] = {"encryption.at_rest": False}  # b-ok regresses
    records[1]["groups"]["backup"] = {"backup.enabled": True}  # b-bad's error is resolved
    changed = estate(*records, name="changed.json")
    result, changed_doc = report(cli, "-p", pack, "--coretest-estate", changed, "--baseline", "baseline.json")
    assert result.exit_code == 1
    new = [(f["rule_id"], f["resource"]["id"]) for f in changed_doc["findings"] if f["new"]]
    assert new == [("GDPR-ENC-1", "b-ok")]  # passes are never "new", only failing findings
    assert {f["new"] for f in changed_doc["findings"] if f["result"] == "pass"} == {False}
    assert changed_doc["baseline"]["new"] == 1
    assert [(r["rule_id"], r["resource"]) for r in changed_doc["baseline"]["resolved"]] == [("OPS-1", "b-bad")]


def test_baseline_shows_in_the_text_report(cli, pack, estate_file, tmp_path):
    _, doc = report(cli, "-p", pack, "--coretest-estate", estate_file)
    (tmp_path / "baseline.json").write_text(json.dumps(doc))
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file, "--baseline", "baseline.json")
    assert result.exit_code == 0
    assert "(known" in result.stdout and "0 new, 0 resolved, 3 known (0 past deadline)" in result.stdout


@pytest.mark.parametrize(("content", "fragment"), [
    ("{", "not a JSON report"),
    ('{"format": "policycheck/snapshot/v1"}', "not a policycheck JSON report"),
    ('{"format": "policycheck/report/v1", "findings": [{"rule_id": "x"}]}', "findings[0].fingerprint: missing"),
    ("[" * 40000, "nested too deeply"),
])
def test_malformed_baseline_is_exit_2(cli, pack, estate_file, write, content, fragment):
    path = write("baseline.json", content)
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file, "--baseline", path)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"policycheck: error: {path}") and fragment in line


def test_missing_baseline_from_the_config_is_relative_to_it(cli, pack, estate_file, write):
    config = write("conf/policycheck.yaml", "baseline: previous.json\n")
    result = cli("scan", "--config", config, "-p", pack, "--coretest-estate", estate_file)
    assert result.exit_code == 2
    assert result.stderr == f"policycheck: error: {config.parent / 'previous.json'}: report file not found\n"
