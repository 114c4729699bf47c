"""RDS DB instances and Aurora (and Multi-AZ) DB clusters.

The describe calls already carry encryption, backups, deletion protection, public access,
replicas and tags, so most attributes are known at listing time. Only TLS enforcement
(parameter groups), the key's manager (KMS) and cluster-wide exposure or global-cluster
replicas need further calls, each cached per parameter group, key or region.
Instances that belong to a cluster are covered by the cluster (its storage holds the data);
their public accessibility counts towards the cluster's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from policycheck.attributes import AttributeSpec as A
from policycheck.errors import CollectionError
from policycheck.model import Resource

from . import rds_config
from .calls import api, paginate
from .config_items import EVERY_ACCOUNT, FRESHNESS, Record, aggregated, freshness, member_scope
from .groups import Group, TypeSpec, fetchers, resource_type
from .rds_audit import PRELOAD_PARAMETER, audit_log, preloads
from .rds_tls import tls_parameter
from .scope import KMS_DESCRIBE_KEY, Scope, location, region_of_arn, replication

INSTANCE_TYPE = "aws.rds.instance"
CLUSTER_TYPE = "aws.rds.cluster"

DESCRIBE_INSTANCES = api("rds", "DescribeDBInstances", "rds:DescribeDBInstances")
DESCRIBE_CLUSTERS = api("rds", "DescribeDBClusters", "rds:DescribeDBClusters")
DB_PARAMETERS = api("rds", "DescribeDBParameters", "rds:DescribeDBParameters")
CLUSTER_PARAMETERS = api("rds", "DescribeDBClusterParameters", "rds:DescribeDBClusterParameters")
GLOBAL_CLUSTERS = api("rds", "DescribeGlobalClusters", "rds:DescribeGlobalClusters")


class Database:
    """One instance or cluster description, with what further calls need."""

    __slots__ = ("data", "region", "scope")

    def __init__(self, scope: Scope, region: str, data: dict[str, Any]):
        self.scope = scope
        self.region = region
        self.data = data

    def parameters(self, spec: Any, group: str) -> dict[str, str | None]:
        """Parameter name -> value of a (cluster) parameter group, read once per run."""
        key = "DBClusterParameterGroupName" if spec is CLUSTER_PARAMETERS else "DBParameterGroupName"

        def fetch() -> dict[str, str | None]:
            items = paginate(self.scope.client("rds", self.region), spec, "Parameters", "Marker", "Marker",
                             **{key: group})
            return {p["ParameterName"]: p.get("ParameterValue") for p in items}

        return self.scope.cache.get((self.scope.account, self.region, spec.operation, group), fetch)


def _instances(scope: Scope, region: str) -> list[dict[str, Any]]:
    return scope.cache.get((scope.account, region, "rds-instances"), lambda: paginate(
        scope.client("rds", region), DESCRIBE_INSTANCES, "DBInstances", "Marker", "Marker"))


def _common(db: dict[str, Any], region: str) -> dict[str, Any]:
    encrypted = bool(db.get("StorageEncrypted"))
    retention = int(db.get("BackupRetentionPeriod") or 0)
    return {
        **location(region),
        "encryption.at_rest": encrypted,
        "encryption.kms_key": db.get("KmsKeyId") if encrypted else None,
        "access.public_access_blocked": None,
        "access.external_principals": [],  # RDS has no resource policy or ACL that could name another account
        "retention.mechanism": [],
        "retention.max_age_days": None,
        "retention.soft_delete_days": 0,  # nothing soft-deleted; backups are backup.*
        "retention.lock_days": 0,
        "backup.enabled": retention > 0,
        "backup.retention_days": retention,
        "versioning.enabled": None,
        "logging.access_logging": bool(db.get("EnabledCloudwatchLogsExports")),
        "deletion_protection.enabled": bool(db.get("DeletionProtection")),
        "raw.engine": db.get("Engine"),
        "raw.engine_version": db.get("EngineVersion"),
        "raw.log_exports": list(db.get("EnabledCloudwatchLogsExports") or []),
        "raw.iam_auth": bool(db.get("IAMDatabaseAuthenticationEnabled")),
    }


def _tags(db: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in db.get("TagList") or []}


# -- group derivations ---------------------------------------------------------------------------
def _key_management(d: Database) -> dict[str, Any]:
    if not d.data.get("StorageEncrypted"):
        return {"encryption.key_management": "none"}
    return {"encryption.key_management": d.scope.key_management(d.data.get("KmsKeyId"), d.region)}


def _instance_tls(d: Database) -> dict[str, Any]:
    groups = d.data.get("DBParameterGroups") or []
    if groups and groups[0].get("ParameterApplyStatus") == "pending-reboot":
        # the group's value is not in force until the reboot: what the server enforces now is not known
        raise CollectionError(f"parameter group '{groups[0]['DBParameterGroupName']}' is pending a reboot; "
                              "the TLS setting in force is not known", action="rds:DescribeDBInstances")
    return _tls(d, DB_PARAMETERS, groups[0]["DBParameterGroupName"] if groups else None)


def _cluster_tls(d: Database) -> dict[str, Any]:
    return _tls(d, CLUSTER_PARAMETERS, d.data.get("DBClusterParameterGroup"))


def _tls(d: Database, spec: Any, group: str | None) -> dict[str, Any]:
    engine, version = d.data.get("Engine", ""), d.data.get("EngineVersion", "")
    rule = tls_parameter(engine)
    if rule is None:
        raise CollectionError(f"TLS enforcement of engine '{engine}' is not set by a parameter; not collected")
    value = d.parameters(spec, group).get(rule.name) if group else None
    return {"encryption.in_transit_enforced": rule.enforced(value, version), "raw.parameter_group": group}


def _instance_audit(d: Database) -> dict[str, Any]:
    groups = d.data.get("DBParameterGroups") or []
    return _audit(d, DB_PARAMETERS, groups[0]["DBParameterGroupName"] if groups else None)


def _cluster_audit(d: Database) -> dict[str, Any]:
    return _audit(d, CLUSTER_PARAMETERS, d.data.get("DBClusterParameterGroup"))


def _audit(d: Database, spec: Any, group: str | None) -> dict[str, Any]:
    """The engine's audit log is among the exported logs (and, for pgaudit, loaded by the parameter group)."""
    engine = d.data.get("Engine", "")
    rule = audit_log(engine)
    if rule is None:
        raise CollectionError(f"engine '{engine}' exports no audit log to CloudWatch Logs (its audit goes elsewhere); "
                              "not collected")
    if not rule.exported(list(d.data.get("EnabledCloudwatchLogsExports") or [])):
        return {"logging.audit_log": False}
    if rule.library is None:
        return {"logging.audit_log": True}
    value = d.parameters(spec, group).get(PRELOAD_PARAMETER) if group else None
    return {"logging.audit_log": preloads(value, rule.library)}


