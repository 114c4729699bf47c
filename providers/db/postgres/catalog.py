"""PostgreSQL: read-only sessions and the catalog queries behind every attribute.

Sessions start with ``default_transaction_read_only``, ``statement_timeout`` and ``lock_timeout``
in the startup packet, then ``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`` and a
check that the session really is read-only. PostgreSQL has no transparent data encryption:
encryption at rest is unknown unless the operator declares it (see the provider's settings).
"""

from __future__ import annotations

import math
from collections import defaultdict
from contextlib import suppress
from typing import Any, ClassVar

from policycheck.model import Unknown

from ..config import DbSettings
from ..dsn import Dsn
from ..engine import Column, ConnectError, Engine, QueryError, Session, TableRow, part
from ..readers import PUBLIC, expand

__all__ = ["PostgresEngine", "PostgresSession"]

#: Schemas of the system, never scanned.
SYSTEM_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%'"
TABLES = "c.relkind IN ('r', 'p') AND NOT c.relispartition AND " + SYSTEM_SCHEMAS

HBA_GRANT = ("GRANT SELECT ON pg_catalog.pg_hba_file_rules TO {role}; "
             "GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO {role}")
AUTHID_GRANT = "GRANT SELECT (rolname, rolcanlogin, rolpassword) ON pg_catalog.pg_authid TO {role}"
SETTINGS_GRANT = "GRANT pg_read_all_settings TO {role}"
TIME_TYPES = ("date", "timestamp", "timestamptz")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class PostgresSession(Session):
    def _rows(self, sql: Any, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        import psycopg

        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params or None)
                return cursor.fetchall() if cursor.description else []
        except psycopg.errors.QueryCanceled:
            raise QueryError(f"statement timeout ({self.timeout:g} s) exceeded") from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise QueryError(f"permission denied: {exc.diag.message_primary}") from None
        except psycopg.Error as exc:
            raise QueryError(_first_line(exc)) from None

    def close(self) -> None:
        with suppress(Exception):  # closing a broken connection must not hide the real problem
            self.connection.close()


