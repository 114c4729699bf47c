"""Public exposure through S3's public access block and ACL grants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ALL_BLOCKED = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}


def effective_block(account: Mapping[str, Any], bucket: Mapping[str, Any]) -> dict[str, bool]:
    """Each flag is in force when the account or the bucket sets it."""
    return {flag: bool(account.get(flag)) or bool(bucket.get(flag)) for flag in ALL_BLOCKED}


def acl_public_grants(acl: Mapping[str, Any]) -> list[str]:
    """``Group:PERMISSION`` for every grant to everyone or to any authenticated AWS user."""
    found = []
    for grant in acl.get("Grants", []):
        group = PUBLIC_GROUPS.get((grant.get("Grantee") or {}).get("URI", ""))
        if group:
            found.append(f"{group}:{grant.get('Permission', '')}")
    return sorted(set(found))


def acl_external_grants(acl: Mapping[str, Any], owner: str | None) -> list[str]:
    """Canonical ids (or e-mail grantees) other than the bucket owner that the ACL grants anything."""
    found = set()
    for grant in acl.get("Grants", []):
        grantee = grant.get("Grantee") or {}
        if grantee.get("Type") == "CanonicalUser" and grantee.get("ID") and grantee["ID"] != owner:
            found.add(grantee["ID"])
        elif grantee.get("Type") == "AmazonCustomerByEmail" and grantee.get("EmailAddress"):
            found.add(grantee["EmailAddress"])
    return sorted(found)
