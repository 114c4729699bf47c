"""``sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One rule descriptor per policy rule; one result per failing or erroring finding, and per
waived finding with the waiver as an accepted suppression. A cloud resource has no source
file, so each result carries the resource as a logical location and, as its physical
location, the policy file and line defining the rule (GitHub rejects results without one);
a resource declared in code (``Resource.source``, e.g. from a Terraform plan) points at
that file and line instead.
``partialFingerprints`` carries the finding fingerprint, so an alert stays the same alert
across runs.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..model import Finding, Result, Severity, SourceLocation
from ..policy import RuleInfo as Rule
from ..report import FAILING_RESULTS, Report
from . import reporter
from .sources import locate, roots

__all__ = ["FINGERPRINT_KEY", "MAX_RESULTS", "SEVERITY_MAP", "chunks", "render", "sarif_document"]

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "policycheckFingerprint/v1"

#: severity -> (SARIF level, GitHub security-severity score; None: not a security alert)
SEVERITY_MAP: dict[Severity, tuple[str, str | None]] = {
    Severity.CRITICAL: ("error", "9.5"),
    Severity.HIGH: ("error", "8.0"),
    Severity.MEDIUM: ("warning", "5.5"),
    Severity.LOW: ("note", "3.0"),
    Severity.INFO: ("note", None),
}
REPORTED = (*FAILING_RESULTS, Result.WAIVED)
_REPORTED_VALUES = frozenset(r.value for r in REPORTED)
MAX_TAGS = 20  # GitHub rejects a rule with more tags
MAX_RESULTS = 25_000  # GitHub rejects a run with more results


def chunks(report: Report, colour: bool = False, max_results: int = MAX_RESULTS) -> Iterator[str]:
    """The SARIF text in pieces, one result at a time: the same text as encoding :func:`sarif_document` whole
    (compact: the C encoder is ~10x faster than indenting, and a big run stays far below upload limits)."""
    reported, omitted = _within_limit(report, max_results)
    placeholder = f"results-{uuid.uuid4().hex}"
    document = _document(report, omitted, placeholder)
    head, tail = json.dumps(document, default=str, ensure_ascii=False).split(json.dumps(placeholder), 1)
    yield head + "["
    results = _results(report)
    for position, finding in enumerate(reported):
        yield (", " if position else "") + json.dumps(results(finding), default=str, ensure_ascii=False)
    yield "]" + tail + "\n"


@reporter("sarif", "SARIF 2.1.0 for GitHub code scanning (upload with github/codeql-action/upload-sarif).", "sarif",
          stream=chunks)
def render(report: Report, colour: bool = False) -> str:
    return "".join(chunks(report, colour))


def sarif_document(report: Report, max_results: int = MAX_RESULTS) -> dict[str, Any]:
    """The report as one SARIF run, with at most ``max_results`` results."""
    reported, omitted = _within_limit(report, max_results)
    return _document(report, omitted, list(map(_results(report), reported)))


def _results(report: Report) -> Callable[[Finding], dict[str, Any]]:
    """The SARIF result of a finding of ``report``."""
    index = {rule.id: position for position, rule in enumerate(report.rules)}
    rules = {rule.id: rule for rule in report.rules}
    places = {rule.id: _physical(rule) for rule in report.rules}
    return lambda f: _result(f, report, rules.get(f.rule_id), index, places)


def _document(report: Report, omitted: int, results: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "policycheck",
            "version": report.version or "0",
            "semanticVersion": report.version or "0.0.0",
            "rules": [_descriptor(rule) for rule in report.rules],
        }},
        "originalUriBaseIds": {base: {"uri": root.as_uri() + "/"} for base, root in roots().items()},
        "invocations": [_invocation(report, omitted)],
        "results": results,
        "columnKind": "utf16CodeUnits",
        "properties": _run_properties(report) | {"omittedResults": omitted},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _within_limit(report: Report, limit: int) -> tuple[Iterable[Finding], int]:
    """The reported findings, at most ``limit``, in report order (failing before waived, severe first, new first
    are kept), and how many were left out. Streamed: only the ``limit`` kept are ever held at once."""
    total = sum(n for (_, result), n in report.findings.counts.items() if result in _REPORTED_VALUES)
    if total <= limit:
        return report.findings.select(REPORTED), 0
    ranked = ((f.result is Result.WAIVED, -f.severity, not report.is_new(f), i, f)
              for i, f in enumerate(report.findings.select(REPORTED)))
    kept = heapq.nsmallest(limit, ranked, key=lambda entry: entry[:4])
    kept.sort(key=lambda entry: entry[3])
    return [entry[4] for entry in kept], total - limit


# -- rules ---------------------------------------------------------------------------------
def _descriptor(rule: Rule) -> dict[str, Any]:
    level, score = SEVERITY_MAP[rule.severity]
    properties: dict[str, Any] = {
        "tags": (["security", "policycheck", *rule.references])[:MAX_TAGS],
        "precision": "very-high",
        "severity": rule.severity.label,
        "references": list(rule.references),
        "resource-types": list(rule.resource_types),
        "pack": rule.pack,
    }
    if score is not None:
        properties["security-severity"] = score
    return {
        "id": rule.id,
        "name": _identifier(rule.title) or rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": level},
        "properties": properties,
    }


def _identifier(title: str) -> str:
    """'Personal data stays in the EU' -> 'PersonalDataStaysInTheEu' (SARIF names are identifier-like)."""
    return "".join(word[:1].upper() + word[1:].lower() for word in re.findall(r"[A-Za-z0-9]+", title))


def _help_text(rule: Rule) -> str:
    parts = [rule.title]
    if rule.description:
        parts.append(rule.description)
    if rule.references:
        parts.append("Legal references: " + "; ".join(rule.references))
    if rule.remediation:
        parts.append("Remediation: " + rule.remediation)
    parts.append(f"Applies to: {', '.join(rule.resource_types)}. Severity: {rule.severity.label}.")
    return "\n\n".join(parts)


def _help_markdown(rule: Rule) -> str:
    parts = [f"**{rule.title}**"]
    if rule.description:
        parts.append(rule.description)
    if rule.references:
        parts.append("**Legal references:** " + ", ".join(rule.references))
    if rule.remediation:
        parts.append("**Remediation:** " + rule.remediation)
    types = ", ".join(f"`{t}`" for t in rule.resource_types)
    parts.append(f"**Applies to:** {types} · **Severity:** {rule.severity.label}"
                 + (f" · **Pack:** {rule.pack}" if rule.pack else ""))
    return "\n\n".join(parts)


# -- results -------------------------------------------------------------------------------
def _result(finding: Finding, report: Report, rule: Rule | None, index: dict[str, int],
            places: dict[str, dict[str, Any]]) -> dict[str, Any]:
    level, _ = SEVERITY_MAP[finding.severity]
    r = finding.resource
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": level,
        "kind": "fail",
        "message": {"text": _message(finding, rule)},
        "locations": [{
            "physicalLocation": _declared(r.source) if r.source else places.get(finding.rule_id) or _physical(None),
            "logicalLocations": [{"name": r.name, "fullyQualifiedName": r.id, "kind": "resource"}],
        }],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "suppressions": _suppressions(finding),
        "properties": {
            "result": finding.result.value,
            "severity": finding.severity.label,
            "resource": {"type": r.type, "id": r.id, "name": r.name, "provider": r.provider,
                         "account": r.account, "region": r.region},
            "observed": dict(finding.observed),
        },
    }
    if finding.rule_id in index:
        result["ruleIndex"] = index[finding.rule_id]
    if report.baseline is not None:
        result["baselineState"] = "new" if report.is_new(finding) else "unchanged"
    return result


def _message(finding: Finding, rule: Rule | None) -> str:
    r = finding.resource
    subject = f"{r.type} '{r.name}' ({r.id})"
    title = rule.title if rule else finding.rule_id
    if finding.result is Result.ERROR:
        return f"{title}: could not evaluate {subject}: {finding.message}"
    return f"{title}: {subject}: {finding.message}"


def _physical(rule: Rule | None) -> dict[str, Any]:
    located = locate(rule.source if rule else "")
    if located.base is None:
        path = Path(located.path)
        location: dict[str, Any] = {"uri": path.as_uri() if path.is_absolute() else quote(located.path)}
    else:
        location = {"uri": quote(located.path), "uriBaseId": located.base}
    return {"artifactLocation": location, "region": {"startLine": max(1, rule.line if rule else 1)}}


def _declared(source: SourceLocation) -> dict[str, Any]:
    """The file and line declaring the resource (infrastructure as code), so the alert sits on that line."""
    located = locate(source.path)
    path = Path(located.path)
    location: dict[str, Any] = ({"uri": quote(located.path), "uriBaseId": located.base} if located.base
                                else {"uri": path.as_uri() if path.is_absolute() else quote(located.path)})
    return {"artifactLocation": location, "region": {"startLine": max(1, source.line)}}


def _suppressions(finding: Finding) -> list[dict[str, Any]]:
    waiver = finding.waiver
    if finding.result is not Result.WAIVED or waiver is None:
        return []
    return [{
        "kind": "external",  # no "status": it defaults to accepted, and schema revisions disagree on its name
        "justification": waiver.justification(),
        "properties": {"waiver": waiver.id, "approver": waiver.approver, "expires": waiver.expires},
    }]


# -- run -----------------------------------------------------------------------------------
def _invocation(report: Report, omitted: int) -> dict[str, Any]:
    notifications = [{"level": p.level, "message": {"text": f"[{p.provider}] {p.scope}: {p.message}"},
                      "descriptor": {"id": "collection-error" if p.is_error else "collection-warning"}}
                     for p in report.problems]
    if omitted:
        notifications.append({"level": "warning", "descriptor": {"id": "results-omitted"}, "message": {
            "text": f"{omitted} less severe results left out to stay within GitHub's {MAX_RESULTS} results per "
                    "run; the JSON report has every finding"}})
    configuration = [
        *({"level": "warning", "descriptor": {"id": "waiver-expired"},
           "message": {"text": f"waiver {w.id} for {w.rule} ({w.source}) expired on {w.expires}; "
                               "it no longer applies"}} for w in report.waivers_expired),
        *({"level": "note", "descriptor": {"id": "waiver-unused"},
           "message": {"text": f"waiver {w.id} for {w.rule} ({w.source}) matched no finding"}}
          for w in report.waivers_unused()),
        *({"level": "note", "descriptor": {"id": "rule-skipped"}, "message": {"text": s.note()}}
          for s in report.skipped),
    ]
    return {
        "executionSuccessful": not report.collection_errors,
        "exitCode": report.exit_code,
        "startTimeUtc": _utc(report.started),
        "endTimeUtc": _utc(report.finished),
        "toolExecutionNotifications": notifications,
        "toolConfigurationNotifications": configuration,
    }


def _run_properties(report: Report) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "packs": [{"name": p.name, "version": p.version} for p in report.packs],
        "evaluatedOn": report.evaluated_on.isoformat(),
        "failOn": report.thresholds.label,
        "failOnError": report.thresholds.fail_on_error,
        "resources": sum(report.resources_by_type.values()),
        "results": {r.value: report.result_counts.get(r.value, 0) for r in Result},
        "failing": report.failing_count(),
    }
    if report.baseline is not None:
        properties["baseline"] = {"source": report.baseline_source, "resolved": report.resolved}
    return properties


def _utc(moment: dt.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"
