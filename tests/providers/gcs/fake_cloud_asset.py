"""A small Cloud Asset Inventory v1 server for tests (http.server on 127.0.0.1).

It answers ``GET /v1/{scope}:searchAllResources`` and ``GET /v1/{scope}:searchAllIamPolicies`` for
``storage.googleapis.com/Bucket`` assets as the v1 REST reference documents them: scope
``organizations/N``, ``folders/N``, ``projects/ID`` or ``projects/NUMBER``; ``ResourceSearchResult``
(``name`` ``//storage.googleapis.com/BUCKET``, ``project`` ``projects/NUMBER``, ``folders``,
``organization``, ``location``, ``labels``, ``createTime``/``updateTime`` and, only when ``readMask``
names it (or is ``*``), ``versionedResources`` holding the Storage JSON API v1 bucket resource);
``IamPolicySearchResult`` (``resource``, ``project``, ``policy.bindings``) for every bucket whose
policy has bindings; ``pageSize`` (capped) / ``pageToken`` / ``nextPageToken``; Google's JSON error
document (403 ``PERMISSION_DENIED``, 400 ``INVALID_ARGUMENT`` for an unknown ``readMask`` field).
As the real service's bucket resource, its ``acl`` and ``defaultObjectAcl`` are empty lists
whatever the bucket's ACLs are. Every request is recorded.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

ASSET_TYPE = "storage.googleapis.com/Bucket"
STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
          500: "INTERNAL", 503: "UNAVAILABLE"}
PERMISSION = {"searchAllResources": "cloudasset.assets.searchAllResources",
              "searchAllIamPolicies": "cloudasset.assets.searchAllIamPolicies"}
#: ResourceSearchResult fields a readMask may name.
FIELDS = frozenset({
    "name", "assetType", "project", "folders", "organization", "displayName", "description", "location", "labels",
    "tags", "effectiveTags", "networkTags", "kmsKeys", "kmsKey", "createTime", "updateTime", "state",
    "additionalAttributes", "parentFullResourceName", "parentAssetType", "versionedResources", "attachedResources",
    "relationships", "tagKeys", "tagValues", "tagValueIds", "sccSecurityMarks", "enrichments",
})
DEFAULT_MASK = FIELDS - {"versionedResources", "attachedResources", "relationships", "enrichments"}


def error_body(code: int, message: str) -> dict[str, Any]:
    """Google's API error document (AIP-193)."""
    return {"error": {"code": code, "message": message, "status": STATUS.get(code, "UNKNOWN")}}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]

    @property
    def scope(self) -> str:
        return self.path.removeprefix("/v1/").rpartition(":")[0]

    @property
    def search(self) -> str:
        return self.path.rpartition(":")[2]


