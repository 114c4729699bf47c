"""Read-only, proven on the demo estate; the demo estate itself; the permissions the plan needs."""

from __future__ import annotations

import re

from policycheck.providers.aws import AwsProvider

from policycheck.model import Unknown
from policycheck.provider import CollectPlan, ProviderContext

READ_ONLY = re.compile(r"^(List|Get|Describe|Head)[A-Z]")


def test_a_full_scan_only_reads(recorder):
    with AwsProvider.demo_estate() as config:
        context = ProviderContext()
        resources = list(AwsProvider(config, context, session_factory=recorder).collect(CollectPlan()))
        for resource in resources:
            resource.load()
    operations = {f"{service}:{name}" for service, name in recorder.calls}
    writes = sorted(op for op in operations if not READ_ONLY.match(op.split(":")[1]))
    assert writes == []
    assert len(operations) >= 25  # every group of every type was exercised, not a vacuous pass
    assert {"s3:GetBucketPolicy", "s3control:GetPublicAccessBlock", "rds:DescribeDBClusterParameters",
            "dynamodb:DescribeTimeToLive", "kms:DescribeKey", "cloudtrail:GetEventSelectors"} <= operations
    assert context.problems == []
    assert [(r.name, r.failed_groups) for r in resources if r.failed_groups] == []


def test_demo_estate_is_a_believable_customer_service_estate():
    with AwsProvider.demo_estate() as config:
        assert set(config["regions"]) >= {"eu-central-1", "us-east-1"}
        resources = {r.name: r for r in AwsProvider(config, ProviderContext()).collect(CollectPlan())}
        assert {r.type for r in resources.values()} == {"aws.s3.bucket", "aws.rds.instance", "aws.rds.cluster",
                                                        "aws.dynamodb.table"}
        assert {r.get("location.jurisdiction") for r in resources.values()} >= {"EU", "third-country"}
        recordings = resources["acme-cs-call-recordings"]
        assert recordings.get("tags.data-classification") == "sensitive"
        assert recordings.get("encryption.key_management") == "provider-managed"  # misconfigured on purpose
        exports = resources["acme-callcentre-exports"]
        assert exports.get("tags.processor") == "telecare-bpo" and exports.get("tags.dpa-reference") is None
        assert exports.get("raw.policy_accounts") == ["444455556666"]
        assert exports.get("replication.jurisdictions") == ["third-country"]
        assert resources["acme-crm-migration-2019"].get("access.public") is True
        assert resources["crm-postgres"].get("encryption.in_transit_enforced") is True
        assert resources["ticketing-aurora"].get("encryption.in_transit_enforced") is False
        assert resources["cs-chat-sessions"].get("logging.access_logging") is True
        assert not any(isinstance(r.get("access.public"), Unknown) for r in resources.values())


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
