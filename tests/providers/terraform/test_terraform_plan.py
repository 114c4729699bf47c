"""A hand-written plan through the CLI: what each planned resource proves, and what stays unknown."""

from __future__ import annotations

import json

from .conftest import PLAN, STATE, run

EU = 'module.crm.aws_s3_bucket.attachments["eu"]'
ARCHIVE = 'module.crm.aws_s3_bucket.attachments["archive"]'


def test_destroyed_resources_are_left_out_replaced_ones_evaluated(collect):
    resources = collect(PLAN)
    assert "aws_s3_bucket.old" not in resources  # actions ["delete"]
    assert resources["aws_s3_bucket.rebuilt"]["type"] == "aws.s3.bucket"  # actions ["delete", "create"]
    assert set(resources) == {
        "aws_s3_bucket.legacy", "aws_s3_bucket.exports[0]", "aws_s3_bucket.exports[1]", "aws_s3_bucket.rebuilt", EU,
        ARCHIVE, "aws_db_instance.tickets", "aws_rds_cluster.chat", "aws_dynamodb_table.sessions",
        "google_storage_bucket.transcripts"}
    assert resources[EU]["name"] == EU and resources[EU]["provider"] == "terraform"


def test_split_resources_join_through_module_for_each_references(collect):
    eu, archive = collect(PLAN)[EU], collect(PLAN)[ARCHIVE]
    # versioning and lifecycle reference attachments["eu"] only; encryption uses for_each = aws_s3_bucket.attachments
    assert eu["attributes"]["versioning.enabled"] is True and archive["attributes"]["versioning.enabled"] is False
    assert eu["attributes"]["retention.max_age_days"] == 365 + 30
    assert archive["attributes"]["retention.mechanism"] == []
    for bucket in (eu, archive):
        assert bucket["attributes"]["raw.sse_algorithm"] == "aws:kms"


def test_kms_key_created_in_the_plan_is_customer_managed_while_its_arn_is_unknown(collect):
    resources = collect(PLAN)
    for address in (EU, ARCHIVE, "aws_db_instance.tickets"):
        assert resources[address]["attributes"]["encryption.key_management"] == "customer-managed"
        assert "known only after apply" in resources[address]["unknown"]["encryption.kms_key"]


def test_documented_defaults_count_as_proven(collect):
    resources = collect(PLAN)
    rebuilt = resources["aws_s3_bucket.rebuilt"]["attributes"]  # a new bucket that configures nothing
    assert rebuilt["encryption.at_rest"] is True and rebuilt["raw.sse_algorithm"] == "AES256"
    assert rebuilt["encryption.key_management"] == "provider-managed"
    assert rebuilt["access.public_access_blocked"] is True and rebuilt["access.public"] is False
    tickets = resources["aws_db_instance.tickets"]["attributes"]
    assert tickets["backup.retention_days"] == 1  # RDS default when backup_retention_period is unset
    sessions = resources["aws_dynamodb_table.sessions"]["attributes"]
    assert sessions["encryption.key_management"] == "provider-managed"
    assert sessions["encryption.kms_key"] == "alias/aws/dynamodb"


def test_inline_v3_blocks_are_read(collect):
    legacy = collect(PLAN)["aws_s3_bucket.legacy"]
    assert legacy["attributes"]["versioning.enabled"] is True
    assert legacy["attributes"]["retention.mechanism"] == ["lifecycle"]
    assert legacy["attributes"]["logging.access_logging"] is True
    # an existing bucket's own public access block is not in the plan, and the account block leaves flags off
    assert "not in the plan" in legacy["unknown"]["access.public_access_blocked"]
    assert legacy["tags"] == {"data-classification": "personal", "data-owner": "support-ops"}  # tags_all


def test_region_from_provider_alias_and_variable(collect):
    resources = collect(PLAN)
    assert resources["aws_s3_bucket.exports[0]"]["region"] == "us-east-1"  # aws.us, region = var.us_region
    assert resources["aws_s3_bucket.exports[0]"]["attributes"]["location.jurisdiction"] == "adequacy-dpf"
    assert resources[EU]["attributes"]["location.region"] == "eu-central-1"  # inherited by the module


def test_public_access_from_split_block_policy_and_account_block(collect):
    resources = collect(PLAN)
    public, blocked = resources["aws_s3_bucket.exports[0]"], resources["aws_s3_bucket.exports[1]"]
    assert public["attributes"]["access.public_via"] == ["policy"]
    assert blocked["attributes"]["access.public"] is False  # the same public policy, neutralised by the block
    assert blocked["attributes"]["encryption.in_transit_enforced"] is True
    assert public["attributes"]["encryption.in_transit_enforced"] is False


