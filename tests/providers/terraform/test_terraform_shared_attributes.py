"""retention.lock_days, access.external_principals and logging.audit_log from a plan, through the CLI.

Plans in Terraform's documented JSON Output Format (developer.hashicorp.com/terraform/internals/json-format);
argument names from the AWS and Google provider documentation (aws_s3_bucket_object_lock_configuration,
aws_s3_bucket_acl access_control_policy, aws_db_parameter_group parameter, google_storage_bucket_iam_member).
"""

from __future__ import annotations

import json

import pytest

from .conftest import run

OTHER = "210987654321"
OWN = "123456789012"
OWNER_ID = "a" * 64
PARTNER_ID = "b" * 64
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Processor", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{OTHER}:root",
                                                              f"arn:aws:iam::{OWN}:role/app"]},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-tickets/*"},
    {"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::acme-tickets/*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-partner1234"}}},
    {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::acme-tickets", "arn:aws:s3:::acme-tickets/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def change(address: str, after: dict, unknown: dict | None = None, actions: tuple[str, ...] = ("create",)) -> dict:
    kind, name = address.split(".")[-2:]
    return {"address": address, "mode": "managed", "type": kind, "name": name,
            "change": {"actions": list(actions), "before": None, "after": after, "after_unknown": unknown or {}}}


def config(address: str, expressions: dict | None = None, provider: str = "aws") -> dict:
    kind, name = address.split(".")[-2:]
    return {"address": address, "mode": "managed", "type": kind, "name": name, "provider_config_key": provider,
            "expressions": expressions or {}}


def ref(*addresses: str) -> dict:
    return {"references": [part for a in addresses for part in (f"{a}.id", a)]}


def plan(changes: list[dict], configs: list[dict], region: dict | None = None) -> dict:
    aws = {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}
    if region is not None:
        aws["expressions"] = {"region": region}
    return {"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": changes,
            "configuration": {"provider_config": {"aws": aws, "google": {"name": "google"}},
                              "root_module": {"resources": configs}}}


def described() -> dict:
    """A bucket, a table, a PostgreSQL instance and a GCS bucket, each with everything the mapping reads."""
    bucket = "aws_s3_bucket.tickets"
    changes = [
        change(bucket, {"bucket": "acme-tickets", "object_lock_enabled": True, "tags_all": {}},
               {"id": True, "arn": True}),
        change("aws_s3_bucket_object_lock_configuration.tickets", {"rule": [{"default_retention": [
            {"mode": "GOVERNANCE", "days": None, "years": 1}]}]}, {"bucket": True}),
        change("aws_s3_bucket_ownership_controls.tickets", {"rule": [{"object_ownership": "BucketOwnerPreferred"}]},
               {"bucket": True}),
        change("aws_s3_bucket_acl.tickets", {"acl": None, "access_control_policy": [{
            "owner": [{"id": OWNER_ID, "display_name": None}],
            "grant": [{"permission": "FULL_CONTROL", "grantee": [{"type": "CanonicalUser", "id": OWNER_ID}]},
                      {"permission": "READ", "grantee": [{"type": "CanonicalUser", "id": PARTNER_ID}]}]}]},
               {"bucket": True}),
        change("aws_s3_bucket_policy.tickets", {"policy": json.dumps(POLICY)}, {"bucket": True}),
        change("aws_s3_bucket_logging.tickets", {"target_bucket": "acme-logs", "target_prefix": "tickets/"},
               {"bucket": True}),
        change("aws_dynamodb_table.sessions", {"name": "sessions", "server_side_encryption": [{"enabled": True}],
                                               "point_in_time_recovery": [{"enabled": True}], "ttl": [], "replica": [],
                                               "tags_all": {}}, {"arn": True, "id": True}),
        change("aws_db_parameter_group.pg", {"name": "tickets-pg16", "family": "postgres16", "parameter": [
            {"name": "rds.force_ssl", "value": "1", "apply_method": "immediate"},
            {"name": "shared_preload_libraries", "value": "pg_stat_statements,pgaudit",
             "apply_method": "pending-reboot"}]}),
        change("aws_db_instance.tickets", {"identifier": "tickets", "engine": "postgres", "engine_version": "16.3",
                                           "storage_encrypted": True, "parameter_group_name": "tickets-pg16",
                                           "enabled_cloudwatch_logs_exports": ["postgresql"], "tags_all": {}},
               {"arn": True}),
        change("google_storage_bucket.transcripts", {"name": "acme-transcripts", "project": "acme-support",
                                                     "location": "EU", "uniform_bucket_level_access": True,
                                                     "terraform_labels": {}}),
        change("google_storage_bucket_iam_member.partner", {"role": "roles/storage.objectViewer",
                                                            "member": "user:agent@partner.example"}),
        change("google_storage_bucket_iam_member.staff", {"role": "roles/storage.objectViewer",
                                                          "member": "group:support@acme.example"}),
    ]
    configs = [config(bucket)] + [config(c["address"], {"bucket": ref(bucket)}) for c in changes[1:6]] + [
        config("aws_dynamodb_table.sessions"), config("aws_db_parameter_group.pg"),
        config("aws_db_instance.tickets", {"parameter_group_name": ref("aws_db_parameter_group.pg")}),
        config("google_storage_bucket.transcripts", provider="google"),
        config("google_storage_bucket_iam_member.partner", {"bucket": ref("google_storage_bucket.transcripts")},
               "google"),
        config("google_storage_bucket_iam_member.staff", {"bucket": ref("google_storage_bucket.transcripts")},
               "google")]
    return plan(changes, configs, {"constant_value": "eu-central-1"})



@pytest.fixture
def settings_file(tmp_path):
    path = tmp_path / "policycheck.yaml"
    path.write_text(f"providers:\n  terraform:\n    allowed_accounts: ['{OWN}', '{OWNER_ID}']\n"
                    "    allowed_domains: [acme.example]\n")
    return path


def test_described_resources_map_the_shared_attributes(collect, write_plan, settings_file):
    resources = collect(write_plan(described()), extra=("--config", str(settings_file)))
    bucket = resources["aws_s3_bucket.tickets"]["attributes"]
    assert bucket["retention.lock_days"] == 365  # years = 1, as the aws provider counts it
    assert bucket["access.external_principals"] == [OTHER, PARTNER_ID, "o-partner1234"]
    assert bucket["logging.audit_log"] is None
    table = resources["aws_dynamodb_table.sessions"]["attributes"]
    assert (table["retention.lock_days"], table["access.external_principals"], table["logging.audit_log"]) == (
        0, [], None)
    db = resources["aws_db_instance.tickets"]["attributes"]
    assert (db["retention.lock_days"], db["access.external_principals"], db["logging.audit_log"]) == (0, [], True)
    gcs = resources["google_storage_bucket.transcripts"]["attributes"]
    assert gcs["access.external_principals"] == ["user:agent@partner.example"]
    assert gcs["retention.lock_days"] == 0


def test_without_allowed_settings_own_ids_count_as_external(collect, write_plan):
    resources = collect(write_plan(described()))
    assert OWN in resources["aws_s3_bucket.tickets"]["attributes"]["access.external_principals"]
    assert "group:support@acme.example" in resources["google_storage_bucket.transcripts"]["attributes"][
        "access.external_principals"]


def test_builtin_pack_derives_every_attribute_of_described_resources(tmp_path, write_plan, settings_file):
    out = tmp_path / "report.json"
    code, output = run("scan", "--provider", "terraform", "--plan", str(write_plan(described())), "--config",
                       str(settings_file), "-f", f"json={out}")
    assert code in (0, 1), output
    findings = json.loads(out.read_text())["findings"]
    assert {f["resource"]["id"] for f in findings} >= {"aws_s3_bucket.tickets", "aws_dynamodb_table.sessions",
                                                       "aws_db_instance.tickets", "google_storage_bucket.transcripts"}
    assert [f["message"] for f in findings if "not derived from the plan" in f["message"]] == []


def _existing_bucket(after: dict) -> dict:
    return plan([change("aws_s3_bucket.old", {"bucket": "acme-old", "arn": "arn:aws:s3:::acme-old",
                                              "region": "eu-central-1", "tags_all": {}, **after},
                        actions=("no-op",))], [config("aws_s3_bucket.old")])


def test_existing_bucket_lock_days_unknown_unless_the_plan_shows_it(collect, write_plan):
    unknown = collect(write_plan(_existing_bucket({})))["aws_s3_bucket.old"]
    assert "Object Lock configuration is not in the plan" in unknown["unknown"]["retention.lock_days"]
    shown = collect(write_plan(_existing_bucket({"object_lock_enabled": False})))["aws_s3_bucket.old"]
    assert shown["attributes"]["retention.lock_days"] == 0
    created = collect(write_plan(plan([change("aws_s3_bucket.new", {"bucket": "n", "tags_all": {}})],
                                      [config("aws_s3_bucket.new")])))["aws_s3_bucket.new"]
    assert created["attributes"]["retention.lock_days"] == 0  # no object_lock_enabled: S3's default, no lock


def test_legacy_acl_grant_without_owner_is_unknown_until_declared(collect, write_plan, tmp_path):
    grant = {"grant": [{"id": OWNER_ID, "type": "CanonicalUser", "uri": "", "permissions": ["FULL_CONTROL"]}]}
    path = write_plan(_existing_bucket(grant))
    bucket = collect(path)["aws_s3_bucket.old"]
    assert "perhaps the bucket owner" in bucket["unknown"]["access.external_principals"]
    settings = tmp_path / "own.yaml"
    settings.write_text(f"providers:\n  terraform:\n    allowed_accounts: ['{OWNER_ID}']\n")
    bucket = collect(path, extra=("--config", str(settings)))["aws_s3_bucket.old"]
    assert bucket["attributes"]["access.external_principals"] == []


def test_unknown_policy_document_stays_unknown(collect, write_plan):
    document = plan([change("aws_s3_bucket.b", {"bucket": "b", "tags_all": {}}),
                     change("aws_s3_bucket_policy.b", {}, {"bucket": True, "policy": True})],
                    [config("aws_s3_bucket.b"), config("aws_s3_bucket_policy.b", {"bucket": ref("aws_s3_bucket.b")})],
                    {"constant_value": "eu-central-1"})
    bucket = collect(write_plan(document))["aws_s3_bucket.b"]
    assert "known only after apply" in bucket["unknown"]["access.external_principals"]


def _database(engine: str, exports: list[str], group: str | None = None, extra: list[dict] | None = None) -> dict:
    after = {"identifier": "db", "engine": engine, "engine_version": "8.0.36", "enabled_cloudwatch_logs_exports":
             exports, "parameter_group_name": group, "tags_all": {}}
    return plan([change("aws_db_instance.db", after), *(extra or [])], [config("aws_db_instance.db")],
                {"constant_value": "eu-central-1"})


@pytest.mark.parametrize(("engine", "exports", "group", "expected"), [
    ("mysql", ["audit", "error"], None, True),
    ("mariadb", ["error"], None, False),
    ("postgres", ["postgresql"], None, False),  # the engine's default group does not preload pgaudit
    ("postgres", ["postgresql"], "default.postgres16", False),
])
def test_rds_audit_log_by_engine(collect, write_plan, engine, exports, group, expected):
    db = collect(write_plan(_database(engine, exports, group)))["aws_db_instance.db"]
    assert db["attributes"]["logging.audit_log"] is expected


@pytest.mark.parametrize(("engine", "exports", "group", "reason"), [
    ("postgres", ["postgresql"], "custom-pg", "parameter group 'custom-pg' is not in the plan"),
    ("sqlserver-se", ["error"], None, "exports no audit log"),
])
def test_rds_audit_log_unknown(collect, write_plan, engine, exports, group, reason):
    db = collect(write_plan(_database(engine, exports, group)))["aws_db_instance.db"]
    assert reason in db["unknown"]["logging.audit_log"]


def test_rds_audit_log_exports_known_only_after_apply(collect, write_plan):
    document = _database("mysql", [])
    document["resource_changes"][0]["change"]["after"].pop("enabled_cloudwatch_logs_exports")
    document["resource_changes"][0]["change"]["after_unknown"] = {"enabled_cloudwatch_logs_exports": True}
    document["configuration"]["root_module"]["resources"][0]["expressions"] = {
        "enabled_cloudwatch_logs_exports": {"references": ["var.exports"]}}
    db = collect(write_plan(document))["aws_db_instance.db"]
    assert "known only after apply" in db["unknown"]["logging.audit_log"]


def test_bad_allowed_accounts_is_one_line(tmp_path, write_plan):
    settings = tmp_path / "bad.yaml"
    settings.write_text("providers:\n  terraform:\n    allowed_accounts: ['12345']\n")
    code, output = run("scan", "--provider", "terraform", "--plan", str(write_plan(described())), "--config",
                       str(settings))
    assert code == 2, output
    assert "allowed_accounts" in output and len(output.strip().splitlines()) == 1 and "Traceback" not in output


def test_provider_without_region_names_the_reason_in_one_line(tmp_path, write_plan):
    """As `terraform plan` writes it when AWS_REGION came from the environment: the provider block sets nothing."""
    document = described()
    document["configuration"]["provider_config"]["aws"].pop("expressions")
    out = tmp_path / "report.json"
    code, output = run("scan", "--provider", "terraform", "--plan", str(write_plan(document)), "-f", f"json={out}")
    assert code == 1, output
    findings = json.loads(out.read_text())["findings"]
    located = [f for f in findings if f["resource"]["id"] == "aws_s3_bucket.tickets" and f["result"] == "error"
               and "region" in f["message"]]
    assert located, [f["message"] for f in findings]
    for finding in located:
        assert "\n" not in finding["message"]
        assert "provider 'aws' sets no region in the configuration (it came from the environment at plan time)" \
            in finding["message"]
    assert all("\n" not in f["message"] for f in findings)
