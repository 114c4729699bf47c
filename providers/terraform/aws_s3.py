"""``aws_s3_bucket`` with its split resources (AWS provider v4+) or legacy inline blocks (v3) -> ``aws.s3.bucket``.

A split resource overrides the bucket's inline block; an inline block is read where it is
known (v3 configuration, or v4+ values refreshed from the real bucket). A bucket created by
this plan with nothing configuring an aspect gets S3's documented default: SSE-S3 encryption
(every new bucket since 5 January 2023), Block Public Access on and ACLs disabled (new buckets
since April 2023), no versioning, lifecycle, Object Lock, replication or logging. For a bucket
that already exists, what the plan does not show (its own public access block) is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..aws.s3 import KMS_ALGORITHMS, NOT_APPLICABLE, S3_BUCKET
from ..aws.s3_access import acl_external_grants, acl_public_grants
from ..aws.s3_lifecycle import expiration_days, has_expiry, noncurrent_days
from ..aws.s3_policy import NO_POLICY, PolicyVerdict, evaluate_policy
from ..aws.scope import replication
from . import values
from .build import Group, build, string_map
from .document import Instance
from .kms import key_management
from .plan import Plan, location
from .settings import TerraformSettings
from .values import NotKnown, blocks, get

BUCKET = "aws_s3_bucket"
AMBIGUOUS = "ambiguous"
ACCOUNT_BLOCK = "aws_s3_account_public_access_block"
#: Aspect -> the split resource type configuring it (joined through its ``bucket`` argument).
SPLIT = {
    "encryption": "aws_s3_bucket_server_side_encryption_configuration",
    "block": "aws_s3_bucket_public_access_block",
    "lifecycle": "aws_s3_bucket_lifecycle_configuration",
    "versioning": "aws_s3_bucket_versioning",
    "policy": "aws_s3_bucket_policy",
    "acl": "aws_s3_bucket_acl",
    "logging": "aws_s3_bucket_logging",
    "object_lock": "aws_s3_bucket_object_lock_configuration",
    "replication": "aws_s3_bucket_replication_configuration",
    "ownership": "aws_s3_bucket_ownership_controls",
}
FLAGS = {"BlockPublicAcls": "block_public_acls", "IgnorePublicAcls": "ignore_public_acls",
         "BlockPublicPolicy": "block_public_policy", "RestrictPublicBuckets": "restrict_public_buckets"}
CANNED_ACLS = {"public-read": ["AllUsers:READ"], "public-read-write": ["AllUsers:READ", "AllUsers:WRITE"],
               "authenticated-read": ["AuthenticatedUsers:READ"]}


def _once(method: Callable[[Bucket], Any]) -> Callable[[Bucket], Any]:
    """Derive an aspect once per bucket (several groups read it); a NotKnown is remembered too."""
    def cached(self: Bucket) -> Any:
        key = method.__name__
        if key not in self.memo:
            try:
                self.memo[key] = (True, method(self))
            except NotKnown as exc:
                self.memo[key] = (False, exc)
        ok, value = self.memo[key]
        if not ok:
            raise value
        return value
    return cached


class Bucket:
    """A planned bucket with the split resources joined to it."""

    def __init__(self, plan: Plan, instance: Instance, parts: dict[str, list[Instance]], account_block: list[Instance],
                 own: frozenset[str] = frozenset()):
        self.plan = plan
        self.instance = instance
        self.parts = parts
        self.account_block = account_block
        self.own = own  # allowed_accounts: the user's own accounts, canonical ids and organisations
        self.memo: dict[str, tuple[bool, Any]] = {}

    def part(self, aspect: str) -> Instance | None:
        found = self.parts.get(aspect) or []
        shared = [p for p in found if p.address in self.parts.get(AMBIGUOUS, ())]
        if shared:
            raise NotKnown(f"{shared[0].address} may configure several buckets ({aspect}); the plan cannot tell which")
        if len(found) > 1:
            raise NotKnown(f"{self.instance.address}: several {SPLIT[aspect]} resources may configure this bucket ("
                           + ", ".join(i.address for i in found) + ")")
        return found[0] if found else None

    def inline(self, name: str) -> Any:
        """An inline value of the bucket; None where the configuration leaves it to S3's default."""
        return self.plan.value(self.instance, name)

    @property
    def arns(self) -> list[str]:
        name = get(self.instance, "bucket")
        if not name:
            raise NotKnown(f"{self.instance.address}: the bucket name is known only after apply")
        return [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]

    # -- aspects ----------------------------------------------------------------------------
    @_once
    def encryption(self) -> tuple[str, Instance, tuple[str | int, ...], bool]:
        """(algorithm, instance holding the key, path of the key, bucket key) of the default encryption."""
        part = self.part("encryption")
        prefix: tuple[str | int, ...]
        if part is not None:
            owner, rules, prefix = part, blocks(part, "rule"), ("rule",)
        else:
            owner, prefix = self.instance, ("server_side_encryption_configuration", 0, "rule")
            config = self.inline("server_side_encryption_configuration") or []
            rules = blocks(blocks(self.instance, "server_side_encryption_configuration")[0], "rule") if config else []
        for position, rule in enumerate(rules):
            for default in blocks(rule, "apply_server_side_encryption_by_default"):
                algorithm = get(default, "sse_algorithm")
                if algorithm:
                    path = (*prefix, position, "apply_server_side_encryption_by_default", 0, "kms_master_key_id")
                    return algorithm, owner, path, bool(self.plan.value(rule, "bucket_key_enabled", False))
        return "AES256", owner, (), False  # S3 encrypts every new object with SSE-S3 when nothing else is set

    @_once
    def flags(self) -> dict[str, bool | None]:
        """Effective public access block per flag (account OR bucket); None where the plan cannot tell."""
        part = self.part("block")
        if part is not None:
            bucket: dict[str, bool | None] = {f: bool(self.plan.value(part, snake, False))
                                              for f, snake in FLAGS.items()}
        elif self.instance.created:
            bucket = dict.fromkeys(FLAGS, True)  # default for buckets created since April 2023
        else:
            bucket = dict.fromkeys(FLAGS)  # an existing bucket's own block is not in the plan
        account = {f: bool(get(self.account_block[0], snake)) for f, snake in FLAGS.items()} \
            if len(self.account_block) == 1 else {}
        return {f: True if bucket[f] or account.get(f) else (False if bucket[f] is False and f in account else None)
                for f in FLAGS}

    @_once
    def acl(self) -> tuple[str, dict[str, Any]]:
        """(canned ACL, the ACL in the S3 API's shape: Owner and Grants); empty where ACLs are disabled."""
        ownership = self.part("ownership")
        if ownership is not None:
            rules = blocks(ownership, "rule")
            if rules and get(rules[0], "object_ownership") == "BucketOwnerEnforced":
                return "", {}  # ACLs are disabled
        elif self.instance.created:
            return "", {}  # new buckets default to BucketOwnerEnforced (ACLs disabled)
        part = self.part("acl")
        if part is not None:
            policies = blocks(part, "access_control_policy")
            owners = [o for p in policies for o in blocks(p, "owner")]
            grants = [_api_grant(grantee, get(grant, "permission")) for p in policies for grant in blocks(p, "grant")
                      for grantee in blocks(grant, "grantee")]
            owner = {"ID": get(owners[0], "id")} if owners else {}
            return str(get(part, "acl") or ""), {"Owner": owner, "Grants": grants}
        inline = blocks(self.instance, "grant") if self.inline("grant") else []
        grants = [_api_grant(grant, permission) for grant in inline for permission in get(grant, "permissions") or ()]
        return str(self.inline("acl") or ""), {"Grants": grants}

    def acl_grants(self) -> list[str]:
        canned, acl = self.acl()
        return sorted({*CANNED_ACLS.get(canned, []), *acl_public_grants(acl)})

    @_once
    def policy(self) -> PolicyVerdict:
        part = self.part("policy")
        document = get(part, "policy") if part is not None else self.inline("policy")
        if not document:
            return NO_POLICY
        return evaluate_policy(document, service="s3", resources=self.arns, own_account="")

    @_once
    def lifecycle_rules(self) -> list[dict[str, Any]]:
        part = self.part("lifecycle")
        if part is not None:
            return [_split_rule(rule) for rule in blocks(part, "rule")]
        return [_inline_rule(rule) for rule in (blocks(self.instance, "lifecycle_rule")
                                                if self.inline("lifecycle_rule") else [])]

    @_once
    def versioning(self) -> tuple[str | None, bool]:
        """(Enabled | Suspended | None, MFA delete)."""
        part = self.part("versioning")
        if part is not None:
            config = blocks(part, "versioning_configuration")
            status = get(config[0], "status") if config else None
            mfa = bool(config) and self.plan.value(config[0], "mfa_delete", "Disabled") == "Enabled"
            return (status if status in ("Enabled", "Suspended") else None), mfa
        inline = blocks(self.instance, "versioning") if self.inline("versioning") else []
        if not inline:
            return None, False
        enabled = get(inline[0], "enabled")
        return ("Enabled" if enabled else None), bool(get(inline[0], "mfa_delete"))

    @_once
    def lock(self) -> dict[str, Any]:
        part = self.part("object_lock")
        inline = blocks(self.instance, "object_lock_configuration") if self.inline("object_lock_configuration") \
            else []
        enabled = bool(self.inline("object_lock_enabled")) or bool(
            inline and get(inline[0], "object_lock_enabled") == "Enabled")
        source = part if part is not None else (inline[0] if inline else None)
        rules = blocks(source, "rule") if source else []
        retention = [r for rule in rules for r in blocks(rule, "default_retention")]
        mode = get(retention[0], "mode") if retention else None
        days = (get(retention[0], "days") or (get(retention[0], "years") or 0) * 365 or None) if retention else None
        if part is not None:
            enabled = True  # an Object Lock configuration needs (and, since 2023, enables) Object Lock
        return {"raw.object_lock_enabled": enabled, "raw.object_lock_mode": mode, "raw.object_lock_days": days}

    def replication_targets(self) -> list[tuple[Instance, tuple[str | int, ...]]]:
        part = self.part("replication")
        if part is not None:
            return [(part, ("rule", i, "destination", 0, "bucket")) for i, rule in enumerate(blocks(part, "rule"))
                    if get(rule, "status") == "Enabled"]
        config = self.inline("replication_configuration") or []
        if not config:
            return []
        rules = blocks(blocks(self.instance, "replication_configuration")[0], "rules")
        return [(self.instance, ("replication_configuration", 0, "rules", i, "destination", 0, "bucket"))
                for i, rule in enumerate(rules) if get(rule, "status") == "Enabled"]

    def destination_region(self, owner: Instance, path: tuple[str | int, ...]) -> str:
        found = self.plan.referenced(owner, path, (BUCKET,), by_value=False)
        if not found:
            arn = get(owner, *path)
            name = str(arn or "").split(":::")[-1]
            found = [b for b in self.plan.of_type(BUCKET)
                     if values.known(b, "bucket") and b.values.get("bucket") == name]
        if len(found) != 1:
            raise NotKnown(f"{owner.address}: the replication destination is not a bucket of this plan")
        return self.plan.region(found[0])

    @_once
    def logging_target(self) -> str | None:
        part = self.part("logging")
        if part is not None:
            return get(part, "target_bucket") or None
        inline = blocks(self.instance, "logging") if self.inline("logging") else []
        return (get(inline[0], "target_bucket") or None) if inline else None


