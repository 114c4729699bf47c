"""``aws_dynamodb_table`` (with ``aws_dynamodb_resource_policy``) -> ``aws.dynamodb.table``.

Without ``server_side_encryption`` DynamoDB encrypts with an AWS owned key; enabled without
``kms_key_arn`` it uses the AWS-managed ``aws/dynamodb`` key. Access logging exists only as
CloudTrail data events (account or organisation trails), which a plan never shows: rules
reading ``logging.access_logging`` are skipped for plan tables, not failed.
"""

from __future__ import annotations

from typing import Any

from ..aws.dynamodb import DEFAULT_PITR_DAYS, DYNAMODB_TABLE
from ..aws.s3_policy import NO_POLICY, evaluate_policy
from ..aws.scope import replication
from .build import Group, build, string_map
from .document import Instance
from .kms import key_management
from .plan import Plan, location
from .settings import TerraformSettings
from .values import NotKnown, blocks, get

UNOBSERVABLE = {"logging.access_logging": "DynamoDB access logging is CloudTrail data events, configured outside "
                                          "the table; a plan does not show it"}


class Table:
    def __init__(self, plan: Plan, instance: Instance, policies: list[Instance], own: frozenset[str] = frozenset()):
        self.plan = plan
        self.instance = instance
        self.policies = policies
        self.own = own  # allowed_accounts: the user's own accounts and organisations

    def sse(self) -> Instance | None:
        found = blocks(self.instance, "server_side_encryption")
        return found[0] if found and get(found[0], "enabled") else None

    def policy(self) -> Any:
        if len(self.policies) > 1:
            raise NotKnown(f"{self.instance.address}: several resource policies may apply")
        document = get(self.policies[0], "policy") if self.policies else None
        if not document:
            return NO_POLICY
        arn = get(self.instance, "arn")
        if not arn:
            raise NotKnown(f"{self.instance.address}: the table ARN is known only after apply")
        return evaluate_policy(document, service="dynamodb", resources=[arn], own_account="")


def _location(t: Table) -> dict[str, Any]:
    return location(t.plan.region(t.instance))


def _tags(t: Table) -> dict[str, Any]:
    return {"tags": string_map(get(t.instance, "tags_all"))}


def _describe(t: Table) -> dict[str, Any]:
    sse = t.sse()
    replicas = [str(get(r, "region_name")) for r in blocks(t.instance, "replica")]
    return {
        "encryption.at_rest": True,
        "raw.sse_type": "KMS" if sse else "AWS_OWNED",
        **replication(replicas),
        "deletion_protection.enabled": bool(get(t.instance, "deletion_protection_enabled")),
        "raw.billing_mode": get(t.instance, "billing_mode") or "PROVISIONED",
        "raw.table_class": get(t.instance, "table_class") or "STANDARD",
        "raw.stream_enabled": bool(get(t.instance, "stream_enabled")),
        "access.public_access_blocked": True, "versioning.enabled": None, "retention.soft_delete_days": 0,
    }


def _fixed(t: Table) -> dict[str, Any]:
    # as the aws provider: nothing locks items; CloudTrail data events are the table's audit log
    return {"retention.lock_days": 0, "logging.audit_log": None}


def _kms_key(t: Table) -> dict[str, Any]:
    sse = t.sse()
    if sse is None:
        return {"encryption.kms_key": None}
    try:
        key = get(sse, "kms_key_arn")
    except NotKnown:
        if t.plan.configured(t.instance, ("server_side_encryption", 0, "kms_key_arn")):
            raise
        key = None
    return {"encryption.kms_key": key or "alias/aws/dynamodb"}


def _key_management(t: Table) -> dict[str, Any]:
    sse = t.sse()
    path = ("server_side_encryption", 0, "kms_key_arn")
    if sse is None or not (t.plan.configured(t.instance, path) or sse.values.get("kms_key_arn")):
        return {"encryption.key_management": "provider-managed"}
    return {"encryption.key_management": key_management(t.plan, t.instance, path)}


def _backups(t: Table) -> dict[str, Any]:
    pitr = blocks(t.instance, "point_in_time_recovery")
    enabled = bool(pitr and get(pitr[0], "enabled"))
    days = (get(pitr[0], "recovery_period_in_days") if pitr and "recovery_period_in_days" in pitr[0].values
            else None) or DEFAULT_PITR_DAYS
    return {"backup.enabled": enabled, "backup.retention_days": days if enabled else 0}


def _ttl(t: Table) -> dict[str, Any]:
    ttl = blocks(t.instance, "ttl")
    enabled = bool(ttl and get(ttl[0], "enabled"))
    return {"retention.mechanism": ["ttl"] if enabled else [], "retention.max_age_days": None,
            "raw.ttl_attribute": get(ttl[0], "attribute_name") if enabled else None}


def _policy(t: Table) -> dict[str, Any]:
    verdict = t.policy()
    return {"access.public": verdict.public, "access.public_via": ["policy"] if verdict.public else [],
            "encryption.in_transit_enforced": verdict.tls_enforced, "raw.policy_accounts": list(verdict.accounts)}


def _external(t: Table) -> dict[str, Any]:
    """Other accounts and organisations the resource policy lets in (the aws provider's evaluator)."""
    verdict = t.policy()
    return {"access.external_principals": sorted({*verdict.external, *verdict.organisations} - t.own)}


GROUPS = (
    Group(("location.region", "location.country", "location.jurisdiction"), _location),
    Group(("tags",), _tags),
    Group(("encryption.at_rest", "raw.sse_type", "replication.regions", "replication.jurisdictions",
           "deletion_protection.enabled", "raw.billing_mode", "raw.table_class", "raw.stream_enabled",
           "access.public_access_blocked", "versioning.enabled", "retention.soft_delete_days"), _describe),
    Group(("retention.lock_days", "logging.audit_log"), _fixed),
    Group(("encryption.kms_key",), _kms_key),
    Group(("encryption.key_management",), _key_management),
    Group(("backup.enabled", "backup.retention_days"), _backups),
    Group(("retention.mechanism", "retention.max_age_days", "raw.ttl_attribute"), _ttl),
    Group(("access.public", "access.public_via", "encryption.in_transit_enforced", "raw.policy_accounts"), _policy),
    Group(("access.external_principals",), _external),
)


def tables(plan: Plan, context: Any, settings: TerraformSettings) -> Any:
    policies: dict[int, list[Instance]] = {}
    for policy in plan.of_type("aws_dynamodb_resource_policy"):
        for table in plan.referenced(policy, "resource_arn", ("aws_dynamodb_table",)):
            policies.setdefault(id(table), []).append(policy)
    for instance in plan.of_type("aws_dynamodb_table"):
        facts = Table(plan, instance, policies.get(id(instance), []), settings.allowed_accounts)
        yield build(DYNAMODB_TABLE, GROUPS, facts, instance, unobservable=UNOBSERVABLE, **context(instance))


TYPES = {"aws_dynamodb_table": (DYNAMODB_TABLE, tables)}
