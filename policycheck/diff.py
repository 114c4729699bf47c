"""Compare two JSON reports (e.g. last night's and tonight's): new, resolved, unchanged findings.

Only failing findings (``fail``/``error``) are compared, by fingerprint (rule, account, region,
resource id). A finding is *new* when it fails in NEW but did not fail in OLD, *resolved*
when it failed in OLD and no longer does in NEW (it passes, is waived, or is no longer
reported), *unchanged* when it fails in both. ``policycheck diff`` exits 1 when a new finding
fails at or above the threshold (by default NEW's own ``fail_on``/``fail_on_error``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .baseline import failing_findings, load_report
from .errors import InputError
from .model import SEVERITIES, Result, Severity
from .reporters.markdown import cell

__all__ = [
    "FORMAT",
    "NOT_REPORTED",
    "RENDERERS",
    "ReportDiff",
    "diff_documents",
    "diff_files",
    "render_json",
    "render_markdown",
    "render_text",
]

FORMAT = "policycheck/diff/v1"
NOT_REPORTED = "not reported"


@dataclass(frozen=True)
class ReportDiff:
    old_source: str
    new_source: str
    old_run: dict[str, Any]
    new_run: dict[str, Any]
    new: list[dict[str, Any]]
    resolved: list[dict[str, Any]]  # OLD's records, each with "now": NEW's result or "not reported"
    unchanged: list[dict[str, Any]]

    def failing_new(self, fail_on: Severity, fail_on_error: bool) -> list[dict[str, Any]]:
        """New findings that fail at or above ``fail_on`` (errors only when ``fail_on_error``)."""
        return [f for f in self.new if _severity(f) >= fail_on
                and (f["result"] == Result.FAIL.value or fail_on_error)]

    def thresholds(self, fail_on: str | None, fail_on_error: bool | None) -> tuple[Severity, bool]:
        """Explicit values, else NEW's own run settings, else the scan defaults (low, errors count)."""
        label = fail_on or self.new_run.get("fail_on") or "low"
        if label not in SEVERITIES:
            raise InputError(f"run.fail_on: unknown severity {label!r}", source=self.new_source)
        errors = fail_on_error if fail_on_error is not None else self.new_run.get("fail_on_error", True)
        return Severity.parse(label), bool(errors)


def diff_files(old_path: Path, new_path: Path) -> ReportDiff:
    """Compare two JSON report files; InputError for a file that is not one."""
    old, new = load_report(old_path), load_report(new_path)
    for document, path in ((old, old_path), (new, new_path)):
        for index, finding in enumerate(document["findings"]):
            _severity(finding, f"findings[{index}]", str(path))
    return diff_documents(old, new, str(old_path), str(new_path))


def diff_documents(old: dict[str, Any], new: dict[str, Any], old_source: str, new_source: str) -> ReportDiff:
    """Compare two loaded JSON reports by the fingerprints of their failing findings."""
    before, after = failing_findings(old), failing_findings(new)
    results_now = {f["fingerprint"]: f.get("result") for f in new["findings"]}
    return ReportDiff(
        old_source=old_source, new_source=new_source,
        old_run=dict(old.get("run") or {}), new_run=dict(new.get("run") or {}),
        new=_ordered(f for fp, f in after.items() if fp not in before),
        resolved=_ordered({**f, "now": results_now.get(fp) or NOT_REPORTED}
                          for fp, f in before.items() if fp not in after),
        unchanged=_ordered(f for fp, f in after.items() if fp in before),
    )


def _ordered(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: (-_severity(f), f.get("rule_id") or "", _resource(f).get("id") or ""))


def _severity(finding: dict[str, Any], place: str = "finding", source: str | None = None) -> Severity:
    label = finding.get("severity")
    if label not in SEVERITIES:
        raise InputError(f"{place}.severity: expected one of {', '.join(SEVERITIES)}, got {label!r}", source=source)
    return Severity.parse(label)


