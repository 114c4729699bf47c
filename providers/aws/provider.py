"""The AWS provider: S3 buckets, RDS instances and clusters, DynamoDB tables.

Listing runs as independent units (account x region x type) in a bounded thread pool; every
resource carries lazy fetchers for just the groups the plan needs, so the engine's reads
decide which calls are made, and only for resources in a rule's scope.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

from policycheck.errors import CollectionError
from policycheck.model import Resource
from policycheck.provider import CollectPlan, Provider, ProviderContext
from policycheck.shard import RESOURCE_ID

from . import dynamodb, rds, s3, s3_config
from .calls import SharedCache, api, call
from .config_items import aggregator_accounts
from .groups import TypeSpec, actions
from .scope import Scope, _everything
from .settings import AwsSettings

DESCRIBE_REGIONS = api("ec2", "DescribeRegions", "ec2:DescribeRegions")
#: The progress kind of an account (``accounts 3/12 done``).
ACCOUNTS = "accounts"
#: Connections per client beyond the evaluation and listing threads (one each per worker).
POOL_HEADROOM = 4


@dataclass(frozen=True)
class Collector:
    """One resource type: its spec, its lister, and whether it is listed per region."""

    spec: TypeSpec
    lister: Callable[[Scope, Any], Iterator[Resource]]
    regional: bool


COLLECTORS = (
    Collector(s3.SPEC, s3.list_buckets, regional=False),
    Collector(rds.INSTANCE_SPEC, rds.list_instances, regional=True),
    Collector(rds.CLUSTER_SPEC, rds.list_clusters, regional=True),
    Collector(dynamodb.SPEC, dynamodb.list_tables, regional=True),
)


class AwsProvider(Provider):
    """Collects AWS data stores through boto3 (read-only: List/Get/Describe calls only)."""

    name: ClassVar[str] = "aws"
    description: ClassVar[str] = "Amazon S3 buckets, RDS instances and Aurora clusters, DynamoDB tables"
    extra: ClassVar[str | None] = "aws"
    resource_types = tuple(c.spec.type for c in COLLECTORS)
    settings_class = AwsSettings
    settings: AwsSettings

    def __init__(self, settings: AwsSettings | Mapping[str, Any], context: ProviderContext, *,
                 session_factory: Callable[..., Any] | None = None):
        super().__init__(settings, context)
        self._session_factory = session_factory
        self._chosen: list[str] = []  # the accounts this run scans (after sharding), for progress

    # -- collection ----------------------------------------------------------------------------
    def collect(self, plan: CollectPlan) -> Iterator[Resource]:
        wanted = [c for c in COLLECTORS if plan.wants_type(c.spec.type.name)]
        if not wanted:
            return
        from .accounts import resolve_targets
        from .session import Clients, botocore_config, endpoint_override

        settings = self.settings
        config = botocore_config(max_attempts=settings.max_attempts, connect_timeout=settings.connect_timeout,
                                 read_timeout=settings.read_timeout, pool=2 * plan.max_workers + POOL_HEADROOM,
                                 path_style=bool(endpoint_override(settings.endpoint_url)))
        targets = resolve_targets(settings, self._factory(), lambda s: Clients(s, config, settings.endpoint_url),
                                  self.context.report_problem, select=self._shard_accounts)
        owns = self.context.owns if self.context.partition == RESOURCE_ID else _everything
        cache = SharedCache()
        inventory = self._inventory(targets)
        units: list[tuple[Collector, Scope, str | None]] = []
        scopes = [Scope(target, plan, cache, settings.regions, owns, inventory) for target in targets]
        for scope, regions in zip(scopes, self._regions_of(scopes, regional=any(c.regional for c in wanted)),
                                  strict=True):
            for collector in wanted:
                units.extend((collector, scope, region) for region in (regions if collector.regional else [None]))
        parts = Counter(scope.account for _, scope, _ in units)
        # an account whose role could not be assumed is done too (its problem is reported)
        self.context.progress.plan(ACCOUNTS, {a: parts[a] for a in [*(t.account for t in targets), *self._chosen]})
        if units:
            yield from _stream(units, self._list, max(1, min(plan.max_workers, len(units))))

    def _inventory(self, targets: list[Any]) -> s3_config.Inventory:
        settings = self.settings
        accounts = None
        if settings.config_aggregator and targets:
            accounts = aggregator_accounts(settings, targets[0])
        return s3_config.Inventory(settings.source, dt.timedelta(hours=settings.max_config_age), self.context.clock,
                                   settings.config_aggregator, accounts)

    def _shard_accounts(self, accounts: list[str]) -> list[str]:
        """A shard's accounts: whole accounts when there are many, else every account and its own resources."""
        if self.context.shard.split_by_units(len(accounts)):
            self.context.partition_by("account")
            accounts = [a for a in accounts if self.context.owns(f"aws:{a}")]
        else:
            self.context.partition_by(RESOURCE_ID)  # resources are then split by id at listing, before any detail
        self._chosen = accounts
        return accounts

    def _factory(self) -> Callable[..., Any]:
        if self._session_factory is not None:
            return self._session_factory
        import boto3

        return boto3.Session

    def _list(self, collector: Collector, scope: Scope, region: str | None) -> Iterator[Resource]:
        try:
            for resource in collector.lister(scope, region):
                if scope.owns(resource.id):  # lazy: nothing about another shard's resource is fetched
                    yield resource
        except CollectionError as exc:
            where = f"account {scope.account}" + (f" region {region}" if region else "")
            self.context.report_problem(where, f"cannot list {collector.spec.type.name}: {exc}")
        finally:
            self.context.progress.part_done(ACCOUNTS, scope.account)

    def _regions_of(self, scopes: list[Scope], *, regional: bool) -> list[list[str]]:
        """Each account's regions, asked of the accounts concurrently (hundreds of accounts in an organisation)."""
        if not regional:
            return [[] for _ in scopes]
        if self.settings.regions or len(scopes) < 2:
            return [self._regions(scope) for scope in scopes]
        from .accounts import ASSUME_WORKERS

        with ThreadPoolExecutor(min(ASSUME_WORKERS, len(scopes)), "policycheck-aws-regions") as pool:
            return list(pool.map(self._regions, scopes))

    def _regions(self, scope: Scope) -> list[str]:
        """Configured regions, else every region enabled in the account."""
        if self.settings.regions:
            return list(self.settings.regions)
        try:
            answer = call(scope.client("ec2"), DESCRIBE_REGIONS) or {}
        except CollectionError as exc:
            self.context.report_problem(f"account {scope.account}", f"cannot list enabled regions: {exc}; "
                                        "set regions in the config or pass --region")
            return []
        return sorted(r["RegionName"] for r in answer.get("Regions", []))

    # -- permissions and demo ------------------------------------------------------------------
    def permissions(self, plan: CollectPlan) -> list[str]:
        """IAM actions the plan needs: listing, the groups' calls, and region/account discovery."""
        wanted = [c for c in COLLECTORS if plan.wants_type(c.spec.type.name)]
        found: set[str] = set()
        for collector in wanted:
            found |= actions(collector.spec, plan)
        if self.settings.source != "api":
            recorded = [c for c in wanted if c.spec is s3.SPEC or c.spec is dynamodb.SPEC
                        or (self.settings.config_aggregator and c.spec in (rds.INSTANCE_SPEC, rds.CLUSTER_SPEC))]
            if recorded:
                found.update(a.action for a in (s3_config.AGGREGATE_APIS if self.settings.config_aggregator
                                                else s3_config.APIS))
        if self.settings.config_aggregator and self.settings.ous and wanted:
            found.update({"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"})
        if any(c.regional for c in wanted) and not self.settings.regions:
            found.add(DESCRIBE_REGIONS.action)
        if wanted and (self.settings.role_arns or self.settings.org_role):
            found.add("sts:AssumeRole")
        if wanted and self.settings.org_role:
            found.update({"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"}
                         if self.settings.ous else {"organizations:ListAccounts"})
        return sorted(found)

    def permissions_document(self, plan: CollectPlan) -> str:
        """An IAM policy document granting exactly the read-only actions the plan needs."""
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "PolicycheckReadOnly", "Effect": "Allow", "Action": self.permissions(plan), "Resource": "*"}]},
            indent=2)

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]]:
        """A customer-service estate in moto (in-process, no AWS account); yields the provider config."""
        from .demo import demo_estate

        return demo_estate()


_DONE = object()


def _stream(units: list[tuple[Any, ...]], lister: Callable[..., Iterator[Resource]], workers: int
            ) -> Iterator[Resource]:
    """Run the listing units in a pool and yield each resource as soon as it is listed.

    Nothing keeps a yielded resource alive here, so memory stays flat however many there are;
    an error inside a unit is re-raised in the caller, and closing the generator stops the units.
    """
    out: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()

    def run(unit: tuple[Any, ...]) -> None:
        try:
            for resource in lister(*unit):
                if stop.is_set():
                    return
                out.put(resource)
        except BaseException as exc:  # surfaced to the consumer, never lost in a worker
            out.put(_Failure(exc))
        finally:
            out.put(_DONE)

    with ThreadPoolExecutor(workers, "policycheck-aws-list") as pool:
        for unit in units:
            pool.submit(run, unit)
        remaining = len(units)
        try:
            while remaining:
                item = out.get()
                if item is _DONE:
                    remaining -= 1
                elif isinstance(item, _Failure):
                    raise item.error
                else:
                    yield item
        finally:
            stop.set()


@dataclass(frozen=True)
class _Failure:
    error: BaseException
