"""Buckets from Cloud Asset Inventory (``--gcp-source inventory|auto``).

Against three local servers speaking the real JSON: Cloud Resource Manager v3 (``fake_crm``), the
Cloud Storage JSON API (``fake_gcs``) and Cloud Asset Inventory v1 (``fake_asset``), which indexes
the same estate. Every comparison is with ``--gcp-source api`` on that estate.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.errors import ConfigError, CredentialError
from policycheck.model import Unknown
from policycheck.provider import ProviderContext
from policycheck.providers.gcs.inventory import READ_MASK, CloudAsset, ScopeUnread
from policycheck.providers.gcs.inventory_scan import scopes_for

ORG = "organizations/123456789012"
BUCKETS = "gcp.storage.bucket"
FRESHNESS = ("raw.collected_from", "raw.inventory_read_time")
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def estate(fake_crm, fake_gcs, fake_asset, gcs_data):
    """An organisation (a folder and a sub-folder, a deleted project) with buckets of every kind, indexed by
    Cloud Asset Inventory."""
    d, crm = gcs_data, fake_crm
    support = crm.folder(ORG, "Support")
    tickets = crm.folder(support, "Tickets")
    crm.project(ORG, "cs-root-tools")
    crm.project(support, "cs-support-de")
    crm.project(tickets, "cs-tickets-prod")
    crm.project(ORG, "cs-old-archive", state="DELETE_REQUESTED")
    fake_gcs.add("cs-root-tools", d.bucket("cs-tools-cache", "US-EAST1"), bindings=legacy("cs-root-tools"))
    fake_gcs.add("cs-support-de", d.bucket(
        "cs-tickets-de", "EUROPE-WEST3",
        labels={"data-classification": "personal", "purpose": "customer-support"},
        encryption={"defaultKmsKeyName": d.KMS_KEY},
        retentionPolicy={"retentionPeriod": "2592000", "effectiveTime": "2024-06-10T08:15:02.117Z", "isLocked": True},
        lifecycle={"rule": [d.delete_rule(age=365)]}, versioning={"enabled": True},
        logging={"logBucket": "cs-access-logs", "logObjectPrefix": "cs-tickets-de"}),
        bindings=[d.binding("roles/storage.objectViewer", "user:agent@partner.example")])
    fake_gcs.add("cs-support-de", d.bucket("cs-chat-eur4", "EUR4", "dual-region",
                                           iamConfiguration={"uniformBucketLevelAccess": {"enabled": True},
                                                             "publicAccessPrevention": "inherited"}),
                 bindings=[d.binding("roles/storage.objectViewer", "allUsers")])
    fake_gcs.add("cs-support-de", d.bucket("cs-exports-legacy", "EU", "multi-region",
                                           **d.legacy_acl("cs-exports-legacy", public=True)),
                 bindings=[d.binding("roles/storage.legacyBucketOwner", "projectOwner:cs-support-de")])
    fake_gcs.add("cs-tickets-prod", d.bucket("cs-tickets-prod-data", "EUROPE-WEST1",
                                             labels={"data-classification": "personal"},
                                             billing={"requesterPays": True}),
                 bindings=[d.binding("roles/storage.admin", "group:cs-admins@acme.example")])
    fake_gcs.add("cs-tickets-prod", d.bucket("cs-tickets-prod-logs", "EUROPE-WEST1"),
                 bindings=legacy("cs-tickets-prod"))
    fake_gcs.add("cs-old-archive", d.bucket("cs-old-archive-data", "EUROPE-WEST3"))
    fake_asset.mirror(fake_gcs, fake_crm)
    return {"support": support, "tickets": tickets}


def legacy(project):
    """The bindings every new bucket's IAM policy starts with."""
    return [{"role": "roles/storage.legacyBucketOwner",
             "members": [f"projectEditor:{project}", f"projectOwner:{project}"]},
            {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project}"]}]


def settings(fake_crm, fake_asset, source, **values):
    return {"resource_manager_endpoint": fake_crm.url, "asset_endpoint": fake_asset.url, "source": source,
            "allowed_domains": ["acme.example"], **values}


def snapshot(resources):
    """Everything a resource says, with every lazy group loaded; the freshness attributes apart."""
    out = {}
    for r in resources:
        r.load()
        known = {k: v for k, v in r.known_attributes.items() if k not in FRESHNESS}
        out[r.id] = (r.name, r.account, r.region, r.tags, known, r.unknown_attributes, r.failed_groups)
    return out


def scan(collect, config, **context):
    ctx = ProviderContext(provider="gcs", clock=lambda: NOW, **context)
    return collect(config, context=ctx), ctx


def test_same_attributes_as_the_live_api_over_several_pages(estate, fake_crm, fake_gcs, fake_asset, collect):
    live, live_context = scan(collect, settings(fake_crm, fake_asset, "api", organizations=[ORG]))
    live_facts = snapshot(live)
    live_requests = len(fake_gcs.requests)
    fake_gcs.requests.clear()
    fake_asset.page_size = 2
    held, context = scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))
    assert snapshot(held) == live_facts
    assert len(held) == 6 and not context.problems and not live_context.problems
    assert "cs-old-archive-data" not in {r.name for r in held}  # indexed, but its project is being deleted
    assert {r.get("raw.collected_from") for r in held} == {"inventory"}
    assert {r.get("raw.inventory_read_time") for r in held} == {NOW.isoformat()}
    # The live API answered only the legacy ACLs of the one bucket without uniform access (bucket, default object);
    # the requester-pays bucket's IAM policy came from the inventory too.
    assert sorted(r.path.rsplit("/", 1)[-1] for r in fake_gcs.requests) == ["acl", "defaultObjectAcl"]
    assert live_requests == 3 + 6  # buckets.list per project, getIamPolicy per bucket
    assert len(fake_asset.requests) == 4 + 3  # 7 indexed buckets and 6 policies, 2 per page, over the organisation
    searched = fake_asset.calls("searchAllResources")
    assert {r.scope for r in fake_asset.requests} == {ORG}
    assert all(r.query["readMask"] == READ_MASK and r.query["assetTypes"] == "storage.googleapis.com/Bucket"
               for r in searched)
    assert [("pageToken" in r.query) for r in searched] == [False, True, True, True]
    assert {r.method for r in fake_asset.requests} == {"GET"}


