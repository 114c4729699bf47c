"""``policycheck demo``: a customer-service estate in moto (in-process), no AWS account needed.

Ticket attachments, call recordings, chat transcripts, a CRM database, an outsourced call
centre's export bucket and more, in EU and non-EU regions, some of them misconfigured the way
real estates are. The estate is data (the tables below); :func:`build` turns it into API calls.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

ACCOUNT = "123456789012"
PROCESSOR_ACCOUNT = "444455556666"  # the outsourced call centre's own AWS account
REGIONS = ("eu-central-1", "eu-west-1", "us-east-1", "ap-south-1")
OWNER = "cs-platform-team"


def _tags(classification: str, purpose: str | None = None, categories: str | None = None,
          retention: int | None = None, **extra: str) -> dict[str, str]:
    tags = {"data-classification": classification, "data-owner": OWNER}
    if purpose:
        tags["purpose"] = purpose
    if categories:
        tags["data-categories"] = categories
    if retention is not None:
        tags["retention-days"] = str(retention)
    tags.update({k.replace("_", "-"): v for k, v in extra.items()})
    return tags


#: name -> settings. encryption: cmk | aws-kms | aes256 | None; expire/noncurrent: lifecycle days;
#: logging: the bucket receiving the access logs.
BUCKETS: dict[str, dict[str, Any]] = {
    "acme-cs-access-logs": dict(  # first: the others log into the log bucket of their region
        region="eu-central-1", encryption="aes256", block=True, expire=90, log_target=True, tags=_tags("internal")),
    "acme-cs-access-logs-dublin": dict(
        region="eu-west-1", encryption="aes256", block=True, expire=90, log_target=True, tags=_tags("internal")),
    "acme-cs-ticket-attachments": dict(
        region="eu-central-1", encryption="cmk", block=True, versioning=True, expire=335, noncurrent=30,
        logging="acme-cs-access-logs", tls=True,
        tags=_tags("personal", "customer-support", "name email order customer-id", 365)),
    "acme-cs-call-recordings": dict(  # AWS-managed key for sensitive data, expiry longer than declared, no logs,
        # consent claimed without a consent record, no DPIA for monitoring agents' calls
        region="eu-west-1", encryption="aws-kms", block=True, expire=180, tls=True,
        tags=_tags("sensitive", "quality-assurance", "voice+phone+customer-id", 90, legal_basis="consent")),
    "acme-cs-chat-transcripts-us": dict(  # third country, bank details in chats, nothing expires
        region="us-east-1", encryption="aes256", block=True, versioning=True,
        tags=_tags("personal", "customer-support", "name email chat bank-details", 180)),
    "acme-callcentre-exports": dict(  # processor without DPA, replicated to India, TLS not enforced
        region="eu-west-1", encryption="cmk", block=False, versioning=True, expire=30, noncurrent=7,
        logging="acme-cs-access-logs-dublin",
        processor_access=True, replicate_to="acme-callcentre-exports-mumbai",
        tags=_tags("personal", "customer-support", "name phone customer-id order", 30, processor="telecare-bpo")),
    "acme-callcentre-exports-mumbai": dict(
        region="ap-south-1", encryption="aes256", block=True, versioning=True, expire=30, noncurrent=7,
        tags=_tags("personal", "customer-support", "name phone customer-id order", 30, processor="telecare-bpo",
                   dpa_reference="DPA-2024-031", transfer_mechanism="scc")),  # SCC, but no transfer impact assessment
    "acme-crm-migration-2019": dict(  # purpose ended long ago, still there, and public
        region="eu-central-1", encryption=None, block=False, public_acl=True,
        tags=_tags("personal", "customer-relationship", "name email address customer-id", 365,
                   purpose_ends="2020-06-30")),
    "acme-help-centre-assets": dict(  # public on purpose: no personal data
        region="eu-central-1", encryption="aes256", block=False, public_policy=True, tags=_tags("public")),
    "acme-tmp-export-2023": dict(region="eu-west-1", encryption="aes256", block=True, tags={}),  # nobody knows
}

PARAMETER_GROUPS = {  # (region, name, family, parameters)
    ("eu-central-1", "crm-postgres16", "postgres16", (("rds.force_ssl", "1"),)),
    ("us-east-1", "crm-postgres16", "postgres16", (("rds.force_ssl", "1"),)),
    ("eu-central-1", "reporting-mysql80", "mysql8.0", ()),
}

DATABASES: dict[str, dict[str, Any]] = {
    "crm-postgres": dict(
        region="eu-central-1", engine="postgres", version="16.3", parameter_group="crm-postgres16", cmk=True,
        backup_days=14, deletion_protection=True, log_exports=["postgresql"], replica_in="us-east-1",
        tags=_tags("sensitive", "customer-relationship", "name email phone address customer-id order bank-details",
                   3650, deletion_job="crm-retention-job")),
    "callcentre-reporting": dict(  # public endpoint, unencrypted, no TLS
        region="eu-central-1", engine="mysql", version="8.0.35", parameter_group="reporting-mysql80", cmk=False,
        encrypted=False, public=True, backup_days=7,
        tags=_tags("personal", "service-analytics", "customer-id order feedback", 730, pseudonymised="true")),
}

CLUSTERS: dict[str, dict[str, Any]] = {
    "ticketing-aurora": dict(  # encrypted with the AWS-managed key, TLS not required
        region="eu-west-1", engine="aurora-mysql", version="8.0.mysql_aurora.3.05.2", backup_days=7,
        tags=_tags("personal", "complaint-handling", "name email order customer-id feedback", 1095,
                   deletion_job="ticket-archiver")),
}

TABLES: dict[str, dict[str, Any]] = {
    "cs-chat-sessions": dict(
        region="eu-central-1", cmk=True, ttl="expires_at", pitr=True, tls=True,
        tags=_tags("personal", "customer-support", "chat customer-id", 30, deletion_job="ttl-expires_at")),
    "customer-contact-preferences": dict(  # US region, no backups, nothing deletes
        region="us-east-1", cmk=False, tags=_tags("personal", "customer-relationship", "email phone customer-id", 365)),
}

#: Environment for the in-process mock: fake credentials, no user profile or endpoint leaking in.
DEMO_ENV = {
    "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_SESSION_TOKEN": "demo",
    "AWS_DEFAULT_REGION": "eu-central-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")


@contextmanager
def demo_estate() -> Iterator[dict[str, Any]]:
    """Start moto in-process, build the estate, yield the provider config; everything vanishes on exit."""
    from moto import mock_aws

    with mock.patch.dict(os.environ, DEMO_ENV):
        for key in [k for k in os.environ if k in CLEARED or k.startswith("AWS_ENDPOINT_URL_")]:
            del os.environ[key]
        with mock_aws():
            import boto3

            build(boto3.Session(region_name="eu-central-1"))
            yield {"regions": list(REGIONS)}


def build(session: Any) -> None:
    keys = {region: session.client("kms", region_name=region).create_key(
        Description="customer-service data")["KeyMetadata"]["Arn"] for region in REGIONS}
    for name, spec in BUCKETS.items():
        _bucket(session, name, spec, keys[spec["region"]])
    for name, spec in BUCKETS.items():
        if spec.get("replicate_to"):
            _replication(session, name, spec)
    for region, name, family, parameters in PARAMETER_GROUPS:
        _parameter_group(session.client("rds", region_name=region), name, family, parameters)
    for name, spec in DATABASES.items():
        _database(session, name, spec, keys[spec["region"]])
    for name, spec in CLUSTERS.items():
        _cluster(session, name, spec)
    for name, spec in TABLES.items():
        _table(session, name, spec, keys[spec["region"]])
    _data_event_trail(session)


def _bucket(session: Any, name: str, spec: dict[str, Any], key: str) -> None:
    region = spec["region"]
    s3 = session.client("s3", region_name=region)
    s3.create_bucket(Bucket=name, **({} if region == "us-east-1" else
                                     {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    if spec["tags"]:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tag_list(spec["tags"])})
    encryption = {"cmk": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                  "aws-kms": {"SSEAlgorithm": "aws:kms"}, "aes256": {"SSEAlgorithm": "AES256"}}.get(spec["encryption"])
    if encryption:
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": encryption, "BucketKeyEnabled": True}]})
    if spec.get("block"):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True))
    if spec.get("versioning"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if spec.get("expire"):
        rule: dict[str, Any] = {"ID": "retention", "Status": "Enabled", "Filter": {},
                                "Expiration": {"Days": spec["expire"]}}
        if spec.get("noncurrent"):
            rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": spec["noncurrent"]}
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [rule]})
    if spec.get("logging"):
        s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": spec["logging"], "TargetPrefix": f"{name}/"}})
    if spec.get("public_acl"):
        s3.put_bucket_acl(Bucket=name, ACL="public-read")
    statements = _statements(name, spec)
    if statements:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def _statements(name: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    arn = f"arn:aws:s3:::{name}"
    statements = []
    if spec.get("tls"):
        statements.append({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                           "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    if spec.get("log_target"):
        statements.append({"Sid": "S3ServerAccessLogs", "Effect": "Allow",
                           "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                           "Resource": f"{arn}/*", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})
    if spec.get("public_policy"):
        statements.append({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": f"{arn}/*"})
    if spec.get("processor_access"):
        statements.append({"Sid": "CallCentreExport", "Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{PROCESSOR_ACCOUNT}:root"},
                           "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": [arn, f"{arn}/*"]})
    return statements


def _replication(session: Any, name: str, spec: dict[str, Any]) -> None:
    session.client("s3", region_name=spec["region"]).put_bucket_replication(Bucket=name, ReplicationConfiguration={
        "Role": f"arn:aws:iam::{ACCOUNT}:role/s3-replication",
        "Rules": [{"ID": "to-backup-site", "Status": "Enabled", "Priority": 1, "Filter": {},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": f"arn:aws:s3:::{spec['replicate_to']}"}}]})


def _parameter_group(rds: Any, name: str, family: str, parameters: tuple[tuple[str, str], ...]) -> None:
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family,
                                  Description="customer-service databases")
    if parameters:
        rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=[
            {"ParameterName": k, "ParameterValue": v, "ApplyMethod": "immediate"} for k, v in parameters])


def _database(session: Any, name: str, spec: dict[str, Any], key: str) -> None:
    rds = session.client("rds", region_name=spec["region"])
    encrypted = spec.get("encrypted", True)
    extra = {"StorageEncrypted": True, "KmsKeyId": key if spec["cmk"] else "alias/aws/rds"} if encrypted else {}
    rds.create_db_instance(
        DBInstanceIdentifier=name, Engine=spec["engine"], EngineVersion=spec["version"], DBInstanceClass="db.t3.medium",
        MasterUsername="admin_user", MasterUserPassword="demo-password-1", AllocatedStorage=50,
        DBParameterGroupName=spec["parameter_group"], BackupRetentionPeriod=spec["backup_days"],
        DeletionProtection=spec.get("deletion_protection", False), PubliclyAccessible=spec.get("public", False),
        EnableCloudwatchLogsExports=spec.get("log_exports", []), Tags=_tag_list(spec["tags"]), **extra)
    if spec.get("replica_in"):
        session.client("rds", region_name=spec["replica_in"]).create_db_instance_read_replica(
            DBInstanceIdentifier=f"{name}-replica", DBInstanceClass="db.t3.medium",
            SourceDBInstanceIdentifier=f"arn:aws:rds:{spec['region']}:{ACCOUNT}:db:{name}",
            Tags=_tag_list({**spec["tags"], "purpose": "customer-relationship"}))


def _cluster(session: Any, name: str, spec: dict[str, Any]) -> None:
    rds = session.client("rds", region_name=spec["region"])
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=f"{name}-params",
                                          DBParameterGroupFamily="aurora-mysql8.0", Description="ticketing")
    rds.create_db_cluster(DBClusterIdentifier=name, Engine=spec["engine"], EngineVersion=spec["version"],
                          MasterUsername="admin_user", MasterUserPassword="demo-password-1", StorageEncrypted=True,
                          KmsKeyId="alias/aws/rds", DBClusterParameterGroupName=f"{name}-params",
                          BackupRetentionPeriod=spec["backup_days"], Tags=_tag_list(spec["tags"]))
    rds.create_db_instance(DBInstanceIdentifier=f"{name}-1", DBClusterIdentifier=name, Engine=spec["engine"],
                           DBInstanceClass="db.r6g.large")


def _table(session: Any, name: str, spec: dict[str, Any], key: str) -> None:
    region = spec["region"]
    dynamodb = session.client("dynamodb", region_name=region)
    sse = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key} if spec["cmk"] else {"Enabled": False}
    dynamodb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST", SSESpecification=sse, Tags=_tag_list(spec["tags"]))
    if spec.get("ttl"):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                             "AttributeName": spec["ttl"]})
    if spec.get("pitr"):
        dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
    if spec.get("tls"):
        arn = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"
        dynamodb.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "dynamodb:*",
             "Resource": arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))


def _data_event_trail(session: Any) -> None:
    """A multi-region trail recording reads and writes of the chat-session table (its access log)."""
    cloudtrail = session.client("cloudtrail", region_name="eu-central-1")
    cloudtrail.create_trail(Name="acme-data-events", S3BucketName="acme-cs-access-logs", IsMultiRegionTrail=True)
    table = f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/cs-chat-sessions"
    cloudtrail.put_event_selectors(TrailName="acme-data-events", AdvancedEventSelectors=[{
        "Name": "chat-session-table", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]},
            {"Field": "resources.ARN", "Equals": [table]}]}])
    cloudtrail.start_logging(Name="acme-data-events")


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]
