"""``google_storage_bucket`` (with ``google_storage_bucket_iam_*`` and ACL resources) -> ``gcp.storage.bucket``.

The bucket's planned values are put into the Cloud Storage JSON API's shape, so the GCS
provider's own normalisers judge them. Public exposure comes from the IAM member, binding
and policy resources joined to the bucket; a bucket that already exists may carry grants the
plan does not show unless an authoritative ``google_storage_bucket_iam_policy`` sets them.
An unset soft-delete policy of a new bucket is Cloud Storage's default of 7 days.
"""

from __future__ import annotations

import json
from typing import Any

from ..gcs.members import Home, external_members
from ..gcs.normalise import (
    PUBLIC_PRINCIPALS,
    access_attributes,
    core_attributes,
    public_access_prevented,
    uniform_access,
)
from ..gcs.schema import BUCKET as GCS_BUCKET
from .build import Group, build, string_map
from .document import Instance
from .plan import Plan
from .settings import TerraformSettings
from .values import NotKnown, blocks, get

TYPE = "google_storage_bucket"
IAM_TYPES = ("google_storage_bucket_iam_member", "google_storage_bucket_iam_binding",
             "google_storage_bucket_iam_policy")
ACL_TYPES = ("google_storage_bucket_acl", "google_storage_default_object_acl")
DEFAULT_SOFT_DELETE_SECONDS = 604800
#: Members and ACL entities whose inside/outside depends on the bucket's own project.
PROJECT_KINDS = ("serviceAccount:", "projectOwner:", "projectEditor:", "projectViewer:", "project-")
#: Terraform condition argument -> the JSON API's lifecycle condition key (unset values are left out).
CONDITIONS = {
    "age": "age", "created_before": "createdBefore", "days_since_noncurrent_time": "daysSinceNoncurrentTime",
    "num_newer_versions": "numNewerVersions", "matches_storage_class": "matchesStorageClass",
    "matches_prefix": "matchesPrefix", "matches_suffix": "matchesSuffix", "custom_time_before": "customTimeBefore",
    "days_since_custom_time": "daysSinceCustomTime", "noncurrent_time_before": "noncurrentTimeBefore",
}


class StorageBucket:
    def __init__(self, plan: Plan, instance: Instance, iam: list[Instance], acls: list[Instance],
                 allowed_domains: frozenset[str] = frozenset()):
        self.plan = plan
        self.instance = instance
        self.iam = iam
        self.acls = acls
        self.allowed_domains = allowed_domains

    def document(self) -> dict[str, Any]:
        """The bucket as the JSON API's ``storage#bucket`` resource."""
        i = self.instance
        first = _first
        policy = self.plan.value(i, "soft_delete_policy", [])
        soft = first(i, "soft_delete_policy") if policy else None
        # unset: Cloud Storage's default soft-delete window
        soft_seconds = self.plan.value(soft, "retention_duration_seconds", DEFAULT_SOFT_DELETE_SECONDS) if soft \
            else DEFAULT_SOFT_DELETE_SECONDS
        versioning, logging, retention, encryption, placement = (
            first(i, name) for name in ("versioning", "logging", "retention_policy", "encryption",
                                         "custom_placement_config"))
        return {
            "location": get(i, "location"),
            "storageClass": get(i, "storage_class"),
            "customPlacementConfig": {"dataLocations": get(placement, "data_locations")} if placement else None,
            "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": bool(get(i, "uniform_bucket_level_access"))},
                                 "publicAccessPrevention": self._prevention()},
            "encryption": {"defaultKmsKeyName": get(encryption, "default_kms_key_name")} if encryption else None,
            "versioning": {"enabled": bool(get(versioning, "enabled"))} if versioning else None,
            "logging": {"logBucket": get(logging, "log_bucket")} if logging else None,
            "retentionPolicy": {"retentionPeriod": get(retention, "retention_period"),
                                "isLocked": bool(get(retention, "is_locked"))} if retention else None,
            "softDeletePolicy": {"retentionDurationSeconds": soft_seconds},
            "defaultEventBasedHold": bool(get(i, "default_event_based_hold")),
            "billing": {"requesterPays": bool(get(i, "requester_pays"))},
            "lifecycle": {"rule": [_rule(r) for r in blocks(i, "lifecycle_rule")]},
            "rpo": i.values.get("rpo") if isinstance(i.values.get("rpo"), str) else None,
        }

    def _prevention(self) -> str:
        return str(self.plan.value(self.instance, "public_access_prevention", "inherited"))

    def public_via(self) -> list[str]:
        document = {"iamConfiguration": {"publicAccessPrevention": self._prevention(), "uniformBucketLevelAccess": {
            "enabled": bool(get(self.instance, "uniform_bucket_level_access"))}}}
        if public_access_prevented(document):
            return []
        via = ["iam"] if any(_public_grant(m) for m in self.iam) else []
        if not via and not self.instance.created and not any(m.type.endswith("_iam_policy") for m in self.iam):
            raise NotKnown(f"{self.instance.address}: an existing bucket may hold IAM grants the plan does not set "
                           "(no authoritative google_storage_bucket_iam_policy)")
        if not uniform_access(document):
            if any(_public_acl(a) for a in self.acls):
                via.append("acl")
            elif not self.instance.created and not self.acls:
                raise NotKnown(f"{self.instance.address}: uniform bucket-level access is off and the bucket's legacy "
                               "ACLs are not in the plan")
        return via

    def external(self) -> list[str]:
        """IAM members (and ACL entities where ACLs apply) outside the organisation, judged as the gcs provider does.

        Public access prevention does not stop grants to named outsiders, so every grant counts.
        """
        if not self.instance.created and not any(m.type.endswith("_iam_policy") for m in self.iam):
            raise NotKnown(f"{self.instance.address}: an existing bucket may hold IAM grants the plan does not set "
                           "(no authoritative google_storage_bucket_iam_policy)")
        entries: list[dict[str, Any]] = []
        if not get(self.instance, "uniform_bucket_level_access"):
            if not self.instance.created and not self.acls:
                raise NotKnown(f"{self.instance.address}: uniform bucket-level access is off and the bucket's legacy "
                               "ACLs are not in the plan")
            entries = [{"entity": str(e).split(":", 1)[-1]} for a in self.acls for e in get(a, "role_entity") or ()]
        try:
            project = str(get(self.instance, "project") or "")
        except NotKnown:
            project = ""
        home = Home(project, str(self.instance.values.get("project_number") or ""), self.allowed_domains)
        found = external_members([b for grant in self.iam for b in _bindings(grant)], entries, home)
        undecided = [m for m in found if m.startswith(PROJECT_KINDS)]
        if undecided and not project:
            raise NotKnown(f"{self.instance.address}: the bucket's project is known only after apply; whether "
                           f"{undecided[0]} belongs to it is not known")
        return found


