"""``json``: the stable, versioned report (also the baseline format). Schema: schemas/report.schema.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..model import Finding, Result
from ..report import FAILING_RESULTS, FORMAT, Report
from . import reporter

__all__ = ["chunks", "finding_record", "render", "report_document"]


def finding_record(finding: Finding, report: Report) -> dict[str, Any]:
    """One finding as the JSON report writes it."""
    rule = report.rule(finding.rule_id)
    r = finding.resource
    return {
        "fingerprint": finding.fingerprint,
        "rule_id": finding.rule_id,
        "title": rule.title if rule else "",
        "severity": finding.severity.label,
        "result": finding.result.value,
        # new = a failing finding the baseline did not have; a pass or waiver is never "new"
        "new": (finding.result in FAILING_RESULTS and report.is_new(finding)) if report.baseline is not None else None,
        "message": finding.message,
        "resource": {"type": r.type, "id": r.id, "name": r.name, "provider": r.provider,
                     "account": r.account, "region": r.region,
                     **({"source": {"path": r.source.path, "line": r.source.line}} if r.source else {})},
        "observed": finding.observed,
        **_age(finding, report),
        "references": list(rule.references) if rule else [],
        "waiver": None if finding.waiver is None else {
            "id": finding.waiver.id, "reason": finding.waiver.reason,
            "approver": finding.waiver.approver, "expires": finding.waiver.expires},
    }


def _age(finding: Finding, report: Report) -> dict[str, Any]:
    """first_seen, age and fix-by deadline of a failing finding (nothing for a pass or waiver)."""
    seen = report.first_seen_of(finding)
    if seen is None:
        return {}
    deadline = report.deadline_of(finding)
    return {"first_seen": seen.isoformat(), "age_days": report.age_days(finding),
            "deadline": deadline.isoformat() if deadline else None, "past_deadline": report.past_deadline(finding)}


def report_document(report: Report, *, with_findings: bool = True) -> dict[str, Any]:
    """The whole report as a JSON-ready document (schema report.schema.json)."""
    used = report.waivers_used()
    return {
        "format": FORMAT,
        "run": {
            "tool": "policycheck",
            "version": report.version,
            "started": report.started.isoformat(timespec="seconds"),
            "finished": report.finished.isoformat(timespec="seconds"),
            "evaluated_on": report.evaluated_on.isoformat(),
            "sources": report.sources,
            "fail_on": report.thresholds.label,
            "fail_on_error": report.thresholds.fail_on_error,
            "exit_code": report.exit_code,
            "sla": report.sla,
            **({"shard": report.shard.as_dict()} if report.shard is not None else {}),
        },
        "packs": [{"name": p.name, "version": p.version, "source": p.source, "params": p.params}
                  for p in report.packs],
        "summary": {
            "resources": sum(report.resources_by_type.values()),
            "resources_by_type": dict(sorted(report.resources_by_type.items())),
            "results": {r.value: report.result_counts.get(r.value, 0) for r in Result},
            "by_severity": report.counts_by_severity(),
            "failing": report.failing_count(),
            "passes_omitted": report.omitted_passes,
            "by_rule": {rule.id: {r.value: report.rule_tally.get((rule.id, r.value), 0) for r in Result}
                        for rule in report.rules},
        },
        "selection": report.selection.as_dict(),
        "rules": [{"id": r.id, "title": r.title, "severity": r.severity.label, "pack": r.pack,
                   "resource_types": list(r.resource_types), "references": list(r.references),
                   "remediation": r.remediation, "description": r.description, "source": r.source, "line": r.line}
                  for r in report.rules],
        "findings": [finding_record(f, report) for f in report.findings] if with_findings else [],
        "collection_problems": [p.as_dict() for p in report.problems],
        "skipped": [{"rule_id": s.rule_id, "resource_type": s.resource_type, "provider": s.provider,
                     "reason": s.reason, "resources": s.resources} for s in report.skipped],
        "waivers": {
            "applied": [{**w.as_dict(), "matched": used[w.id]} for w in report.waivers_active if used[w.id]],
            "expired": [w.as_dict() for w in report.waivers_expired],
            "unused": [w.as_dict() for w in report.waivers_unused()],
        },
        "coverage": report.coverage(),
        "baseline": None if report.baseline is None else {
            "source": report.baseline_source,
            "new": report.changes().new,
            "known": report.changes().known,
            "past_deadline": report.changes().past_deadline,
            "resolved": report.resolved,
        },
    }


def chunks(report: Report, colour: bool = False) -> Iterator[str]:
    """Indented JSON with one finding per line: readable, diff- and grep-friendly, and fast.

    Indenting the whole document would push every finding through Python's slow pure-Python
    encoder; each finding line uses the C encoder instead. Findings are encoded one at a time,
    so writing a report of a million findings never holds its whole text in memory.
    """
    document = report_document(report, with_findings=False)
    del document["findings"]
    head = json.dumps(document, indent=2, default=str)
    yield f'{head[:-2]},\n  "findings": ['
    for index, finding in enumerate(report.findings):
        yield ("," if index else "") + "\n    " + json.dumps(finding_record(finding, report), default=str)
    yield "\n  ]\n}\n" if report.findings else "]\n}\n"


@reporter("json", "Stable JSON report (schema policycheck/report/v1); also the baseline format.", "json",
          stream=chunks)
def render(report: Report, colour: bool = False) -> str:
    return "".join(chunks(report, colour))
