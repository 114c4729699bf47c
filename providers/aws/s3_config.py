"""S3 bucket facts from AWS Config: configuration items turned into the S3 APIs' own answers.

A bucket's configuration item holds most of what the S3 APIs would say, as
``supplementaryConfiguration`` (AWS Config resource schema ``AWS::S3::Bucket``,
https://github.com/awslabs/aws-config-resource-schema/blob/master/config/properties/resource-types/AWS%3A%3AS3%3A%3ABucket.properties.json).
Each recorded configuration is translated into the answer of the S3 call it stands for
(``GetBucketPolicy``, ``GetPublicAccessBlock``, ...), keyed like :data:`providers.aws.s3.APIS`,
so the live collector's own derivations turn it into attributes and the results are identical.
What Config does not record, or records in a shape we do not know, is simply left out: the
bucket's lazy fetcher then asks the live API for just that answer. Nothing unknown is guessed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .calls import api, call

RESOURCE_TYPE = "AWS::S3::Bucket"
BATCH = 100  # resource keys per BatchGet(Aggregate)ResourceConfig request, the API's limit

BATCH_GET = api("config", "BatchGetResourceConfig", "config:BatchGetResourceConfig")
LIST_DISCOVERED = api("config", "ListDiscoveredResources", "config:ListDiscoveredResources")
LIST_AGGREGATE = api("config", "ListAggregateDiscoveredResources", "config:ListAggregateDiscoveredResources")
BATCH_GET_AGGREGATE = api("config", "BatchGetAggregateResourceConfig", "config:BatchGetAggregateResourceConfig")
#: The calls a non-aggregated read makes, and an aggregated one.
APIS = (BATCH_GET,)
AGGREGATE_APIS = (LIST_AGGREGATE, BATCH_GET_AGGREGATE)

#: Item statuses whose configuration describes a bucket that exists now.
CURRENT = frozenset({"OK", "ResourceDiscovered"})

GROUP_URIS = {
    "AllUsers": "http://acs.amazonaws.com/groups/global/AllUsers",
    "AuthenticatedUsers": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "LogDelivery": "http://acs.amazonaws.com/groups/s3/LogDelivery",
}


class Unreadable(ValueError):
    """A recorded configuration in a shape we do not know: the live API is asked instead."""


@dataclass(frozen=True)
class Inventory:
    """Where bucket facts come from (``source``), and how old a configuration item may be."""

    source: str  # config | api | auto
    max_age: dt.timedelta
    clock: Callable[[], dt.datetime]
    aggregator: str | None = None
    accounts: Any = None  # config_items.Accounts: which of the aggregator's accounts are kept (None: all)

    @property
    def active(self) -> bool:
        return self.source in ("config", "auto")

    def fresh(self, item: Item) -> bool:
        return self.fresh_at(item.captured)

    def fresh_at(self, captured: dt.datetime) -> bool:
        return self.clock() - captured <= self.max_age

    def wants_account(self, account: str) -> bool:
        return self.accounts is None or self.accounts.wants(account)


@dataclass(frozen=True)
class Item:
    """One bucket's configuration item: its account, region, capture time and the S3 answers it holds."""

    name: str
    account: str
    region: str
    captured: dt.datetime
    answers: Mapping[str, Any]


# -- reading ------------------------------------------------------------------------------------
def recorded(client: Any, names: Iterable[str]) -> dict[str, Item]:
    """The current configuration items of ``names`` that this region's Config holds (100 per request)."""
    wanted = list(names)
    found: dict[str, Item] = {}
    for start in range(0, len(wanted), BATCH):
        keys = [{"resourceType": RESOURCE_TYPE, "resourceId": name} for name in wanted[start:start + BATCH]]
        answer = call(client, BATCH_GET, resourceKeys=keys) or {}
        for raw in answer.get("baseConfigurationItems") or []:
            item = to_item(raw)
            if item is not None:
                found[item.name] = item
    return found


def to_item(raw: Mapping[str, Any]) -> Item | None:
    """A configuration item as an :class:`Item`; None for a deleted bucket or an item without a capture time."""
    captured = raw.get("configurationItemCaptureTime")
    if raw.get("configurationItemStatus") not in CURRENT or not isinstance(captured, dt.datetime):
        return None
    supplementary = raw.get("supplementaryConfiguration") or {}
    answers: dict[str, Any] = {}
    for key, (answer, translate) in TRANSLATIONS.items():
        if key not in supplementary:
            continue
        try:
            answers[answer] = translate(decode(supplementary[key]))
        except (Unreadable, ValueError, TypeError, KeyError, AttributeError):
            continue  # not recorded in a shape we know: the live API answers instead
    name = str(raw.get("resourceName") or raw.get("resourceId") or "")
    return Item(name, str(raw.get("accountId") or ""), str(raw.get("awsRegion") or ""),
                captured.astimezone(dt.UTC), answers)