def _bindings(grant: Instance) -> list[dict[str, Any]]:
    """The IAM bindings an IAM member, binding or policy resource sets, in the JSON API's shape."""
    if grant.type.endswith("_iam_member"):
        return [{"role": get(grant, "role"), "members": [get(grant, "member")]}]
    if grant.type.endswith("_iam_binding"):
        return [{"role": get(grant, "role"), "members": list(get(grant, "members") or ())}]
    data = get(grant, "policy_data")
    return list((json.loads(data) if isinstance(data, str) and data else {}).get("bindings") or [])


def _first(instance: Instance, name: str) -> Instance | None:
    found = blocks(instance, name)
    return found[0] if found else None


def _rule(rule: Instance) -> dict[str, Any]:
    action = _first(rule, "action")
    condition = _first(rule, "condition")
    converted: dict[str, Any] = {}
    if condition is not None:
        for argument, key in CONDITIONS.items():
            value = get(condition, argument)
            if value not in (None, "", [], 0) or (argument == "age" and value == 0 and get(condition,
                                                                                           "send_age_if_zero")):
                converted[key] = value
        state = get(condition, "with_state")
        if state in ("LIVE", "ARCHIVED"):
            converted["isLive"] = state == "LIVE"
    return {"action": {"type": get(action, "type") if action else None}, "condition": converted}


def _public_grant(grant: Instance) -> bool:
    return any(PUBLIC_PRINCIPALS & set(b.get("members") or ()) for b in _bindings(grant))


def _public_acl(acl: Instance) -> bool:
    entities = [str(e).split(":", 1)[-1] for e in get(acl, "role_entity") or ()]
    predefined = str(get(acl, "predefined_acl") or "") if "predefined_acl" in acl.values else ""
    return bool(PUBLIC_PRINCIPALS & set(entities)) or predefined in ("publicRead", "publicReadWrite")


def _core(b: StorageBucket) -> dict[str, Any]:
    # Cloud Storage has no bucket setting for backups or deletion protection: null, as the gcs provider reports
    return {**core_attributes(b.document()), "backup.enabled": None, "backup.retention_days": None,
            "deletion_protection.enabled": None}


def _tags(b: StorageBucket) -> dict[str, Any]:
    labels = b.instance.values.get("terraform_labels")
    return {"tags": string_map(get(b.instance, "terraform_labels" if labels is not None else "labels"))}


def _access(b: StorageBucket) -> dict[str, Any]:
    return access_attributes(b.public_via())


def _external(b: StorageBucket) -> dict[str, Any]:
    return {"access.external_principals": b.external()}


CORE = tuple(a.name for a in GCS_BUCKET.attributes if a.name not in (
    "access.public", "access.public_via", "access.external_principals", "retention.oldest_record_age_days")) + tuple(
    f"raw.{n}" for n in ("location_type", "storage_class", "uniform_bucket_level_access", "public_access_prevention",
                         "default_kms_key_name", "retention_period_seconds", "retention_locked", "soft_delete_seconds",
                         "default_event_based_hold", "log_bucket", "requester_pays", "data_locations", "rpo"))

GROUPS = (
    Group(CORE, _core),
    Group(("tags",), _tags),
    Group(("access.public", "access.public_via"), _access),
    Group(("access.external_principals",), _external),
)


def buckets(plan: Plan, context: Any, settings: TerraformSettings) -> Any:
    grants: dict[int, list[Instance]] = {}
    acls: dict[int, list[Instance]] = {}
    for table, types in ((grants, IAM_TYPES), (acls, ACL_TYPES)):
        for grant in plan.of_type(*types):
            for bucket in plan.referenced(grant, "bucket", (TYPE,)):
                table.setdefault(id(bucket), []).append(grant)
    for instance in plan.of_type(TYPE):
        facts = StorageBucket(plan, instance, grants.get(id(instance), []), acls.get(id(instance), []),
                              settings.allowed_domains)
        yield build(GCS_BUCKET, GROUPS, facts, instance, **context(instance, gcp=True))


TYPES = {TYPE: (GCS_BUCKET, buckets)}
