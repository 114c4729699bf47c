"""The engine contract: what a database engine module supplies to the shared provider.

An engine opens read-only sessions and answers catalog questions; it never builds
resources. Every query goes through :meth:`Session.rows`, which counts it and turns driver
errors into :class:`QueryError` naming the privilege or the timeout, so a missing catalog
privilege makes the facts it guards unknown, never passing.
"""

from __future__ import annotations

import abc
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, ClassVar

from policycheck.model import Unknown

from .config import DbSettings
from .dsn import Dsn

__all__ = ["Column", "ConnectError", "Engine", "QueryError", "Session", "TableRow", "part"]


class ConnectError(Exception):
    """A server could not be reached or refused the login (wrong password, TLS required, ...)."""


class QueryError(Exception):
    """One catalog or data query failed; ``str()`` is the reason for the affected attributes."""


@dataclass
class TableRow:
    """One table as the catalog describes it: its comment and engine facts (values or Unknown)."""

    schema: str
    name: str
    comment: str | None
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    """A declared timestamp column: its SQL type and whether an index leads with it."""

    type: str
    is_time: bool
    indexed: bool


class Session(abc.ABC):
    """A read-only connection with a statement timeout on every query."""

    queries: int = 0

    def __init__(self, connection: Any, timeout: float) -> None:
        self.connection = connection  # the driver's connection
        self.timeout = timeout  # seconds any one statement may run

    def rows(self, sql: Any, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read; every statement the provider sends passes here."""
        self.queries += 1
        return self._rows(sql, tuple(params))

    @abc.abstractmethod
    def _rows(self, sql: Any, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Send the statement; QueryError on failure."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection (never raises)."""


class Engine(abc.ABC):
    """One database engine: how to connect and what its catalogs say."""

    name: ClassVar[str]  # postgres | mysql: the provider and resource-type prefix
    schemes: ClassVar[tuple[str, ...]]
    default_port: ClassVar[int]
    password_env: ClassVar[tuple[str, ...]]  # environment variables a password may come from
    connection_per_database: ClassVar[bool] = False  # PostgreSQL catalogs are per database

    @classmethod
    @abc.abstractmethod
    def grants(cls, role: str, settings: DbSettings, plan: Any, wants_data: bool) -> list[str]:
        """The minimal GRANT statements of a read-only scanning role (``policycheck permissions``)."""

    def transaction(self, session: Session) -> AbstractContextManager[None]:
        """A read-only transaction around one database's reads (where the engine needs it explicitly)."""
        return nullcontext()

    def __init__(self, statement_timeout: float, connect_timeout: float) -> None:
        self.statement_timeout = statement_timeout
        self.connect_timeout = connect_timeout

    @abc.abstractmethod
    def open(self, dsn: Dsn, database: str | None, password: str | None) -> Session:
        """A read-only session on ``database`` (None: the DSN's); ConnectError when refused."""

    @abc.abstractmethod
    def server(self, session: Session) -> dict[str, Any]:
        """Server-wide attributes (shared names and ``raw.*``); a value may be Unknown."""

    @abc.abstractmethod
    def databases(self, session: Session) -> list[tuple[str, str | None]]:
        """(name, comment) of every user database."""

    @abc.abstractmethod
    def tables(self, session: Session, database: str, server: dict[str, Any]) -> tuple[dict[str, Any], list[TableRow]]:
        """Database-level attributes and the database's tables with their facts."""

    @abc.abstractmethod
    def columns(self, session: Session, database: str,
                wanted: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], Column]:
        """The wanted (schema, table, column) triples that exist, with type and index."""

    @abc.abstractmethod
    def oldest(self, session: Session, database: str, schema: str, table: str, column: str) -> tuple[Any, bool]:
        """``min(column)`` and whether some row has no value in it (both index-friendly)."""

    @abc.abstractmethod
    def table_name(self, database: str, schema: str, table: str) -> str:
        """The name a table has in findings and in the config mapping."""


def part(session: Session, sql: str, grant: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]] | Unknown:
    """Rows of one catalog query, or Unknown naming the privilege that would allow it."""
    try:
        return session.rows(sql, params)
    except QueryError as exc:
        return Unknown(f"{exc} (needs: {grant})")
