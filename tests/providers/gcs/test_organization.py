"""Every project of an organisation or folder (``--gcp-organization``, ``--gcp-folder``).

Against two local servers speaking the real JSON: Cloud Resource Manager v3 (``fake_crm``) for the
hierarchy, and the Cloud Storage JSON API (``fake_gcs``) for the buckets.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.errors import ConfigError, CredentialError
from policycheck.provider import ProviderContext
from policycheck.providers.gcs.hierarchy import ResourceManager, projects_under
from policycheck.shard import Shard

ORG = "organizations/123456789012"
BUCKETS = "gcp.storage.bucket"


@pytest.fixture
def hierarchy(fake_crm, fake_gcs, gcs_data):
    """An organisation: a project at its root, three folders (one denied), nested sub-folders, a deleted project.

    Two items per page, so the organisation's folders and the Support folder's projects take two pages each.
    """
    crm = fake_crm
    crm.project(ORG, "cs-root-tools")
    crm.project(ORG, "cs-old-archive", state="DELETE_REQUESTED")
    support = crm.folder(ORG, "Support")
    restricted = crm.folder(ORG, "Restricted")
    marketing = crm.folder(ORG, "Marketing")
    crm.folder(ORG, "Retired", state="DELETE_REQUESTED")
    for project in ("cs-support-de", "cs-support-fr", "cs-support-it"):
        crm.project(support, project)
    tickets = crm.folder(support, "Tickets")
    crm.project(tickets, "cs-tickets-prod")
    archive = crm.folder(tickets, "Archive")
    crm.project(archive, "cs-archive-eu")
    crm.project(restricted, "hr-payroll")
    crm.deny("projects", restricted)
    crm.project(marketing, "mk-campaigns")
    for project in ("cs-root-tools", "cs-old-archive", "cs-support-de", "cs-support-fr", "cs-support-it",
                    "cs-tickets-prod", "cs-archive-eu", "hr-payroll", "mk-campaigns"):
        fake_gcs.add(project, gcs_data.bucket(f"{project}-data", "EUROPE-WEST3"))
    fake_gcs.deny("storage.buckets.list", "cs-support-fr")
    return {"org": ORG, "support": support, "restricted": restricted, "marketing": marketing, "tickets": tickets,
            "archive": archive}


def config(crm, **values):
    return {"resource_manager_endpoint": crm.url, **values}


def test_every_active_project_of_the_organisation(hierarchy, fake_crm, fake_gcs, collect):
    context = ProviderContext(provider="gcs")
    resources = collect(config(fake_crm, organizations=["123456789012"]), context=context)
    assert {r.account for r in resources} == {"cs-root-tools", "cs-support-de", "cs-support-it", "cs-tickets-prod",
                                              "cs-archive-eu", "mk-campaigns"}
    assert {r.type for r in resources} == {BUCKETS}
    problems = {p.scope: p.message for p in context.problems}
    assert set(problems) == {f"folder {hierarchy['restricted'].split('/')[1]}", "project cs-support-fr"}
    assert "resourcemanager.projects.list" in problems[f"folder {hierarchy['restricted'].split('/')[1]}"]
    assert "storage.buckets.list" in problems["project cs-support-fr"]
    # paging followed, read-only, deleted projects never asked for
    assert any("pageToken" in r.query for r in fake_crm.calls("folders"))
    assert any("pageToken" in r.query for r in fake_crm.calls("projects"))
    assert {r.method for r in fake_crm.requests} | {r.method for r in fake_gcs.requests} == {"GET"}
    assert not any("showDeleted" in r.query for r in fake_crm.requests)
    listed = {r.query["project"] for r in fake_gcs.calls("list")}
    assert "cs-old-archive" not in listed and "hr-payroll" not in listed
    assert context.progress.counts("projects") == (7, 7)  # cs-support-fr is done too: its problem is reported


def test_a_folder_and_its_sub_folders(hierarchy, fake_crm, collect):
    resources = collect(config(fake_crm, folders=[hierarchy["support"].split("/")[1]]))
    assert {r.account for r in resources} == {"cs-support-de", "cs-support-it", "cs-tickets-prod", "cs-archive-eu"}
    parents = {r.query["parent"] for r in fake_crm.requests}
    assert parents == {hierarchy["support"], hierarchy["tickets"], hierarchy["archive"]}


def test_projects_folders_and_organisations_are_one_union_without_repeats(hierarchy, fake_crm, fake_gcs, gcs_data,
                                                                         collect):
    fake_gcs.add("acme-extra", gcs_data.bucket("acme-extra-data"))
    resources = collect(config(fake_crm, projects=["cs-tickets-prod", "acme-extra"],
                               folders=[hierarchy["tickets"]], organizations=[ORG]))
    listed = [(r.query["project"], r.query.get("projection")) for r in fake_gcs.calls("list")]
    assert sorted(listed) == sorted(set(listed))  # each project listed once (per projection: a 403 retries noAcl)
    assert {"acme-extra", "cs-tickets-prod", "cs-archive-eu", "mk-campaigns"} <= {r.account for r in resources}
    assert len({r.id for r in resources}) == len(resources)


def test_deleted_projects_are_skipped_even_when_the_server_lists_them(hierarchy, fake_crm, fake_gcs, collect):
    fake_crm.ignore_show_deleted = True
    resources = collect(config(fake_crm, organizations=[ORG]))
    assert "cs-old-archive" not in {r.account for r in resources}
    assert "cs-old-archive" not in {r.query["project"] for r in fake_gcs.calls("list")}
    assert not any(r.query["parent"].endswith(tuple(f["name"] for f in fake_crm.folders[ORG]
                                                    if f["state"] != "ACTIVE")) for r in fake_crm.requests)


def test_a_denied_folder_listing_is_a_problem_and_the_projects_beside_it_go_on(hierarchy, fake_crm, collect):
    fake_crm.deny("folders", hierarchy["support"])  # its projects are listed, its sub-folders are not
    context = ProviderContext(provider="gcs")
    resources = collect(config(fake_crm, organizations=[ORG]), context=context)
    accounts = {r.account for r in resources}
    assert {"cs-support-de", "cs-support-it", "mk-campaigns"} <= accounts
    assert not accounts & {"cs-tickets-prod", "cs-archive-eu"}
    support = f"folder {hierarchy['support'].split('/')[1]}"
    assert "resourcemanager.folders.list" in {p.scope: p.message for p in context.problems}[support]


def test_nothing_listable_stops_the_run(hierarchy, fake_crm, collect):
    fake_crm.deny("projects", ORG)
    fake_crm.deny("folders", ORG)
    with pytest.raises(CredentialError, match=r"organization 123456789012: .*resourcemanager.projects.list"):
        collect(config(fake_crm, organizations=[ORG]))


def test_a_named_project_still_scans_when_the_organisation_is_denied(hierarchy, fake_crm, collect):
    fake_crm.deny("projects", ORG)
    context = ProviderContext(provider="gcs")
    resources = collect(config(fake_crm, organizations=[ORG], projects=["cs-root-tools"]), context=context)
    assert {r.account for r in resources} >= {"cs-root-tools"}
    assert [p.scope for p in context.problems if p.scope.startswith("organization")] == ["organization 123456789012"]


def test_a_discovered_project_storage_does_not_know_is_a_problem_not_a_stop(hierarchy, fake_crm, collect):
    fake_crm.project(hierarchy["marketing"], "mk-no-storage-api")  # no buckets.list answer: 404 for the project
    context = ProviderContext(provider="gcs")
    resources = collect(config(fake_crm, folders=[hierarchy["marketing"]]), context=context)
    assert {r.account for r in resources} == {"mk-campaigns"}
    assert [p.scope for p in context.problems] == ["project mk-no-storage-api"]


def test_throttled_listing_is_retried(hierarchy, fake_crm, collect):
    fake_crm.failures[("projects", hierarchy["archive"])] = [429]
    resources = collect(config(fake_crm, folders=[hierarchy["tickets"]]))
    assert {r.account for r in resources} == {"cs-tickets-prod", "cs-archive-eu"}
    assert len([r for r in fake_crm.calls("projects") if r.query["parent"] == hierarchy["archive"]]) == 2


def test_throttled_past_retries_is_a_problem_for_that_folder(hierarchy, fake_crm, fake_gcs):
    fake_crm.failures[("projects", hierarchy["archive"])] = [429] * 50
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # the backoff happens on a clock of its own, not in the test's time
        sleeps.append(seconds)
        now[0] += seconds

    import requests

    api = ResourceManager(requests.Session(), endpoint=fake_crm.url, timeout=20, sleep=sleep, clock=lambda: now[0])
    found = projects_under(api, [hierarchy["support"]], workers=4)
    assert found.projects == ["cs-support-de", "cs-support-fr", "cs-support-it", "cs-tickets-prod"]
    [(scope, message)] = found.problems
    assert scope == f"folder {hierarchy['archive'].split('/')[1]}"
    assert "throttled" in message and "resourcemanager.projects.list" in message
    assert sleeps[:4] == [0.5, 1.0, 2.0, 4.0] and max(sleeps) == 8.0 and sum(sleeps) <= 20
    assert f"throttled for {sum(sleeps):.1f} s (request_timeout 20 s)" in message  # the time really spent


def test_unreachable_resource_manager_is_one_line(hierarchy, collect):
    with pytest.raises(CredentialError, match=r"cannot reach Cloud Resource Manager at http://127\.0\.0\.1:9 "):
        collect({"resource_manager_endpoint": "http://127.0.0.1:9", "organizations": [ORG], "request_timeout": 0.3})


def test_shards_split_the_discovered_projects_whole(hierarchy, fake_crm, fake_gcs, gcs_data, collect):
    for index in range(8):
        project = f"cs-shard-probe-{index}"
        fake_crm.project(hierarchy["marketing"], project)
        fake_gcs.add(project, gcs_data.bucket(f"{project}-data"))
    settings = config(fake_crm, organizations=[ORG])
    whole = {r.id for r in collect(settings)}
    listed_whole = {r.query["project"] for r in fake_gcs.calls("list")}
    shards, listed = [], []
    for index in (1, 2):
        context = ProviderContext(provider="gcs", shard=Shard(index, 2))
        fake_gcs.requests.clear()
        resources = collect(settings, context=context)
        assert context.partition == "project" and context.partitioned
        shards.append({r.id for r in resources})
        listed.append({r.query["project"] for r in fake_gcs.calls("list")})  # a shard lists its own projects only
    assert shards[0] and shards[1] and not shards[0] & shards[1]
    assert shards[0] | shards[1] == whole
    assert not listed[0] & listed[1] and listed[0] | listed[1] == listed_whole


def test_few_projects_split_by_resource_id(fake_gcs, gcs_data, collect):
    fake_gcs.add("acme-support", gcs_data.bucket("cs-one"))
    context = ProviderContext(provider="gcs", shard=Shard(1, 2))
    collect({"projects": ["acme-support"]}, context=context)
    assert not context.partitioned  # the run splits the listed buckets by resource id


@pytest.mark.parametrize(("values", "message"), [
    ({"organizations": ["acme"]}, "'acme' is not an organisation id"),
    ({"folders": ["folders/x1"]}, "'folders/x1' is not a folder id"),
    ({"folders": ["12"], "buckets": ["acme-support/cs-one"]}, "cannot be combined with --gcp-organization"),
])
def test_bad_organisation_or_folder_settings(values, message):
    from policycheck.providers.gcs.settings import GcsSettings

    with pytest.raises(ConfigError, match=message):
        GcsSettings.parse(values)


def test_ids_are_normalised_to_resource_names():
    from policycheck.providers.gcs.settings import GcsSettings

    settings = GcsSettings.parse({"organizations": ["123", "organizations/123"], "folders": ["456"]})
    assert settings.parents == ("organizations/123", "folders/456")


POLICY = """\
apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: gcs-org-test, version: "1.0.0"}
rules:
  - id: T-LOCATION
    title: Buckets stay in the EU
    severity: high
    resources: [gcp.storage.bucket]
    require: {attr: location.jurisdiction, in: [EU]}
    references: ["GDPR Art. 44"]
    remediation: Move the bucket.
