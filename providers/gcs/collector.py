"""Bucket resources -> :class:`Resource` records with a lazy ``access`` group.

One buckets.list per project (in parallel across projects) supplies every attribute but public
exposure; the IAM policy (and legacy ACLs) are read only when a rule reads ``access.*`` of that
bucket, and not at all when public access prevention is enforced. Those lazy reads run in the
caller's threads (the engine evaluates buckets concurrently).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from policycheck.errors import CollectionError
from policycheck.model import Resource
from policycheck.provider import CollectPlan

from .api import GcsApi, ProjectDenied
from .locations import location_code
from .normalise import (
    access_attributes,
    core_attributes,
    labels,
    public_access_prevented,
    public_in_acl,
    public_in_policy,
    requester_pays,
    uniform_access,
)
from .schema import ACCESS, BUCKET

PROVIDER = "gcs"


def resource_id(project: str, bucket: str) -> str:
    return f"projects/{project}/buckets/{bucket}"


class Collector:
    """Builds the resources of a plan from a :class:`GcsApi`."""

    def __init__(self, api: GcsApi, plan: CollectPlan, report_problem: Callable[[str, str], None]):
        self.api = api
        self.report_problem = report_problem
        self.wants_access = plan.wants_group(BUCKET, ACCESS)
        self.workers = max(1, plan.max_workers)

    def listed(self, projects: tuple[str, ...]) -> list[Resource]:
        """Every bucket of ``projects``; all listings finish before the first resource is returned.

        A project the credentials may not list is reported as a collection problem and the others
        go on; when no project can be listed at all, that is a CredentialError (nothing scanned).
        """
        with ThreadPoolExecutor(self.workers, thread_name_prefix="gcs-list") as pool:
            listings = list(pool.map(self._listing, projects))
        denied = [listing for listing in listings if isinstance(listing, ProjectDenied)]
        if denied and len(denied) == len(projects):
            raise denied[0]
        resources = []
        for project, listing in zip(projects, listings, strict=True):
            if isinstance(listing, ProjectDenied):
                self.report_problem(f"project {project}", str(listing).removeprefix("gcs: "))
                continue
            resources.extend(self.checked(project, bucket) for bucket in listing)
        return resources

    def checked(self, project: str, bucket: Mapping[str, Any]) -> Resource:
        """:meth:`resource`, or a bucket with unknown values when its listed metadata is malformed."""
        try:
            return self.resource(project, bucket)
        except (KeyError, TypeError, ValueError) as exc:  # one odd bucket must not stop the scan of the others
            name = str(bucket.get("name") or "?") if isinstance(bucket, Mapping) else "?"
            return unreadable(project, name, CollectionError(
                f"malformed bucket metadata ({type(exc).__name__}: {exc})", action="storage.buckets.list"))

    def _listing(self, project: str) -> list[dict[str, Any]] | ProjectDenied:
        try:
            return self.api.list_buckets(project, full=self.wants_access)
        except ProjectDenied as exc:
            return exc

    def named(self, refs: tuple[tuple[str, str], ...]) -> list[Resource]:
        """The configured buckets, one buckets.get each; a bucket that cannot be read has unknown values."""
        with ThreadPoolExecutor(self.workers, thread_name_prefix="gcs-get") as pool:
            return list(pool.map(lambda ref: self._named(*ref), refs))

    def _named(self, project: str, name: str) -> Resource:
        try:
            bucket = self.api.get_bucket(name, full=self.wants_access, billing_project=project)
        except CollectionError as exc:
            return unreadable(project, name, exc)
        return self.checked(project, bucket)

    def resource(self, project: str, bucket: Mapping[str, Any]) -> Resource:
        name = str(bucket["name"])
        return Resource(
            type=BUCKET.name,
            id=resource_id(project, name),
            name=name,
            provider=PROVIDER,
            account=project,
            region=location_code(bucket),
            tags=labels(bucket),
            attributes=core_attributes(bucket),
            fetchers={ACCESS: partial(self.access, project, bucket)},
            group_of=BUCKET.group_of,
        )

    def access(self, project: str, bucket: Mapping[str, Any]) -> dict[str, Any]:
        """``access.*``: public IAM grants, and public ACLs where uniform access is off."""
        if public_access_prevented(bucket):
            return access_attributes(())
        name = str(bucket["name"])
        user_project = project if requester_pays(bucket) else None
        via = set()
        if public_in_policy(self.api.iam_bindings(name, user_project)):
            via.add("iam")
        if not uniform_access(bucket):
            acl = bucket["acl"] if "acl" in bucket else self.api.bucket_acl(name, user_project)
            default_acl = (bucket["defaultObjectAcl"] if "defaultObjectAcl" in bucket
                           else self.api.default_object_acl(name, user_project))
            if public_in_acl(acl) or public_in_acl(default_acl):
                via.add("acl")
        return access_attributes(via)


def unreadable(project: str, name: str, error: CollectionError) -> Resource:
    """A configured bucket whose metadata could not be read: every attribute and tag is unknown."""
    def fail() -> dict[str, Any]:
        raise error

    groups: dict[str, Callable[[], dict[str, Any]]] = {
        group: fail for group in {"core", "tags", "raw", *(a.group for a in BUCKET.attributes)}
    }
    return Resource(type=BUCKET.name, id=resource_id(project, name), name=name, provider=PROVIDER,
                    account=project, fetchers=groups, group_of=BUCKET.group_of)
