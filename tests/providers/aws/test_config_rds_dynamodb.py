"""RDS and DynamoDB facts from AWS Config (``source: config|auto``, ``--config-aggregator``): the same results as
the live API on the same estate, fewer requests, the live API (or unknown) for what an item lacks, and the
aggregator narrowed by ``--accounts`` / ``--exclude-accounts`` / ``--ou``.

moto's Config records no RDS or DynamoDB items, so Config is a local server speaking Config's JSON protocol
(tests/providers/aws/config_service.py) holding items in the documented shape; RDS, DynamoDB, KMS, STS and
Organizations are moto's, and the code under test calls all of them through boto3 as it would AWS.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from policycheck.errors import ConfigError
from policycheck.model import Unknown
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.aws import AwsProvider
from policycheck.providers.aws.config_items import to_record
from policycheck.providers.aws.dynamodb_config import answers
from policycheck.providers.aws.rds_config import description

from .config_service import ACCOUNT, ConfigService, config_service

TABLE = "aws.dynamodb.table"
INSTANCE = "aws.rds.instance"
CLUSTER = "aws.rds.cluster"
MEMBER = "210987654321"
REGION = "eu-central-1"
FRESHNESS = {"raw.collected_from", "raw.config_capture_time"}
#: DescribeTable keys Config spells otherwise (AWS::DynamoDB::Table.properties.json).
DYNAMODB_SPELLING = {"SSEDescription": "ssedescription", "SSEType": "ssetype", "KMSMasterKeyArn": "kmsmasterKeyArn"}
DESCRIBE_FIELDS = ("SSEDescription", "Replicas", "DeletionProtectionEnabled", "BillingModeSummary",
                   "TableClassSummary", "StreamSpecification")


@pytest.fixture
def service(aws, monkeypatch):
    with config_service() as running:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", running.url)
        yield running


def config_shape(value: Any, spelling: dict[str, str] | None = None) -> Any:
    """A Describe answer as Config records it: lowerCamelCase keys, timestamps as ISO strings."""
    names = spelling or {}
    if isinstance(value, dict):
        return {names.get(k, k[:1].lower() + k[1:]): config_shape(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [config_shape(v, names) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def of_account(value: Any, account: str) -> Any:
    """The same configuration as another account records it (its ARNs name that account)."""
    return json.loads(json.dumps(value).replace(ACCOUNT, account))


def record_tables(aws, service: ConfigService, region=REGION, account=ACCOUNT, **item):
    """Config's items of every table moto holds in the region (unset DescribeTable fields recorded as null)."""
    client = aws.client("dynamodb", region_name=region)
    for name in client.list_tables()["TableNames"]:
        table = client.describe_table(TableName=name)["Table"]
        for key in DESCRIBE_FIELDS:
            table.setdefault(key, None)
        backups = client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        service.record("AWS::DynamoDB::Table", name, of_account(config_shape(table, DYNAMODB_SPELLING), account),
                       region=region,
                       account=account, arn=table["TableArn"].replace(ACCOUNT, account),
                       supplementary={"ContinuousBackupsDescription": config_shape(backups)}, **item)


def record_databases(aws, service: ConfigService, region=REGION, account=ACCOUNT):
    client = aws.client("rds", region_name=region)
    for db in client.describe_db_instances()["DBInstances"]:
        db.pop("TagList", None)  # tags are the item's own field, which BatchGet does not return
        service.record("AWS::RDS::DBInstance", db["DBInstanceIdentifier"], of_account(config_shape(db), account),
                       region=region, account=account, resource_id=db["DbiResourceId"],
                       arn=db["DBInstanceArn"].replace(ACCOUNT, account))
    for db in client.describe_db_clusters()["DBClusters"]:
        db.pop("TagList", None)
        service.record("AWS::RDS::DBCluster", db["DBClusterIdentifier"], of_account(config_shape(db), account),
                       region=region,
                       account=account, resource_id=db["DbClusterResourceId"],
                       arn=db["DBClusterArn"].replace(ACCOUNT, account))


