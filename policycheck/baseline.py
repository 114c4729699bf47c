"""Baselines: a previous JSON report, so that only new findings fail the build."""

from __future__ import annotations

from typing import Any

from .model import Finding
from .report import FAILING_RESULTS, Report

__all__ = ["failing_by_fingerprint", "resolved_since"]


def failing_by_fingerprint(report: Report) -> dict[str, Finding]:
    """Fingerprint -> finding for the failing (fail/error) findings of a report."""
    return {f.fingerprint: f for f in report.findings if f.result in FAILING_RESULTS}


def resolved_since(baseline: Report, current_failing: set[str]) -> list[dict[str, Any]]:
    """Baseline findings that no longer fail."""
    return [{"fingerprint": fp, "rule_id": f.rule_id, "resource": f.resource.id}
            for fp, f in sorted(failing_by_fingerprint(baseline).items()) if fp not in current_failing]
