"""S3 buckets: one listing per account, then only the calls the plan's groups need, per bucket.

Region comes from ListBuckets' ``BucketRegion`` (AWS returns it when a parameter is given);
endpoints that leave it out (moto, older S3-compatible servers) cost one GetBucketLocation per
bucket, so the region, and with it the finding fingerprint, never depends on the rules loaded.
A bucket's id is ``arn:aws:s3::ACCOUNT:NAME``: the bucket ARN's fields with the account filled
in, so every AWS resource id names its account.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from policycheck.attributes import AttributeSpec as A
from policycheck.errors import CollectionError
from policycheck.model import Resource, Unknown

from .calls import Answers, api, call, paginate
from .cloudtrail import APIS as TRAIL_APIS
from .cloudtrail import logs_reads
from .config_items import FRESHNESS
from .groups import Group, TypeSpec, fetchers, resource_type
from .s3_access import ALL_BLOCKED, acl_external_grants, acl_public_grants, effective_block
from .s3_config import Aggregated, Item, Unreachable, aggregated, recorded
from .s3_exposure import ACCESS_POINT_APIS, POLICY_STATUS, Exposure, access_point_exposure, cross_check
from .s3_lifecycle import expiration_days, has_expiry, noncurrent_days
from .s3_policy import NO_POLICY, PolicyVerdict, evaluate_policy
from .scope import DESCRIBE_ORGANIZATION, KMS_DESCRIBE_KEY, Scope, location, replication

TYPE_NAME = "aws.s3.bucket"

LIST_BUCKETS = api("s3", "ListBuckets", "s3:ListAllMyBuckets")
LOCATION = api("s3", "GetBucketLocation", "s3:GetBucketLocation")
ACCOUNT_BLOCK = api("s3control", "GetPublicAccessBlock", "s3:GetAccountPublicAccessBlock",
                    "NoSuchPublicAccessBlockConfiguration")
APIS = {
    "tagging": api("s3", "GetBucketTagging", "s3:GetBucketTagging", "NoSuchTagSet", "NoSuchTagSetError"),
    "encryption": api("s3", "GetBucketEncryption", "s3:GetEncryptionConfiguration",
                      "ServerSideEncryptionConfigurationNotFoundError"),
    "block": api("s3", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock",
                 "NoSuchPublicAccessBlockConfiguration"),
    "acl": api("s3", "GetBucketAcl", "s3:GetBucketAcl"),
    "policy": api("s3", "GetBucketPolicy", "s3:GetBucketPolicy", "NoSuchBucketPolicy"),
    "lifecycle": api("s3", "GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration",
                     "NoSuchLifecycleConfiguration"),
    "object_lock": api("s3", "GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration",
                       "ObjectLockConfigurationNotFoundError"),
    "versioning": api("s3", "GetBucketVersioning", "s3:GetBucketVersioning"),
    "logging": api("s3", "GetBucketLogging", "s3:GetBucketLogging"),
    "replication": api("s3", "GetBucketReplication", "s3:GetReplicationConfiguration",
                       "ReplicationConfigurationNotFoundError"),
    "policy_status": POLICY_STATUS,
}
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


class Bucket:
    """One bucket: where it is and the API answers read about it so far."""

    __slots__ = ("answers", "name", "region", "regions", "scope")

    def __init__(self, scope: Scope, name: str, region: str | None, regions: Mapping[str, str | None]):
        self.scope = scope
        self.name = name
        self.region = region
        self.regions = regions  # every bucket of the account -> region, for replication targets
        self.answers = Answers(self._fetch)

    def _fetch(self, key: str) -> Any:
        return call(self.scope.client("s3", self.region), APIS[key], Bucket=self.name)

    @property
    def arns(self) -> list[str]:
        arn = f"arn:{self.scope.partition}:s3:::{self.name}"
        return [arn, f"{arn}/*"]

    def account_flags(self) -> dict[str, Any]:
        account = self.scope.once((), ACCOUNT_BLOCK, None, AccountId=self.scope.account)
        return (account or {}).get("PublicAccessBlockConfiguration") or {}

    def block(self) -> dict[str, bool]:
        """Effective public access block; the bucket's own block is not read when the account's covers all."""
        account_flags = self.account_flags()
        if all(account_flags.get(flag) for flag in ALL_BLOCKED):
            return effective_block(account_flags, {})
        bucket = self.answers["block"]
        return effective_block(account_flags, (bucket or {}).get("PublicAccessBlockConfiguration") or {})

    def policy(self) -> PolicyVerdict:
        answer = self.answers["policy"]
        if not answer or not answer.get("Policy"):
            return NO_POLICY
        return evaluate_policy(answer["Policy"], service="s3", resources=self.arns, own_account=self.scope.account)

    def exposure(self) -> Exposure:
        """The policy route: our verdict cross-checked with S3's, then the access points it delegates to."""
        answer = self.answers["policy"]
        if not answer or not answer.get("Policy"):
            return Exposure(False)
        ours = self.policy()
        judged = cross_check(ours, lambda: self.answers["policy_status"])
        if judged.public is not False or not ours.access_point_accounts:
            return judged
        points = access_point_exposure(self.scope.client("s3control", self.region), self.scope.account, self.name,
                                       ours.access_point_accounts, self.block(), self.account_flags())
        return Exposure(points.public, points.via, judged.statements, judged.aws_public, points.access_points)

    def encryption(self) -> tuple[str | None, str | None]:
        """Default encryption algorithm and KMS key (None, None when there is none)."""
        answer = self.answers["encryption"] or {}
        for rule in answer.get("ServerSideEncryptionConfiguration", {}).get("Rules", []):
            default = rule.get("ApplyServerSideEncryptionByDefault") or {}
            if default.get("SSEAlgorithm"):
                return default["SSEAlgorithm"], default.get("KMSMasterKeyID")
        return None, None

    def lifecycle_rules(self) -> list[dict[str, Any]]:
        return (self.answers["lifecycle"] or {}).get("Rules", [])

    def versioned(self) -> bool:
        """Versioning on now or earlier (suspended buckets keep their old versions)."""
        return (self.answers["versioning"] or {}).get("Status") in ("Enabled", "Suspended")

    def lock(self) -> dict[str, Any]:
        config = (self.answers["object_lock"] or {}).get("ObjectLockConfiguration") or {}
        retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
        days = retention.get("Days") or (retention["Years"] * 365 if retention.get("Years") else None)
        return {"raw.object_lock_enabled": config.get("ObjectLockEnabled") == "Enabled",
                "raw.object_lock_mode": retention.get("Mode"), "raw.object_lock_days": days}


