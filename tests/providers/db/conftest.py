"""Real PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306) estates for the database providers.

Each test session creates its own databases, roles and tables (Zammad- and Znuny-like
schemas with personal tables and stale rows) under a random suffix, and drops them after.
No driver is mocked: every test talks to the real servers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

psycopg = pytest.importorskip("psycopg")
pymysql = pytest.importorskip("pymysql")

from policycheck.model import Resource  # noqa: E402
from policycheck.provider import CollectPlan, ProviderContext  # noqa: E402
from policycheck.providers.db import MysqlProvider, PostgresProvider  # noqa: E402

#: Ages are counted to this day: 2025-01-01 is 516 days before it.
TODAY = dt.date(2026, 6, 1)
SUFFIX = uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Estate:
    database: str
    scanner: str
    names: dict[str, str]  # role/account names by purpose

    def dsn(self, engine: str, user: str | None = None, port: int | None = None) -> str:
        scheme, default = ("postgresql", 5432) if engine == "postgres" else ("mysql", 3306)
        return f"{scheme}://{user or self.scanner}@127.0.0.1:{port or default}/{self.database}"


def collect(provider_cls: type, config: dict[str, Any], plan: CollectPlan | None = None) -> tuple[list[Resource],
                                                                                                    ProviderContext]:
    context = ProviderContext(evaluation_date=TODAY)
    provider = provider_cls(config, context)
    return list(provider.collect(plan or CollectPlan())), context


def by_name(resources: list[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}


def _server_up(connect: Any) -> bool:
    try:
        connect().close()
        return True
    except Exception:
        return False


# -- PostgreSQL --------------------------------------------------------------------------------
def _pg(dbname: str = "postgres") -> Any:
    return psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname=dbname, autocommit=True,
                           connect_timeout=5)


PG_SCHEMA = """
CREATE TABLE tickets (id serial PRIMARY KEY, title text, customer_email text, created_at timestamptz NOT NULL);
CREATE INDEX tickets_created_at ON tickets (created_at);
INSERT INTO tickets (title, customer_email, created_at) VALUES
  ('Refund', 'anna@example.org', '2025-01-01 08:00+00'),
  ('Address change', 'ben@example.org', '2026-05-20 09:00+00');
CREATE TABLE users (id serial PRIMARY KEY, email text, created_at timestamptz NOT NULL);
CREATE INDEX ON users (created_at);
INSERT INTO users (email, created_at) VALUES ('anna@example.org', '2025-01-01 00:00+00');
COMMENT ON TABLE users IS
  'Agents and customers. policycheck: data-classification=personal retention-days=730 timestamp-column=created_at';
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE TABLE online_notifications (id serial PRIMARY KEY, created_at timestamptz NOT NULL);
INSERT INTO online_notifications (created_at) VALUES ('2020-01-01');
COMMENT ON TABLE online_notifications IS
  'policycheck: data-classification=personal retention-days=90 timestamp-column=created_at';
CREATE TABLE chat_messages (id serial PRIMARY KEY, created_at timestamptz);
COMMENT ON TABLE chat_messages IS
  'policycheck: data-classification=personal retention-days=30 timestamp-column=inserted_at';
CREATE TABLE ticket_articles (id serial PRIMARY KEY, body text, created_at timestamptz);
CREATE INDEX ON ticket_articles (created_at);
INSERT INTO ticket_articles (body, created_at) VALUES ('hello', '2026-05-01'), ('lost date', NULL);
COMMENT ON TABLE ticket_articles IS
  'policycheck: data-classification=personal retention-days=365 timestamp-column=created_at';
CREATE TABLE histories (id serial PRIMARY KEY, created_at date);
CREATE INDEX ON histories (created_at);
COMMENT ON TABLE histories IS
  'policycheck: data-classification=personal retention-days=30 timestamp-column=created_at';
