"""action.yml's shape: a composite action whose inputs reach the shell only through env."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ACTION = yaml.safe_load((Path(__file__).parents[2] / "action.yml").read_text(encoding="utf-8"))
STEPS = [step for step in ACTION["runs"]["steps"] if "run" in step]  # the action's own scripts
USES = [step for step in ACTION["runs"]["steps"] if "uses" in step]  # other actions it calls


def test_is_a_composite_action_with_bash_steps():
    assert ACTION["runs"]["using"] == "composite"
    assert all(step["shell"] == "bash" for step in STEPS)


def test_only_pinned_first_party_actions_are_used():
    assert [step["uses"] for step in USES] == ["actions/cache@v4"]


def test_pip_downloads_are_cached_between_runs():
    """actions/cache keeps pip's cache folder; the install step points pip at it; the key changes with the
    action's pyproject.toml (its dependencies), the providers' extras and the Python version."""
    [cache] = USES
    key_step = next(step for step in STEPS if step["id"] == "cache-key")
    install = next(step for step in STEPS if step["id"] == "install")
    assert cache["with"]["path"] == "${{ steps.cache-key.outputs.dir }}"
    assert cache["with"]["key"] == "${{ steps.cache-key.outputs.key }}"
    assert cache["if"] == "inputs.install == 'true' && inputs.cache == 'true'"
    assert install["env"]["PIP_CACHE_DIR"] == "${{ steps.cache-key.outputs.dir }}"
    assert "$GITHUB_ACTION_PATH/pyproject.toml" in key_step["run"]
    assert ACTION["inputs"]["cache"]["default"] == "true"


def test_no_expression_inside_any_run_script():
    for step in STEPS:
        assert "${{" not in step["run"], step["id"]


def test_every_input_is_used_and_only_through_env():
    used = set()
    for step in ACTION["runs"]["steps"]:
        for value in (step.get("env") or {}).values():
            used |= set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", str(value)))
        if "if" in step:
            used |= set(re.findall(r"inputs\.([\w-]+)", step["if"]))
    assert used == set(ACTION["inputs"])


def test_every_output_comes_from_the_scan_step():
    for name, spec in ACTION["outputs"].items():
        assert spec["value"] == f"${{{{ steps.scan.outputs.{name} }}}}"


def test_installs_from_its_own_checkout_and_fails_by_default():
    install = next(step for step in STEPS if step["id"] == "install")
    assert '"$GITHUB_ACTION_PATH"' in install["run"] or "spec=\"$GITHUB_ACTION_PATH\"" in install["run"]
    assert ACTION["inputs"]["fail-on-findings"]["default"] == "true"
    assert ACTION["inputs"]["install"]["default"] == "true"


def test_install_maps_each_builtin_provider_to_its_extra():
    """The install step runs before policycheck exists, so it keeps its own table; it must match."""
    from policycheck.provider import load_providers

    install = next(step for step in STEPS if step["id"] == "install")
    table = dict(re.findall(r"^\s*([\w-]+)\) extras\+=\(([\w-]+)\) ;;$", install["run"], flags=re.MULTILINE))
    assert table == {name: cls.extra for name, cls in load_providers().items() if cls.extra}
