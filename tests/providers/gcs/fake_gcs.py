"""A small Cloud Storage JSON API server for tests (http.server on 127.0.0.1).

It serves what gcp-storage-emulator cannot: any location, locked retention policies, 403 and
404 answers with the documented error body, projection=noAcl vs full, paging. Every API request
is recorded so tests can assert which calls were made (and that all of them were GETs). It also
plays the OAuth token endpoint (``POST /token``) for service-account credentials, kept apart
from the API requests.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

API = "/storage/v1"
TOKEN = "ya29.fake-access-token"
ACL_KEYS = ("acl", "defaultObjectAcl", "owner")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    authorization: str = ""


def error_body(code: int, message: str, reason: str) -> dict[str, Any]:
    """The JSON API error document."""
    return {"error": {"code": code, "message": message,
                      "errors": [{"message": message, "domain": "global", "reason": reason}]}}


def denied(permission: str, what: str) -> tuple[int, dict[str, Any]]:
    principal = "scanner@acme-support.iam.gserviceaccount.com"
    message = (f"{principal} does not have {permission} access to the {what}. "
               f"Permission '{permission}' denied on resource (or it may not exist).")
    return HTTPStatus.FORBIDDEN, error_body(403, message, "forbidden")


NOT_FOUND_BUCKET = (HTTPStatus.NOT_FOUND, error_body(404, "The specified bucket does not exist.", "notFound"))
REQUESTER_PAYS = (HTTPStatus.BAD_REQUEST, error_body(400, "Bucket is a requester pays bucket but no user project "
                                                          "provided.", "required"))


@dataclass
class FakeGcs:
    """Projects -> bucket resources; IAM policies; denied (permission, project-or-bucket) pairs."""

    projects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    denials: set[tuple[str, str]] = field(default_factory=set)
    requests: list[Request] = field(default_factory=list)
    token_requests: int = 0
    require_token: bool = False
    unavailable: bool = False  # answer 503 to every API call
    #: Project -> HTTP status buckets.list answers for it (e.g. 500), whatever else is set up.
    list_errors: dict[str, int] = field(default_factory=dict)
    #: Kinds of call (list, get, iam, acl) accepted and never answered, until stop() (a hung backend).
    stall: set[str] = field(default_factory=set)
    _release: threading.Event = field(default_factory=threading.Event)
    #: Buckets that buckets.list shows with their identity fields only (buckets.get still shows all).
    identity_only: set[str] = field(default_factory=set)
    page_size: int = 1000
    latency: float = 0.0
    #: Most requests the server was answering at the same moment (concurrency seen from the server side).
    max_in_flight: int = 0
    _in_flight: int = 0
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- estate ---------------------------------------------------------------------------

    def add(self, project: str, bucket: dict[str, Any], bindings: list[dict[str, Any]] | None = None) -> None:
        self.projects.setdefault(project, []).append(bucket)
        self.policies[bucket["name"]] = {
            "kind": "storage#policy", "resourceId": f"projects/_/buckets/{bucket['name']}",
            "version": 1, "etag": "CAE=", "bindings": bindings or [],
        }

    def deny(self, permission: str, target: str) -> None:
        """Answer 403 for ``permission`` on a project (list) or a bucket (get, IAM, ACL)."""
        self.denials.add((permission, target))

    def bucket(self, name: str) -> dict[str, Any] | None:
        return next((b for buckets in self.projects.values() for b in buckets if b["name"] == name), None)

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
            request_queue_size = 128  # many workers connect at once (the default backlog of 5 drops their SYNs)

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        return self.url

    def stop(self) -> None:
        self._release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def calls(self, kind: str | None = None) -> list[Request]:
        return [r for r in self.requests if kind is None or _kind(r.path) == kind]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        if handler.command == "POST" and url.path in ("/token", "/token-revoked"):
            handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
            with self._lock:
                self.token_requests += 1
            if url.path == "/token-revoked":
                return _send(handler, HTTPStatus.BAD_REQUEST,
                             {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
            return _send(handler, HTTPStatus.OK, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"})
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        request = Request(handler.command, url.path, query, handler.headers.get("Authorization", ""))
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        if _kind(url.path) in self.stall:
            self._release.wait(60)  # bounded: the connection is dropped unanswered at stop() or after a minute
            with self._lock:
                self._in_flight -= 1
            return
        try:
            if self.latency:
                time.sleep(self.latency)
        finally:
            with self._lock:
                self._in_flight -= 1
        if handler.command != "GET":
            status, body = HTTPStatus.METHOD_NOT_ALLOWED, error_body(405, "read-only fake", "methodNotAllowed")
        elif self.unavailable:
            status, body = HTTPStatus.SERVICE_UNAVAILABLE, error_body(503, "Backend Error", "backendError")
        elif self.require_token and request.authorization != f"Bearer {TOKEN}":
            status, body = HTTPStatus.UNAUTHORIZED, error_body(401, "Invalid Credentials", "authError")
        else:
            status, body = self._answer(request)
        _send(handler, status, body)
    def _answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        parts = [unquote(p) for p in request.path.removeprefix(API).strip("/").split("/")]
        if request.path == f"{API}/b":
            return self._list(request.query)
        if len(parts) >= 2 and parts[0] == "b":
            name, rest = parts[1], "/".join(parts[2:])
            handler = {"": self._get, "iam": self._iam, "acl": self._acl, "defaultObjectAcl": self._acl}.get(rest)
            if handler:
                return handler(name, rest, request.query)
        return HTTPStatus.NOT_FOUND, error_body(404, "Not Found", "notFound")

    def _list(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        project = query.get("project", "")
        if project not in self.projects:
            return HTTPStatus.NOT_FOUND, error_body(404, "The requested project was not found.", "notFound")
        if project in self.list_errors:
            code = self.list_errors[project]
            return code, error_body(code, "Backend Error", "backendError")
        if ("storage.buckets.list", project) in self.denials:
            return denied("storage.buckets.list", "Google Cloud project")
        full = query.get("projection") == "full"
        if full and ("storage.buckets.getIamPolicy", project) in self.denials:
            return denied("storage.buckets.getIamPolicy", "Google Cloud project")
        size = min(int(query.get("maxResults", self.page_size)), self.page_size)
        start = int(query.get("pageToken", "0"))
        items = [_identity(b) if b["name"] in self.identity_only else _projected(b, full)
                 for b in self.projects[project][start:start + size]]
        body: dict[str, Any] = {"kind": "storage#buckets", "items": items}
        if start + size < len(self.projects[project]):
            body["nextPageToken"] = str(start + size)
        return HTTPStatus.OK, body

    def _refusal(self, bucket: dict[str, Any] | None, name: str, query: dict[str, str],
                 permission: str) -> tuple[int, dict[str, Any]] | None:
        """The error answer for a missing bucket, an unbilled requester-pays call or a denied permission."""
        if bucket is None:
            return NOT_FOUND_BUCKET
        if _unbilled(bucket, query):
            return REQUESTER_PAYS
        if (permission, name) in self.denials:
            return denied(permission, "Google Cloud Storage bucket")
        return None

    def _get(self, name: str, rest: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        bucket = self.bucket(name)
        refusal = self._refusal(bucket, name, query, "storage.buckets.get")
        if refusal:
            return refusal
        full = query.get("projection") == "full"
        if full and ("storage.buckets.getIamPolicy", name) in self.denials:
            return denied("storage.buckets.getIamPolicy", "Google Cloud Storage bucket")
        return HTTPStatus.OK, _projected(bucket, full)

    def _iam(self, name: str, rest: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        bucket = self.bucket(name)
        refusal = self._refusal(bucket, name, query, "storage.buckets.getIamPolicy")
        if refusal:
            return refusal
        return HTTPStatus.OK, self.policies[name]

    def _acl(self, name: str, rest: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        bucket = self.bucket(name)
        refusal = self._refusal(bucket, name, query, "storage.buckets.getIamPolicy")
        if refusal:
            return refusal
        if (bucket.get("iamConfiguration") or {}).get("uniformBucketLevelAccess", {}).get("enabled"):
            message = "Cannot get legacy ACL for a bucket that has uniform bucket-level access."
            return HTTPStatus.BAD_REQUEST, error_body(400, message, "invalid")
        kind = "storage#bucketAccessControls" if rest == "acl" else "storage#objectAccessControls"
        return HTTPStatus.OK, {"kind": kind, "items": bucket.get(rest, [])}


def _send(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=UTF-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _unbilled(bucket: dict[str, Any], query: dict[str, str]) -> bool:
    """A requester-pays bucket asked about without a project to bill."""
    return bool((bucket.get("billing") or {}).get("requesterPays")) and not query.get("userProject")


def _projected(bucket: dict[str, Any], full: bool) -> dict[str, Any]:
    return dict(bucket) if full else {k: v for k, v in bucket.items() if k not in ACL_KEYS}


def _identity(bucket: dict[str, Any]) -> dict[str, Any]:
    """A listing item with the identity fields only (as a ``fields=`` mask or a degraded answer gives it)."""
    return {k: v for k, v in bucket.items() if k in ("kind", "id", "selfLink", "name", "projectNumber", "etag")}


def _kind(path: str) -> str:
    """list, get, iam, acl or defaultObjectAcl."""
    parts = path.removeprefix(API).strip("/").split("/")
    if parts == ["b"]:
        return "list"
    return "get" if len(parts) == 2 else parts[2]
