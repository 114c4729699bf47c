"""DynamoDB tables from AWS Config: an ``AWS::DynamoDB::Table`` item as the DynamoDB answers it records.

``configuration`` is DescribeTable's ``Table`` in Config's lowerCamelCase, with the SSE names lowered
whole (``ssedescription.ssetype``, ``kmsmasterKeyArn``); ``supplementaryConfiguration.
ContinuousBackupsDescription`` is DescribeContinuousBackups' answer (schema:
https://github.com/awslabs/aws-config-resource-schema, ``AWS::DynamoDB::Table.properties.json``).
Config records neither the time-to-live setting nor the resource policy, and BatchGet items carry no
tags: those answers, and any the item lacks a field for, are asked of the live API per table.
"""

from __future__ import annotations

from typing import Any

from .config_items import Record, pascal

RESOURCE_TYPE = "AWS::DynamoDB::Table"

#: Config's spellings of DescribeTable keys that lowerCamelCase does not give back.
RENAMES = {"ssedescription": "SSEDescription", "ssetype": "SSEType", "kmsmasterKeyArn": "KMSMasterKeyArn",
           "kmsmasterKeyId": "KMSMasterKeyId"}
#: DescribeTable fields the ``describe`` derivation reads: absent from DescribeTable means unset, so the item
#: must carry each (null when unset) for its answer to stand in for DescribeTable's.
DESCRIBE_FIELDS = ("SSEDescription", "Replicas", "DeletionProtectionEnabled", "BillingModeSummary",
                   "TableClassSummary", "StreamSpecification")


def answers(record: Record) -> dict[str, Any]:
    """The DynamoDB answers the item holds, keyed like :data:`providers.aws.dynamodb.APIS`."""
    found: dict[str, Any] = {}
    table = pascal(record.configuration, RENAMES)
    if all(field in table for field in DESCRIBE_FIELDS):
        found["describe"] = {"Table": {k: v for k, v in table.items() if v is not None}}
    backups = _backups(record.supplementary.get("ContinuousBackupsDescription"))
    if backups is not None:
        found["backups"] = backups
    if record.tags is not None:
        found["tags"] = [{"Key": k, "Value": v} for k, v in record.tags.items()]
    return found


def _backups(recorded: Any) -> dict[str, Any] | None:
    """DescribeContinuousBackups' answer; None (the live API) when the item cannot give it whole: an enabled
    point-in-time recovery without its recovery period would otherwise read as the default 35 days."""
    if not isinstance(recorded, dict):
        return None
    description = pascal(recorded)
    pitr = description.get("PointInTimeRecoveryDescription")
    if not isinstance(pitr, dict) or pitr.get("PointInTimeRecoveryStatus") not in ("ENABLED", "DISABLED"):
        return None
    if pitr["PointInTimeRecoveryStatus"] == "ENABLED" and not isinstance(pitr.get("RecoveryPeriodInDays"), int):
        return None
    return {"ContinuousBackupsDescription": description}
