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

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.errors import CredentialError

from .hierarchy import FIRST_BACKOFF, MAX_BACKOFF, RETRIED

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


class CloudAsset:
    """Read-only v1 searches through an authorised ``requests`` session (shared by worker threads)."""

    def __init__(self, session: Any, *, endpoint: str | None, timeout: float,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.session = session
        self.endpoint = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock

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
            page = self._get(f"/v1/{scope}:{method}", params, permission, scope, method)
            found = page.get("results", [])
            if not isinstance(found, list):
                raise ScopeUnread(f"{method} answered 'results' that is not a list ({permission})")
            items.extend(r for r in found if isinstance(r, Mapping))
            token = page.get("nextPageToken")
            if not token:
                return items
            params = {**params, "pageToken": str(token)}

    def _get(self, path: str, params: dict[str, str], permission: str, scope: str, method: str) -> dict[str, Any]:
        """One GET, retried on throttling, server errors and dropped connections for up to ``timeout`` seconds."""
        import requests
        from google.auth import exceptions as auth_errors

        started = self.clock()
        deadline = started + self.timeout
        backoff = FIRST_BACKOFF
        while True:
            remaining = deadline - self.clock()
            failure: Exception | None = None
            try:
                answer = self.session.get(self.endpoint + path, params=params,
                                          timeout=max(0.1, min(self.timeout, remaining)))
            except auth_errors.TransportError:
                raise CredentialError("gcs: cannot reach Google's token endpoint to refresh the credentials") from None
            except auth_errors.GoogleAuthError:
                raise CredentialError("gcs: the Google credentials were rejected (expired or revoked?)") from None
            except requests.RequestException as exc:
                failure = exc
            if failure is None and answer.status_code not in RETRIED:
                return self._read(answer, permission, scope, method)
            if deadline - self.clock() <= backoff:
                if failure is not None:  # with auto the live API answers instead; with inventory, a problem
                    raise ScopeUnread(f"cannot reach Cloud Asset Inventory at {self.endpoint} "
                                      f"({type(failure).__name__})")
                reason = "throttled" if answer.status_code == 429 else f"answered HTTP {answer.status_code}"
                raise ScopeUnread(f"{method} {reason} for {self.clock() - started:.1f} s "
                                  f"(request_timeout {self.timeout:g} s) ({permission})")
            self.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)

    @staticmethod
    def _read(answer: Any, permission: str, scope: str, method: str) -> dict[str, Any]:
        if answer.status_code == 401:
            raise CredentialError("gcs: the Google credentials were rejected by Cloud Asset Inventory "
                                  "(expired or revoked?)")
        if answer.status_code == 403:
            raise ScopeUnread(f"permission {permission} denied on {scope} (or the Cloud Asset API is not enabled)")
        if answer.status_code in (400, 404):
            raise ScopeUnread(f"{scope} not found ({method} answered HTTP {answer.status_code})")
        if answer.status_code != 200:
            raise ScopeUnread(f"{method} answered HTTP {answer.status_code} ({permission})")
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ScopeUnread(f"{method} answered something that is not a JSON object ({permission})")
        return body
