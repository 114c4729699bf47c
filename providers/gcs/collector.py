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
from policycheck.progress import UnitProgress
from policycheck.provider import CollectPlan

from .api import GcsApi, ProjectDenied, ProjectMissing
from .locations import location_code
from .members import Home, external_members
from .normalise import (
    NEEDED_FIELDS,
    access_attributes,
    core_attributes,
    labels,
    missing_fields,
    public_access_prevented,
    public_in_acl,
    public_in_policy,
    requester_pays,
    uniform_access,
    unknown_facts,
)
from .origin import Origin
from .schema import ACCESS, BUCKET, EXTERNAL

PROVIDER = "gcs"
#: The progress kind of a project (``projects 3/40 done``).
PROJECTS = "projects"


def resource_id(project: str, bucket: str) -> str:
    return f"projects/{project}/buckets/{bucket}"


class Collector:
    """Builds the resources of a plan from a :class:`GcsApi`."""

    def __init__(self, api: GcsApi, plan: CollectPlan, report_problem: Callable[[str, str], None],
                 allowed_domains: frozenset[str] = frozenset(), progress: UnitProgress | None = None):
        self.api = api
        self.report_problem = report_problem
        self.progress = progress or UnitProgress()
        self.discovered: frozenset[str] = frozenset()
        self.allowed_domains = allowed_domains
        self.wants_access = plan.wants_group(BUCKET, ACCESS) or plan.wants_group(BUCKET, EXTERNAL)
        self.workers = max(1, plan.max_workers)
        self.needed = (frozenset(a for names in NEEDED_FIELDS.values() for a in names) if plan.needs is None
                       else plan.needs.get(BUCKET.name, frozenset()))

    def listed(self, projects: tuple[str, ...], discovered: frozenset[str] = frozenset(),
               origin: Origin | None = None) -> list[Resource]:
        """Every bucket of ``projects``; all listings finish before the first resource is returned.

        A project the credentials may not list is reported as a collection problem and the others
        go on; when no project can be listed at all, that is a CredentialError (nothing scanned).
        A ``discovered`` project (found under an organisation or folder, not named by the user) that
        is not found is a problem too, where a named one is a configuration error.
        """
        self.discovered = discovered
        self.progress.plan(PROJECTS, dict.fromkeys(projects, 1))
        with ThreadPoolExecutor(self.workers, thread_name_prefix="gcs-list") as pool:
            listings = list(pool.map(self._listing, projects))
        denied = [listing for listing in listings if isinstance(listing, ProjectDenied)]
        if denied and len(denied) == len(projects):
            raise denied[0]
        items: list[tuple[str, Mapping[str, Any]]] = []
        for project, listing in zip(projects, listings, strict=True):
            if isinstance(listing, ProjectDenied):
                self.report_problem(f"project {project}", str(listing).removeprefix("gcs: "))
                continue
            items.extend((project, bucket) for bucket in listing)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="gcs-get") as pool:
            return list(pool.map(lambda item: self.completed(item[0], item[1], origin), items))

    def completed(self, project: str, bucket: Mapping[str, Any], origin: Origin | None = None) -> Resource:
        """:meth:`checked`, after a buckets.get when the listing item lacks fields a needed attribute reads.

        When that get fails (a 403), those attributes are unknown, never judged from the absent fields.
        """
        lacking = [name for name in missing_fields(bucket) if self.needed & set(NEEDED_FIELDS[name])]
        if not lacking or not isinstance(bucket.get("name"), str):
            return self.checked(project, bucket, origin=origin)
        try:
            fetched = self.api.get_bucket(bucket["name"], full=self.wants_access, billing_project=project)
        except CollectionError as exc:
            return self.checked(project, bucket, cause=f" and buckets.get failed: {exc}", origin=origin)
        return self.checked(project, fetched, origin=origin)

    def checked(self, project: str, bucket: Mapping[str, Any], cause: str = "",
                origin: Origin | None = None) -> Resource:
        """:meth:`resource`, or a bucket with unknown values when its listed metadata is malformed."""
        try:
            return self.resource(project, bucket, cause, origin)
        except (KeyError, TypeError, ValueError) as exc:  # one odd bucket must not stop the scan of the others
            name = str(bucket.get("name") or "?") if isinstance(bucket, Mapping) else "?"
            return unreadable(project, name, CollectionError(
                f"malformed bucket metadata ({type(exc).__name__}: {exc})", action="storage.buckets.list"))

    def _listing(self, project: str) -> list[dict[str, Any]] | ProjectDenied:
        try:
            return self.api.list_buckets(project, full=self.wants_access)
        except ProjectDenied as exc:
            return exc
        except ProjectMissing as exc:
            if project not in self.discovered:
                raise
            return ProjectDenied(str(exc))
        finally:
            self.progress.part_done(PROJECTS, project)

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

    def resource(self, project: str, bucket: Mapping[str, Any], cause: str = "",
                 origin: Origin | None = None) -> Resource:
        """The bucket's resource; attributes whose field the bucket resource lacks are unknown (``cause`` says why).

        ``origin`` (with ``--gcp-source inventory|auto``) says where the facts came from and hands in the IAM
        bindings Cloud Asset Inventory holds, so those are not asked of the live API.
        """
        name = str(bucket["name"])
        reads = BucketReads(self.api, project, bucket)
        if origin is not None and origin.bindings is not None:
            reads.seed("iam", origin.bindings)
        unknown = unknown_facts(bucket, cause)
        return Resource(
            type=BUCKET.name,
            id=resource_id(project, name),
            name=name,
            provider=PROVIDER,
            account=project,
            region=location_code(bucket),
            tags=labels(bucket),
            attributes={**{k: v for k, v in core_attributes(bucket).items() if k not in unknown},
                        **(origin.attributes() if origin else {})},
            unknown=unknown,
            fetchers={ACCESS: partial(self.access, reads), EXTERNAL: partial(self.external, reads)},
            group_of=BUCKET.group_of,
        )

    def access(self, reads: BucketReads) -> dict[str, Any]:
        """``access.*``: public IAM grants, and public ACLs where uniform access is off."""
        if public_access_prevented(reads.bucket):
            return access_attributes(())
        via = set()
        if public_in_policy(reads.bindings()):
            via.add("iam")
        if not uniform_access(reads.bucket) and (public_in_acl(reads.acl()) or public_in_acl(reads.default_acl())):
            via.add("acl")
        return access_attributes(via)

    def external(self, reads: BucketReads) -> dict[str, Any]:
        """``access.external_principals``: IAM members (and ACL entities where ACLs apply) outside the organisation.

        Public access prevention does not stop grants to named outsiders, so the IAM policy is read regardless.
        """
        home = Home(reads.project, str(reads.bucket.get("projectNumber") or ""), self.allowed_domains)
        entries = [] if uniform_access(reads.bucket) else [*reads.acl(), *reads.default_acl()]
        return {"access.external_principals": external_members(reads.bindings(), entries, home)}


