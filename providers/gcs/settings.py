"""The ``gcs`` settings, declared once: config section ``providers.gcs``, flags and environment derive from it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policycheck.errors import ConfigError
from policycheck.provider import ProviderSettings
from policycheck.settings import setting

__all__ = ["BUCKET_NAME", "PROJECT_ID", "GcsSettings"]

#: Project ids: 6-30 characters, lower-case letters, digits and hyphens, starting with a letter.
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
#: Bucket names (JSON API): 3-222 characters of lower-case letters, digits, - _ and dots.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
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
    buckets: tuple[str, ...] = setting(
        (), "Scan only this bucket, as PROJECT/BUCKET (repeatable; needs storage.buckets.get only).",
        flag="--gcs-bucket", metavar="PROJECT/BUCKET")
    credentials_file: str | None = setting(
        None, "Google credentials file (service-account key, workload identity federation); default: "
        "Application Default Credentials.", flag="--gcp-credentials", path="always")
    endpoint: str | None = setting(None, "JSON API endpoint, e.g. a private endpoint or emulator.")
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
        object.__setattr__(self, "allowed_domains", frozenset(d.lower() for d in self.allowed_domains))

    def check(self) -> None:
        for index, text in enumerate(self.buckets):
            project, _, bucket = text.partition("/")
            if not PROJECT_ID.match(project) or not BUCKET_NAME.match(bucket):
                raise ConfigError(f"buckets[{index}]: '{text}' is not PROJECT/BUCKET "
                                  "(e.g. acme-support/ticket-files)")

    @property
    def bucket_refs(self) -> tuple[tuple[str, str], ...]:
        """``buckets`` as (project, bucket) pairs."""
        return tuple((b.partition("/")[0], b.partition("/")[2]) for b in self.buckets)
