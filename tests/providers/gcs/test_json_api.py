"""Against the project's own JSON API server: locations, locked retention, 403s, calls made."""

from __future__ import annotations

import re
import socket
import time

import pytest

from policycheck.errors import ConfigError, CredentialError
from policycheck.model import Unknown
from policycheck.provider import ProviderContext

PROJECT = "acme-support"
OTHER = "acme-support-eu"
BUCKETS = "gcp.storage.bucket"


@pytest.fixture
def estate(fake_gcs, gcs_data):
    """A customer-service estate outside the emulator's reach."""
    d = gcs_data
    fake_gcs.add(PROJECT, d.bucket(
        "cs-tickets-de", "EUROPE-WEST3",
        labels={"data-classification": "personal", "purpose": "customer-support", "purpose-ends": "2026-01-31"},
        encryption={"defaultKmsKeyName": d.KMS_KEY},
        retentionPolicy={"retentionPeriod": "2592000", "effectiveTime": "2024-06-10T08:15:02.117Z", "isLocked": True},
        lifecycle={"rule": [d.delete_rule(age=365)]},
        versioning={"enabled": False},
        logging={"logBucket": "cs-access-logs", "logObjectPrefix": "cs-tickets-de"},
    ))
    fake_gcs.add(PROJECT, d.bucket("cs-chat-eur4", "EUR4", "dual-region",
                                   labels={"data-classification": "personal"},
                                   iamConfiguration={"uniformBucketLevelAccess": {"enabled": True},
                                                     "publicAccessPrevention": "inherited"}),
                 bindings=[d.binding("roles/storage.objectViewer", "group:cs-quality@acme.example")])
    fake_gcs.add(PROJECT, d.bucket("cs-exports-public", "US-EAST1", **d.legacy_acl("cs-exports-public", public=True)),
                 bindings=[d.binding("roles/storage.legacyBucketOwner", f"projectOwner:{PROJECT}")])
    fake_gcs.add(PROJECT, d.bucket("cs-web-assets", "EU", "multi-region",
                                   iamConfiguration={"uniformBucketLevelAccess": {"enabled": True},
                                                     "publicAccessPrevention": "inherited"}),
                 bindings=[d.binding("roles/storage.objectViewer", "allUsers")])
    fake_gcs.add(OTHER, d.bucket("cs-recordings-eur5", "EUR5", "dual-region"))
    return fake_gcs


def test_locations_beyond_the_emulator(estate, collect, named):
    buckets = named(collect({"projects": [PROJECT, OTHER]}))
    assert buckets["cs-tickets-de"].get("location.region") == "europe-west3"
    assert buckets["cs-tickets-de"].get("location.country") == "DE"
    assert buckets["cs-tickets-de"].get("location.jurisdiction") == "EU"
    assert buckets["cs-tickets-de"].region == "europe-west3"
    assert buckets["cs-chat-eur4"].get("replication.regions") == ["europe-north1", "europe-west4"]
    assert buckets["cs-chat-eur4"].get("location.jurisdiction") == "EU"
    assert buckets["cs-recordings-eur5"].get("location.jurisdiction") == "adequacy"
    assert buckets["cs-exports-public"].get("location.jurisdiction") == "adequacy-dpf"


def test_locked_retention_policy(estate, collect, named):
    tickets = named(collect({"projects": [PROJECT]}))["cs-tickets-de"]
    assert tickets.get("retention.mechanism") == ["lifecycle", "retention-policy"]
    assert tickets.get("retention.max_age_days") == 365
    assert tickets.get("raw.retention_locked") is True
    assert tickets.get("raw.retention_period_seconds") == 2592000
    assert tickets.get("encryption.key_management") == "customer-managed"
    assert tickets.get("logging.access_logging") is True


