"""Cloud Asset Inventory (API v1), read-only: the buckets and bucket IAM policies of one scope.

Two searches per scope (``organizations/N``, ``folders/N`` or ``projects/ID``), 500 results a page:
``searchAllResources`` with ``readMask`` including ``versionedResources`` (each bucket's Storage JSON API
v1 resource) and ``searchAllIamPolicies`` (each bucket's IAM bindings), both narrowed to
``storage.googleapis.com/Bucket``. A search result is turned into the answer the live API would have
given (a bucket resource, a binding list); a result lacking that answer holds nothing, and the live API
is asked for it instead. Legacy ACLs are never taken from the inventory (its bucket resource is not
documented to carry them complete): they are read live where they apply. A scope that cannot be searched
(403, 400/404, throttled or failing past retries, the endpoint unreachable) raises :class:`ScopeUnread`;
credentials that are rejected stop the run (:class:`CredentialError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .rest import RestClient

__all__ = ["DEFAULT_ENDPOINT", "SCOPE", "SEARCH_POLICIES", "SEARCH_RESOURCES", "CloudAsset", "Held",
           "ScopeUnread", "held"]

DEFAULT_ENDPOINT = "https://cloudasset.googleapis.com"
#: The Cloud Asset API accepts only this OAuth scope (IAM permissions still limit what is read).
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
SEARCH_RESOURCES = "cloudasset.assets.searchAllResources"
SEARCH_POLICIES = "cloudasset.assets.searchAllIamPolicies"
ASSET_TYPE = "storage.googleapis.com/Bucket"
NAME_PREFIX = "//storage.googleapis.com/"
#: What a bucket's search result must carry; ``versionedResources`` is left out unless asked for.
READ_MASK = "name,assetType,project,location,labels,createTime,updateTime,versionedResources"
PAGE_SIZE = 500  # the documented cap of both searches
#: The Storage JSON API version whose bucket resource the live collector reads.
JSON_API_VERSION = "v1"
#: Fields never taken from the inventory's bucket resource: legacy ACLs are read live where they apply.
LIVE_ONLY_FIELDS = ("acl", "defaultObjectAcl")


class ScopeUnread(Exception):
    """One scope could not be searched; the message says why, naming the permission."""


@dataclass(frozen=True)
class Held:
    """What one search result holds of a bucket: its name, project number and (if carried) its JSON API resource."""

    name: str
    project_number: str
    bucket: Mapping[str, Any] | None


def bucket_name(full_name: Any) -> str | None:
    """``//storage.googleapis.com/NAME`` (or ``.../projects/_/buckets/NAME``) -> NAME; None for anything else."""
    if not isinstance(full_name, str) or not full_name.startswith(NAME_PREFIX):
        return None
    rest = full_name.removeprefix(NAME_PREFIX)
    return (rest.rpartition("buckets/")[2] if "/" in rest else rest) or None


def held(result: Mapping[str, Any]) -> Held | None:
    """A ResourceSearchResult as :class:`Held`; None for a result that is not a bucket with a project."""
    name = bucket_name(result.get("name"))
    project = str(result.get("project") or "")
    if name is None or result.get("assetType", ASSET_TYPE) != ASSET_TYPE or not project.startswith("projects/"):
        return None
    number = project.removeprefix("projects/")
    return Held(name, number, _json_api_resource(result, name, number))


def _json_api_resource(result: Mapping[str, Any], name: str, number: str) -> dict[str, Any] | None:
    """The v1 bucket resource of ``versionedResources`` (without ACL fields), if the result carries it."""
    for version in result.get("versionedResources") or []:
        if not isinstance(version, Mapping) or version.get("version") != JSON_API_VERSION:
            continue
        resource = version.get("resource")
        if isinstance(resource, Mapping) and resource.get("name") == name:
            bucket = {k: v for k, v in resource.items() if k not in LIVE_ONLY_FIELDS}
            bucket.setdefault("projectNumber", number)
            return bucket
    return None


class CloudAsset(RestClient):
    """Read-only v1 searches through an authorised ``requests`` session (shared by worker threads)."""

    service = "Cloud Asset Inventory"
    default_endpoint = DEFAULT_ENDPOINT
    unread = ScopeUnread
    denied_hint = "or the Cloud Asset API is not enabled"
    unreachable_stops_run = False  # with auto the live API answers instead; with inventory, a problem

    def buckets(self, scope: str) -> list[Held]:
        """Every bucket the scope holds, with its JSON API resource where the result carries one."""
        results = self._pages(scope, "searchAllResources", {"readMask": READ_MASK}, SEARCH_RESOURCES)
        return [item for item in map(held, results) if item is not None]

    def bindings(self, scope: str) -> dict[str, list[dict[str, Any]]]:
        """Bucket name -> the bindings of its IAM policy, for every bucket with a policy in the scope."""
        found: dict[str, list[dict[str, Any]]] = {}
        for result in self._pages(scope, "searchAllIamPolicies", {}, SEARCH_POLICIES):
            name = bucket_name(result.get("resource"))
            policy = result.get("policy")
            if name is None or result.get("assetType", ASSET_TYPE) != ASSET_TYPE or not isinstance(policy, Mapping):
                continue
            bindings = policy.get("bindings") or []
            if not isinstance(bindings, list):
                raise ScopeUnread(f"searchAllIamPolicies answered bindings that are not a list ({SEARCH_POLICIES})")
            found.setdefault(name, []).extend(dict(b) for b in bindings if isinstance(b, Mapping))
        return found

    def _pages(self, scope: str, method: str, extra: dict[str, str], permission: str) -> list[Any]:
        items: list[Any] = []
        params = {"assetTypes": ASSET_TYPE, "pageSize": str(PAGE_SIZE), **extra}
        while True:
            page = self.get(f"/v1/{scope}:{method}", params, method=method, permission=permission, target=scope)
            found = page.get("results", [])
            if not isinstance(found, list):
                raise ScopeUnread(f"{method} answered 'results' that is not a list ({permission})")
            items.extend(r for r in found if isinstance(r, Mapping))
            token = page.get("nextPageToken")
            if not token:
                return items
            params = {**params, "pageToken": str(token)}
