"""MySQL and MariaDB: read-only sessions and the catalog queries behind every attribute.

Sessions run ``SET SESSION TRANSACTION READ ONLY``, a server-side statement timeout
(MariaDB ``max_statement_time``, MySQL ``MAX_EXECUTION_TIME``), ``lock_wait_timeout``, and a
socket read timeout as the last guard; each database is read in ``START TRANSACTION READ ONLY``.
Accounts and grants come from the ``mysql`` schema (``global_priv`` on MariaDB, ``user`` on MySQL).
"""

from __future__ import annotations

import math
import ssl
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, ClassVar

from policycheck.model import Unknown

from ..config import DbSettings
from ..dsn import Dsn
from ..engine import Column, ConnectError, Engine, QueryError, Session, TableRow, part
from ..readers import PUBLIC, expand

__all__ = ["MysqlEngine", "MysqlSession"]

SYSTEM = ("mysql", "information_schema", "performance_schema", "sys")
TIME_TYPES = ("date", "datetime", "timestamp")
SOCKET_PLUGINS = ("unix_socket", "auth_socket")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: Server error codes that mean a statement ran out of time (max_statement_time, MAX_EXECUTION_TIME, lock waits).
TIMEOUT_CODES = {1969, 3024, 1205, 1317}
DENIED_CODES = {1142, 1143, 1044, 1227, 1370}

#: Accounts per flavour: user, host, plugin, no password, ssl_type, is role, locked.
ACCOUNTS = {
    "mariadb": ("SELECT User, Host, JSON_VALUE(Priv, '$.plugin'), "
                "COALESCE(JSON_VALUE(Priv, '$.authentication_string'), '') = '', "
                "COALESCE(JSON_VALUE(Priv, '$.ssl_type'), 0), "
                "COALESCE(JSON_VALUE(Priv, '$.is_role'), '') IN ('1', 'true'), "
                "COALESCE(JSON_VALUE(Priv, '$.account_locked'), '') IN ('1', 'true') FROM mysql.global_priv",
                "mysql.global_priv"),
    "mysql": ("SELECT User, Host, plugin, authentication_string = '', ssl_type, 0, account_locked = 'Y' "
              "FROM mysql.user", "mysql.user"),
}
#: Role edges per flavour: (role user, role host, account user, account host).
ROLES = {
    "mariadb": ("SELECT Role, '', User, Host FROM mysql.roles_mapping", "mysql.roles_mapping"),
    "mysql": ("SELECT FROM_USER, FROM_HOST, TO_USER, TO_HOST FROM mysql.role_edges", "mysql.role_edges"),
}
SSL_TYPES = {"": False, "0": False, "ANY": True, "X509": True, "SPECIFIED": True, "1": True, "2": True, "3": True}


class MysqlSession(Session):
    def _rows(self, sql: Any, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        import pymysql

        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params or None)
                return list(cursor.fetchall())
        except pymysql.MySQLError as exc:
            code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
            message = exc.args[1] if len(exc.args) > 1 else str(exc)
            if code in TIMEOUT_CODES:
                raise QueryError(f"statement timeout ({self.timeout:g} s) exceeded: {message}") from None
            if code in DENIED_CODES:
                raise QueryError(f"permission denied: {message}") from None
            raise QueryError(f"{message} (error {code})") from None

    def close(self) -> None:
        with suppress(Exception):  # closing a broken connection must not hide the real problem
            self.connection.close()


