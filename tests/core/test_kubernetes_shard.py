"""``--shard auto`` in a Kubernetes Indexed Job without ``--shard-count``: the count is the Job's completions.

Against a local HTTPS server with its own CA, answering the Job object as the API server does
(fake_kubernetes.py); the pod's service-account folder is pointed at with
POLICYCHECK_KUBERNETES_SERVICE_ACCOUNT.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.context import RunContext
from policycheck.errors import ConfigError
from policycheck.kubernetes import job_completions
from policycheck.run_settings import RunSettings
from policycheck.shard import Shard, shard_of

HERE = Path(__file__).parent
SCAN_JOB = HERE.parents[1] / "deploy" / "kubernetes" / "scan-job.yaml"


def _fake_module():
    name = "core_fake_kubernetes"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "fake_kubernetes.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def cluster(tmp_path):
    fake = _fake_module()
    server = fake.FakeKubernetes(tmp_path)
    server.start()
    manifest = yaml.safe_load(SCAN_JOB.read_text(encoding="utf-8"))
    server.jobs["policycheck-scan"] = fake.served_job(manifest)
    yield server
    server.stop()


def pod(cluster, index: int, **extra: str) -> dict[str, str]:
    return cluster.env(JOB_COMPLETION_INDEX=str(index), JOB_NAME="policycheck-scan", **extra)


def test_every_pod_of_the_job_finds_its_shard_from_the_completions(cluster):
    completions = cluster.jobs["policycheck-scan"]["spec"]["completions"]
    shards = {shard_of("auto", None, pod(cluster, i)) for i in range(completions)}
    assert shards == {Shard(i, completions) for i in range(1, completions + 1)}
    path, authorization = cluster.requests[0]
    assert path == "/apis/batch/v1/namespaces/policycheck/jobs/policycheck-scan"
    assert authorization.startswith("Bearer ey")


def test_the_run_context_reads_it_too(cluster):
    context = RunContext.build(RunSettings(shard="auto"), env=pod(cluster, 3))
    assert context.shard == Shard(4, 4)


def test_a_given_shard_count_needs_no_api_call(cluster):
    assert shard_of("auto", 4, pod(cluster, 0)) == Shard(1, 4)
    assert cluster.requests == []


def test_an_index_beyond_the_completions_is_refused(cluster):
    with pytest.raises(ConfigError, match="JOB_COMPLETION_INDEX=4 is outside the 4 shard"):
        shard_of("auto", None, pod(cluster, 4))


@pytest.mark.parametrize(("change", "expected"), [
    (lambda c, env: c.forbidden.add("policycheck-scan"),
     "may not get job 'policycheck-scan' in namespace 'policycheck' (HTTP 403): grant it 'get' on jobs "
     "(deploy/kubernetes/rbac.yaml) or pass --shard-count N"),
    (lambda c, env: env.update(JOB_NAME="policycheck-scna"),
     "job 'policycheck-scna' in namespace 'policycheck' not found (HTTP 404)"),
    (lambda c, env: env.pop("JOB_NAME"), "set JOB_NAME from the downward API (fieldRef metadata.labels"
                                         "['batch.kubernetes.io/job-name']"),
    (lambda c, env: (c.service_account / "token").write_text("expired"), "(HTTP 401)"),
    (lambda c, env: (c.service_account / "token").unlink(), "is the service-account token mounted"),
    (lambda c, env: (c.service_account / "ca.crt").write_text(""), "cannot read the cluster CA"),
    (lambda c, env: env.update(KUBERNETES_SERVICE_PORT="9"), "cannot reach the Kubernetes API at "
                                                             "https://127.0.0.1:9"),
    (lambda c, env: c.jobs["policycheck-scan"]["spec"].pop("completionMode"), "is not an Indexed Job"),
    (lambda c, env: c.jobs["policycheck-scan"]["spec"].update(completions=None), "has no spec.completions"),
    (lambda c, env: env.pop("KUBERNETES_SERVICE_HOST"), "KUBERNETES_SERVICE_HOST is unset (not in a pod)"),
    (lambda c, env: setattr(c, "_serve", lambda handler: handler.wfile.write(b"garbage\r\n\r\n")),
     "cannot reach the Kubernetes API at https://127.0.0.1:"),  # not HTTP at all: BadStatusLine
    (lambda c, env: (c.service_account / "token").write_text("ey.first\nsecond-line"), "is not a bearer token"),
])
def test_what_goes_wrong_is_one_line_naming_the_fix(cluster, change, expected):
    env = pod(cluster, 0)
    change(cluster, env)
    with pytest.raises(ConfigError) as caught:
        shard_of("auto", None, env)
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert message.startswith("--shard: --shard auto: ")
    assert "--shard-count" in message or "completionMode: Indexed" in message


def test_a_server_the_cluster_ca_did_not_sign_is_refused(cluster, tmp_path):
    other = _fake_module().FakeKubernetes(tmp_path / "other")
    other.start()  # its own CA: the certificate of `cluster` does not verify against it
    try:
        env = pod(cluster, 0, POLICYCHECK_KUBERNETES_SERVICE_ACCOUNT=str(other.service_account))
        (other.service_account / "token").write_text((cluster.service_account / "token").read_text())
        with pytest.raises(ConfigError, match="CERTIFICATE_VERIFY_FAILED"):
            job_completions(env)
    finally:
        other.stop()
    assert cluster.requests == []


def test_the_cli_exits_2_with_one_line(cluster, monkeypatch):
    cluster.forbidden.add("policycheck-scan")
    for name, value in pod(cluster, 1).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POLICYCHECK_SHARD_COUNT", raising=False)
    result = CliRunner().invoke(main, ["scan", "--shard", "auto", "--provider", "coretest"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "rbac.yaml" in lines[0] and "Traceback" not in result.output
