"""The text report: plain when piped, colour on a terminal, counts per severity and result."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from core_support import rule_text, store

from policycheck.model import Finding, ResourceRef, Result, Severity
from policycheck.report import CollectionProblem, Report, Thresholds
from policycheck.reporters.text import render

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def pack(policy):
    return policy(rule_text("ENC", severity="high", require="{attr: encryption.at_rest, equals: true}"),
                  rule_text("TAG", severity="low", require="{attr: tags.owner, exists: true}"))


def test_piped_output_is_plain_and_complete(cli, pack, estate):
    path = estate(store("bucket-a", tags={}, groups={"encryption": {"encryption.at_rest": False}}),
                  store("bucket-b", tags={"owner": "x"}, groups={"encryption": {"error": "AccessDenied"}}))
    result = cli("scan", "-p", pack, "--coretest-estate", path)
    out = result.stdout
    assert not ANSI.search(out)
    assert out.startswith("policycheck 0.1.0: 2 resources, 2 rules (core-test 1.0.0)")
    assert "expected encryption.at_rest equals true; observed encryption.at_rest=false" in out
    assert "encryption.at_rest unknown: AccessDenied" in out
    # the counts table: high has 1 fail 1 error; low has 1 pass 1 fail
    assert re.search(r"\| high\s+\|\s+0 \|\s+1 \|\s+1 \|\s+0 \|", out)
    assert re.search(r"\| low\s+\|\s+1 \|\s+1 \|\s+0 \|\s+0 \|", out)
    assert "FAILED: 3 finding(s) at or above 'low' (errors count)" in out


def test_failures_are_listed_by_severity_then_result(cli, pack, estate):
    path = estate(store("a", tags={}, groups={"encryption": {"encryption.at_rest": False}}))
    out = cli("scan", "-p", pack, "--coretest-estate", path).stdout
    assert out.index("| high") < out.index("| low")


def test_markup_in_names_and_tag_values_is_printed_verbatim(cli, pack, estate):
    path = estate(store("b[/]", name="[bold]odd[/bold] [/]", tags={"owner": ""},
                        groups={"encryption": {"encryption.at_rest": False}}))
    result = cli("scan", "-p", pack, "--coretest-estate", path)
    assert result.exit_code == 1, result.stderr
    assert "[bold]odd[/bold] [/]" in result.stdout


def _report(**extra) -> Report:
    ref = ResourceRef("test.store", "id-1", "bucket", "coretest", "111", "eu-west-1")
    findings = [Finding("R-1", Severity.CRITICAL, ref, Result.FAIL, "broken"),
                Finding("R-2", Severity.INFO, ref, Result.PASS, "fine")]
    now = dt.datetime(2025, 6, 15, tzinfo=dt.UTC)
    return Report(findings=findings, rules=[], packs=[], thresholds=Thresholds(), started=now, finished=now,
                  evaluated_on=now.date(), resources_by_type={"test.store": 1}, version="9.9", **extra)


def test_colour_only_when_asked():
    assert not ANSI.search(render(_report(), False))
    coloured = render(_report(), True)
    assert ANSI.search(coloured)
    assert "FAILED" in ANSI.sub("", coloured)


def test_passing_run_and_omitted_passes():
    ref = ResourceRef("test.store", "id-1", "bucket", "coretest", "111", "eu-west-1")
    now = dt.datetime(2025, 6, 15, tzinfo=dt.UTC)
    report = Report(findings=[], rules=[], packs=[], thresholds=Thresholds(Severity.HIGH, False), started=now,
                    finished=now, evaluated_on=now.date(), omitted_passes=4, version="9.9")
    out = render(report, False)
    assert "No failing, erroring or waived findings." in out
    assert "(4 passing findings omitted from the report)" in out
    assert "PASSED: no failing finding at or above 'high' (errors ignored)" in out
    assert ref.id not in out


def test_collection_problems_are_shown_and_fail():
    report = _report(problems=[CollectionProblem("coretest", "account 222", "AccessDenied listing stores")])
    out = render(report, False)
    assert "collection error [coretest] account 222: AccessDenied listing stores" in out
    assert "1 collection error(s)" in out


def test_a_long_listing_is_cut_after_the_most_severe_rows(monkeypatch):
    from policycheck.reporters import text

    monkeypatch.setattr(text, "MAX_ROWS", 2)
    now = dt.datetime(2025, 6, 15, tzinfo=dt.UTC)
    findings = [Finding(f"R{i}", severity, ResourceRef("test.store", f"id-{i}", f"store-{i}", "coretest", "1", "eu"),
                        Result.FAIL, f"message {i}") for i, severity in enumerate(
                            [Severity.LOW, Severity.CRITICAL, Severity.MEDIUM, Severity.HIGH])]
    out = render(Report(findings=findings, rules=[], packs=[], thresholds=Thresholds(), started=now, finished=now,
                        evaluated_on=now.date()), False)
    assert "message 1" in out and "message 3" in out  # critical and high are shown
    assert "message 0" not in out and "message 2" not in out
    assert "... and 2 more less severe findings" in out
    assert "FAILED: 4 finding(s)" in out  # the verdict still counts everything
