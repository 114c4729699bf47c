"""``compact``: one line per failing finding, for CI logs (``--compact``); grep- and annotation-friendly.

``infra/main.tf:12: high GDPR-SEC-001 aws.s3.bucket cs-exports: not encrypted at rest [new]``
"""

from __future__ import annotations

from ..model import Finding
from ..report import FAILING_RESULTS, Report
from . import reporter

__all__ = ["render"]

_SEVERITY_ANSI = {"critical": "\x1b[1;31m", "high": "\x1b[31m", "medium": "\x1b[33m", "low": "\x1b[36m",
                  "info": "\x1b[2m"}
_RESET = "\x1b[0m"


@reporter("compact", "One line per failing finding, for CI logs.", "compact.txt")
def render(report: Report, colour: bool = False) -> str:
    """The findings that fail the run (with ``--fail-on never``: every failing one), most urgent first."""
    shown = [f for f in report.findings if f.result in FAILING_RESULTS] if report.thresholds.report_only \
        else report.failing()
    return "".join(_line(finding, report, colour) + "\n" for finding in report.ordered(shown))


def _line(finding: Finding, report: Report, colour: bool) -> str:
    r = finding.resource
    where = f"{r.source.path}:{r.source.line}: " if r.source else ""
    severity = finding.severity.label
    if colour:
        severity = f"{_SEVERITY_ANSI[severity]}{severity}{_RESET}"
    tags = []
    if report.baseline is not None and report.is_new(finding):
        tags.append("new")
    if report.past_deadline(finding):
        tags.append(f"past deadline {report.deadline_of(finding)}")
    if finding.result.value != "fail":
        tags.append(finding.result.value)
    message = " ".join(finding.message.split())
    suffix = f" [{', '.join(tags)}]" if tags else ""
    return f"{where}{severity} {finding.rule_id} {r.type} {r.name or r.id}: {message}{suffix}"
