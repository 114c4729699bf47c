"""The GCP part of the shared region table agrees with itself and with the documented pairs."""

from __future__ import annotations

import pytest

from policycheck.providers.gcs.locations import common_country, weakest
from policycheck.regions import locate, parts_of_region

#: Predefined dual-regions as https://cloud.google.com/storage/docs/locations#predefined lists them.
DOCUMENTED_DUAL_REGIONS = {
    "ASIA1": ("asia-northeast1", "asia-northeast2"),
    "EUR4": ("europe-north1", "europe-west4"),
    "EUR5": ("europe-west1", "europe-west2"),
    "EUR7": ("europe-west2", "europe-west3"),
    "EUR8": ("europe-west3", "europe-west6"),
    "NAM4": ("us-central1", "us-east1"),
}


@pytest.mark.parametrize(("code", "regions"), DOCUMENTED_DUAL_REGIONS.items())
def test_dual_region_composition_matches_the_docs(code, regions):
    assert parts_of_region("gcp", code) == regions


@pytest.mark.parametrize("code", DOCUMENTED_DUAL_REGIONS)
def test_dual_region_entry_agrees_with_its_regions(code):
    parts = [locate("gcp", region) for region in parts_of_region("gcp", code)]
    assert all(p["location.country"] for p in parts), "every component region is in the table"
    entry = locate("gcp", code)
    assert entry["location.jurisdiction"] == weakest(p["location.jurisdiction"] for p in parts)
    assert entry["location.country"] == common_country([p["location.country"] for p in parts])


def test_lookup_ignores_case_as_the_api_reports_upper_case():
    assert locate("gcp", "EUROPE-WEST3")["location.country"] == "DE"
    assert locate("gcp", "eur4")["location.jurisdiction"] == "EU"


def test_regions_and_multi_regions_have_no_parts():
    assert parts_of_region("gcp", "europe-west3") == ()
    assert parts_of_region("gcp", "EU") == ()
    assert parts_of_region("gcp", None) == ()
