"""Cloud Storage JSON API answers -> the shared data-store vocabulary.

Pure functions over the documented resource shapes (``storage#bucket``, ``storage#policy``,
``storage#bucketAccessControl``), so they serve any source of those documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .locations import location_attributes
from .retention import retention_attributes

#: Principals that make a grant public: anyone, or anyone with a Google account.
PUBLIC_PRINCIPALS = frozenset({"allUsers", "allAuthenticatedUsers"})


def _at(document: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = document
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


#: Provider-specific values under ``raw.``: name -> (JSON path, conversion).
RAW_FIELDS: dict[str, tuple[tuple[str, ...], Any]] = {
    "raw.location_type": (("locationType",), str),
    "raw.data_locations": (("customPlacementConfig", "dataLocations"), list),
    "raw.storage_class": (("storageClass",), str),
    "raw.project_number": (("projectNumber",), str),
    "raw.time_created": (("timeCreated",), str),
    "raw.rpo": (("rpo",), str),
    "raw.uniform_bucket_level_access": (("iamConfiguration", "uniformBucketLevelAccess", "enabled"), bool),
    "raw.public_access_prevention": (("iamConfiguration", "publicAccessPrevention"), str),
    "raw.default_kms_key_name": (("encryption", "defaultKmsKeyName"), str),
    "raw.retention_period_seconds": (("retentionPolicy", "retentionPeriod"), _int),
    "raw.retention_locked": (("retentionPolicy", "isLocked"), bool),
    "raw.retention_effective_time": (("retentionPolicy", "effectiveTime"), str),
    "raw.soft_delete_seconds": (("softDeletePolicy", "retentionDurationSeconds"), _int),
    "raw.default_event_based_hold": (("defaultEventBasedHold",), bool),
    "raw.object_retention_mode": (("objectRetention", "mode"), str),
    "raw.log_bucket": (("logging", "logBucket"), str),
    "raw.requester_pays": (("billing", "requesterPays"), bool),
}


#: Fields of the bucket resource that alone decide some attributes: field -> those attributes. A listing
#: item without one of them is fetched again (buckets.get); still missing, the attributes are unknown.
NEEDED_FIELDS: dict[str, tuple[str, ...]] = {
    "location": ("location.region", "location.country", "location.jurisdiction", "replication.regions",
                 "replication.jurisdictions"),
    "iamConfiguration": ("access.public_access_blocked", "access.public", "access.public_via",
                         "access.external_principals"),
}


def missing_fields(bucket: Mapping[str, Any]) -> list[str]:
    """The :data:`NEEDED_FIELDS` the bucket resource lacks (or holds empty)."""
    return [name for name in NEEDED_FIELDS if not bucket.get(name)]


def unknown_facts(bucket: Mapping[str, Any], cause: str = "") -> dict[str, str]:
    """Attribute -> reason, for the attributes whose field the bucket resource lacks."""
    return {attribute: f"the bucket resource has no '{name}' field{cause}"
            for name in missing_fields(bucket) for attribute in NEEDED_FIELDS[name]}


def raw_attributes(bucket: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: _at(bucket, path) for name, (path, _) in RAW_FIELDS.items()}
    values = {name: RAW_FIELDS[name][1](value) for name, value in values.items() if value is not None}
    if "retentionPolicy" in bucket:
        values.setdefault("raw.retention_locked", False)
    return values


def public_access_prevented(bucket: Mapping[str, Any]) -> bool:
    """Public access prevention ``enforced`` overrides every public IAM grant and ACL."""
    return _at(bucket, ("iamConfiguration", "publicAccessPrevention")) == "enforced"


def uniform_access(bucket: Mapping[str, Any]) -> bool:
    """Uniform bucket-level access (formerly bucket policy only): ACLs are not evaluated."""
    return bool(_at(bucket, ("iamConfiguration", "uniformBucketLevelAccess", "enabled"))
                or _at(bucket, ("iamConfiguration", "bucketPolicyOnly", "enabled")))


def requester_pays(bucket: Mapping[str, Any]) -> bool:
    return bool(_at(bucket, ("billing", "requesterPays")))


def core_attributes(bucket: Mapping[str, Any]) -> dict[str, Any]:
    """Everything one bucket resource tells: location, encryption, retention, versioning, logging."""
    kms_key = _at(bucket, ("encryption", "defaultKmsKeyName")) or None
    return {
        **location_attributes(bucket),
        "encryption.at_rest": True,  # Cloud Storage always encrypts; the key owner is what varies
        "encryption.key_management": "customer-managed" if kms_key else "provider-managed",
        "encryption.kms_key": kms_key,
        "encryption.in_transit_enforced": True,  # the JSON and XML APIs accept HTTPS only
        "access.public_access_blocked": public_access_prevented(bucket),
        **retention_attributes(bucket),
        "versioning.enabled": bool(_at(bucket, ("versioning", "enabled"))),
        "logging.access_logging": bool(_at(bucket, ("logging", "logBucket"))),
        "logging.audit_log": None,  # the access log is the bucket's audit log
        **raw_attributes(bucket),
    }


def labels(bucket: Mapping[str, Any]) -> dict[str, str]:
    """Bucket labels, which serve as tags."""
    return {str(k): str(v) for k, v in (bucket.get("labels") or {}).items()}


def public_in_policy(bindings: Iterable[Mapping[str, Any]]) -> bool:
    """An IAM binding grants some role to allUsers or allAuthenticatedUsers (conditional or not)."""
    return any(PUBLIC_PRINCIPALS & set(binding.get("members") or ()) for binding in bindings)


def public_in_acl(entries: Iterable[Mapping[str, Any]]) -> bool:
    """A bucket or default object ACL entry names allUsers or allAuthenticatedUsers."""
    return any(entry.get("entity") in PUBLIC_PRINCIPALS for entry in entries)


def access_attributes(public_via: Iterable[str]) -> dict[str, Any]:
    via = sorted(set(public_via))
    return {"access.public": bool(via), "access.public_via": via}
