"""Who manages a KMS key named in a plan, and what the plan proves about it.

A key created in the same plan (``aws_kms_key``) is customer-managed even while its ARN is
unknown; an ``alias/aws/...`` alias is AWS-managed; a data source tells ``key_manager``. A key
given only by an ARN or id that the plan does not describe is unknown.
"""

from __future__ import annotations

from . import values
from .document import Instance
from .plan import Path_, Plan
from .values import NotKnown

CUSTOMER_TYPES = ("aws_kms_key", "aws_kms_replica_key", "aws_kms_external_key", "aws_kms_replica_external_key")


def key_management(plan: Plan, instance: Instance, attribute: Path_) -> str:
    """customer-managed or provider-managed for the key in ``attribute`` (a name or a path into nested blocks)."""
    if plan.refers_to(instance, attribute, CUSTOMER_TYPES) or plan.refers_to(instance, attribute, ("aws_kms_alias",)):
        return "customer-managed"
    for data in plan.referenced(instance, attribute, ("aws_kms_key", "aws_kms_alias"), mode="data", by_value=False):
        manager = values.get(data, "key_manager") if data.type == "aws_kms_key" else None
        if manager:
            return "customer-managed" if manager == "CUSTOMER" else "provider-managed"
    key = values.get(instance, *((attribute,) if isinstance(attribute, str) else attribute))
    if not key:
        return "provider-managed"  # encryption without a key: the service's AWS-managed key
    text = str(key)
    if text.startswith("alias/aws/") or ":alias/aws/" in text:
        return "provider-managed"
    if text.startswith("alias/") or ":alias/" in text:
        return "customer-managed"  # AWS reserves the alias/aws/ prefix for its own keys
    for created in plan.of_type(*CUSTOMER_TYPES):
        if text in (created.values.get("arn"), created.values.get("key_id"), created.values.get("id")):
            return "customer-managed"
    raise NotKnown(f"{instance.address}: key '{text}' is not in the plan; whether AWS or the customer manages it "
                   "is not known")