def test_fewer_requests_per_bucket_than_the_live_api(estate, fake_crm, fake_gcs, fake_asset, collect):
    snapshot(scan(collect, settings(fake_crm, fake_asset, "api", organizations=[ORG]))[0])  # every group read
    live_requests = len(fake_gcs.requests)
    fake_gcs.requests.clear()
    snapshot(scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))[0])
    held_requests = len(fake_asset.requests) + len(fake_gcs.requests)
    assert (live_requests, held_requests) == (9, 2 + 2)  # per bucket: 1.5 live, 0.67 (0.33 without the legacy ACLs)


def test_legacy_acls_are_never_taken_from_the_inventory(estate, fake_crm, fake_asset, collect, named):
    """Cloud Asset's bucket resource shows empty ACL lists: trusting them would hide the public ACL."""
    held, _ = scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))
    legacy = named(held)["cs-exports-legacy"]
    assert legacy.get("access.public") is True and legacy.get("access.public_via") == ["acl"]


def test_no_versioned_resource_reads_that_bucket_live(estate, fake_crm, fake_gcs, fake_asset, collect, named):
    live = snapshot(scan(collect, settings(fake_crm, fake_asset, "api", organizations=[ORG]))[0])
    fake_gcs.requests.clear()
    fake_asset.bare.add("cs-tickets-de")
    held, _ = scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))
    assert snapshot(held) == live
    assert [r.path.rsplit("/", 1)[-1] for r in fake_gcs.calls("get")] == ["cs-tickets-de"]
    assert named(held)["cs-tickets-de"].get("raw.collected_from") == "inventory"  # listed by it, completed live


def test_no_versioned_resource_and_buckets_get_denied_is_unknown(estate, fake_crm, fake_gcs, fake_asset, collect,
                                                                named):
    fake_asset.bare.add("cs-tickets-de")
    fake_gcs.deny("storage.buckets.get", "cs-tickets-de")
    held, _ = scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))
    tickets = named(held)["cs-tickets-de"]
    for attribute in ("encryption.key_management", "retention.max_age_days", "location.jurisdiction"):
        value = tickets.get(attribute)
        assert isinstance(value, Unknown), attribute
        assert "Cloud Asset Inventory holds no bucket resource" in value.reason
        assert "storage.buckets.get" in value.reason


def test_results_without_versioned_resources_hold_no_bucket_resource(estate, fake_asset):
    import requests

    asset = CloudAsset(requests.Session(), endpoint=fake_asset.url, timeout=5)
    assert all(b.bucket is not None and "acl" not in b.bucket for b in asset.buckets(ORG))
    fake_asset.bare.update(b["name"] for _, b in fake_asset.buckets)
    assert {b.bucket for b in asset.buckets(ORG)} == {None}


