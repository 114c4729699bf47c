"""Run action.yml's steps the way the GitHub runner runs a composite action.

Each step's ``env:`` is evaluated (only ``inputs.*``, ``steps.<id>.outputs.*`` and
``github.action_path`` expressions are allowed), its ``run:`` script goes to a file executed
with ``bash --noprofile --norc -eo pipefail FILE`` (the runner's ``shell: bash``), and
``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY`` and ``GITHUB_PATH`` are fresh files per step that are
read back afterwards, as the runner does. The first failing step fails the action.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[2]
ACTION = REPO / "action.yml"
FIXTURES = REPO / "tests" / "reporters" / "fixtures"
PLUGIN = FIXTURES / "plugin"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONDITION = re.compile(r"^inputs\.([\w-]+)\s*(==|!=)\s*'([^']*)'$")


@dataclass
class ActionRun:
    exit_code: int
    outputs: dict[str, str]
    step_outputs: dict[str, dict[str, str]]
    summary: str
    log: str
    path_added: list[str] = field(default_factory=list)
    steps_run: list[str] = field(default_factory=list)


def load_action(path: Path = ACTION) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _evaluate(expression: str, inputs: dict[str, str], steps: dict[str, dict[str, str]], action_path: Path) -> str:
    parts = expression.split(".")
    if parts[0] == "inputs" and len(parts) == 2:
        return inputs[parts[1]]
    if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
        return steps.get(parts[1], {}).get(parts[3], "")
    if expression == "github.action_path":
        return str(action_path)
    raise AssertionError(f"expression the test runner does not model: {expression!r}")


def _substitute(text: str, inputs, steps, action_path) -> str:
    return EXPRESSION.sub(lambda m: _evaluate(m.group(1), inputs, steps, action_path), str(text))


def _condition(condition: str | None, inputs: dict[str, str]) -> bool:
    if condition is None:
        return True
    match = CONDITION.match(condition.strip())
    assert match, f"condition the test runner does not model: {condition!r}"
    name, operator, literal = match.groups()
    return (inputs[name] == literal) == (operator == "==")


def parse_output_file(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks, as the runner reads GITHUB_OUTPUT."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def run_action(inputs: dict[str, str], workspace: Path, *, action_path: Path = REPO,
               env: dict[str, str] | None = None, only: set[str] | None = None,
               earlier: ActionRun | None = None, timeout: float = 300) -> ActionRun:
    """Run the action's steps (``only``: just these); ``earlier``: a run whose steps count as done."""
    action = load_action(action_path / "action.yml")
    declared = action["inputs"]
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs not declared in action.yml: {unknown}"
    values = {name: str(spec.get("default", "")) for name, spec in declared.items()} | inputs
    temp = workspace.parent / f"{workspace.name}-runner-temp"
    temp.mkdir(exist_ok=True)
    base_env = dict(os.environ) | {
        "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(action_path), "RUNNER_TEMP": str(temp), "RUNNER_OS": "Linux",
    } | (env or {})
    base_env.pop("NO_COLOR", None)
    steps: dict[str, dict[str, str]] = dict(earlier.step_outputs) if earlier else {}
    summary, log, ran = [], [], []
    added = list(earlier.path_added) if earlier else []
    code = 0
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"step{index}")
        if "uses" in step:  # another action (actions/cache): GitHub's to run, not modelled here
            continue
        if not _condition(step.get("if"), values) or (only is not None and step_id not in only):
            continue
        assert step.get("shell") == "bash", f"step {step_id}: the test runner models shell: bash"
        assert "${{" not in step["run"], f"step {step_id}: expressions inside run: allow script injection"
        files = {name: temp / f"{step_id}.{name}" for name in ("output", "summary", "path", "env")}
        for file in files.values():
            file.write_text("", encoding="utf-8")
        script = temp / f"{step_id}.sh"
        script.write_text(step["run"], encoding="utf-8")
        step_env = base_env | {
            "GITHUB_OUTPUT": str(files["output"]), "GITHUB_STEP_SUMMARY": str(files["summary"]),
            "GITHUB_PATH": str(files["path"]), "GITHUB_ENV": str(files["env"]),
            "PATH": os.pathsep.join([*reversed(added), base_env["PATH"]]),
        } | {name: _substitute(value, values, steps, action_path) for name, value in (step.get("env") or {}).items()}
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                                env=step_env, capture_output=True, text=True, timeout=timeout)
        ran.append(step_id)
        log.append(result.stdout + result.stderr)
        steps[step_id] = parse_output_file(files["output"].read_text(encoding="utf-8"))
        summary.append(files["summary"].read_text(encoding="utf-8"))
        added += [line for line in files["path"].read_text(encoding="utf-8").splitlines() if line]
        if result.returncode:
            code = result.returncode
            break
    outputs = {name: _substitute(spec["value"], values, steps, action_path)
               for name, spec in action["outputs"].items()}
    return ActionRun(code, outputs, steps, "".join(summary), "".join(log), added, ran)


@pytest.fixture
def workspace(tmp_path) -> Path:
    """A checkout with the policy, waivers and snapshot, and the test provider plugin importable."""
    root = tmp_path / "workspace"
    root.mkdir()
    for name in ("policy.yaml", "waivers.yaml", "estate.json"):
        (root / name).write_bytes((FIXTURES / name).read_bytes())
    return root


@pytest.fixture
def plugin_env() -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGIN), os.environ.get("PYTHONPATH")]))}


@pytest.fixture
def scan_inputs() -> dict[str, str]:
    """Inputs scanning the workspace's snapshot offline, with policycheck already installed."""
    return {"policy": "policy.yaml", "snapshot": "estate.json", "waivers": "waivers.yaml", "install": "false",
            "args": "--evaluation-date\n  2025-02-01\n"}


@pytest.fixture(scope="session")
def action():
    return run_action