class MysqlEngine(Engine):
    name = "mysql"
    schemes: ClassVar[tuple[str, ...]] = ("mysql", "mariadb")
    default_port = 3306
    password_env: ClassVar[tuple[str, ...]] = ("POLICYCHECK_MYSQL_PASSWORD", "MYSQL_PWD")
    flavour = "mysql"

    def open(self, dsn: Dsn, database: str | None, password: str | None) -> Session:
        import pymysql

        try:
            connection = pymysql.connect(
                host=dsn.host, port=dsn.port, user=dsn.user, password=password or "",
                database=database or dsn.database or None, connect_timeout=self.connect_timeout,
                read_timeout=self.statement_timeout + 5, write_timeout=self.statement_timeout + 5,
                autocommit=True, charset="utf8mb4", ssl=_tls(dsn.options))
        except pymysql.MySQLError as exc:
            code = exc.args[0] if exc.args else 0
            hint = " (wrong password, or the account requires TLS: add ?ssl=required)" if code == 1045 else ""
            raise ConnectError(f"cannot connect to {dsn.server}: {exc.args[-1] if exc.args else exc}{hint}") from None
        except OSError as exc:  # TLS setup (certificate files)
            raise ConnectError(f"cannot connect to {dsn.server}: {exc}") from None
        session = MysqlSession(connection, self.statement_timeout)
        self.flavour = "mariadb" if "mariadb" in connection.get_server_info().lower() else "mysql"
        timeout = (f"SET SESSION max_statement_time = {self.statement_timeout:g}" if self.flavour == "mariadb"
                   else f"SET SESSION max_execution_time = {int(self.statement_timeout * 1000)}")
        flag = "@@session.tx_read_only" if self.flavour == "mariadb" else "@@session.transaction_read_only"
        try:
            session.rows("SET SESSION TRANSACTION READ ONLY")
            session.rows(timeout)
            session.rows(f"SET SESSION lock_wait_timeout = {max(1, math.ceil(self.statement_timeout))}")
            read_only = session.rows(f"SELECT {flag}")
        except QueryError as exc:
            session.close()
            raise ConnectError(f"{dsn.server}: cannot make the session read-only: {exc}") from None
        if read_only != [(1,)]:
            session.close()
            raise ConnectError(f"{dsn.server}: the session is not read-only; refusing to scan")
        return session

    @contextmanager
    def transaction(self, session: Session) -> Iterator[None]:
        session.rows("START TRANSACTION READ ONLY")
        try:
            yield
        finally:
            with suppress(QueryError):
                session.rows("COMMIT")

    # -- server ------------------------------------------------------------------------------
    def server(self, session: Session) -> dict[str, Any]:
        variables = {name.lower(): value for name, value in session.rows(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('require_secure_transport', 'have_ssl', 'version', "
            "'server_audit_logging', 'innodb_encrypt_tables', 'default_table_encryption')")}
        plugins = {name.upper(): status for name, status in session.rows(
            "SELECT PLUGIN_NAME, PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME IN "
            "('SERVER_AUDIT', 'audit_log')")}
        secure = variables.get("require_secure_transport", "OFF").upper() == "ON"
        audit = (plugins.get("SERVER_AUDIT") == "ACTIVE" and variables.get("server_audit_logging", "OFF") == "ON") \
            or plugins.get("AUDIT_LOG") == "ACTIVE"
        facts: dict[str, Any] = {
            "raw.flavour": self.flavour, "raw.version": variables.get("version"),
            "raw.require_secure_transport": secure,
            "raw.have_ssl": variables.get("have_ssl", "").upper() == "YES",
            "raw.audit_plugin": audit, "logging.access_logging": audit,
            "_encrypt_default": variables.get("innodb_encrypt_tables", "OFF").upper() in ("ON", "FORCE")
            or variables.get("default_table_encryption", "OFF").upper() == "ON",
        }
        sql, table = ACCOUNTS[self.flavour]
        accounts = part(session, sql, f"GRANT SELECT ON {table} TO ROLE")
        facts.update(_accounts(accounts, secure))
        facts.update(self._privileges(session, facts))
        return facts

    def _privileges(self, session: Session, facts: dict[str, Any]) -> dict[str, Any]:
        """Global, database and table SELECT grants and role edges, for the readers of each table."""
        sql, table = ROLES[self.flavour]
        queries = {
            "global": ("SELECT User, Host FROM mysql.user WHERE Select_priv = 'Y'", "mysql.user"),
            "db": ("SELECT User, Host, Db FROM mysql.db WHERE Select_priv = 'Y'", "mysql.db"),
            "tables": ("SELECT User, Host, Db, Table_name FROM mysql.tables_priv WHERE "
                       "FIND_IN_SET('Select', Table_priv)", "mysql.tables_priv"),
            "roles": (sql, table),
        }
        answers = {key: part(session, q, f"GRANT SELECT ON {t} TO ROLE") for key, (q, t) in queries.items()}
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for key, answer in answers.items():
            if isinstance(answer, Unknown):
                return {"_grants": answer}
            rows[key] = answer
        members: dict[str, list[str]] = defaultdict(list)
        for role, role_host, user, host in rows["roles"]:
            members[_account(role, role_host)].append(_account(user, host))
        return {"_grants": {
            "global": [_account(u, h) for u, h in rows["global"]],
            "db": [(_account(u, h), db) for u, h, db in rows["db"]],
            "tables": [(_account(u, h), db, t) for u, h, db, t in rows["tables"]],
            "members": dict(members),
        }}

    def databases(self, session: Session) -> list[tuple[str, str | None]]:
        rows = session.rows("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN "
                            f"({', '.join(['%s'] * len(SYSTEM))}) ORDER BY SCHEMA_NAME", SYSTEM)
        return [(name, None) for name, in rows]

    # -- one database ------------------------------------------------------------------------
    def tables(self, session: Session, database: str, server: dict[str, Any]) -> tuple[dict[str, Any], list[TableRow]]:
        grants = server["_grants"]
        rows = []
        for name, comment, engine, options in session.rows(
                "SELECT TABLE_NAME, TABLE_COMMENT, ENGINE, CREATE_OPTIONS FROM information_schema.TABLES WHERE "
                "TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", (database,)):
            encrypted = _encrypted(options or "", engine or "", server["_encrypt_default"])
            facts: dict[str, Any] = {"raw.engine": engine, "raw.encrypted": encrypted,
                                     **_readers(grants, server, database, name)}
            rows.append(TableRow(database, name, comment or None, facts))
        database_facts = _readers(grants, server, database, None)
        database_facts["raw.encrypted"] = all(r.facts["raw.encrypted"] for r in rows)
        return database_facts, rows

    def columns(self, session: Session, database: str,
                wanted: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], Column]:
        tables = sorted({t for _, t, _ in wanted})
        marks = ", ".join(["%s"] * len(tables))
        # two plain queries joined here: a correlated subquery over information_schema opens every table again
        indexed = {(t, c) for t, c in session.rows(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND "
            f"SEQ_IN_INDEX = 1 AND INDEX_TYPE = 'BTREE' AND TABLE_NAME IN ({marks})", (database, *tables))}
        rows = session.rows(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, DATA_TYPE FROM information_schema.COLUMNS WHERE "
            f"TABLE_SCHEMA = %s AND TABLE_NAME IN ({marks})", (database, *tables))
        want = set(wanted)
        found = {(database, t, c): Column(sql_type, data_type.lower() in TIME_TYPES, (t, c) in indexed)
                 for t, c, sql_type, data_type in rows}
        return {key: value for key, value in found.items() if key in want}

    def oldest(self, session: Session, database: str, schema: str, table: str, column: str) -> tuple[Any, bool]:
        t, c = f"{_quote(database)}.{_quote(table)}", _quote(column)
        (oldest, has_nulls), = session.rows(f"SELECT MIN({c}), EXISTS (SELECT 1 FROM {t} WHERE {c} IS NULL) FROM {t}")
        return oldest, bool(has_nulls)

    def table_name(self, database: str, schema: str, table: str) -> str:
        return f"{database}.{table}"

    @classmethod
    def grants(cls, role: str, settings: DbSettings, plan: Any, wants_data: bool) -> list[str]:
        account = f"'{role}'@'<scanner host>'"
        out = [f"CREATE USER {account} IDENTIFIED BY '<from a secret store>' REQUIRE SSL",
               f"GRANT SELECT ON mysql.global_priv TO {account} (MariaDB) or GRANT SELECT ON mysql.user TO "
               f"{account} (MySQL)",
               f"GRANT SELECT ON mysql.user TO {account}; GRANT SELECT ON mysql.db TO {account}; "
               f"GRANT SELECT ON mysql.tables_priv TO {account}",
               f"GRANT SELECT ON mysql.roles_mapping TO {account} (MariaDB) or GRANT SELECT ON mysql.role_edges TO "
               f"{account} (MySQL)"]
        databases = settings.databases or ("<each database>",)
        out += [f"GRANT SHOW VIEW ON `{db}`.* TO {account} (makes its tables visible in information_schema, "
                "reads no rows)" for db in databases]
        if wants_data:
            for name, tags in sorted(settings.tables.items()):
                column = tags.get("timestamp-column")
                if column:
                    db, _, table = name.partition(".")
                    out.append(f"GRANT SELECT (`{column}`) ON `{db}`.`{table}` TO {account}")
            out.append(f"GRANT SELECT (`<timestamp-column>`) ON `<db>`.`<table>` TO {account} for each table whose "
                       "comment declares retention-days and timestamp-column")
        return out


