"""``ocsf``: OCSF 1.5 Detection Finding events (class 2004) as a JSON list, for SIEMs and AWS Security Hub.

One event per failing, erroring or waived finding (waived: status Suppressed). Field meanings follow
the OCSF schema (https://schema.ocsf.io/1.5.0/classes/detection_finding); the tests validate every
event with the ``py-ocsf-models`` models. The rule is the finding's analytic; the resource keeps only
what reports keep (pseudonyms for people), and the rule's references and remediation travel along.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..model import Finding, Result
from ..report import FAILING_RESULTS, Report
from . import reporter

__all__ = ["OCSF_VERSION", "events", "render"]

OCSF_VERSION = "1.5.0"
DETECTION_FINDING = 2004
FINDINGS_CATEGORY = 2
ACTIVITY_CREATE = 1
SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
#: OCSF status: New (a finding that fails), Suppressed (waived).
STATUS = {Result.FAIL: (1, "New"), Result.ERROR: (1, "New"), Result.WAIVED: (3, "Suppressed")}
#: Our provider names as OCSF's cloud.provider captions.
CLOUD = {"aws": "AWS", "gcs": "GCP", "terraform": "AWS"}
ANALYTIC_RULE = 1


@reporter("ocsf", "OCSF 1.5 Detection Finding events (JSON list) for SIEMs and Security Hub.", "ocsf.json")
def render(report: Report, colour: bool = False) -> str:
    return json.dumps(events(report), indent=2, default=str) + "\n"


def events(report: Report) -> list[dict[str, Any]]:
    """The report's failing, erroring and waived findings as Detection Finding events."""
    shown = [f for f in report.findings if f.result in (*FAILING_RESULTS, Result.WAIVED)]
    return [_event(f, report) for f in report.ordered(shown)]


def _millis(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _day_millis(day: dt.date) -> int:
    return _millis(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def _event(finding: Finding, report: Report) -> dict[str, Any]:
    rule = report.rule(finding.rule_id)
    r = finding.resource
    status_id, status = STATUS[finding.result]
    seen = report.first_seen_of(finding)
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE, "activity_name": "Create",
        "category_uid": FINDINGS_CATEGORY, "category_name": "Findings",
        "class_uid": DETECTION_FINDING, "class_name": "Detection Finding",
        "type_uid": DETECTION_FINDING * 100 + ACTIVITY_CREATE, "type_name": "Detection Finding: Create",
        "severity_id": SEVERITY_ID[finding.severity.label], "severity": finding.severity.label.capitalize(),
        "status_id": status_id, "status": status,
        "time": _millis(report.finished), "time_dt": report.finished.isoformat(),
        "message": finding.message,
        "metadata": {"version": OCSF_VERSION, "uid": finding.fingerprint, "event_code": finding.rule_id,
                     "product": {"name": "policycheck", "vendor_name": "policycheck", "version": report.version}},
        "finding_info": {
            "uid": finding.fingerprint, "title": rule.title if rule else finding.rule_id, "desc": finding.message,
            "types": list(rule.references) if rule else [],
            "analytic": {"uid": finding.rule_id, "name": finding.rule_id, "type_id": ANALYTIC_RULE, "type": "Rule"},
            **({"first_seen_time": _day_millis(seen)} if seen else {}),
        },
        "resources": [{"uid": r.id, "name": r.name, "type": r.type, "region": r.region or None,
                       "data": {"provider": r.provider, "account": r.account, "observed": dict(finding.observed)}}],
        "unmapped": {"result": finding.result.value,
                     "new": report.is_new(finding) if report.baseline is not None else None,
                     "past_deadline": report.past_deadline(finding),
                     **({"waiver": finding.waiver.justification()} if finding.waiver else {})},
    }
    if r.provider in CLOUD:
        event["cloud"] = {"provider": CLOUD[r.provider], **({"region": r.region} if r.region else {})}
    if rule and rule.remediation:
        event["remediation"] = {"desc": rule.remediation, "references": list(rule.references)}
    return event