def tables(aws):
    client = aws.client("dynamodb", region_name=REGION)
    key = aws.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    schema = {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
              "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}
    client.create_table(TableName="tickets", **schema, Tags=[{"Key": "data-classification", "Value": "personal"}],
                        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                        DeletionProtectionEnabled=True)
    client.update_continuous_backups(TableName="tickets",
                                     PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    client.create_table(TableName="sessions", **schema, Tags=[{"Key": "purpose", "Value": "login"}])
    client.update_time_to_live(TableName="sessions", TimeToLiveSpecification={"Enabled": True,
                                                                               "AttributeName": "expires"})
    client.create_table(TableName="plain", **schema)


def databases(aws):
    rds = aws.client("rds", region_name=REGION)
    key = aws.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    base = {"DBInstanceClass": "db.t3.micro", "MasterUsername": "admin_user", "MasterUserPassword": "password-123",
            "AllocatedStorage": 20}
    rds.create_db_instance(DBInstanceIdentifier="crm", Engine="postgres", EngineVersion="14.10", StorageEncrypted=True,
                           KmsKeyId=key, BackupRetentionPeriod=14, DeletionProtection=True,
                           EnableCloudwatchLogsExports=["postgresql"], Tags=[{"Key": "data", "Value": "crm"}], **base)
    rds.create_db_instance(DBInstanceIdentifier="reporting", Engine="mysql", EngineVersion="8.0.35",
                           PubliclyAccessible=True, BackupRetentionPeriod=0, **base)
    rds.create_db_cluster(DBClusterIdentifier="orders", Engine="aurora-postgresql", MasterUsername="admin_user",
                          MasterUserPassword="password-123", StorageEncrypted=True, KmsKeyId=key,
                          Tags=[{"Key": "data", "Value": "orders"}])


def facts(resources):
    out = {}
    for resource in resources:
        resource.load()
        out[resource.id] = ({k: v for k, v in resource.known_attributes.items() if k not in FRESHNESS},
                            resource.tags, dict(resource.failed_groups))
    return out


def settings(**extra):
    return {"regions": [REGION], **extra}


def every(type_name):
    return {type_name: None}


# -- DynamoDB, one account -------------------------------------------------------------------------
def test_tables_from_config_match_the_live_api_with_fewer_requests(service, aws, collect, recorder):
    tables(aws)
    record_tables(aws, service)
    live_recorder = type(recorder)()
    live = collect(settings(), every(TABLE), factory=live_recorder)
    recorded = collect(settings(source="config"), every(TABLE), factory=recorder)
    assert facts(recorded) == facts(live) and len(live) == 3
    assert {r.get("raw.collected_from") for r in recorded} == {"config"}
    assert service.operations() == ["BatchGetResourceConfig"]
    dynamodb = recorder.operations("dynamodb")
    assert "DescribeTable" not in dynamodb and "DescribeContinuousBackups" not in dynamodb
    # Config records neither TTL nor the resource policy, and BatchGet items carry no tags: those stay live
    assert sorted(set(dynamodb)) == ["DescribeTimeToLive", "GetResourcePolicy", "ListTables", "ListTagsOfResource"]
    # two requests fewer per table (DescribeTable, DescribeContinuousBackups), one BatchGet for up to 100 tables
    assert len(recorder.calls) == len(live_recorder.calls) - 2 * 3 + 1


def test_a_stale_table_item_is_read_live(service, aws, collect, recorder):
    tables(aws)
    record_tables(aws, service, captured=dt.datetime.now(dt.UTC) - dt.timedelta(hours=30))
    recorded = collect(settings(source="config"), every(TABLE), factory=recorder)
    assert facts(recorded) == facts(collect(settings(), every(TABLE)))
    assert {r.get("raw.collected_from") for r in recorded} == {"api"}
    assert all(r.get("raw.config_capture_time") for r in recorded)
    assert recorder.operations("dynamodb").count("DescribeTable") == 3


def test_an_item_missing_a_describe_field_leaves_describe_to_the_live_api(service, aws, collect, recorder):
    """The schema does not promise deletionProtectionEnabled: without it, Config's answer is not DescribeTable's."""
    tables(aws)
    record_tables(aws, service)
    for item in service.items:
        item["configuration"] = item["configuration"].replace('"deletionProtectionEnabled"', '"unrelated"')
    [tickets] = [r for r in collect(settings(source="config"), {TABLE: {"deletion_protection.enabled",
                                                                        "backup.enabled"}}, factory=recorder)
                 if r.name == "tickets"]
    assert tickets.get("deletion_protection.enabled") is True and tickets.get("backup.enabled") is True
    assert recorder.operations("dynamodb") == ["ListTables", "DescribeTable"]  # backups still from Config


def test_a_table_config_does_not_hold_is_read_live(service, aws, collect, recorder):
    tables(aws)
    record_tables(aws, service)
    service.items = [i for i in service.items if i["resourceName"] != "plain"]
    found = {r.name: r for r in collect(settings(source="config"), {TABLE: {"backup.enabled"}})}
    assert found["plain"].get("backup.enabled") is False and found["plain"].get("raw.collected_from") == "api"
    assert found["tickets"].get("backup.enabled") is True


def test_config_denied_with_source_config_is_a_problem_and_with_auto_the_live_api(aws, collect, monkeypatch):
    tables(aws)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONFIG_SERVICE", "http://127.0.0.1:9")  # nothing listens: Config fails
    context = ProviderContext()
    assert collect({**settings(source="config"), "max_attempts": 1}, {TABLE: {"backup.enabled"}},
                   context=context) == []
    [problem] = context.problems
    assert "AWS Config: request failed" in problem.message and "config:BatchGetResourceConfig" in problem.message
    auto = collect({**settings(source="auto"), "max_attempts": 1}, {TABLE: {"backup.enabled"}})
    assert {r.name: r.get("backup.enabled") for r in auto} == {"tickets": True, "sessions": False, "plain": False}


# -- translations from the documented schema ------------------------------------------------------
def documented(configuration, supplementary=None, **extra):
    """An item as BatchGetResourceConfig returns it, with the schema's property names."""
    return {"configurationItemStatus": "OK", "configurationItemCaptureTime": dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
            "resourceId": "tickets", "resourceName": "tickets", "awsRegion": REGION, "accountId": ACCOUNT,
            "configuration": json.dumps(configuration),
            "supplementaryConfiguration": {k: json.dumps(v) for k, v in (supplementary or {}).items()}, **extra}


def test_documented_table_item_becomes_the_dynamodb_answers():
    record = to_record(documented({
        "tableName": "tickets", "ssedescription": {"status": "ENABLED", "ssetype": "KMS",
                                                   "kmsmasterKeyArn": "arn:aws:kms:eu-central-1:1:key/k"},
        "replicas": [{"regionName": "eu-west-1"}], "deletionProtectionEnabled": False,
        "billingModeSummary": {"billingMode": "PAY_PER_REQUEST"}, "tableClassSummary": None,
        "streamSpecification": None}, {"ContinuousBackupsDescription": {
            "continuousBackupsStatus": "ENABLED", "pointInTimeRecoveryDescription": {
                "pointInTimeRecoveryStatus": "DISABLED"}}}))
    found = answers(record)
    assert found["describe"]["Table"]["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS",
                                                            "KMSMasterKeyArn": "arn:aws:kms:eu-central-1:1:key/k"}
    assert found["describe"]["Table"]["Replicas"] == [{"RegionName": "eu-west-1"}]
    assert "TableClassSummary" not in found["describe"]["Table"]  # null: unset, as DescribeTable leaves it out
    assert found["backups"]["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"] == {
        "PointInTimeRecoveryStatus": "DISABLED"}
    assert "tags" not in found and "ttl" not in found and "policy" not in found


@pytest.mark.parametrize("pitr", [{"pointInTimeRecoveryStatus": "ENABLED"},  # the period is not recorded
                                  {"pointInTimeRecoveryStatus": "MAYBE"}, None])
def test_backups_config_cannot_give_whole_are_left_to_the_live_api(pitr):
    record = to_record(documented({"tableName": "tickets"}, {"ContinuousBackupsDescription": {
        "continuousBackupsStatus": "ENABLED", "pointInTimeRecoveryDescription": pitr}}))
    assert answers(record) == {}


@pytest.mark.parametrize("change", [{"configurationItemStatus": "ResourceDeleted"},
                                    {"configurationItemCaptureTime": None}, {"configuration": "{not json"},
                                    {"configurationItemCaptureTime": "2026-06-01T00:00:00"}])  # no zone
def test_deleted_undated_or_unreadable_items_are_not_used(change):
    assert to_record({**documented({"tableName": "t"}), **change}) is None


def test_documented_instance_item_becomes_the_describe_entry_and_unrecorded_fields_fail_closed():
    from policycheck.errors import CollectionError

    entry = description(to_record(documented({
        "dBInstanceIdentifier": "crm", "dBInstanceArn": "arn:aws:rds:eu-central-1:123456789012:db:crm",
        "storageEncrypted": True, "kmsKeyId": None, "iAMDatabaseAuthenticationEnabled": True, "multiAZ": False,
        "dBParameterGroups": [{"dBParameterGroupName": "crm-pg", "parameterApplyStatus": "in-sync"}]})))
    assert entry["DBInstanceArn"].endswith(":db:crm") and entry["IAMDatabaseAuthenticationEnabled"] is True
    assert entry["DBParameterGroups"] == [{"DBParameterGroupName": "crm-pg", "ParameterApplyStatus": "in-sync"}]
    assert entry.get("KmsKeyId") is None  # recorded as unset
    with pytest.raises(CollectionError, match="DeletionProtection is not recorded in the AWS Config item"):
        entry.get("DeletionProtection")


# -- an aggregator: RDS and DynamoDB of every account -------------------------------------------------
def aggregator(service, aws):
    service.aggregators.add("org")


def test_an_aggregator_gives_every_accounts_tables_and_databases(service, aws, collect, recorder):
    tables(aws)
    databases(aws)
    aggregator(service, aws)
    record_tables(aws, service)
    record_databases(aws, service)
    record_tables(aws, service, account=MEMBER)  # the member's estate is the same in this test
    record_databases(aws, service, account=MEMBER)
    needs = {TABLE: None, INSTANCE: None, CLUSTER: None}
    live = facts(collect(settings(), needs))
    found = collect(settings(source="config", config_aggregator="org"), needs, factory=recorder)
    own = facts([r for r in found if r.account == ACCOUNT])
    assert own == live  # the scanning account: identical to the live API
    members = {r.name + ":" + r.type: r for r in found if r.account == MEMBER}
    assert len(members) == len(own) == 6
    crm = members["crm:aws.rds.instance"]
    assert crm.id == f"arn:aws:rds:{REGION}:{MEMBER}:db:crm" and crm.get("raw.collected_from") == "config"
    assert crm.get("encryption.at_rest") is True and crm.get("backup.retention_days") == 14
    assert crm.get("deletion_protection.enabled") is True and crm.get("raw.engine") == "postgres"
    tls = crm.get("encryption.in_transit_enforced")  # parameter groups are not in Config: the member is unreachable
    assert isinstance(tls, Unknown) and f"account {MEMBER} is read only through aggregator org" in tls.reason
    assert isinstance(crm.get("tags.data"), Unknown)  # BatchGet items carry no tags: unknown, never untagged
    assert members["reporting:aws.rds.instance"].get("access.public") is True
    tickets = members["tickets:aws.dynamodb.table"]
    assert tickets.get("deletion_protection.enabled") is True and tickets.get("backup.enabled") is True
    assert tickets.get("raw.stream_enabled") is True
    assert isinstance(tickets.get("retention.mechanism"), Unknown)  # TTL: not recorded, member unreachable
    assert "AssumeRole" not in recorder.operations("sts")
    assert set(service.operations()) == {"ListAggregateDiscoveredResources", "BatchGetAggregateResourceConfig"}


def test_a_stale_member_item_leaves_its_facts_unknown(service, aws, collect):
    databases(aws)
    aggregator(service, aws)
    record_databases(aws, service, account=MEMBER)
    for item in service.items:
        item["configurationItemCaptureTime"] -= 30 * 3600
    [crm] = [r for r in collect(settings(source="config", config_aggregator="org"), {INSTANCE: None})
             if r.name == "crm"]
    at_rest = crm.get("encryption.at_rest")
    assert isinstance(at_rest, Unknown) and "older than --max-config-age" in at_rest.reason
    assert crm.get("raw.collected_from") == "api" and crm.get("raw.config_capture_time")


def test_an_unknown_aggregator_is_a_problem_for_rds_too(service, aws, collect):
    databases(aws)
    context = ProviderContext()
    assert collect(settings(source="config", config_aggregator="missing"), {INSTANCE: None}, context=context) == []
    [problem] = context.problems
    assert "AWS Config aggregator missing: NoSuchConfigurationAggregatorException" in problem.message
    auto = collect(settings(source="auto", config_aggregator="missing"), {INSTANCE: None})
    assert {r.name for r in auto} == {"crm", "reporting"}  # the scanning account's own, live


# -- B: narrowing an aggregator to accounts --------------------------------------------------------
THIRD = "345678901234"


def three_accounts(service, aws):
    tables(aws)
    aggregator(service, aws)
    for account in (ACCOUNT, MEMBER, THIRD):
        record_tables(aws, service, account=account)


def listed_accounts(resources):
    return sorted({r.account for r in resources})


def account_filters(service):
    return [body.get("Filters", {}).get("AccountId") for op, body in service.requests
            if op == "ListAggregateDiscoveredResources"]


def test_accounts_narrow_the_aggregator_at_the_source(service, aws, collect):
    three_accounts(service, aws)
    found = collect(settings(source="config", config_aggregator="org", accounts=[MEMBER, THIRD]), {TABLE: None})
    assert listed_accounts(found) == sorted([MEMBER, THIRD]) and len(found) == 6
    assert account_filters(service) == sorted([MEMBER, THIRD])  # asked per account, not filtered afterwards


def test_exclude_accounts_drop_accounts_of_the_aggregator(service, aws, collect):
    three_accounts(service, aws)
    found = collect(settings(source="config", config_aggregator="org", exclude_accounts=[MEMBER]), {TABLE: None})
    assert listed_accounts(found) == sorted([ACCOUNT, THIRD])
    service.requests.clear()
    both = collect(settings(source="config", config_aggregator="org", accounts=[MEMBER, THIRD],
                            exclude_accounts=[MEMBER]), {TABLE: None})
    assert listed_accounts(both) == [THIRD] and account_filters(service) == [THIRD]


def test_ou_narrows_the_aggregator_to_the_ou_accounts(service, aws, collect, make_bucket):
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="emea")["OrganizationalUnit"]["Id"]
    inside = org.create_account(Email="emea@example.com", AccountName="emea")["CreateAccountStatus"]["AccountId"]
    outside = org.create_account(Email="us@example.com", AccountName="us")["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=inside, SourceParentId=root, DestinationParentId=ou)
    tables(aws)
    aggregator(service, aws)
    for account in (inside, outside):
        record_tables(aws, service, account=account)
    found = collect(settings(source="config", config_aggregator="org", ous=[ou]), {TABLE: None})
    assert listed_accounts(found) == [inside]


def test_s3_aggregator_reads_honour_the_account_flags(aws, collect, make_bucket):
    """S3 through moto's own Config aggregator (it aggregates the caller's account only)."""
    make_bucket(aws, "tickets", tags={"data": "x"})
    aws.client("config").put_configuration_aggregator(ConfigurationAggregatorName="org", AccountAggregationSources=[
        {"AccountIds": [ACCOUNT], "AllAwsRegions": True}])
    s3 = {"aws.s3.bucket": {"tags.any"}}
    base = {"regions": ["us-east-1"], "source": "config", "config_aggregator": "org"}
    assert [r.name for r in collect(base, s3)] == ["tickets"]
    assert collect({**base, "exclude_accounts": [ACCOUNT]}, s3) == []
    assert collect({**base, "accounts": [MEMBER]}, s3) == []


def test_permissions_name_config_reads_for_tables_and_ou_lookups_for_an_aggregator():
    plan = CollectPlan(needs={TABLE: frozenset({"backup.enabled"})})
    provider = AwsProvider(settings(source="config"), ProviderContext())
    assert "config:BatchGetResourceConfig" in provider.permissions(plan)
    rds_plan = CollectPlan(needs={INSTANCE: frozenset({"backup.enabled"})})
    actions = AwsProvider(settings(source="config", config_aggregator="org", ous=["ou-abcd-12345678"]),
                          ProviderContext()).permissions(rds_plan)
    assert {"config:ListAggregateDiscoveredResources", "config:BatchGetAggregateResourceConfig",
            "organizations:ListAccountsForParent"} <= set(actions)
    assert not any(a.startswith("config:") for a in AwsProvider(settings(source="config"),
                                                                ProviderContext()).permissions(rds_plan))


def test_ou_without_org_role_or_aggregator_is_refused():
    with pytest.raises(ConfigError, match="--ou narrows the accounts of --org-role or --config-aggregator"):
        AwsProvider({"ous": ["ou-abcd-12345678"]}, ProviderContext())
