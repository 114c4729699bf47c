"""``aws_db_instance`` and ``aws_rds_cluster`` (with ``aws_rds_cluster_instance`` and parameter groups) -> RDS types.

Documented defaults count as proven: encryption without ``kms_key_id`` uses the AWS-managed
``aws/rds`` key; an unset backup retention is RDS's default of 1 day (0 for a read replica);
an unset parameter group is the engine's default group, whose TLS setting is the engine
default. A parameter group named but not in the plan is unknown. Instances of a cluster are
covered by the cluster, whose exposure they share.
"""

from __future__ import annotations

from typing import Any

from ..aws.rds import RDS_CLUSTER, RDS_INSTANCE
from ..aws.rds_audit import PRELOAD_PARAMETER, audit_log, preloads
from ..aws.rds_tls import tls_parameter
from ..aws.scope import replication
from .build import Group, build, string_map
from .document import Instance
from .kms import key_management
from .plan import Plan, location
from .settings import TerraformSettings
from .values import NotKnown, blocks, get

DEFAULT_BACKUP_DAYS = 1  # CreateDBInstance / CreateDBCluster BackupRetentionPeriod default


class Database:
    """An instance or cluster, with its parameter group and (for clusters) member instances."""

    def __init__(self, plan: Plan, instance: Instance, group_attribute: str, group_type: str,
                 members: list[Instance] | None = None, replicas: list[Instance] | None = None):
        self.plan = plan
        self.instance = instance
        self.group_attribute = group_attribute
        self.group_type = group_type
        self.members = members or []
        self.replicas = replicas or []

    def value(self, name: str, default: Any = None) -> Any:
        """A value; a default where the plan leaves an unset, computed argument to the service."""
        try:
            value = get(self.instance, name)
        except NotKnown:
            if self.plan.configured(self.instance, name):
                raise
            return default
        return default if value is None else value


def _location(d: Database) -> dict[str, Any]:
    return location(d.plan.region(d.instance))


def _tags(d: Database) -> dict[str, Any]:
    return {"tags": string_map(get(d.instance, "tags_all"))}


def _common(d: Database) -> dict[str, Any]:
    encrypted = bool(d.value("storage_encrypted", False))
    replica = bool(d.instance.values.get("replicate_source_db"))
    retention = int(d.value("backup_retention_period", 0 if replica else DEFAULT_BACKUP_DAYS) or 0)
    exports = list(d.value("enabled_cloudwatch_logs_exports", []) or [])
    return {
        "encryption.at_rest": encrypted,
        "access.public_access_blocked": None,
        "access.external_principals": [],  # RDS has no resource policy or ACL that could name another account
        "retention.lock_days": 0,
        "retention.mechanism": [], "retention.max_age_days": None, "retention.soft_delete_days": 0,
        "backup.enabled": retention > 0, "backup.retention_days": retention,
        "versioning.enabled": None,
        "logging.access_logging": bool(exports),
        "deletion_protection.enabled": bool(d.value("deletion_protection", False)),
        "raw.engine": get(d.instance, "engine"),
        "raw.log_exports": exports,
        "raw.iam_auth": bool(d.value("iam_database_authentication_enabled", False)),
        "raw.multi_az": bool(d.value("multi_az", False)),
    }


def _engine_version(d: Database) -> dict[str, Any]:
    return {"raw.engine_version": get(d.instance, "engine_version_actual" if d.instance.values.get(
        "engine_version_actual") else "engine_version")}


def _kms_key_only(d: Database) -> dict[str, Any]:
    if not d.value("storage_encrypted", False):
        return {"encryption.kms_key": None}
    try:
        key = get(d.instance, "kms_key_id")
    except NotKnown:
        if d.plan.configured(d.instance, "kms_key_id"):
            raise
        key = None
    return {"encryption.kms_key": key or "alias/aws/rds"}


def _key_management(d: Database) -> dict[str, Any]:
    if not d.value("storage_encrypted", False):
        return {"encryption.key_management": "none"}
    if not d.plan.configured(d.instance, "kms_key_id") and not d.instance.values.get("kms_key_id"):
        return {"encryption.key_management": "provider-managed"}  # the AWS-managed aws/rds key
    return {"encryption.key_management": key_management(d.plan, d.instance, "kms_key_id")}


def _parameter(d: Database, parameter: str) -> tuple[Any, str | None]:
    """(value of ``parameter`` in the (cluster) parameter group, the group's name); value None where the group
    leaves it at the engine default (the engine's default group included)."""
    groups = d.plan.referenced(d.instance, d.group_attribute, (d.group_type,))
    name = d.value(d.group_attribute, None)
    if len(groups) == 1:
        found = [p for p in blocks(groups[0], "parameter") if get(p, "name") == parameter]
        if found and get(found[0], "apply_method") == "pending-reboot" and not d.instance.created:
            raise NotKnown(f"{groups[0].address}: {parameter} applies at the next reboot; the setting in force is "
                           "not known")
        return (get(found[0], "value") if found else None), get(groups[0], "name")
    if groups:
        raise NotKnown(f"{d.instance.address}: several parameter groups may apply")
    if not name or str(name).startswith("default."):
        return None, name or None  # the engine's default parameter group
    raise NotKnown(f"{d.instance.address}: parameter group '{name}' is not in the plan")


