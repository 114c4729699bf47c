"""DynamoDB tables: listed by name per region; tags, description, backups, TTL and policy on demand.

Access logging means CloudTrail data events on the table. DynamoDB's block public access is
always on (a public resource policy cannot be attached), so ``access.public_access_blocked``
is true; ``access.public`` is still read from the policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policycheck.attributes import AttributeSpec as A
from policycheck.errors import CollectionError
from policycheck.model import Resource

from . import dynamodb_config
from .calls import Answers, api, call, paginate
from .cloudtrail import APIS as TRAIL_APIS
from .cloudtrail import logs_reads
from .config_items import EVERY_ACCOUNT, FRESHNESS, Record, aggregated, freshness, member_scope, recorded
from .groups import Group, TypeSpec, fetchers, resource_type
from .s3_policy import NO_POLICY, PolicyVerdict, evaluate_policy
from .scope import DESCRIBE_ORGANIZATION, KMS_DESCRIBE_KEY, Scope, location, replication

TYPE_NAME = "aws.dynamodb.table"
DEFAULT_PITR_DAYS = 35

LIST_TABLES = api("dynamodb", "ListTables", "dynamodb:ListTables")
APIS = {
    "describe": api("dynamodb", "DescribeTable", "dynamodb:DescribeTable"),
    "tags": api("dynamodb", "ListTagsOfResource", "dynamodb:ListTagsOfResource"),
    "backups": api("dynamodb", "DescribeContinuousBackups", "dynamodb:DescribeContinuousBackups"),
    "ttl": api("dynamodb", "DescribeTimeToLive", "dynamodb:DescribeTimeToLive"),
    "policy": api("dynamodb", "GetResourcePolicy", "dynamodb:GetResourcePolicy", "PolicyNotFoundException"),
}


class Table:
    __slots__ = ("answers", "arn", "name", "region", "scope")

    def __init__(self, scope: Scope, region: str, name: str):
        self.scope = scope
        self.region = region
        self.name = name
        self.arn = table_arn(scope, scope.account, region, name)
        self.answers = Answers(self._fetch)

    def _fetch(self, key: str) -> Any:
        client = self.scope.client("dynamodb", self.region)
        if key == "tags":
            return paginate(client, APIS["tags"], "Tags", "NextToken", "NextToken", ResourceArn=self.arn)
        if key == "policy":
            return call(client, APIS["policy"], ResourceArn=self.arn)
        return call(client, APIS[key], TableName=self.name)

    @property
    def table(self) -> dict[str, Any]:
        """DescribeTable's ``Table``; an answer without one is unknown, not an empty (passing) table."""
        table = (self.answers["describe"] or {}).get("Table")
        if not table:
            raise CollectionError("DescribeTable answered without a Table", action="dynamodb:DescribeTable")
        return table

    def policy(self) -> PolicyVerdict:
        document = (self.answers["policy"] or {}).get("Policy")
        if not document:
            return NO_POLICY
        return evaluate_policy(document, service="dynamodb", resources=[self.arn], own_account=self.scope.account)


# -- group derivations ---------------------------------------------------------------------------
def _tags(t: Table) -> dict[str, Any]:
    return {"tags": {tag["Key"]: tag["Value"] for tag in t.answers["tags"]}}