CREATE TABLE settings (id serial PRIMARY KEY, name text);
"""


@pytest.fixture(scope="session")
def pg_estate() -> Iterator[Estate]:
    if not _server_up(_pg):
        pytest.fail("PostgreSQL is not running on 127.0.0.1:5432 (the machine starts it before tests)")
    names = {k: f"pc_{k}_{SUFFIX}" for k in ("scan", "agents", "agent", "noprivs")}
    database = f"pc_zammad_{SUFFIX}"
    admin = _pg()
    admin.execute(f"CREATE DATABASE {database}")
    for key in ("scan", "agent", "noprivs"):
        admin.execute(f"CREATE ROLE {names[key]} LOGIN")
    admin.execute(f"CREATE ROLE {names['agents']} NOLOGIN")
    admin.execute(f"GRANT {names['agents']} TO {names['agent']}")
    admin.execute(f"ALTER ROLE {names['scan']} SET log_statement = 'all'")
    scan = names["scan"]
    admin.execute(f"GRANT pg_read_all_settings TO {scan}")
    with _pg(database) as db:  # catalog views are per database: grant where the DSN connects
        db.execute(f"GRANT SELECT ON pg_catalog.pg_hba_file_rules TO {scan}")
        db.execute(f"GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO {scan}")
        db.execute(PG_SCHEMA)
        db.execute(f"GRANT SELECT ON users TO {names['agents']}")
        db.execute("GRANT SELECT ON settings TO PUBLIC")
        for table in ("tickets", "users", "online_notifications", "chat_messages", "ticket_articles", "histories"):
            db.execute(f"GRANT SELECT (created_at) ON {table} TO {scan}")
    try:
        yield Estate(database, scan, names)
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        for key in ("agent", "agents", "scan", "noprivs"):
            admin.execute(f"DROP ROLE IF EXISTS {names[key]}")
        admin.close()


def pg_config(estate: Estate, **extra: Any) -> dict[str, Any]:
    return {"dsns": [estate.dsn("postgres")], "databases": [estate.database], "country": "DE",
            "tables": {f"{estate.database}.public.tickets": {
                "data-classification": "personal", "retention-days": 365, "timestamp-column": "created_at"}},
            **extra}


# -- MariaDB / MySQL ---------------------------------------------------------------------------
MYSQL_PASSWORD = f"pw-{SUFFIX}"


def _my(database: str | None = None) -> Any:
    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", database=database,
                           autocommit=True, connect_timeout=5)


MY_SCHEMA = [
    "CREATE TABLE ticket (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(200), create_time DATETIME NOT NULL, "
    "KEY ticket_create_time (create_time)) ENGINE=InnoDB "
    "COMMENT='policycheck: data-classification=personal retention-days=365 timestamp-column=create_time'",
    "INSERT INTO ticket (title, create_time) VALUES ('Refund', '2025-01-01 08:00:00'), "
    "('Parcel', '2026-05-30 10:00:00')",
    "CREATE TABLE customer_user (id INT PRIMARY KEY, email VARCHAR(200), create_time DATETIME NOT NULL, "
    "KEY (create_time)) COMMENT='policycheck: data-classification=personal retention-days=730 "
    "timestamp-column=create_time'",
    "INSERT INTO customer_user VALUES (1, 'anna@example.org', '2026-01-01 00:00:00')",
    "CREATE TABLE article (id INT PRIMARY KEY, body TEXT, create_time DATETIME) "
    "COMMENT='policycheck: data-classification=personal retention-days=365 timestamp-column=change_time'",
    "CREATE TABLE sessions (id INT PRIMARY KEY, create_time DATETIME NOT NULL) "
    "COMMENT='policycheck: data-classification=personal retention-days=1 timestamp-column=create_time'",
    "INSERT INTO sessions VALUES (1, '2026-05-31 00:00:00')",
    "CREATE TABLE system_data (data_key VARCHAR(100) PRIMARY KEY, data_value TEXT)",
]


def scanner_grants(account: str, database: str) -> list[str]:
    """The minimal grants ``policycheck permissions`` prints for MariaDB, for the test estate."""
    return [f"GRANT SELECT ON mysql.global_priv TO {account}", f"GRANT SELECT ON mysql.user TO {account}",
            f"GRANT SELECT ON mysql.db TO {account}", f"GRANT SELECT ON mysql.tables_priv TO {account}",
            f"GRANT SELECT ON mysql.roles_mapping TO {account}", f"GRANT SHOW VIEW ON `{database}`.* TO {account}",
            *(f"GRANT SELECT (create_time) ON `{database}`.`{t}` TO {account}"
              for t in ("ticket", "customer_user", "sessions"))]


@pytest.fixture(scope="session")
def my_estate() -> Iterator[Estate]:
    if not _server_up(_my):
        pytest.fail("MariaDB is not running on 127.0.0.1:3306 (the machine starts it before tests)")
    names = {k: f"pc_{k}_{SUFFIX}" for k in ("scan", "tls", "anon", "agent", "agents", "noprivs")}
    database = f"pc_znuny_{SUFFIX}"
    admin = _my()
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{database}`")
        cur.execute(f"USE `{database}`")
        for statement in MY_SCHEMA:
            cur.execute(statement)
        scan = f"'{names['scan']}'@'%'"
        for statement in (
            f"CREATE USER {scan} IDENTIFIED BY '{MYSQL_PASSWORD}'",
            *scanner_grants(scan, database),
            f"CREATE USER '{names['tls']}'@'%' IDENTIFIED BY '{MYSQL_PASSWORD}' REQUIRE SSL",
            f"CREATE USER '{names['anon']}'@'%'",  # no password, any host: public
            f"GRANT SELECT ON `{database}`.customer_user TO '{names['anon']}'@'%'",
            f"CREATE ROLE {names['agents']}",
            f"GRANT SELECT ON `{database}`.ticket TO {names['agents']}",
            f"CREATE USER '{names['agent']}'@'localhost' IDENTIFIED BY '{MYSQL_PASSWORD}'",
            f"GRANT {names['agents']} TO '{names['agent']}'@'localhost'",
            f"CREATE USER '{names['noprivs']}'@'%' IDENTIFIED BY '{MYSQL_PASSWORD}'",
            f"GRANT SHOW VIEW ON `{database}`.* TO '{names['noprivs']}'@'%'",
        ):
            cur.execute(statement)
    try:
        yield Estate(database, names["scan"], names)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
            for key, host in (("scan", "%"), ("tls", "%"), ("anon", "%"), ("agent", "localhost"), ("noprivs", "%")):
                cur.execute(f"DROP USER IF EXISTS '{names[key]}'@'{host}'")
            cur.execute(f"DROP ROLE IF EXISTS {names['agents']}")
        admin.close()


@pytest.fixture
def mysql_password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("POLICYCHECK_MYSQL_PASSWORD", MYSQL_PASSWORD)
    return MYSQL_PASSWORD


def my_config(estate: Estate, **extra: Any) -> dict[str, Any]:
    return {"dsns": [estate.dsn("mysql")], "databases": [estate.database], "country": "DE", **extra}


__all__ = ["TODAY", "Estate", "MysqlProvider", "PostgresProvider", "by_name", "collect", "my_config", "pg_config"]