def _api_grant(grantee: Instance, permission: Any) -> dict[str, Any]:
    """A grant (``grantee`` block, or a legacy inline ``grant``) in the S3 API's shape."""
    return {"Grantee": {"Type": get(grantee, "type"), "ID": get(grantee, "id") or None, "URI": get(grantee, "uri"),
                        "EmailAddress": grantee.values.get("email_address") or None},
            "Permission": permission or ""}


def _days(value: Any) -> int | None:
    return int(value) if value not in (None, "", 0) else None


def _split_rule(rule: Instance) -> dict[str, Any]:
    """A rule of aws_s3_bucket_lifecycle_configuration in the S3 API's shape."""
    selector: dict[str, Any] = {}
    for entry in blocks(rule, "filter"):
        if blocks(entry, "and"):
            selector["And"] = True
        if get(entry, "prefix"):
            selector["Prefix"] = get(entry, "prefix")
        if blocks(entry, "tag"):
            selector["Tag"] = True
        for key, name in (("object_size_greater_than", "ObjectSizeGreaterThan"),
                          ("object_size_less_than", "ObjectSizeLessThan")):
            if get(entry, key) not in (None, "", 0, "0"):
                selector[name] = get(entry, key)
    expiration = blocks(rule, "expiration")
    noncurrent = blocks(rule, "noncurrent_version_expiration")
    return {
        "Status": get(rule, "status"),
        "Prefix": get(rule, "prefix") or "",
        "Filter": selector,
        "Expiration": {"Days": _days(get(expiration[0], "days")), "Date": get(expiration[0], "date")}
        if expiration else None,
        "NoncurrentVersionExpiration": {
            "NoncurrentDays": _days(get(noncurrent[0], "noncurrent_days")),
            "NewerNoncurrentVersions": _days(get(noncurrent[0], "newer_noncurrent_versions"))} if noncurrent else None,
    }


