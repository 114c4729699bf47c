"""The bugs reported in issue 14, each as it was hit."""

from __future__ import annotations

import json
import shutil

import click
import pytest
from core_support import REPO, rule_text, store

from policycheck.cli import main
from policycheck.registry import Registry

WAIVER_FILE = ("apiVersion: policycheck/v1\nkind: Waivers\nwaivers:\n  - id: W-1\n    rule: MY-001\n"
               "    resource: x\n    reason: a test waiver\n    approver: dpo@example.com\n"
               "    created: 2026-11-20\n    expires: 2026-12-31\n")
RULES = (rule_text("ENC", require="{attr: encryption.at_rest, equals: true}", extra='references: ["GDPR Art. 32"]'),
         rule_text("BAK", require="{attr: backup.enabled, equals: true}", extra='references: ["GDPR Art. 32"]'))


@pytest.fixture
def pack(policy):
    return policy(*RULES)


@pytest.fixture
def mixed(estate):
    """Two stores: s1 passes both rules, s2 fails backup."""
    return estate(store("s1", tags={}, groups={"encryption": {"encryption.at_rest": True},
                                               "backup": {"backup.enabled": True}}),
                  store("s2", tags={}, groups={"encryption": {"encryption.at_rest": True},
                                               "backup": {"backup.enabled": False}}))


# -- --no-passed keeps the coverage table's pass counts ----------------------------------------------
@pytest.mark.parametrize("no_passed", [(), ("--no-passed",)])
def test_no_passed_keeps_coverage_pass_counts(cli, pack, mixed, tmp_path, no_passed):
    result = cli("scan", "-p", pack, "--coretest-estate", mixed, *no_passed, "-f", f"json={tmp_path / 'r.json'}",
                 "-f", f"markdown={tmp_path / 'r.md'}", "-f", "text")
    document = json.loads((tmp_path / "r.json").read_text())
    (row,) = document["coverage"]
    assert (row["pass"], row["fail"]) == (3, 1)
    assert "| GDPR Art. 32 | ENC, BAK | 3 | 1 | 0 | 0 |" in (tmp_path / "r.md").read_text()
    coverage_line = next(line for line in result.stdout.splitlines() if "GDPR Art. 32" in line and "ENC" in line)
    assert [c.strip() for c in coverage_line.split("|")[3:7]] == ["3", "1", "0", "0"], coverage_line
    # read back (a baseline, diff) the counts stay
    from policycheck.report_file import read_report

    assert read_report(tmp_path / "r.json").coverage()[0]["pass"] == 3


# -- a snapshot scan never touches a provider -------------------------------------------------------
def test_snapshot_scan_ignores_providers_of_the_config(cli, pack, mixed, write, tmp_path):
    snapshot = tmp_path / "snap.json"
    assert cli("collect", "-p", pack, "--coretest-estate", mixed, "-o", snapshot).exit_code == 0
    config = write("policycheck.yaml", "providers:\n  coretest: {estate: missing-estate.json}\n")
    result = cli("scan", "--config", config, "-p", pack, "--snapshot", snapshot, "-f", "json")
    assert result.exit_code == 1, result.stderr
    assert json.loads(result.stdout)["run"]["sources"] == [str(snapshot)]


def test_snapshot_with_provider_is_a_usage_error(cli, pack, mixed, tmp_path):
    snapshot = tmp_path / "snap.json"
    cli("collect", "-p", pack, "--coretest-estate", mixed, "-o", snapshot)
    for args in (("--provider", "coretest"), ("--coretest-estate", mixed)):
        result = cli("scan", "-p", pack, "--snapshot", snapshot, *args)
        assert result.exit_code == 2
        assert "a --snapshot scan never contacts a provider" in result.stderr


def test_example_config_works_offline_with_example_snapshot(cli, tmp_path):
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples)
    result = cli("scan", "--config", examples / "policycheck.yaml", "--snapshot", examples / "estate.json",
                 "--evaluation-date", "2026-12-01", "-f", "json")
    assert result.exit_code == 1, result.stderr  # the example estate has failing findings
    document = json.loads(result.stdout)
    assert document["run"]["sources"] == [str(examples / "estate.json")]
    assert document["summary"]["resources"] > 0
    assert "collection" not in result.stderr


# -- permissions: stdout carries exactly one document ---------------------------------------------
def test_permissions_stdout_is_one_json_document(cli):
    result = cli("permissions")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Version"] == "2012-10-17"
    assert "# " in result.stderr  # the other providers' notes
    assert "#" not in result.stdout


# -- demo on a core install names the demo extra -----------------------------------------------------
def test_demo_without_sdk_names_the_demo_extra(cli, monkeypatch):
    from policycheck import run
    from policycheck.provider import Provider

    class NeedsMoto(Provider):
        name = "needs-moto"
        extra = "aws"

        def collect(self, plan):
            return iter(())

        @classmethod
        def demo_estate(cls):
            raise ModuleNotFoundError("No module named 'moto'", name="moto")

    registry: Registry[type[Provider]] = Registry("provider")
    registry.register("needs-moto", NeedsMoto)
    monkeypatch.setattr(run, "load_providers", lambda: registry)
    result = cli("demo")
    assert "demo of 'needs-moto' skipped: install policycheck[demo] (moto missing)" in result.stderr
    assert "policycheck[aws]" not in result.stderr


# -- validate --waivers without -p --------------------------------------------------------------------
def test_validate_waivers_without_pack_says_which_pack(cli, write):
    waivers = write("w.yaml", WAIVER_FILE)
    result = cli("validate", "--waivers", waivers, "--evaluation-date", "2026-11-25")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("matches no loaded rule of the built-in pack gdpr-customer-service "
                                          "(add -p for your own pack)")


def test_validate_waivers_with_own_pack_has_no_hint(cli, write, pack):
    waivers = write("w.yaml", WAIVER_FILE)
    result = cli("validate", "-p", pack, "--waivers", waivers, "--evaluation-date", "2026-11-25")
    assert result.exit_code == 2
    assert "add -p" not in result.stderr


# -- help texts ----------------------------------------------------------------------------------------
def _commands():
    return sorted(main.commands)


@pytest.mark.parametrize("name", _commands())
def test_every_option_has_help_without_markup(name):
    command = main.commands[name]
    context = click.Context(command, info_name=name)
    for param in command.get_params(context):
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help"
    text = command.get_help(context)
    for markup in ("``", ":func:", ":class:", ".. ", ":ref:"):
        assert markup not in text, f"{name} help carries reStructuredText {markup!r}"


def test_inventory_format_lists_its_choices(cli):
    result = cli("scan", "--help")
    assert "--inventory-format [fleet|" in result.stdout.replace("\n", " ")


@pytest.mark.parametrize(("command", "subject"), [("rules", "rules"), ("diff", "diff")])
def test_format_help_lists_registered_formats(cli, command, subject):
    from policycheck.reporters import formats_for

    help_text = " ".join(cli(command, "--help").stdout.split())
    assert "Output format: " + ", ".join(formats_for(subject)) in help_text


def test_schema_prints_config_schema(cli):
    result = cli("schema", "config")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert {"rules", "select_rules", "fail_on"} <= set(schema["properties"])
    assert "never" in schema["properties"]["fail_on"]["enum"]