"""


def test_cli_scan_of_an_organisation(hierarchy, fake_crm, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    config_file = tmp_path / "policycheck.yaml"
    config_file.write_text(f"providers:\n  gcs:\n    resource_manager_endpoint: {fake_crm.url}\n")
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", "--config", str(config_file), "--policy", str(policy),
                                       "--gcp-organization", "123456789012", "-f", f"json={report_path}"])
    assert result.exit_code == 1, result.output  # the two collection problems fail the run
    report = json.loads(report_path.read_text())
    assert {f["resource"]["account"] for f in report["findings"]} == {
        "cs-root-tools", "cs-support-de", "cs-support-it", "cs-tickets-prod", "cs-archive-eu", "mk-campaigns"}
    assert all(f["result"] == "pass" for f in report["findings"])


def test_cli_nothing_listable_exits_2_with_one_line(hierarchy, fake_crm, tmp_path):
    fake_crm.deny("projects", ORG)
    fake_crm.deny("folders", ORG)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    config_file = tmp_path / "policycheck.yaml"
    config_file.write_text(f"providers:\n  gcs:\n    resource_manager_endpoint: {fake_crm.url}\n")
    result = CliRunner().invoke(main, ["scan", "--config", str(config_file), "--policy", str(policy),
                                       "--gcp-organization", "123456789012"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "resourcemanager.projects.list" in lines[0] and "Traceback" not in result.output


def test_permissions_name_the_resource_manager_permissions(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    plain = CliRunner().invoke(main, ["permissions", "--policy", str(policy), "--provider", "gcs"])
    assert "resourcemanager" not in plain.output
    result = CliRunner().invoke(main, ["permissions", "--policy", str(policy), "--gcp-folder", "456"])
    assert result.exit_code == 0, result.output
    assert ("# gcs: resourcemanager.folders.list, resourcemanager.projects.list, storage.buckets.list"
            in result.output)
