"""Honest baselines for scheduled scans: first_seen carried over, fix-by deadlines (sla:) that fail again,
and summaries that say what the baseline holds."""

from __future__ import annotations

import json

import pytest
from core_support import rule_text, store

RULES = (rule_text("CRIT", severity="critical", require="{attr: encryption.at_rest, equals: true}"),
         rule_text("MED", severity="medium", require="{attr: backup.enabled, equals: true}"))


@pytest.fixture
def pack(policy):
    return policy(*RULES)


def stores(estate, name, *failing_backup):
    """s1 always fails CRIT; each id in failing_backup fails MED."""
    records = [store("s1", tags={}, groups={"encryption": {"encryption.at_rest": False},
                                            "backup": {"backup.enabled": "s1" not in failing_backup}})]
    records += [store(rid, tags={}, groups={"encryption": {"encryption.at_rest": True},
                                            "backup": {"backup.enabled": False}})
                for rid in failing_backup if rid != "s1"]
    return estate(*records, name=name)


@pytest.fixture
def nightly(cli, pack, tmp_path):
    """Run one night's scan: ``nightly(estate, day, *args)`` -> (result, JSON document); each night's JSON
    report is the next night's baseline."""
    state = {"previous": None}

    def run(estate_path, day, *args):
        out = tmp_path / f"{day}.json"
        baseline = ("--baseline", state["previous"]) if state["previous"] else ()
        result = cli("scan", "-p", pack, "--coretest-estate", estate_path, "--evaluation-date", day, *baseline,
                     "-f", f"json={out}", "-f", "text", *args)
        state["previous"] = out
        return result, json.loads(out.read_text())
    return run


def by_key(document):
    return {(f["rule_id"], f["resource"]["id"]): f for f in document["findings"] if f["result"] == "fail"}


def test_first_seen_is_carried_over_night_after_night(nightly, estate):
    night1 = stores(estate, "n1.json")
    _, first = nightly(night1, "2026-10-01")
    assert by_key(first)["CRIT", "s1"]["first_seen"] == "2026-10-01"
    _, second = nightly(stores(estate, "n2.json", "s2"), "2026-10-05")
    found = by_key(second)
    assert found["CRIT", "s1"]["first_seen"] == "2026-10-01" and found["CRIT", "s1"]["age_days"] == 4
    assert found["CRIT", "s1"]["new"] is False
    assert found["MED", "s2"]["first_seen"] == "2026-10-05" and found["MED", "s2"]["new"] is True
    _, third = nightly(stores(estate, "n3.json", "s2"), "2026-10-20")
    found = by_key(third)
    assert found["CRIT", "s1"]["first_seen"] == "2026-10-01" and found["CRIT", "s1"]["age_days"] == 19
    assert found["MED", "s2"]["first_seen"] == "2026-10-05"


def test_a_finding_that_was_fixed_and_came_back_is_new_again(nightly, estate):
    nightly(stores(estate, "a.json", "s2"), "2026-10-01")
    nightly(stores(estate, "b.json"), "2026-10-02")  # s2 fixed
    _, document = nightly(stores(estate, "c.json", "s2"), "2026-10-03")
    assert by_key(document)["MED", "s2"]["first_seen"] == "2026-10-03"


def test_known_finding_past_its_deadline_fails_again(nightly, estate):
    first, _ = nightly(stores(estate, "a.json"), "2026-10-01", "--sla", "critical=7")
    assert first.exit_code == 1  # new
    on_time, document = nightly(stores(estate, "b.json"), "2026-10-08", "--sla", "critical=7")
    assert on_time.exit_code == 0, on_time.stdout  # deadline day itself: still within
    assert by_key(document)["CRIT", "s1"]["deadline"] == "2026-10-08"
    late, document = nightly(stores(estate, "c.json"), "2026-10-09", "--sla", "critical=7")
    assert late.exit_code == 1
    assert by_key(document)["CRIT", "s1"]["past_deadline"] is True
    assert document["baseline"]["past_deadline"] == 1
    assert "FAILED: 1 finding(s) at or above 'low' (errors count); 0 new, 0 resolved, 1 known (1 past deadline)" \
        in late.stdout
    assert "(0 new, 1 past deadline)" in late.stderr


