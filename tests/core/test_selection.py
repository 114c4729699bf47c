"""Choosing what runs: --rule/--skip-rule/--severity/--reference, the config's per-rule overrides, --fail-on never."""

from __future__ import annotations

import json

import pytest
from core_support import rule_text, store

RULES = (
    rule_text("SEC-001", severity="critical", require="{attr: encryption.at_rest, equals: true}",
              extra='references: ["GDPR Art. 32(1)(a)", "GDPR Art. 5(1)(f)"]'),
    rule_text("SEC-002", severity="medium", require="{attr: backup.enabled, equals: true}",
              extra='references: ["GDPR Art. 32(1)(c)"]'),
    rule_text("RET-001", severity="low", require="{attr: versioning.enabled, equals: true}",
              extra='references: ["GDPR Art. 5(1)(e)"]'),
)


@pytest.fixture
def pack(policy):
    return policy(*RULES)


@pytest.fixture
def failing_all(estate):
    """One store failing every rule."""
    return estate(store("s1", tags={}, groups={"encryption": {"encryption.at_rest": False},
                                               "backup": {"backup.enabled": False, "versioning.enabled": False}}))


def scanned_rules(cli, pack, estate_path, *args):
    result = cli("scan", "-p", pack, "--coretest-estate", estate_path, "-f", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    document = json.loads(result.stdout)
    return document, sorted({f["rule_id"] for f in document["findings"]})


@pytest.mark.parametrize(("args", "expected"), [
    (("--rule", "SEC-*"), ["SEC-001", "SEC-002"]),
    (("--rule", "SEC-001", "--rule", "RET-001"), ["RET-001", "SEC-001"]),
    (("--skip-rule", "SEC-*"), ["RET-001"]),
    (("--rule", "SEC-*", "--skip-rule", "SEC-002"), ["SEC-001"]),
    (("--severity", "critical,low"), ["RET-001", "SEC-001"]),
    (("--severity", "medium", "--severity", "low"), ["RET-001", "SEC-002"]),
    (("--reference", "GDPR Art. 32"), ["SEC-001", "SEC-002"]),
    (("--reference", "gdpr art. 5(1)"), ["RET-001", "SEC-001"]),
    (("--reference", "GDPR Art. 5(1)(e)"), ["RET-001"]),
])
def test_selection_flags_choose_rules(cli, pack, failing_all, args, expected):
    document, rules = scanned_rules(cli, pack, failing_all, *args)
    assert rules == expected
    assert [r["id"] for r in document["rules"]] == sorted(expected, key=["SEC-001", "SEC-002", "RET-001"].index)
    assert {d["rule_id"] for d in document["selection"]["deselected"]} == {"SEC-001", "SEC-002", "RET-001"} - set(
        expected)


def test_reference_does_not_match_a_longer_article_number(cli, policy, failing_all):
    pack = policy(
        rule_text("A", require="{attr: encryption.at_rest, equals: true}", extra='references: ["GDPR Art. 3"]'),
        rule_text("B", require="{attr: backup.enabled, equals: true}", extra='references: ["GDPR Art. 32"]'))
    _, rules = scanned_rules(cli, pack, failing_all, "--reference", "GDPR Art. 3")
    assert rules == ["A"]


@pytest.mark.parametrize(("args", "message"), [
    (("--rule", "SEC-01"), "--rule: 'SEC-01' matches no loaded rule (did you mean 'SEC-001'?)"),
    (("--skip-rule", "NOPE-*"), "--skip-rule: 'NOPE-*' matches no loaded rule"),
    (("--reference", "GDPR Art. 99"), "--reference: no loaded rule cites 'GDPR Art. 99'"),
    (("--severity", "hihg"), "--severity: severities[0]: 'hihg' is not a severity list"),
    (("--severity", "high,"), "is not a severity list"),
    (("--skip-rule", "*"), "no rule left to evaluate after --skip-rule"),
])
def test_bad_selection_is_a_usage_error(cli, pack, failing_all, args, message):
    result = cli("scan", "-p", pack, "--coretest-estate", failing_all, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


def test_selection_from_the_environment(cli, pack, failing_all, monkeypatch):
    monkeypatch.setenv("POLICYCHECK_SEVERITIES", "critical")
    _, rules = scanned_rules(cli, pack, failing_all)
    assert rules == ["SEC-001"]


def test_config_overrides_disable_and_change_severity(cli, pack, failing_all, write):
    config = write("policycheck.yaml", "rules:\n  SEC-002: {enabled: false}\n  RET-001: {severity: critical}\n")
    document, rules = scanned_rules(cli, pack, failing_all, "--config", config)
    assert rules == ["RET-001", "SEC-001"]
    assert {f["rule_id"]: f["severity"] for f in document["findings"]} == {"RET-001": "critical",
                                                                          "SEC-001": "critical"}
    assert document["selection"]["deselected"] == [{"rule_id": "SEC-002",
                                                    "reason": "enabled: false in the config's rules"}]
    assert document["selection"]["overridden"] == [{"rule_id": "RET-001", "severity": "critical",
                                                    "pack_severity": "low"}]
    # an overridden severity is what --severity selects and --fail-on compares
    _, rules = scanned_rules(cli, pack, failing_all, "--config", config, "--severity", "critical")
    assert rules == ["RET-001", "SEC-001"]
    result = cli("scan", "-p", pack, "--coretest-estate", failing_all, "--config", config, "--fail-on", "critical",
                 "--skip-rule", "SEC-001")
    assert result.exit_code == 1


def test_config_override_of_unknown_rule_names_place_and_suggests(cli, pack, failing_all, write):
    config = write("policycheck.yaml", "fail_on: low\nrules:\n  SEC-02: {enabled: false}\n")
    result = cli("scan", "-p", pack, "--coretest-estate", failing_all, "--config", config)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"policycheck: error: {config}:3:3: rules: unknown rule id 'SEC-02' "
                                     "(did you mean 'SEC-002'?)")


@pytest.mark.parametrize(("text", "fragment"), [
    ("rules:\n  SEC-001: {enabled: no-thanks}\n", "rules.SEC-001.enabled"),
    ("rules:\n  SEC-001: {severity: urgent}\n", "rules.SEC-001.severity"),
    ("rules:\n  SEC-001: {}\n", "rules.SEC-001"),
    ("rules:\n  SEC-001: {enable: false}\n", "rules.SEC-001"),
])
def test_config_override_shape_is_validated(cli, pack, failing_all, write, text, fragment):
    config = write("policycheck.yaml", text)
    result = cli("scan", "-p", pack, "--coretest-estate", failing_all, "--config", config)
    assert result.exit_code == 2
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_selection_shrinks_rules_listing(cli, pack):
    result = cli("rules", "-p", pack, "--rule", "SEC-002", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["id"] for pack in json.loads(result.stdout) for r in pack["rules"]] == ["SEC-002"]


def test_selection_shrinks_what_is_collected(cli, pack, failing_all, fetch_log):
    result = cli("collect", "-p", pack, "--coretest-estate", failing_all, "--rule", "SEC-001")
    assert result.exit_code == 0, result.stderr
    assert {group for _, group in fetch_log} == {"encryption"}
    snapshot = json.loads(result.stdout)
    assert "backup.enabled" not in json.dumps(snapshot)


def test_fail_on_never_reports_but_exits_0(cli, pack, failing_all):
    result = cli("scan", "-p", pack, "--coretest-estate", failing_all, "--fail-on", "never", "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["run"]["fail_on"] == "never"
    assert document["run"]["exit_code"] == 0
    assert document["summary"]["results"]["fail"] == 3


def test_fail_on_never_ignores_collection_errors_but_not_usage_errors(cli, pack, estate):
    broken = estate(store("s1", tags={}, groups={"encryption": {"error": "AccessDenied", "action": "x:Get"}}),
                    store("s2", tags={}), fail_after=1)
    result = cli("scan", "-p", pack, "--coretest-estate", broken, "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    result = cli("scan", "-p", pack, "--coretest-estate", broken, "--fail-on", "never", "--rule", "NOPE")
    assert result.exit_code == 2


def test_fail_on_never_read_back_from_a_report(cli, pack, failing_all, tmp_path):
    cli("scan", "-p", pack, "--coretest-estate", failing_all, "--fail-on", "never", "-f", f"json={tmp_path / 'r.json'}")
    from policycheck.report_file import read_report

    report = read_report(tmp_path / "r.json")
    assert report.thresholds.report_only and report.exit_code == 0
    assert report.thresholds.label == "never"


def test_text_and_markdown_say_what_was_deselected(cli, pack, failing_all, write):
    config = write("policycheck.yaml", "rules:\n  RET-001: {severity: critical}\n")
    args = ("scan", "--config", config, "-p", pack, "--coretest-estate", failing_all, "--skip-rule", "SEC-002")
    text = cli(*args).stdout
    assert "selection: 1 rule(s) not evaluated (SEC-002: --skip-rule SEC-002); severity overridden: RET-001 low -> " \
           "critical" in " ".join(text.split())
    markdown = cli(*args, "-f", "markdown").stdout
    assert "**Rule selection:** 1 rule(s) not evaluated (SEC-002: --skip-rule SEC-002)" in markdown
