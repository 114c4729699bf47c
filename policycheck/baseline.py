"""Baselines: a previous JSON report, so that only new findings fail the build."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import InputError
from .report import FAILING_RESULTS, FORMAT

__all__ = ["FAILING", "failing_findings", "load_report", "resolved_since"]

#: Result values of failing findings, as a JSON report writes them.
FAILING = tuple(r.value for r in FAILING_RESULTS)


def load_report(path: Path) -> dict[str, Any]:
    """A previous JSON report, checked for its format."""
    source = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError("report file not found", source=source) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        place = f"{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else None
        raise InputError(f"not a JSON report: {exc}", source=source, place=place) from None
    except RecursionError:
        raise InputError("not a JSON report: nested too deeply to read", source=source) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"not a policycheck JSON report (format must be '{FORMAT}')", source=source)
    findings = document.get("findings")
    if not isinstance(findings, list) or not all(isinstance(f, dict) and "fingerprint" in f for f in findings):
        raise InputError("'findings' must be a list of findings with fingerprints", source=source)
    return document


def failing_findings(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Fingerprint -> finding for the failing (fail/error) findings of a report."""
    return {f["fingerprint"]: f for f in document["findings"] if f.get("result") in FAILING}


def resolved_since(baseline: dict[str, Any], current_failing: set[str]) -> list[dict[str, Any]]:
    """Baseline findings that no longer fail."""
    return [
        {"fingerprint": fp, "rule_id": f.get("rule_id"), "resource": (f.get("resource") or {}).get("id")}
        for fp, f in sorted(failing_findings(baseline).items()) if fp not in current_failing
    ]