class BucketReads:
    """The lazy reads of one bucket, each made at most once (its groups load one at a time)."""

    def __init__(self, api: GcsApi, project: str, bucket: Mapping[str, Any]):
        self.api = api
        self.project = project
        self.bucket = bucket
        self.name = str(bucket["name"])
        self.user_project = project if requester_pays(bucket) else None
        self._answers: dict[str, Any] = {}

    def seed(self, key: str, answer: Any) -> None:
        """An answer known already (from Cloud Asset Inventory): the live API is not asked for it."""
        self._answers[key] = answer

    def _once(self, key: str, read: Callable[[], Any]) -> Any:
        if key not in self._answers:
            self._answers[key] = read()
        return self._answers[key]

    def bindings(self) -> list[dict[str, Any]]:
        return self._once("iam", lambda: self.api.iam_bindings(self.name, self.user_project))

    def acl(self) -> list[dict[str, Any]]:
        if "acl" in self.bucket:
            return list(self.bucket["acl"])
        return self._once("acl", lambda: self.api.bucket_acl(self.name, self.user_project))

    def default_acl(self) -> list[dict[str, Any]]:
        if "defaultObjectAcl" in self.bucket:
            return list(self.bucket["defaultObjectAcl"])
        return self._once("default_acl", lambda: self.api.default_object_acl(self.name, self.user_project))


def unreadable(project: str, name: str, error: CollectionError) -> Resource:
    """A configured bucket whose metadata could not be read: every attribute and tag is unknown."""
    def fail() -> dict[str, Any]:
        raise error

    groups: dict[str, Callable[[], dict[str, Any]]] = {
        group: fail for group in {"core", "tags", "raw", *(a.group for a in BUCKET.attributes)}
    }
    return Resource(type=BUCKET.name, id=resource_id(project, name), name=name, provider=PROVIDER,
                    account=project, fetchers=groups, group_of=BUCKET.group_of)