# -- group derivations -------------------------------------------------------------------------
def _tags(b: Bucket) -> dict[str, Any]:
    answer = b.answers["tagging"] or {}
    return {"tags": {t["Key"]: t["Value"] for t in answer.get("TagSet", [])}}


def _encryption(b: Bucket) -> dict[str, Any]:
    algorithm, key = b.encryption()
    answer = b.answers["encryption"] or {}
    rules = answer.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    return {
        "encryption.at_rest": algorithm is not None,
        "encryption.kms_key": key or ("alias/aws/s3" if algorithm in KMS_ALGORITHMS else None),
        "raw.sse_algorithm": algorithm,
        "raw.bucket_key_enabled": any(r.get("BucketKeyEnabled") for r in rules),
    }


def _key_management(b: Bucket) -> dict[str, Any]:
    algorithm, key = b.encryption()
    if algorithm is None:
        value = "none"
    elif algorithm in KMS_ALGORITHMS:
        value = b.scope.key_management(key, b.region or b.scope.target.clients.home_region)
    else:
        value = "provider-managed"
    return {"encryption.key_management": value}


def _public_access_block(b: Bucket) -> dict[str, Any]:
    flags = b.block()
    return {"access.public_access_blocked": all(flags.values()), "raw.public_access_block": flags}


