"""Settings of the ``mysql`` provider (MySQL and MariaDB).

The flag is ``--mysql-dsn``, not ``--dsn``: provider flags share one command line and
``register_provider`` refuses a flag two providers declare (``postgres`` has ``--postgres-dsn``).
"""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.settings import setting

from ..config import DbSettings
from .catalog import MysqlEngine

__all__ = ["MysqlSettings"]


@dataclass(frozen=True)
class MysqlSettings(DbSettings):
    """MySQL/MariaDB servers to scan."""

    section = "mysql"
    schemes = MysqlEngine.schemes
    default_port = MysqlEngine.default_port

    dsns: tuple[str, ...] = setting(
        (), "MySQL/MariaDB server as mysql://USER@HOST:PORT[/DB][?ssl=required] (repeatable); no password: use "
        "POLICYCHECK_MYSQL_PASSWORD, MYSQL_PWD or --mysql-password-file.", flag="--mysql-dsn", metavar="DSN")
    password_file: str | None = setting(
        None, "File whose first line is the scanning role's password (else POLICYCHECK_MYSQL_PASSWORD or "
        "MYSQL_PWD).", flag="--mysql-password-file", path="always")
