"""Compare two JSON reports (e.g. last night's and tonight's): new, resolved, unchanged findings.

Both reports are read into the typed report model (:func:`~policycheck.report_file.read_report`),
so fingerprints and thresholds are the ones a scan uses. Only failing findings (``fail``/``error``)
are compared. A finding is *new* when it fails in NEW but did not fail in OLD, *resolved* when
it failed in OLD and no longer does in NEW (it passes, is waived, or is no longer reported),
*unchanged* when it fails in both. ``policycheck diff`` exits 1 when a new finding fails at or
above the threshold (by default NEW's own ``fail_on``/``fail_on_error``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .baseline import failing_by_fingerprint
from .inputs import DEFAULT_MAX_INPUT_MB, MB
from .model import Finding, Severity
from .report import Report, Thresholds
from .report_file import read_report
from .reporters import renders
from .reporters.markdown import cell

__all__ = ["FORMAT", "NOT_REPORTED", "ReportDiff", "diff_files", "diff_reports"]

FORMAT = "policycheck/diff/v1"
NOT_REPORTED = "not reported"


@dataclass(frozen=True)
class Change:
    """A finding that differs between the reports; ``now`` is NEW's result for a resolved one."""

    finding: Finding
    now: str | None = None


@dataclass(frozen=True)
class ReportDiff:
    old_source: str
    new_source: str
    old: Report
    new_report: Report
    new: list[Change]
    resolved: list[Change]
    unchanged: list[Change]
    thresholds: Thresholds

    @property
    def failing_new(self) -> list[Change]:
        """New findings that fail under the thresholds."""
        return [c for c in self.new if self.thresholds.is_failing(c.finding)]


def diff_files(old_path: Path, new_path: Path, *, fail_on: Severity | None = None,
               fail_on_error: bool | None = None, cap: int = DEFAULT_MAX_INPUT_MB * MB) -> ReportDiff:
    """Compare two JSON report files of at most ``cap`` bytes each; InputError for a file that is not one."""
    return diff_reports(read_report(old_path, cap=cap), read_report(new_path, cap=cap), str(old_path), str(new_path),
                        fail_on=fail_on, fail_on_error=fail_on_error)


def diff_reports(old: Report, new: Report, old_source: str, new_source: str, *, fail_on: Severity | None = None,
                 fail_on_error: bool | None = None) -> ReportDiff:
    """Compare two reports by the fingerprints of their failing findings; thresholds default to NEW's own."""
    before, after = failing_by_fingerprint(old), failing_by_fingerprint(new)
    results_now = {f.fingerprint: f.result.value for f in new.findings}
    thresholds = Thresholds(fail_on if fail_on is not None else new.thresholds.fail_on,
                            fail_on_error if fail_on_error is not None else new.thresholds.fail_on_error,
                            new.thresholds.report_only and fail_on is None)
    return ReportDiff(
        old_source=old_source, new_source=new_source, old=old, new_report=new,
        new=_ordered(Change(f) for fp, f in after.items() if fp not in before),
        resolved=_ordered(Change(f, results_now.get(fp) or NOT_REPORTED)
                          for fp, f in before.items() if fp not in after),
        unchanged=_ordered(Change(f) for fp, f in after.items() if fp in before),
        thresholds=thresholds,
    )


def _ordered(changes: Iterable[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (-c.finding.severity, c.finding.rule_id, c.finding.resource.id))


# -- renderers -----------------------------------------------------------------------------
@renders("diff", "text")
def render_text(diff: ReportDiff, colour: bool = False) -> str:
    """Plain-text diff: counts, then the new and resolved findings."""
    failing = diff.failing_new
    lines = [f"policycheck diff: {diff.old_source} ({_when(diff.old)}) -> {diff.new_source} ({_when(diff.new_report)})",
             f"{len(diff.new)} new, {len(diff.resolved)} resolved, {len(diff.unchanged)} unchanged failing findings"]
    for title, changes, sign in (("new", diff.new, "+"), ("resolved", diff.resolved, "-")):
        if changes:
            lines += ["", f"{title}:"]
            lines += [f"  {sign} {_line(c.finding)}" + (f"  [now: {c.now}]" if c.now else "") for c in changes]
    lines += ["", f"FAILED: {len(failing)} new failing finding(s)" if failing else "OK: no new failing findings"]
    return "\n".join(lines) + "\n"


@renders("diff", "json")
def render_json(diff: ReportDiff, colour: bool = False) -> str:
    """The diff as JSON (format policycheck/diff/v1)."""
    document = {
        "format": FORMAT,
        "old": {"source": diff.old_source, **_run_summary(diff.old)},
        "new": {"source": diff.new_source, **_run_summary(diff.new_report)},
        "summary": {"new": len(diff.new), "resolved": len(diff.resolved), "unchanged": len(diff.unchanged),
                    "failing_new": len(diff.failing_new)},
        "new_findings": [_record(c) for c in diff.new],
        "resolved": [_record(c) for c in diff.resolved],
        "unchanged": [_record(c) for c in diff.unchanged],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


@renders("diff", "markdown")
def render_markdown(diff: ReportDiff, colour: bool = False) -> str:
    """The diff as Markdown for a pull-request comment (at most 200 rows per table)."""
    failing = diff.failing_new
    verdict = f"❌ {len(failing)} new failing finding(s)" if failing else "✅ no new failing findings"
    lines = [f"## policycheck diff: {verdict}", "",
             f"{cell(diff.old_source)} ({_when(diff.old)}) → {cell(diff.new_source)} ({_when(diff.new_report)})",
             "", "| new | resolved | unchanged |", "|--:|--:|--:|",
             f"| {len(diff.new)} | {len(diff.resolved)} | {len(diff.unchanged)} |", ""]
    for title, changes in (("New", diff.new), ("Resolved", diff.resolved)):
        if not changes:
            continue
        lines += [f"### {title} ({len(changes)})", "", "| severity | rule | resource | details |", "|---|---|---|---|"]
        for c in changes[:200]:
            details = f"now {c.now}" if c.now else c.finding.message
            lines.append(f"| {c.finding.severity.label} | {cell(c.finding.rule_id)} | {cell(c.finding.resource.id)} "
                         f"| {cell(details)} |")
        if len(changes) > 200:
            lines.append(f"| … | {len(changes) - 200} more | | |")
        lines.append("")
    return "\n".join(lines)


def _record(change: Change) -> dict[str, Any]:
    f, r = change.finding, change.finding.resource
    record = {"fingerprint": f.fingerprint, "rule_id": f.rule_id, "severity": f.severity.label,
              "result": f.result.value, "message": f.message,
              "resource": {"type": r.type, "id": r.id, "name": r.name, "provider": r.provider,
                           "account": r.account, "region": r.region}}
    return {**record, "now": change.now} if change.now else record


def _line(f: Finding) -> str:
    r = f.resource
    return f"{f.severity.label:<8} {f.result.value:<5} {f.rule_id}  {r.type} {r.id}: {f.message}"


def _when(report: Report) -> str:
    return report.finished.isoformat(timespec="seconds")


def _run_summary(report: Report) -> dict[str, Any]:
    return {"version": report.version, "finished": _when(report), "evaluated_on": report.evaluated_on.isoformat(),
            "fail_on": report.thresholds.label, "fail_on_error": report.thresholds.fail_on_error}