def _access(b: Bucket) -> dict[str, Any]:
    """Public via ACL or policy; a block that ignores public ACLs / restricts public policies makes that call moot."""
    flags = b.block()
    via: list[str] = []
    grants: list[str] = []
    statements: tuple[str, ...] = ()
    if not flags["IgnorePublicAcls"]:
        grants = acl_public_grants(b.answers["acl"] or {})
        if grants:
            via.append("acl")
    exposure = Exposure(False)
    if not flags["RestrictPublicBuckets"]:
        exposure = b.exposure()
        statements = exposure.statements
        via.extend(exposure.via)
    public: bool | Unknown = exposure.public
    if grants or exposure.public is True:
        public = True  # a public ACL or a public policy route is certain, whatever else is unknown
    return {"access.public": public, "access.public_via": via, "raw.acl_public_grants": grants,
            "raw.policy_public_statements": list(statements), "raw.policy_status_public": exposure.aws_public,
            "raw.public_access_points": list(exposure.access_points)}


def _external(b: Bucket) -> dict[str, Any]:
    """Other accounts (ids, canonical ids) and organisations that the ACL or the policy lets in."""
    acl = b.answers["acl"] or {}
    owner = (acl.get("Owner") or {}).get("ID")
    found = set(acl_external_grants(acl, owner))
    verdict = b.policy()
    # RestrictPublicBuckets "blocks public and cross-account access derived from any public ... bucket policy"
    if not (verdict.public and b.block()["RestrictPublicBuckets"]):
        found |= {p for p in verdict.external if p != owner}
        if verdict.organisations:
            own = b.scope.organisation()
            found |= {org for org in verdict.organisations if org != own}
    return {"access.external_principals": sorted(found)}


def _tls(b: Bucket) -> dict[str, Any]:
    return {"encryption.in_transit_enforced": b.policy().tls_enforced}


def _policy_accounts(b: Bucket) -> dict[str, Any]:
    return {"raw.policy_accounts": list(b.policy().accounts)}


def _lifecycle(b: Bucket) -> dict[str, Any]:
    rules = b.lifecycle_rules()
    return {"raw.lifecycle_rules": sum(1 for r in rules if r.get("Status") == "Enabled"),
            "raw.lifecycle_expiration_days": expiration_days(rules), "raw.lifecycle_noncurrent_days":
            noncurrent_days(rules)}


def _max_age(b: Bucket) -> dict[str, Any]:
    """Oldest an object can get: its expiry, plus the noncurrent-version expiry when versioned."""
    rules = b.lifecycle_rules()
    current = expiration_days(rules)
    if current is not None and b.versioned():
        noncurrent = noncurrent_days(rules)
        return {"retention.max_age_days": None if noncurrent is None else current + noncurrent}
    return {"retention.max_age_days": current}


def _retention(b: Bucket) -> dict[str, Any]:
    mechanisms = ["lifecycle"] if has_expiry(b.lifecycle_rules()) else []
    lock = b.lock()
    if lock["raw.object_lock_enabled"] and lock["raw.object_lock_days"]:
        mechanisms.append("object-lock")
    return {"retention.mechanism": mechanisms, **lock}


def _object_lock(b: Bucket) -> dict[str, Any]:
    lock = b.lock()
    return {**lock, "retention.lock_days": (lock["raw.object_lock_days"] or 0) if lock["raw.object_lock_enabled"]
            else 0}


def _versioning(b: Bucket) -> dict[str, Any]:
    answer = b.answers["versioning"] or {}
    enabled = answer.get("Status") == "Enabled"
    return {"versioning.enabled": enabled, "backup.enabled": enabled, "raw.mfa_delete": answer.get("MFADelete") ==
            "Enabled"}


def _soft_delete(b: Bucket) -> dict[str, Any]:
    days = noncurrent_days(b.lifecycle_rules()) if b.versioned() else 0
    return {"retention.soft_delete_days": days, "backup.retention_days": days}


def _logging(b: Bucket) -> dict[str, Any]:
    """Server access logging, else CloudTrail data events on the bucket's objects."""
    enabled = (b.answers["logging"] or {}).get("LoggingEnabled") or {}
    logged = bool(enabled) or logs_reads(b.scope, b.region or b.scope.target.clients.home_region, "s3", b.arns[0])
    return {"logging.access_logging": logged, "raw.logging_target": enabled.get("TargetBucket")}


def _replication(b: Bucket) -> dict[str, Any]:
    targets = replication_targets(b.answers["replication"])
    return replication([_bucket_region(b.scope, name, b.regions) for name in targets])


