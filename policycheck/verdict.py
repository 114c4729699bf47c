"""The run's verdict in words, one wording for the stderr line, the text report and the Markdown headline.

``policycheck: FAILED 3 critical, 12 high (5 new) in 8.2 s`` goes to stderr on every scan, also
when every report goes to a file, so a CI log always shows the outcome. With a baseline the
wording says what the baseline hides ("0 new, 1 resolved, 12 known (2 past deadline)"), never
"no failing findings" while failing findings exist.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .model import Severity
from .report import Report

__all__ = ["Verdict", "verdict_line"]

STATUS_STYLE = {"FAILED": "bold red", "PASSED": "bold green", "REPORTED": "bold yellow"}


@dataclass(frozen=True)
class Verdict:
    """FAILED (exit 1), PASSED (exit 0) or REPORTED (``--fail-on never``), and a sentence saying why."""

    status: str
    text: str

    @classmethod
    def of(cls, report: Report) -> Verdict:
        threshold = report.thresholds.label
        errors = "errors count" if report.thresholds.fail_on_error else "errors ignored"
        open_ = report.open_counts().open
        changes = f"; {report.changes().phrase()}" if report.baseline is not None else ""
        problems = f", {len(report.collection_errors)} collection error(s)" if report.collection_errors else ""
        if report.thresholds.report_only:
            return cls("REPORTED", f"{open_} failing finding(s){problems}, none fails the run "
                                   f"(--fail-on never){changes}")
        if report.exit_code:
            return cls("FAILED", f"{report.failing_count()} finding(s) at or above '{threshold}' ({errors})"
                                 f"{problems}{changes}")
        if report.baseline is not None and open_:
            return cls("PASSED", f"no new or overdue failing finding at or above '{threshold}' ({errors}){changes}")
        below = f" ({open_} below it or ignored)" if open_ else ""
        return cls("PASSED", f"no failing finding at or above '{threshold}' ({errors}){below}")


def verdict_line(report: Report) -> str:
    """One line for stderr: status, failing findings by severity, new/overdue counts, duration."""
    status = Verdict.of(report).status
    counts = report.open_counts()
    counted = counts.failing_by_severity if status == "FAILED" else \
        counts.open_by_severity if status == "REPORTED" else Counter()
    parts = _by_severity(counted) or ("0 failing" if status == "PASSED" else "0 findings")
    extras = []
    if report.baseline is not None:
        changes = report.changes()
        extras.append(f"{changes.new} new")
        if status == "PASSED":
            extras.append(f"{changes.known} known")
        if changes.past_deadline:
            extras.append(f"{changes.past_deadline} past deadline")
    if report.collection_errors:
        extras.append(f"{len(report.collection_errors)} collection error(s)")
    if status == "REPORTED":
        extras.append("--fail-on never")
    seconds = max((report.finished - report.started).total_seconds(), 0.0)
    suffix = f" ({', '.join(extras)})" if extras else ""
    return f"policycheck: {status} {parts}{suffix} in {seconds:.1f} s"


def _by_severity(counts: Counter[Severity]) -> str:
    return ", ".join(f"{counts[s]} {s.label}" for s in sorted(counts, reverse=True) if counts[s])
