"""action.yml's shape: a composite action whose inputs reach the shell only through env."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ACTION = yaml.safe_load((Path(__file__).parents[2] / "action.yml").read_text(encoding="utf-8"))
STEPS = ACTION["runs"]["steps"]


def test_is_a_composite_action_with_bash_steps():
    assert ACTION["runs"]["using"] == "composite"
    assert all(step["shell"] == "bash" for step in STEPS)


def test_no_expression_inside_any_run_script():
    for step in STEPS:
        assert "${{" not in step["run"], step["id"]


def test_every_input_is_used_and_only_through_env():
    used = set()
    for step in STEPS:
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
