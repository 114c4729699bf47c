"""Test kit for the built-in pack ``gdpr-customer-service``: compliant resources and the loaded pack.

Imported by the tests as ``policycheck_gdpr_testkit`` (conftest.py registers it; the suite runs
with --import-mode=importlib).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

from policycheck.attributes import RESOURCE_TYPES
from policycheck.loader import load_packs
from policycheck.model import Resource
from policycheck.policy import PolicyPack
from policycheck.provider import load_providers

PACK = "gdpr-customer-service"
REPO = Path(__file__).resolve().parents[2]
PACK_FILE = REPO / "policies" / f"{PACK}.yaml"
DOCS = REPO / "docs"
#: The evaluation date of every test (purpose-end dates are compared with it).
EVALUATED_ON = dt.date(2026, 6, 1)

#: Types the built-in providers register -> (kind, provider).
SHIPPED_TYPES = {
    "aws.s3.bucket": ("data-store", "aws"),
    "aws.rds.instance": ("data-store", "aws"),
    "aws.rds.cluster": ("data-store", "aws"),
    "aws.dynamodb.table": ("data-store", "aws"),
    "gcp.storage.bucket": ("data-store", "gcs"),
    "device": ("device", "devices"),
}
DATA_STORE_TYPES = tuple(name for name, (kind, _) in SHIPPED_TYPES.items() if kind == "data-store")


def policycheck_command() -> list[str]:
    """The installed console script, as a user runs it (``python -m policycheck`` if not on PATH)."""
    script = shutil.which("policycheck")
    return [script] if script else [sys.executable, "-m", "policycheck"]


def missing_shipped_types() -> list[str]:
    """Shipped types no installed provider has registered (after loading the providers)."""
    load_providers()
    return [name for name in SHIPPED_TYPES if name not in RESOURCE_TYPES]


@cache
def _pack(overrides: str) -> PolicyPack:
    return load_packs([PACK], json.loads(overrides))[0]


def gdpr_pack(**overrides: Any) -> PolicyPack:
    """The built-in pack, loaded (and validated) with param overrides; cached per overrides."""
    return _pack(json.dumps(overrides, sort_keys=True))


# -- compliant resources, one per shipped type, as the providers would report them ----------

COMPLIANT_TAGS = {
    "data-classification": "personal",
    "purpose": "customer-support",
    "data-owner": "cs-platform-team",
    "retention-days": "365",
    "data-categories": "name email order",
}

_STORE = {
    "encryption.at_rest": True,
    "encryption.key_management": "customer-managed",
    "encryption.kms_key": "arn:aws:kms:eu-central-1:123456789012:key/1f2e3d4c",
    "encryption.in_transit_enforced": True,
    "access.public": False,
    "access.public_via": [],
    "access.public_access_blocked": True,
    "access.external_principals": [],
    "location.region": "eu-central-1",
    "location.country": "DE",
    "location.jurisdiction": "EU",
    "replication.regions": [],
    "replication.jurisdictions": [],
    "deletion_protection.enabled": True,
    "retention.lock_days": 0,
    "logging.audit_log": None,
}

#: Per type: what differs from the common store, as its provider reports it (S3 counts versioning
#: as backup; a DynamoDB TTL deletes items at times the application sets, so no maximum age).
COMPLIANT: dict[str, dict[str, Any]] = {
    "aws.s3.bucket": {
        **_STORE, "retention.mechanism": ["lifecycle"], "retention.max_age_days": 365,
        "retention.soft_delete_days": 30, "backup.enabled": True, "backup.retention_days": 30,
        "versioning.enabled": True, "logging.access_logging": True,
    },
    "aws.rds.instance": {
        **_STORE, "retention.mechanism": [], "retention.max_age_days": None, "retention.soft_delete_days": 0,
        "backup.enabled": True, "backup.retention_days": 14, "versioning.enabled": None,
        "logging.access_logging": True, "logging.audit_log": True, "access.public_access_blocked": None,
    },
    "aws.rds.cluster": {
        **_STORE, "retention.mechanism": [], "retention.max_age_days": None, "retention.soft_delete_days": 0,
        "backup.enabled": True, "backup.retention_days": 35, "versioning.enabled": None,
        "logging.access_logging": True, "logging.audit_log": True, "access.public_access_blocked": None,
    },
    "aws.dynamodb.table": {
        **_STORE, "retention.mechanism": ["ttl"], "retention.max_age_days": None, "retention.soft_delete_days": 0,
        "backup.enabled": True, "backup.retention_days": 35, "versioning.enabled": None,
        "logging.access_logging": True, "access.public_access_blocked": None,
    },
    "gcp.storage.bucket": {
        **_STORE, "location.region": "europe-west3", "encryption.kms_key": "projects/p/locations/eu/keyRings/r/"
        "cryptoKeys/k", "retention.mechanism": ["lifecycle"], "retention.max_age_days": 180,
        "retention.soft_delete_days": 14, "backup.enabled": False, "backup.retention_days": None,
        "versioning.enabled": True, "logging.access_logging": True,
    },
    "device": {
        "encryption.at_rest": True, "screen_lock.enabled": True, "screen_lock.timeout_minutes": 5,
        "firewall.enabled": True, "os.name": "macOS", "os.version": "15.1.1", "last_seen_days": 1,
        "location.region": None, "location.country": "DE", "location.jurisdiction": "EU",
        "agreements.home_office": True, "agreements.confidentiality": True, "training.age_days": 120,
        "managed": True, "owner": "p-4c1f9a2e", "compliance.state": "compliant",
    },
}

#: Tags that differ per type: databases without native expiry reference their deletion job.
TYPE_TAGS: dict[str, dict[str, str]] = {
    "aws.rds.instance": {"deletion-job": "airflow:crm_purge_expired"},
    "aws.rds.cluster": {"deletion-job": "runbook:RB-112"},
    "aws.dynamodb.table": {"retention-days": "30"},
    "gcp.storage.bucket": {"retention-days": "180"},
}


def make_resource(type_name: str, changes: dict[str, Any] | None = None,
                  unknown: dict[str, str] | None = None) -> Resource:
    """A compliant resource of ``type_name`` with ``changes`` applied.

    Keys ``tags.KEY`` set a tag (None removes it); other keys set attributes.
    """
    tags: dict[str, str] | None = None
    if type_name != "device":
        tags = {**COMPLIANT_TAGS, **TYPE_TAGS.get(type_name, {})}
    attributes = dict(COMPLIANT[type_name])
    for key, value in (changes or {}).items():
        if key.startswith("tags."):
            tags = dict(tags or {})
            if value is None:
                tags.pop(key[5:], None)
            else:
                tags[key[5:]] = value
        else:
            attributes[key] = value
    provider = SHIPPED_TYPES[type_name][1]
    return Resource(type=type_name, id=f"{type_name}:example", name="example", provider=provider,
                    account="123456789012", region=str(attributes.get("location.region") or ""),
                    tags=tags if tags is not None else {}, attributes=attributes, unknown=unknown)
