"""Access logging through CloudTrail data events: does a logging trail record reads of a resource?

Answers are per account and region (DescribeTrails lists the trails that apply there,
multi-region and organization trails included), and per trail (selectors, logging status),
each read once per run.
"""

from __future__ import annotations

from typing import Any

from .calls import api
from .scope import Scope

DESCRIBE_TRAILS = api("cloudtrail", "DescribeTrails", "cloudtrail:DescribeTrails")
EVENT_SELECTORS = api("cloudtrail", "GetEventSelectors", "cloudtrail:GetEventSelectors")
TRAIL_STATUS = api("cloudtrail", "GetTrailStatus", "cloudtrail:GetTrailStatus")
APIS = (DESCRIBE_TRAILS, EVENT_SELECTORS, TRAIL_STATUS)

#: Resource type -> (advanced-selector resources.type, basic-selector DataResources type, ARN for "all").
DATA_RESOURCE = {
    "dynamodb": ("AWS::DynamoDB::Table", "AWS::DynamoDB::Table", "arn:aws:dynamodb"),
    "s3": ("AWS::S3::Object", "AWS::S3::Object", "arn:aws:s3"),
}


def logs_reads(scope: Scope, region: str, service: str, arn: str) -> bool:
    """A trail that is logging in ``region`` records read data events on ``arn`` (for S3: objects under it)."""
    trails = scope.once(("trails",), DESCRIBE_TRAILS, region, includeShadowTrails=True) or {}
    for trail in trails.get("trailList", []):
        trail_arn = trail.get("TrailARN") or trail.get("Name")
        home = trail.get("HomeRegion") or region
        if not _covers(_selectors(scope, trail_arn, home), service, arn):
            continue
        status = scope.once((trail_arn,), TRAIL_STATUS, home, Name=trail_arn) or {}
        if status.get("IsLogging"):
            return True
    return False


def _selectors(scope: Scope, trail_arn: str, home: str) -> dict[str, Any]:
    return scope.once((trail_arn,), EVENT_SELECTORS, home, TrailName=trail_arn) or {}


def _covers(selectors: dict[str, Any], service: str, arn: str) -> bool:
    advanced_type, basic_type, everything = DATA_RESOURCE[service]
    target = f"{arn}/" if service == "s3" else arn
    for selector in selectors.get("EventSelectors") or []:
        if selector.get("ReadWriteType", "All") not in ("All", "ReadOnly"):
            continue
        for resource in selector.get("DataResources") or []:
            if resource.get("Type") == basic_type and any(
                    v in (everything, arn) or (v.startswith(everything + ":::") and target.startswith(v))
                    for v in resource.get("Values") or []):
                return True
    return any(_advanced_covers(s.get("FieldSelectors") or [], advanced_type, target)
               for s in selectors.get("AdvancedEventSelectors") or [])


def _advanced_covers(fields: list[dict[str, Any]], resource_type: str, arn: str) -> bool:
    by_field = {f.get("Field"): f for f in fields}
    if "Data" not in (by_field.get("eventCategory") or {}).get("Equals", []):
        return False
    if resource_type not in (by_field.get("resources.type") or {}).get("Equals", []):
        return False
    read_only = by_field.get("readOnly")
    if read_only and "true" not in read_only.get("Equals", ["true"]):
        return False
    if set(by_field) - {"eventCategory", "resources.type", "readOnly", "resources.ARN"}:
        return False  # narrowed by event name, identity, ...: not every read is logged
    condition = by_field.get("resources.ARN")
    return condition is None or _arn_matches(condition, arn)


def _arn_matches(condition: dict[str, Any], arn: str) -> bool:
    """Every read of ``arn`` (for S3 the bucket's object prefix) is selected by ``condition``.

    A positive operator must select it; a negative one may exclude nothing beneath it (a
    ``NotStartsWith`` on one prefix leaves that prefix unlogged). An operator not in the table
    means not covered: never a guess that logging is complete.
    """
    selects = {
        "Equals": lambda vs: arn in vs,
        "StartsWith": lambda vs: any(arn.startswith(v) for v in vs),
        "EndsWith": lambda vs: any(arn.endswith(v) for v in vs),
        "NotEquals": lambda vs: not any(v == arn or v.startswith(arn) for v in vs),
        "NotStartsWith": lambda vs: not any(arn.startswith(v) or v.startswith(arn) for v in vs),
        "NotEndsWith": lambda vs: False,  # excludes objects anywhere under the prefix
    }
    return all(operator in selects and selects[operator](values)
               for operator, values in condition.items() if operator != "Field")
