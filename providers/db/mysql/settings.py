"""Settings of the ``mysql`` provider (MySQL and MariaDB).

``--dsn`` is shared with the ``postgres`` provider: each value goes to the provider whose URL scheme
it has (``postgresql://``/``postgres://`` or ``mysql://``/``mariadb://``).
"""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.settings import setting

from ..config import DbSettings, claimed_by
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
        "POLICYCHECK_MYSQL_PASSWORD, MYSQL_PWD or --mysql-password-file.", flag="--dsn", metavar="DSN",
        claims=claimed_by(MysqlEngine.schemes))
    password_file: str | None = setting(
        None, "File whose first line is the scanning role's password (else POLICYCHECK_MYSQL_PASSWORD or "
        "MYSQL_PWD).", flag="--mysql-password-file", path="always")
