"""``junit``: JUnit XML for the test reports of Jenkins, GitLab and GitHub.

A test suite per rule, a test case per resource the rule evaluated: ``fail`` is a
``<failure>``, ``error`` (a value could not be read) an ``<error>``, ``waived`` a
``<skipped>`` with the waiver's reason; passes are plain test cases. Scopes that could not be
listed at all form one more suite of errors, since they fail the build too.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from ..model import Finding, Result
from ..policy import RuleInfo as Rule
from ..report import Report
from . import reporter
from .sources import locate

__all__ = ["COLLECTION_SUITE", "render"]

COLLECTION_SUITE = "policycheck.collection"
#: result -> the child element a test case gets (None: passed)
OUTCOME_ELEMENT = {Result.PASS: None, Result.FAIL: "failure", Result.ERROR: "error", Result.WAIVED: "skipped"}
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@reporter("junit", "JUnit XML: a test suite per rule, a test case per resource (Jenkins, GitLab, GitHub).", "xml")
def render(report: Report, colour: bool = False) -> str:
    timestamp = report.started.replace(tzinfo=None).isoformat(timespec="seconds")
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_rule[finding.rule_id].append(finding)
    suites = [_rule_suite(rule, by_rule.get(rule.id, []), timestamp) for rule in report.rules]
    if report.collection_errors:
        suites.append(_collection_suite(report, timestamp))
    root = _element("testsuites", name="policycheck", timestamp=timestamp,
                    time=f"{(report.finished - report.started).total_seconds():.3f}",
                    **_totals(suites))
    root.extend(suites)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _rule_suite(rule: Rule, findings: list[Finding], timestamp: str) -> ET.Element:
    source = locate(rule.source)
    suite = _element("testsuite", name=f"{rule.id} {rule.title}", timestamp=timestamp, time="0",
                     file=source.path, **_counts(findings))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("rule", rule.id), ("severity", rule.severity.label), ("pack", rule.pack),
                        ("references", "; ".join(rule.references)), ("remediation", rule.remediation),
                        ("resource-types", ", ".join(rule.resource_types)), ("line", str(rule.line))):
        if value:
            properties.append(_element("property", name=name, value=value))
    for finding in findings:
        suite.append(_testcase(finding, rule, source.path))
    return suite


def _testcase(finding: Finding, rule: Rule, file: str) -> ET.Element:
    r = finding.resource
    case = _element("testcase", name=r.id, classname=rule.id, file=file, line=str(rule.line), time="0")
    tag = OUTCOME_ELEMENT[finding.result]
    if tag == "skipped":
        reason = f"waived: {finding.waiver.justification()}" if finding.waiver else "waived"
        case.append(_element("skipped", message=reason))
    elif tag is not None:
        detail = _element(tag, message=finding.message, type=finding.severity.label)
        detail.text = _clean(_details(finding, rule))
        case.append(detail)
    return case


def _details(finding: Finding, rule: Rule) -> str:
    r = finding.resource
    lines = [
        f"{finding.result.value.upper()} [{finding.severity.label}] {rule.id}: {rule.title}",
        f"resource: {r.type} {r.name} ({r.id})",
        f"account: {r.account or '-'}  region: {r.region or '-'}  provider: {r.provider}",
        f"details: {finding.message}",
    ]
    if finding.observed:
        lines.append("observed: " + ", ".join(f"{k}={json.dumps(v, default=str)}"
                                             for k, v in sorted(finding.observed.items())))
    if rule.references:
        lines.append("references: " + "; ".join(rule.references))
    if rule.remediation:
        lines.append("remediation: " + rule.remediation)
    lines.append(f"fingerprint: {finding.fingerprint}")
    return "\n".join(lines)


def _collection_suite(report: Report, timestamp: str) -> ET.Element:
    suite = _element("testsuite", name=COLLECTION_SUITE, timestamp=timestamp, time="0",
                     tests=str(len(report.collection_errors)), failures="0",
                     errors=str(len(report.collection_errors)), skipped="0")
    for problem in report.collection_errors:
        case = _element("testcase", name=f"{problem.provider} {problem.scope}", classname=COLLECTION_SUITE, time="0")
        error = _element("error", message=problem.message, type="collection")
        error.text = _clean(f"[{problem.provider}] {problem.scope} could not be listed: {problem.message}")
        case.append(error)
        suite.append(case)
    return suite


def _counts(findings: list[Finding]) -> dict[str, str]:
    def count(result: Result) -> str:
        return str(sum(1 for f in findings if f.result is result))

    return {"tests": str(len(findings)), "failures": count(Result.FAIL), "errors": count(Result.ERROR),
            "skipped": count(Result.WAIVED)}


def _totals(suites: list[ET.Element]) -> dict[str, str]:
    return {key: str(sum(int(s.get(key, "0")) for s in suites)) for key in ("tests", "failures", "errors", "skipped")}


def _element(tag: str, **attributes: Any) -> ET.Element:
    return ET.Element(tag, {key: _clean(str(value)) for key, value in attributes.items()})


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters from odd inventory data)."""
    return _XML_INVALID.sub("\ufffd", text)
