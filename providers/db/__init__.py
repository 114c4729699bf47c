"""Self-hosted databases: PostgreSQL (``postgres``) and MySQL/MariaDB (``mysql``), checked from inside.

A shared core (DSNs and passwords, comment tags, resource building, retention read in the data)
and one subpackage per engine with its catalog queries and settings. The drivers (psycopg 3,
PyMySQL: the ``db`` extra) are imported only when a scan connects.
"""

from .mysql import MysqlProvider
from .postgres import PostgresProvider

__all__ = ["MysqlProvider", "PostgresProvider"]
