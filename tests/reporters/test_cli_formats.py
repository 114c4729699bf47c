"""Several formats from one real ``policycheck scan``, each valid for its consumer."""

from __future__ import annotations

import json

import pytest

from policycheck.reporters import load_reporters


def test_ci_formats_are_registered():
    registry = load_reporters()
    assert {"sarif", "junit", "markdown"} <= set(registry.names())
    assert {name: registry.get(name).extension for name in ("sarif", "junit", "markdown")} == {
        "sarif": "sarif", "junit": "xml", "markdown": "md"}


@pytest.mark.integration
def test_one_scan_writes_every_format(tmp_path, kit, sarif_validator, junit_schema):
    paths = {name: tmp_path / "out" / f"report.{name}" for name in ("sarif", "junit", "markdown", "json")}
    formats = [arg for name, path in paths.items() for arg in ("--format", f"{name}={path}")]
    result = kit.policycheck(*kit.scan_args(*formats))
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""  # every format went to a file
    kit.assert_valid_sarif(sarif_validator, json.loads(paths["sarif"].read_text(encoding="utf-8")))
    junit_schema.validate(str(paths["junit"]))
    assert paths["markdown"].read_text(encoding="utf-8").startswith("## ❌ policycheck: 7 failing findings")
    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    sarif = json.loads(paths["sarif"].read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == sum(
        document["summary"]["results"][r] for r in ("fail", "error", "waived"))


@pytest.mark.integration
def test_sarif_to_standard_output(kit, sarif_validator):
    result = kit.policycheck(*kit.scan_args("--format", "sarif"))
    assert result.returncode == 1
    kit.assert_valid_sarif(sarif_validator, json.loads(result.stdout))


@pytest.mark.integration
def test_unknown_format_suggests_the_right_one(kit):
    result = kit.policycheck(*kit.scan_args("--format", "sarf"))
    assert result.returncode == 2
    assert "did you mean 'sarif'" in result.stderr


def test_formats_command_lists_the_registry():
    from click.testing import CliRunner

    from policycheck.cli import main
    from policycheck.reporters import formats_for

    listing = CliRunner().invoke(main, ["formats"])
    assert listing.exit_code == 0
    rows = [line.split("\t") for line in listing.output.splitlines()]
    assert [row[0] for row in rows] == formats_for("report")
    assert {row[0]: row[1] for row in rows}["junit"] == "xml"
    assert CliRunner().invoke(main, ["formats", "--extension", "markdown"]).output == "md\n"
    bad = CliRunner().invoke(main, ["formats", "--extension", "jsn"])
    assert bad.exit_code == 2 and "did you mean 'json'" in bad.output


def test_diff_and_rules_formats_come_from_the_same_registry():
    from policycheck.reporters import formats_for

    assert formats_for("diff") == ["json", "markdown", "text"]
    assert formats_for("rules") == ["json", "markdown", "text"]
    assert formats_for("attributes") == ["json", "markdown", "text"]
