"""Resource types per engine: ``ENGINE.database`` and ``ENGINE.table``, one scheme for both engines."""

from __future__ import annotations

from policycheck.attributes import AttributeSpec as A
from policycheck.attributes import ResourceType, bind_groups
from policycheck.vocabulary import DATA_STORE

from .retention import ATTRIBUTE as OLDEST

__all__ = ["DATA_GROUP", "resource_types"]

#: Collection group of the one fact read in the data: the plan says whether any rule wants it.
DATA_GROUP = "data"

#: Table facts shared by both engines.
TABLE_RAW = (
    A("raw.readers", "list", "Roles/accounts that can read the table: direct grants, PUBLIC, role membership, "
      "global and database grants; superusers are listed separately."),
    A("raw.public_grant", "bool", "Every role/account can read the table (PostgreSQL PUBLIC, MySQL a grant to an "
      "anonymous account)."),
    A("raw.timestamp_column", "string", "The declared timestamp column (tag timestamp-column), or null."),
)


def resource_types(engine: str, label: str, server_raw: tuple[A, ...],
                   table_raw: tuple[A, ...]) -> tuple[ResourceType, ResourceType]:
    """The database and table types of ``engine`` (``postgres`` or ``mysql``)."""
    groups = {DATA_GROUP: [OLDEST]}
    database = ResourceType(f"{engine}.database", f"A {label} database (schema) on a self-hosted server.", engine,
                            "data-store", bind_groups((*DATA_STORE, *server_raw), groups))
    table = ResourceType(f"{engine}.table", f"A {label} table.", engine, "data-store",
                         bind_groups((*DATA_STORE, *server_raw, *TABLE_RAW, *table_raw), groups))
    return database, table
