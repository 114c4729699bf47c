"""Settings of the ``postgres`` provider.

The flag is ``--postgres-dsn``, not ``--dsn``: provider flags share one command line and
``register_provider`` refuses a flag two providers declare (``mysql`` has ``--mysql-dsn``).
"""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.settings import setting

from ..config import DbSettings
from .catalog import PostgresEngine

__all__ = ["PostgresSettings"]


@dataclass(frozen=True)
class PostgresSettings(DbSettings):
    """PostgreSQL servers to scan."""

    section = "postgres"
    schemes = PostgresEngine.schemes
    default_port = PostgresEngine.default_port

    dsns: tuple[str, ...] = setting(
        (), "PostgreSQL server as postgresql://USER@HOST:PORT/DB[?sslmode=...] (repeatable); no password: use "
        "PGPASSWORD, ~/.pgpass or --postgres-password-file.", flag="--postgres-dsn", metavar="DSN")
    password_file: str | None = setting(
        None, "File whose first line is the scanning role's password (else PGPASSWORD/~/.pgpass).",
        flag="--postgres-password-file", path="always")
