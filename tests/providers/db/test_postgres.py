"""The ``postgres`` provider against the real local server (Zammad-like estate, see conftest)."""

from __future__ import annotations

import glob
import re
import threading
import time

import pytest

from policycheck.errors import ConfigError, CredentialError
from policycheck.model import Unknown

from .conftest import TODAY, PostgresProvider, _pg, by_name, collect, pg_config

OLDEST = "retention.oldest_record_age_days"


@pytest.fixture(scope="module")
def zammad(pg_estate):
    resources, context = collect(PostgresProvider, pg_config(pg_estate))
    return by_name(resources), context, pg_estate


def test_database_and_tables_are_resources_with_ids_per_server(zammad):
    resources, context, estate = zammad
    db = estate.database
    assert context.problems == []
    assert resources[db].type == "postgres.database"
    assert resources[db].id == f"postgres://127.0.0.1:5432/{db}"
    tickets = resources[f"{db}.public.tickets"]
    assert (tickets.type, tickets.account) == ("postgres.table", "127.0.0.1:5432")
    assert tickets.id == f"postgres://127.0.0.1:5432/{db}/public.tickets"
    assert {f"{db}.public.{t}" for t in ("tickets", "users", "online_notifications", "chat_messages",
                                          "ticket_articles", "histories", "settings")} <= set(resources)


def test_tags_from_comments_and_from_the_config_mapping(zammad):
    resources, _, estate = zammad
    users = resources[f"{estate.database}.public.users"]
    assert users.get("tags.data-classification") == "personal"
    assert users.get("tags.retention-days") == "730"
    tickets = resources[f"{estate.database}.public.tickets"]  # no comment: Zammad's schema, tagged in the config
    assert tickets.get("tags.retention-days") == "365"
    assert tickets.get("raw.timestamp_column") == "created_at"
    assert resources[f"{estate.database}.public.settings"].get("tags.data-classification") is None


def test_oldest_record_age_is_read_in_the_data(zammad):
    resources, _, estate = zammad
    name = f"{estate.database}.public."
    assert resources[name + "tickets"].get(OLDEST) == (TODAY - __import__("datetime").date(2025, 1, 1)).days == 516
    assert resources[name + "histories"].get(OLDEST) == 0  # empty table: nothing too old


@pytest.mark.parametrize(("table", "reason"), [
    ("online_notifications", "refused to read min(created_at) without an index on 'created_at'"),
    ("chat_messages", "declared timestamp column 'inserted_at' does not exist"),
    ("ticket_articles", "some rows have no created_at"),
    ("settings", "declares no retention-days and timestamp-column"),
    # RLS without a policy for the scanner: min() would see no row and report an empty, compliant table
    ("users", "row-level security may hide rows from the scanning role"),
])
def test_retention_that_cannot_be_proven_is_unknown_naming_the_table(zammad, table, reason):
    resources, _, estate = zammad
    value = resources[f"{estate.database}.public.{table}"].get(OLDEST)
    assert isinstance(value, Unknown)
    assert reason in value.reason
    if table != "settings":
        assert f"{estate.database}.public.{table}" in value.reason


def test_allow_unindexed_reads_the_unindexed_table(pg_estate):
    resources, _ = collect(PostgresProvider, pg_config(pg_estate, allow_unindexed=True))
    assert by_name(resources)[f"{pg_estate.database}.public.online_notifications"].get(OLDEST) == \
        (TODAY - __import__("datetime").date(2020, 1, 1)).days


def test_access_control_facts_per_table(zammad):
    resources, _, estate = zammad
    users = resources[f"{estate.database}.public.users"]
    # granted to a NOLOGIN role: its login member can read; the owner too
    assert users.get("raw.readers") == sorted([estate.names["agent"], "postgres"])
    assert users.get("raw.row_level_security") is True
    assert users.get("raw.public_grant") is False
    settings = resources[f"{estate.database}.public.settings"]
    assert settings.get("raw.public_grant") is True
    assert "PUBLIC" in settings.get("raw.readers")


def test_server_facts_in_transit_authentication_logging(zammad):
    resources, _, estate = zammad
    db = resources[estate.database]
    # the local server: ssl off, plain host lines with trust from 127.0.0.1
    assert db.get("raw.ssl") is False
    assert db.get("encryption.in_transit_enforced") is False
    assert db.get("raw.hostssl_only") is False
    assert any("host" in line and "127.0.0.1" in line for line in db.get("raw.trust_lines"))
    assert db.get("access.public") is False  # trust only from loopback
    assert db.get("raw.password_encryption") == "scram-sha-256"
    assert db.get("raw.log_connections") is False
    assert db.get("raw.pgaudit") is False
    assert db.get("logging.access_logging") is False
    assert db.get("location.jurisdiction") == "EU"


