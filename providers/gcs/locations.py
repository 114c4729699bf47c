"""Where a bucket keeps its data: Cloud Storage locations as ``location.*`` and ``replication.*``.

A bucket's ``location`` is a region (``EUROPE-WEST3``), a predefined dual-region (``EUR4``), a
multi-region (``EU``) or, for a configurable dual-region, the multi-region code with the two
regions in ``customPlacementConfig.dataLocations``. Data stored in several places is judged by
the weakest jurisdiction among them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policycheck.regions import EU, locate, parts_of_region
from policycheck.vocabulary import JURISDICTIONS

PROVIDER = "gcp"


def location_code(bucket: Mapping[str, Any]) -> str:
    """The location as the docs name it: regions lower case, multi- and dual-regions upper case."""
    code = str(bucket.get("location") or "")
    return code.lower() if "-" in code else code.upper()


def data_locations(bucket: Mapping[str, Any]) -> list[str]:
    """The regions of a configurable dual-region, else an empty list."""
    placement = bucket.get("customPlacementConfig") or {}
    return [str(region).lower() for region in placement.get("dataLocations") or []]


def weakest(jurisdictions: Iterable[str]) -> str:
    """The least protective jurisdiction (EU < EEA < adequacy < adequacy-dpf < third-country < unknown)."""
    return max(jurisdictions, key=JURISDICTIONS.index, default="unknown")


def common_country(countries: list[str | None]) -> str | None:
    """One country if all agree, ``EU`` if all are EU members, else None (spans countries)."""
    if not countries or None in countries:
        return None
    if len(set(countries)) == 1:
        return countries[0]
    return "EU" if all(c == "EU" or c in EU for c in countries) else None


def location_attributes(bucket: Mapping[str, Any]) -> dict[str, Any]:
    """``location.*`` and ``replication.*`` of a bucket resource."""
    code = location_code(bucket)
    custom = data_locations(bucket)
    if custom:
        parts = [locate(PROVIDER, region) for region in custom]
        located = {
            "location.region": code,
            "location.country": common_country([p["location.country"] for p in parts]),
            "location.jurisdiction": weakest(p["location.jurisdiction"] for p in parts),
        }
    else:
        located = locate(PROVIDER, code)
    replicas = custom or list(parts_of_region(PROVIDER, code)) or ([] if "-" in code or not code else [code])
    return {
        **located,
        "replication.regions": replicas,
        "replication.jurisdictions": [locate(PROVIDER, region)["location.jurisdiction"] for region in replicas],
    }
