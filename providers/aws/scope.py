"""What a listing unit works with: one account, the plan, and the run's shared caches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policycheck.errors import CollectionError
from policycheck.provider import CollectPlan
from policycheck.regions import locate

from .calls import Api, SharedCache, api, call

if TYPE_CHECKING:  # the SDK loads only when a scan runs
    from .accounts import Target
    from .s3_config import Inventory

KMS_DESCRIBE_KEY = api("kms", "DescribeKey", "kms:DescribeKey")
DESCRIBE_ORGANIZATION = api("organizations", "DescribeOrganization", "organizations:DescribeOrganization",
                            "AWSOrganizationsNotInUseException")


def _everything(resource_id: str) -> bool:
    return True


@dataclass
class Scope:
    target: Target
    plan: CollectPlan
    cache: SharedCache
    regions: tuple[str, ...]  # explicit region filter; empty = every region
    owns: Callable[[str], bool] = _everything  # the run's shard does this resource id (checked before details)
    inventory: Inventory | None = None  # where bucket facts come from (AWS Config or the live API)

    @property
    def account(self) -> str:
        return self.target.account

    @property
    def partition(self) -> str:
        return self.target.partition

    def client(self, service: str, region: str | None = None) -> Any:
        return self.target.clients(service, region)

    def once(self, key: tuple, spec: Api, region: str | None, **params: Any) -> Any:
        """One account-wide answer, requested once per run (e.g. the account's public access block)."""
        return self.cache.get((self.account, region, spec.operation, *key),
                              lambda: call(self.client(spec.service, region), spec, **params))

    def organisation(self) -> str | None:
        """The account's AWS Organizations id (one request per account), None when it belongs to none."""
        answer = self.once((), DESCRIBE_ORGANIZATION, None) or {}
        return (answer.get("Organization") or {}).get("Id")

    def key_management(self, key_id: str | None, region: str) -> str:
        """provider-managed or customer-managed, from the KMS key's manager (one DescribeKey per key)."""
        if not key_id or "alias/aws/" in key_id:
            return "provider-managed"
        if key_id.startswith("arn:"):
            region = key_id.split(":")[3] or region
        return managed_by(self.once((key_id,), KMS_DESCRIBE_KEY, region, KeyId=key_id))


#: DescribeKey's KeyManager -> the vocabulary's encryption.key_management.
KEY_MANAGERS = {"CUSTOMER": "customer-managed", "AWS": "provider-managed"}


def managed_by(answer: Any) -> str:
    """The key management of a DescribeKey answer; an answer without a known KeyManager is unknown."""
    manager = ((answer or {}).get("KeyMetadata") or {}).get("KeyManager")
    if manager not in KEY_MANAGERS:
        raise CollectionError("the KMS key's description has no KeyManager" if manager is None
                              else "the KMS key's KeyManager is not AWS or CUSTOMER", action=KMS_DESCRIBE_KEY.action)
    return KEY_MANAGERS[manager]


def location(region: str | None) -> dict[str, Any]:
    return locate("aws", region)


def replication(regions: list[str]) -> dict[str, Any]:
    """``replication.*`` from replica regions (sorted, unique)."""
    unique = sorted(set(regions))
    return {"replication.regions": unique,
            "replication.jurisdictions": sorted({location(r)["location.jurisdiction"] for r in unique})}


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def region_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 5 and parts[0] == "arn" else None
