"""``codequality``: GitLab Code Quality JSON (``artifacts:reports:codequality``), shown in merge requests.

The format (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format) is a list
of issues with ``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location`` (a
path and a line). As in SARIF, a cloud resource has no file of its own: an issue points at the
resource's code when it has one (a Terraform plan), else at the policy file and line of the rule.
GitLab compares fingerprints with the target branch's report to show new and fixed issues.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Finding
from ..report import FAILING_RESULTS, Report
from . import reporter
from .sources import locate

__all__ = ["GITLAB_SEVERITY", "issues", "render"]

#: Our severities on GitLab's scale (info, minor, major, critical, blocker).
GITLAB_SEVERITY = {"info": "info", "low": "minor", "medium": "major", "high": "critical", "critical": "blocker"}


@reporter("codequality", "GitLab Code Quality JSON (artifacts:reports:codequality).", "codequality.json")
def render(report: Report, colour: bool = False) -> str:
    return json.dumps(issues(report), indent=2) + "\n"


def issues(report: Report) -> list[dict[str, Any]]:
    """One issue per failing or erroring finding (passes and waived findings are not issues)."""
    return [_issue(f, report) for f in report.ordered([f for f in report.findings if f.result in FAILING_RESULTS])]


def _issue(finding: Finding, report: Report) -> dict[str, Any]:
    rule = report.rule(finding.rule_id)
    r = finding.resource
    source = r.source
    path, line = (source.path, source.line) if source else (rule.source if rule else "", rule.line if rule else 1)
    title = f" {rule.title}" if rule else ""
    error = " (could not be checked)" if finding.result.value == "error" else ""
    message = " ".join(finding.message.split())
    return {
        "type": "issue",
        "check_name": finding.rule_id,
        "description": f"{finding.rule_id}{title}{error}: {r.type} {r.name or r.id}: {message}",
        "categories": ["Security"],
        "fingerprint": finding.fingerprint,
        "severity": GITLAB_SEVERITY[finding.severity.label],
        "location": {"path": locate(path).path, "lines": {"begin": max(1, line)}},
    }