def _inline_rule(rule: Instance) -> dict[str, Any]:
    """A legacy inline ``lifecycle_rule`` block (AWS provider v3) in the S3 API's shape."""
    expiration = blocks(rule, "expiration")
    noncurrent = blocks(rule, "noncurrent_version_expiration")
    return {
        "Status": "Enabled" if get(rule, "enabled") else "Disabled",
        "Prefix": get(rule, "prefix") or "",
        "Filter": {"Tag": True} if get(rule, "tags") else {},
        "Expiration": {"Days": _days(get(expiration[0], "days")), "Date": get(expiration[0], "date")}
        if expiration else None,
        "NoncurrentVersionExpiration": {"NoncurrentDays": _days(get(noncurrent[0], "days"))} if noncurrent else None,
    }


# -- groups ------------------------------------------------------------------------------------
def _location(b: Bucket) -> dict[str, Any]:
    return location(b.plan.region(b.instance))


def _tags(b: Bucket) -> dict[str, Any]:
    return {"tags": string_map(get(b.instance, "tags_all"))}


def _encryption(b: Bucket) -> dict[str, Any]:
    algorithm, _, _, bucket_key = b.encryption()
    return {"encryption.at_rest": True, "raw.sse_algorithm": algorithm, "raw.bucket_key_enabled": bucket_key}