@dataclass
class FakeCloudAsset:
    """Project number -> (id, ancestors); indexed buckets; IAM bindings; denied (search, scope) pairs."""

    projects: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    buckets: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Buckets whose search results carry no versionedResources (the asset is indexed, its resource is not).
    bare: set[str] = field(default_factory=set)
    denials: set[tuple[str, str]] = field(default_factory=set)
    #: (search, scope) -> HTTP statuses to answer, one per request, before answering normally.
    failures: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    page_size: int = 500
    latency: float = 0.0
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    _numbers: int = 700000000000
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- estate ---------------------------------------------------------------------------

    def project(self, project_id: str, number: str | None = None, ancestors: tuple[str, ...] = ()) -> str:
        """Index a project (``ancestors``: its folders, nearest first, then its organisation); its number."""
        for known, (pid, _) in self.projects.items():
            if pid == project_id:
                return known
        if number is None:
            self._numbers += 1
            number = str(self._numbers)
        self.projects[number] = (project_id, ancestors)
        return number

    def add(self, project_id: str, bucket: dict[str, Any], bindings: list[dict[str, Any]] | None = None) -> None:
        number = self.project(project_id)
        self.buckets.append((number, copy.deepcopy(bucket)))
        if bindings:
            self.policies[bucket["name"]] = copy.deepcopy(bindings)

    def mirror(self, gcs: Any, crm: Any = None) -> None:
        """Index every bucket and IAM policy of a FakeGcs; numbers and ancestry of the projects a
        FakeResourceManager holds come from it (a project it does not hold gets a number of its own)."""
        if crm is not None:
            for number, project_id, ancestors in _crm_projects(crm):
                self.project(project_id, number, ancestors)
        for project_id, buckets in gcs.projects.items():
            for bucket in buckets:
                self.add(project_id, bucket, gcs.policies.get(bucket["name"], {}).get("bindings"))

    def deny(self, search: str, scope: str) -> None:
        """Answer 403 to ``search`` (searchAllResources, searchAllIamPolicies) over ``scope``."""
        self.denials.add((search, scope))

    def calls(self, search: str | None = None) -> list[Request]:
        return [r for r in self.requests if search is None or r.search == search]

    # -- server ---------------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        request = Request(handler.command, unquote(url.path), query)
        with self._lock:
            self.requests.append(request)
        if self.latency:
            time.sleep(self.latency)
        status, body = self._answer(request)
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.method != "GET":
            return HTTPStatus.METHOD_NOT_ALLOWED, error_body(405, "read-only fake")
        search, scope = request.search, request.scope
        if search not in PERMISSION or not request.path.startswith("/v1/"):
            return HTTPStatus.NOT_FOUND, error_body(404, "Not Found")
        if not scope.startswith(("organizations/", "folders/", "projects/")):
            return HTTPStatus.BAD_REQUEST, error_body(400, "Request contains an invalid argument.")
        with self._lock:
            scripted = self.failures.get((search, scope))
            code = scripted.pop(0) if scripted else None
        if code is not None:
            return code, error_body(code, "Quota exceeded" if code == 429 else "Backend error")
        if (search, scope) in self.denials or (scope.startswith("projects/") and self._number(scope) is None):
            return HTTPStatus.FORBIDDEN, error_body(
                403, f"The caller does not have permission: {PERMISSION[search]} on {scope} (or it may not exist).")
        mask = request.query.get("readMask")
        fields = FIELDS if mask == "*" else set(mask.split(",")) if mask else DEFAULT_MASK
        if search == "searchAllResources" and fields - FIELDS:
            return HTTPStatus.BAD_REQUEST, error_body(400, f"Invalid field path in read_mask: "
                                                           f"{sorted(fields - FIELDS)[0]}")
        asked = request.query.get("assetTypes")
        matched = [(n, b) for n, b in self.buckets if self._within(n, scope) and asked in (None, ASSET_TYPE)]
        results = [self._resource(n, b, fields) for n, b in matched] if search == "searchAllResources" else [
            self._policy(n, b) for n, b in matched if self.policies.get(b["name"])]
        start = int(base64.urlsafe_b64decode(request.query["pageToken"]).decode()) if "pageToken" in request.query \
            else 0
        size = min(int(request.query.get("pageSize") or self.page_size), self.page_size)
        body: dict[str, Any] = {"results": results[start:start + size]} if results[start:start + size] else {}
        if start + size < len(results):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return HTTPStatus.OK, body

    def _number(self, scope: str) -> str | None:
        ident = scope.removeprefix("projects/")
        return ident if ident in self.projects else next(
            (n for n, (pid, _) in self.projects.items() if pid == ident), None)

    def _within(self, number: str, scope: str) -> bool:
        if scope.startswith("projects/"):
            return self._number(scope) == number
        return scope in self.projects[number][1]

    def _placement(self, number: str) -> dict[str, Any]:
        ancestors = self.projects[number][1]
        placement: dict[str, Any] = {"project": f"projects/{number}"}
        folders = [a for a in ancestors if a.startswith("folders/")]
        if folders:
            placement["folders"] = folders
        organization = next((a for a in ancestors if a.startswith("organizations/")), None)
        if organization:
            placement["organization"] = organization
        return placement

    def _resource(self, number: str, bucket: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        name = bucket["name"]
        result: dict[str, Any] = {
            "name": f"//storage.googleapis.com/{name}", "assetType": ASSET_TYPE, **self._placement(number),
            "displayName": name, "location": str(bucket.get("location", "")).lower(),
            "labels": bucket.get("labels") or {}, "createTime": _seconds(bucket.get("timeCreated")),
            "updateTime": _seconds(bucket.get("updated")), "additionalAttributes": {},
            "parentFullResourceName": f"//cloudresourcemanager.googleapis.com/projects/{number}",
            "parentAssetType": "cloudresourcemanager.googleapis.com/Project",
        }
        if name not in self.bare:
            resource = {**copy.deepcopy(bucket), "acl": [], "defaultObjectAcl": []}
            result["versionedResources"] = [{"version": "v1", "resource": resource}]
        return {k: v for k, v in result.items() if k in fields and v not in ({}, None, "")}

    def _policy(self, number: str, bucket: dict[str, Any]) -> dict[str, Any]:
        return {"resource": f"//storage.googleapis.com/{bucket['name']}", "assetType": ASSET_TYPE,
                **self._placement(number),
                "policy": {"version": 1, "bindings": copy.deepcopy(self.policies[bucket["name"]]), "etag": "CAE="}}


def _seconds(timestamp: Any) -> str | None:
    """``2024-06-10T08:15:02.117Z`` -> ``2024-06-10T08:15:02Z`` (search results have second granularity)."""
    return f"{str(timestamp).partition('.')[0].removesuffix('Z')}Z" if timestamp else None


def _crm_projects(crm: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """(number, project id, ancestors) of every project a FakeResourceManager holds."""
    parent_of = {f["name"]: f["parent"] for folders in crm.folders.values() for f in folders}
    found = []
    for parent, projects in crm.projects.items():
        chain = [parent]
        while chain[-1] in parent_of:
            chain.append(parent_of[chain[-1]])
        for project in projects:
            found.append((project["name"].removeprefix("projects/"), project["projectId"], tuple(chain)))
    return found