def test_ids_accounts_and_labels_as_tags(estate, collect):
    resources = collect({"projects": [PROJECT, OTHER]})
    assert [r.id for r in resources] == [
        "projects/acme-support/buckets/cs-tickets-de", "projects/acme-support/buckets/cs-chat-eur4",
        "projects/acme-support/buckets/cs-exports-public", "projects/acme-support/buckets/cs-web-assets",
        "projects/acme-support-eu/buckets/cs-recordings-eur5",
    ]
    assert {r.account for r in resources} == {PROJECT, OTHER}
    assert {r.type for r in resources} == {BUCKETS}
    tickets = resources[0]
    assert tickets.get("tags.purpose-ends") == "2026-01-31"
    assert tickets.get("tags.data-classification") == "personal"
    assert tickets.get("tags.absent") is None


def test_public_exposure_from_iam_acl_and_prevention(estate, collect, named):
    buckets = named(collect({"projects": [PROJECT]}))
    assert buckets["cs-web-assets"].get("access.public_via") == ["iam"]
    assert buckets["cs-exports-public"].get("access.public_via") == ["acl"]
    assert buckets["cs-exports-public"].get("access.public") is True
    assert buckets["cs-chat-eur4"].get("access.public") is False
    assert buckets["cs-tickets-de"].get("access.public") is False
    assert buckets["cs-tickets-de"].get("access.public_access_blocked") is True


def test_public_default_object_acl_counts(fake_gcs, gcs_data, collect):
    bucket = gcs_data.bucket("cs-uploads", **gcs_data.legacy_acl("cs-uploads"))
    bucket["defaultObjectAcl"].append({"kind": "storage#objectAccessControl", "entity": "allAuthenticatedUsers",
                                       "role": "READER"})
    fake_gcs.add(PROJECT, bucket)
    [resource] = collect({"projects": [PROJECT]}, needs={BUCKETS: frozenset({"access.public"})})
    assert resource.get("access.public_via") == ["acl"]


def test_forbidden_iam_policy_makes_access_unknown_and_others_go_on(estate, collect, named):
    estate.deny("storage.buckets.getIamPolicy", "cs-web-assets")
    buckets = named(collect({"projects": [PROJECT]}))
    value = buckets["cs-web-assets"].get("access.public")
    assert isinstance(value, Unknown)
    assert "storage.buckets.getIamPolicy" in value.reason
    assert "access denied" in value.reason
    assert "scanner@" not in value.reason  # the server's message names a principal: not copied
    assert buckets["cs-web-assets"].get("location.country") == "EU"  # other groups still known
    assert buckets["cs-chat-eur4"].get("access.public") is False


def test_forbidden_full_listing_falls_back_to_acl_reads(estate, collect, named):
    """projection=full needs getIamPolicy on the project; without it the ACL group is unknown."""
    estate.deny("storage.buckets.getIamPolicy", PROJECT)
    estate.deny("storage.buckets.getIamPolicy", "cs-exports-public")
    buckets = named(collect({"projects": [PROJECT]}))
    assert [r.query["projection"] for r in estate.calls("list")] == ["full", "noAcl"]
    assert isinstance(buckets["cs-exports-public"].get("access.public"), Unknown)
    assert buckets["cs-web-assets"].get("access.public") is True


def test_acl_read_per_bucket_when_listing_has_no_acls(estate, collect, named):
    estate.deny("storage.buckets.getIamPolicy", PROJECT)
    buckets = named(collect({"projects": [PROJECT]}))
    assert buckets["cs-exports-public"].get("access.public_via") == ["acl"]
    acl_reads = {r.path.split("/")[4] for r in estate.calls("acl") + estate.calls("defaultObjectAcl")}
    assert acl_reads == {"cs-exports-public"}  # uniform access elsewhere: ACLs do not apply


def test_configured_buckets_forbidden_one_is_unknown(estate, collect, named):
    estate.deny("storage.buckets.get", "cs-chat-eur4")
    config = {"buckets": [f"{PROJECT}/cs-tickets-de", f"{PROJECT}/cs-chat-eur4", f"{PROJECT}/cs-gone"]}
    buckets = named(collect(config))
    assert buckets["cs-tickets-de"].get("location.country") == "DE"
    denied = buckets["cs-chat-eur4"]
    for path in ("location.jurisdiction", "encryption.at_rest", "access.public", "tags.purpose", "raw.rpo"):
        value = denied.get(path)
        assert isinstance(value, Unknown), path
        assert value.reason == "access denied (storage.buckets.get)"
    assert denied.id == "projects/acme-support/buckets/cs-chat-eur4"
    assert buckets["cs-gone"].get("location.region") == Unknown("bucket not found (storage.buckets.get)")
    assert estate.calls("list") == []


