"""The provider's config section (``providers.gcs`` in policycheck.yaml, or CLI options)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.errors import ConfigError

#: Project ids: 6-30 characters, lower-case letters, digits and hyphens, starting with a letter.
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
#: Bucket names (JSON API): 3-222 characters of lower-case letters, digits, - _ and dots.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
#: DNS domain names (lower-case labels separated by dots).
DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "projects": {"type": "array", "items": {"type": "string", "pattern": PROJECT_ID.pattern},
                     "description": "Project ids to scan; default: the project of the credentials."},
        "buckets": {"type": "array", "items": {"type": "string"},
                    "description": "Scan only these buckets, as PROJECT/BUCKET (needs storage.buckets.get only)."},
        "credentials_file": {"type": "string",
                             "description": "Service-account key or other credentials file; default: ADC."},
        "endpoint": {"type": "string", "description": "JSON API endpoint, e.g. a private endpoint or emulator."},
        "anonymous": {"type": "boolean", "description": "Send no credentials (local emulators)."},
        "timeout": {"type": "number", "exclusiveMinimum": 0,
                    "description": "Seconds per request, retries included (default 60)."},
        "allowed_domains": {"type": "array", "items": {"type": "string", "pattern": DOMAIN.pattern},
                            "description": "Your organisation's own domains (e.g. acme.example, or "
                                           "PROJECT.iam.gserviceaccount.com of sibling projects): IAM members and "
                                           "ACL entities of these domains are not external principals."},
    },
}


@dataclass(frozen=True)
class GcsSettings:
    projects: tuple[str, ...] = ()
    buckets: tuple[tuple[str, str], ...] = ()  # (project, bucket)
    credentials_file: str | None = None
    endpoint: str | None = None
    anonymous: bool = False
    timeout: float = 60.0
    allowed_domains: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GcsSettings:
        """Check the section; a bad value is a one-line ConfigError naming the key."""
        unknown = sorted(set(config) - set(CONFIG_SCHEMA["properties"]))
        if unknown:
            raise ConfigError(f"gcs: unknown setting '{unknown[0]}'; known: "
                              + ", ".join(sorted(CONFIG_SCHEMA["properties"])))
        projects = _strings(config, "projects")
        for index, project in enumerate(projects):
            if not PROJECT_ID.match(project):
                raise ConfigError(f"gcs.projects[{index}]: '{project}' is not a GCP project id "
                                  "(6-30 lower-case letters, digits and hyphens)")
        buckets = tuple(_bucket_ref(index, text) for index, text in enumerate(_strings(config, "buckets")))
        domains = [d.lower() for d in _strings(config, "allowed_domains")]
        for index, domain in enumerate(domains):
            if not DOMAIN.match(domain):
                raise ConfigError(f"gcs.allowed_domains[{index}]: '{domain}' is not a domain name (e.g. acme.example)")
        timeout = config.get("timeout", 60.0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"gcs.timeout: expected a positive number of seconds, got {timeout!r}")
        return cls(
            projects=tuple(dict.fromkeys(projects)),
            buckets=tuple(dict.fromkeys(buckets)),
            credentials_file=_optional_string(config, "credentials_file"),
            endpoint=_optional_string(config, "endpoint"),
            anonymous=bool(config.get("anonymous", False)),
            timeout=float(timeout),
            allowed_domains=frozenset(domains),
        )


def _strings(config: Mapping[str, Any], key: str) -> list[str]:
    value = config.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"gcs.{key}: expected a list of strings")
    return [v.strip() for v in value]


def _optional_string(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"gcs.{key}: expected a string")
    return value or None


def _bucket_ref(index: int, text: str) -> tuple[str, str]:
    project, _, bucket = text.partition("/")
    if not PROJECT_ID.match(project) or not BUCKET_NAME.match(bucket):
        raise ConfigError(f"gcs.buckets[{index}]: '{text}' is not PROJECT/BUCKET (e.g. acme-support/ticket-files)")
    return project, bucket