def _kms_key(b: Bucket) -> dict[str, Any]:
    algorithm, owner, path, _ = b.encryption()
    if algorithm not in KMS_ALGORITHMS:
        return {"encryption.kms_key": None}
    return {"encryption.kms_key": get(owner, *path) or "alias/aws/s3"}


def _key_management(b: Bucket) -> dict[str, Any]:
    algorithm, owner, path, _ = b.encryption()
    if algorithm not in KMS_ALGORITHMS:
        return {"encryption.key_management": "provider-managed"}
    return {"encryption.key_management": key_management(b.plan, owner, path)}


def _block(b: Bucket) -> dict[str, Any]:
    flags = b.flags()
    if all(flags.values()):
        return {"access.public_access_blocked": True, "raw.public_access_block": flags}
    if any(v is False for v in flags.values()):
        return {"access.public_access_blocked": False, "raw.public_access_block": flags}
    missing = [f for f, v in flags.items() if v is None]
    raise NotKnown(f"{b.instance.address}: public access block {', '.join(missing)} is not in the plan "
                   "(account-level block, or an existing bucket's own block)")


def _access(b: Bucket) -> dict[str, Any]:
    via: list[str] = []
    grants = b.acl_grants()
    statements = b.policy().public_statements
    flags = b.flags() if grants or statements else {}
    for kind, found, flag in (("acl", grants, "IgnorePublicAcls"), ("policy", statements, "RestrictPublicBuckets")):
        if found and flags[flag] is None:
            raise NotKnown(f"{b.instance.address}: public {kind} grants are neutralised only if {flag} is on, and "
                           "the account-level block is not in the plan")
        if found and not flags[flag]:
            via.append(kind)
    return {"access.public": bool(via), "access.public_via": via,
            "raw.acl_public_grants": grants if "acl" in via else [],
            "raw.policy_public_statements": list(statements) if "policy" in via else []}


