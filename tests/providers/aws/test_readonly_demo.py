"""Read-only, proven on the demo estate; the demo estate itself; the permissions the plan needs."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest

from policycheck.context import RunContext
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.aws import AwsProvider
from policycheck.resolution import resolve
from policycheck.run import run_scan

from .conftest import Recorder

READ_ONLY = re.compile(r"^(List|Get|Describe|Head)[A-Z]")


@dataclass
class DemoRun:
    config: dict[str, Any]
    operations: set[str]  # service:Operation of every call of a full collection
    problems: list[Any]
    failed_groups: list[tuple[str, Any]]
    report: Any  # the built-in pack's report on the estate


@pytest.fixture(scope="session")
def demo_run() -> DemoRun:
    """The moto demo estate, built once per session: a full recorded collection and a scan with the built-in
    pack, both done before moto stops again (an in-process mock left on would show the estate to other tests)."""
    recorder = Recorder()
    with AwsProvider.demo_estate() as config:
        context = ProviderContext()
        resources = list(AwsProvider(config, context, session_factory=recorder).collect(CollectPlan()))
        for resource in resources:
            resource.load()
        settings = resolve(None, {"evaluation_date": "2026-06-01"}, provider_names=("aws",),
                           provider_configs={"aws": config}, read_config=False)
        report = run_scan(settings, RunContext.build(settings.run))
    return DemoRun(config, {f"{service}:{name}" for service, name in recorder.calls}, context.problems,
                   [(r.name, r.failed_groups) for r in resources if r.failed_groups], report)


def test_a_full_scan_only_reads(demo_run):
    operations = demo_run.operations
    writes = sorted(op for op in operations if not READ_ONLY.match(op.split(":")[1]))
    assert writes == []
    assert len(operations) >= 25  # every group of every type was exercised, not a vacuous pass
    assert {"s3:GetBucketPolicy", "s3control:GetPublicAccessBlock", "rds:DescribeDBClusterParameters",
            "dynamodb:DescribeTimeToLive", "kms:DescribeKey", "cloudtrail:GetEventSelectors"} <= operations
    assert demo_run.problems == []
    assert demo_run.failed_groups == []


def test_demo_estate_scanned_with_the_builtin_pack(demo_run):
    assert set(demo_run.config["regions"]) >= {"eu-central-1", "us-east-1"}
    report = demo_run.report
    assert report.evaluated_on == dt.date(2026, 6, 1)
    assert report.problems == []
    assert set(report.resources_by_type) == {"aws.s3.bucket", "aws.rds.instance", "aws.rds.cluster",
                                             "aws.dynamodb.table"}
    results = {(f.rule_id, f.resource.name): f.result.value for f in report.findings}
    assert not [key for key, result in results.items() if result == "error"]
    expected = {
        ("GDPR-SEC-002", "acme-cs-call-recordings"): "fail",  # sensitive, AWS-managed key
        ("GDPR-SEC-002", "crm-postgres"): "pass",
        ("GDPR-PRC-001", "acme-callcentre-exports"): "fail",  # processor without DPA
        ("GDPR-PRC-001", "acme-callcentre-exports-mumbai"): "pass",
        ("GDPR-LOC-002", "acme-callcentre-exports"): "fail",  # replicated to India
        ("GDPR-LOC-002", "crm-postgres"): "fail",  # read replica in the US
        ("GDPR-LOC-001", "acme-cs-chat-transcripts-us"): "fail",
        ("GDPR-LOC-001", "acme-cs-ticket-attachments"): "pass",
        ("GDPR-SEC-004", "acme-crm-migration-2019"): "fail",  # public ACL
        ("GDPR-RET-003", "acme-crm-migration-2019"): "fail",  # purpose ended in 2020
        ("GDPR-SEC-003", "ticketing-aurora"): "fail",  # TLS not required
        ("GDPR-SEC-003", "crm-postgres"): "pass",
        ("GDPR-SEC-003", "cs-chat-sessions"): "pass",  # resource policy denies plain HTTP
        ("GDPR-SEC-006", "cs-chat-sessions"): "pass",  # CloudTrail data events
        ("GDPR-SEC-004", "callcentre-reporting"): "fail",  # public endpoint
        ("GDPR-REC-001", "acme-tmp-export-2023"): "fail",  # nobody classified it
        ("GDPR-RET-002", "acme-cs-ticket-attachments"): "pass",
        ("GDPR-RET-002", "acme-cs-call-recordings"): "fail",  # expires after 180 of 90 declared days
    }
    assert {key: results.get(key) for key in expected} == expected
    assert ("GDPR-SEC-004", "acme-help-centre-assets") not in results  # public data is out of scope


def test_permissions_follow_the_plan():
    provider = AwsProvider({}, ProviderContext())
    encryption_only = CollectPlan(needs={"aws.s3.bucket": frozenset({"encryption.at_rest"})})
    assert provider.permissions(encryption_only) == ["s3:GetBucketLocation", "s3:GetEncryptionConfiguration",
                                                     "s3:ListAllMyBuckets"]
    everything = provider.permissions(CollectPlan())
    assert "ec2:DescribeRegions" in everything and "kms:DescribeKey" in everything
    assert all(READ_ONLY.match(action.split(":")[1]) for action in everything)
    org = AwsProvider({"org_role": "Audit", "regions": ["eu-central-1"]}, ProviderContext()).permissions(
        CollectPlan(needs={"aws.dynamodb.table": frozenset({"tags.purpose"})}))
    assert org == ["dynamodb:ListTables", "dynamodb:ListTagsOfResource", "organizations:ListAccounts",
                   "sts:AssumeRole"]
