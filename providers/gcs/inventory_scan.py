"""Buckets from Cloud Asset Inventory (``--gcp-source inventory|auto``), the live API for what it lacks.

Each scope (an organisation or folder asked for, or a named project outside them) is searched once for
its buckets and, when a rule reads ``access.*``, once for their IAM policies. The search results become
the bucket resources and binding lists the live collector derives attributes from, so the attributes are
the same. Per bucket, whatever the inventory does not hold goes live, for just that answer: a result
without the JSON API resource (``buckets.get``), a resource lacking a field some attribute needs
(``buckets.get``, as for a listing), a bucket without an IAM policy result (``getIamPolicy``, lazily),
legacy ACLs (always live, where they apply). A project whose number the hierarchy did not give cannot be
matched to results and is listed live. A scope that cannot be searched is a collection problem with
``inventory`` (its buckets are not scanned: ``error``, never a pass) and is listed live with ``auto``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from policycheck.errors import CollectionError, CredentialError
from policycheck.model import Resource

from .collector import PROJECTS, Collector, unreadable
from .inventory import CloudAsset, Held, ScopeUnread
from .origin import INVENTORY, LIVE, Origin


@dataclass(frozen=True)
class Scope:
    """One search scope, the projects scanned through it, and project number -> id where known."""

    name: str  # organizations/N, folders/N or projects/ID
    projects: tuple[str, ...]
    numbers: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``organization 123``, ``folder 456``, ``project acme`` (as problems name scopes)."""
        kind, _, ident = self.name.partition("/")
        return f"{kind.removesuffix('s')} {ident}"

    def project_of(self, number: str) -> str | None:
        """The project id of a result's project number; a project scope holds only its own project."""
        if self.name.startswith("projects/"):
            return self.projects[0] if self.projects else None
        return self.numbers.get(number)


@dataclass(frozen=True)
class Snapshot:
    """A scope's search results: its buckets, bucket name -> IAM bindings (None: not asked), and when."""

    buckets: list[Held]
    bindings: dict[str, list[dict[str, Any]]] | None
    read_time: str


def scopes_for(projects: tuple[str, ...], parents: tuple[str, ...], under: Mapping[str, str],
               numbers: Mapping[str, str]) -> tuple[list[Scope], tuple[str, ...]]:
    """The scopes that cover ``projects`` (each project in the organisation or folder it was found under, a named
    project in its own), and the projects no scope can place (a discovered project whose number is not known)."""
    by_number = {number: project for project, number in numbers.items()}
    scopes = [Scope(parent, tuple(p for p in projects if under.get(p) == parent and p in numbers), by_number)
              for parent in parents]
    unplaced = tuple(p for p in projects if p in under and p not in numbers)
    scopes += [Scope(f"projects/{p}", (p,)) for p in projects if p not in under]
    return [s for s in scopes if s.projects], unplaced


class InventoryScan:
    """Reads the scopes, turns held buckets into resources, and hands the rest to the live collector."""

    def __init__(self, collector: Collector, asset: CloudAsset, *, source: str, clock: Callable[[], dt.datetime],
                 report_problem: Callable[[str, str], None]):
        self.collector = collector
        self.asset = asset
        self.source = source
        self.clock = clock
        self.report_problem = report_problem

    def resources(self, scopes: list[Scope], unplaced: tuple[str, ...] = (),
                  discovered: frozenset[str] = frozenset()) -> list[Resource]:
        """Every bucket of the scopes' projects; a scope's failure is a problem (inventory) or goes live (auto)."""
        progress = self.collector.progress
        progress.plan(PROJECTS, {p: 1 for scope in scopes for p in scope.projects} | dict.fromkeys(unplaced, 1))
        with ThreadPoolExecutor(max(1, min(len(scopes), self.collector.workers)),
                                thread_name_prefix="gcs-asset") as pool:
            snapshots = list(pool.map(self._read, scopes))
        live = list(unplaced)
        items: list[tuple[str, Held, Snapshot]] = []
        failed: list[tuple[Scope, ScopeUnread]] = []
        for scope, snapshot in zip(scopes, snapshots, strict=True):
            if isinstance(snapshot, ScopeUnread):
                if self.source == "auto":
                    live.extend(scope.projects)
                else:
                    failed.append((scope, snapshot))
                continue
            wanted = set(scope.projects)
            for bucket in snapshot.buckets:
                project = scope.project_of(bucket.project_number)
                if project in wanted:
                    items.append((project, bucket, snapshot))
            for project in scope.projects:
                progress.part_done(PROJECTS, project)
        if failed and len(failed) == len(scopes) and not live:
            scope, exc = failed[0]
            more = f" (and {len(failed) - 1} more scope(s))" if len(failed) > 1 else ""
            raise CredentialError(f"gcs: Cloud Asset Inventory, {scope.label}: {exc}{more}; nothing to scan "
                                  "(--gcp-source auto reads the live API instead)")
        for scope, exc in failed:
            self.report_problem(scope.label, f"Cloud Asset Inventory: {exc}")
            for project in scope.projects:
                progress.part_done(PROJECTS, project)
        with ThreadPoolExecutor(self.collector.workers, thread_name_prefix="gcs-get") as pool:
            held = list(pool.map(lambda item: self._resource(*item), items))
        listed = self.collector.listed(tuple(dict.fromkeys(live)), discovered, LIVE) if live else []
        return [*held, *listed]

    def _read(self, scope: Scope) -> Snapshot | ScopeUnread:
        read_time = self.clock().astimezone(dt.UTC).isoformat()
        try:
            buckets = self.asset.buckets(scope.name)
            bindings = self.asset.bindings(scope.name) if self.collector.wants_access else None
        except ScopeUnread as exc:
            return exc
        return Snapshot(buckets, bindings, read_time)

    def _resource(self, project: str, bucket: Held, snapshot: Snapshot) -> Resource:
        bindings = None if snapshot.bindings is None else snapshot.bindings.get(bucket.name)
        if bucket.bucket is not None:
            return self.collector.completed(project, bucket.bucket, Origin(INVENTORY, snapshot.read_time, bindings))
        try:  # the result carries no JSON API resource: the live API answers for this bucket
            fetched = self.collector.api.get_bucket(bucket.name, full=self.collector.wants_access,
                                                    billing_project=project)
        except CollectionError as exc:
            return unreadable(project, bucket.name, CollectionError(
                f"Cloud Asset Inventory holds no bucket resource and buckets.get failed: {exc.reason}",
                action=exc.action))
        return self.collector.checked(project, fetched, origin=Origin(INVENTORY, snapshot.read_time, bindings))
