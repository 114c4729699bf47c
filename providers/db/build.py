"""Engine facts -> :class:`Resource` records in the shared data-store vocabulary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policycheck.attributes import ResourceType
from policycheck.model import Resource, Unknown
from policycheck.regions import jurisdiction_of_country

from .config import DbSettings
from .dsn import Dsn

__all__ = ["NOT_VISIBLE", "location", "make_resource", "split"]

#: Shared attributes a server cannot report about itself, with the reason (unknown, never assumed).
NOT_VISIBLE = {
    "backup.enabled": "backups of a self-hosted server are not visible from inside the database",
    "backup.retention_days": "backups of a self-hosted server are not visible from inside the database",
    "replication.regions": "replica locations are not read",
    "replication.jurisdictions": "replica locations are not read",
    "retention.mechanism": "a database has no expiry setting it could report; see retention.oldest_record_age_days",
    "retention.max_age_days": "a database has no expiry setting it could report; see "
                              "retention.oldest_record_age_days",
    "retention.soft_delete_days": "not visible from inside the database",
    "deletion_protection.enabled": "a database server has no deletion protection it could report",
}

#: Shared attributes that do not apply to a database.
NOT_APPLICABLE = {"versioning.enabled": None, "access.public_access_blocked": None, "encryption.kms_key": None}


def location(settings: DbSettings, tags: Mapping[str, str]) -> dict[str, Any]:
    """``location.*`` from the tags ``country``/``region``, else the provider's settings; unknown without either."""
    country = tags.get("country") or settings.country
    region = tags.get("region") or settings.region
    if not country:
        reason = "no country declared (tag country=XX or the provider setting 'country')"
        return {"location.region": region, "location.country": Unknown(reason),
                "location.jurisdiction": Unknown(reason)}
    return {"location.region": region, "location.country": country.upper(),
            "location.jurisdiction": jurisdiction_of_country(country)}


def at_rest(settings: DbSettings, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Encryption at rest: what the engine reports (``raw.encrypted``), else what the operator declares, else unknown.

    A declaration covers what the server cannot see (an encrypted volume); a table the server reports encrypted
    uses the server's key management plugin (the operator's own keys).
    """
    reported = facts.get("raw.encrypted")
    if reported is True:
        return {"encryption.at_rest": True, "encryption.key_management": "customer-managed"}
    if settings.encryption_at_rest is True:
        return {"encryption.at_rest": True,
                "encryption.key_management": Unknown("declared by the operator; key management not visible")}
    if reported is False or settings.encryption_at_rest is False:
        return {"encryption.at_rest": False, "encryption.key_management": "none"}
    reason = "the server cannot tell whether its storage is encrypted; declare encryption_at_rest"
    return {"encryption.at_rest": Unknown(reason), "encryption.key_management": Unknown(reason)}


def split(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Known values and the reasons of the unknown ones."""
    known = {k: v for k, v in values.items() if not isinstance(v, Unknown)}
    unknown = {k: v.reason for k, v in values.items() if isinstance(v, Unknown)}
    return known, unknown


def make_resource(resource_type: ResourceType, dsn: Dsn, path: str, name: str, tags: Mapping[str, str],
                  facts: Mapping[str, Any], settings: DbSettings) -> Resource:
    """One database or table resource; anything the provider did not supply is unknown."""
    values = {**{k: Unknown(v) for k, v in NOT_VISIBLE.items()}, **NOT_APPLICABLE,
              **location(settings, tags), **at_rest(settings, facts),
              **{k: v for k, v in facts.items() if not k.startswith("_")}}  # "_": engine-internal facts
    known, unknown = split(values)
    region = known.get("location.region") or ""
    return Resource(type=resource_type.name, id=f"{dsn.engine}://{dsn.server}/{path}", name=name,
                    provider=dsn.engine, account=dsn.server, region=region, tags=dict(tags), attributes=known,
                    unknown=unknown, group_of=resource_type.group_of,
                    absent=f"the {dsn.engine} provider does not collect it")
