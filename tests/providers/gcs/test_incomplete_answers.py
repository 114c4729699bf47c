"""Issue 13 item 7: listing items without the fields a rule reads, and listing errors past 400/403/404.

Against the project's JSON API server: a bucket listed with its identity fields only is fetched
again with buckets.get; when that is denied, or the bucket resource itself lacks ``location``,
the facts read from the absent fields are unknown (an ``error`` finding), never judged from absence.
"""

from __future__ import annotations

import pytest

from policycheck.errors import CredentialError
from policycheck.model import Unknown
from policycheck.provider import ProviderContext

PROJECT = "acme-support"
OTHER = "acme-support-eu"
BUCKETS = "gcp.storage.bucket"
JUDGED = frozenset({"location.jurisdiction", "access.public_access_blocked", "access.public", "versioning.enabled"})


@pytest.fixture
def estate(fake_gcs, gcs_data):
    fake_gcs.add(PROJECT, gcs_data.bucket("cs-tickets-de", "EUROPE-WEST3", versioning={"enabled": True}))
    fake_gcs.add(PROJECT, gcs_data.bucket("cs-chat-de", "EUROPE-WEST3"))
    fake_gcs.identity_only.add("cs-tickets-de")
    return fake_gcs


def test_identity_only_item_is_fetched_with_buckets_get(estate, collect, named):
    tickets = named(collect({"projects": [PROJECT]}, needs={BUCKETS: JUDGED}))["cs-tickets-de"]
    assert tickets.get("location.jurisdiction") == "EU"
    assert tickets.get("access.public_access_blocked") is True
    assert tickets.get("versioning.enabled") is True
    assert [r.path for r in estate.calls("get")] == ["/storage/v1/b/cs-tickets-de"]  # the complete item is not


def test_denied_get_makes_the_absent_facts_unknown(estate, collect, named):
    estate.deny("storage.buckets.get", "cs-tickets-de")
    tickets = named(collect({"projects": [PROJECT]}, needs={BUCKETS: JUDGED}))["cs-tickets-de"]
    for attribute in ("location.jurisdiction", "location.region", "access.public_access_blocked", "access.public"):
        value = tickets.get(attribute)
        assert isinstance(value, Unknown), attribute
        assert "no '" in value.reason and "access denied (storage.buckets.get)" in value.reason
    assert estate.calls("iam") == []  # not judged from a policy either while iamConfiguration is unknown


def test_bucket_resource_without_location_is_unknown(fake_gcs, gcs_data, collect, named):
    bucket = gcs_data.bucket("cs-odd")
    del bucket["location"]
    fake_gcs.add(PROJECT, bucket)
    odd = named(collect({"projects": [PROJECT]}, needs={BUCKETS: JUDGED}))["cs-odd"]
    value = odd.get("location.jurisdiction")
    assert isinstance(value, Unknown) and value.reason == "the bucket resource has no 'location' field"
    assert isinstance(odd.get("replication.regions"), Unknown)
    assert odd.get("access.public_access_blocked") is True  # the fields it has still count


def test_no_extra_get_when_no_needed_attribute_reads_the_absent_fields(estate, collect, named):
    needs = {BUCKETS: frozenset({"raw.storage_class"})}
    tickets = named(collect({"projects": [PROJECT]}, needs=needs))["cs-tickets-de"]
    assert tickets.get("raw.storage_class") is None  # listed without it; no rule reads a decisive field
    assert estate.calls("get") == []


@pytest.mark.parametrize("status", [500, 501, 503])
def test_listing_server_error_is_a_problem_of_that_project(estate, gcs_data, collect, status):
    estate.add(OTHER, gcs_data.bucket("cs-recordings-eu"))
    estate.list_errors[PROJECT] = status
    context = ProviderContext()
    resources = collect({"projects": [PROJECT, OTHER], "request_timeout": 0.5}, context=context)
    assert [r.name for r in resources] == ["cs-recordings-eu"]
    [problem] = context.problems
    assert problem.scope == f"project {PROJECT}"
    assert f"HTTP {status}" in problem.message


def test_every_project_failing_is_one_line_error(estate, collect):
    estate.list_errors[PROJECT] = 500
    with pytest.raises(CredentialError, match="kept answering HTTP 500"):
        collect({"projects": [PROJECT], "request_timeout": 0.5})
