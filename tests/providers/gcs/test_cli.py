"""End to end through the CLI: scan, permissions and errors against the local JSON API server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from policycheck.cli import main

PROJECT = "acme-support"

POLICY = """\
apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: gcs-cli-test, version: "1.0.0"}
rules:
  - id: T-PUBLIC
    title: Buckets are not public
    severity: high
    resources: [gcp.storage.bucket]
    require: {attr: access.public, equals: false}
    references: ["GDPR Art. 32"]
    remediation: Remove public IAM grants and ACLs, or enforce public access prevention.
  - id: T-LOCATION
    title: Personal data stays in allowed jurisdictions
    severity: high
    resources: [data-store]
    when: {attr: tags.data-classification, in: [personal, sensitive]}
    require: {attr: location.jurisdiction, in: [EU, EEA, adequacy]}
    references: ["GDPR Art. 44"]
    remediation: Move the bucket to an EU location.
"""


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "gcs-policy.yaml"
    path.write_text(POLICY)
    return str(path)


@pytest.fixture
def estate(fake_gcs, gcs_data):
    fake_gcs.add(PROJECT, gcs_data.bucket("cs-tickets-de", "EUROPE-WEST3",
                                          labels={"data-classification": "personal"}))
    fake_gcs.add(PROJECT, gcs_data.bucket("cs-exports-us", "US", "multi-region",
                                          labels={"data-classification": "personal"},
                                          **gcs_data.legacy_acl("cs-exports-us", public=True)))
    fake_gcs.add(PROJECT, gcs_data.bucket("cs-shared", "EUR5", "dual-region",
                                          iamConfiguration={"uniformBucketLevelAccess": {"enabled": True}}))
    fake_gcs.deny("storage.buckets.getIamPolicy", "cs-shared")
    return fake_gcs


def scan(policy, tmp_path, *args):
    report = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", "--policy", policy, "--format", "json", "--output", str(report),
                                       *args])
    return result, (json.loads(report.read_text()) if report.exists() else None)


def test_scan_reports_failures_and_permission_errors(estate, policy, tmp_path):
    result, report = scan(policy, tmp_path, "--project", PROJECT)
    assert result.exit_code == 1, result.output
    outcome = {(f["rule_id"], f["resource"]["name"]): f for f in report["findings"]}
    assert outcome[("T-PUBLIC", "cs-exports-us")]["result"] == "fail"
    assert outcome[("T-PUBLIC", "cs-tickets-de")]["result"] == "pass"
    denied = outcome[("T-PUBLIC", "cs-shared")]
    assert denied["result"] == "error"
    assert "storage.buckets.getIamPolicy" in denied["message"]
    assert outcome[("T-LOCATION", "cs-exports-us")]["result"] == "fail"
    assert outcome[("T-LOCATION", "cs-tickets-de")]["result"] == "pass"
    assert ("T-LOCATION", "cs-shared") not in outcome  # not personal: out of scope
    assert outcome[("T-PUBLIC", "cs-tickets-de")]["resource"]["account"] == PROJECT
    assert {r.method for r in estate.requests} == {"GET"}
    # public access prevention is enforced on cs-tickets-de: its IAM policy is never read
    assert {r.path.split("/")[4] for r in estate.calls("iam")} == {"cs-exports-us", "cs-shared"}


def test_unknown_project_exits_2_with_one_line(estate, policy, tmp_path):
    result, report = scan(policy, tmp_path, "--project", "acme-typo-project")
    assert result.exit_code == 2
    assert report is None
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "acme-typo-project" in lines[0]
    assert "Traceback" not in result.output


def test_invalid_project_option_exits_2(estate, policy, tmp_path):
    result, _ = scan(policy, tmp_path, "--project", "Acme Support")
    assert result.exit_code == 2
    assert "'Acme Support' is not a GCP project id" in result.output


def test_permissions_for_the_policy(policy):
    result = CliRunner().invoke(main, ["permissions", "--policy", policy, "--provider", "gcs"])
    assert result.exit_code == 0, result.output
    assert "# gcs: storage.buckets.getIamPolicy, storage.buckets.list" in result.output


@pytest.mark.integration
def test_no_credentials_in_a_real_process(policy, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOOGLE_APPLICATION_CREDENTIALS", "STORAGE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT")}
    env.update(CLOUDSDK_CONFIG=str(tmp_path / "gcloud"), NO_GCE_CHECK="true")
    process = subprocess.run([sys.executable, "-m", "policycheck", "scan", "--policy", policy, "--project", PROJECT],
                             capture_output=True, text=True, env=env, timeout=60)
    assert process.returncode == 2
    assert process.stderr.strip().count("\n") == 0
    assert "no Google Cloud credentials found" in process.stderr


def test_config_file_section(estate, policy, tmp_path):
    config = tmp_path / "policycheck.yaml"
    config.write_text(f"providers:\n  gcs:\n    projects: [{PROJECT}]\n    request_timeout: 30\n    timeout: 600\n")
    result, report = scan(policy, tmp_path, "--config", str(config))
    assert result.exit_code == 1, result.output
    assert {f["resource"]["account"] for f in report["findings"]} == {PROJECT}


def test_config_file_typo_names_the_place(estate, policy, tmp_path):
    config = tmp_path / "policycheck.yaml"
    config.write_text(f"providers:\n  gcs:\n    project: [{PROJECT}]\n")
    result, report = scan(policy, tmp_path, "--config", str(config))
    assert result.exit_code == 2
    assert report is None
    assert "policycheck.yaml" in result.output and "project" in result.output
    assert "Traceback" not in result.output


def test_collect_writes_a_snapshot_that_scans_offline(estate, policy, tmp_path):
    snapshot = tmp_path / "estate.json"
    result = CliRunner().invoke(main, ["collect", "--policy", policy, "--project", PROJECT, "--output", str(snapshot)])
    assert result.exit_code == 0, result.output
    records = {r["name"]: r for r in json.loads(snapshot.read_text())["resources"]}
    assert records["cs-tickets-de"]["attributes"]["location.country"] == "DE"
    assert records["cs-exports-us"]["attributes"]["access.public_via"] == ["acl"]
    estate.stop()  # offline from here on
    offline, report = scan(policy, tmp_path, "--snapshot", str(snapshot))
    assert offline.exit_code == 1
    denied = [f for f in report["findings"] if f["resource"]["name"] == "cs-shared" and f["rule_id"] == "T-PUBLIC"]
    assert denied[0]["result"] == "error"