def replication_targets(answer: Any) -> list[str]:
    """Destination bucket names of the enabled rules of a GetBucketReplication answer (sorted).

    An enabled rule without a destination bucket is malformed: the replicas are unknown, not none.
    """
    config = (answer or {}).get("ReplicationConfiguration") or {}
    targets = set()
    for number, rule in enumerate(config.get("Rules") or [], 1):
        if rule.get("Status") != "Enabled":
            continue
        arn = (rule.get("Destination") or {}).get("Bucket")
        if not isinstance(arn, str) or not arn.split(":::")[-1]:
            raise CollectionError(f"replication rule {number} has no destination bucket",
                                  action=APIS["replication"].action)
        targets.add(arn.split(":::")[-1])
    return sorted(targets)


def _deletion_protection(b: Bucket) -> dict[str, Any]:
    lock = b.lock()
    mfa = (b.answers["versioning"] or {}).get("MFADelete") == "Enabled"
    return {"deletion_protection.enabled": bool(lock["raw.object_lock_enabled"] and lock["raw.object_lock_days"])
            or mfa}


GROUPS: dict[str, Group] = {
    "tags": Group(("tags",), (APIS["tagging"],), _tags),
    "encryption": Group(("encryption.at_rest", "encryption.kms_key", "raw.sse_algorithm", "raw.bucket_key_enabled"),
                        (APIS["encryption"],), _encryption),
    "key_management": Group(("encryption.key_management",), (APIS["encryption"], KMS_DESCRIBE_KEY), _key_management),
    "public_access_block": Group(("access.public_access_blocked", "raw.public_access_block"),
                                 (ACCOUNT_BLOCK, APIS["block"]), _public_access_block),
    "access": Group(("access.public", "access.public_via", "raw.acl_public_grants", "raw.policy_public_statements",
                     "raw.policy_status_public", "raw.public_access_points"),
                    (ACCOUNT_BLOCK, APIS["block"], APIS["acl"], APIS["policy"], POLICY_STATUS, *ACCESS_POINT_APIS),
                    _access),
    "external": Group(("access.external_principals",), (ACCOUNT_BLOCK, APIS["block"], APIS["acl"], APIS["policy"],
                                                        DESCRIBE_ORGANIZATION), _external),
    "tls": Group(("encryption.in_transit_enforced",), (APIS["policy"],), _tls),
    "policy": Group(("raw.policy_accounts",), (APIS["policy"],), _policy_accounts),
    "lifecycle": Group(("raw.lifecycle_*",), (APIS["lifecycle"],), _lifecycle),
    "max_age": Group(("retention.max_age_days",), (APIS["lifecycle"], APIS["versioning"]), _max_age),
    "retention": Group(("retention.mechanism",), (APIS["lifecycle"], APIS["object_lock"]), _retention),
    "object_lock": Group(("raw.object_lock_*", "retention.lock_days"), (APIS["object_lock"],), _object_lock),
    "versioning": Group(("versioning.enabled", "backup.enabled", "raw.mfa_delete"), (APIS["versioning"],),
                        _versioning),
    "soft_delete": Group(("retention.soft_delete_days", "backup.retention_days"),
                         (APIS["versioning"], APIS["lifecycle"]), _soft_delete),
    "logging": Group(("logging.access_logging", "raw.logging_target"), (APIS["logging"], *TRAIL_APIS), _logging),
    "replication": Group(("replication.*",), (APIS["replication"], LOCATION), _replication),
    "deletion_protection": Group(("deletion_protection.enabled",), (APIS["object_lock"], APIS["versioning"]),
                                 _deletion_protection),
}

