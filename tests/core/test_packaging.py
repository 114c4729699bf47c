"""Packaging: providers/ and policies/ install as policycheck.providers and policycheck.policies.

The wheel test builds and installs a real wheel (``python -m build``, a few seconds), so it is in
the ``integration`` tier: the full suite and ``.ci/run`` run it, the inner loop does not.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
from importlib import metadata, resources
from pathlib import Path

import pytest
from core_support import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def package_folders() -> dict[str, Path]:
    """Installed package name -> source folder, for every folder with an __init__.py."""
    found = {}
    for name, folder in SETUPTOOLS["package-dir"].items():
        root = REPO / folder
        for init in root.rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            relative = init.parent.relative_to(root).parts
            found[".".join((name, *relative))] = init.parent
    return found


def test_providers_and_policies_are_importable_under_policycheck():
    providers = importlib.import_module("policycheck.providers")
    policies = importlib.import_module("policycheck.policies")
    assert Path(providers.__file__).parent == REPO / "providers"
    assert Path(policies.__file__).parent == REPO / "policies"


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(SETUPTOOLS["packages"])
    missing = sorted(set(package_folders()) - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"
    stale = sorted(name for name in listed if name not in package_folders())
    assert not stale, f"listed in pyproject.toml but no folder with __init__.py: {stale}"


def test_no_generic_top_level_import_names():
    assert set(SETUPTOOLS["package-dir"]) == {"policycheck", "policycheck.providers", "policycheck.policies"}
    assert all(name == "policycheck" or name.startswith("policycheck.") for name in SETUPTOOLS["packages"])


def test_entry_points_name_packages_that_are_shipped():
    declared = PYPROJECT["project"]["entry-points"]["policycheck.providers"]
    for name, target in declared.items():
        module = target.split(":")[0]
        assert module in SETUPTOOLS["packages"], (name, target)
    installed = {e.name: e.value for e in metadata.entry_points(group="policycheck.providers")}
    for name, target in declared.items():
        assert installed.get(name) == target, f"reinstall (pip install -e .): entry point {name} is stale"


def test_console_script_and_module_entry():
    assert PYPROJECT["project"]["scripts"]["policycheck"] == "policycheck.cli:main"
    assert (REPO / "policycheck" / "__main__.py").exists()


def test_package_data_is_reachable():
    assert "data/*.yaml" in SETUPTOOLS["package-data"]["policycheck"]
    assert resources.files("policycheck").joinpath("data/regions.yaml").is_file()


def test_cloud_sdks_are_optional_extras_not_dependencies():
    dependencies = " ".join(PYPROJECT["project"]["dependencies"])
    for sdk in ("boto3", "google-cloud-storage", "moto"):
        assert sdk not in dependencies
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert any("boto3" in d for d in extras["aws"]) and any("google-cloud-storage" in d for d in extras["gcp"])


def test_published_schemas_are_current():
    folder = REPO / "policycheck" / "schemas"
    if not folder.is_dir():
        pytest.skip("policycheck/schemas/ not written yet (policycheck schema --write policycheck/schemas)")
    from policycheck.schema import published_schemas

    for name, document in published_schemas().items():
        shipped = json.loads((folder / name).read_text(encoding="utf-8"))
        if name == "policy-pack.schema.json":  # its resources description lists the installed types
            for doc in (shipped, document):
                doc["$defs"]["rule"]["properties"]["resources"].pop("description", None)
        assert shipped == document, f"{name} is stale: run policycheck schema --write policycheck/schemas"


@pytest.mark.integration
def test_wheel_install_ships_providers_and_policies(tmp_path):
    source = tmp_path / "src"  # a copy: building in the checkout would leave build/ and egg-info behind
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, source / name)
    for folder in SETUPTOOLS["package-dir"].values():
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = dist.glob("policycheck-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--target", site,
                    str(wheel)], check=True, capture_output=True, timeout=120)
    probe = ("import json, policycheck, policycheck.providers, policycheck.policies, policycheck.reporters;"
             "from importlib import resources;"
             "print(json.dumps([policycheck.__file__, policycheck.providers.__file__,"
             " resources.files('policycheck').joinpath('data/regions.yaml').is_file()]))")
    out = subprocess.run([str(python), "-c", probe], cwd=tmp_path, check=True, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}).stdout
    core, providers, data = json.loads(out)
    assert core.startswith(site) and providers.startswith(site), (core, providers)  # not the editable checkout
    assert data is True
    for package in package_folders():
        subprocess.run([str(python), "-c", f"import {package}"], cwd=tmp_path, check=True, capture_output=True)
