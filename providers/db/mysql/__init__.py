"""MySQL/MariaDB provider (entry point ``policycheck.providers.db.mysql:MysqlProvider``)."""

from .provider import MysqlProvider

__all__ = ["MysqlProvider"]