def _cluster_access(d: Database) -> dict[str, Any]:
    members = {m["DBInstanceIdentifier"] for m in d.data.get("DBClusterMembers") or []}
    public = bool(d.data.get("PubliclyAccessible")) or any(
        i.get("PubliclyAccessible") for i in _instances(d.scope, d.region) if i["DBInstanceIdentifier"] in members)
    return {"access.public": public, "access.public_via": ["endpoint"] if public else []}


def _cluster_replication(d: Database) -> dict[str, Any]:
    regions = [region_of_arn(arn) or d.region for arn in d.data.get("ReadReplicaIdentifiers") or []]
    arn = d.data.get("DBClusterArn")
    globals_ = d.scope.cache.get((d.scope.account, d.region, "rds-global-clusters"), lambda: paginate(
        d.scope.client("rds", d.region), GLOBAL_CLUSTERS, "GlobalClusters", "Marker", "Marker"))
    for cluster in globals_:
        members = [m.get("DBClusterArn", "") for m in cluster.get("GlobalClusterMembers") or []]
        if arn in members:
            regions.extend(r for m in members if m != arn and (r := region_of_arn(m)))
    return replication(regions)


RAW = (
    A("raw.engine", "string", "Database engine (postgres, mysql, aurora-postgresql, ...)."),
    A("raw.engine_version", "version", "Engine version."),
    A("raw.log_exports", "list", "Log types exported to CloudWatch Logs."),
    A("raw.iam_auth", "bool", "IAM database authentication is enabled."),
    A("raw.parameter_group", "string", "Parameter group that decides TLS enforcement."),
    A("raw.multi_az", "bool", "Multi-AZ deployment."),
    A("raw.members", "list", "Instances of the cluster."),
    *FRESHNESS,
)

