"""``DbProvider``: the collection loop both database providers share (servers -> databases -> tables)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from policycheck.attributes import ResourceType
from policycheck.errors import ConfigError, CredentialError
from policycheck.model import Resource, Unknown
from policycheck.provider import CollectPlan, Provider, ProviderContext

from .build import make_resource
from .config import DbSettings
from .dsn import Dsn, read_password
from .engine import ConnectError, Engine, QueryError, Session, TableRow
from .retention import ATTRIBUTE as OLDEST
from .retention import oldest_record_ages
from .tags import TIMESTAMP_TAG, comment_tags
from .types import DATA_GROUP

__all__ = ["DbProvider"]


class DbProvider(Provider):
    """Databases and tables of self-hosted servers, read through read-only sessions."""

    engine_class: ClassVar[type[Engine]]
    database_type: ClassVar[ResourceType]
    table_type: ClassVar[ResourceType]
    extra = "db"

    settings: DbSettings
    permissions_need_settings = True  # the GRANTs name the scanning role of the DSN

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "database_type" in cls.__dict__:  # an engine's provider: its two types are what it registers
            cls.resource_types = (cls.database_type, cls.table_type)

    def __init__(self, settings: DbSettings | Mapping[str, Any], context: ProviderContext) -> None:
        super().__init__(settings, context)
        self.queries = 0  # statements sent in the last collect (benchmarks)

    def collect(self, plan: CollectPlan) -> Iterator[Resource]:
        if not (plan.wants_type(self.database_type.name) or plan.wants_type(self.table_type.name)):
            return
        if not self.settings.dsns:
            raise ConfigError(f"{self.name}: no server given (--dsn DSN or providers.{self.name}.dsns)")
        password = read_password(self.settings.password_file, self.engine_class.password_env, where=self.name)
        engine = self.engine_class(self.settings.statement_timeout, self.settings.connect_timeout)
        failures: list[tuple[str, str]] = []
        reached = 0
        self.queries = 0
        for dsn in self.settings.servers:
            try:
                session = engine.open(dsn, None, password)
            except ConnectError as exc:
                failures.append((dsn.text, str(exc)))
                continue
            reached += 1
            try:
                yield from self._server(engine, dsn, session, password, plan)
            finally:
                self.queries += session.queries
                session.close()
        if not reached:
            raise CredentialError("; ".join(f"{where}: {message}" for where, message in failures))
        for where, message in failures:
            self.context.report_problem(where, message)

    def _server(self, engine: Engine, dsn: Dsn, session: Session, password: str | None,
                plan: CollectPlan) -> Iterator[Resource]:
        try:
            server = engine.server(session)
            databases = engine.databases(session)
        except QueryError as exc:
            self.context.report_problem(dsn.text, f"cannot list databases: {exc}")
            return
        names = [name for name, _ in databases]
        for missing in sorted(set(self.settings.databases) - set(names)):
            self.context.report_problem(dsn.text, f"database '{missing}' (setting 'databases') not found or not "
                                                  "visible to the scanning user")
        for name, comment in databases:
            if self.settings.databases and name not in self.settings.databases:
                continue
            try:
                own = engine.open(dsn, name, password) if engine.connection_per_database else session
            except ConnectError as exc:
                self.context.report_problem(f"{dsn.server}/{name}", str(exc))
                continue
            try:
                yield from self._database(engine, dsn, own, name, comment, server, plan)
            except QueryError as exc:
                self.context.report_problem(f"{dsn.server}/{name}", f"cannot read the catalog: {exc}")
            finally:
                if own is not session:
                    self.queries += own.queries
                    own.close()

    def _database(self, engine: Engine, dsn: Dsn, session: Session, name: str, comment: str | None,
                  server: dict[str, Any], plan: CollectPlan) -> Iterator[Resource]:
        with engine.transaction(session):
            database_facts, tables = engine.tables(session, name, server)
            tagged = [(row, self._table_tags(engine, name, row)) for row in tables]
            wants_data = plan.wants_type(self.table_type.name) and plan.wants_group(self.table_type, DATA_GROUP)
            ages = oldest_record_ages(engine, session, name, tagged, today=self.context.evaluation_date,
                                      allow_unindexed=self.settings.allow_unindexed) if wants_data else {}
        self._unmatched_mappings(engine, dsn, name, tables)
        if plan.wants_type(self.database_type.name):
            tags = {**comment_tags(comment), **self.settings.database_tags.get(name, {})}
            per_table = Unknown(f"read per table: see the {self.table_type.name} resources")
            yield make_resource(self.database_type, dsn, name, name, tags,
                                {**server, **database_facts, OLDEST: per_table}, self.settings)
        if not plan.wants_type(self.table_type.name):
            return
        for row, tags in tagged:
            table = engine.table_name(name, row.schema, row.name)
            oldest = ages.get((row.schema, row.name)) if wants_data else \
                Unknown("not collected: no loaded rule reads it")
            if oldest is None:
                oldest = Unknown(f"{table} declares no retention-days and timestamp-column")
            facts = {**server, **row.facts, "raw.timestamp_column": tags.get(TIMESTAMP_TAG), OLDEST: oldest}
            path = f"{name}/{row.schema}.{row.name}" if row.schema != name else f"{name}/{row.name}"
            yield make_resource(self.table_type, dsn, path, table, tags, facts, self.settings)

    def _table_tags(self, engine: Engine, database: str, row: TableRow) -> dict[str, str]:
        return {**comment_tags(row.comment), **self.settings.tables.get(engine.table_name(database, row.schema,
                                                                                          row.name), {})}

    def _unmatched_mappings(self, engine: Engine, dsn: Dsn, database: str, tables: list[TableRow]) -> None:
        """A config mapping naming a table this database lacks is reported: its declared retention went unchecked."""
        present = {engine.table_name(database, row.schema, row.name) for row in tables}
        for key in self.settings.tables:
            if key.split(".", 1)[0] == database and key not in present:
                self.context.report_problem(f"{dsn.server}/{database}", f"table '{key}' (setting 'tables') not found "
                                                                        "or not visible to the scanning user")

    def permissions(self, plan: CollectPlan) -> list[str]:
        if not (plan.wants_type(self.database_type.name) or plan.wants_type(self.table_type.name)):
            return []
        role = self.settings.servers[0].user if self.settings.dsns else "policycheck_scanner"
        wants_data = plan.wants_type(self.table_type.name) and plan.wants_group(self.table_type, DATA_GROUP)
        return self.engine_class.grants(role, self.settings, plan, wants_data)

    def permissions_document(self, plan: CollectPlan) -> str:
        """The grants as a SQL script for the read-only scanning role, one statement per line."""
        grants = self.permissions(plan)
        if not grants:
            return f"-- {self.name}: no permissions needed by the loaded rules"
        lines = [g if g.rstrip().endswith(";") or " for each " in g else f"{g};" for g in grants]
        return "\n".join([f"-- {self.name}: read-only scanning role", *lines])