def test_unknown_project_is_a_config_error(estate, collect):
    with pytest.raises(ConfigError) as raised:
        collect({"projects": [PROJECT, "acme-typo-project"]})
    assert "acme-typo-project" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert raised.value.exit_code == 2


def test_project_without_list_permission_is_reported_and_others_go_on(estate, collect):
    estate.deny("storage.buckets.list", OTHER)
    context = ProviderContext()
    resources = collect({"projects": [PROJECT, OTHER]}, context=context)
    assert {r.account for r in resources} == {PROJECT}
    assert [(p.scope, p.message) for p in context.problems] == [
        ("project acme-support-eu", "project 'acme-support-eu': permission storage.buckets.list denied for these "
                                    "credentials")]


def test_no_listable_project_is_a_credential_error(estate, collect):
    estate.deny("storage.buckets.list", PROJECT)
    estate.deny("storage.buckets.list", OTHER)
    with pytest.raises(CredentialError, match=r"'acme-support'.*storage\.buckets\.list"):
        collect({"projects": [PROJECT, OTHER]})


def test_only_get_requests_reach_the_server(estate, collect):
    estate.deny("storage.buckets.getIamPolicy", "cs-web-assets")
    collect({"projects": [PROJECT, OTHER]}, load=True)  # no plan: everything
    collect({"buckets": [f"{PROJECT}/cs-tickets-de"]}, load=True)
    assert estate.requests
    assert {r.method for r in estate.requests} == {"GET"}


def test_no_iam_call_when_no_rule_reads_public_exposure(estate, collect):
    needs = {BUCKETS: frozenset({"location.jurisdiction", "retention.max_age_days", "tags.purpose"})}
    resources = collect({"projects": [PROJECT]}, needs=needs)
    for resource in resources:
        resource.get("location.jurisdiction")
        resource.get("tags.purpose")
    assert [r.query["projection"] for r in estate.calls()] == ["noAcl"]


def test_iam_read_only_for_buckets_whose_exposure_is_read(estate, collect, named):
    needs = {BUCKETS: frozenset({"access.public"})}
    buckets = named(collect({"projects": [PROJECT]}, needs=needs))
    assert [r.query["projection"] for r in estate.calls("list")] == ["full"]
    assert estate.calls("iam") == []  # lazy: nothing read yet
    buckets["cs-web-assets"].get("access.public")
    buckets["cs-web-assets"].get("access.public_via")  # same group: no second call
    buckets["cs-tickets-de"].get("access.public")  # prevention enforced: no call at all
    assert [r.path for r in estate.calls("iam")] == ["/storage/v1/b/cs-web-assets/iam"]
    assert estate.calls("iam")[0].query["optionsRequestedPolicyVersion"] == "3"


def test_no_background_bucket_gets(estate, collect):
    """google-cloud-storage would fetch each bucket (buckets.get) for tracing before IAM calls."""
    resources = collect({"projects": [PROJECT]}, needs={BUCKETS: frozenset({"access.public"})})
    for resource in resources:
        resource.get("access.public")
    time.sleep(0.2)  # such fetches run in background threads
    assert len(estate.calls("iam")) == 3
    assert estate.calls("get") == []


def test_listing_follows_pages(fake_gcs, gcs_data, collect):
    fake_gcs.page_size = 2
    for index in range(5):
        fake_gcs.add(PROJECT, gcs_data.bucket(f"cs-bucket-{index}"))
    resources = collect({"projects": [PROJECT]}, needs={BUCKETS: frozenset({"location.region"})})
    assert [r.name for r in resources] == [f"cs-bucket-{i}" for i in range(5)]
    assert [r.query.get("pageToken") for r in fake_gcs.calls("list")] == [None, "2", "4"]


