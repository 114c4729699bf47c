"""Markdown summary: counts, failing findings with remediation, coverage; within GitHub's limits."""

from __future__ import annotations

import re

import yaml

from policycheck.model import Severity
from policycheck.report import CollectionProblem, Thresholds
from policycheck.reporters import load_reporters
from policycheck.reporters.markdown import COMMENT_LIMIT, STEP_SUMMARY_LIMIT, summary


def render(report) -> str:
    return load_reporters().get("markdown").render(report, False)


def table_rows(text: str, header_start: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_verdict_and_counts_by_severity_and_result(report):
    text = render(report)
    assert text.startswith("## ❌ policycheck: 7 failing findings\n")
    assert "ci-outputs-test 1.2.0 · 5 resources · 6 rules · evaluated on 2025-02-01" in text
    rows = {row[0]: row[1:] for row in table_rows(text, "| severity |")}
    assert rows["🟥 critical"] == ["6", "3", "0", "0"]  # pass, fail, error, waived
    assert rows["🟧 high"] == ["3", "1", "1", "0"]
    assert rows["🟦 low"] == ["3", "1", "0", "1"]
    assert rows["**total**"] == ["**20**", "**7**", "**1**", "**1**"]


def test_failing_findings_grouped_by_rule_with_remediation_most_severe_first(report):
    text = render(report)
    headings = re.findall(r"^#### .*$", text, flags=re.MULTILINE)
    assert [h.split(" · ")[1].split(" ")[0] for h in headings] == [
        "TK-PUB-001", "TK-LOC-001", "TK-ENC-001", "TK-RET-001", "TK-LOG-001"]
    block = text.split("TK-ENC-001")[1].split("####")[0]
    assert "**Remediation:** Turn on default encryption with a customer-managed key." in block
    assert "*(error)*" in block and "kms:DescribeKey" in block
    # the info rule is below the threshold: counted, not listed
    assert "TK-OWN-001 —" not in text
    assert "1 more fail/error finding(s) are below the threshold or in the baseline." in text


def test_coverage_table_by_legal_reference(report):
    rows = {row[0]: row[1:] for row in table_rows(render(report), "| reference |")}
    assert rows["GDPR Art. 32"] == ["TK-PUB-001, TK-ENC-001, TK-LOG-001", "9", "4", "1", "1"]
    assert list(rows)[:2] == ["GDPR Art. 5(1)(e)", "GDPR Art. 5(1)(f)"]  # by article number, not text
    assert "GDPR Art. 44" in rows


def test_resource_data_cannot_inject_markdown_html_or_mentions(report):
    text = render(report)
    assert "<script>" not in text
    assert "tickets &lt;script&gt;\\|&#64;<!-- -->ops" in text  # the pipe cannot break the table, no @-mention
    assert "@ops" not in text


def test_expired_waivers_and_collection_problems_are_called_out(report):
    report.problems = [CollectionProblem("aws", "account 111122223333", "AccessDenied")]
    text = render(report)
    assert "W-002 for TK-OWN-001, expired 2025-01-15" in text
    assert "1 scope(s) could not be collected" in text
    assert text.startswith("## ❌ policycheck: 7 failing findings, 1 collection error\n")


def test_passing_run(scan, kit):
    report = scan(thresholds=Thresholds(Severity.CRITICAL, fail_on_error=False), waivers=None)
    report.findings = [f for f in report.findings if f.rule_id not in ("TK-LOC-001", "TK-PUB-001")]
    text = render(report)
    assert text.startswith("## ✅ policycheck: no failing findings at or above `critical` (6 below)\n")
    assert "are below the threshold" in text


def test_baseline_line(scan, tmp_path):
    baseline = tmp_path / "baseline.json"
    baseline.write_text(load_reporters().get("json").render(scan(), False), encoding="utf-8")
    text = render(scan(baseline=baseline))
    assert text.startswith("## ✅ policycheck: 0 new, 0 resolved, 8 known (0 past deadline)\n")
    assert "**0 new**, 0 resolved, 8 known (**0 past deadline**). Only new findings fail the build." in text


def big_estate(tmp_path, kit, rules: int, resources: int):
    long = "x" * 400
    pack = {"apiVersion": "policycheck/v1", "kind": "PolicyPack", "metadata": {"name": "big", "version": "1"},
            "rules": [{"id": f"BIG-{i:03d}", "title": f"Rule {i} {long[:80]}", "severity": "high",
                       "resources": ["testkit.store"], "require": {"attr": f"tags.k{i}", "exists": True},
                       "references": [f"GDPR Art. {i}"], "remediation": f"Fix {i}: {long}"} for i in range(rules)]}
    policy = tmp_path / "big.yaml"
    policy.write_text(yaml.safe_dump(pack), encoding="utf-8")
    stores = [{"type": "testkit.store", "id": f"store:acct:{i}-{long[:150]}", "name": f"s{i}-{long[:150]}",
               "provider": "testkit", "account": "acct", "region": "eu-central-1", "tags": {}, "attributes": {},
               "unknown": {}} for i in range(resources)]
    return policy, kit.write_snapshot(tmp_path / "big.json", stores)


def test_large_report_shrinks_to_fit_a_comment_and_the_step_summary(scan, tmp_path, kit):
    policy, snapshot = big_estate(tmp_path, kit, rules=120, resources=30)
    report = scan(snapshot, policies=[str(policy)], waivers=None)
    assert len(report.failing()) == 3600
    text = render(report)
    size = len(text.encode("utf-8"))
    assert size <= 60_000 < COMMENT_LIMIT < STEP_SUMMARY_LIMIT
    assert len(text) < COMMENT_LIMIT
    assert "shortened to fit GitHub's size limits" in text
    assert "more rule(s) with" in text
    assert text.count("**Remediation:**") >= 1
    rows = table_rows(text, "| reference |")
    assert len(rows) == 120  # the coverage table is complete


def test_hard_cut_as_the_last_resort(scan, tmp_path, kit):
    policy, snapshot = big_estate(tmp_path, kit, rules=40, resources=5)
    report = scan(snapshot, policies=[str(policy)], waivers=None)
    text = summary(report, budget=3000)
    assert len(text.encode("utf-8")) <= 3000
    assert text.rstrip().endswith("see the JSON report for everything.*")
    assert text.startswith("## ❌ policycheck: 200 failing findings")
