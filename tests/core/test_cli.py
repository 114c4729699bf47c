"""The CLI in-process (click's CliRunner): exit codes, thresholds, outputs, --debug, provider options."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from core_support import rule_text, store

from policycheck.cli import main

SEVERITY_RULES = (
    rule_text("CRIT", severity="critical", require="{attr: encryption.at_rest, equals: true}"),
    rule_text("MED", severity="medium", require="{attr: backup.enabled, equals: true}"),
    rule_text("INFO", severity="info", require="{attr: versioning.enabled, equals: true}"),
)


@pytest.fixture
def pack(policy):
    return policy(*SEVERITY_RULES)


def estate_with(estate, name, **groups):
    """One store whose groups are given per attribute group, in its own estate file."""
    return estate(store("s1", tags={}, groups=groups), name=f"{name}.json")


@pytest.fixture
def clean(estate):
    return estate_with(estate, "clean", encryption={"encryption.at_rest": True},
                       backup={"backup.enabled": True, "versioning.enabled": True})


@pytest.fixture
def medium_fail(estate):
    return estate_with(estate, "medium", encryption={"encryption.at_rest": True},
                       backup={"backup.enabled": False, "versioning.enabled": True})


@pytest.fixture
def erroring(estate):
    return estate_with(estate, "erroring", encryption={"error": "AccessDenied", "action": "test:GetEncryption"},
                       backup={"backup.enabled": True, "versioning.enabled": True})


def test_exit_0_when_nothing_fails(cli, pack, clean):
    result = cli("scan", "-p", pack, "--coretest-estate", clean)
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"policycheck: PASSED 0 failing in \d+\.\d s\n", result.stderr)  # the verdict line only
    assert "PASSED" in result.stdout


def test_exit_1_on_a_failing_finding(cli, pack, medium_fail):
    result = cli("scan", "-p", pack, "--coretest-estate", medium_fail)
    assert result.exit_code == 1
    assert re.fullmatch(r"policycheck: FAILED 1 medium in \d+\.\d s\n", result.stderr)  # the verdict line only
    assert "FAILED: 1 finding(s) at or above 'low'" in result.stdout


@pytest.mark.parametrize(("fail_on", "code"), [("info", 1), ("low", 1), ("medium", 1), ("high", 0), ("critical", 0)])
def test_fail_on_threshold(cli, pack, medium_fail, fail_on, code):
    assert cli("scan", "-p", pack, "--coretest-estate", medium_fail, "--fail-on", fail_on).exit_code == code


def test_info_findings_fail_only_with_fail_on_info(cli, pack, estate):
    path = estate_with(estate, "info", encryption={"encryption.at_rest": True},
                       backup={"backup.enabled": True, "versioning.enabled": False})
    assert cli("scan", "-p", pack, "--coretest-estate", path).exit_code == 0
    assert cli("scan", "-p", pack, "--coretest-estate", path, "--fail-on", "info").exit_code == 1


def test_errors_fail_unless_opted_out(cli, pack, erroring, medium_fail):
    assert cli("scan", "-p", pack, "--coretest-estate", erroring).exit_code == 1
    result = cli("scan", "-p", pack, "--coretest-estate", erroring, "--no-fail-on-error")
    assert result.exit_code == 0
    assert "errors ignored" in result.stdout
    # the opt-out concerns errors only: a real failure still fails
    assert cli("scan", "-p", pack, "--coretest-estate", medium_fail, "--no-fail-on-error").exit_code == 1


def test_errors_respect_the_severity_threshold(cli, pack, erroring):
    # the erroring rule is critical: it fails at any threshold
    assert cli("scan", "-p", pack, "--coretest-estate", erroring, "--fail-on", "critical").exit_code == 1


def test_exit_2_on_a_policy_error_scans_nothing(cli, write, clean, fetch_log):
    bad = write("bad.yaml", "apiVersion: policycheck/v1\nkind: PolicyPack\nmetadata: {name: x}\nrules: [")
    result = cli("scan", "-p", bad, "--coretest-estate", clean)
    assert result.exit_code == 2
    assert result.stdout == "" and fetch_log == []


def test_exit_2_when_nothing_is_scanned(cli, pack):
    result = cli("scan", "-p", pack)
    assert result.exit_code == 2
    assert result.stderr.startswith("policycheck: error: nothing to scan")


def test_exit_2_when_the_provider_cannot_list_anything(cli, pack, estate):
    path = estate(fail_listing="no credentials found for test")
    result = cli("scan", "-p", pack, "--coretest-estate", path)
    assert result.exit_code == 2
    assert result.stderr == "policycheck: error: coretest: no credentials found for test\n"
    assert result.stdout == ""


def test_a_listing_that_breaks_off_is_a_collection_problem(cli, pack, estate, clean):
    records = json.loads(clean.read_text())["resources"]
    path = estate(*records, *records[:1], fail_after=1, name="partial.json")
    result = cli("scan", "-p", pack, "--coretest-estate", path, "-f", "json")
    assert result.exit_code == 1  # the findings pass, but a scope could not be listed
    report = json.loads(result.stdout)
    assert report["summary"]["results"]["pass"] == 3
    [problem] = report["collection_problems"]
    assert problem["provider"] == "coretest" and "listing broke off" in problem["message"]
    assert cli("scan", "-p", pack, "--coretest-estate", path, "--no-fail-on-error").exit_code == 0


def test_an_unknown_provider_choice_is_a_usage_error(cli, pack):
    result = cli("scan", "-p", pack, "--provider", "nosuch")
    assert result.exit_code == 2
    assert "Invalid value for '--provider'" in result.stderr


def test_provider_options_are_on_the_commands_that_collect(cli):
    for command in ("scan", "collect", "permissions"):
        result = cli(command, "--help")
        assert "--coretest-estate" in result.stdout and "[coretest]" in result.stdout, command
    assert "--coretest-estate" not in cli("validate", "--help").stdout


def test_provider_flag_option_reaches_the_provider_config(cli, pack, clean, tmp_path):
    # --coretest-flag is a boolean option; an unknown value would fail the provider's config schema
    assert cli("scan", "-p", pack, "--coretest-estate", clean, "--coretest-flag").exit_code == 0


def test_permissions_lists_what_the_rules_need(cli, pack):
    result = cli("permissions", "-p", pack, "--provider", "coretest")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == "# coretest: test:GetBackup, test:GetEncryption"  # a note, not a document
    assert result.stdout == ""


def test_several_outputs_in_one_run(cli, pack, medium_fail, tmp_path):
    result = cli("scan", "-p", pack, "--coretest-estate", medium_fail, "-f", "json", "-f", "text=r/report.txt",
                 "-f", "text", "-o", "r/report.json", "-o", "-")
    assert result.exit_code == 1
    report = json.loads((tmp_path / "r/report.json").read_text())
    assert report["summary"]["failing"] == 1
    text = (tmp_path / "r/report.txt").read_text()
    assert "FAILED" in text and "\x1b[" not in text
    assert "FAILED" in result.stdout


def test_outputs_must_pair_with_formats(cli, pack, clean):
    result = cli("scan", "-p", pack, "--coretest-estate", clean, "-f", "json", "-f", "text", "-o", "r.json")
    assert result.exit_code == 2
    assert "1 --output value(s) for 2 --format value(s) without a path" in result.stderr


def test_two_formats_on_stdout_is_an_error(cli, pack, clean):
    result = cli("scan", "-p", pack, "--coretest-estate", clean, "-f", "json", "-f", "text")
    assert result.exit_code == 2
    assert "only one format can go to standard output" in result.stderr


def test_unknown_format_suggests_the_closest(cli, pack, clean):
    result = cli("scan", "-p", pack, "--coretest-estate", clean, "-f", "jsn")
    assert result.exit_code == 2
    assert result.stderr.startswith("policycheck: error: --format: unknown output format 'jsn' (did you mean 'json'?)")


def test_unwritable_output_is_exit_2(cli, pack, clean, tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    result = cli("scan", "-p", pack, "--coretest-estate", clean, "-f", "json", "-o", "blocker/report.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("policycheck: error: blocker/report.json: cannot write output")


def test_no_passed_keeps_counts(cli, pack, medium_fail):
    result = cli("scan", "-p", pack, "--coretest-estate", medium_fail, "--no-passed", "-f", "json")
    report = json.loads(result.stdout)
    assert [f["result"] for f in report["findings"]] == ["fail"]
    assert report["summary"]["results"]["pass"] == 2 and report["summary"]["passes_omitted"] == 2


def test_debug_shows_a_traceback_and_nothing_else_does(cli, write, pack, estate):
    bad = write("bad.yaml", "rules: [")
    plain = cli("validate", "-p", bad)
    assert plain.exit_code == 2 and "Traceback" not in plain.stderr
    debug = cli("--debug", "validate", "-p", bad)
    assert debug.exit_code == 2
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().endswith(plain.stderr.rstrip())  # the same one-line message closes it


def test_an_internal_error_is_one_line_unless_debug(cli, pack, estate):
    path = estate(crash_listing="provider bug")
    plain = cli("scan", "-p", pack, "--coretest-estate", path)
    assert plain.exit_code == 2
    assert plain.stderr == ("policycheck: internal error: RuntimeError: provider bug (run with --debug for "
                            "details)\n")
    debug = cli("--debug", "scan", "-p", pack, "--coretest-estate", path)
    assert debug.exit_code == 2
    assert "Traceback (most recent call last)" in debug.stderr and "RuntimeError: provider bug" in debug.stderr


def test_validate_rules_and_schema_commands(cli, pack):
    assert cli("validate", "-p", pack).stdout == "ok: 1 pack(s), 3 rule(s)\n"
    listing = cli("rules", "-p", pack)
    assert listing.exit_code == 0 and "CRIT" in listing.stdout and "critical" in listing.stdout
    as_json = json.loads(cli("rules", "-p", pack, "-f", "json").stdout)
    assert [r["id"] for r in as_json[0]["rules"]] == ["CRIT", "MED", "INFO"]
    schema = json.loads(cli("schema").stdout)
    assert schema["$id"].endswith("policy-pack-v1.json")
    assert json.loads(cli("schema", "waivers").stdout)["properties"]["kind"] == {"const": "Waivers"}


def test_validate_takes_policy_and_waiver_files_as_arguments(cli, pack, write):
    waivers = write("exceptions.yaml", "apiVersion: policycheck/v1\nkind: Waivers\nwaivers:\n"
                    "  - {rule: MED, resource: '*', reason: agreed with the DPO, approver: dpo@example.com,\n"
                    "     expires: '2099-01-01', created: '2098-12-01'}\n")
    result = cli("validate", str(pack), str(waivers))
    assert (result.exit_code, result.stdout) == (0, "ok: 1 pack(s), 3 rule(s), 1 waiver(s)\n")
    typo = cli("validate", str(pack), str(write("w.yaml", waivers.read_text().replace("rule: MED", "rule: MDE"))))
    assert typo.exit_code == 2 and "rule 'MDE' matches no loaded rule (did you mean 'MED'?)" in typo.stderr


def test_rules_attributes_of_a_type_and_an_unknown_type(cli):
    listing = cli("rules", "--attributes", "test.store")
    assert listing.exit_code == 0 and "encryption.at_rest" in listing.stdout
    described = json.loads(cli("rules", "--attributes", "test.device", "-f", "json").stdout)
    assert described["test.device"]["kind"] == "device"
    bad = cli("rules", "--attributes", "test.stor")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("policycheck: error: --attributes: unknown resource type 'test.stor' (did you mean "
                                 "'test.store'?)")


def test_schema_write_matches_the_printed_schemas(cli, tmp_path):
    assert cli("schema", "--write", "schemas").exit_code == 0
    for name in ("policy-pack", "waivers", "report"):
        assert json.loads((tmp_path / f"schemas/{name}.schema.json").read_text()) == json.loads(
            cli("schema", name).stdout)


def test_version_and_help(cli):
    from policycheck import __version__

    assert cli("--version").stdout.strip() == f"policycheck, version {__version__}"
    assert cli("--help").exit_code == 0
    assert main.name == "main"


def test_evaluation_date_pins_date_operators(cli, policy, estate):
    pack = policy(rule_text("AGE", require="{attr: tags.review, newer_than_days: 30}"), name="age.yaml")
    path = estate(store("s", tags={"review": "2025-01-10"}), name="age.json")
    assert cli("scan", "-p", pack, "--coretest-estate", path, "--evaluation-date", "2025-02-01").exit_code == 0
    assert cli("scan", "-p", pack, "--coretest-estate", path, "--evaluation-date", "2025-03-01").exit_code == 1


@pytest.mark.parametrize(("names", "flags", "config", "expected"), [
    ((), {}, True, {"coretest": "cfg.json"}),  # nothing named: the config file's providers
    ((), {}, False, {}),  # no config file, nothing named: no provider
    (("coretest",), {}, False, {"coretest": None}),  # --provider without settings: defaults
    ((), {"coretest__estate": "cli.json", "coretest__flag": False}, False, {"coretest": "cli.json"}),  # implied
    ((), {"coretest__estate": "cli.json"}, True, {"coretest": "cli.json"}),  # flags beat the file
])
def test_which_providers_run_and_with_what_settings(write, names, flags, config, expected):
    from policycheck.resolution import resolve

    path = write("team.yaml", "providers:\n  coretest: {estate: cfg.json}\n") if config else None
    resolved = resolve(str(path) if path else None, flags, provider_names=names)
    got = {name: settings.estate for name, settings in resolved.providers.items()}
    assert {name: value and Path(value).name for name, value in got.items()} == expected
