"""Settings of the ``mysql`` provider: its command-line options and its config section schema.

The flag is ``--mysql-dsn``, not ``--dsn``: provider flags share one command line and
``register_provider`` refuses a flag two providers declare (``postgres`` has ``--postgres-dsn``).
"""

from __future__ import annotations

from typing import Any

from policycheck.provider import ProviderOption

__all__ = ["CONFIG_SCHEMA", "OPTIONS"]

OPTIONS = (
    ProviderOption("--mysql-dsn", "dsns", "MySQL/MariaDB server as mysql://USER@HOST:PORT[/DB][?ssl=required] "
                   "(repeatable); no password: use POLICYCHECK_MYSQL_PASSWORD, MYSQL_PWD or --mysql-password-file."),
    ProviderOption("--mysql-password-file", "password_file", "File whose first line is the scanning role's "
                   "password.", multiple=False),
)

_TAGS = {"type": "object", "additionalProperties": {"type": ["string", "integer", "boolean"]}}

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "dsns": {"type": "array", "items": {"type": "string"},
                 "description": "Servers as mysql://USER@HOST:PORT[/DB][?ssl=required&ssl_ca=PATH]; a DSN with a "
                                "password is refused."},
        "password_file": {"type": "string",
                          "description": "File holding the password (else POLICYCHECK_MYSQL_PASSWORD or MYSQL_PWD)."},
        "databases": {"type": "array", "items": {"type": "string"},
                      "description": "Scan only these databases (default: every non-system database)."},
        "tables": {"type": "object", "additionalProperties": _TAGS,
                   "description": "Tags per table DB.TABLE for schemas you do not own (override comments)."},
        "database_tags": {"type": "object", "additionalProperties": _TAGS, "description": "Tags per database."},
        "country": {"type": "string", "description": "ISO country of the servers (location.*), unless tagged."},
        "region": {"type": "string", "description": "Region or site name of the servers, unless tagged."},
        "encryption_at_rest": {"type": "boolean", "description": (
            "Declared disk/volume encryption of the database hosts, for tables InnoDB does not encrypt.")},
        "allow_unindexed": {"type": "boolean", "description": (
            "Read min(timestamp column) even without an index on it (a full table scan). Default false.")},
        "statement_timeout": {"type": "number", "exclusiveMinimum": 0,
                              "description": "Seconds any one statement may run (default 30)."},
        "connect_timeout": {"type": "number", "exclusiveMinimum": 0,
                            "description": "Seconds to wait for a connection (default 10)."},
    },
}
