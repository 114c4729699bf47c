"""Which exported log carries each database engine's audit log (who read or changed which data).

RDS exports logs to CloudWatch Logs by type (``EnabledCloudwatchLogsExports``); only some types
hold an audit trail: ``audit`` for MySQL, MariaDB and Aurora MySQL (the MariaDB Audit Plugin or
Advanced Auditing) and Oracle; for PostgreSQL the ``postgresql`` log carries audit records only
when the pgaudit extension is loaded (``shared_preload_libraries``). Sources: Amazon RDS User
Guide, "Publishing database logs to Amazon CloudWatch Logs" and "Logging at the session and
object level with the pgaudit extension".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuditLog:
    """The export type holding the audit log, and the library that must be preloaded to fill it (or None)."""

    export: str
    library: str | None = None

    def exported(self, exports: list[str]) -> bool:
        return self.export in exports


_AUDIT = AuditLog("audit")
_PGAUDIT = AuditLog("postgresql", "pgaudit")

#: Engine (or engine family prefix before the first "-") -> where its audit log goes.
AUDIT_LOGS: dict[str, AuditLog] = {
    "mysql": _AUDIT,
    "mariadb": _AUDIT,
    "aurora-mysql": _AUDIT,
    "aurora": _AUDIT,
    "oracle": _AUDIT,
    "postgres": _PGAUDIT,
    "aurora-postgresql": _PGAUDIT,
}

#: The parameter that loads a library at server start.
PRELOAD_PARAMETER = "shared_preload_libraries"


def audit_log(engine: str) -> AuditLog | None:
    """The rule for ``engine`` (``oracle-ee`` uses the ``oracle`` entry); None when no export carries an audit log."""
    return AUDIT_LOGS.get(engine) or AUDIT_LOGS.get(engine.split("-", 1)[0] if engine.startswith("oracle-") else "")


def preloads(value: str | None, library: str) -> bool:
    """True when the comma-separated ``shared_preload_libraries`` value loads ``library``."""
    return library in {part.strip().lower() for part in (value or "").split(",")}