def test_rds_cluster_instances_and_parameter_groups(collect):
    resources = collect(PLAN)
    chat = resources["aws_rds_cluster.chat"]["attributes"]
    assert chat["access.public_via"] == ["endpoint"]  # its aws_rds_cluster_instance is publicly accessible
    assert chat["encryption.at_rest"] is False and chat["encryption.key_management"] == "none"
    assert chat["encryption.in_transit_enforced"] is False  # aurora-postgresql default group: rds.force_ssl 0
    tickets = resources["aws_db_instance.tickets"]["attributes"]
    assert tickets["encryption.in_transit_enforced"] is True and tickets["raw.parameter_group"] == "tickets-pg16"


def test_gcs_bucket_public_through_iam_member(collect):
    bucket = collect(PLAN)["google_storage_bucket.transcripts"]
    assert bucket["type"] == "gcp.storage.bucket" and bucket["region"] == "EU"
    assert bucket["attributes"]["access.public_via"] == ["iam"]
    assert bucket["attributes"]["location.jurisdiction"] == "EU"
    assert bucket["attributes"]["retention.max_age_days"] == 90
    assert bucket["attributes"]["retention.soft_delete_days"] == 7  # Cloud Storage's default window


def test_state_joins_split_resources_by_value(collect):
    resources = collect(STATE)
    tickets = resources["aws_s3_bucket.tickets"]
    assert tickets["region"] == "eu-west-1"
    assert tickets["attributes"]["versioning.enabled"] is True  # aws_s3_bucket_versioning, bucket = "acme-tickets"
    assert tickets["attributes"]["access.public_access_blocked"] is True
    table = resources["module.chat.aws_dynamodb_table.messages"]
    assert table["region"] == "eu-central-1"  # from the ARN
    assert table["attributes"]["backup.enabled"] is False


def test_builtin_pack_unknown_is_error_never_pass_and_dynamodb_logging_skipped(tmp_path):
    out = tmp_path / "report.json"
    code, output = run("scan", "--provider", "terraform", "--plan", str(PLAN), "-f", f"json={out}")
    assert code == 1, output
    report = json.loads(out.read_text())
    results = {(f["resource"]["id"], f["rule_id"]): f for f in report["findings"]}
    assert results[(EU, "GDPR-SEC-006")]["result"] == "error"  # no server access logging; CloudTrail not in a plan
    assert results[("aws_s3_bucket.exports[0]", "GDPR-SEC-004")]["result"] == "fail"
    assert results[("aws_s3_bucket.exports[0]", "GDPR-LOC-001")]["result"] == "fail"
    assert ("aws_dynamodb_table.sessions", "GDPR-SEC-006") not in results
    reason = ("logging.access_logging: DynamoDB access logging is CloudTrail data events, configured outside the "
              "table; a plan does not show it")
    assert report["skipped"] == [  # every rule reading DynamoDB access logging (SEC-006 and, for sensitive, SEC-007)
        {"rule_id": rule, "resource_type": "aws.dynamodb.table", "provider": "terraform", "reason": reason,
         "resources": 1} for rule in ("GDPR-SEC-006", "GDPR-SEC-007")]
    assert not any(f["result"] == "pass" and "unknown" in f["message"] for f in report["findings"])


def test_findings_point_at_the_declaring_tf_line(tmp_path):
    sarif, markdown = tmp_path / "r.sarif", tmp_path / "r.md"
    code, output = run("scan", "--provider", "terraform", "--plan", str(PLAN), "--terraform-dir",
                       str(PLAN.parent), "-f", f"sarif={sarif}", "-f", f"markdown={markdown}")
    assert code == 1, output
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    places = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]:
              r["locations"][0]["physicalLocation"] for r in results}
    exports = places["aws_s3_bucket.exports[0]"]
    assert exports["artifactLocation"]["uri"].endswith("fixtures/main/main.tf")
    lines = (PLAN.parent / "main.tf").read_text().splitlines()
    assert lines[exports["region"]["startLine"] - 1] == 'resource "aws_s3_bucket" "exports" {'
    module = places[EU]
    assert module["artifactLocation"]["uri"].endswith("modules/crm/main.tf")
    assert module["region"]["startLine"] == 5
    assert "main.tf:" in markdown.read_text()