def _tls(d: Database) -> dict[str, Any]:
    engine = str(get(d.instance, "engine") or "")
    rule = tls_parameter(engine)
    if rule is None:
        raise NotKnown(f"TLS enforcement of engine '{engine}' is not set by a parameter")
    version = str(d.instance.values.get("engine_version_actual") or d.value("engine_version", "") or "")
    value, group = _parameter(d, rule.name)
    if value is None and not version:
        raise NotKnown(f"{d.instance.address}: the engine version, which decides the default of {rule.name}, is "
                       "known only after apply")
    return {"encryption.in_transit_enforced": rule.enforced(value, version), "raw.parameter_group": group}


def _audit(d: Database) -> dict[str, Any]:
    """The engine's audit log is among the exported logs (and, for pgaudit, preloaded by the parameter group)."""
    engine = str(get(d.instance, "engine") or "")
    rule = audit_log(engine)
    if rule is None:
        raise NotKnown(f"{d.instance.address}: engine '{engine}' exports no audit log to CloudWatch Logs (its audit "
                       "goes elsewhere)")
    if not rule.exported(list(d.value("enabled_cloudwatch_logs_exports", []) or [])):
        return {"logging.audit_log": False}
    if rule.library is None:
        return {"logging.audit_log": True}
    value, _ = _parameter(d, PRELOAD_PARAMETER)
    return {"logging.audit_log": preloads(value, rule.library)}


def _instance_access(d: Database) -> dict[str, Any]:
    public = bool(d.value("publicly_accessible", False))
    return {"access.public": public, "access.public_via": ["endpoint"] if public else [], "raw.members": None}


def _cluster_access(d: Database) -> dict[str, Any]:
    public = any(bool(Database(d.plan, m, "", "").value("publicly_accessible", False)) for m in d.members)
    return {"access.public": public, "access.public_via": ["endpoint"] if public else [], "raw.members":
            sorted(m.address for m in d.members)}


def _replication(d: Database) -> dict[str, Any]:
    return replication([d.plan.region(r) for r in d.replicas])


COMMON = (
    Group(("location.region", "location.country", "location.jurisdiction"), _location),
    Group(("tags",), _tags),
    Group(("encryption.at_rest", "access.public_access_blocked", "access.external_principals", "retention.lock_days",
           "retention.mechanism", "retention.max_age_days",
           "retention.soft_delete_days", "backup.enabled", "backup.retention_days", "versioning.enabled",
           "logging.access_logging", "deletion_protection.enabled", "raw.engine", "raw.log_exports", "raw.iam_auth",
           "raw.multi_az"), _common),
    Group(("raw.engine_version",), _engine_version),
    Group(("encryption.kms_key",), _kms_key_only),
    Group(("encryption.key_management",), _key_management),
    Group(("encryption.in_transit_enforced", "raw.parameter_group"), _tls),
    Group(("logging.audit_log",), _audit),
    Group(("replication.regions", "replication.jurisdictions"), _replication),
)
INSTANCE_GROUPS = (*COMMON, Group(("access.public", "access.public_via", "raw.members"), _instance_access))
CLUSTER_GROUPS = (*COMMON, Group(("access.public", "access.public_via", "raw.members"), _cluster_access))


def instances(plan: Plan, context: Any, settings: TerraformSettings) -> Any:
    replicas: dict[int, list[Instance]] = {}
    for db in plan.of_type("aws_db_instance"):
        if db.values.get("replicate_source_db") or plan.configured(db, "replicate_source_db"):
            for source in plan.referenced(db, "replicate_source_db", ("aws_db_instance",)):
                replicas.setdefault(id(source), []).append(db)
    for db in plan.of_type("aws_db_instance"):
        if db.values.get("cluster_identifier") or plan.configured(db, "cluster_identifier"):
            continue  # covered by its cluster
        facts = Database(plan, db, "parameter_group_name", "aws_db_parameter_group", replicas=replicas.get(id(db)))
        yield build(RDS_INSTANCE, INSTANCE_GROUPS, facts, db, **context(db))


def clusters(plan: Plan, context: Any, settings: TerraformSettings) -> Any:
    members: dict[int, list[Instance]] = {}
    for member in plan.of_type("aws_rds_cluster_instance", "aws_db_instance"):
        for cluster in plan.referenced(member, "cluster_identifier", ("aws_rds_cluster",)):
            members.setdefault(id(cluster), []).append(member)
    replicas: dict[int, list[Instance]] = {}
    for cluster in plan.of_type("aws_rds_cluster"):
        for global_cluster in plan.referenced(cluster, "global_cluster_identifier", ("aws_rds_global_cluster",)):
            replicas.setdefault(id(global_cluster), []).append(cluster)
    for cluster in plan.of_type("aws_rds_cluster"):
        peers = [c for g in plan.referenced(cluster, "global_cluster_identifier", ("aws_rds_global_cluster",))
                 for c in replicas.get(id(g), []) if c is not cluster]
        facts = Database(plan, cluster, "db_cluster_parameter_group_name", "aws_rds_cluster_parameter_group",
                         members=members.get(id(cluster)), replicas=peers)
        yield build(RDS_CLUSTER, CLUSTER_GROUPS, facts, cluster, **context(cluster))


TYPES = {"aws_db_instance": (RDS_INSTANCE, instances), "aws_rds_cluster": (RDS_CLUSTER, clusters)}
