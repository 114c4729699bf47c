"""The pre-commit hooks, run by pre-commit itself in a temporary git repository.

Offline, the hooks are taken from this repository's .pre-commit-hooks.yaml into a ``repo: local`` config
with ``language: system`` (the installed policycheck): the ids, entries, file filters and
pass_filenames are exactly the manifest's. The manifest itself is checked with ``pre-commit
validate-manifest``."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[2]
MANIFEST = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None or shutil.which("git") is None,
                                reason="pre-commit and git are needed")

POLICY = textwrap.dedent("""\
    apiVersion: policycheck/v1
    kind: PolicyPack
    metadata: {name: ours, version: "1.0.0"}
    rules:
      - id: OURS-ENC-001
        title: Encrypted at rest
        severity: high
        resources: [data-store]
        require: {attr: encryption.at_rest, equals: true}
    """)
TESTS = textwrap.dedent("""\
    apiVersion: policycheck/v1
    kind: PolicyTests
    tests:
      - name: unencrypted bucket fails
        resource: {type: aws.s3.bucket, attributes: {encryption.at_rest: false}}
        expect: {OURS-ENC-001: fail}
    """)
CONFIG = "policies: [policies/ours.yaml]\nwaivers: waivers.yaml\nevaluation_date: 2026-12-01\n"
WAIVERS = textwrap.dedent("""\
    apiVersion: policycheck/v1
    kind: Waivers
    waivers:
      - id: W-1
        rule: OURS-ENC-001
        resource: "arn:aws:s3:::legacy"
        reason: Migration to the encrypted bucket is scheduled.
        approver: dpo@example.com
        created: 2026-11-20
        expires: 2027-01-31
    """)


def test_manifest_is_valid():
    result = subprocess.run(["pre-commit", "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [hook["id"] for hook in MANIFEST] == ["policycheck-validate", "policycheck-test"]


@pytest.fixture
def repository(tmp_path) -> Path:
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    (repo / "policy-tests").mkdir()
    (repo / "policies" / "ours.yaml").write_text(POLICY, encoding="utf-8")
    (repo / "policy-tests" / "ours.yaml").write_text(TESTS, encoding="utf-8")
    (repo / "waivers.yaml").write_text(WAIVERS, encoding="utf-8")
    (repo / "policycheck.yaml").write_text(CONFIG, encoding="utf-8")
    hooks = [{**hook, "language": "system"} for hook in MANIFEST]
    hooks[1]["args"] = ["policy-tests"]
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}),
                                                  encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    return repo


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True,
                   capture_output=True, timeout=60)


def pre_commit(repo: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    env.pop("POLICYCHECK_PSEUDONYM_KEY", None)
    return subprocess.run(["pre-commit", "run", "--all-files", "--color", "never"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)


def test_hooks_pass_on_a_good_repository(repository, tmp_path):
    result = pre_commit(repository, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "policycheck validate (policies, waivers, config)" in result.stdout
    assert "policycheck test (policy tests)" in result.stdout
    assert result.stdout.count("Passed") == 2


def test_validate_hook_fails_on_a_broken_policy(repository, tmp_path):
    (repository / "policies" / "ours.yaml").write_text(POLICY.replace("encryption.at_rest", "encryption.at_rst"),
                                                       encoding="utf-8")
    git(repository, "add", "-A")
    result = pre_commit(repository, tmp_path)
    assert result.returncode == 1
    assert "unknown attribute 'encryption.at_rst'" in result.stdout


def test_validate_hook_fails_on_a_waiver_for_an_unknown_rule(repository, tmp_path):
    (repository / "waivers.yaml").write_text(WAIVERS.replace("rule: OURS-ENC-001", "rule: OURS-ENC-002"),
                                             encoding="utf-8")
    git(repository, "add", "-A")
    result = pre_commit(repository, tmp_path)
    assert result.returncode == 1
    assert "rule 'OURS-ENC-002' matches no loaded rule" in result.stdout


def test_test_hook_fails_on_a_wrong_expectation(repository, tmp_path):
    (repository / "policy-tests" / "ours.yaml").write_text(TESTS.replace("OURS-ENC-001: fail", "OURS-ENC-001: pass"),
                                                           encoding="utf-8")
    git(repository, "add", "-A")
    result = pre_commit(repository, tmp_path)
    assert result.returncode == 1
    assert "expected pass, got fail" in result.stdout
