"""Output for CI logs: the verdict line on stderr, --quiet, --compact, FORCE_COLOR / NO_COLOR."""

from __future__ import annotations

import io
import json
import re

import pytest
from core_support import rule_text, store

from policycheck.console import wants_colour

RULES = (rule_text("CRIT", severity="critical", require="{attr: encryption.at_rest, equals: true}"),
         rule_text("MED", severity="medium", require="{attr: backup.enabled, equals: true}"),
         rule_text("LOW", severity="low", require="{attr: versioning.enabled, equals: true}"))
VERDICT = re.compile(r"policycheck: (?P<status>FAILED|PASSED|REPORTED) (?P<counts>.+?)(?: \((?P<extra>[^)]*)\))? "
                     r"in \d+\.\d s")


@pytest.fixture
def pack(policy):
    return policy(*RULES)


@pytest.fixture
def estate_file(estate):
    """s1 fails CRIT and MED, s2 fails MED; LOW passes everywhere."""
    return estate(
        store("s1", tags={}, groups={"encryption": {"encryption.at_rest": False},
                                     "backup": {"backup.enabled": False, "versioning.enabled": True}}),
        store("s2", tags={}, groups={"encryption": {"encryption.at_rest": True},
                                     "backup": {"backup.enabled": False, "versioning.enabled": True}}))


def verdict_of(stderr: str) -> re.Match[str]:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    match = VERDICT.fullmatch(lines[0])
    assert match, lines[0]
    return match


def test_verdict_line_on_stderr_also_when_every_output_goes_to_files(cli, pack, estate_file, tmp_path):
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file, "-f", f"json={tmp_path / 'r.json'}")
    assert result.exit_code == 1
    assert result.stdout == ""
    verdict = verdict_of(result.stderr)
    assert (verdict["status"], verdict["counts"], verdict["extra"]) == ("FAILED", "1 critical, 2 medium", None)


@pytest.mark.parametrize(("args", "status", "counts", "extra"), [
    (("--fail-on", "critical"), "FAILED", "1 critical", None),
    (("--skip-rule", "CRIT", "--skip-rule", "MED"), "PASSED", "0 failing", None),
    (("--fail-on", "never"), "REPORTED", "1 critical, 2 medium", "--fail-on never"),
])
def test_verdict_line_status(cli, pack, estate_file, args, status, counts, extra):
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file, "--quiet", *args)
    verdict = verdict_of(result.stderr)
    assert (verdict["status"], verdict["counts"], verdict["extra"]) == (status, counts, extra)


def test_verdict_line_counts_new_findings_against_a_baseline(cli, pack, estate, estate_file, tmp_path):
    only_s2 = estate(store("s2", tags={}, groups={"encryption": {"encryption.at_rest": True},
                                                  "backup": {"backup.enabled": False, "versioning.enabled": True}}),
                     name="before.json")
    cli("scan", "-p", pack, "--coretest-estate", only_s2, "-f", f"json={tmp_path / 'base.json'}")
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file, "--baseline", tmp_path / "base.json",
                 "--quiet")
    verdict = verdict_of(result.stderr)
    assert (verdict["status"], verdict["counts"], verdict["extra"]) == ("FAILED", "1 critical, 1 medium", "2 new")


def test_quiet_prints_only_the_verdict_and_still_writes_files(cli, pack, estate_file, tmp_path):
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file, "--quiet", "-f", "text",
                 "-f", f"json={tmp_path / 'r.json'}")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert verdict_of(result.stderr)["status"] == "FAILED"
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["failing"] == 3


def test_quiet_from_config_and_environment(cli, pack, estate_file, write, monkeypatch):
    config = write("policycheck.yaml", "quiet: true\n")
    assert cli("scan", "--config", config, "-p", pack, "--coretest-estate", estate_file).stdout == ""
    monkeypatch.setenv("POLICYCHECK_QUIET", "true")
    assert cli("scan", "-p", pack, "--coretest-estate", estate_file).stdout == ""


def test_compact_is_one_line_per_failing_finding(cli, pack, estate_file):
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file, "--compact")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        "critical CRIT test.store s1: expected encryption.at_rest equals true; observed encryption.at_rest=false",
        "medium MED test.store s1: expected backup.enabled equals true; observed backup.enabled=false",
        "medium MED test.store s2: expected backup.enabled equals true; observed backup.enabled=false",
    ]
    # the threshold applies: only what fails the run
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file, "--compact", "--fail-on", "critical")
    assert len(result.stdout.splitlines()) == 1


def test_compact_format_to_a_file(cli, pack, estate_file, tmp_path):
    cli("scan", "-p", pack, "--coretest-estate", estate_file, "-f", f"compact={tmp_path / 'c.txt'}")
    assert len((tmp_path / "c.txt").read_text().splitlines()) == 3


@pytest.mark.parametrize(("env", "expected"), [
    ({}, False),
    ({"FORCE_COLOR": "1"}, True),
    ({"FORCE_COLOR": "true"}, True),
    ({"FORCE_COLOR": "0"}, False),
    ({"FORCE_COLOR": ""}, False),
    ({"NO_COLOR": "1"}, False),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
    ({"NO_COLOR": ""}, False),  # empty NO_COLOR does not count (no-color.org), and a pipe is no terminal
])
def test_wants_colour_on_a_pipe(env, expected):
    assert wants_colour(io.StringIO(), env) is expected


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("env", "expected"), [({}, True), ({"NO_COLOR": "1"}, False), ({"NO_COLOR": ""}, True)])
def test_wants_colour_on_a_terminal(env, expected):
    assert wants_colour(_Terminal(), env) is expected


def test_force_color_colours_stdout_and_the_verdict(cli, pack, estate_file, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file, "--compact")
    assert "\x1b[1;31mcritical\x1b[0m CRIT" in result.stdout
    assert result.stderr.startswith("policycheck: \x1b[1;31mFAILED\x1b[0m ")
    monkeypatch.setenv("NO_COLOR", "1")
    result = cli("scan", "-p", pack, "--coretest-estate", estate_file)
    assert "\x1b[" not in result.stdout + result.stderr