def _resource(finding: dict[str, Any]) -> dict[str, Any]:
    resource = finding.get("resource")
    return resource if isinstance(resource, dict) else {}


# -- renderers -----------------------------------------------------------------------------
def render_text(diff: ReportDiff, failing: list[dict[str, Any]]) -> str:
    """Plain-text diff: counts, then the new and resolved findings."""
    lines = [f"policycheck diff: {diff.old_source} ({_when(diff.old_run)}) -> {diff.new_source} "
             f"({_when(diff.new_run)})",
             f"{len(diff.new)} new, {len(diff.resolved)} resolved, {len(diff.unchanged)} unchanged failing findings"]
    for title, findings, sign in (("new", diff.new, "+"), ("resolved", diff.resolved, "-")):
        if findings:
            lines += ["", f"{title}:"]
            lines += [f"  {sign} {_line(f)}" + (f"  [now: {f['now']}]" if "now" in f else "") for f in findings]
    lines += ["", f"FAILED: {len(failing)} new failing finding(s)" if failing else "OK: no new failing findings"]
    return "\n".join(lines) + "\n"


def render_json(diff: ReportDiff, failing: list[dict[str, Any]]) -> str:
    """The diff as JSON (format policycheck/diff/v1)."""
    document = {
        "format": FORMAT,
        "old": {"source": diff.old_source, **_run_summary(diff.old_run)},
        "new": {"source": diff.new_source, **_run_summary(diff.new_run)},
        "summary": {"new": len(diff.new), "resolved": len(diff.resolved), "unchanged": len(diff.unchanged),
                    "failing_new": len(failing)},
        "new_findings": diff.new,
        "resolved": diff.resolved,
        "unchanged": diff.unchanged,
    }
    return json.dumps(document, indent=2, default=str) + "\n"


def render_markdown(diff: ReportDiff, failing: list[dict[str, Any]]) -> str:
    """The diff as Markdown for a pull-request comment (at most 200 rows per table)."""
    verdict = f"❌ {len(failing)} new failing finding(s)" if failing else "✅ no new failing findings"
    lines = [f"## policycheck diff: {verdict}", "",
             f"{cell(diff.old_source)} ({_when(diff.old_run)}) → {cell(diff.new_source)} ({_when(diff.new_run)})",
             "", "| new | resolved | unchanged |", "|--:|--:|--:|",
             f"| {len(diff.new)} | {len(diff.resolved)} | {len(diff.unchanged)} |", ""]
    for title, findings in (("New", diff.new), ("Resolved", diff.resolved)):
        if not findings:
            continue
        lines += [f"### {title} ({len(findings)})", "", "| severity | rule | resource | details |", "|---|---|---|---|"]
        for f in findings[:200]:
            details = f"now {f['now']}" if "now" in f else f.get("message") or ""
            lines.append(f"| {f.get('severity')} | {cell(f.get('rule_id') or '')} | "
                         f"{cell(_resource(f).get('id') or '')} | {cell(details)} |")
        if len(findings) > 200:
            lines.append(f"| … | {len(findings) - 200} more | | |")
        lines.append("")
    return "\n".join(lines)


def _line(finding: dict[str, Any]) -> str:
    resource = _resource(finding)
    return (f"{finding.get('severity', '?'):<8} {finding.get('result', '?'):<5} {finding.get('rule_id', '?')}  "
            f"{resource.get('type', '?')} {resource.get('id', '?')}: {finding.get('message', '')}")


def _when(run: dict[str, Any]) -> str:
    return str(run.get("finished") or run.get("started") or "time unknown")


def _run_summary(run: dict[str, Any]) -> dict[str, Any]:
    return {key: run.get(key) for key in ("version", "finished", "evaluated_on", "fail_on", "fail_on_error")}


RENDERERS: dict[str, Callable[[ReportDiff, list[dict[str, Any]]], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
