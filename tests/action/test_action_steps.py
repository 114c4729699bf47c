"""The action's steps run as the runner runs them: inputs via env, outputs, summary, exit code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from policycheck.reporters import load_reporters

pytestmark = pytest.mark.integration  # each step runs bash, which runs the policycheck CLI

SCHEMAS = Path(__file__).parents[1] / "schemas"


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_failing_findings_fail_the_step_with_summary_and_outputs(action, workspace, scan_inputs, plugin_env,
                                                                  sarif_validator):
    run = action(scan_inputs, workspace, env=plugin_env)
    assert run.exit_code == 1, run.log
    assert run.steps_run == ["scan"]  # install: false
    assert set(run.step_outputs["scan"]) == set(run.outputs)  # the step writes every declared output
    assert {k: run.outputs[k] for k in ("exit-code", "failing", "fail", "error", "waived", "pass", "new",
                                        "resolved")} == {
        "exit-code": "1", "failing": "7", "fail": "7", "error": "1", "waived": "1", "pass": "20", "new": "",
        "resolved": ""}
    assert run.outputs["sarif-file"] == "policycheck-results/policycheck.sarif"
    sarif = json.loads((workspace / run.outputs["sarif-file"]).read_text(encoding="utf-8"))
    assert not list(sarif_validator.iter_errors(sarif))
    assert run.outputs["json-file"] == "policycheck-results/policycheck.json"
    assert run.outputs["junit-file"] == ""  # not among the default formats
    assert run.summary.startswith("## ❌ policycheck: 7 failing findings")
    assert run.summary == (workspace / run.outputs["markdown-file"]).read_text(encoding="utf-8")
    assert "::error title=policycheck::failing findings" in run.log
    assert "FAILED: 7 finding(s)" in run.log  # the text report in the step log


def test_opt_out_reports_but_does_not_fail(action, workspace, scan_inputs, plugin_env):
    run = action(scan_inputs | {"fail-on-findings": "false"}, workspace, env=plugin_env)
    assert run.exit_code == 0
    assert run.outputs["exit-code"] == "1" and run.outputs["failing"] == "7"
    assert "::warning title=policycheck::failing findings reported; not failing the step" in run.log
    assert run.summary.startswith("## ❌ policycheck: 7 failing findings")


def test_threshold_and_error_inputs_reach_the_cli(action, workspace, scan_inputs, plugin_env):
    run = action(scan_inputs | {"fail-on": "critical", "fail-on-error": "false"}, workspace, env=plugin_env)
    assert run.exit_code == 1
    assert run.outputs["failing"] == "3"  # TK-LOC-001 once, TK-PUB-001 twice
    assert "fails at `critical` and above (errors ignored)" in run.summary


def test_baseline_input_passes_when_nothing_is_new(action, workspace, scan_inputs, plugin_env):
    first = action(scan_inputs | {"fail-on-findings": "false", "output-dir": "previous"}, workspace, env=plugin_env)
    assert first.outputs["json-file"] == "previous/policycheck.json"
    run = action(scan_inputs | {"baseline": first.outputs["json-file"]}, workspace, env=plugin_env)
    assert run.exit_code == 0, run.log
    assert (run.outputs["new"], run.outputs["resolved"], run.outputs["failing"]) == ("0", "0", "0")
    assert "✅ policycheck: 0 new, 0 resolved, 8 known (0 past deadline)" in run.summary
    assert "**0 new**, 0 resolved, 8 known" in run.summary


def test_every_format_lands_with_the_reporters_extension(action, workspace, scan_inputs, plugin_env):
    formats = load_reporters().names()
    run = action(scan_inputs | {"formats": "\n".join(formats), "output-dir": "out dir"}, workspace, env=plugin_env)
    assert run.exit_code == 1
    for name in formats:
        path = workspace / "out dir" / f"policycheck.{load_reporters().get(name).extension}"
        assert path.is_file() and path.stat().st_size > 0, name
    xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd")).validate(str(workspace / run.outputs["junit-file"]))


def test_params_and_lists_are_split_and_trimmed(action, workspace, scan_inputs, plugin_env):
    inputs = scan_inputs | {"policy": " policy.yaml ,\n", "params": "allowed_jurisdictions=[EU, EEA, adequacy, "
                            "third-country]\n\n", "formats": "json"}
    run = action(inputs, workspace, env=plugin_env)
    assert run.exit_code == 1
    assert run.outputs["failing"] == "6"  # the third-country store is now allowed
    assert run.outputs["sarif-file"] == ""


def test_configuration_error_always_fails_with_exit_2(action, workspace, scan_inputs, plugin_env):
    run = action(scan_inputs | {"policy": "missing.yaml", "fail-on-findings": "false"}, workspace, env=plugin_env)
    assert run.exit_code == 2
    assert run.outputs["exit-code"] == "2"
    assert run.outputs["sarif-file"] == run.outputs["json-file"] == ""  # nothing for upload steps to pick up
    assert run.summary.startswith("## ⚠️ policycheck could not run (exit code 2)")
    assert "missing.yaml: no such policy file" in run.log


@pytest.mark.parametrize(("name", "value"), [("fail-on-findings", "yes"), ("summary", "1"),
                                             ("fail-on-error", "maybe")])
def test_bad_switch_values_are_rejected(action, workspace, scan_inputs, plugin_env, name, value):
    run = action(scan_inputs | {name: value}, workspace, env=plugin_env)
    assert run.exit_code == 2
    assert "::error title=policycheck::" in run.log


def test_summary_can_be_turned_off(action, workspace, scan_inputs, plugin_env):
    run = action(scan_inputs | {"summary": "false"}, workspace, env=plugin_env)
    assert run.exit_code == 1 and run.summary == ""


def test_inputs_are_data_not_shell(action, workspace, scan_inputs, plugin_env):
    marker = workspace / "pwned"
    hostile = f"$(touch {marker}); `touch {marker}`; touch {marker}"
    run = action(scan_inputs | {"policy": hostile}, workspace, env=plugin_env)
    assert run.exit_code == 2
    assert not marker.exists()
    assert "no such policy file" in run.log


def test_extra_args_are_words_not_shell(action, workspace, scan_inputs, plugin_env):
    marker = workspace / "pwned"
    run = action(scan_inputs | {"args": f"--evaluation-date 2025-02-01 $(touch {marker}) *"}, workspace,
                 env=plugin_env)
    assert run.exit_code == 2
    assert not marker.exists()
    assert f"unexpected extra arguments ($(touch {marker}) *)" in run.log  # no substitution, no globbing


def test_workflow_commands_in_resource_names_are_not_executed(action, workspace, scan_inputs, plugin_env):
    snapshot = json.loads((workspace / "estate.json").read_text(encoding="utf-8"))
    snapshot["resources"][1]["name"] = "::set-output name=failing::0"
    (workspace / "estate.json").write_text(json.dumps(snapshot), encoding="utf-8")
    run = action(scan_inputs, workspace, env=plugin_env)
    log = run.log
    token = log.split("::stop-commands::", 1)[1].split("\n", 1)[0]
    assert len(token) == 32
    stopped = log.split(f"::stop-commands::{token}", 1)[1].split(f"::{token}::", 1)[0]
    assert "::set-output name=failing::0" in stopped  # printed only while commands are stopped
    assert run.outputs["failing"] == "7"


EXAMPLE_ESTATE = Path(__file__).parents[2] / "examples" / "estate.json"


@pytest.mark.skipif(not EXAMPLE_ESTATE.exists(), reason="examples/estate.json is not in the tree")
def test_example_estate_with_the_builtin_pack(action, tmp_path, sarif_validator):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "estate.json").write_bytes(EXAMPLE_ESTATE.read_bytes())
    run = action({"snapshot": "estate.json", "install": "false", "formats": "sarif,junit"}, workspace)
    assert run.exit_code == 1, run.log
    document = json.loads((workspace / run.outputs["json-file"]).read_text(encoding="utf-8"))
    assert run.outputs["failing"] == str(document["summary"]["failing"]) != "0"
    assert run.outputs["fail"] == str(document["summary"]["results"]["fail"])
    assert [p["name"] for p in document["packs"]] == ["gdpr-customer-service"]
    sarif = json.loads((workspace / run.outputs["sarif-file"]).read_text(encoding="utf-8"))
    assert not list(sarif_validator.iter_errors(sarif))
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    # the built-in pack is outside the checkout: a stable path below the installed package
    assert location["uriBaseId"] == "POLICYCHECK_PACKAGE"
    assert location["uri"].endswith("policies/gdpr-customer-service.yaml")
    xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd")).validate(str(workspace / run.outputs["junit-file"]))
    assert run.summary.startswith(f"## ❌ policycheck: {document['summary']['failing']} failing findings")
    assert len(run.summary.encode("utf-8")) < 60_000