INSTANCE_GROUPS: dict[str, Group] = {
    "key_management": Group(("encryption.key_management",), (KMS_DESCRIBE_KEY,), _key_management),
    "tls": Group(("encryption.in_transit_enforced", "raw.parameter_group"), (DB_PARAMETERS,), _instance_tls),
    "audit_log": Group(("logging.audit_log",), (DB_PARAMETERS,), _instance_audit),
}
CLUSTER_GROUPS: dict[str, Group] = {
    "key_management": Group(("encryption.key_management",), (KMS_DESCRIBE_KEY,), _key_management),
    "tls": Group(("encryption.in_transit_enforced", "raw.parameter_group"), (CLUSTER_PARAMETERS,), _cluster_tls),
    "audit_log": Group(("logging.audit_log",), (CLUSTER_PARAMETERS,), _cluster_audit),
    "access": Group(("access.public", "access.public_via"), (DESCRIBE_INSTANCES,), _cluster_access),
    "replication": Group(("replication.*",), (GLOBAL_CLUSTERS,), _cluster_replication),
}

RDS_INSTANCE = resource_type(INSTANCE_TYPE, "Amazon RDS DB instance (not part of a cluster)", INSTANCE_GROUPS, RAW)
RDS_CLUSTER = resource_type(CLUSTER_TYPE, "Amazon Aurora or Multi-AZ DB cluster", CLUSTER_GROUPS, RAW)
INSTANCE_SPEC = TypeSpec(RDS_INSTANCE, INSTANCE_GROUPS, (DESCRIBE_INSTANCES,))
CLUSTER_SPEC = TypeSpec(RDS_CLUSTER, CLUSTER_GROUPS, (DESCRIBE_CLUSTERS,))


# -- listing -----------------------------------------------------------------------------------
def _instance_attributes(db: dict[str, Any], region: str) -> dict[str, Any]:
    public = bool(db.get("PubliclyAccessible"))
    replicas = [region_of_arn(r) or region for r in db.get("ReadReplicaDBInstanceIdentifiers") or []]
    replicas += [r for b in db.get("DBInstanceAutomatedBackupsReplications") or []
                 if (r := region_of_arn(b.get("DBInstanceAutomatedBackupsArn", "")))]
    return {**_common(db, region), **replication(replicas), "access.public": public,
            "access.public_via": ["endpoint"] if public else [], "raw.multi_az": bool(db.get("MultiAZ"))}


def _cluster_attributes(db: dict[str, Any], region: str) -> dict[str, Any]:
    return {**_common(db, region), "raw.multi_az": bool(db.get("MultiAZ")),
            "raw.members": sorted(m["DBInstanceIdentifier"] for m in db.get("DBClusterMembers") or [])}


def _clusters(scope: Scope, region: str) -> list[dict[str, Any]]:
    return scope.cache.get((scope.account, region, "rds-clusters"), lambda: paginate(
        scope.client("rds", region), DESCRIBE_CLUSTERS, "DBClusters", "Marker", "Marker"))


@dataclass(frozen=True)
class Kind:
    """Instances or clusters: their spec, Config type, identifying fields, derivations and live listing."""

    spec: TypeSpec
    config_type: str
    id_key: str
    arn_key: str
    arn_kind: str
    fields: dict[str, tuple[str, ...]]
    attributes: Callable[[dict[str, Any], str], dict[str, Any]]
    live: Callable[[Scope, str], list[dict[str, Any]]]

    def arn(self, scope: Scope, account: str, region: str, name: str) -> str:
        return f"arn:{scope.partition}:rds:{region}:{account}:{self.arn_kind}:{name}"


INSTANCES = Kind(INSTANCE_SPEC, rds_config.INSTANCE_TYPE, "DBInstanceIdentifier", "DBInstanceArn", "db",
                 rds_config.INSTANCE_FIELDS, _instance_attributes, _instances)
