"""The install step for real: a virtual environment with policycheck built from the action's checkout.

The checkout is a copy of this repository's package sources (pip builds in the source tree).
The venv sees the machine's site-packages, so dependencies already installed are reused. The
install runs once; the scan step then runs against it as the next step of the same job.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "policycheck", "providers", "policies")


def copy_checkout(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif source.exists():
            shutil.copy(source, target / name)
    shutil.copy(REPO / "action.yml", target / "action.yml")
    return target


@pytest.fixture(scope="module")
def install_run(tmp_path_factory, action):
    root = tmp_path_factory.mktemp("install")
    checkout = copy_checkout(root / "actions" / "policycheck")
    workspace = root / "workspace"
    workspace.mkdir()
    run = action({"providers": "aws, gcs\ndevices", "extras": ""}, workspace, action_path=checkout,
                     only={"install"})
    return run, checkout, workspace


@pytest.mark.integration
def test_install_adds_the_extras_of_the_chosen_providers(install_run):
    run, _, workspace = install_run
    assert run.exit_code == 0, run.log
    venv_bin = Path(run.step_outputs["install"]["bin"])
    assert run.path_added == [str(venv_bin)]
    assert venv_bin.parent.parent == workspace.parent / f"{workspace.name}-runner-temp"
    assert "boto3" in run.log and "google-cloud-storage" in run.log  # [aws,gcp] requirements resolved
    assert "policycheck, version" in run.log
    where = subprocess.run([str(venv_bin / "python"), "-c", "import policycheck; print(policycheck.__file__)"],
                           capture_output=True, text=True, cwd=workspace, check=True).stdout
    assert where.startswith(str(venv_bin.parent))  # the built copy, not the developer's install


@pytest.mark.integration
def test_scan_step_uses_the_installed_policycheck(install_run, action, tmp_path, scan_inputs, plugin_env):
    install, checkout, _ = install_run
    workspace = tmp_path / "workspace"
    shutil.copytree(REPO / "tests" / "reporters" / "fixtures", workspace, ignore=shutil.ignore_patterns("plugin"))
    run = action(scan_inputs | {"install": "true"}, workspace, action_path=checkout, env=plugin_env,
                 only={"scan"}, earlier=install)
    assert run.exit_code == 1, run.log
    assert run.outputs["failing"] == "7"
    assert run.summary.startswith("## ❌ policycheck: 7 failing findings")
    venv = Path(install.step_outputs["install"]["bin"]).parent
    assert (venv / "bin" / "policycheck").exists()


def test_bad_extra_name_is_refused_before_pip_runs(action, tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    run = action({"extras": "aws] @ file:///etc"}, workspace, action_path=REPO, only={"install"})
    assert run.exit_code == 2
    assert "is not an extra name" in run.log
    assert not (tmp_path / "workspace-runner-temp" / "policycheck-venv").exists()
