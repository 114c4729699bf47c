"""AWS Config configuration items of any resource type, read in bulk, and the accounts an aggregator read keeps.

S3 has its own reader (:mod:`.s3_config`, keyed to the S3 APIs' answers); RDS and DynamoDB read
their items here and translate ``configuration`` (the service's Describe answer in Config's
lowerCamelCase, https://github.com/awslabs/aws-config-resource-schema) back into the Describe
answer the live collectors derive from (:mod:`.rds_config`, :mod:`.dynamodb_config`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from policycheck.attributes import AttributeSpec as A

from .calls import call, paginate
from .s3_config import BATCH, BATCH_GET, CURRENT, IDENTIFIER_KEYS, LIST_AGGREGATE, Unreachable, Unreadable, decode
from .s3_config import BATCH_GET_AGGREGATE as BATCH_AGGREGATE

if TYPE_CHECKING:
    from .scope import Scope


#: Where a resource's facts came from, for every type that can be read from AWS Config.
FRESHNESS = (
    A("raw.collected_from", "string", "Where the resource's facts came from: config (an AWS Config item, the live "
      "API for what it lacks) or api (the live APIs); set only with --aws-source config or auto."),
    A("raw.config_capture_time", "string", "Capture time (ISO 8601, UTC) of the AWS Config item the facts came "
      "from; also given for a stale item that was not used."),
)


@dataclass(frozen=True)
class Accounts:
    """Which accounts of an aggregator a scan keeps (``--accounts``, ``--exclude-accounts``, ``--ou``)."""

    only: frozenset[str] | None = None  # None: every account the aggregator holds
    exclude: frozenset[str] = frozenset()

    def wants(self, account: str) -> bool:
        return (self.only is None or account in self.only) and account not in self.exclude

    def filters(self) -> list[dict[str, str]]:
        """ListAggregateDiscoveredResources filters: one per kept account when they are named, else none."""
        if self.only is None:
            return [{}]
        return [{"AccountId": account} for account in sorted(self.only - self.exclude)]


EVERY_ACCOUNT = Accounts()


def aggregator_accounts(settings: Any, base: Any) -> Accounts:
    """The accounts an aggregator read keeps: ``--accounts`` (and the accounts under ``--ou``, read from
    AWS Organizations with the scanning account's credentials), less ``--exclude-accounts``."""
    only: set[str] | None = set(settings.accounts) if settings.accounts else None
    if settings.ous:
        from .organization import accounts_under

        under = set(accounts_under(base.clients("organizations"), settings.ous))
        only = under if only is None else only & under
    return Accounts(frozenset(only) if only is not None else None, frozenset(settings.exclude_accounts))


@dataclass(frozen=True)
class Record:
    """One current configuration item: where it is, when it was captured, and what it holds (decoded)."""

    resource_type: str
    resource_id: str
    name: str
    arn: str
    account: str
    region: str
    captured: dt.datetime
    configuration: Mapping[str, Any]
    supplementary: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] | None = None  # only items read with their tags carry them (BatchGet's do not)


