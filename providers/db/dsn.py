"""Connection strings: ``postgresql://USER@HOST:PORT/DB?sslmode=require``, ``mysql://USER@HOST:PORT/DB``.

A DSN never carries a password (config files and command lines end up in repositories, shell
histories and reports); passwords come from the environment or a password file only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from policycheck.errors import ConfigError

__all__ = ["Dsn", "parse_dsn", "read_password"]


@dataclass(frozen=True)
class Dsn:
    """A parsed DSN without password; ``text`` is safe to print."""

    engine: str
    host: str
    port: int
    user: str
    database: str
    options: dict[str, str] = field(default_factory=dict)
    scheme: str = ""

    @property
    def server(self) -> str:
        """``HOST:PORT``: the resource account and the scope of connection problems."""
        return f"{self.host}:{self.port}"

    @property
    def text(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        base = f"{self.scheme or self.engine}://{self.user}@{self.server}/{self.database}"
        return base + (f"?{query}" if query else "")


def parse_dsn(text: str, *, where: str, schemes: tuple[str, ...], default_port: int, engine: str) -> Dsn:
    """Parse one DSN; ConfigError naming ``where`` (never echoing a password) when it is not usable."""
    if not isinstance(text, str) or "://" not in text:
        raise ConfigError(f"{where}: expected a URL like {schemes[0]}://USER@HOST:PORT/DATABASE")
    try:
        parts = urlsplit(text.strip())
        port = parts.port or default_port
    except ValueError as exc:
        raise ConfigError(f"{where}: not a valid DSN ({exc})") from None
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.password is not None or "password" in options:
        shown = f"{parts.scheme}://{unquote(parts.username or '')}:***@{parts.hostname or ''}"
        raise ConfigError(f"{where}: the DSN carries a password ({shown}...); remove it and give the password "
                          "through the environment or a password file (see the README)")
    if parts.scheme not in schemes:
        raise ConfigError(f"{where}: scheme '{parts.scheme}' is not one of {', '.join(schemes)}")
    if not parts.hostname:
        raise ConfigError(f"{where}: the DSN names no host")
    if not parts.username:
        raise ConfigError(f"{where}: the DSN names no user ({schemes[0]}://USER@HOST/...)")
    return Dsn(engine, parts.hostname, port, unquote(parts.username), unquote(parts.path.lstrip("/")), options,
               parts.scheme)


def read_password(password_file: str | None, env_vars: tuple[str, ...], *, where: str) -> str | None:
    """The password from ``password_file`` (first line), else the first set variable of ``env_vars``, else None."""
    if password_file:
        path = Path(password_file).expanduser()
        try:
            return path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read the password file {path}: {exc.strerror}") from None
    for name in env_vars:
        if os.environ.get(name):
            return os.environ[name]
    return None