CLUSTERS = Kind(CLUSTER_SPEC, rds_config.CLUSTER_TYPE, "DBClusterIdentifier", "DBClusterArn", "cluster",
                rds_config.CLUSTER_FIELDS, _cluster_attributes, _clusters)


def list_instances(scope: Scope, region: str) -> Iterator[Resource]:
    yield from _list(scope, region, INSTANCES)


def list_clusters(scope: Scope, region: str) -> Iterator[Resource]:
    yield from _list(scope, region, CLUSTERS)


def _list(scope: Scope, region: str, kind: Kind) -> Iterator[Resource]:
    """With a Config aggregator, every account's items of the region; else the live Describe listing."""
    inventory = scope.inventory
    if inventory is not None and inventory.active and inventory.aggregator:
        try:
            records = aggregated(scope.client("config"), inventory.aggregator, kind.config_type, region,
                                 inventory.accounts or EVERY_ACCOUNT,
                                 lambda account, name: scope.owns(kind.arn(scope, account, region, name)))
        except CollectionError as exc:
            if inventory.source == "config":
                raise CollectionError(f"AWS Config aggregator {inventory.aggregator}: {exc.reason}",
                                      action=exc.action) from exc
        else:
            yield from _recorded(scope, region, kind, records)
            return
    for db in kind.live(scope, region):
        if kind is INSTANCES and db.get("DBClusterIdentifier"):
            continue
        yield _resource(scope, kind, region, db, freshness(scope, None))


def _recorded(scope: Scope, region: str, kind: Kind, records: list[Record]) -> Iterator[Resource]:
    """Resources from Config items. The scanning account's own fall back to its live listing (one request a region)
    when an item is stale, lacks a field or its tags; another account's unrecorded facts stay unknown."""
    assert scope.inventory is not None
    for record in records:
        owner = member_scope(scope, record.account)
        fresh = scope.inventory.fresh_at(record.captured)
        entry = rds_config.description(record) if fresh else rds_config.Recorded()
        if fresh:
            reason = "not recorded in the AWS Config item"
        else:
            reason = f"the AWS Config item of {record.captured.isoformat()} is older than --max-config-age"
        if owner is scope and (not fresh or "TagList" not in entry or
                               rds_config.unrecorded(entry, kind.fields, reason)):
            live = {db[kind.id_key]: db for db in kind.live(scope, region)}
            if record.name not in live:
                continue  # gone since the item was captured
            yield _resource(scope, kind, region, live[record.name], freshness(scope, None) | {
                "raw.config_capture_time": record.captured.isoformat()})
            continue
        view = rds_config.plain(entry)
        if kind is INSTANCES and view.get("DBClusterIdentifier"):
            continue
        if not fresh:
            reason += f", and account {record.account} is read only through aggregator {scope.inventory.aggregator}"
        unknown = rds_config.unrecorded(entry, kind.fields, reason)
        entry.setdefault(kind.id_key, record.name)
        entry.setdefault(kind.arn_key, record.arn or kind.arn(scope, record.account, region, record.name))
        if "TagList" not in entry:
            unknown["tags"] = "the AWS Config item holds no tags" if fresh else reason
        yield _resource(owner, kind, region, entry, freshness(scope, record), unknown,
                        attributes=kind.attributes(rds_config.plain(entry), region))


def _resource(scope: Scope, kind: Kind, region: str, db: dict[str, Any], extra: dict[str, Any],
              unknown: dict[str, str] | None = None, attributes: dict[str, Any] | None = None) -> Resource:
    facts = Database(scope, region, db)
    spec = kind.spec
    values = {**(kind.attributes(db, region) if attributes is None else attributes), **extra}
    tags = None if unknown and "tags" in unknown else _tags(db)
    return Resource(type=spec.type.name, id=db[kind.arn_key], name=db[kind.id_key], provider="aws",
                    account=scope.account, region=region, tags=tags,
                    attributes={k: v for k, v in values.items() if k not in (unknown or {})}, unknown=unknown,
                    fetchers=fetchers(spec, scope.plan, facts), group_of=spec.type.group_of)
