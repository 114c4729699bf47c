"""The ``mysql`` provider: MySQL and MariaDB databases (schemas) and tables, read through read-only sessions."""

from __future__ import annotations

from policycheck.attributes import AttributeSpec as A

from ..provider import DbProvider
from ..types import resource_types
from .catalog import MysqlEngine
from .settings import MysqlSettings

__all__ = ["DATABASE", "TABLE", "MysqlProvider"]

SERVER_RAW = (
    A("raw.flavour", "string", "mariadb or mysql."),
    A("raw.version", "string", "Server version."),
    A("raw.require_secure_transport", "bool", "require_secure_transport is ON."),
    A("raw.have_ssl", "bool", "The server offers TLS (have_ssl = YES)."),
    A("raw.accounts_without_tls", "list", "Login accounts without REQUIRE SSL/X509 (user@host)."),
    A("raw.accounts_without_password", "list", "Login accounts with an empty password (socket-only accounts "
      "excluded)."),
    A("raw.accounts_any_host", "list", "Login accounts whose host is % (any address)."),
    A("raw.audit_plugin", "bool", "An audit plugin is active and logging (MariaDB server_audit, MySQL audit_log)."),
    A("raw.encrypted", "bool", "InnoDB encrypts the table (ENCRYPTED=YES / ENCRYPTION='Y' or the server default); "
      "for a database: every table."),
)
TABLE_RAW = (A("raw.engine", "string", "Storage engine (InnoDB, MyISAM, ...)."),)
DATABASE, TABLE = resource_types("mysql", "MySQL/MariaDB", SERVER_RAW, TABLE_RAW)


class MysqlProvider(DbProvider):
    """MySQL and MariaDB databases and tables (PyMySQL), including retention proven in the data."""

    name = "mysql"
    description = "Self-hosted MySQL/MariaDB servers: databases and tables (PyMySQL)"
    engine_class = MysqlEngine
    database_type = DATABASE
    table_type = TABLE
    settings_class = MysqlSettings
    settings: MysqlSettings
