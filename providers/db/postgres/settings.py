"""Settings of the ``postgres`` provider.

``--dsn`` is shared with the ``mysql`` provider: each value goes to the provider whose URL scheme
it has (``postgresql://``/``postgres://`` or ``mysql://``/``mariadb://``).
"""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.settings import setting

from ..config import DbSettings, claimed_by
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
        "PGPASSWORD, ~/.pgpass or --postgres-password-file.", flag="--dsn", metavar="DSN",
        claims=claimed_by(PostgresEngine.schemes))
    password_file: str | None = setting(
        None, "File whose first line is the scanning role's password (else PGPASSWORD/~/.pgpass).",
        flag="--postgres-password-file", path="always")