def decode(value: Any) -> Any:
    """Supplementary configurations are JSON strings (the ACL sometimes JSON in a JSON string)."""
    for _ in range(2):
        if not isinstance(value, str):
            break
        value = json.loads(value)
    if isinstance(value, str):
        raise Unreadable("JSON nested too deep")
    return value


# -- translations: Config's recorded configuration -> the S3 API's answer ---------------------
def _block(config: Mapping[str, Any]) -> dict[str, Any]:
    flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    return {"PublicAccessBlockConfiguration": {flag: _bool(config[_camel(flag)]) for flag in flags}}


def _policy(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    text = (config or {}).get("policyText")
    return {"Policy": text} if text else None  # None is GetBucketPolicy's NoSuchBucketPolicy


def _acl(config: Mapping[str, Any]) -> dict[str, Any]:
    grants = []
    for grant in config.get("grantList") or []:
        permission = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", grant["permission"]).upper()
        grants.append({"Grantee": _grantee(grant["grantee"]), "Permission": permission})
    return {"Owner": {"ID": (config.get("owner") or {}).get("id")}, "Grants": grants}


def _grantee(grantee: Any) -> dict[str, Any]:
    if isinstance(grantee, str) and grantee in GROUP_URIS:
        return {"Type": "Group", "URI": GROUP_URIS[grantee]}
    if isinstance(grantee, Mapping) and grantee.get("id"):
        return {"Type": "CanonicalUser", "ID": grantee["id"]}
    raise Unreadable(f"unknown ACL grantee {grantee!r}")


def _lifecycle(config: Mapping[str, Any]) -> dict[str, Any]:
    return {"Rules": [_rule(rule) for rule in config.get("rules") or []]}


def _rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": rule.get("id"), "Status": rule["status"]}
    if rule.get("prefix"):
        out["Prefix"] = rule["prefix"]
    predicate = (rule.get("filter") or {}).get("predicate")
    if predicate:
        out["Filter"] = _predicate(predicate)
    if _days(rule.get("expirationInDays")):
        out["Expiration"] = {"Days": rule["expirationInDays"]}
    elif rule.get("expirationDate"):
        out["Expiration"] = {"Date": rule["expirationDate"]}
    noncurrent = rule.get("noncurrentVersionExpiration") or {}
    days = noncurrent.get("noncurrentDays") or rule.get("noncurrentVersionExpirationInDays")
    if _days(days):
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": days, **(
            {"NewerNoncurrentVersions": noncurrent["newerNoncurrentVersions"]}
            if noncurrent.get("newerNoncurrentVersions") else {})}
    return out


def _predicate(predicate: Mapping[str, Any]) -> dict[str, Any]:
    """A lifecycle filter; a predicate type we do not know makes the whole configuration unreadable."""
    kind = predicate.get("type")
    if kind == "LifecyclePrefixPredicate":
        return {"Prefix": predicate.get("prefix") or ""}
    if kind == "LifecycleTagPredicate":
        return {"Tag": {"Key": predicate["tag"]["key"], "Value": predicate["tag"]["value"]}}
    if kind == "LifecycleAndOperator":
        return {"And": {"Operands": predicate.get("operands")}}  # narrower than the whole bucket, as in the API
    raise Unreadable(f"unknown lifecycle predicate {kind!r}")


def _logging(config: Mapping[str, Any]) -> dict[str, Any]:
    target = config.get("destinationBucketName")
    return {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": config.get("logFilePrefix") or ""}} \
        if target else {}


def _versioning(config: Mapping[str, Any]) -> dict[str, Any]:
    status = config["status"]
    if status not in ("Off", "Enabled", "Suspended"):
        raise Unreadable(f"unknown versioning status {status!r}")
    answer: dict[str, Any] = {} if status == "Off" else {"Status": status}
    if config.get("isMfaDeleteEnabled") is not None:
        answer["MFADelete"] = "Enabled" if _bool(config["isMfaDeleteEnabled"]) else "Disabled"
    return answer


def _encryption(config: Mapping[str, Any]) -> dict[str, Any] | None:
    rules = []
    for rule in config.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        rules.append({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default.get("sseAlgorithm"),
                                                             "KMSMasterKeyID": default.get("kmsMasterKeyID")},
                      "BucketKeyEnabled": _bool(rule.get("bucketKeyEnabled") or False)})
    return {"ServerSideEncryptionConfiguration": {"Rules": rules}} if rules else None


def _tagging(config: Mapping[str, Any]) -> dict[str, Any]:
    tags: dict[str, str] = {}
    for tag_set in config.get("tagSets") or []:
        tags.update(tag_set.get("tags") or {})
    return {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}


