"""GitLab Code Quality, OCSF Detection Findings and the self-contained HTML report, each checked against its
published format: GitLab's documented issue format (tests/schemas/gitlab-codequality.schema.json), the OCSF
models of py-ocsf-models, and for HTML an offline page that loads nothing from anywhere."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import jsonschema
import pytest

from policycheck.model import Result
from policycheck.reporters import formats_for, load_reporters

from .conftest import SCHEMAS


def rendered(report, name: str) -> str:
    return load_reporters().get(name).render(report, False)


def test_new_formats_are_registered():
    assert {"codequality", "html", "ocsf", "compact"} <= set(formats_for("report"))


# -- GitLab Code Quality -----------------------------------------------------------------------------------
def test_codequality_is_valid_against_the_documented_format(report):
    document = json.loads(rendered(report, "codequality"))
    schema = json.loads((SCHEMAS / "gitlab-codequality.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    failing = [f for f in report.findings if f.result in (Result.FAIL, Result.ERROR)]
    assert len(document) == len(failing) > 0
    assert len({issue["fingerprint"] for issue in document}) == len(document)  # GitLab needs them unique
    assert {issue["fingerprint"] for issue in document} == {f.fingerprint for f in failing}


def test_codequality_severity_and_location(report):
    document = json.loads(rendered(report, "codequality"))
    by_rule = {f.fingerprint: f for f in report.findings}
    for issue in document:
        finding = by_rule[issue["fingerprint"]]
        assert issue["severity"] == {"info": "info", "low": "minor", "medium": "major", "high": "critical",
                                     "critical": "blocker"}[finding.severity.label]
        rule = report.rule(finding.rule_id)
        assert issue["location"] == {"path": "tests/reporters/fixtures/policy.yaml", "lines": {"begin": rule.line}}
        assert issue["check_name"] == finding.rule_id and finding.resource.name in issue["description"]


def test_codequality_of_a_clean_run_is_an_empty_list(scan, tmp_path, kit):
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"format": "policycheck/snapshot/v1", "resources": []}))
    assert json.loads(rendered(scan(path), "codequality")) == []


# -- OCSF ----------------------------------------------------------------------------------------------------
def test_ocsf_events_validate_against_the_ocsf_models(report):
    models = pytest.importorskip("py_ocsf_models.events.findings.detection_finding")
    events = json.loads(rendered(report, "ocsf"))
    shown = [f for f in report.findings if f.result in (Result.FAIL, Result.ERROR, Result.WAIVED)]
    assert len(events) == len(shown) > 0
    for event in events:
        model = models.DetectionFinding.model_validate(event)
        assert model.class_uid == 2004 and model.type_uid == 200401
        assert model.finding_info.uid == event["metadata"]["uid"]


def test_ocsf_maps_severity_status_and_waivers(report):
    events = {e["finding_info"]["uid"]: e for e in json.loads(rendered(report, "ocsf"))}
    for finding in report.findings:
        if finding.result is Result.PASS:
            assert finding.fingerprint not in events
            continue
        event = events[finding.fingerprint]
        assert event["severity_id"] == {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}[
            finding.severity.label]
        assert event["status"] == ("Suppressed" if finding.result is Result.WAIVED else "New")
        assert event["finding_info"]["analytic"]["uid"] == finding.rule_id
        assert event["resources"][0]["uid"] == finding.resource.id
        if finding.waiver:
            assert finding.waiver.approver in event["unmapped"]["waiver"]
    assert any(e["status"] == "Suppressed" for e in events.values())


# -- HTML ----------------------------------------------------------------------------------------------------
class _Page(HTMLParser):
    """Collects what a browser would load or run."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def test_html_is_self_contained(report):
    text = rendered(report, "html")
    page = _Page()
    page.feed(text)
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        assert not any(key in attrs for key in ("src", "href", "srcset")), (tag, attrs)
    assert "url(" not in text and "@import" not in text and "http://" not in text
    [csp] = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp.startswith("default-src 'none';")
    [script] = page.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp  # the inline script is the only one allowed to run


def test_html_has_sortable_findings_coverage_and_waivers(report):
    text = rendered(report, "html")
    assert text.count("data-sort") >= 7
    shown = [f for f in report.findings if f.result is not Result.PASS]
    assert f"Findings needing attention ({len(shown)})" in text
    for row in report.coverage():
        assert f"<td>{row['reference']}</td>" in text.replace("&#x27;", "'")
    for waiver in report.waivers_active:
        assert waiver.approver in text and waiver.expires.isoformat() in text


def test_html_escapes_resource_data(scan, tmp_path):
    snapshot = json.loads((SCHEMAS.parent / "reporters/fixtures/estate.json").read_text())
    snapshot["resources"][0]["name"] = "<script>alert(1)</script>"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(snapshot))
    text = rendered(scan(path), "html")
    assert "<script>alert(1)</script>" not in text
    assert len(re.findall(r"<script>", text)) == 1