def test_a_bucket_without_a_policy_result_asks_the_live_api(estate, fake_crm, fake_gcs, fake_asset, collect, named):
    del fake_asset.policies["cs-chat-eur4"]  # not (yet) indexed
    held, _ = scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))
    assert named(held)["cs-chat-eur4"].get("access.public_via") == ["iam"]
    assert [r.path for r in fake_gcs.calls("iam")] == ["/storage/v1/b/cs-chat-eur4/iam"]


def test_a_denied_scope_is_a_problem_with_inventory(estate, fake_crm, fake_gcs, fake_asset, gcs_data, collect):
    fake_gcs.add("acme-extra", gcs_data.bucket("acme-extra-data"))
    fake_asset.add("acme-extra", gcs_data.bucket("acme-extra-data"))
    fake_asset.deny("searchAllResources", ORG)
    held, context = scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG],
                                           projects=["acme-extra"]))
    assert {r.name for r in held} == {"acme-extra-data"}
    [problem] = context.problems
    assert problem.scope == "organization 123456789012"
    assert "cloudasset.assets.searchAllResources denied" in problem.message
    assert not fake_gcs.calls("list")  # never the live API in its place
    assert context.progress.counts("projects") == (4, 4)


def test_a_denied_policy_search_counts_as_the_scope_denied(estate, fake_crm, fake_asset, collect):
    fake_asset.deny("searchAllIamPolicies", ORG)
    with pytest.raises(CredentialError, match=r"organization 123456789012: permission "
                                              r"cloudasset\.assets\.searchAllIamPolicies denied"):
        scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))


def test_auto_reads_a_denied_scope_from_the_live_api(estate, fake_crm, fake_gcs, fake_asset, collect):
    live = snapshot(scan(collect, settings(fake_crm, fake_asset, "api", organizations=[ORG]))[0])
    fake_gcs.requests.clear()
    fake_asset.deny("searchAllResources", ORG)
    held, context = scan(collect, settings(fake_crm, fake_asset, "auto", organizations=[ORG]))
    assert snapshot(held) == live and not context.problems
    assert {r.get("raw.collected_from") for r in held} == {"api"}
    assert {r.get("raw.inventory_read_time") for r in held} == {None}
    assert len(fake_gcs.calls("list")) == 3


def test_nothing_searchable_stops_the_run(estate, fake_crm, fake_asset, collect):
    fake_asset.deny("searchAllResources", ORG)
    with pytest.raises(CredentialError, match=r"Cloud Asset Inventory, organization 123456789012: .*"
                                              r"searchAllResources denied.*nothing to scan"):
        scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))


def test_unreachable_cloud_asset_is_one_line_with_inventory_and_the_live_api_with_auto(estate, fake_crm, fake_gcs,
                                                                                      collect):
    unreachable = {"resource_manager_endpoint": fake_crm.url, "asset_endpoint": "http://127.0.0.1:9",
                   "request_timeout": 0.3, "organizations": [ORG]}
    with pytest.raises(CredentialError, match=r"cannot reach Cloud Asset Inventory at http://127\.0\.0\.1:9 "):
        scan(collect, {**unreachable, "source": "inventory"})
    held, context = scan(collect, {**unreachable, "source": "auto"})
    assert len(held) == 6 and not context.problems and len(fake_gcs.calls("list")) == 3


def test_throttled_searches_are_retried(estate, fake_crm, fake_asset, collect):
    fake_asset.failures[("searchAllResources", ORG)] = [429, 503]
    held, context = scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))
    assert len(held) == 6 and not context.problems


def test_a_named_project_is_searched_as_its_own_scope(fake_gcs, fake_asset, gcs_data, collect, named):
    fake_gcs.add("acme-support", gcs_data.bucket("cs-one", "EUROPE-WEST3"))
    fake_asset.add("acme-support", gcs_data.bucket("cs-one", "EUROPE-WEST3"))
    fake_asset.add("acme-other", gcs_data.bucket("cs-elsewhere", "EUROPE-WEST3"))
    held, _ = scan(collect, {"projects": ["acme-support"], "asset_endpoint": fake_asset.url, "source": "inventory"})
    assert [r.id for r in held] == ["projects/acme-support/buckets/cs-one"]
    assert {r.scope for r in fake_asset.requests} == {"projects/acme-support"}
    assert not fake_gcs.requests  # location.* and the rest from the inventory; IAM not needed without access rules
    assert named(held)["cs-one"].get("location.jurisdiction") == "EU"


