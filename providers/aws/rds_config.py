"""RDS DB instances and clusters from AWS Config: an item's ``configuration`` as the Describe answer it records.

Config records ``AWS::RDS::DBInstance`` and ``AWS::RDS::DBCluster`` as the DescribeDBInstances /
DescribeDBClusters entry in lowerCamelCase (``dBInstanceArn``, ``iAMDatabaseAuthenticationEnabled``;
schema: https://github.com/awslabs/aws-config-resource-schema, ``config/properties/resource-types``),
with unset fields as null. A field the item does not carry at all is not recorded: the attributes
derived from it are read live (own account) or stay unknown (an account read only through an
aggregator), never taken as absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policycheck.errors import CollectionError

from .config_items import Record, pascal

INSTANCE_TYPE = "AWS::RDS::DBInstance"
CLUSTER_TYPE = "AWS::RDS::DBCluster"

_COMMON: dict[str, tuple[str, ...]] = {
    "StorageEncrypted": ("encryption.at_rest", "encryption.kms_key"),
    "KmsKeyId": ("encryption.kms_key",),
    "BackupRetentionPeriod": ("backup.enabled", "backup.retention_days"),
    "EnabledCloudwatchLogsExports": ("logging.access_logging", "raw.log_exports"),
    "DeletionProtection": ("deletion_protection.enabled",),
    "Engine": ("raw.engine",),
    "EngineVersion": ("raw.engine_version",),
    "IAMDatabaseAuthenticationEnabled": ("raw.iam_auth",),
    "MultiAZ": ("raw.multi_az",),
}
_REPLICATION = ("replication.regions", "replication.jurisdictions")
#: Describe field -> the listing attributes derived from it, per type.
INSTANCE_FIELDS: dict[str, tuple[str, ...]] = {
    **_COMMON,
    "PubliclyAccessible": ("access.public", "access.public_via"),
    "ReadReplicaDBInstanceIdentifiers": _REPLICATION,
    "DBInstanceAutomatedBackupsReplications": _REPLICATION,
}
CLUSTER_FIELDS: dict[str, tuple[str, ...]] = {**_COMMON, "DBClusterMembers": ("raw.members",)}


class Recorded(dict[str, Any]):
    """A Describe entry rebuilt from a Config item: reading a field the item did not record is a collection error,
    so a group derived from it is unknown instead of taking the field as unset."""

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self:
            raise CollectionError(f"{key} is not recorded in the AWS Config item")
        return super().get(key, default)

    def __missing__(self, key: str) -> Any:
        raise CollectionError(f"{key} is not recorded in the AWS Config item")


def description(record: Record) -> Recorded:
    """The DescribeDBInstances / DescribeDBClusters entry the item records (tags as ``TagList`` when it has them)."""
    entry = Recorded(pascal(record.configuration))
    if record.tags is not None:
        entry["TagList"] = [{"Key": k, "Value": v} for k, v in record.tags.items()]
    return entry


def unrecorded(entry: Mapping[str, Any], fields: Mapping[str, tuple[str, ...]], reason: str) -> dict[str, str]:
    """Listing attributes -> ``reason`` for every field the entry lacks."""
    return {attribute: reason for field, attributes in fields.items() if field not in entry for attribute in attributes}


def plain(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The entry as the listing derivations read it (a field not recorded reads as None; it is marked unknown)."""
    return dict(entry)
