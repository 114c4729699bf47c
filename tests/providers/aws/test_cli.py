"""End to end: the real CLI in a subprocess, scanning a moto server through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import boto3
import pytest

from policycheck.providers.aws.session import _strip_account_host_prefix as strip_account_host_prefix

pytestmark = pytest.mark.integration  # a moto server and the CLI in subprocesses

PACK = """
apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: s3-basics, version: "1.0.0"}
rules:
  - id: S3-ENC
    title: Personal data is encrypted at rest
    severity: high
    resources: [aws.s3.bucket]
    when: {attr: tags.data-classification, equals: personal}
    require: {attr: encryption.at_rest, equals: true}
  - id: S3-PUB
    title: Personal data is not public
    severity: critical
    resources: [aws.s3.bucket]
    when: {attr: tags.data-classification, equals: personal}
    require: {attr: access.public, equals: false}
"""


@pytest.fixture
def server_env(moto_server, tmp_path):
    moto_server.reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=moto_server.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    return env


def client(env, service, region="us-east-1"):
    made = boto3.client(service, region_name=region, endpoint_url=env["AWS_ENDPOINT_URL"],
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    made.meta.events.register("before-sign.s3-control", strip_account_host_prefix)  # as the provider does
    return made


def run_cli(env, *args, cwd):
    return subprocess.run([sys.executable, "-m", "policycheck", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_scan_through_the_endpoint(server_env, tmp_path):
    s3 = client(server_env, "s3", "eu-central-1")
    for name, classification in (("tickets", "personal"), ("assets", "public")):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data-classification",
                                                                "Value": classification}]})
    s3.put_bucket_acl(Bucket="tickets", ACL="public-read")
    client(server_env, "s3control").put_public_access_block(AccountId="123456789012", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    (tmp_path / "pack.yaml").write_text(PACK)
    result = run_cli(server_env, "scan", "--provider", "aws", "--region", "eu-central-1", "--policy", "pack.yaml",
                     "-f", "json", "-o", "report.json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    outcomes = {(f["rule_id"], f["resource"]["name"]): f["result"] for f in report["findings"]}
    assert outcomes == {("S3-ENC", "tickets"): "fail", ("S3-PUB", "tickets"): "fail"}
    [finding] = [f for f in report["findings"] if f["rule_id"] == "S3-PUB"]
    assert finding["resource"]["id"] == "arn:aws:s3::123456789012:tickets"
    assert finding["resource"]["region"] == "eu-central-1"


def test_permissions_prints_an_iam_policy(server_env, tmp_path):
    (tmp_path / "pack.yaml").write_text(PACK)
    result = run_cli(server_env, "permissions", "--provider", "aws", "--policy", "pack.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    policy = json.loads(result.stdout.split("\n#", 1)[0])
    [statement] = policy["Statement"]
    assert statement["Action"] == ["s3:GetAccessPoint", "s3:GetAccessPointPolicy", "s3:GetAccountPublicAccessBlock",
                                   "s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketPolicy",
                                   "s3:GetBucketPolicyStatus", "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging",
                                   "s3:GetEncryptionConfiguration", "s3:ListAccessPoints", "s3:ListAllMyBuckets"]


def test_unreachable_endpoint_exits_2_with_one_line(server_env, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "policycheck.yaml").write_text("providers:\n  aws:\n    max_attempts: 1\n")
    env = {**server_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    result = run_cli(env, "scan", "--provider", "aws", "--policy", "pack.yaml", cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("policycheck: error: aws: the default credentials: cannot reach AWS")


def test_unknown_profile_exits_2(server_env, tmp_path):
    (tmp_path / "pack.yaml").write_text(PACK)
    result = run_cli(server_env, "scan", "--provider", "aws", "--profile", "nope", "--policy", "pack.yaml",
                     cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "policycheck: error: aws: profile 'nope' not found in the AWS config files"


def test_aws_source_config_gives_the_report_of_the_live_api(server_env, tmp_path):
    s3 = client(server_env, "s3", "eu-central-1")
    for name in ("tickets", "secure"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data-classification", "Value": "personal"}]})
    s3.put_bucket_encryption(Bucket="secure", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "config.yaml").write_text("providers:\n  aws: {source: config, max_config_age: 12}\n")
    reports = {}
    for label, extra in (("api", ()), ("flag", ("--aws-source", "config")), ("file", ("--config", "config.yaml"))):
        result = run_cli(server_env, "scan", "--provider", "aws", "--region", "eu-central-1", "--policy", "pack.yaml",
                         "--evaluation-date", "2026-06-15", "-f", "json", "-o", f"{label}.json", *extra, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        report = json.loads((tmp_path / f"{label}.json").read_text())
        reports[label] = sorted((f["rule_id"], f["resource"]["name"], f["result"]) for f in report["findings"])
    assert reports["api"] == reports["flag"] == reports["file"]
    assert ("S3-ENC", "tickets", "fail") in reports["api"] and ("S3-ENC", "secure", "pass") in reports["api"]
    result = run_cli(server_env, "collect", "--provider", "aws", "--region", "eu-central-1", "--policy", "pack.yaml",
                     "--config", "config.yaml", "-o", "snapshot.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"raw.collected_from": "config"' in (tmp_path / "snapshot.json").read_text()  # the file's source is used


def test_a_bad_aws_source_in_the_config_file_is_refused_naming_the_place(server_env, tmp_path):
    (tmp_path / "config.yaml").write_text("providers:\n  aws:\n    source: cmdb\n")
    result = run_cli(server_env, "scan", "--provider", "aws", "--config", "config.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "config.yaml:3" in result.stderr and "source" in result.stderr