class PostgresEngine(Engine):
    name = "postgres"
    schemes: ClassVar[tuple[str, ...]] = ("postgresql", "postgres")
    default_port = 5432
    password_env: ClassVar[tuple[str, ...]] = ()  # libpq itself reads PGPASSWORD and PGPASSFILE (~/.pgpass)
    connection_per_database = True

    def open(self, dsn: Dsn, database: str | None, password: str | None) -> Session:
        import psycopg

        millis = int(self.statement_timeout * 1000)
        params: dict[str, Any] = {**dsn.options, "host": dsn.host, "port": dsn.port, "user": dsn.user,
                                  "dbname": database or dsn.database or "postgres",
                                  "connect_timeout": max(1, math.ceil(self.connect_timeout)),
                                  "application_name": "policycheck",
                                  "options": f"-c default_transaction_read_only=on -c statement_timeout={millis} "
                                             f"-c lock_timeout={millis}"}
        if password is not None:
            params["password"] = password
        try:
            connection = psycopg.connect(autocommit=True, **params)
        except psycopg.Error as exc:
            raise ConnectError(f"cannot connect to {dsn.server}/{params['dbname']}: {_first_line(exc)}") from None
        session = PostgresSession(connection, self.statement_timeout)
        try:
            session.rows("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            read_only = session.rows("SHOW transaction_read_only")
        except QueryError as exc:
            session.close()
            raise ConnectError(f"{dsn.server}: cannot make the session read-only: {exc}") from None
        if read_only != [("on",)]:
            session.close()
            raise ConnectError(f"{dsn.server}: the session is not read-only; refusing to scan")
        return session

    # -- server ------------------------------------------------------------------------------
    def server(self, session: Session) -> dict[str, Any]:
        settings = dict(session.rows(
            "SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN ('ssl', 'password_encryption', "
            "'log_connections', 'shared_preload_libraries', 'pgaudit.log', 'server_version')"))
        facts: dict[str, Any] = {
            "raw.version": settings.get("server_version"),
            "raw.ssl": settings.get("ssl") == "on",
            "raw.password_encryption": settings.get("password_encryption"),
            "raw.log_connections": settings.get("log_connections") == "on",
            **_audit(settings),
            **_hba(part(session, "SELECT line_number, type, database, user_name, address, auth_method, error "
                                 "FROM pg_catalog.pg_hba_file_rules ORDER BY line_number",
                        HBA_GRANT.format(role="ROLE")), settings.get("ssl") == "on"),
        }
        no_password = part(session, "SELECT rolname FROM pg_catalog.pg_authid WHERE rolcanlogin AND rolpassword IS "
                                    "NULL ORDER BY rolname", AUTHID_GRANT.format(role="ROLE"))
        facts["raw.accounts_without_password"] = no_password if isinstance(no_password, Unknown) else \
            [r[0] for r in no_password]
        (facts["_bypass_rls"],), = session.rows("SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles WHERE "
                                                "rolname = current_user")
        roles = session.rows("SELECT rolname, rolcanlogin, rolsuper FROM pg_catalog.pg_roles")
        facts["raw.superusers"] = sorted(name for name, login, superuser in roles if login and superuser)
        facts["_logins"] = {name for name, login, _ in roles if login}
        members: dict[str, list[str]] = defaultdict(list)
        for role, member in session.rows(
                "SELECT r.rolname, m.rolname FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles r "
                "ON r.oid = a.roleid JOIN pg_catalog.pg_roles m ON m.oid = a.member WHERE m.rolinherit"):
            members[role].append(member)
        facts["_members"] = dict(members)
        return facts

    def databases(self, session: Session) -> list[tuple[str, str | None]]:
        rows = session.rows("SELECT datname, pg_catalog.shobj_description(oid, 'pg_database') FROM "
                            "pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")
        return [(name, comment) for name, comment in rows]

    # -- one database ------------------------------------------------------------------------
    def tables(self, session: Session, database: str, server: dict[str, Any]) -> tuple[dict[str, Any], list[TableRow]]:
        trust = server.get("_trust_remote")
        grants: dict[tuple[str, str], list[str]] = defaultdict(list)
        for schema, table, grantee in session.rows(
                "SELECT n.nspname, c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE "
                "pg_catalog.pg_get_userbyid(a.grantee) END FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                "ON n.oid = c.relnamespace, pg_catalog.aclexplode(coalesce(c.relacl, "
                "pg_catalog.acldefault('r', c.relowner))) a WHERE a.privilege_type = 'SELECT' AND " + TABLES):
            grants[schema, table].append(grantee)
        rows = []
        for schema, table, comment, rls, force_rls in session.rows(
                "SELECT n.nspname, c.relname, pg_catalog.obj_description(c.oid, 'pg_class'), c.relrowsecurity, "
                "c.relforcerowsecurity FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
                "n.oid = c.relnamespace WHERE " + TABLES + " ORDER BY 1, 2"):
            direct = grants.get((schema, table), [])
            readers = expand(direct, server["_members"], server["_logins"] | {PUBLIC})
            facts: dict[str, Any] = {"raw.readers": readers, "raw.public_grant": PUBLIC in direct,
                                     "raw.row_level_security": bool(rls), "raw.force_row_level_security":
                                     bool(force_rls), **_public(trust, database, readers)}
            if rls and not server["_bypass_rls"]:  # min() would see only the rows a policy lets the scanner see
                facts["_rows_hidden"] = ("row-level security may hide rows from the scanning role; give it "
                                         "BYPASSRLS to read the oldest row")
            rows.append(TableRow(schema, table, comment, facts))
        return _public(trust, database, None), rows

    def columns(self, session: Session, database: str,
                wanted: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], Column]:
        schemas, tables, names = (list(x) for x in zip(*wanted, strict=True))
        rows = session.rows(
            "SELECT n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typname, "
            "EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
            "JOIN pg_catalog.pg_am am ON am.oid = ic.relam WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum "
            "AND i.indpred IS NULL AND am.amname = 'btree') "
            "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
            "WHERE a.attnum > 0 AND NOT a.attisdropped AND (n.nspname, c.relname, a.attname) IN "
            "(SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))", (schemas, tables, names))
        return {(s, t, a): Column(sql_type, typname in TIME_TYPES, bool(indexed))
                for s, t, a, sql_type, typname, indexed in rows}

    def oldest(self, session: Session, database: str, schema: str, table: str, column: str) -> tuple[Any, bool]:
        from psycopg import sql

        ident, col = sql.Identifier(schema, table), sql.Identifier(column)
        query = sql.SQL("SELECT min({col}), EXISTS (SELECT 1 FROM {t} WHERE {col} IS NULL) FROM {t}").format(
            col=col, t=ident)
        (oldest, has_nulls), = session.rows(query)
        return oldest, bool(has_nulls)

    def table_name(self, database: str, schema: str, table: str) -> str:
        return f"{database}.{schema}.{table}"

    @classmethod
    def grants(cls, role: str, settings: DbSettings, plan: Any, wants_data: bool) -> list[str]:
        needs = set().union(*(plan.needs or {}).values()) if plan.needs is not None else None
        out = [f"CREATE ROLE {role} LOGIN" + "; " + f"ALTER ROLE {role} SET default_transaction_read_only = on"]
        databases = settings.databases or ("<each database>",)
        out += [f"GRANT CONNECT ON DATABASE {db} TO {role}" for db in databases]
        dsn_databases = sorted({d.database or "postgres" for d in settings.servers}) or ["<the DSN's database>"]
        out += [f"{HBA_GRANT.format(role=role)} (run in database {db}: catalog views are per database)"
                for db in dsn_databases]
        if needs is None or "logging.access_logging" in needs or "raw.pgaudit" in needs:
            out.append(SETTINGS_GRANT.format(role=role))
        if needs is None or "raw.accounts_without_password" in needs:
            out.append(AUTHID_GRANT.format(role=role))
        if wants_data:
            for name, tags in sorted(settings.tables.items()):
                database, _, table = name.partition(".")
                column = tags.get("timestamp-column")
                if column:
                    out.append(f"GRANT USAGE ON SCHEMA {table.split('.')[0]} TO {role} (in {database}); "
                               f"GRANT SELECT ({column}) ON {table} TO {role} (in {database})")
            out.append(f"GRANT SELECT (<timestamp-column>) ON <schema>.<table> TO {role} for each table whose "
                       "comment declares retention-days and timestamp-column (and USAGE on its schema)")
        return out


def _audit(settings: dict[str, str]) -> dict[str, Any]:
    libraries = settings.get("shared_preload_libraries")
    if libraries is None:
        reason = f"shared_preload_libraries is not visible (needs: {SETTINGS_GRANT.format(role='ROLE')})"
        return {"raw.pgaudit": Unknown(reason), "logging.access_logging": Unknown(reason)}
    loaded = "pgaudit" in [lib.strip() for lib in libraries.split(",")]
    log = (settings.get("pgaudit.log") or "none").lower()
    return {"raw.pgaudit": loaded, "logging.access_logging": loaded and log not in ("", "none")}


def _hba(rows: list[tuple[Any, ...]] | Unknown, ssl: bool) -> dict[str, Any]:
    """In-transit enforcement and trust lines from ``pg_hba_file_rules``."""
    names = ("encryption.in_transit_enforced", "raw.hostssl_only", "raw.trust_lines", "_trust_remote")
    if isinstance(rows, Unknown):
        return dict.fromkeys(names, rows)
    broken = [f"line {line}: {error}" for line, *_, error in rows if error]
    if broken:
        reason = Unknown(f"pg_hba.conf has lines PostgreSQL cannot parse ({'; '.join(broken)})")
        return dict.fromkeys(names, reason)
    network = [r for r in rows if r[1] != "local"]
    hostssl_only = all(r[1] in ("hostssl", "hostgssenc") for r in network)
    trust = [r for r in rows if r[5] == "trust"]
    return {
        "encryption.in_transit_enforced": ssl and hostssl_only,
        "raw.hostssl_only": hostssl_only,
        "raw.trust_lines": [f"line {r[0]}: {r[1]} {','.join(r[2] or [])} {','.join(r[3] or [])} {r[4] or ''}".strip()
                            for r in trust],
        "_trust_remote": [(set(r[2] or []), set(r[3] or [])) for r in trust
                          if r[1] != "local" and r[4] not in LOOPBACK],
    }


def _public(trust: Any, database: str, readers: list[str] | None) -> dict[str, Any]:
    """``access.public``: a non-loopback ``trust`` line lets anyone who reaches the server in without a password."""
    if isinstance(trust, Unknown) or trust is None:
        reason = trust if isinstance(trust, Unknown) else Unknown("pg_hba.conf was not read")
        return {"access.public": reason, "access.public_via": reason}
    lines = [users for databases, users in trust if databases & {"all", "sameuser", "samerole", database}]
    if readers is not None:
        lines = [u for u in lines if "all" in u or PUBLIC in readers or u & set(readers)]
    return {"access.public": bool(lines), "access.public_via": ["trust"] if lines else []}


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__
