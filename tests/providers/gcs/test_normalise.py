"""Bucket documents -> vocabulary, without a server: location, retention, encryption, access."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.providers.gcs.locations import location_attributes
from policycheck.providers.gcs.normalise import (
    access_attributes,
    core_attributes,
    public_in_acl,
    public_in_policy,
    raw_attributes,
)
from policycheck.providers.gcs.retention import retention_attributes

DAY = 86400


@pytest.mark.parametrize(("bucket", "region", "country", "jurisdiction", "replicas"), [
    ({"location": "EUROPE-WEST3", "locationType": "region"}, "europe-west3", "DE", "EU", []),
    ({"location": "EUROPE-WEST2", "locationType": "region"}, "europe-west2", "GB", "adequacy", []),
    ({"location": "US-EAST4", "locationType": "region"}, "us-east4", "US", "adequacy-dpf", []),
    ({"location": "ASIA-SOUTHEAST3", "locationType": "region"}, "asia-southeast3", "TH", "third-country", []),
    ({"location": "EU", "locationType": "multi-region"}, "EU", "EU", "EU", ["EU"]),
    ({"location": "ASIA", "locationType": "multi-region"}, "ASIA", None, "third-country", ["ASIA"]),
    ({"location": "EUR4", "locationType": "dual-region"}, "EUR4", "EU", "EU", ["europe-north1", "europe-west4"]),
    ({"location": "EUR5", "locationType": "dual-region"}, "EUR5", None, "adequacy", ["europe-west1", "europe-west2"]),
    ({"location": "EUR8", "locationType": "dual-region"}, "EUR8", None, "adequacy", ["europe-west3", "europe-west6"]),
    ({"location": "NAM4", "locationType": "dual-region"}, "NAM4", "US", "adequacy-dpf", ["us-central1", "us-east1"]),
    ({"location": "ASIA1", "locationType": "dual-region"}, "ASIA1", "JP", "adequacy",
     ["asia-northeast1", "asia-northeast2"]),
    # configurable dual-regions: the multi-region code plus the two regions
    ({"location": "EU", "locationType": "dual-region",
      "customPlacementConfig": {"dataLocations": ["EUROPE-WEST3", "EUROPE-WEST10"]}},
     "EU", "DE", "EU", ["europe-west3", "europe-west10"]),
    ({"location": "EU", "locationType": "dual-region",
      "customPlacementConfig": {"dataLocations": ["EUROPE-WEST1", "EUROPE-WEST4"]}},
     "EU", "EU", "EU", ["europe-west1", "europe-west4"]),
    ({"location": "EU", "locationType": "dual-region",
      "customPlacementConfig": {"dataLocations": ["EUROPE-WEST3", "EUROPE-WEST6"]}},
     "EU", None, "adequacy", ["europe-west3", "europe-west6"]),
    # a location the table does not know yet is never assumed to be safe
    ({"location": "EUROPE-WEST99", "locationType": "region"}, "europe-west99", None, "unknown", []),
])
def test_location_country_jurisdiction_and_replicas(bucket, region, country, jurisdiction, replicas):
    values = location_attributes(bucket)
    assert values["location.region"] == region
    assert values["location.country"] == country
    assert values["location.jurisdiction"] == jurisdiction
    assert values["replication.regions"] == replicas
    assert len(values["replication.jurisdictions"]) == len(replicas)


def test_replica_jurisdictions_follow_the_regions():
    values = location_attributes({"location": "EUR7", "locationType": "dual-region"})
    assert values["replication.jurisdictions"] == ["adequacy", "EU"]


def _rules(*conditions):
    return {"lifecycle": {"rule": [{"action": {"type": "Delete"}, "condition": c} for c in conditions]}}


@pytest.mark.parametrize(("bucket", "max_age"), [
    ({}, None),
    (_rules({"age": 30}), 30),
    (_rules({"age": 30}, {"age": 10}), 10),
    (_rules({"age": 30, "isLive": True}), 30),
    (_rules({"age": 5, "matchesPrefix": ["tmp/"]}), None),  # only some objects
    (_rules({"age": 5, "matchesStorageClass": ["NEARLINE"]}), None),
    (_rules({"createdBefore": "2024-01-01"}), None),  # only old objects
    (_rules({"age": 5, "isLive": False}), None),  # only noncurrent versions
    (_rules({"numNewerVersions": 3}), None),
    ({"lifecycle": {"rule": [{"action": {"type": "SetStorageClass", "storageClass": "COLDLINE"},
                              "condition": {"age": 30}}]}}, None),
    # lifecycle cannot delete objects still under the retention policy
    ({**_rules({"age": 30}), "retentionPolicy": {"retentionPeriod": str(90 * DAY)}}, 90),
    ({**_rules({"age": 365}), "retentionPolicy": {"retentionPeriod": str(90 * DAY)}}, 365),
    # new objects held until someone releases them
    ({**_rules({"age": 30}), "defaultEventBasedHold": True}, None),
])
def test_max_age_counts_only_rules_that_reach_every_live_object(bucket, max_age):
    assert retention_attributes(bucket)["retention.max_age_days"] == max_age


@pytest.mark.parametrize(("bucket", "soft_delete"), [
    ({"softDeletePolicy": {"retentionDurationSeconds": "604800"}}, 7),
    ({"softDeletePolicy": {"retentionDurationSeconds": "0"}}, 0),
    ({"softDeletePolicy": {"retentionDurationSeconds": 90000}}, 2),  # rounded up
    ({}, None),  # not reported: not assumed to be zero
    # versioned: noncurrent versions stay recoverable until a rule deletes them
    ({"softDeletePolicy": {"retentionDurationSeconds": "604800"}, "versioning": {"enabled": True}}, None),
    ({"softDeletePolicy": {"retentionDurationSeconds": "604800"}, "versioning": {"enabled": True},
      **_rules({"age": 365}, {"daysSinceNoncurrentTime": 30})}, 37),
    ({"softDeletePolicy": {"retentionDurationSeconds": "0"}, "versioning": {"enabled": True},
      **_rules({"isLive": False, "age": 14})}, 14),
    ({"softDeletePolicy": {"retentionDurationSeconds": "0"}, "versioning": {"enabled": True},
      **_rules({"numNewerVersions": 2})}, None),
])
def test_soft_delete_days_include_noncurrent_versions(bucket, soft_delete):
    assert retention_attributes(bucket)["retention.soft_delete_days"] == soft_delete


def test_mechanisms_lifecycle_retention_policy_and_object_lock():
    bucket = {**_rules({"age": 30}), "retentionPolicy": {"retentionPeriod": "86400", "isLocked": True},
              "objectRetention": {"mode": "Enabled"}}
    assert retention_attributes(bucket)["retention.mechanism"] == ["lifecycle", "retention-policy", "object-lock"]
    assert retention_attributes(_rules({"age": 5, "matchesPrefix": ["tmp/"]}))["retention.mechanism"] == []


@pytest.mark.parametrize(("bucket", "lock_days"), [
    ({"retentionPolicy": {"retentionPeriod": str(4018 * DAY), "isLocked": True}}, 4018),
    ({"retentionPolicy": {"retentionPeriod": "86400"}}, 1),
    ({"retentionPolicy": {"retentionPeriod": "3600"}}, 1),    # an hour still blocks deletion for that day
    ({}, 0),
    ({"objectRetention": {"mode": "Enabled"}}, 0),             # per-object retention sets no default period
])
def test_lock_days_are_the_retention_policy_period(bucket, lock_days):
    assert retention_attributes(bucket)["retention.lock_days"] == lock_days


condition = st.fixed_dictionaries({}, optional={
    "age": st.integers(0, 3650),
    "isLive": st.booleans(),
    "matchesPrefix": st.just(["tmp/"]),
    "daysSinceNoncurrentTime": st.integers(0, 365),
})


@given(st.lists(condition, max_size=4), condition, st.one_of(st.none(), st.integers(1, 3650)))
def test_adding_a_delete_rule_never_lengthens_max_age(conditions, extra, period_days):
    bucket = _rules(*conditions)
    if period_days:
        bucket["retentionPolicy"] = {"retentionPeriod": str(period_days * DAY)}
    before = retention_attributes(bucket)["retention.max_age_days"]
    after = retention_attributes({**bucket, **_rules(*conditions, extra)})["retention.max_age_days"]
    if before is not None:
        assert after is not None and after <= before
    if after is not None and period_days:
        assert after >= period_days  # nothing is deleted while the retention policy holds it


def test_encryption_and_transport():
    plain = core_attributes({"location": "EU"})
    assert plain["encryption.at_rest"] is True
    assert plain["encryption.key_management"] == "provider-managed"
    assert plain["encryption.kms_key"] is None
    assert plain["encryption.in_transit_enforced"] is True
    cmek = core_attributes({"location": "EU", "encryption": {"defaultKmsKeyName": "projects/p/locations/eu/"
                                                                              "keyRings/r/cryptoKeys/k"}})
    assert cmek["encryption.key_management"] == "customer-managed"
    assert cmek["encryption.kms_key"].endswith("cryptoKeys/k")


def test_versioning_logging_and_public_access_prevention():
    values = core_attributes({"location": "EU", "versioning": {"enabled": True}, "logging": {"logBucket": "logs"},
                              "iamConfiguration": {"publicAccessPrevention": "enforced"}})
    assert values["versioning.enabled"] is True
    assert values["logging.access_logging"] is True
    assert values["access.public_access_blocked"] is True
    inherited = core_attributes({"location": "EU", "iamConfiguration": {"publicAccessPrevention": "inherited"}})
    assert inherited["access.public_access_blocked"] is False
    assert inherited["versioning.enabled"] is False
    assert inherited["logging.access_logging"] is False


def test_raw_values_keep_provider_detail():
    raw = raw_attributes({"locationType": "dual-region", "retentionPolicy": {"retentionPeriod": "2592000",
                                                                             "isLocked": True},
                          "softDeletePolicy": {"retentionDurationSeconds": "604800"}})
    assert raw == {"raw.location_type": "dual-region", "raw.retention_period_seconds": 2592000,
                   "raw.retention_locked": True, "raw.soft_delete_seconds": 604800}
    assert raw_attributes({"retentionPolicy": {"retentionPeriod": "60"}})["raw.retention_locked"] is False


def test_public_principals_in_iam_and_acl():
    assert public_in_policy([{"role": "roles/storage.objectViewer", "members": ["allUsers"]}])
    assert public_in_policy([{"role": "roles/storage.objectViewer", "members": ["allAuthenticatedUsers"],
                              "condition": {"title": "t", "expression": "true"}}])
    assert not public_in_policy([{"role": "roles/storage.admin", "members": ["user:ops@acme.example"]}])
    assert public_in_acl([{"entity": "allAuthenticatedUsers", "role": "READER"}])
    assert not public_in_acl([{"entity": "project-owners-1", "role": "OWNER"}])
    assert access_attributes(["iam", "acl", "iam"]) == {"access.public": True, "access.public_via": ["acl", "iam"]}
    assert access_attributes([]) == {"access.public": False, "access.public_via": []}


def test_a_bucket_with_malformed_metadata_is_unknown_and_the_others_are_built():
    from policycheck.model import Unknown
    from policycheck.provider import CollectPlan
    from policycheck.providers.gcs.collector import Collector

    collector = Collector(api=None, plan=CollectPlan(needs={}), report_problem=lambda scope, message: None)
    good = collector.checked("p", {"name": "fine", "location": "EUROPE-WEST3", "locationType": "region"})
    bad = collector.checked("p", {"name": "odd", "location": "EU",
                                  "retentionPolicy": {"retentionPeriod": "not-a-number"}})
    assert good.get("location.country") == "DE"
    value = bad.get("retention.max_age_days")
    assert isinstance(value, Unknown) and "malformed bucket metadata" in value.reason
    assert bad.id == "projects/p/buckets/odd"