RAW = (
    A("raw.sse_algorithm", "string", "Default encryption algorithm: AES256, aws:kms, aws:kms:dsse, or null."),
    A("raw.bucket_key_enabled", "bool", "S3 Bucket Key is enabled for SSE-KMS."),
    A("raw.public_access_block", "map", "Effective public access block flags (account OR bucket)."),
    A("raw.acl_public_grants", "list", "Permissions the ACL grants to AllUsers/AuthenticatedUsers (when not moot)."),
    A("raw.policy_public_statements", "list", "Sids of bucket-policy statements that make the bucket public."),
    A("raw.policy_status_public", "bool", "S3's own verdict (GetBucketPolicyStatus IsPublic), asked only when "
      "policycheck judged a policy that the public access block does not make moot; null when not asked."),
    A("raw.public_access_points", "list", "Access points the bucket policy delegates to whose own policy is public."),
    A("raw.policy_accounts", "list", "Other AWS accounts the bucket policy grants access to (e.g. a processor)."),
    A("raw.lifecycle_rules", "int", "Enabled lifecycle rules (any action, any filter)."),
    A("raw.lifecycle_expiration_days", "int", "Days after which a lifecycle rule covering every object expires it."),
    A("raw.lifecycle_noncurrent_days", "int", "Days after which noncurrent versions of every object are deleted."),
    A("raw.object_lock_enabled", "bool", "Object Lock is enabled on the bucket."),
    A("raw.object_lock_mode", "string", "Default retention mode: GOVERNANCE, COMPLIANCE, or null."),
    A("raw.object_lock_days", "int", "Default Object Lock retention in days, or null."),
    A("raw.mfa_delete", "bool", "MFA delete is enabled."),
    A("raw.logging_target", "string", "Bucket receiving the server access logs."),
    *FRESHNESS,
)

#: Attributes without meaning for a bucket: its access log is its audit log.
NOT_APPLICABLE = {"logging.audit_log": None}

S3_BUCKET = resource_type(TYPE_NAME, "Amazon S3 bucket", GROUPS, RAW)
SPEC = TypeSpec(S3_BUCKET, GROUPS, (LIST_BUCKETS, LOCATION))


# -- listing ---------------------------------------------------------------------------------
def list_buckets(scope: Scope, region: str | None = None) -> Iterator[Resource]:
    """Every bucket of the account (in the configured regions), with lazy fetchers for the plan's groups;
    with a Config aggregator, every bucket of the aggregator's accounts."""
    inventory = scope.inventory
    if inventory is not None and inventory.active and inventory.aggregator:
        try:
            found = aggregated(scope.client("config"), inventory.aggregator, scope.regions,
                               lambda account, name: scope.owns(f"arn:{scope.partition}:s3::{account}:{name}"),
                               inventory.accounts)
        except CollectionError as exc:
            if inventory.source == "config":
                raise CollectionError(f"AWS Config aggregator {inventory.aggregator}: {exc.reason}",
                                      action=exc.action) from exc
        else:
            yield from _aggregated_buckets(scope, found)
            return
    yield from _listed_buckets(scope)


def _aggregated_buckets(scope: Scope, found: Aggregated) -> Iterator[Resource]:
    """The aggregator's buckets; a member account's are read from Config alone (no role is assumed)."""
    regions: dict[str, dict[str, str | None]] = {}
    for account, bucket_region, name in found.buckets:
        regions.setdefault(account, {})[name] = bucket_region
    scopes = {scope.account: scope}
    for account, bucket_region, name in found.buckets:
        if account not in scopes:
            scopes[account] = _member_scope(scope, account)
            _seed_account_block(scopes[account], found.account_blocks.get(account))
        yield _resource(scopes[account], name, bucket_region, regions[account], None, found.items.get((account, name)))


def _seed_account_block(scope: Scope, item: Item | None) -> None:
    """A member's account-wide public access block from its fresh Config item (else it stays unknown)."""
    if item is None or "account_block" not in item.answers or not (scope.inventory and scope.inventory.fresh(item)):
        return
    answer: dict[str, Any] = item.answers["account_block"]
    scope.cache.get((scope.account, None, ACCOUNT_BLOCK.operation), lambda: answer)


def _member_scope(scope: Scope, account: str) -> Scope:
    from dataclasses import replace

    from .accounts import Target

    name = scope.inventory.aggregator if scope.inventory else None
    reason = f"not in a fresh AWS Config item, and account {account} is read only through aggregator {name}"
    clients: Any = Unreachable(scope.target.clients.home_region, reason)
    return replace(scope, target=Target(account, scope.partition, f"{account} via {name}", clients))


