"""A small Cloud Resource Manager v3 server for tests (http.server on 127.0.0.1).

It answers ``GET /v3/projects?parent=...`` and ``GET /v3/folders?parent=...`` as the v3 REST
reference documents them: direct children only, ``pageToken``/``nextPageToken`` paging, only
``ACTIVE`` resources unless ``showDeleted=true``, and Google's JSON error document (403
``PERMISSION_DENIED``, 429 ``RESOURCE_EXHAUSTED``). Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
          500: "INTERNAL", 503: "UNAVAILABLE"}
PERMISSION = {"projects": "resourcemanager.projects.list", "folders": "resourcemanager.folders.list"}


def error_body(code: int, message: str) -> dict[str, Any]:
    """Google's API error document (AIP-193)."""
    return {"error": {"code": code, "message": message, "status": STATUS.get(code, "UNKNOWN")}}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]


@dataclass
class FakeResourceManager:
    """Parent name -> child projects and folders; denied (collection, parent) pairs; scripted failures."""

    projects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    folders: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    denials: set[tuple[str, str]] = field(default_factory=set)
    #: (collection, parent) -> HTTP statuses to answer, one per request, before answering normally.
    failures: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    page_size: int = 2
    #: Answer DELETE_REQUESTED resources even without showDeleted (to prove the client's own state filter).
    ignore_show_deleted: bool = False
    requests: list[Request] = field(default_factory=list)
    latency: float = 0.0  # seconds before each answer, as a remote API round trip
    url: str = ""
    _numbers: int = 100000000000
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- estate ---------------------------------------------------------------------------

    def folder(self, parent: str, display_name: str, state: str = "ACTIVE") -> str:
        """Add a folder under ``parent`` (``organizations/N`` or ``folders/N``); its name."""
        name = f"folders/{self._number()}"
        self.folders.setdefault(parent, []).append({
            "name": name, "parent": parent, "displayName": display_name, "state": state,
            "createTime": "2023-03-01T09:00:00.000Z", "updateTime": "2023-03-01T09:00:00.000Z",
            "etag": "W/\"f1\"",
        })
        return name

    def project(self, parent: str, project_id: str, state: str = "ACTIVE") -> dict[str, Any]:
        """Add a project under ``parent``; its resource."""
        resource: dict[str, Any] = {
            "name": f"projects/{self._number()}", "parent": parent, "projectId": project_id, "state": state,
            "displayName": project_id.replace("-", " ").title(), "createTime": "2023-03-02T10:00:00.000Z",
            "updateTime": "2024-01-15T12:00:00.000Z", "etag": "W/\"p1\"", "labels": {"team": "customer-service"},
        }
        if state == "DELETE_REQUESTED":
            resource["deleteTime"] = "2025-01-10T08:00:00.000Z"
        self.projects.setdefault(parent, []).append(resource)
        return resource

    def deny(self, collection: str, parent: str) -> None:
        """Answer 403 to ``collection`` (projects, folders) listed under ``parent``."""
        self.denials.add((collection, parent))

    def calls(self, collection: str | None = None) -> list[Request]:
        return [r for r in self.requests if collection is None or r.path == f"/v3/{collection}"]

    def _number(self) -> int:
        self._numbers += 1
        return self._numbers

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
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        request = Request(handler.command, url.path, query)
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
        collection = request.path.removeprefix("/v3/")
        parent = request.query.get("parent", "")
        if collection not in PERMISSION:
            return HTTPStatus.NOT_FOUND, error_body(404, "Not Found")
        if not parent.startswith(("organizations/", "folders/")):
            return HTTPStatus.BAD_REQUEST, error_body(400, "Request contains an invalid argument.")
        with self._lock:
            scripted = self.failures.get((collection, parent))
            code = scripted.pop(0) if scripted else None
        if code is not None:
            return code, error_body(code, "Quota exceeded" if code == 429 else "Backend error")
        if (collection, parent) in self.denials:
            return HTTPStatus.FORBIDDEN, error_body(
                403, f"Permission '{PERMISSION[collection]}' denied on resource '//cloudresourcemanager.googleapis"
                     f".com/{parent}' (or it may not exist).")
        show_deleted = request.query.get("showDeleted") == "true" or self.ignore_show_deleted
        items = [i for i in getattr(self, collection).get(parent, []) if show_deleted or i["state"] == "ACTIVE"]
        start = int(base64.urlsafe_b64decode(request.query["pageToken"]).decode()) if "pageToken" in request.query \
            else 0
        size = min(int(request.query.get("pageSize", self.page_size)), self.page_size)
        body: dict[str, Any] = {collection: items[start:start + size]} if items[start:start + size] else {}
        if start + size < len(items):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return HTTPStatus.OK, body