def _tls(b: Bucket) -> dict[str, Any]:
    return {"encryption.in_transit_enforced": b.policy().tls_enforced}


def _external(b: Bucket) -> dict[str, Any]:
    """Other accounts (ids, canonical ids) and organisations the ACL or the policy lets in, as the aws provider
    judges them; the own account is not in a plan, so ``allowed_accounts`` names it."""
    _, acl = b.acl()
    owner = (acl.get("Owner") or {}).get("ID")
    found = set(acl_external_grants(acl, owner))
    if not owner:
        maybe_owner = sorted(g["Grantee"]["ID"] for g in acl.get("Grants", []) if g["Grantee"].get("ID")
                             and g["Grantee"]["ID"] not in b.own)
        if maybe_owner:
            raise NotKnown(f"{b.instance.address}: the ACL grants canonical user {maybe_owner[0]}, perhaps the bucket "
                           "owner; the owner is not in the plan (list your canonical user id in "
                           "providers.terraform.allowed_accounts)")
    verdict = b.policy()
    restricted = b.flags()["RestrictPublicBuckets"] if verdict.public else False
    if restricted is None:
        raise NotKnown(f"{b.instance.address}: a public policy's cross-account grants are blocked only if "
                       "RestrictPublicBuckets is on, and the account-level block is not in the plan")
    # RestrictPublicBuckets "blocks public and cross-account access derived from any public ... bucket policy"
    if not restricted:
        found |= {p for p in verdict.external if p != owner} | set(verdict.organisations)
    return {"access.external_principals": sorted(found - b.own)}


def _policy_accounts(b: Bucket) -> dict[str, Any]:
    return {"raw.policy_accounts": list(b.policy().accounts)}


def _lifecycle(b: Bucket) -> dict[str, Any]:
    rules = b.lifecycle_rules()
    status, _ = b.versioning()
    current = expiration_days(rules)
    noncurrent = noncurrent_days(rules)
    versioned = status is not None
    lock = b.lock()
    mechanisms = ["lifecycle"] if has_expiry(rules) else []
    if lock["raw.object_lock_enabled"] and lock["raw.object_lock_days"]:
        mechanisms.append("object-lock")
    soft = noncurrent if versioned else 0
    return {
        "raw.lifecycle_rules": sum(1 for r in rules if r.get("Status") == "Enabled"),
        "raw.lifecycle_expiration_days": current, "raw.lifecycle_noncurrent_days": noncurrent,
        "retention.max_age_days": (None if noncurrent is None else current + noncurrent)
        if current is not None and versioned else current,
        "retention.mechanism": mechanisms, "retention.soft_delete_days": soft, "backup.retention_days": soft,
    }


def _lock(b: Bucket) -> dict[str, Any]:
    return b.lock()


def _lock_days(b: Bucket) -> dict[str, Any]:
    """Default retention days where Object Lock is on; 0 for a new bucket without it (S3's default), unknown for an
    existing bucket whose Object Lock configuration the plan does not show."""
    lock = b.lock()
    if lock["raw.object_lock_enabled"]:
        return {"retention.lock_days": lock["raw.object_lock_days"] or 0}
    shown = b.part("object_lock") is not None or b.inline("object_lock_configuration") \
        or b.instance.values.get("object_lock_enabled") is False
    if not (b.instance.created or shown):
        raise NotKnown(f"{b.instance.address}: the existing bucket's Object Lock configuration is not in the plan")
    return {"retention.lock_days": 0}