def to_record(raw: Mapping[str, Any]) -> Record | None:
    """A configuration item as a :class:`Record`; None for a deleted resource, an undated or unreadable item."""
    captured = raw.get("configurationItemCaptureTime")
    if isinstance(captured, str):
        try:
            captured = dt.datetime.fromisoformat(captured.replace("Z", "+00:00"))
        except ValueError:
            return None
    if raw.get("configurationItemStatus") not in CURRENT or not isinstance(captured, dt.datetime) \
            or captured.tzinfo is None:
        return None
    try:
        configuration = decode(raw.get("configuration"))
    except (Unreadable, ValueError, TypeError):
        return None
    if not isinstance(configuration, Mapping):
        return None
    supplementary: dict[str, Any] = {}
    for key, value in (raw.get("supplementaryConfiguration") or {}).items():
        try:
            supplementary[key] = decode(value)
        except (Unreadable, ValueError, TypeError):
            continue  # left out: the live API answers for it
    tags = raw.get("tags")
    return Record(str(raw.get("resourceType") or ""), str(raw.get("resourceId") or ""),
                  str(raw.get("resourceName") or raw.get("resourceId") or ""), str(raw.get("arn") or ""),
                  str(raw.get("accountId") or ""),
                  str(raw.get("awsRegion") or ""), captured.astimezone(dt.UTC), configuration, supplementary,
                  {str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else None)


def recorded(client: Any, resource_type: str, ids: Iterable[str]) -> dict[str, Record]:
    """The current items of ``ids`` (resource ids) that this region's Config holds, 100 per request."""
    wanted = list(ids)
    found: dict[str, Record] = {}
    for start in range(0, len(wanted), BATCH):
        keys = [{"resourceType": resource_type, "resourceId": i} for i in wanted[start:start + BATCH]]
        answer = call(client, BATCH_GET, resourceKeys=keys) or {}
        for raw in answer.get("baseConfigurationItems") or []:
            record = to_record(raw)
            if record is not None:
                found[record.resource_id] = record
    return found


def aggregated(client: Any, aggregator: str, resource_type: str, region: str | None,
               accounts: Accounts = EVERY_ACCOUNT, keep: Callable[[str, str], bool] = lambda a, n: True
               ) -> list[Record]:
    """The aggregator's current items of ``resource_type`` (in ``region``, of the kept accounts; those ``keep``
    keeps by account and name), listed then read 100 per request."""
    listed = identifiers(client, aggregator, resource_type, region, accounts)
    wanted = [i for i in listed if keep(i["SourceAccountId"], i.get("ResourceName") or i["ResourceId"])]
    found: list[Record] = []
    for start in range(0, len(wanted), BATCH):
        answer = call(client, BATCH_AGGREGATE, ConfigurationAggregatorName=aggregator,
                      ResourceIdentifiers=[{k: i[k] for k in IDENTIFIER_KEYS} for i in wanted[start:start + BATCH]])
        for raw in (answer or {}).get("BaseConfigurationItems") or []:
            record = to_record(raw)
            if record is not None:
                found.append(record)
    return found


def identifiers(client: Any, aggregator: str, resource_type: str, region: str | None = None,
                accounts: Accounts = EVERY_ACCOUNT) -> list[dict[str, Any]]:
    """ListAggregateDiscoveredResources, narrowed at the source by account and region where it can be."""
    found: list[dict[str, Any]] = []
    for account_filter in accounts.filters():
        filters = {**account_filter, **({"Region": region} if region else {})}
        found.extend(paginate(client, LIST_AGGREGATE, "ResourceIdentifiers", "NextToken", "NextToken",
                              ConfigurationAggregatorName=aggregator, ResourceType=resource_type, Limit=100,
                              **({"Filters": filters} if filters else {})))
    return [i for i in found if accounts.wants(i["SourceAccountId"])]


def pascal(value: Any, renames: Mapping[str, str] | None = None) -> Any:
    """Config's lowerCamelCase keys as the service API spells them (``dBInstanceArn`` -> ``DBInstanceArn``);
    ``renames`` for the keys whose spelling Config lowered further (``ssedescription`` -> ``SSEDescription``)."""
    names = renames or {}
    if isinstance(value, Mapping):
        return {names.get(k, k[:1].upper() + k[1:]): pascal(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal(v, names) for v in value]
    return value


def member_scope(scope: Scope, account: str) -> Scope:
    """The scope of an account read only through the aggregator: every live request is a collection error."""
    from .accounts import Target

    if account == scope.account:
        return scope
    name = scope.inventory.aggregator if scope.inventory else None
    reason = f"not in a fresh AWS Config item, and account {account} is read only through aggregator {name}"
    clients: Any = Unreachable(scope.target.clients.home_region, reason)
    return replace(scope, target=Target(account, scope.partition, f"{account} via {name}", clients))


def freshness(scope: Scope, record: Record | None) -> dict[str, Any]:
    """``raw.collected_from`` and ``raw.config_capture_time`` when Config is a source (else nothing)."""
    if scope.inventory is None or not scope.inventory.active:
        return {}
    used = record is not None and scope.inventory.fresh_at(record.captured)
    return {"raw.collected_from": "config" if used else "api",
            "raw.config_capture_time": record.captured.isoformat() if record else None}
