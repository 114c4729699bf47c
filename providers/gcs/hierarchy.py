"""Projects under organisations and folders: Cloud Resource Manager v3, read-only.

Two GETs per parent (``projects.list`` and ``folders.list``, all pages), breadth-first into
sub-folders, several parents at once. Only ``ACTIVE`` projects and folders count. A parent that
cannot be listed (403, throttled or failing past retries) is a problem for that parent while the
others go on; credentials that are rejected or an endpoint that cannot be reached stop the run
(:class:`CredentialError`, exit 2).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .rest import RestClient
from .settings import FOLDER

__all__ = ["DEFAULT_ENDPOINT", "FOLDERS_LIST", "PROJECTS_LIST", "Children", "Discovery", "ResourceManager",
           "projects_under"]

DEFAULT_ENDPOINT = "https://cloudresourcemanager.googleapis.com"
#: The OAuth scope Resource Manager reads need (storage scopes do not cover them).
SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"
PROJECTS_LIST = "resourcemanager.projects.list"
FOLDERS_LIST = "resourcemanager.folders.list"
#: Answers worth another try (throttling and transient server errors), with exponential backoff.
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


class ResourceManager(RestClient):
    """Read-only v3 calls through an authorised ``requests`` session (shared by worker threads)."""

    service = "Cloud Resource Manager"
    default_endpoint = DEFAULT_ENDPOINT
    unread = ParentUnlisted
    denied_hint = "or it does not exist"

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
            page = self.get(f"/v3/{collection}", params, method=f"{collection}.list", permission=permission,
                            target=parent)
            found = page.get(collection, [])
            if not isinstance(found, list):
                raise ParentUnlisted(f"{collection}.list answered '{collection}' that is not a list")
            items.extend(found)
            token = page.get("nextPageToken")
            if not token:
                return items
            params = {"parent": parent, "pageToken": str(token)}

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
