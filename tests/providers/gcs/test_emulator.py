"""Against gcp-storage-emulator: what it round-trips when set with a PATCH after creation."""

from __future__ import annotations

import pytest

from policycheck.model import Unknown

PROJECT = "acme-support"
KMS_KEY = "projects/acme-support/locations/eu/keyRings/cs/cryptoKeys/tickets"


@pytest.fixture
def client(emulator):
    from google.cloud import storage

    return storage.Client(project=PROJECT)


def create(client, name, *, uniform=None, prevention=None):
    """Create by name; settings go in a PATCH afterwards (the emulator ignores them at creation)."""
    bucket = client.create_bucket(name)
    if uniform is not None:
        bucket.iam_configuration.uniform_bucket_level_access_enabled = uniform
    if prevention is not None:
        bucket.iam_configuration.public_access_prevention = prevention
    return bucket


def test_round_trips_configuration(client, collect, named):
    bucket = create(client, "cs-tickets", uniform=True, prevention="enforced")
    bucket.labels = {"data-classification": "personal", "retention-days": "365", "purpose-ends": "2026-01-31"}
    bucket.default_kms_key_name = KMS_KEY
    bucket.retention_period = 30 * 86400
    bucket.versioning_enabled = True
    bucket.add_lifecycle_delete_rule(age=365)
    bucket.add_lifecycle_delete_rule(days_since_noncurrent_time=14)
    bucket.soft_delete_policy.retention_duration_seconds = 7 * 86400
    bucket.enable_logging("cs-logs", "cs-tickets/")
    bucket.patch()
    tickets = named(collect({"projects": [PROJECT]}))["cs-tickets"]
    assert tickets.tags == {"data-classification": "personal", "retention-days": "365", "purpose-ends": "2026-01-31"}
    assert tickets.get("encryption.kms_key") == KMS_KEY
    assert tickets.get("encryption.key_management") == "customer-managed"
    assert tickets.get("access.public_access_blocked") is True
    assert tickets.get("access.public") is False
    assert tickets.get("retention.mechanism") == ["lifecycle", "retention-policy"]
    assert tickets.get("retention.max_age_days") == 365
    assert tickets.get("retention.soft_delete_days") == 7 + 14
    assert tickets.get("versioning.enabled") is True
    assert tickets.get("logging.access_logging") is True
    assert tickets.get("raw.uniform_bucket_level_access") is True


def test_defaults_of_a_new_bucket(client, collect):
    client.create_bucket("cs-plain")
    [plain] = collect({"projects": [PROJECT]})
    assert plain.get("location.region") == "US"  # the emulator always reports US
    assert plain.get("location.jurisdiction") == "adequacy-dpf"
    assert plain.get("encryption.key_management") == "provider-managed"
    assert plain.get("retention.mechanism") == []
    assert plain.get("retention.max_age_days") is None
    assert plain.get("retention.soft_delete_days") == 7  # soft delete is on by default
    assert plain.get("versioning.enabled") is False
    assert plain.get("logging.access_logging") is False
    assert plain.get("access.public") is False


def test_public_iam_binding(client, collect, named):
    bucket = create(client, "cs-assets", uniform=True, prevention="inherited")
    bucket.patch()
    policy = bucket.get_iam_policy(requested_policy_version=3)
    policy.bindings.append({"role": "roles/storage.objectViewer", "members": {"allUsers"}})
    bucket.set_iam_policy(policy)
    assets = named(collect({"projects": [PROJECT]}))["cs-assets"]
    assert assets.get("access.public") is True
    assert assets.get("access.public_via") == ["iam"]


def test_public_acl_counts_only_without_uniform_access(client, collect, named):
    legacy = client.create_bucket("cs-legacy")
    legacy.acl.all().grant_read()
    legacy.acl.save()
    uniform = create(client, "cs-uniform", uniform=True)
    uniform.patch()
    uniform.acl.all().grant_read()
    uniform.acl.save()
    buckets = named(collect({"projects": [PROJECT]}))
    assert buckets["cs-legacy"].get("access.public_via") == ["acl"]
    assert buckets["cs-uniform"].get("access.public") is False


def test_prevention_overrides_public_grants(client, collect, named):
    bucket = create(client, "cs-prevented", prevention="enforced")
    bucket.patch()
    bucket.acl.all().grant_read()
    bucket.acl.save()
    policy = bucket.get_iam_policy(requested_policy_version=3)
    policy.bindings.append({"role": "roles/storage.objectViewer", "members": {"allAuthenticatedUsers"}})
    bucket.set_iam_policy(policy)
    prevented = named(collect({"projects": [PROJECT]}))["cs-prevented"]
    assert prevented.get("access.public") is False
    assert prevented.get("access.public_access_blocked") is True


def test_configured_bucket_is_read_with_get(client, collect):
    bucket = create(client, "cs-named")
    bucket.labels = {"purpose": "customer-support"}
    bucket.patch()
    client.create_bucket("cs-other")
    [named] = collect({"buckets": [f"{PROJECT}/cs-named"]})
    assert named.id == f"projects/{PROJECT}/buckets/cs-named"
    assert named.get("tags.purpose") == "customer-support"
    [missing] = collect({"buckets": [f"{PROJECT}/cs-never-created"]})
    assert isinstance(missing.get("encryption.at_rest"), Unknown)