def _camel(name: str) -> str:
    return name[0].lower() + name[1:]


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise Unreadable(f"not a boolean: {value!r}")


def _days(value: Any) -> bool:
    return isinstance(value, int) and value > 0  # Config records an unset number of days as -1 or null


#: supplementaryConfiguration key -> (the S3 answer it stands for, as keyed in s3.APIS; its translation).
TRANSLATIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "PublicAccessBlockConfiguration": ("block", _block),
    "BucketPolicy": ("policy", _policy),
    "AccessControlList": ("acl", _acl),
    "BucketLifecycleConfiguration": ("lifecycle", _lifecycle),
    "BucketLoggingConfiguration": ("logging", _logging),
    "BucketVersioningConfiguration": ("versioning", _versioning),
    "ServerSideEncryptionConfiguration": ("encryption", _encryption),
    "BucketTaggingConfiguration": ("tagging", _tagging),
}


# -- an organisation aggregator -----------------------------------------------------------------
ACCOUNT_BLOCK_TYPE = "AWS::S3::AccountPublicAccessBlock"
IDENTIFIER_KEYS = ("SourceAccountId", "SourceRegion", "ResourceId", "ResourceType")


@dataclass(frozen=True)
class Aggregated:
    """What an aggregator holds: every bucket it lists (account, region, name), their items, account blocks."""

    buckets: list[tuple[str, str, str]]
    items: dict[tuple[str, str], Item]  # (account, bucket name) -> item
    account_blocks: dict[str, Item]  # account -> its AWS::S3::AccountPublicAccessBlock item


def aggregated(client: Any, aggregator: str, regions: Iterable[str],
               keep: Callable[[str, str], bool] = lambda account, name: True, accounts: Any = None) -> Aggregated:
    """Every bucket of the aggregator's accounts (in ``regions``, if any; of the kept ``accounts``; those ``keep``
    keeps: a shard's own) with its item, 100 per request."""
    only = set(regions)
    listed = [i for i in _identifiers(client, aggregator, RESOURCE_TYPE, accounts)
              if (not only or i["SourceRegion"] in only)
              and keep(i["SourceAccountId"], i.get("ResourceName") or i["ResourceId"])]
    items = {(item.account, item.name): item for item in _batch(client, aggregator, listed)}
    blocks = {item.account: item for item in _batch(client, aggregator, _identifiers(client, aggregator,
                                                                                      ACCOUNT_BLOCK_TYPE, accounts))}
    buckets = [(i["SourceAccountId"], i["SourceRegion"], i.get("ResourceName") or i["ResourceId"]) for i in listed]
    return Aggregated(buckets, items, blocks)


def account_block(item: Item) -> dict[str, Any] | None:
    """The account's public access block as s3control GetPublicAccessBlock answers it."""
    return item.answers.get("account_block")


def _identifiers(client: Any, aggregator: str, resource_type: str, accounts: Any = None) -> list[dict[str, Any]]:
    from .config_items import EVERY_ACCOUNT, identifiers

    return identifiers(client, aggregator, resource_type, None, accounts or EVERY_ACCOUNT)


def _batch(client: Any, aggregator: str, identifiers: list[dict[str, Any]]) -> list[Item]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for identifier in identifiers:  # an account-wide type is listed once per region
        key = (identifier["SourceAccountId"], identifier["ResourceId"])
        if key not in seen:
            seen.add(key)
            unique.append({k: identifier[k] for k in IDENTIFIER_KEYS})
    found = []
    for start in range(0, len(unique), BATCH):
        answer = call(client, BATCH_GET_AGGREGATE, ConfigurationAggregatorName=aggregator,
                      ResourceIdentifiers=unique[start:start + BATCH]) or {}
        for raw in answer.get("BaseConfigurationItems") or []:
            item = _account_block_item(raw) if raw.get("resourceType") == ACCOUNT_BLOCK_TYPE else to_item(raw)
            if item is not None:
                found.append(item)
    return found


def _account_block_item(raw: Mapping[str, Any]) -> Item | None:
    item = to_item({**raw, "supplementaryConfiguration": {}})
    if item is None:
        return None
    try:
        answers = {"account_block": _block(decode(raw.get("configuration")))}
    except (Unreadable, ValueError, TypeError, KeyError, AttributeError):
        answers = {}
    return Item(item.name, item.account, item.region, item.captured, answers)


class Unreachable:
    """The clients of an account read only through an aggregator: no live request is possible, so whatever
    its Config items do not hold (fresh) stays unknown."""

    def __init__(self, home_region: str, reason: str):
        self.home_region = home_region
        self.reason = reason

    def __call__(self, service: str, region: str | None = None) -> Any:
        from policycheck.errors import CollectionError

        raise CollectionError(self.reason)
