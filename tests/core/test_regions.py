"""The shipped region table: region -> country -> GDPR jurisdiction."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from policycheck.regions import (
    EEA,
    EU,
    _table,
    adequacy_countries,
    adequacy_decision,
    jurisdiction_of_country,
    jurisdiction_of_region,
    locate,
    parts_of_region,
)
from policycheck.vocabulary import JURISDICTIONS


@pytest.mark.parametrize(("country", "jurisdiction"), [
    ("DE", "EU"), ("ie", "EU"), ("EU", "EU"), ("NO", "EEA"), ("IS", "EEA"), ("LI", "EEA"),
    ("HU", "EU"), ("hu", "EU"),
    ("CH", "adequacy"), ("GB", "adequacy"), ("JP", "adequacy"), ("BR", "adequacy"), ("br", "adequacy"),
    ("US", "adequacy-dpf"), ("IN", "third-country"), ("CN", "third-country"), ("MX", "third-country"),
    (None, "unknown"), ("", "unknown"),
])
def test_jurisdiction_of_country(country, jurisdiction):
    assert jurisdiction_of_country(country) == jurisdiction


@pytest.mark.parametrize(("provider", "region", "expected"), [
    ("aws", "eu-central-1", {"location.region": "eu-central-1", "location.country": "DE",
                             "location.jurisdiction": "EU"}),
    ("aws", "eu-west-2", {"location.region": "eu-west-2", "location.country": "GB",
                          "location.jurisdiction": "adequacy"}),
    ("aws", "us-east-1", {"location.region": "us-east-1", "location.country": "US",
                          "location.jurisdiction": "adequacy-dpf"}),
    ("aws", "sa-east-1", {"location.region": "sa-east-1", "location.country": "BR",
                          "location.jurisdiction": "adequacy"}),
    ("gcp", "southamerica-east1", {"location.region": "southamerica-east1", "location.country": "BR",
                                   "location.jurisdiction": "adequacy"}),
    ("gcp", "southamerica-west1", {"location.region": "southamerica-west1", "location.country": "CL",
                                   "location.jurisdiction": "third-country"}),
    ("gcp", "eu", {"location.region": "eu", "location.country": "EU", "location.jurisdiction": "EU"}),
    ("gcp", "ASIA", {"location.region": "ASIA", "location.country": None,
                     "location.jurisdiction": "third-country"}),
    ("aws", "mars-north-1", {"location.region": "mars-north-1", "location.country": None,
                             "location.jurisdiction": "unknown"}),
    ("aws", None, {"location.region": None, "location.country": None, "location.jurisdiction": "unknown"}),
    ("nosuchprovider", "eu-central-1", {"location.region": "eu-central-1", "location.country": None,
                                        "location.jurisdiction": "unknown"}),
])
def test_locate(provider, region, expected):
    assert locate(provider, region) == expected


def test_dual_regions_name_their_parts():
    assert parts_of_region("gcp", "EUR4") == ("europe-north1", "europe-west4")
    assert parts_of_region("gcp", "europe-west1") == ()
    assert jurisdiction_of_region("gcp", "EUR4") == "EU"


def test_every_entry_is_well_formed():
    """A typo in the data file must not silently turn a region 'unknown' or invent a jurisdiction."""
    table = _table()
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in adequacy_countries())
    for provider, regions in table["regions"].items():
        for region, entry in regions.items():
            country = entry.get("country") if isinstance(entry, dict) else entry
            assert country is None or re.fullmatch(r"[A-Z]{2}", country), (provider, region)
            assert jurisdiction_of_region(provider, region) in JURISDICTIONS, (provider, region)
            assert jurisdiction_of_region(provider, region) != "unknown", (provider, region)
            for part in parts_of_region(provider, region):
                assert part in regions, (provider, region, part)


def test_eu_is_exactly_the_27_member_states_and_eea_the_other_three():
    member_states = {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
    assert len(member_states) == 27
    assert set(EU) == member_states
    assert set(EEA) == {"IS", "LI", "NO"}
    assert not (EU | EEA) & (adequacy_countries() | {"US"})


def test_adequacy_entries_carry_date_decision_and_scope():
    """Each adequacy decision is dated and scoped, so a reader sees what it covers (issue 12)."""
    table = _table()
    assert set(table["adequacy_dpf"]) == {"US"}
    for code, entry in [*table["adequacy"].items(), *table["adequacy_dpf"].items()]:
        assert isinstance(entry["decided"], dt.date), code
        assert entry["decision"] and entry["scope"], code
    assert adequacy_decision("br")["decided"] == dt.date(2026, 1, 27)
    assert adequacy_decision("US")["decided"] == dt.date(2023, 7, 10)
    assert "commercial" in adequacy_decision("CA")["scope"]
    assert "Supplementary Rules" in adequacy_decision("JP")["scope"]
    assert adequacy_decision("GB")["expires"] == "2031-12"
    assert adequacy_decision("IN") is None
