"""The ``mysql`` provider against the real local MariaDB (Znuny-like estate, see conftest)."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

import pymysql
import pytest

from policycheck.errors import ConfigError, CredentialError
from policycheck.model import Unknown
from policycheck.providers.db.mysql.catalog import _encrypted, _like

from .conftest import TODAY, MysqlProvider, _my, by_name, collect, my_config

OLDEST = "retention.oldest_record_age_days"


@pytest.fixture(scope="module")
def znuny(my_estate):
    with pytest.MonkeyPatch.context() as patch:
        from .conftest import MYSQL_PASSWORD

        patch.setenv("POLICYCHECK_MYSQL_PASSWORD", MYSQL_PASSWORD)
        resources, context = collect(MysqlProvider, my_config(my_estate))
    return by_name(resources), context, my_estate


def test_database_and_tables(znuny):
    resources, context, estate = znuny
    db = estate.database
    assert context.problems == []
    assert resources[db].type == "mysql.database"
    assert resources[f"{db}.ticket"].id == f"mysql://127.0.0.1:3306/{db}/ticket"
    assert {f"{db}.{t}" for t in ("ticket", "customer_user", "article", "sessions", "system_data")} <= set(resources)
    assert resources[f"{db}.ticket"].get("tags.data-classification") == "personal"


def test_oldest_record_age_and_refusals(znuny):
    resources, _, estate = znuny
    db = estate.database
    assert resources[f"{db}.ticket"].get(OLDEST) == (TODAY - dt.date(2025, 1, 1)).days
    assert resources[f"{db}.customer_user"].get(OLDEST) == (TODAY - dt.date(2026, 1, 1)).days
    missing = resources[f"{db}.article"].get(OLDEST)
    assert isinstance(missing, Unknown) and f"{db}.article: declared timestamp column 'change_time'" in missing.reason
    unindexed = resources[f"{db}.sessions"].get(OLDEST)
    assert isinstance(unindexed, Unknown) and "without an index on 'create_time'" in unindexed.reason


def test_allow_unindexed(my_estate, mysql_password):
    resources, _ = collect(MysqlProvider, my_config(my_estate, allow_unindexed=True))
    assert by_name(resources)[f"{my_estate.database}.sessions"].get(OLDEST) == 1


def test_accounts_tls_and_public_access(znuny):
    resources, _, estate = znuny
    db = resources[estate.database]
    names = estate.names
    assert db.get("raw.flavour") == "mariadb"
    assert f"{names['anon']}@%" in db.get("raw.accounts_without_password")
    assert f"{names['scan']}@%" not in db.get("raw.accounts_without_password")
    assert {f"{names['scan']}@%", f"{names['anon']}@%"} <= set(db.get("raw.accounts_any_host"))
    without_tls = db.get("raw.accounts_without_tls")
    assert f"{names['scan']}@%" in without_tls and f"{names['tls']}@%" not in without_tls
    assert "mariadb.sys@localhost" not in db.get("raw.accounts_without_password")  # locked
    assert db.get("raw.require_secure_transport") is False
    assert db.get("encryption.in_transit_enforced") is False
    customers = resources[f"{estate.database}.customer_user"]
    assert customers.get("access.public") is True  # a passwordless account on host % can read it
    assert customers.get("access.public_via") == ["no-password"]
    ticket = resources[f"{estate.database}.ticket"]
    assert ticket.get("access.public") is False
    assert f"{names['agent']}@localhost" in ticket.get("raw.readers")  # through the role
    assert f"{names['agent']}@localhost" not in customers.get("raw.readers")
    assert db.get("access.public") is False


def test_at_rest_and_audit(znuny):
    resources, _, estate = znuny
    ticket = resources[f"{estate.database}.ticket"]
    assert ticket.get("raw.encrypted") is False
    assert ticket.get("encryption.at_rest") is False
    assert ticket.get("encryption.key_management") == "none"
    assert ticket.get("logging.access_logging") is False
    assert ticket.get("raw.audit_plugin") is False


@pytest.mark.parametrize(("options", "engine", "default", "expected"), [
    ("`ENCRYPTED`=YES", "InnoDB", False, True),       # MariaDB table option
    ("ENCRYPTION='Y'", "InnoDB", False, True),        # MySQL
    ("", "InnoDB", True, True),                       # innodb_encrypt_tables=ON
    ("`encrypted`=no", "InnoDB", True, False),
    ("", "MyISAM", True, False),
    ("", "InnoDB", False, False),
])
def test_innodb_encryption_options(options, engine, default, expected):
    assert _encrypted(options.replace("`", ""), engine, default) is expected


def test_database_wildcards_in_grants():
    assert _like("znuny\\_%", "znuny_prod") and not _like("znuny\\_%", "znunyXprod")
    assert _like("crm_", "crm1") and not _like("crm_", "crm12")


def test_missing_catalog_privilege_is_unknown_naming_the_grant(my_estate, mysql_password):
    config = my_config(my_estate, dsns=[my_estate.dsn("mysql", user=my_estate.names["noprivs"])])
    resources, _ = collect(MysqlProvider, config)
    db = by_name(resources)[my_estate.database]
    value = db.get("raw.accounts_without_password")
    assert isinstance(value, Unknown)
    assert "permission denied" in value.reason and "GRANT SELECT ON mysql.global_priv" in value.reason
    assert "GRANT SELECT ON mysql.global_priv" in db.get("encryption.in_transit_enforced").reason
    ticket = by_name(resources)[f"{my_estate.database}.ticket"]
    assert isinstance(ticket.get("raw.readers"), Unknown)
    assert "the scanning user cannot see it (it needs SELECT (create_time))" in ticket.get(OLDEST).reason


def test_wrong_password_is_a_clear_error(my_estate, monkeypatch):
    monkeypatch.setenv("POLICYCHECK_MYSQL_PASSWORD", "wrong")
    with pytest.raises(CredentialError, match=r"Access denied.*wrong password, or the account requires TLS") as info:
        collect(MysqlProvider, my_config(my_estate))
    assert "wrong'" not in str(info.value).replace("wrong password", "")


def test_tls_required_by_the_account(my_estate, mysql_password):
    config = my_config(my_estate, dsns=[my_estate.dsn("mysql", user=my_estate.names["tls"])])
    with pytest.raises(CredentialError, match="requires TLS"):
        collect(MysqlProvider, config)


def test_unreachable_server(my_estate, mysql_password):
    started = time.monotonic()
    with pytest.raises(CredentialError, match=r"cannot connect to 127\.0\.0\.1:1"):
        collect(MysqlProvider, my_config(my_estate, dsns=[my_estate.dsn("mysql", port=1)], connect_timeout=2))
    assert time.monotonic() - started < 10


def test_a_dsn_with_a_password_is_refused():
    with pytest.raises(ConfigError) as info:
        MysqlProvider({"dsns": ["mysql://otrs:hunter2@db:3306/otrs"]}, None)
    assert "hunter2" not in str(info.value) and "mysql: dsns[0]" in str(info.value)


def test_statement_timeout_never_hangs(my_estate, mysql_password):
    """Another session holds a write lock on ticket: the scan's min() gives up after the timeout."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        conn = _my(my_estate.database)
        with conn.cursor() as cur:
            cur.execute("LOCK TABLES ticket WRITE")
            locked.set()
            release.wait(20)
            cur.execute("UNLOCK TABLES")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        resources, context = collect(MysqlProvider, my_config(my_estate, statement_timeout=1))
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert elapsed < 15
    ticket = by_name(resources).get(f"{my_estate.database}.ticket")
    reasons = [p.message for p in context.problems] + ([ticket.get(OLDEST).reason] if ticket else [])
    assert any("statement timeout (1 s) exceeded" in r for r in reasons), reasons


#: PyMySQL itself sends SET NAMES (the connection character set): a session setting, not a write.
ALLOWED = re.compile(r"^(SELECT |SHOW GLOBAL VARIABLES |SET NAMES utf8mb4$|"
                     r"SET SESSION TRANSACTION READ ONLY$|"
                     r"SET SESSION (max_statement_time|max_execution_time|lock_wait_timeout) = [0-9.]+$|"
                     r"START TRANSACTION READ ONLY$|COMMIT$)")


def test_only_reads_are_sent(my_estate, mysql_password, monkeypatch):
    """A driver hook records every command PyMySQL sends (the real driver still sends it)."""
    sent: list[str] = []
    original = pymysql.connections.Connection._execute_command

    def record(self, command, sql):
        text = sql.decode() if isinstance(sql, bytes) else sql
        sent.append(text)
        return original(self, command, sql)

    monkeypatch.setattr(pymysql.connections.Connection, "_execute_command", record)
    resources, _ = collect(MysqlProvider, my_config(my_estate, allow_unindexed=True))
    assert resources
    assert len(sent) >= 10
    assert [s for s in sent if not ALLOWED.match(s)] == []
    assert any(s.startswith("SELECT MIN(`create_time`)") for s in sent)
