"""The ``gcs`` provider: Cloud Storage buckets of one or more projects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from policycheck.errors import ConfigError, CredentialError
from policycheck.model import Resource
from policycheck.provider import CollectPlan, Provider

from .api import GcsApi
from .collector import Collector
from .connection import Connection, connect
from .hierarchy import FOLDERS_LIST, PROJECTS_LIST, Discovery, ResourceManager, projects_under
from .inventory import SEARCH_POLICIES, SEARCH_RESOURCES, CloudAsset
from .inventory_scan import InventoryScan, scopes_for
from .schema import BUCKET, GET_PERMISSION, GROUP_PERMISSIONS, LIST_PERMISSION
from .settings import GcsSettings


class GcsProvider(Provider):
    """Google Cloud Storage buckets, normalised to the shared data-store vocabulary.

    Read-only: one buckets.list per project (the projects named, and the active projects under the
    organisations and folders named, found through Cloud Resource Manager), plus buckets.getIamPolicy
    (and legacy ACL reads) only for buckets whose public exposure a rule reads. Resource ids are
    ``projects/PROJECT/buckets/NAME``; labels are the tags. Cloud Storage has no bucket setting
    for ``backup.*`` or ``deletion_protection.*``: those read as null. With ``source: inventory|auto``
    the buckets and their IAM policies come from Cloud Asset Inventory searches per scope instead
    (:mod:`.inventory_scan`), the live API for what those lack.
    """

    name: ClassVar[str] = "gcs"
    description: ClassVar[str] = "Google Cloud Storage buckets (google-cloud-storage)"
    extra: ClassVar[str | None] = "gcp"
    resource_types = (BUCKET,)
    settings_class = GcsSettings
    settings: GcsSettings

    def collect(self, plan: CollectPlan) -> Iterator[Resource]:
        if not plan.wants_type(BUCKET.name):
            return
        connection = connect(self.settings, pool_size=max(10, plan.max_workers))
        api = GcsApi(connection.client, endpoint=connection.endpoint, timeout=self.settings.request_timeout)
        collector = Collector(api, plan, self.context.report_problem, self.settings.allowed_domains,
                              self.context.progress)
        if self.settings.buckets:
            yield from collector.named(self.settings.bucket_refs)
            return
        projects, discovered, found = self._projects(connection, plan)
        projects = self._shard_projects(projects)
        if not self.settings.inventory:
            yield from collector.listed(projects, discovered)
            return
        scopes, unplaced = scopes_for(projects, self.settings.parents, found.under, found.numbers)
        asset = CloudAsset(connection.session, endpoint=self.settings.asset_endpoint,
                           timeout=self.settings.request_timeout)
        scan = InventoryScan(collector, asset, source=self.settings.source, clock=self.context.clock,
                             report_problem=self.context.report_problem)
        yield from scan.resources(scopes, unplaced, discovered)

    def _projects(self, connection: Connection, plan: CollectPlan) -> tuple[tuple[str, ...], frozenset[str],
                                                                             Discovery]:
        """The configured projects and the active projects under the configured organisations and folders
        (a union, without repeats), which of them were discovered rather than named, and the discovery itself
        (project numbers, and which organisation or folder each project was found under).

        An organisation or folder that cannot be listed is a collection problem; when none of them can be
        listed and no project is named either, nothing can be scanned (CredentialError, exit 2).
        """
        settings = self.settings
        if not settings.parents:
            return settings.projects or _default(connection.default_project), frozenset(), Discovery()
        manager = ResourceManager(connection.session, endpoint=settings.resource_manager_endpoint,
                                  timeout=settings.request_timeout)
        found = projects_under(manager, settings.parents, plan.max_workers)
        if found.problems and not found.projects and not settings.projects:
            scope, message = found.problems[0]
            more = f" (and {len(found.problems) - 1} more organisation(s) or folder(s))" if len(found.problems) > 1 \
                else ""
            raise CredentialError(f"gcs: {scope}: {message}{more}; nothing to scan")
        for scope, message in found.problems:
            self.context.report_problem(scope, message)
        discovered = frozenset(found.projects) - set(settings.projects)
        return tuple(dict.fromkeys([*settings.projects, *found.projects])), discovered, found

    def _shard_projects(self, projects: tuple[str, ...]) -> tuple[str, ...]:
        """A shard's projects: whole projects when there are many, else every project (split by resource id)."""
        if self.context.shard.split_by_units(len(projects)):
            self.context.partition_by("project")
            return tuple(p for p in projects if self.context.owns(f"gcs:{p}"))
        return projects

    def permissions(self, plan: CollectPlan) -> list[str]:
        if not plan.wants_type(BUCKET.name):
            return []
        needed = {GET_PERMISSION if self.settings.buckets else LIST_PERMISSION}
        if self.settings.parents:
            needed.update({PROJECTS_LIST, FOLDERS_LIST})
        for group in plan.groups(BUCKET):
            needed.update(GROUP_PERMISSIONS.get(group, ()))
        if self.settings.inventory:  # the Cloud Storage permissions stay: the live API answers what it lacks
            needed.add(SEARCH_RESOURCES)
            if any(group in GROUP_PERMISSIONS for group in plan.groups(BUCKET)):
                needed.add(SEARCH_POLICIES)
        return sorted(needed)

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]] | None:
        from .demo import demo_estate

        return demo_estate()


def _default(project: str | None) -> tuple[str, ...]:
    if not project:
        raise ConfigError("gcs: no GCP project to scan; set providers.gcs.projects in policycheck.yaml "
                          "or pass --project, --gcp-folder or --gcp-organization")
    return (project,)