def _listed_buckets(scope: Scope) -> Iterator[Resource]:
    client = scope.client("s3")
    listed = paginate(client, LIST_BUCKETS, "Buckets", "ContinuationToken", "ContinuationToken", MaxBuckets=10000)
    names = [b["Name"] for b in listed if scope.owns(bucket_id(scope, b["Name"]))]  # a shard's own buckets
    regions: dict[str, str | None] = {b["Name"]: b.get("BucketRegion") for b in listed}
    items = config_items(scope, names, regions)
    for name, item in items.items():
        regions[name] = regions[name] or item.region
    missing = [name for name in names if not regions[name]]
    failures: dict[str, CollectionError] = {}
    if missing:
        workers = max(1, min(scope.plan.max_workers, len(missing)))
        with ThreadPoolExecutor(workers, thread_name_prefix="policycheck-s3-location") as pool:
            for name, outcome in zip(missing, pool.map(lambda n: _safe_location(scope, n), missing), strict=True):
                if isinstance(outcome, CollectionError):
                    failures[name] = outcome
                else:
                    regions[name] = outcome
    for name in names:
        bucket_region = regions.get(name)
        if scope.regions and bucket_region and bucket_region not in scope.regions:
            continue
        yield _resource(scope, name, bucket_region, regions, failures.get(name), items.get(name))


def config_items(scope: Scope, names: list[str], regions: Mapping[str, str | None]) -> dict[str, Item]:
    """The buckets' AWS Config items (with ``source: config|auto``), asked in each region they may be in.

    A region's Config records the buckets of that region; a bucket whose region is not known yet is
    looked for in every region asked. With ``auto``, Config being denied or failing means the live API.
    """
    inventory = scope.inventory
    if inventory is None or not inventory.active or not names:
        return {}
    home = scope.target.clients.home_region
    candidates = scope.regions or tuple(sorted({r for r in regions.values() if r} | {home}))
    found: dict[str, Item] = {}
    try:
        for region in candidates:
            wanted = [n for n in names if n not in found and regions.get(n) in (region, None)]
            if wanted:
                found.update(recorded(scope.client("config", region), wanted))
    except CollectionError as exc:
        if inventory.source == "config":
            raise CollectionError(f"AWS Config: {exc.reason}", action=exc.action) from exc
        return {}
    return found


def _resource(scope: Scope, name: str, region: str | None, regions: Mapping[str, str | None],
              failure: CollectionError | None, item: Item | None = None) -> Resource:
    bucket = Bucket(scope, name, region, regions)
    attributes: dict[str, Any] = {**(location(region) if region else {}), **NOT_APPLICABLE}
    if scope.inventory is not None and scope.inventory.active:
        used = item is not None and scope.inventory.fresh(item)
        if item is not None and used:
            bucket.answers.seed(item.answers)  # what Config lacks is still asked of the live API, per answer
        attributes["raw.collected_from"] = "config" if used else "api"
        attributes["raw.config_capture_time"] = item.captured.isoformat() if item else None
    unknown = {k: str(failure) for k in ("location.region", "location.country", "location.jurisdiction")} \
        if failure else None
    return Resource(type=TYPE_NAME, id=bucket_id(scope, name), name=name,
                    provider="aws", account=scope.account, region=region or "", attributes=attributes,
                    unknown=unknown, fetchers=fetchers(SPEC, scope.plan, bucket), group_of=S3_BUCKET.group_of)


def bucket_id(scope: Scope, name: str) -> str:
    """``arn:aws:s3::ACCOUNT:NAME``: the bucket ARN's fields with the account filled in."""
    return f"arn:{scope.partition}:s3::{scope.account}:{name}"


def _safe_location(scope: Scope, name: str) -> str | CollectionError:
    try:
        return _location(scope, name)
    except CollectionError as exc:
        return exc


def _location(scope: Scope, name: str) -> str:
    answer = call(scope.client("s3"), LOCATION, Bucket=name) or {}
    return normalise_location(answer.get("LocationConstraint"))


def normalise_location(constraint: str | None) -> str:
    """GetBucketLocation's answer as a region: empty is us-east-1, the legacy ``EU`` is eu-west-1."""
    if not constraint:
        return "us-east-1"
    return {"EU": "eu-west-1"}.get(constraint, constraint)


def _bucket_region(scope: Scope, name: str, regions: Mapping[str, str | None]) -> str:
    region = regions.get(name)
    if region:
        return region
    return scope.cache.get((scope.account, "bucket-region", name), lambda: _location(scope, name))