def _describe(t: Table) -> dict[str, Any]:
    table = t.table
    sse = table.get("SSEDescription") or {}
    kms = sse.get("SSEType") == "KMS" and sse.get("Status") in ("ENABLED", "ENABLING", "UPDATING")
    stream = table.get("StreamSpecification") or {}
    return {
        "encryption.at_rest": True,  # always: with an AWS owned key when no KMS key is set
        "encryption.kms_key": sse.get("KMSMasterKeyArn") if kms else None,
        **replication([r["RegionName"] for r in table.get("Replicas") or [] if r.get("RegionName") != t.region]),
        "deletion_protection.enabled": bool(table.get("DeletionProtectionEnabled")),
        "raw.sse_type": "KMS" if kms else "AWS_OWNED",
        "raw.billing_mode": (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
        "raw.table_class": (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD"),
        "raw.stream_enabled": bool(stream.get("StreamEnabled")),
    }


def _key_management(t: Table) -> dict[str, Any]:
    sse = t.table.get("SSEDescription") or {}
    if sse.get("SSEType") != "KMS":
        return {"encryption.key_management": "provider-managed"}
    return {"encryption.key_management": t.scope.key_management(sse.get("KMSMasterKeyArn"), t.region)}


def _backups(t: Table) -> dict[str, Any]:
    description = (t.answers["backups"] or {}).get("ContinuousBackupsDescription") or {}
    pitr = description.get("PointInTimeRecoveryDescription") or {}
    enabled = pitr.get("PointInTimeRecoveryStatus") == "ENABLED"
    days = pitr.get("RecoveryPeriodInDays") or DEFAULT_PITR_DAYS
    return {"backup.enabled": enabled, "backup.retention_days": days if enabled else 0}


def _ttl(t: Table) -> dict[str, Any]:
    description = (t.answers["ttl"] or {}).get("TimeToLiveDescription") or {}
    enabled = description.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    return {"retention.mechanism": ["ttl"] if enabled else [], "retention.max_age_days": None,
            "raw.ttl_attribute": description.get("AttributeName") if enabled else None}


def _policy(t: Table) -> dict[str, Any]:
    verdict = t.policy()
    return {"access.public": verdict.public, "access.public_via": ["policy"] if verdict.public else [],
            "encryption.in_transit_enforced": verdict.tls_enforced, "raw.policy_accounts": list(verdict.accounts)}


def _external(t: Table) -> dict[str, Any]:
    """Other accounts and organisations the resource policy lets in (GetResourcePolicy)."""
    verdict = t.policy()
    found = set(verdict.external)
    if verdict.organisations:
        own = t.scope.organisation()
        found |= {org for org in verdict.organisations if org != own}
    return {"access.external_principals": sorted(found)}


def _logging(t: Table) -> dict[str, Any]:
    return {"logging.access_logging": logs_reads(t.scope, t.region, "dynamodb", t.arn)}


GROUPS: dict[str, Group] = {
    "tags": Group(("tags",), (APIS["tags"],), _tags),
    "describe": Group(("encryption.at_rest", "encryption.kms_key", "replication.*", "deletion_protection.enabled",
                       "raw.sse_type", "raw.billing_mode", "raw.table_class", "raw.stream_enabled"),
                      (APIS["describe"],), _describe),
    "key_management": Group(("encryption.key_management",), (APIS["describe"], KMS_DESCRIBE_KEY), _key_management),
    "backups": Group(("backup.*",), (APIS["backups"],), _backups),
    "ttl": Group(("retention.mechanism", "retention.max_age_days", "raw.ttl_attribute"), (APIS["ttl"],), _ttl),
    "policy": Group(("access.public", "access.public_via", "encryption.in_transit_enforced", "raw.policy_accounts"),
                    (APIS["policy"],), _policy),
    "external": Group(("access.external_principals",), (APIS["policy"], DESCRIBE_ORGANIZATION), _external),
    "logging": Group(("logging.access_logging",), TRAIL_APIS, _logging),
}

RAW = (
    A("raw.sse_type", "string", "AWS_OWNED (DynamoDB's own key) or KMS."),
    A("raw.billing_mode", "string", "PROVISIONED or PAY_PER_REQUEST."),
    A("raw.table_class", "string", "STANDARD or STANDARD_INFREQUENT_ACCESS."),
    A("raw.stream_enabled", "bool", "DynamoDB Streams is enabled."),
    A("raw.ttl_attribute", "string", "Item attribute holding the expiry time when TTL is on."),
    A("raw.policy_accounts", "list", "Other AWS accounts the resource policy grants access to."),
    *FRESHNESS,
)

DYNAMODB_TABLE = resource_type(TYPE_NAME, "Amazon DynamoDB table", GROUPS, RAW)
SPEC = TypeSpec(DYNAMODB_TABLE, GROUPS, (LIST_TABLES,))


def list_tables(scope: Scope, region: str) -> Iterator[Resource]:
    """The region's tables: with a Config aggregator every account's, else the account's listing; with
    ``source: config|auto`` each fresh Config item answers what it records."""
    inventory = scope.inventory
    if inventory is not None and inventory.active and inventory.aggregator:
        try:
            records = aggregated(scope.client("config"), inventory.aggregator, dynamodb_config.RESOURCE_TYPE, region,
                                 inventory.accounts or EVERY_ACCOUNT,
                                 lambda account, name: scope.owns(table_arn(scope, account, region, name)))
        except CollectionError as exc:
            if inventory.source == "config":
                raise CollectionError(f"AWS Config aggregator {inventory.aggregator}: {exc.reason}",
                                      action=exc.action) from exc
        else:
            for record in records:
                yield _resource(member_scope(scope, record.account), region, record.name, record)
            return
    names = paginate(scope.client("dynamodb", region), LIST_TABLES, "TableNames", "ExclusiveStartTableName",
                     "LastEvaluatedTableName")
    items = _config_items(scope, region, [n for n in names if scope.owns(table_arn(scope, scope.account, region, n))])
    for name in names:
        yield _resource(scope, region, name, items.get(name))


def _config_items(scope: Scope, region: str, names: list[str]) -> dict[str, Record]:
    """The tables' items in the region's Config (``source: config|auto``); with auto, Config failing means the API."""
    inventory = scope.inventory
    if inventory is None or not inventory.active or not names:
        return {}
    try:
        return recorded(scope.client("config", region), dynamodb_config.RESOURCE_TYPE, names)
    except CollectionError as exc:
        if inventory.source == "config":
            raise CollectionError(f"AWS Config: {exc.reason}", action=exc.action) from exc
        return {}


def table_arn(scope: Scope, account: str, region: str, name: str) -> str:
    return f"arn:{scope.partition}:dynamodb:{region}:{account}:table/{name}"


def _resource(scope: Scope, region: str, name: str, record: Record | None) -> Resource:
    table = Table(scope, region, name)
    if record is not None and scope.inventory is not None and scope.inventory.fresh_at(record.captured):
        table.answers.seed(dynamodb_config.answers(record))  # what the item lacks is still asked, per answer
    return Resource(type=TYPE_NAME, id=table.arn, name=name, provider="aws", account=scope.account, region=region,
                    attributes={**location(region), "access.public_access_blocked": True, "versioning.enabled": None,
                                "retention.soft_delete_days": 0, "retention.lock_days": 0,
                                "logging.audit_log": None,  # CloudTrail data events are the audit log
                                **freshness(scope, record)},
                    fetchers=fetchers(SPEC, scope.plan, table), group_of=DYNAMODB_TABLE.group_of)
