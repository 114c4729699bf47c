"""Which parameter makes each database engine refuse unencrypted connections, and its default."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


def _never(version: str) -> bool:
    return False


def _always(version: str) -> bool:
    return True


def _major_at_least(major: int) -> Callable[[str], bool]:
    def check(version: str) -> bool:
        match = re.match(r"(\d+)", version or "")
        return match is not None and int(match.group(1)) >= major
    return check


@dataclass(frozen=True)
class TlsParameter:
    """The parameter, the values that mean "TLS required", and the engine default when unset."""

    name: str
    values: frozenset[str]
    default: Callable[[str], bool]

    def enforced(self, value: str | None, version: str) -> bool:
        if value is None or value == "":
            return self.default(version)
        return value.strip().lower() in self.values


_MYSQL = TlsParameter("require_secure_transport", frozenset({"1", "on"}), _never)

#: Engine (or engine family prefix) -> its TLS parameter. PostgreSQL 15+ defaults rds.force_ssl to 1.
TLS_PARAMETERS: dict[str, TlsParameter] = {
    "postgres": TlsParameter("rds.force_ssl", frozenset({"1"}), _major_at_least(15)),
    "aurora-postgresql": TlsParameter("rds.force_ssl", frozenset({"1"}), _never),
    "mysql": _MYSQL,
    "mariadb": _MYSQL,
    "aurora-mysql": _MYSQL,
    "aurora": _MYSQL,
    "sqlserver": TlsParameter("rds.force_ssl", frozenset({"1"}), _never),
    "docdb": TlsParameter("tls", frozenset({"enabled", "fips-140-3", "tls1.2+", "tls1.3+"}), _always),
    "neptune": TlsParameter("neptune_enforce_ssl", frozenset({"1"}), _always),
}


def tls_parameter(engine: str) -> TlsParameter | None:
    """The rule for ``engine`` (``sqlserver-ee`` uses the ``sqlserver`` entry); None when no parameter decides."""
    if engine in TLS_PARAMETERS:
        return TLS_PARAMETERS[engine]
    return TLS_PARAMETERS.get(engine.split("-", 1)[0]) if engine.startswith("sqlserver-") else None
