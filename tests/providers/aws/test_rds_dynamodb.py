"""RDS instances, Aurora clusters and DynamoDB tables on the shared vocabulary."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from policycheck.providers.aws.rds_tls import tls_parameter

ACCOUNT = "123456789012"


def parameter_group(rds, name, family, parameters=None):
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family, Description=name)
    if parameters:
        rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=[
            {"ParameterName": k, "ParameterValue": v, "ApplyMethod": "immediate"} for k, v in parameters.items()])


def instance(rds, name, **extra):
    settings = {"Engine": "postgres", "EngineVersion": "14.10", "DBInstanceClass": "db.t3.micro",
                "MasterUsername": "admin_user", "MasterUserPassword": "password-123", "AllocatedStorage": 20}
    rds.create_db_instance(DBInstanceIdentifier=name, **{**settings, **extra})


def test_rds_instance_attributes(aws, collect):
    rds = aws.client("rds", region_name="eu-central-1")
    key = aws.client("kms", region_name="eu-central-1").create_key()["KeyMetadata"]["Arn"]
    parameter_group(rds, "crm-pg", "postgres14", {"rds.force_ssl": "1"})
    parameter_group(aws.client("rds", region_name="us-east-1"), "crm-pg", "postgres14")
    instance(rds, "crm", StorageEncrypted=True, KmsKeyId=key, DBParameterGroupName="crm-pg",
             BackupRetentionPeriod=14, DeletionProtection=True, EnableCloudwatchLogsExports=["postgresql"],
             Tags=[{"Key": "data-classification", "Value": "sensitive"}])
    aws.client("rds", region_name="us-east-1").create_db_instance_read_replica(
        DBInstanceIdentifier="crm-replica", DBInstanceClass="db.t3.micro",
        SourceDBInstanceIdentifier=f"arn:aws:rds:eu-central-1:{ACCOUNT}:db:crm")
    instance(rds, "reporting", Engine="mysql", EngineVersion="8.0.35", PubliclyAccessible=True,
             BackupRetentionPeriod=0)
    found = {r.name: r for r in collect({"regions": ["eu-central-1", "us-east-1"]}, {"aws.rds.instance": None})}
    crm = found["crm"]
    crm.load()
    assert crm.failed_groups == {}
    assert crm.id == f"arn:aws:rds:eu-central-1:{ACCOUNT}:db:crm" and crm.tags == {"data-classification": "sensitive"}
    assert crm.get("encryption.at_rest") is True and crm.get("encryption.key_management") == "customer-managed"
    assert crm.get("encryption.in_transit_enforced") is True and crm.get("raw.parameter_group") == "crm-pg"
    assert crm.get("backup.enabled") is True and crm.get("backup.retention_days") == 14
    assert crm.get("deletion_protection.enabled") is True and crm.get("logging.access_logging") is True
    assert crm.get("replication.regions") == ["us-east-1"]
    assert crm.get("replication.jurisdictions") == ["adequacy-dpf"]
    assert crm.get("location.jurisdiction") == "EU" and crm.get("retention.mechanism") == []
    reporting = found["reporting"]
    assert reporting.get("access.public") is True and reporting.get("access.public_via") == ["endpoint"]
    assert reporting.get("encryption.at_rest") is False and reporting.get("encryption.key_management") == "none"
    assert reporting.get("encryption.in_transit_enforced") is False
    assert reporting.get("backup.enabled") is False
    assert found["crm-replica"].region == "us-east-1"


def test_aurora_cluster_covers_its_instances(aws, collect, recorder):
    rds = aws.client("rds", region_name="eu-west-1")
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="tls", DBParameterGroupFamily="aurora-mysql8.0",
                                          Description="tls")
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="tls", Parameters=[
        {"ParameterName": "require_secure_transport", "ParameterValue": "ON", "ApplyMethod": "immediate"}])
    rds.create_db_cluster(DBClusterIdentifier="tickets", Engine="aurora-mysql", MasterUsername="admin_user",
                          MasterUserPassword="password-123", StorageEncrypted=True, KmsKeyId="alias/aws/rds",
                          DBClusterParameterGroupName="tls", BackupRetentionPeriod=7,
                          Tags=[{"Key": "purpose", "Value": "complaint-handling"}])
    rds.create_db_instance(DBInstanceIdentifier="tickets-1", DBClusterIdentifier="tickets", Engine="aurora-mysql",
                           DBInstanceClass="db.r6g.large", PubliclyAccessible=True)
    needs = {"aws.rds.instance": {"encryption.at_rest"},
             "aws.rds.cluster": {"access.public", "encryption.in_transit_enforced", "encryption.key_management",
                                 "replication.regions", "tags.purpose"}}
    resources = collect({"regions": ["eu-west-1"]}, needs, factory=recorder)
    [cluster] = resources  # the member instance is covered by its cluster
    assert cluster.type == "aws.rds.cluster" and cluster.tags == {"purpose": "complaint-handling"}
    assert cluster.get("access.public") is True and cluster.get("access.public_via") == ["endpoint"]
    assert cluster.get("encryption.in_transit_enforced") is True
    assert cluster.get("encryption.key_management") == "provider-managed"
    assert cluster.get("replication.regions") == []
    assert cluster.get("raw.members") == ["tickets-1"]
    assert Counter(recorder.operations("rds"))["DescribeDBInstances"] == 1  # shared by the listing and the cluster


@pytest.mark.parametrize(("engine", "version", "value", "enforced"), [
    ("postgres", "14.10", None, False), ("postgres", "15.4", None, True), ("postgres", "16.1", "0", False),
    ("mysql", "8.0.35", "ON", True), ("mariadb", "10.11", "1", True), ("mysql", "8.0.35", None, False),
    ("sqlserver-ee", "16.00", "1", True), ("aurora-postgresql", "15.4", None, False), ("docdb", "5.0", None, True),
])
def test_tls_parameter_table(engine, version, value, enforced):
    assert tls_parameter(engine).enforced(value, version) is enforced


def test_engine_without_tls_parameter_is_unknown(aws, collect):
    rds = aws.client("rds", region_name="eu-central-1")
    instance(rds, "legacy", Engine="oracle-ee", EngineVersion="19.0.0.0.ru-2024-01.rur-2024-01.r1",
             LicenseModel="bring-your-own-license")
    [db] = collect({"regions": ["eu-central-1"]}, {"aws.rds.instance": {"encryption.in_transit_enforced"}})
    unknown = db.get("encryption.in_transit_enforced")
    assert type(unknown).__name__ == "Unknown" and "oracle-ee" in unknown.reason


def test_dynamodb_table_attributes(aws, collect, recorder):
    client = aws.client("dynamodb", region_name="eu-central-1")
    key = aws.client("kms", region_name="eu-central-1").create_key()["KeyMetadata"]["Arn"]
    schema = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
              "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}
    client.create_table(TableName="chat", SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
                        Tags=[{"Key": "data-classification", "Value": "personal"}], DeletionProtectionEnabled=True,
                        **schema)
    client.update_time_to_live(TableName="chat", TimeToLiveSpecification={"Enabled": True,
                                                                         "AttributeName": "expires"})
    client.update_continuous_backups(TableName="chat", PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    arn = f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/chat"
    client.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*", "Resource": arn,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    client.create_table(TableName="prefs", **schema)
    found = {r.name: r for r in collect({"regions": ["eu-central-1"]}, {"aws.dynamodb.table": None},
                                        factory=recorder)}
    assert recorder.operations("dynamodb") == ["ListTables"]  # nothing else until an attribute is read
    chat = found["chat"]
    chat.load()
    assert chat.failed_groups == {}
    assert chat.id == arn and chat.tags == {"data-classification": "personal"}
    assert chat.get("encryption.key_management") == "customer-managed" and chat.get("encryption.kms_key") == key
    assert chat.get("backup.enabled") is True and chat.get("backup.retention_days") == 35
    assert chat.get("retention.mechanism") == ["ttl"] and chat.get("raw.ttl_attribute") == "expires"
    assert chat.get("retention.max_age_days") is None  # TTL deletes only items that carry the attribute
    assert chat.get("encryption.in_transit_enforced") is True and chat.get("access.public") is False
    assert chat.get("deletion_protection.enabled") is True
    prefs = found["prefs"]
    assert prefs.get("encryption.at_rest") is True and prefs.get("encryption.key_management") == "provider-managed"
    assert prefs.get("raw.sse_type") == "AWS_OWNED"
    assert prefs.get("backup.enabled") is False and prefs.get("retention.mechanism") == []
    assert prefs.get("encryption.in_transit_enforced") is False


def test_a_parameter_group_pending_reboot_leaves_tls_unknown():
    from types import SimpleNamespace

    from policycheck.errors import CollectionError
    from policycheck.providers.aws.rds import _instance_tls

    pending = SimpleNamespace(data={"DBParameterGroups": [
        {"DBParameterGroupName": "crm-force-ssl", "ParameterApplyStatus": "pending-reboot"}]})
    with pytest.raises(CollectionError, match="pending a reboot"):
        _instance_tls(pending)


@pytest.mark.parametrize(("condition", "covered"), [
    ({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::acme-cs-exports/"]}, True),
    ({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::other-bucket/"]}, False),
    ({"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::other-bucket/"]}, True),
    ({"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::acme-cs-exports/private/"]}, False),
    ({"Field": "resources.ARN", "NotEquals": ["arn:aws:s3:::acme-cs-exports/secret.csv"]}, False),
    ({"Field": "resources.ARN", "NotEndsWith": [".tmp"]}, False),
    ({"Field": "resources.ARN", "Matches": [".*"]}, False),  # an operator we do not know: not covered
])
def test_advanced_selector_arn_conditions_cover_every_read_or_nothing(condition, covered):
    from policycheck.providers.aws.cloudtrail import _arn_matches

    assert _arn_matches(condition, "arn:aws:s3:::acme-cs-exports/") is covered