def test_requester_pays_bucket_bills_the_scanned_project(fake_gcs, gcs_data, collect):
    fake_gcs.add(PROJECT, gcs_data.bucket("cs-shared", billing={"requesterPays": True},
                                          iamConfiguration={"uniformBucketLevelAccess": {"enabled": True}}))
    fake_gcs.add(PROJECT, gcs_data.bucket("cs-own", iamConfiguration={"uniformBucketLevelAccess": {"enabled": True}}))
    needs = {BUCKETS: frozenset({"access.public"})}
    for config in ({"projects": [PROJECT]}, {"buckets": [f"{PROJECT}/cs-shared", f"{PROJECT}/cs-own"]}):
        fake_gcs.requests.clear()
        resources = collect(config, needs=needs)
        assert [r.get("access.public") for r in resources] == [False, False]
        billed = {r.path.split("/")[4]: r.query["userProject"] for r in fake_gcs.requests
                  if r.path != "/storage/v1/b" and r.query.get("userProject")}
        assert billed == {"cs-shared": PROJECT}  # other buckets are not billed to anyone


def test_projects_are_listed_concurrently(fake_gcs, gcs_data, collect):
    fake_gcs.latency = 0.2
    projects = [f"acme-support-{n}" for n in range(4)]
    for project in projects:
        fake_gcs.add(project, gcs_data.bucket(f"cs-{project}"))
    started = time.perf_counter()
    resources = collect({"projects": projects}, needs={BUCKETS: frozenset({"location.region"})})
    assert [r.account for r in resources] == projects  # configured order, whatever finished first
    assert time.perf_counter() - started < 0.6  # 4 x 0.2 s one after the other


def test_unreachable_endpoint_is_one_line_credential_error(collect):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    config = {"projects": [PROJECT], "endpoint": f"http://127.0.0.1:{port}", "anonymous": True,
              "request_timeout": 0.5}
    started = time.monotonic()
    with pytest.raises(CredentialError) as raised:
        collect(config)
    waited = time.monotonic() - started
    said = re.fullmatch(rf"gcs: cannot reach Cloud Storage at http://127\.0\.0\.1:{port} "
                        r"\(no answer in (\d+\.\d) s \(request_timeout 0\.5 s\)\)", str(raised.value))
    assert said, str(raised.value)
    assert float(said[1]) <= waited + 0.05  # the time it really waited, not the configured limit


def test_server_errors_report_the_time_really_spent_retrying(estate, collect, named):
    """Issue 13 item 9: the message gives the elapsed time, which is under the limit when retries stop early."""
    buckets = named(collect({"projects": [PROJECT], "request_timeout": 1.5},
                            needs={BUCKETS: frozenset({"access.public"})}))
    estate.unavailable = True
    started = time.monotonic()
    value = buckets["cs-web-assets"].get("access.public")
    waited = time.monotonic() - started
    said = re.search(r"kept answering HTTP 503 for (\d+\.\d) s \(request_timeout 1\.5 s\)", value.reason)
    assert said, value.reason
    assert abs(float(said[1]) - waited) < 0.2


def test_persistent_server_errors(estate, collect, named):
    """Retried until the timeout; then a run-wide error at listing, or unknown values for one bucket."""
    buckets = named(collect({"projects": [PROJECT], "request_timeout": 0.5},
                            needs={BUCKETS: frozenset({"access.public"})}))
    estate.unavailable = True
    value = buckets["cs-web-assets"].get("access.public")
    assert isinstance(value, Unknown)
    assert re.search(r"kept answering HTTP 503 for \d+\.\d s \(request_timeout 0\.5 s\) "
                     r"\(storage\.buckets\.getIamPolicy\)$", value.reason), value.reason
    with pytest.raises(CredentialError, match="kept answering HTTP 503"):
        collect({"projects": [PROJECT], "request_timeout": 0.5})