def test_sla_of_another_severity_does_not_apply(nightly, estate):
    nightly(stores(estate, "a.json"), "2026-10-01", "--sla", "medium=1")
    result, document = nightly(stores(estate, "b.json"), "2026-12-01", "--sla", "medium=1")
    assert result.exit_code == 0
    assert by_key(document)["CRIT", "s1"]["deadline"] is None


def test_sla_from_config(cli, nightly, estate, write):
    config = write("policycheck.yaml", "sla: {critical: 7, high: 30}\n")
    nightly(stores(estate, "a.json"), "2026-10-01", "--config", config)
    result, document = nightly(stores(estate, "b.json"), "2026-10-20", "--config", config)
    assert result.exit_code == 1
    assert document["run"]["sla"] == {"critical": 7, "high": 30}


@pytest.mark.parametrize(("text", "fragment"), [
    ("sla: {urgent: 3}\n", "sla"),
    ("sla: {critical: -1}\n", "sla.critical"),
    ("sla: {critical: soon}\n", "sla.critical"),
])
def test_bad_sla_is_a_config_error(cli, pack, estate, write, text, fragment):
    config = write("policycheck.yaml", text)
    result = cli("scan", "--config", config, "-p", pack, "--coretest-estate", stores(estate, "a.json"))
    assert result.exit_code == 2
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_summary_never_says_no_failing_findings_while_the_baseline_holds_some(nightly, estate, cli, pack, tmp_path):
    nightly(stores(estate, "a.json", "s2"), "2026-10-01")
    result, _ = nightly(stores(estate, "b.json", "s3"), "2026-10-02")  # s2 resolved, s3 new, s1 known
    assert "FAILED: 1 finding(s) at or above 'low' (errors count); 1 new, 1 resolved, 1 known (0 past deadline)" \
        in result.stdout
    result, _ = nightly(stores(estate, "c.json", "s3"), "2026-10-03")
    assert result.exit_code == 0
    assert "no failing finding" not in result.stdout
    assert "0 new, 0 resolved, 2 known (0 past deadline)" in result.stdout
    markdown = cli("scan", "-p", pack, "--coretest-estate", stores(estate, "d.json", "s3"), "--evaluation-date",
                   "2026-10-04", "--baseline", tmp_path / "2026-10-03.json", "-f", "markdown").stdout
    assert markdown.startswith("## ✅ policycheck: 0 new, 0 resolved, 2 known (0 past deadline)\n")
    assert "no failing findings" not in markdown


def test_new_findings_are_listed_first(nightly, estate, cli, pack, tmp_path):
    nightly(stores(estate, "a.json"), "2026-10-01")
    result, _ = nightly(stores(estate, "b.json", "s2"), "2026-10-02")
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and ("fail" in line)]
    assert "(new)" in rows[0] and "medium" in rows[0]  # the new medium before the known critical
    compact = cli("scan", "-p", pack, "--coretest-estate", stores(estate, "c.json", "s2"), "--evaluation-date",
                  "2026-10-02", "--baseline", tmp_path / "2026-10-01.json", "--compact", "--fail-on", "never")
    lines = compact.stdout.splitlines()
    assert lines[0].startswith("medium MED") and lines[0].endswith("[new]")
    assert lines[1].startswith("critical CRIT")
    markdown = cli("scan", "-p", pack, "--coretest-estate", stores(estate, "d.json", "s2"), "--evaluation-date",
                   "2026-10-20", "--baseline", tmp_path / "2026-10-01.json", "--sla", "critical=3",
                   "-f", "markdown").stdout
    blocks = [line for line in markdown.splitlines() if line.startswith("#### ")]
    assert "MED" in blocks[0] and "CRIT" in blocks[1]
    assert "*(first seen 2026-10-01, 19 d; **past deadline 2026-10-04**)*" in markdown


def test_diff_reads_first_seen_back(nightly, estate, tmp_path):
    nightly(stores(estate, "a.json"), "2026-10-01")
    nightly(stores(estate, "b.json"), "2026-10-09")
    from policycheck.report_file import read_report

    report = read_report(tmp_path / "2026-10-09.json")
    (finding,) = [f for f in report.findings if f.rule_id == "CRIT"]
    assert str(report.first_seen_of(finding)) == "2026-10-01"
