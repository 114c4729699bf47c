"""Projects under organisations and folders: Cloud Resource Manager v3, read-only.

Two GETs per parent (``projects.list`` and ``folders.list``, all pages), breadth-first into
sub-folders, several parents at once. Only ``ACTIVE`` projects and folders count. A parent that
cannot be listed (403, throttled or failing past retries) is a problem for that parent while the
others go on; credentials that are rejected or an endpoint that cannot be reached stop the run
(:class:`CredentialError`, exit 2).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from policycheck.errors import CredentialError

from .settings import FOLDER

__all__ = ["DEFAULT_ENDPOINT", "FOLDERS_LIST", "PROJECTS_LIST", "Children", "Discovery", "ResourceManager",
           "projects_under"]

DEFAULT_ENDPOINT = "https://cloudresourcemanager.googleapis.com"
#: The OAuth scope Resource Manager reads need (storage scopes do not cover them).
SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"
PROJECTS_LIST = "resourcemanager.projects.list"
FOLDERS_LIST = "resourcemanager.folders.list"
#: Answers worth another try (throttling and transient server errors), with exponential backoff.
RETRIED = frozenset({429, 500, 502, 503, 504})
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 8.0
ACTIVE = "ACTIVE"


class ParentUnlisted(Exception):
    """One organisation or folder could not be listed; the message says why, naming the permission."""


@dataclass
class Children:
    """What one parent holds: active project ids, active sub-folder names, and why any of them could not be listed."""

    projects: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    numbers: dict[str, str] = field(default_factory=dict)  # project id -> project number


@dataclass
class Discovery:
    """Active project ids found (in a stable order), and (scope, message) of each parent that could not be listed."""

    projects: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    numbers: dict[str, str] = field(default_factory=dict)  # project id -> project number (``projects/NUMBER``)
    under: dict[str, str] = field(default_factory=dict)  # project id -> the organisation or folder asked for


class ResourceManager:
    """Read-only v3 calls through an authorised ``requests`` session (shared by worker threads)."""

    def __init__(self, session: Any, *, endpoint: str | None, timeout: float,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.session = session
        self.endpoint = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock

    def children(self, parent: str) -> Children:
        """The parent's active projects and active sub-folders; what could not be listed is in ``failures``."""
        found = Children()
        try:
            active = [p for p in self._pages("projects", parent, PROJECTS_LIST)
                      if isinstance(p, dict) and p.get("state") == ACTIVE and p.get("projectId")]
            found.projects = [str(p["projectId"]) for p in active]
            found.numbers = {str(p["projectId"]): str(p["name"]).removeprefix("projects/") for p in active
                             if str(p.get("name") or "").startswith("projects/")}
        except ParentUnlisted as exc:
            found.failures.append(f"cannot list its projects: {exc}")
        try:
            found.folders = [str(f["name"]) for f in self._pages("folders", parent, FOLDERS_LIST)
                             if isinstance(f, dict) and f.get("state") == ACTIVE and FOLDER.match(str(f.get("name")))]
        except ParentUnlisted as exc:
            found.failures.append(f"cannot list its folders: {exc}")
        return found

    def _pages(self, collection: str, parent: str, permission: str) -> list[Any]:
        items: list[Any] = []
        params = {"parent": parent}
        while True:
            page = self._get(f"/v3/{collection}", params, permission, parent)
            found = page.get(collection, [])
            if not isinstance(found, list):
                raise ParentUnlisted(f"{collection}.list answered '{collection}' that is not a list")
            items.extend(found)
            token = page.get("nextPageToken")
            if not token:
                return items
            params = {"parent": parent, "pageToken": str(token)}

    def _get(self, path: str, params: dict[str, str], permission: str, parent: str) -> dict[str, Any]:
        """One GET, retried on throttling, server errors and dropped connections for up to ``timeout`` seconds."""
        import requests
        from google.auth import exceptions as auth_errors

        url = self.endpoint + path
        started = self.clock()
        deadline = started + self.timeout
        backoff = FIRST_BACKOFF
        while True:
            remaining = deadline - self.clock()
            failure: Exception | None = None
            try:
                answer = self.session.get(url, params=params, timeout=max(0.1, min(self.timeout, remaining)))
            except auth_errors.TransportError:
                raise CredentialError("gcs: cannot reach Google's token endpoint to refresh the credentials") from None
            except auth_errors.GoogleAuthError:
                raise CredentialError("gcs: the Google credentials were rejected (expired or revoked?)") from None
            except requests.RequestException as exc:
                failure = exc
            if failure is None and answer.status_code not in RETRIED:
                return self._read(answer, permission, parent, path)
            if deadline - self.clock() <= backoff:
                if failure is not None:  # no answer at all: no parent can be listed either
                    raise CredentialError(f"gcs: cannot reach Cloud Resource Manager at {self.endpoint} "
                                          f"({type(failure).__name__})")
                reason = "throttled" if answer.status_code == 429 else f"answered HTTP {answer.status_code}"
                raise ParentUnlisted(f"{path.rsplit('/', 1)[-1]}.list {reason} for {self.clock() - started:.1f} s "
                                     f"(request_timeout {self.timeout:g} s) ({permission})")
            self.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)

    def _read(self, answer: Any, permission: str, parent: str, path: str) -> dict[str, Any]:
        method = f"{path.rsplit('/', 1)[-1]}.list"
        if answer.status_code == 401:
            raise CredentialError("gcs: the Google credentials were rejected by Cloud Resource Manager "
                                  "(expired or revoked?)")
        if answer.status_code == 403:
            raise ParentUnlisted(f"permission {permission} denied on {parent} (or it does not exist)")
        if answer.status_code in (400, 404):
            raise ParentUnlisted(f"{parent} not found ({method} answered HTTP {answer.status_code})")
        if answer.status_code != 200:
            raise ParentUnlisted(f"{method} answered HTTP {answer.status_code} ({permission})")
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ParentUnlisted(f"{method} answered something that is not a JSON object ({permission})")
        return body


def projects_under(api: ResourceManager, parents: Iterable[str], workers: int) -> Discovery:
    """Active projects of ``parents`` and of all their sub-folders; each level's parents are listed concurrently."""
    found = Discovery()
    seen: set[str] = set()
    level = list(dict.fromkeys(parents))
    root = {parent: parent for parent in level}  # each folder -> the organisation or folder asked for above it
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="gcs-resource-manager") as pool:
        while level:
            seen.update(level)
            following: list[str] = []
            for parent, children in zip(level, pool.map(api.children, level), strict=True):
                if children.failures:
                    found.problems.append((_scope(parent), "; ".join(children.failures)))
                found.projects.extend(children.projects)
                found.numbers.update(children.numbers)
                for project in children.projects:
                    found.under.setdefault(project, root[parent])
                for folder in children.folders:
                    root.setdefault(folder, root[parent])
                following.extend(f for f in children.folders if f not in seen)
            level = list(dict.fromkeys(following))
    found.projects = sorted(dict.fromkeys(found.projects))
    return found


def _scope(parent: str) -> str:
    """``folders/456`` -> ``folder 456``; ``organizations/123`` -> ``organization 123``."""
    kind, _, number = parent.partition("/")
    return f"{kind.removesuffix('s')} {number}"
