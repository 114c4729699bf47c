"""S3 buckets: normalised attributes, "not configured" answers, and the fewest calls for a plan."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from policycheck.engine import evaluate
from policycheck.loader import load_packs
from policycheck.model import Result
from policycheck.providers.aws.s3 import normalise_location

DAY = dt.date(2026, 6, 15)  # the evaluation date of these tests

BLOCK_ALL = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
S3 = "aws.s3.bucket"


def configure_full(session, name, region="eu-central-1"):
    """A well-kept bucket: CMK, block, versioning + lifecycle, logging, TLS, replication, object lock."""
    s3 = session.client("s3", region_name=region)
    key = session.client("kms", region_name=region).create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region},
                     ObjectLockEnabledForBucket=True)
    s3.create_bucket(Bucket=f"{name}-logs", CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_acl(Bucket=f"{name}-logs", ACL="log-delivery-write")
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
        "BucketKeyEnabled": True}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 300},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]})
    s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": f"{name}-logs",
                                                                               "TargetPrefix": ""}})
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 10}}})
    arn = f"arn:aws:s3:::{name}"
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    replica = session.client("s3", region_name="us-west-2")
    replica.create_bucket(Bucket=f"{name}-replica", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    replica.put_bucket_versioning(Bucket=f"{name}-replica", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket=name, ReplicationConfiguration={
        "Role": "arn:aws:iam::123456789012:role/replication", "Rules": [
            {"ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {},
             "DeleteMarkerReplication": {"Status": "Disabled"},
             "Destination": {"Bucket": f"arn:aws:s3:::{name}-replica"}}]})
    return key


def attributes(resource):
    resource.load()
    assert resource.failed_groups == {}
    return resource.known_attributes


def test_well_kept_bucket(aws, collect):
    key = configure_full(aws, "tickets")
    [bucket] = [r for r in collect({"regions": ["eu-central-1"]}) if r.name == "tickets"]
    values = attributes(bucket)
    assert bucket.id == "arn:aws:s3::123456789012:tickets" and bucket.account == "123456789012"
    assert bucket.region == "eu-central-1"
    assert values["location.country"] == "DE" and values["location.jurisdiction"] == "EU"
    assert values["encryption.at_rest"] is True and values["encryption.kms_key"] == key
    assert values["encryption.key_management"] == "customer-managed"
    assert values["encryption.in_transit_enforced"] is True
    assert values["access.public"] is False and values["access.public_access_blocked"] is True
    assert values["retention.mechanism"] == ["lifecycle", "object-lock"]
    assert values["retention.max_age_days"] == 330  # 300 days current + 30 days as a noncurrent version
    assert values["retention.soft_delete_days"] == 30
    assert values["versioning.enabled"] is True and values["backup.enabled"] is True
    assert values["logging.access_logging"] is True and values["raw.logging_target"] == "tickets-logs"
    assert values["replication.regions"] == ["us-west-2"]
    assert values["replication.jurisdictions"] == ["adequacy-dpf"]
    assert values["deletion_protection.enabled"] is True
    assert values["raw.object_lock_mode"] == "GOVERNANCE" and values["raw.object_lock_days"] == 10
    assert values["retention.lock_days"] == 10 and values["logging.audit_log"] is None


def test_bare_bucket_not_configured_answers_are_facts_not_errors(aws, collect, make_bucket):
    make_bucket(aws, "bare")
    [bucket] = collect({"regions": ["us-east-1"]})
    values = attributes(bucket)
    assert bucket.tags == {}
    assert values["encryption.at_rest"] is False and values["encryption.key_management"] == "none"
    assert values["access.public"] is False and values["access.public_access_blocked"] is False
    assert values["retention.mechanism"] == [] and values["retention.max_age_days"] is None
    assert values["retention.soft_delete_days"] == 0
    assert values["encryption.in_transit_enforced"] is False
    assert values["replication.regions"] == [] and values["logging.access_logging"] is False
    assert values["location.jurisdiction"] == "adequacy-dpf"
    assert values["retention.lock_days"] == 0


def test_public_acl_and_policy_are_reported_with_their_route(aws, collect, make_bucket):
    s3 = make_bucket(aws, "open")
    s3.put_bucket_acl(Bucket="open", ACL="public-read")
    s3.put_bucket_policy(Bucket="open", Policy=json.dumps({"Statement": [
        {"Sid": "Web", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::open/*"}]}))
    [bucket] = collect({"regions": ["us-east-1"]}, {S3: {"access.public", "access.public_via"}})
    assert bucket.get("access.public") is True
    assert bucket.get("access.public_via") == ["acl", "policy"]
    assert bucket.get("raw.acl_public_grants") == ["AllUsers:READ"]
    assert bucket.get("raw.policy_public_statements") == ["Web"]


def test_block_makes_acl_and_policy_moot_so_they_are_not_read(aws, collect, make_bucket, recorder):
    s3 = make_bucket(aws, "blocked")
    s3.put_bucket_acl(Bucket="blocked", ACL="public-read")
    s3.put_public_access_block(Bucket="blocked", PublicAccessBlockConfiguration=BLOCK_ALL)
    make_bucket(aws, "unblocked")
    resources = {r.name: r for r in collect({"regions": ["us-east-1"]}, {S3: {"access.public"}}, factory=recorder)}
    assert resources["blocked"].get("access.public") is False
    assert resources["unblocked"].get("access.public") is False
    calls = Counter(recorder.operations("s3"))
    assert calls["GetPublicAccessBlock"] == 2
    assert calls["GetBucketAcl"] == 1 and calls["GetBucketPolicy"] == 1  # only for the unblocked bucket
    assert recorder.operations("s3control") == ["GetPublicAccessBlock"]  # once per account


def test_account_block_makes_bucket_block_moot(aws, collect, make_bucket, recorder):
    for name in ("a-bucket", "b-bucket", "c-bucket"):
        make_bucket(aws, name)
    aws.client("s3control").put_public_access_block(AccountId="123456789012",
                                                    PublicAccessBlockConfiguration=BLOCK_ALL)
    resources = collect({"regions": ["us-east-1"]}, {S3: {"access.public", "access.public_access_blocked"}},
                        factory=recorder)
    assert [r.get("access.public_access_blocked") for r in resources] == [True] * 3
    assert [r.get("access.public") for r in resources] == [False] * 3
    assert recorder.operations("s3") == ["ListBuckets"] + ["GetBucketLocation"] * 3


def test_plan_decides_the_calls_and_types(aws, collect, make_bucket, recorder):
    make_bucket(aws, "enc-only")
    aws.client("dynamodb").create_table(TableName="t", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                                        BillingMode="PAY_PER_REQUEST")
    [bucket] = collect({"regions": ["us-east-1"]}, {S3: {"encryption.at_rest"}}, factory=recorder)
    bucket.load()
    assert {svc for svc, _ in recorder.calls} == {"sts", "s3"}  # DynamoDB is not listed, no KMS, no S3 Control
    assert recorder.operations("s3") == ["ListBuckets", "GetBucketLocation", "GetBucketEncryption"]


def test_tags_first_then_only_in_scope_buckets(aws, make_bucket, recorder, tmp_path, collect):
    for index in range(6):
        make_bucket(aws, f"bucket-{index}", tags={"data-classification": "personal" if index < 2 else "internal"})
    make_bucket(aws, "untagged")
    pack = tmp_path / "pack.yaml"
    pack.write_text("""
apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: scoped, version: "1.0.0"}
rules:
  - id: ENC-1
    title: Personal data is encrypted
    severity: high
    resources: [aws.s3.bucket]
    when: {attr: tags.data-classification, equals: personal}
    require: {attr: encryption.at_rest, equals: true}
""")
    rules = [rule for p in load_packs([str(pack)]) for rule in p.rules]
    resources = collect({"regions": ["us-east-1"]}, {S3: rules[0].attributes()}, factory=recorder)
    findings = list(evaluate(rules, resources, evaluation_date=DAY, workers=4))
    assert sorted(f.resource.name for f in findings) == ["bucket-0", "bucket-1"]
    assert {f.result for f in findings} == {Result.FAIL}
    calls = Counter(recorder.operations("s3"))
    assert calls["GetBucketTagging"] == 7 and calls["GetBucketEncryption"] == 2


def test_kms_key_manager_is_read_once_per_key(aws, collect, make_bucket, recorder):
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    for name, config in (("cmk-1", {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}),
                         ("cmk-2", {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}),
                         ("aws-key", {"SSEAlgorithm": "aws:kms"}), ("sse-s3", {"SSEAlgorithm": "AES256"})):
        make_bucket(aws, name).put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": config}]})
    resources = collect({"regions": ["us-east-1"]}, {S3: {"encryption.key_management", "encryption.kms_key"}},
                        factory=recorder)
    found = {r.name: (r.get("encryption.key_management"), r.get("encryption.kms_key")) for r in resources}
    assert found == {"cmk-1": ("customer-managed", key), "cmk-2": ("customer-managed", key),
                     "aws-key": ("provider-managed", "alias/aws/s3"), "sse-s3": ("provider-managed", None)}
    assert recorder.operations("kms") == ["DescribeKey"]


def test_lifecycle_scoped_to_a_prefix_bounds_nothing(aws, collect, make_bucket):
    s3 = make_bucket(aws, "partial")
    s3.put_bucket_lifecycle_configuration(Bucket="partial", LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}},
        {"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 30}}]})
    [bucket] = collect({"regions": ["us-east-1"]}, {S3: {"retention.max_age_days", "retention.mechanism"}})
    assert bucket.get("retention.mechanism") == ["lifecycle"]
    assert bucket.get("retention.max_age_days") is None


def test_versioned_bucket_without_noncurrent_expiry_keeps_data_forever(aws, collect, make_bucket):
    s3 = make_bucket(aws, "versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(Bucket="versioned", LifecycleConfiguration={"Rules": [
        {"ID": "all", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]})
    [bucket] = collect({"regions": ["us-east-1"]}, None)
    assert bucket.get("raw.lifecycle_expiration_days") == 30
    assert bucket.get("retention.max_age_days") is None
    assert bucket.get("retention.soft_delete_days") is None


def test_region_filter_and_location_normalisation(aws, collect, make_bucket):
    make_bucket(aws, "in-frankfurt", "eu-central-1")
    make_bucket(aws, "in-virginia", "us-east-1")
    assert [r.name for r in collect({"regions": ["eu-central-1"]})] == ["in-frankfurt"]
    assert sorted(r.region for r in collect({"regions": ["eu-central-1", "us-east-1"]})) == ["eu-central-1",
                                                                                              "us-east-1"]
    assert normalise_location(None) == "us-east-1" and normalise_location("") == "us-east-1"
    assert normalise_location("EU") == "eu-west-1" and normalise_location("ap-south-1") == "ap-south-1"


def test_cloudtrail_data_events_count_as_access_logging(aws, collect, make_bucket):
    make_bucket(aws, "trail-logs")
    make_bucket(aws, "watched")
    make_bucket(aws, "unwatched")
    cloudtrail = aws.client("cloudtrail")
    cloudtrail.create_trail(Name="data", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    cloudtrail.put_event_selectors(TrailName="data", EventSelectors=[{"ReadWriteType": "All", "DataResources": [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::watched/"]}]}])
    cloudtrail.start_logging(Name="data")
    found = {r.name: r.get("logging.access_logging") for r in collect({"regions": ["us-east-1"]},
                                                                      {S3: {"logging.access_logging"}})}
    assert found == {"trail-logs": False, "watched": True, "unwatched": False}