def test_no_tde_so_at_rest_is_unknown_unless_declared(zammad, pg_estate):
    resources, _, estate = zammad
    assert isinstance(resources[estate.database].get("encryption.at_rest"), Unknown)
    declared, _ = collect(PostgresProvider, pg_config(pg_estate, encryption_at_rest=True))
    assert by_name(declared)[estate.database].get("encryption.at_rest") is True


def test_missing_catalog_privilege_is_unknown_naming_the_grant(pg_estate):
    config = pg_config(pg_estate, dsns=[pg_estate.dsn("postgres", user=pg_estate.names["noprivs"])])
    resources, _ = collect(PostgresProvider, config)
    db = by_name(resources)[pg_estate.database]
    value = db.get("encryption.in_transit_enforced")
    assert isinstance(value, Unknown)
    assert "permission denied" in value.reason and "GRANT SELECT ON pg_catalog.pg_hba_file_rules" in value.reason
    assert "pg_read_all_settings" in db.get("logging.access_logging").reason
    assert "pg_authid" in db.get("raw.accounts_without_password").reason
    tickets = by_name(resources)[f"{pg_estate.database}.public.tickets"]
    assert "permission denied" in tickets.get(OLDEST).reason  # no SELECT (created_at) for this role


def test_statement_timeout_makes_the_age_unknown_and_never_hangs(pg_estate):
    """Another session holds an exclusive lock on tickets: min() waits until the statement timeout."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with _pg(pg_estate.database) as conn:
            conn.autocommit = False
            conn.execute("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(20)
            conn.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        resources, _ = collect(PostgresProvider, pg_config(pg_estate, statement_timeout=0.5))
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    value = by_name(resources)[f"{pg_estate.database}.public.tickets"].get(OLDEST)
    assert isinstance(value, Unknown) and "statement timeout (0.5 s) exceeded" in value.reason
    assert elapsed < 10


def test_unreachable_server_is_a_clear_error(pg_estate):
    config = pg_config(pg_estate, dsns=[pg_estate.dsn("postgres", port=1)], connect_timeout=2)
    with pytest.raises(CredentialError, match=r"cannot connect to 127\.0\.0\.1:1/"):
        collect(PostgresProvider, config)


def test_one_unreachable_server_of_two_is_a_collection_problem(pg_estate):
    config = pg_config(pg_estate, dsns=[pg_estate.dsn("postgres"), pg_estate.dsn("postgres", port=1)],
                       connect_timeout=2)
    resources, context = collect(PostgresProvider, config)
    assert resources
    assert [p.scope for p in context.problems] == [f"postgresql://{pg_estate.scanner}@127.0.0.1:1/"
                                                        f"{pg_estate.database}"]


def test_a_dsn_with_a_password_is_refused_without_echoing_it():
    with pytest.raises(ConfigError) as info:
        PostgresProvider({"dsns": ["postgresql://app:s3cret-pw@db.internal:5432/zammad"]}, None)
    assert "s3cret-pw" not in str(info.value)
    assert "postgres: dsns[0]" in str(info.value) and "carries a password" in str(info.value)
    with pytest.raises(ConfigError, match="carries a password"):
        PostgresProvider({"dsns": ["postgresql://app@db/zammad?password=x"]}, None)


def test_password_comes_from_the_password_file(pg_estate, tmp_path):
    """Trust auth ignores the password, but the file must be readable: a missing one is a clear error."""
    with pytest.raises(ConfigError, match=r"cannot read the password file .*missing"):
        collect(PostgresProvider, pg_config(pg_estate, password_file=str(tmp_path / "missing")))
    secret = tmp_path / "pw"
    secret.write_text("not-printed\n")
    resources, _ = collect(PostgresProvider, pg_config(pg_estate, password_file=str(secret)))
    assert resources


def _server_log() -> str | None:
    paths = sorted(glob.glob("/var/log/postgresql/postgresql-*-main.log"))
    return paths[-1] if paths else None


ALLOWED = re.compile(r"^(SELECT |SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY$|SHOW transaction_read_only$)",
                     re.IGNORECASE)


def test_only_reads_reach_the_server(pg_estate):
    """The scanning role logs every statement (log_statement = all) into the server log."""
    path = _server_log()
    if path is None:
        pytest.skip("no PostgreSQL server log under /var/log/postgresql")
    with open(path, "rb") as log:
        start = log.seek(0, 2)
    resources, _ = collect(PostgresProvider, pg_config(pg_estate, allow_unindexed=True))
    assert resources
    time.sleep(0.2)
    with open(path, "rb") as log:
        log.seek(start)
        text = log.read().decode("utf-8", "replace")
    marker = f"{pg_estate.scanner}@"
    statements = [line.split("statement: ", 1)[1].strip() for line in text.splitlines()
                  if marker in line and "statement: " in line]
    assert len(statements) >= 10
    offending = [s for s in statements if not ALLOWED.match(s)]
    assert offending == []
    assert any(s.startswith('SELECT min("created_at")') for s in statements)
