"""Retention proven in the data: the age of the oldest row of a table that declares its retention.

For each table tagged with ``retention-days`` and ``timestamp-column``, the engine reads
``min(column)`` (an index-friendly query: both engines answer it from the index's first
entry) and whether some row has no timestamp (its age cannot be known, so the table's age is
unknown). A column without an index leading with it is refused unless the setting
``allow_unindexed`` says otherwise: a full scan of a large ticket table is not a read-only
check's business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from policycheck.model import Unknown

from .engine import Engine, QueryError, Session, TableRow
from .tags import TIMESTAMP_TAG, retention_days

__all__ = ["ATTRIBUTE", "oldest_record_ages"]

ATTRIBUTE = "retention.oldest_record_age_days"


def oldest_record_ages(engine: Engine, session: Session, database: str,
                       tables: Iterable[tuple[TableRow, dict[str, str]]], *, today: dt.date,
                       allow_unindexed: bool) -> dict[tuple[str, str], Any]:
    """(schema, table) -> age in days or Unknown, for every table declaring retention and a timestamp column."""
    declared = [(row, tags[TIMESTAMP_TAG]) for row, tags in tables
                if tags.get(TIMESTAMP_TAG) and retention_days(tags) is not None]
    if not declared:
        return {}
    try:
        columns = engine.columns(session, database, [(row.schema, row.name, column) for row, column in declared])
    except QueryError as exc:
        return {(row.schema, row.name): Unknown(f"cannot read the column catalog: {exc}") for row, _ in declared}
    ages: dict[tuple[str, str], Any] = {}
    for row, column in declared:
        name = engine.table_name(database, row.schema, row.name)
        info = columns.get((row.schema, row.name, column))
        if info is None:
            ages[row.schema, row.name] = Unknown(f"{name}: declared timestamp column '{column}' does not exist, or the "
                                                 f"scanning user cannot see it (it needs SELECT ({column}))")
        elif not info.is_time:
            ages[row.schema, row.name] = Unknown(f"{name}: timestamp column '{column}' is {info.type}, not a date "
                                                 "or timestamp")
        elif row.facts.get("_rows_hidden"):
            ages[row.schema, row.name] = Unknown(f"{name}: {row.facts['_rows_hidden']}")
        elif not info.indexed and not allow_unindexed:
            ages[row.schema, row.name] = Unknown(
                f"{name}: refused to read min({column}) without an index on '{column}' (a full table scan); add "
                "an index or set allow_unindexed: true")
        else:
            ages[row.schema, row.name] = _age(engine, session, database, row, column, name, today)
    return ages


def _age(engine: Engine, session: Session, database: str, row: TableRow, column: str, name: str,
         today: dt.date) -> Any:
    try:
        oldest, has_nulls = engine.oldest(session, database, row.schema, row.name, column)
    except QueryError as exc:
        return Unknown(f"{name}: reading min({column}) failed: {exc}")
    if has_nulls:
        return Unknown(f"{name}: some rows have no {column}, so their age is unknown")
    if oldest is None:
        return 0  # an empty table holds nothing too old
    day = oldest.astimezone(dt.UTC).date() if isinstance(oldest, dt.datetime) and oldest.tzinfo else \
        oldest.date() if isinstance(oldest, dt.datetime) else oldest
    if not isinstance(day, dt.date):
        return Unknown(f"{name}: min({column}) returned {type(oldest).__name__}, not a date")
    return max(0, (today - day).days)
