"""The retention rule over database tables (and over stores that cannot know), the CLI and permissions."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.engine import evaluate
from policycheck.loader import load_packs
from policycheck.model import Resource, Result
from policycheck.providers.aws.s3 import S3_BUCKET
from policycheck.providers.gcs.schema import BUCKET

from .conftest import TODAY, PostgresProvider, collect, pg_config

#: The built-in GDPR-RET-009 widened to every data store: stores that never read data must give error.
PACK = {
    "apiVersion": "policycheck/v1",
    "kind": "PolicyPack",
    "metadata": {"name": "db-retention-test", "version": "1.0.0"},
    "rules": [{
        "id": "GDPR-RET-004",
        "title": "No record of personal data is older than the declared retention",
        "severity": "high",
        "resources": ["data-store"],
        "when": {"all": [{"attr": "tags.data-classification", "in": ["personal", "sensitive"]},
                         {"attr": "tags.retention-days", "exists": True}]},
        "require": {"attr": "retention.oldest_record_age_days", "lte": {"$attr": "tags.retention-days"}},
        "references": ["GDPR Art. 5(1)(e)", "GDPR Art. 17"],
    }],
}


def _pack(tmp_path):
    path = tmp_path / "retention.yaml"
    path.write_text(yaml.safe_dump(PACK, sort_keys=False))
    return str(path)


def test_the_rule_fails_stale_tables_passes_clean_ones_and_errors_where_unknown(pg_estate, tmp_path):
    rules = [r for p in load_packs(["gdpr-customer-service"]) for r in p.rules if r.id == "GDPR-RET-009"]
    assert rules, "the built-in pack carries the retention-in-the-data rule"
    resources, _ = collect(PostgresProvider, pg_config(pg_estate))
    results = {f.resource.name.rsplit(".", 1)[1]: f.result for f in evaluate(rules, resources, evaluation_date=TODAY)}
    assert results["tickets"] is Result.FAIL            # 516 days > 365: the deletion job stopped
    assert results["histories"] is Result.PASS          # empty
    assert results["online_notifications"] is Result.ERROR  # no index: refused, never a pass
    assert results["chat_messages"] is Result.ERROR     # declared column missing
    assert results["users"] is Result.ERROR             # row-level security hides rows
    assert "settings" not in results                    # no classification: out of scope


def test_stores_that_do_not_read_data_give_error_not_fail_or_crash(tmp_path):
    """S3 and GCS never supply retention.oldest_record_age_days: unknown, so the rule errs for them."""
    rules = [r for p in load_packs([_pack(tmp_path)]) for r in p.rules]
    tags = {"data-classification": "personal", "retention-days": "30"}
    buckets = [Resource(type=S3_BUCKET.name, id="arn:aws:s3:::tickets", name="tickets", provider="aws", tags=tags,
                        group_of=S3_BUCKET.group_of),
               Resource(type=BUCKET.name, id="projects/p/buckets/b", name="b", provider="gcs", tags=tags,
                        group_of=BUCKET.group_of)]
    findings = list(evaluate(rules, buckets, evaluation_date=TODAY))
    assert [f.result for f in findings] == [Result.ERROR, Result.ERROR]
    assert all("does not collect retention.oldest_record_age_days" in f.message for f in findings)


def test_scan_through_the_cli_with_a_config_file(pg_estate, tmp_path):
    config = tmp_path / "policycheck.yaml"
    config.write_text(yaml.safe_dump({"providers": {"postgres": pg_config(pg_estate)}}))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", "--config", str(config), "--policy", _pack(tmp_path),
                                       "--format", "json", "--output", str(out)])
    assert result.exit_code == 1, result.output
    report = json.loads(out.read_text())
    failed = {f["resource"]["name"] for f in report["findings"] if f["result"] == "fail"}
    assert f"{pg_estate.database}.public.tickets" in failed


def test_a_password_in_the_config_file_stops_the_run_without_printing_it(tmp_path):
    config = tmp_path / "policycheck.yaml"
    config.write_text(yaml.safe_dump({"providers": {"postgres": {
        "dsns": ["postgresql://zammad:T0p-Secret@db.internal/zammad"]}}}))
    result = CliRunner().invoke(main, ["scan", "--config", str(config), "--policy", _pack(tmp_path)])
    assert result.exit_code == 2
    assert "carries a password" in result.output and "T0p-Secret" not in result.output


def test_flags_and_permissions_print_minimal_grants(pg_estate, tmp_path):
    # flags reach `permissions` like every other command: the role is the DSN's user
    result = CliRunner().invoke(main, ["permissions", "--policy", _pack(tmp_path), "--provider", "postgres",
                                       "--dsn", pg_estate.dsn("postgres"), "--provider", "mysql",
                                       "--dsn", "mysql://scanner@db.internal/otrs"])
    assert result.exit_code == 0, result.output
    postgres, mysql = result.output.split("-- mysql:")
    assert postgres.startswith("-- postgres: read-only scanning role\n")
    role = pg_estate.scanner
    assert f"GRANT SELECT ON pg_catalog.pg_hba_file_rules TO {role};" in postgres
    assert f"GRANT SELECT (<timestamp-column>) ON <schema>.<table> TO {role}" in postgres
    assert "pg_authid" not in postgres  # the rule does not read raw.accounts_without_password
    assert "GRANT SELECT ON mysql.global_priv" in mysql and "GRANT SHOW VIEW ON `<each database>`.*" in mysql
    assert "INSERT" not in result.output and "UPDATE" not in result.output


def test_one_dsn_flag_routes_each_value_by_its_scheme():
    """--dsn is shared by postgres and mysql: the scheme says whose it is, and names that provider."""
    from policycheck.resolution import resolve

    flags = {"shared_flag_dsn": ("postgresql://scan@pg.internal/zammad", "mariadb://scan@db.internal/otrs",
                                 "postgres://scan@pg2.internal/crm")}
    resolved = resolve(None, flags, read_config=False)
    assert set(resolved.providers) == {"postgres", "mysql"}
    assert resolved.providers["postgres"].dsns == ("postgresql://scan@pg.internal/zammad",
                                                   "postgres://scan@pg2.internal/crm")
    assert resolved.providers["mysql"].dsns == ("mariadb://scan@db.internal/otrs",)
    result = CliRunner().invoke(main, ["scan", "--dsn", "redis://u:hunter2@cache.internal/0"])
    assert result.exit_code == 2
    assert "--dsn: value 1 belongs to no provider (mysql, postgres)" in result.output
    assert "hunter2" not in result.output
