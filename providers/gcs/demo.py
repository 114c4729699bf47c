"""A demo estate: customer-service buckets in gcp-storage-emulator, started in this process.

The emulator speaks the Cloud Storage JSON API on a free 127.0.0.1 port. It ignores
properties given at creation, so each bucket is created by name and then set with a PATCH
(labels, location, encryption, uniform access, lifecycle, ...) and, where it has one, an IAM
policy. Only multi-region locations are used because the emulator cannot change
``locationType``. Label values allow only ``[a-z0-9_-]``: lists are joined with ``__``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

PROJECT = "acme-support-demo"
KMS_KEY = f"projects/{PROJECT}/locations/europe/keyRings/customer-service/cryptoKeys/tickets"
WEEK = str(7 * 86400)


def _labels(**values: str) -> dict[str, str]:
    return {key.replace("_", "-"): value for key, value in values.items()}


def _delete_after(days: int) -> dict[str, Any]:
    return {"action": {"type": "Delete"}, "condition": {"age": days}}


def _noncurrent_after(days: int) -> dict[str, Any]:
    return {"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": days}}


#: Bucket name -> (PATCH body in JSON API shape, IAM bindings or None).
BUCKETS: dict[str, tuple[dict[str, Any], list[dict[str, Any]] | None]] = {
    "acme-cs-ticket-attachments": ({
        "location": "EU",
        "labels": _labels(data_classification="personal", purpose="customer-support", data_owner="cs-operations",
                          retention_days="365", data_categories="name__email__customer-id__order"),
        "encryption": {"defaultKmsKeyName": KMS_KEY},
        "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}, "publicAccessPrevention": "enforced"},
        "versioning": {"enabled": True},
        "lifecycle": {"rule": [_delete_after(365), _noncurrent_after(14)]},
        "softDeletePolicy": {"retentionDurationSeconds": WEEK},
        "logging": {"logBucket": "acme-cs-access-logs", "logObjectPrefix": "ticket-attachments/"},
    }, None),
    "acme-cs-chat-transcripts": ({
        "location": "EU",
        "labels": _labels(data_classification="personal", purpose="customer-support", data_owner="cs-quality",
                          retention_days="90", data_categories="name__email__chat__bank-details",
                          processor="callcenter-partner-gmbh"),
        "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}, "publicAccessPrevention": "inherited"},
        "versioning": {"enabled": True},
        "lifecycle": {"rule": [_delete_after(180), _noncurrent_after(30)]},
        "softDeletePolicy": {"retentionDurationSeconds": WEEK},
    }, [{"role": "roles/storage.objectViewer", "members": ["group:cs-quality@acme.example"]}]),
    "acme-cs-call-recordings": ({
        "location": "EU",
        "labels": _labels(data_classification="sensitive", purpose="quality-assurance", data_owner="cs-quality",
                          retention_days="30", data_categories="voice__customer-id", processor="voicebox-services",
                          dpa_reference="dpa-2024-017", purpose_ends="2027-12-31"),
        "encryption": {"defaultKmsKeyName": KMS_KEY.replace("tickets", "recordings")},
        "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}, "publicAccessPrevention": "enforced"},
        "retentionPolicy": {"retentionPeriod": str(30 * 86400)},
        "versioning": {"enabled": True},
        "lifecycle": {"rule": [_delete_after(30), _noncurrent_after(1)]},
        "softDeletePolicy": {"retentionDurationSeconds": "0"},
        "logging": {"logBucket": "acme-cs-access-logs", "logObjectPrefix": "call-recordings/"},
    }, None),
    "acme-cs-exports-us": ({
        "location": "US",
        "labels": _labels(data_classification="personal", purpose="analytics", retention_days="30",
                          data_categories="name__email__order__bank-details", purpose_ends="2025-06-30"),
        "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": False}, "publicAccessPrevention": "inherited"},
        "acl": [{"entity": "project-owners-123456", "role": "OWNER"}, {"entity": "allUsers", "role": "READER"}],
        "softDeletePolicy": {"retentionDurationSeconds": str(90 * 86400)},
    }, [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]),
    "acme-cs-access-logs": ({
        "location": "EU",
        "labels": _labels(data_classification="internal", purpose="security-logging", data_owner="it-security",
                          retention_days="400"),
        "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}, "publicAccessPrevention": "enforced"},
        "lifecycle": {"rule": [_delete_after(400)]},
        "softDeletePolicy": {"retentionDurationSeconds": WEEK},
    }, None),
}


def demo_estate() -> AbstractContextManager[dict[str, Any]]:
    """The demo as a context manager; ImportError when the emulator or google-cloud-storage is missing."""
    from gcp_storage_emulator.server import create_server
    from google.cloud import storage  # noqa: F401  (what scanning the demo needs)

    return _running_estate(create_server)


@contextmanager
def _running_estate(create_server: Any) -> Iterator[dict[str, Any]]:
    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        build(endpoint)
        yield {"projects": [PROJECT], "endpoint": endpoint, "anonymous": True}
    finally:
        server.stop()


def build(endpoint: str) -> None:
    """Create the demo buckets through the JSON API (insert, then PATCH, then setIamPolicy)."""
    import requests

    api = f"{endpoint}/storage/v1/b"
    with requests.Session() as http:
        for name, (body, bindings) in BUCKETS.items():
            http.post(api, params={"project": PROJECT}, json={"name": name}, timeout=10).raise_for_status()
            http.patch(f"{api}/{name}", json=body, timeout=10).raise_for_status()
            if bindings is not None:
                policy: dict[str, Any] = {"version": 1, "bindings": bindings}
                http.put(f"{api}/{name}/iam", json=policy, timeout=10).raise_for_status()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
