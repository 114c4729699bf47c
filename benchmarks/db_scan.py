"""Scan 1,000 tables across 10 databases on the local PostgreSQL and MariaDB servers.

Creates its own databases (``pcbench_*``), each with tables that declare personal data, a
retention and an indexed timestamp column (a few rows each, some stale), collects them with the
``postgres`` and ``mysql`` providers (every attribute, retention read in the data), and prints
wall time, tables per second and statements per table. Drops everything afterwards.

    python benchmarks/db_scan.py                         # 10 databases x 100 tables, both engines
    python benchmarks/db_scan.py --databases 5 --tables 50 --engine postgres
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.db import MysqlProvider, PostgresProvider

COMMENT = "policycheck: data-classification=personal retention-days=365 timestamp-column=created_at"


def postgres_setup(databases: list[str], tables: int) -> Callable[[], None]:
    import psycopg

    def admin(db: str = "postgres") -> Any:
        return psycopg.connect(host="127.0.0.1", user="postgres", dbname=db, autocommit=True)

    with admin() as conn:
        for db in databases:
            conn.execute(f"DROP DATABASE IF EXISTS {db}")
            conn.execute(f"CREATE DATABASE {db}")
    for db in databases:
        with admin(db) as conn:
            statements = []
            for i in range(tables):
                statements += [f"CREATE TABLE t{i} (id serial PRIMARY KEY, email text, created_at timestamptz "
                               "NOT NULL)",
                               f"CREATE INDEX ON t{i} (created_at)",
                               f"COMMENT ON TABLE t{i} IS '{COMMENT}'",
                               f"INSERT INTO t{i} (email, created_at) VALUES ('a@example.org', now() - interval "
                               f"'{i * 5} days'), ('b@example.org', now())"]
            conn.execute(";".join(statements))

    def teardown() -> None:
        with admin() as conn:
            for db in databases:
                conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    return teardown


def mysql_setup(databases: list[str], tables: int) -> Callable[[], None]:
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    with conn.cursor() as cur:
        for db in databases:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
            cur.execute(f"CREATE DATABASE `{db}`")
            for i in range(tables):
                cur.execute(f"CREATE TABLE `{db}`.t{i} (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100), "
                            f"created_at DATETIME NOT NULL, KEY (created_at)) COMMENT='{COMMENT}'")
                cur.execute(f"INSERT INTO `{db}`.t{i} (email, created_at) VALUES ('a@example.org', "
                            f"NOW() - INTERVAL {i * 5} DAY), ('b@example.org', NOW())")

    def teardown() -> None:
        with conn.cursor() as cur:
            for db in databases:
                cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        conn.close()
    return teardown


ENGINES = {
    "postgres": (PostgresProvider, postgres_setup, "postgresql://postgres@127.0.0.1:5432/postgres"),
    "mysql": (MysqlProvider, mysql_setup, "mysql://root@127.0.0.1:3306"),
}


def run(engine: str, databases: int, tables: int) -> None:
    provider_cls, setup, dsn = ENGINES[engine]
    names = [f"pcbench_{engine}_{i}" for i in range(databases)]
    started = time.monotonic()
    teardown = setup(names, tables)
    print(f"{engine}: built {databases} x {tables} tables in {time.monotonic() - started:.1f} s")
    try:
        provider = provider_cls({"dsns": [dsn], "databases": names, "country": "DE"}, ProviderContext())
        started = time.monotonic()
        resources = list(provider.collect(CollectPlan()))
        wall = time.monotonic() - started
        table_count = sum(1 for r in resources if r.type.endswith(".table"))
        stale = sum(1 for r in resources if r.type.endswith(".table")
                    and r.get("retention.oldest_record_age_days") > 365)
        print(f"{engine}: {table_count} tables in {wall:.2f} s ({table_count / wall:.0f} tables/s); "
              f"{provider.queries} statements = {provider.queries / table_count:.2f} per table; "
              f"{stale} tables hold rows older than their retention; problems: {provider.context.problems or 'none'}")
    finally:
        teardown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", type=int, default=10)
    parser.add_argument("--tables", type=int, default=100, help="tables per database")
    parser.add_argument("--engine", choices=sorted(ENGINES), action="append")
    args = parser.parse_args()
    for engine in args.engine or sorted(ENGINES):
        run(engine, args.databases, args.tables)


if __name__ == "__main__":
    main()