def test_a_project_without_a_known_number_is_listed_live(estate, fake_crm, fake_gcs, fake_asset, collect):
    tickets = next(p for p in fake_crm.projects[estate["tickets"]] if p["projectId"] == "cs-tickets-prod")
    del tickets["name"]  # the hierarchy gives no number to match search results against
    held, context = scan(collect, settings(fake_crm, fake_asset, "inventory", organizations=[ORG]))
    assert len(held) == 6 and not context.problems
    assert [r.query["project"] for r in fake_gcs.calls("list")] == ["cs-tickets-prod"]
    assert {r.get("raw.collected_from") for r in held if r.account == "cs-tickets-prod"} == {"api"}


def test_scopes_cover_each_project_once():
    scopes, unplaced = scopes_for(("a-proj-1", "b-proj-2", "named-one", "c-proj-3"), ("organizations/1", "folders/2"),
                                  {"a-proj-1": "organizations/1", "b-proj-2": "folders/2", "c-proj-3": "folders/2"},
                                  {"a-proj-1": "11", "b-proj-2": "22"})
    assert [(s.name, s.projects) for s in scopes] == [("organizations/1", ("a-proj-1",)),
                                                      ("folders/2", ("b-proj-2",)),
                                                      ("projects/named-one", ("named-one",))]
    assert unplaced == ("c-proj-3",)
    assert scopes[0].project_of("22") == "b-proj-2" and scopes[2].project_of("999") == "named-one"


def test_malformed_answers_are_a_problem_for_the_scope(fake_asset):
    import requests

    class Broken:
        def get(self, url, params, timeout):
            answer = requests.Response()
            answer.status_code = 200
            answer._content = b'{"results": {"not": "a list"}}'
            return answer

    with pytest.raises(ScopeUnread, match="'results' that is not a list"):
        CloudAsset(Broken(), endpoint="http://unused", timeout=1).buckets(ORG)


@pytest.mark.parametrize(("values", "message"), [
    ({"source": "config"}, "one of inventory, api, auto"),
    ({"source": "inventory", "buckets": ["acme-support/cs-one"]}, "--gcs-bucket reads single buckets"),
])
def test_bad_source_settings(values, message):
    from policycheck.providers.gcs.settings import GcsSettings

    with pytest.raises(ConfigError, match=message):
        GcsSettings.parse(values)


def test_cli_reports_are_identical(estate, fake_crm, fake_asset, tmp_path):
    config_file = tmp_path / "policycheck.yaml"
    config_file.write_text(f"providers:\n  gcs:\n    resource_manager_endpoint: {fake_crm.url}\n"
                           f"    asset_endpoint: {fake_asset.url}\n")
    reports = {}
    for source in ("api", "inventory"):
        path = tmp_path / f"{source}.json"
        result = CliRunner().invoke(main, ["scan", "--config", str(config_file), "--gcp-organization", ORG,
                                           "--gcp-source", source, "-f", f"json={path}"])
        assert result.exit_code == 1, result.output
        reports[source] = json.loads(path.read_text())["findings"]
    assert reports["inventory"] == reports["api"] and len(reports["api"]) > 20


def test_permissions_name_the_cloud_asset_permissions():
    plain = CliRunner().invoke(main, ["permissions", "--provider", "gcs"])
    assert "cloudasset" not in plain.output
    result = CliRunner().invoke(main, ["permissions", "--provider", "gcs", "--gcp-source", "inventory"])
    assert result.exit_code == 0, result.output
    assert "cloudasset.assets.searchAllIamPolicies, cloudasset.assets.searchAllResources" in result.output
    assert "storage.buckets.getIamPolicy" in result.output  # still needed: the live API answers what it lacks


def test_cli_nothing_searchable_exits_2_with_one_line(estate, fake_crm, fake_asset, tmp_path):
    fake_asset.deny("searchAllResources", ORG)
    config_file = tmp_path / "policycheck.yaml"
    config_file.write_text(f"providers:\n  gcs:\n    resource_manager_endpoint: {fake_crm.url}\n"
                           f"    asset_endpoint: {fake_asset.url}\n    source: inventory\n")
    result = CliRunner().invoke(main, ["scan", "--config", str(config_file), "--gcp-organization", ORG])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "cloudasset.assets.searchAllResources" in lines[0], result.output
