"""logging.audit_log on RDS: the engine's audit log among the exported logs, not just any log (issue 12)."""

from __future__ import annotations

import pytest

from policycheck.providers.aws.rds_audit import audit_log, preloads

AUDIT = {"aws.rds.instance": {"logging.audit_log", "logging.access_logging"},
         "aws.rds.cluster": {"logging.audit_log"}}


def parameter_group(rds, name, family, parameters=None):
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family, Description=name)
    if parameters:
        rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=[
            {"ParameterName": k, "ParameterValue": v, "ApplyMethod": "pending-reboot"} for k, v in parameters.items()])


def instance(rds, name, **extra):
    settings = {"Engine": "postgres", "EngineVersion": "16.3", "DBInstanceClass": "db.t3.micro",
                "MasterUsername": "admin_user", "MasterUserPassword": "password-123", "AllocatedStorage": 20}
    rds.create_db_instance(DBInstanceIdentifier=name, **{**settings, **extra})


def test_audit_log_of_each_engine(aws, collect):
    rds = aws.client("rds", region_name="eu-central-1")
    parameter_group(rds, "pgaudit", "postgres16", {"shared_preload_libraries": "pg_stat_statements,pgaudit",
                                                   "pgaudit.log": "read,write"})
    parameter_group(rds, "plain", "postgres16", {"shared_preload_libraries": "pg_stat_statements"})
    instance(rds, "crm-audited", DBParameterGroupName="pgaudit", EnableCloudwatchLogsExports=["postgresql"])
    instance(rds, "crm-plain-log", DBParameterGroupName="plain", EnableCloudwatchLogsExports=["postgresql"])
    instance(rds, "crm-no-export", DBParameterGroupName="pgaudit")
    instance(rds, "shop-audit", Engine="mysql", EngineVersion="8.0.35", EnableCloudwatchLogsExports=["audit", "error"])
    instance(rds, "shop-errors", Engine="mariadb", EngineVersion="10.11.6", EnableCloudwatchLogsExports=["error"])
    instance(rds, "billing", Engine="sqlserver-se", EngineVersion="16.00.4095.4.v1", LicenseModel="license-included",
             EnableCloudwatchLogsExports=["agent", "error"])
    found = {r.name: r for r in collect({"regions": ["eu-central-1"]}, AUDIT)}
    assert found["crm-audited"].get("logging.audit_log") is True
    # any export made logging.access_logging true; only the audit log counts for logging.audit_log
    assert found["crm-plain-log"].get("logging.access_logging") is True
    assert found["crm-plain-log"].get("logging.audit_log") is False
    assert found["crm-no-export"].get("logging.audit_log") is False
    assert found["shop-audit"].get("logging.audit_log") is True
    assert found["shop-errors"].get("logging.access_logging") is True
    assert found["shop-errors"].get("logging.audit_log") is False
    unknown = found["billing"].get("logging.audit_log")
    assert type(unknown).__name__ == "Unknown" and "sqlserver-se" in unknown.reason


def test_aurora_cluster_audit_export(aws, collect):
    rds = aws.client("rds", region_name="eu-west-1")
    for name, exports in [("tickets", ["audit", "slowquery"]), ("reports", ["slowquery"])]:
        rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-mysql", MasterUsername="admin_user",
                              MasterUserPassword="password-123", EnableCloudwatchLogsExports=exports)
    found = {r.name: r for r in collect({"regions": ["eu-west-1"]}, AUDIT)}
    assert found["tickets"].get("logging.audit_log") is True
    assert found["reports"].get("logging.audit_log") is False


@pytest.mark.parametrize(("engine", "export", "library"), [
    ("postgres", "postgresql", "pgaudit"), ("aurora-postgresql", "postgresql", "pgaudit"),
    ("mysql", "audit", None), ("mariadb", "audit", None), ("aurora-mysql", "audit", None),
    ("oracle-ee", "audit", None), ("oracle-se2-cdb", "audit", None),
])
def test_audit_log_table(engine, export, library):
    rule = audit_log(engine)
    assert rule.export == export and rule.library == library


@pytest.mark.parametrize("engine", ["sqlserver-ee", "db2-se", "postgresql", "", "custom-oracle-ee"])
def test_engines_without_an_exported_audit_log(engine):
    assert audit_log(engine) is None


@pytest.mark.parametrize(("value", "loaded"), [
    ("pgaudit", True), ("pg_stat_statements, PGAUDIT", True), ("pg_stat_statements", False),
    ("pgaudit_extra", False), (None, False), ("", False),
])
def test_preloads(value, loaded):
    assert preloads(value, "pgaudit") is loaded