def _versioning(b: Bucket) -> dict[str, Any]:
    status, mfa = b.versioning()
    return {"versioning.enabled": status == "Enabled", "backup.enabled": status == "Enabled", "raw.mfa_delete": mfa}


def _deletion_protection(b: Bucket) -> dict[str, Any]:
    lock = b.lock()
    _, mfa = b.versioning()
    return {"deletion_protection.enabled": bool(lock["raw.object_lock_enabled"] and lock["raw.object_lock_days"])
            or mfa}


def _logging(b: Bucket) -> dict[str, Any]:
    target = b.logging_target()
    if not target:
        raise NotKnown(f"{b.instance.address}: no server access logging in the plan, and CloudTrail data events "
                       "(account or organisation trails) are not visible in it")
    return {"logging.access_logging": True}


def _logging_target(b: Bucket) -> dict[str, Any]:
    return {"raw.logging_target": b.logging_target()}


def _replication(b: Bucket) -> dict[str, Any]:
    return replication([b.destination_region(owner, path) for owner, path in b.replication_targets()])


GROUPS = (
    Group(("location.region", "location.country", "location.jurisdiction"), _location),
    Group(("tags",), _tags),
    Group(("encryption.at_rest", "raw.sse_algorithm", "raw.bucket_key_enabled"), _encryption),
    Group(("encryption.kms_key",), _kms_key),
    Group(("encryption.key_management",), _key_management),
    Group(("access.public_access_blocked", "raw.public_access_block"), _block),
    Group(("access.public", "access.public_via", "raw.acl_public_grants", "raw.policy_public_statements"), _access),
    Group(("encryption.in_transit_enforced",), _tls),
    Group(("raw.policy_accounts",), _policy_accounts),
    Group(("raw.lifecycle_rules", "raw.lifecycle_expiration_days", "raw.lifecycle_noncurrent_days",
           "retention.max_age_days", "retention.mechanism", "retention.soft_delete_days", "backup.retention_days"),
          _lifecycle),
    Group(("raw.object_lock_enabled", "raw.object_lock_mode", "raw.object_lock_days"), _lock),
    Group(("retention.lock_days",), _lock_days),
    Group(("access.external_principals",), _external),
    Group(("logging.audit_log",), lambda b: NOT_APPLICABLE),
    Group(("versioning.enabled", "backup.enabled", "raw.mfa_delete"), _versioning),
    Group(("deletion_protection.enabled",), _deletion_protection),
    Group(("logging.access_logging",), _logging),
    Group(("raw.logging_target",), _logging_target),
    Group(("replication.regions", "replication.jurisdictions"), _replication),
)


def join(plan: Plan) -> dict[int, dict[str, list[Any]]]:
    """Bucket instance (by id) -> aspect -> the split resources configuring it; under AMBIGUOUS the addresses of
    those that may configure several buckets."""
    joined: dict[int, dict[str, list[Any]]] = {}
    for aspect, type_name in SPLIT.items():
        for part in plan.of_type(type_name):
            buckets = plan.referenced(part, "bucket", (BUCKET,))
            for bucket in buckets:
                entry = joined.setdefault(id(bucket), {})
                entry.setdefault(aspect, []).append(part)
                if len(buckets) > 1:
                    entry.setdefault(AMBIGUOUS, []).append(part.address)
    return joined


def resources(plan: Plan, context: Any, settings: TerraformSettings) -> Any:
    joined = join(plan)
    account_block = plan.of_type(ACCOUNT_BLOCK)
    for instance in plan.of_type(BUCKET):
        bucket = Bucket(plan, instance, joined.get(id(instance), {}), account_block, settings.allowed_accounts)
        yield build(S3_BUCKET, GROUPS, bucket, instance, **context(instance))


TYPES = {BUCKET: (S3_BUCKET, resources)}
