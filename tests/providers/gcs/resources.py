"""Bucket resources in the documented JSON API shape (storage#bucket), for the fake server."""

from __future__ import annotations

import copy
from typing import Any

PROJECT_NUMBER = "418375902201"
KMS_KEY = "projects/acme-support/locations/europe-west3/keyRings/cs/cryptoKeys/tickets"


def bucket(name: str, location: str = "EUROPE-WEST3", location_type: str = "region", **fields: Any) -> dict:
    """A bucket as buckets.get / buckets.list with projection=full return it."""
    resource: dict[str, Any] = {
        "kind": "storage#bucket",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
        "id": name,
        "name": name,
        "projectNumber": PROJECT_NUMBER,
        "generation": "1718000000000000",
        "metageneration": "3",
        "location": location,
        "locationType": location_type,
        "storageClass": "STANDARD",
        "etag": "CAM=",
        "timeCreated": "2024-06-10T08:15:02.117Z",
        "updated": "2025-01-20T10:01:44.906Z",
        "rpo": "DEFAULT",
        "iamConfiguration": {
            "bucketPolicyOnly": {"enabled": True, "lockedTime": "2024-09-08T08:15:02.117Z"},
            "uniformBucketLevelAccess": {"enabled": True, "lockedTime": "2024-09-08T08:15:02.117Z"},
            "publicAccessPrevention": "enforced",
        },
        "softDeletePolicy": {"retentionDurationSeconds": "604800", "effectiveTime": "2024-06-10T08:15:02.117Z"},
        "hierarchicalNamespace": {"enabled": False},
        "owner": {"entity": f"project-owners-{PROJECT_NUMBER}"},
    }
    resource.update(copy.deepcopy(fields))
    return resource


def legacy_acl(name: str, *, public: bool = False) -> dict[str, Any]:
    """ACL fields of a bucket with uniform bucket-level access off (as projection=full shows them)."""
    acl = [
        {"kind": "storage#bucketAccessControl", "id": f"{name}/project-owners-{PROJECT_NUMBER}",
         "bucket": name, "entity": f"project-owners-{PROJECT_NUMBER}", "role": "OWNER",
         "projectTeam": {"projectNumber": PROJECT_NUMBER, "team": "owners"}, "etag": "CAE="},
        {"kind": "storage#bucketAccessControl", "id": f"{name}/project-viewers-{PROJECT_NUMBER}",
         "bucket": name, "entity": f"project-viewers-{PROJECT_NUMBER}", "role": "READER",
         "projectTeam": {"projectNumber": PROJECT_NUMBER, "team": "viewers"}, "etag": "CAE="},
    ]
    if public:
        acl.append({"kind": "storage#bucketAccessControl", "id": f"{name}/allUsers", "bucket": name,
                    "entity": "allUsers", "role": "READER", "etag": "CAE="})
    return {
        "iamConfiguration": {"bucketPolicyOnly": {"enabled": False}, "uniformBucketLevelAccess": {"enabled": False},
                             "publicAccessPrevention": "inherited"},
        "acl": acl,
        "defaultObjectAcl": [{"kind": "storage#objectAccessControl", "entity": f"project-owners-{PROJECT_NUMBER}",
                              "role": "OWNER", "etag": "CAE="}],
    }


def delete_rule(**condition: Any) -> dict[str, Any]:
    return {"action": {"type": "Delete"}, "condition": condition}


def binding(role: str, *members: str, condition: dict | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"role": role, "members": list(members)}
    if condition:
        result["condition"] = condition
    return result
