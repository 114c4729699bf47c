"""The config file: found in the working directory or given by --config; validated; paths relative to it."""

from __future__ import annotations

import json

import pytest
from core_support import rule_text, store

from policycheck.resolution import resolve


@pytest.fixture
def setup(policy, estate):
    pack = policy(rule_text("ENC", require="{attr: encryption.at_rest, equals: true}", severity="medium"),
                  rule_text("PUB", require="{attr: access.public, equals: false}", severity="low"))
    path = estate(store("s", tags={}, groups={"encryption": {"encryption.at_rest": False},
                                              "access": {"error": "denied"}}))
    return pack, path


def test_config_in_the_working_directory_supplies_everything(cli, setup, write, tmp_path):
    pack, path = setup
    write("policycheck.yaml", f"""
policies: [{pack}]
fail_on: high
fail_on_error: false
workers: 2
outputs:
  - {{format: json, path: out/report.json}}
providers:
  coretest: {{estate: {path}}}
""")
    result = cli("scan")
    assert result.exit_code == 0, result.stderr  # medium fail below 'high', error ignored
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert report["run"]["fail_on"] == "high" and report["run"]["fail_on_error"] is False
    assert report["summary"]["results"]["fail"] == 1 and report["summary"]["results"]["error"] == 1
    assert result.stdout == ""  # the configured output replaces the default text on stdout


def test_command_line_beats_the_config(cli, setup, write):
    pack, path = setup
    write("policycheck.yaml", f"policies: [{pack}]\nfail_on: high\nproviders:\n  coretest: {{estate: {path}}}\n")
    assert cli("scan", "--fail-on", "medium").exit_code == 1
    assert cli("scan", "--fail-on", "low", "--no-fail-on-error").exit_code == 1


def test_explicit_config_and_paths_relative_to_it(cli, setup, write, tmp_path):
    pack, path = setup
    write("team/packs/p.yaml", pack.read_text())
    config = write("team/policycheck.yaml", f"policies: [packs/p.yaml]\nproviders:\n  coretest: {{estate: {path}}}\n")
    assert not (tmp_path / "packs").exists()  # cwd is tmp_path: only the config's folder has packs/
    result = cli("validate", "--config", config)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: 1 pack(s), 2 rule(s)")


def test_a_missing_explicit_config_is_an_error(cli):
    result = cli("validate", "--config", "nope.yaml")
    assert result.exit_code == 2
    assert result.stderr == "policycheck: error: nope.yaml: config file not found\n"


def test_a_config_with_only_comments_is_valid(cli, setup, write):
    pack, _ = setup
    write("policycheck.yaml", "# policycheck settings, none yet\n")
    result = cli("validate", "-p", pack)
    assert result.exit_code == 0, result.stderr


def test_without_a_config_file_defaults_apply(tmp_path):
    import os

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        resolved = resolve(None, {})
    finally:
        os.chdir(old)
    assert resolved.config_source is None and resolved.providers == {}
    assert resolved.run.fail_on == "low" and resolved.run.workers == 16


@pytest.mark.parametrize(("text", "place", "fragment"), [
    ("fail_on: hgh\n", "1:1",
     "fail_on: 'hgh' is not one of info, low, medium, high, critical, never (did you mean 'high'?)"),
    ("failon: high\n", "1:1", "unknown key 'failon' (did you mean 'fail_on'?)"),
    ("workers: 0\n", "1:1", "workers: 0 is less than the minimum of 1"),
    ("policies: pack.yaml\n", "1:1", "policies: must be array"),
    ("fail_on_error: 'no'\n", "1:1", "fail_on_error: must be boolean"),
    ("outputs:\n  - {format: json, file: x}\n", "2:20", "unknown key 'file'"),
    ("providers:\n  coretest: {estate: 3}\n", "2:14", "providers.coretest.estate: must be string"),
    ("providers:\n  coretest: {estat: x}\n", "2:14", "unknown key 'estat' (did you mean 'estate'?)"),
    ("providers:\n  nosuch: {}\n", "2:3", "unknown key 'nosuch'"),
    ("fail_on: [high\n", "2:1", "YAML syntax error"),
    ("- a list\n", "1:1", "must be object"),
])
def test_bad_config_is_one_line_with_place(cli, setup, write, text, place, fragment):
    pack, _ = setup
    config = write("bad-config.yaml", text)
    result = cli("validate", "--config", config, "-p", pack)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"policycheck: error: {config}:{place}: "), line
    assert fragment in line


def test_provider_section_selects_the_provider(cli, setup, write):
    pack, path = setup
    write("policycheck.yaml", f"providers:\n  coretest: {{estate: {path}, flag: true}}\n")
    result = cli("scan", "-p", pack, "-f", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["run"]["sources"] == ["coretest"]
