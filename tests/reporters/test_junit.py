"""JUnit XML: a suite per rule, a case per resource; valid against the JUnit XSD."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import pytest
import xmlschema

from policycheck.report import CollectionProblem
from policycheck.reporters import load_reporters


def render(report) -> str:
    return load_reporters().get("junit").render(report, False)


def suites(xml: str) -> dict[str, ET.Element]:
    return {suite.find("properties/property[@name='rule']").get("value"): suite
            for suite in ET.fromstring(xml).iter("testsuite") if suite.find("properties") is not None}


def test_valid_against_the_junit_xsd(report, junit_schema):
    junit_schema.validate(render(report))


def test_xsd_is_not_vacuous(report, junit_schema):
    broken = render(report).replace('<testcase name="store:acct-1:crm-export"', '<testcase', 1)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        junit_schema.validate(broken)


def test_a_suite_per_rule_and_a_case_per_evaluated_resource(report):
    by_rule = suites(render(report))
    assert list(by_rule) == [r.id for r in report.rules]
    evaluated = Counter(f.rule_id for f in report.findings)
    for rule_id, suite in by_rule.items():
        cases = suite.findall("testcase")
        assert len(cases) == evaluated[rule_id] == int(suite.get("tests"))
        assert {c.get("classname") for c in cases} == {rule_id}
    # TK-LOC-001 is scoped to personal data: the public-assets store is not a test case
    assert "store:acct-2:public-assets" not in {c.get("name") for c in by_rule["TK-LOC-001"].iter("testcase")}


def test_results_map_to_failure_error_and_skipped(report):
    by_rule = suites(render(report))
    cases = {(rule, case.get("name")): case for rule, suite in by_rule.items() for case in suite.iter("testcase")}
    failure = cases[("TK-ENC-001", "store:acct-1:callcentre-us")].find("failure")
    assert failure.get("type") == "high"
    assert "encryption.at_rest" in failure.get("message")
    assert "remediation: Turn on default encryption" in failure.text
    assert "references: GDPR Art. 32" in failure.text
    error = cases[("TK-ENC-001", "store:acct-2:tickets")].find("error")
    assert "kms:DescribeKey" in error.get("message")
    skipped = cases[("TK-LOG-001", "store:acct-1:archive-2023")].find("skipped")
    assert skipped.get("message").startswith("waived: Archive store is written once a year")
    assert "dpo@example.com" in skipped.get("message")
    passed = cases[("TK-ENC-001", "store:acct-1:crm-export")]
    assert list(passed) == []


def test_counts_add_up(report):
    root = ET.fromstring(render(report))
    results = Counter(f.result.value for f in report.findings)
    assert root.get("tests") == str(len(report.findings))
    assert root.get("failures") == str(results["fail"])
    assert root.get("errors") == str(results["error"])
    assert root.get("skipped") == str(results["waived"])
    for suite in root.iter("testsuite"):
        children = Counter(child.tag for case in suite.iter("testcase") for child in case)
        assert int(suite.get("failures")) == children["failure"]
        assert int(suite.get("errors")) == children["error"]
        assert int(suite.get("skipped")) == children["skipped"]


def test_collection_problems_are_errors_of_their_own_suite(report, junit_schema):
    report.problems = [CollectionProblem("gcs", "project customer-service-prod", "403 storage.buckets.list denied")]
    xml = render(report)
    junit_schema.validate(xml)
    suite, = [s for s in ET.fromstring(xml).iter("testsuite") if s.get("name") == "policycheck.collection"]
    assert suite.get("errors") == "1"
    assert "storage.buckets.list" in suite.find("testcase/error").get("message")
    assert ET.fromstring(xml).get("errors") == str(1 + sum(1 for f in report.findings if f.result.value == "error"))


def test_control_characters_from_inventory_data_stay_valid_xml(scan, tmp_path, kit, junit_schema):
    resources = kit.estate_resources()
    resources[1]["id"] = "store:acct-1:bad\x01name\x1b[0m"
    report = scan(kit.write_snapshot(tmp_path / "odd.json", resources))
    xml = render(report)
    junit_schema.validate(xml)
    assert "bad\ufffdname" in xml


def test_empty_report_is_valid(scan, tmp_path, kit, junit_schema):
    xml = render(scan(kit.write_snapshot(tmp_path / "empty.json", [])))
    junit_schema.validate(xml)
    assert ET.fromstring(xml).get("tests") == "0"
