"""The ``gcs`` settings, declared once: config section ``providers.gcs``, flags and environment derive from it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policycheck.errors import ConfigError
from policycheck.provider import ProviderSettings
from policycheck.settings import setting

__all__ = ["BUCKET_NAME", "FOLDER", "ORGANIZATION", "PROJECT_ID", "GcsSettings"]

#: Project ids: 6-30 characters, lower-case letters, digits and hyphens, starting with a letter.
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
#: Bucket names (JSON API): 3-222 characters of lower-case letters, digits, - _ and dots.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
#: Organisation and folder ids: their number, or their resource name (``organizations/123``, ``folders/456``).
ORGANIZATION = re.compile(r"^(organizations/)?[0-9]{1,20}$")
FOLDER = re.compile(r"^(folders/)?[0-9]{1,20}$")
#: Where bucket facts come from (``--gcp-source``), as AWS's ``--aws-source`` config|api|auto.
SOURCES = ("inventory", "api", "auto")
#: DNS domain names (lower-case labels separated by dots).
DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


@dataclass(frozen=True)
class GcsSettings(ProviderSettings):
    """Google Cloud Storage: which projects or buckets, and how to reach them."""

    section = "gcs"

    projects: tuple[str, ...] = setting(
        (), "GCP project id to scan (repeatable); default: the credentials' project.", flag="--project",
        items={"pattern": PROJECT_ID.pattern},
        expect="a GCP project id (6-30 lower-case letters, digits and hyphens)")
    organizations: tuple[str, ...] = setting(
        (), "Scan every active project of this GCP organisation, its folders and sub-folders included "
        "(repeatable; needs resourcemanager.projects.list and resourcemanager.folders.list).",
        flag="--gcp-organization", metavar="ORG_ID", items={"pattern": ORGANIZATION.pattern},
        expect="an organisation id (e.g. 123456789012 or organizations/123456789012)")
    folders: tuple[str, ...] = setting(
        (), "Scan every active project of this GCP folder and its sub-folders (repeatable; needs "
        "resourcemanager.projects.list and resourcemanager.folders.list).",
        flag="--gcp-folder", metavar="FOLDER_ID", items={"pattern": FOLDER.pattern},
        expect="a folder id (e.g. 456789012345 or folders/456789012345)")
    buckets: tuple[str, ...] = setting(
        (), "Scan only this bucket, as PROJECT/BUCKET (repeatable; needs storage.buckets.get only).",
        flag="--gcs-bucket", metavar="PROJECT/BUCKET")
    credentials_file: str | None = setting(
        None, "Google credentials file (service-account key, workload identity federation); default: "
        "Application Default Credentials.", flag="--gcp-credentials", path="always")
    endpoint: str | None = setting(None, "JSON API endpoint, e.g. a private endpoint or emulator.")
    resource_manager_endpoint: str | None = setting(
        None, "Cloud Resource Manager endpoint for organisations and folders (default "
        "https://cloudresourcemanager.googleapis.com), e.g. a private endpoint.")
    source: str = setting(
        "api", "Where bucket facts come from: api (the live Cloud Storage API), inventory (Cloud Asset Inventory's "
        "searchAllResources and searchAllIamPolicies over each organisation, folder or project scanned; the live API "
        "for what it lacks) or auto (inventory, and the live API for a scope Cloud Asset Inventory is denied or "
        "failing on).", flag="--gcp-source", schema={"enum": list(SOURCES)},
        expect="one of " + ", ".join(SOURCES))
    asset_endpoint: str | None = setting(
        None, "Cloud Asset API endpoint for --gcp-source inventory/auto (default https://cloudasset.googleapis.com), "
        "e.g. a private endpoint.")
    anonymous: bool = setting(False, "Send no credentials (local emulators).")
    request_timeout: float = setting(60.0, "Seconds per request, retries included (the provider's whole time "
                                     "limit is 'timeout').", schema={"exclusiveMinimum": 0},
                                     expect="a positive number of seconds")
    allowed_domains: frozenset[str] = setting(
        frozenset(), "Your organisation's own domains (e.g. acme.example, or PROJECT.iam.gserviceaccount.com of "
        "sibling projects): IAM members and ACL entities of these domains are not external principals.",
        schema={"type": "array", "items": {"type": "string", "pattern": DOMAIN.pattern.replace("a-z", "a-zA-Z")}},
        expect="a domain name (e.g. acme.example)")

    def __post_init__(self) -> None:
        object.__setattr__(self, "projects", tuple(dict.fromkeys(p.strip() for p in self.projects)))
        object.__setattr__(self, "buckets", tuple(dict.fromkeys(b.strip() for b in self.buckets)))
        object.__setattr__(self, "organizations", tuple(dict.fromkeys(
            "organizations/" + o.strip().removeprefix("organizations/") for o in self.organizations)))
        object.__setattr__(self, "folders", tuple(dict.fromkeys(
            "folders/" + f.strip().removeprefix("folders/") for f in self.folders)))
        object.__setattr__(self, "allowed_domains", frozenset(d.lower() for d in self.allowed_domains))

    def check(self) -> None:
        for index, text in enumerate(self.buckets):
            project, _, bucket = text.partition("/")
            if not PROJECT_ID.match(project) or not BUCKET_NAME.match(bucket):
                raise ConfigError(f"buckets[{index}]: '{text}' is not PROJECT/BUCKET "
                                  "(e.g. acme-support/ticket-files)")
        if self.buckets and self.source == "inventory":
            raise ConfigError("--gcs-bucket reads single buckets with buckets.get; --gcp-source inventory "
                              "reads whole projects, folders or organisations (give --project, --gcp-folder or "
                              "--gcp-organization, or --gcp-source api)", source="--gcp-source")
        if self.buckets and self.parents:
            raise ConfigError("buckets: --gcs-bucket names single buckets; it cannot be combined with "
                              "--gcp-organization or --gcp-folder")

    @property
    def inventory(self) -> bool:
        """Bucket facts are read from Cloud Asset Inventory first (``--gcp-source inventory`` or ``auto``)."""
        return self.source in ("inventory", "auto") and not self.buckets

    @property
    def parents(self) -> tuple[str, ...]:
        """The organisations and folders whose projects are scanned, as resource names (``folders/456``)."""
        return (*self.organizations, *self.folders)

    @property
    def bucket_refs(self) -> tuple[tuple[str, str], ...]:
        """``buckets`` as (project, bucket) pairs."""
        return tuple((b.partition("/")[0], b.partition("/")[2]) for b in self.buckets)
