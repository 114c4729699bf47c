"""The ``gcp.storage.bucket`` resource type: the shared vocabulary bound to Cloud Storage calls."""

from __future__ import annotations

from policycheck.attributes import AttributeSpec, ResourceType, bind_groups
from policycheck.vocabulary import DATA_STORE

from .normalise import RAW_FIELDS
from .origin import FRESHNESS

#: Collection group read from the bucket's IAM policy (and legacy ACLs where uniform access is off).
ACCESS = "access"

#: Collection group naming IAM members and ACL entities outside the project's organisation (same reads).
EXTERNAL = "external"

#: Every other attribute comes from the bucket resource of one buckets.list (or buckets.get) call.
GROUPS = {ACCESS: ["access.public", "access.public_via"], EXTERNAL: ["access.external_principals"]}

BUCKET = ResourceType(
    name="gcp.storage.bucket",
    description="A Cloud Storage bucket (one per project and name).",
    provider="gcs",
    kind="data-store",
    attributes=(*bind_groups(DATA_STORE, GROUPS), *(
        AttributeSpec(name, {str: "string", list: "list", bool: "bool"}.get(convert, "int"),
                      f"The bucket resource's {'.'.join(path)} field, as the JSON API returns it.", "raw")
        for name, (path, convert) in RAW_FIELDS.items()), *FRESHNESS),
)

#: IAM permissions per way of reading: listing, explicit bucket gets, and each lazy group.
LIST_PERMISSION = "storage.buckets.list"
GET_PERMISSION = "storage.buckets.get"
IAM_PERMISSION = "storage.buckets.getIamPolicy"  # reading legacy ACLs needs it too
GROUP_PERMISSIONS = {ACCESS: (IAM_PERMISSION,), EXTERNAL: (IAM_PERMISSION,)}
