"""The ``postgres`` provider: PostgreSQL databases and tables, read through read-only sessions."""

from __future__ import annotations

from policycheck.attributes import AttributeSpec as A

from ..provider import DbProvider
from ..types import resource_types
from .catalog import PostgresEngine
from .settings import PostgresSettings

__all__ = ["DATABASE", "TABLE", "PostgresProvider"]

SERVER_RAW = (
    A("raw.version", "string", "server_version."),
    A("raw.ssl", "bool", "The ssl setting is on."),
    A("raw.hostssl_only", "bool", "Every network line of pg_hba.conf is hostssl (or hostgssenc)."),
    A("raw.trust_lines", "list", "pg_hba.conf lines with method trust (no password), as 'line N: TYPE DB USER ADDR'."),
    A("raw.password_encryption", "string", "password_encryption (scram-sha-256 or md5)."),
    A("raw.accounts_without_password", "list", "Login roles without a password (pg_authid)."),
    A("raw.superusers", "list", "Login roles with superuser rights (they read every table)."),
    A("raw.log_connections", "bool", "log_connections is on."),
    A("raw.pgaudit", "bool", "The pgaudit extension is preloaded."),
)
TABLE_RAW = (
    A("raw.row_level_security", "bool", "Row-level security is enabled on the table."),
    A("raw.force_row_level_security", "bool", "Row-level security applies to the table owner too."),
)
DATABASE, TABLE = resource_types("postgres", "PostgreSQL", SERVER_RAW, TABLE_RAW)


class PostgresProvider(DbProvider):
    """PostgreSQL databases and tables (psycopg 3), including retention proven in the data."""

    name = "postgres"
    description = "Self-hosted PostgreSQL servers: databases and tables (psycopg)"
    engine_class = PostgresEngine
    database_type = DATABASE
    table_type = TABLE
    settings_class = PostgresSettings
    settings: PostgresSettings
