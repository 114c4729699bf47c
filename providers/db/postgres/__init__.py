"""PostgreSQL provider (entry point ``policycheck.providers.db.postgres:PostgresProvider``)."""

from .provider import PostgresProvider

__all__ = ["PostgresProvider"]
