"""Where a region or location is: country and GDPR jurisdiction, from a shipped data table.

The table (``data/regions.yaml``) is data, shared by AWS, GCP and devices; update it there.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any, cast

import yaml

__all__ = [
    "EEA",
    "EU",
    "adequacy_countries",
    "adequacy_decision",
    "country_of_region",
    "jurisdiction_of_country",
    "jurisdiction_of_region",
    "locate",
    "parts_of_region",
]

#: The 27 member states of the European Union.
EU = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
#: The EEA states outside the EU.
EEA = frozenset({"IS", "LI", "NO"})


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    text = resources.files("policycheck").joinpath("data/regions.yaml").read_text(encoding="utf-8")
    return cast(dict[str, Any], yaml.safe_load(text))  # our own package data


@lru_cache(maxsize=1)
def adequacy_countries() -> frozenset[str]:
    """Countries with an EU adequacy decision covering every recipient there (Art. 45 GDPR)."""
    return frozenset(_table()["adequacy"])


@lru_cache(maxsize=1)
def _dpf_countries() -> frozenset[str]:
    return frozenset(_table()["adequacy_dpf"])


def adequacy_decision(country: str) -> dict[str, Any] | None:
    """The table's entry for a country's adequacy decision (date, decision, scope), or None."""
    code = country.upper()
    return cast(dict[str, Any] | None, _table()["adequacy"].get(code) or _table()["adequacy_dpf"].get(code))


def jurisdiction_of_country(country: str | None) -> str:
    """EU, EEA, adequacy, adequacy-dpf, third-country, or unknown for a missing country."""
    if not country:
        return "unknown"
    code = country.upper()
    if code in EU or code == "EU":
        return "EU"
    if code in EEA:
        return "EEA"
    if code in adequacy_countries():
        return "adequacy"
    if code in _dpf_countries():
        return "adequacy-dpf"
    return "third-country"


def _entry(provider: str, region: str | None) -> Any:
    if not region:
        return None
    regions = _table()["regions"].get(provider, {})
    return regions.get(region) or regions.get(region.lower()) or regions.get(region.upper())


def country_of_region(provider: str, region: str | None) -> str | None:
    """ISO country (or EU) of a provider's region code; None when unknown or spanning countries."""
    entry = _entry(provider, region)
    return entry.get("country") if isinstance(entry, dict) else entry


def locate(provider: str, region: str | None) -> dict[str, Any]:
    """The ``location.*`` attributes for a region of ``provider`` (``aws``, ``gcp``)."""
    entry = _entry(provider, region)
    country = country_of_region(provider, region)
    jurisdiction = entry.get("jurisdiction") if isinstance(entry, dict) else None
    return {
        "location.region": region,
        "location.country": country,
        "location.jurisdiction": jurisdiction or jurisdiction_of_country(country),
    }


def jurisdiction_of_region(provider: str, region: str | None) -> str:
    """EU, EEA, adequacy, third-country or unknown for a provider's region code."""
    return cast(str, locate(provider, region)["location.jurisdiction"])


def parts_of_region(provider: str, region: str | None) -> tuple[str, ...]:
    """Regions a location stores its data in (``regions`` of a dual-region entry); empty otherwise."""
    entry = _entry(provider, region)
    return tuple(entry.get("regions") or ()) if isinstance(entry, dict) else ()


def known_regions(provider: str) -> list[str]:
    """Region and location codes the table knows for ``provider``."""
    return sorted(_table()["regions"].get(provider, {}))
