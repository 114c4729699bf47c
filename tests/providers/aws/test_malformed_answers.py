"""Issue 13 item 7: malformed AWS answers give unknown values with a reason, never empty ones.

moto stores only well-formed configurations (botocore validates the request), so the
normalising functions are given the documented answer shapes with the field missing:
GetBucketReplication (S3 API Reference, ReplicationConfiguration/Rules/Destination) and
DescribeKey (KMS API Reference, KeyMetadata).
"""

from __future__ import annotations

import pytest

from policycheck.errors import CollectionError
from policycheck.providers.aws.s3 import replication_targets
from policycheck.providers.aws.scope import managed_by

ROLE = "arn:aws:iam::123456789012:role/replication"


def rule(number: int, destination: dict | None, status: str = "Enabled") -> dict:
    answer = {"ID": f"rule-{number}", "Priority": number, "Status": status, "Filter": {},
              "DeleteMarkerReplication": {"Status": "Disabled"}}
    if destination is not None:
        answer["Destination"] = destination
    return answer


def replication_answer(*rules: dict) -> dict:
    return {"ReplicationConfiguration": {"Role": ROLE, "Rules": list(rules)}}


def test_replication_targets_of_well_formed_rules():
    answer = replication_answer(rule(1, {"Bucket": "arn:aws:s3:::cs-replica-us", "StorageClass": "STANDARD"}),
                                rule(2, {"Bucket": "arn:aws:s3:::cs-replica-eu"}),
                                rule(3, {}, status="Disabled"))  # a disabled rule replicates nothing
    assert replication_targets(answer) == ["cs-replica-eu", "cs-replica-us"]
    assert replication_targets(None) == []  # ReplicationConfigurationNotFoundError: no replication


@pytest.mark.parametrize("destination", [None, {}, {"Bucket": ""}, {"Bucket": "arn:aws:s3:::"}, {"Bucket": 7}])
def test_enabled_rule_without_destination_is_unknown(destination):
    answer = replication_answer(rule(1, {"Bucket": "arn:aws:s3:::cs-replica-eu"}), rule(2, destination))
    with pytest.raises(CollectionError) as raised:
        replication_targets(answer)
    assert str(raised.value) == "replication rule 2 has no destination bucket (s3:GetReplicationConfiguration)"


def key_answer(**metadata: str) -> dict:
    return {"KeyMetadata": {"AWSAccountId": "123456789012", "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                            "KeyState": "Enabled", "KeySpec": "SYMMETRIC_DEFAULT", **metadata}}


def test_key_manager_decides_key_management():
    assert managed_by(key_answer(KeyManager="CUSTOMER")) == "customer-managed"
    assert managed_by(key_answer(KeyManager="AWS")) == "provider-managed"


@pytest.mark.parametrize("answer", [key_answer(), key_answer(KeyManager=""), {}, None])
def test_key_without_key_manager_is_unknown(answer):
    with pytest.raises(CollectionError, match=r"KeyManager.*\(kms:DescribeKey\)"):
        managed_by(answer)