def _account(user: str, host: str) -> str:
    return f"{user}@{host}" if host else user


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _tls(options: dict[str, str]) -> ssl.SSLContext | None:
    """A TLS context from the DSN's ``ssl=required``, ``ssl_ca=PATH``, ``ssl_verify=false``; None: plain."""
    if options.get("ssl", "").lower() not in ("required", "true", "1") and "ssl_ca" not in options:
        return None
    context = ssl.create_default_context(cafile=options.get("ssl_ca"))
    if options.get("ssl_verify", "true").lower() in ("false", "0", "no"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _accounts(rows: list[tuple[Any, ...]] | Unknown, secure: bool) -> dict[str, Any]:
    names = ("raw.accounts_without_password", "raw.accounts_any_host", "raw.accounts_without_tls", "_passwordless")
    if isinstance(rows, Unknown):
        facts: dict[str, Any] = dict.fromkeys(names, rows)
        facts["encryption.in_transit_enforced"] = True if secure else rows
        return facts
    logins = [(u, h, plugin, nopass, str(ssl_type).upper()) for u, h, plugin, nopass, ssl_type, role, locked in rows
              if not role and not locked]
    passwordless = sorted(_account(u, h) for u, h, plugin, nopass, _ in logins
                          if nopass and (plugin or "") not in SOCKET_PLUGINS)
    without_tls = sorted(_account(u, h) for u, h, plugin, _, s in logins
                         if not SSL_TYPES.get(s, False) and (plugin or "") not in SOCKET_PLUGINS)
    return {
        "raw.accounts_without_password": passwordless,
        "raw.accounts_any_host": sorted(_account(u, h) for u, h, *_ in logins if h == "%"),
        "raw.accounts_without_tls": without_tls,
        "encryption.in_transit_enforced": secure or not without_tls,
        "_passwordless": {a for a in passwordless if a.rpartition("@")[2] not in LOCAL_HOSTS},
        "_logins": {_account(u, h) for u, h, *_ in logins},
    }


def _readers(grants: Any, server: dict[str, Any], database: str, table: str | None) -> dict[str, Any]:
    """raw.readers, raw.public_grant and access.public of a table (or, with table None, of a database)."""
    if isinstance(grants, Unknown) or isinstance(server.get("_passwordless"), Unknown):
        reason = grants if isinstance(grants, Unknown) else server["_passwordless"]
        unknown = {"access.public": reason, "access.public_via": reason}
        return unknown if table is None else {**unknown, "raw.readers": reason, "raw.public_grant": reason}
    direct = list(grants["global"]) + [a for a, pattern in grants["db"] if _like(pattern, database)]
    if table is not None:
        direct += [a for a, db, t in grants["tables"] if db == database and t.lower() == table.lower()]
    readers = expand(direct, grants["members"], server["_logins"] | {PUBLIC})
    anonymous = any(r == PUBLIC or r.startswith("@") for r in readers)
    public = bool(set(readers) & server["_passwordless"])
    out: dict[str, Any] = {"access.public": public, "access.public_via": ["no-password"] if public else []}
    return out if table is None else {**out, "raw.readers": readers, "raw.public_grant": anonymous}


def _like(pattern: str, name: str) -> bool:
    """MySQL's database-name wildcards in grants: % any run, _ one character, backslash escapes."""
    import re

    regex, escaped = "", False
    for char in pattern:
        if escaped:
            regex += re.escape(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            regex += ".*"
        elif char == "_":
            regex += "."
        else:
            regex += re.escape(char)
    return re.fullmatch(regex, name) is not None


def _encrypted(options: str, engine: str, by_default: bool) -> bool:
    """InnoDB table encryption: ENCRYPTED=YES (MariaDB), ENCRYPTION='Y' (MySQL), or the server default."""
    text = options.lower().replace(" ", "")
    if "encrypted=yes" in text or "encryption='y'" in text:
        return True
    if "encrypted=no" in text or "encryption='n'" in text:
        return False
    return by_default and engine.lower() == "innodb"
