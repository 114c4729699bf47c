"""``junit``: JUnit XML for the test reports of Jenkins, GitLab and GitHub.

A test suite per rule, a test case per resource the rule evaluated: ``fail`` is a
``<failure>``, ``error`` (a value could not be read) an ``<error>``, ``waived`` a
``<skipped>`` with the waiver's reason; passes are plain test cases. Scopes that could not be
listed at all form one more suite of errors, since they fail the build too.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from itertools import groupby
from operator import attrgetter
from pathlib import Path
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


def chunks(report: Report, colour: bool = False) -> Iterator[str]:
    """The JUnit XML in pieces, one test case at a time (the text ``ElementTree`` gives for the whole tree).

    Findings come in report order, grouped by rule; a rule's group that arrives before its suite's turn
    (suites follow ``report.rules``) waits in a private temporary file, so memory stays flat.
    """
    timestamp = report.started.replace(tzinfo=None).isoformat(timespec="seconds")
    counts = {rule.id: _counts(report.findings.rule_counts, rule.id) for rule in report.rules}
    collection = _collection_suite(report, timestamp) if report.collection_errors else None
    totals = {key: str(sum(int(c[key]) for c in counts.values()) + int(collection.get(key, "0") if collection else 0))
              for key in ("tests", "failures", "errors", "skipped")}
    root = _element("testsuites", name="policycheck", timestamp=timestamp,
                    time=f"{(report.finished - report.started).total_seconds():.3f}", **totals)
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    if not report.rules and collection is None:
        yield ET.tostring(root, encoding="unicode") + "\n"
        return
    yield _open_tag(root) + "\n  "
    last = len(report.rules) - 1 if collection is None else len(report.rules)
    with _Parked() as parked:
        for position, rule, cases in _suites_in_order(report, parked):
            yield from _suite_text(rule, counts[rule.id], cases, timestamp, "\n" if position == last else "\n  ")
    if collection is not None:
        ET.indent(collection, space="  ", level=1)
        collection.tail = "\n"
        yield ET.tostring(collection, encoding="unicode")
    yield "</testsuites>\n"


@reporter("junit", "JUnit XML: a test suite per rule, a test case per resource (Jenkins, GitLab, GitHub).", "xml",
          stream=chunks)
def render(report: Report, colour: bool = False) -> str:
    return "".join(chunks(report, colour))


def _suites_in_order(report: Report, parked: _Parked) -> Iterator[tuple[int, Rule, Iterable[str]]]:
    """(position, rule, its test cases as text) in the order of ``report.rules``, from one pass over the findings
    (in rule id order): a group ahead of its turn is parked, a rule without findings has none."""
    position_of = {rule.id: position for position, rule in reversed(list(enumerate(report.rules)))}
    has_findings = {rule_id for (rule_id, _), n in report.findings.rule_counts.items() if n}
    turn = 0

    def ready() -> Iterator[tuple[int, Rule, Iterable[str]]]:
        nonlocal turn
        while turn < len(report.rules):
            rule = report.rules[turn]
            if rule.id in has_findings and not parked.holds(turn):
                return
            yield turn, rule, parked.take(turn)
            turn += 1

    yield from ready()
    for rule_id, group in groupby(report.findings, key=attrgetter("rule_id")):
        position = position_of.get(rule_id)
        if position is None or position < turn:
            continue  # a finding of no loaded rule has no suite
        rule = report.rules[position]
        file = locate(rule.source).path
        cases = (_case_text(f, rule, file) for f in group)
        if position == turn:
            yield turn, rule, cases
            turn += 1
            yield from ready()
        else:
            parked.park(position, cases)
            yield from ready()
    yield from ready()


def _case_text(finding: Finding, rule: Rule, file: str) -> str:
    case = _testcase(finding, rule, file)
    ET.indent(case, space="  ", level=2)
    case.tail = "\n    "
    return ET.tostring(case, encoding="unicode")


def _suite_text(rule: Rule, counts: dict[str, str], cases: Iterable[str], timestamp: str,
                tail: str) -> Iterator[str]:
    """A rule's suite: its head and properties, its test cases, its end and ``tail``."""
    suite = _rule_suite(rule, counts, timestamp)
    ET.indent(suite, space="  ", level=1)
    properties = suite[0]
    opened = False
    previous = None
    for case in cases:
        if not opened:
            properties.tail = "\n    "
            yield _open_tag(suite) + "\n    " + ET.tostring(properties, encoding="unicode")
            opened = True
        if previous is not None:
            yield previous
        previous = case
    if not opened:
        suite.tail = tail
        yield ET.tostring(suite, encoding="unicode")
        return
    yield previous[:-len("\n    ")] + "\n  </testsuite>" + tail  # type: ignore[index]  # one case at least


def _open_tag(element: ET.Element) -> str:
    """``<tag attributes>`` as ElementTree writes it."""
    marker = "\ue000"
    shallow = _element(element.tag, **element.attrib)
    shallow.text = marker
    text = ET.tostring(shallow, encoding="unicode")
    return text[:text.rindex(marker)]


class _Parked:
    """Test cases of suites whose turn has not come, in private temporary files (they name resources)."""

    def __init__(self) -> None:
        self.folder: tempfile.TemporaryDirectory[str] | None = None
        self.files: dict[int, Path] = {}

    def __enter__(self) -> _Parked:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.folder is not None:
            self.folder.cleanup()

    def holds(self, position: int) -> bool:
        return position in self.files

    def park(self, position: int, cases: Iterable[str]) -> None:
        if self.folder is None:
            self.folder = tempfile.TemporaryDirectory(prefix="policycheck-junit-")  # mode 0700
        path = Path(self.folder.name) / f"suite-{position}"
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
            for case in cases:
                handle.write(json.dumps(case) + "\n")
        self.files[position] = path

    def take(self, position: int) -> Iterator[str]:
        path = self.files.pop(position, None)
        if path is None:
            return
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
        path.unlink()


def _rule_suite(rule: Rule, counts: dict[str, str], timestamp: str) -> ET.Element:
    source = locate(rule.source)
    suite = _element("testsuite", name=f"{rule.id} {rule.title}", timestamp=timestamp, time="0",
                     file=source.path, **counts)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("rule", rule.id), ("severity", rule.severity.label), ("pack", rule.pack),
                        ("references", "; ".join(rule.references)), ("remediation", rule.remediation),
                        ("resource-types", ", ".join(rule.resource_types)), ("line", str(rule.line))):
        if value:
            properties.append(_element("property", name=name, value=value))
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


def _counts(rule_counts: Mapping[tuple[str, str], int], rule_id: str) -> dict[str, str]:
    """A rule's suite counts from the report's (rule, result) counts of the findings it holds."""
    def count(result: Result) -> int:
        return rule_counts.get((rule_id, result.value), 0)

    return {"tests": str(sum(count(r) for r in Result)), "failures": str(count(Result.FAIL)),
            "errors": str(count(Result.ERROR)), "skipped": str(count(Result.WAIVED))}


def _element(tag: str, **attributes: Any) -> ET.Element:
    return ET.Element(tag, {key: _clean(str(value)) for key, value in attributes.items()})


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters from odd inventory data)."""
    return _XML_INVALID.sub("\ufffd", text)
