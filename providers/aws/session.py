"""Sessions and clients: one client per account, service and region, shared by every thread.

Clients use adaptive retries (client-side rate limiting after throttling), fewer attempts
after read timeouts than after throttling, connect/read timeouts and a connection pool as
large as the number of threads that may use it. Sessions come from a factory (``boto3.Session``
by default) so tests can hook every request.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from botocore.config import Config
from botocore.exceptions import ReadTimeoutError

SessionFactory = Callable[..., Any]  # boto3.Session-compatible: factory(profile_name=..., botocore_session=...)

DEFAULT_REGION = "us-east-1"

#: Attempts, the first included, for a request whose answer did not come within the read timeout. A
#: backend that accepts and never answers costs ``read_timeout`` per attempt, so it gets fewer than
#: throttling, which keeps ``max_attempts`` with adaptive back-off. botocore has one attempt budget
#: for every retryable error; a ``needs-retry`` handler that runs before botocore's own stops early.
READ_TIMEOUT_ATTEMPTS = 2
USER_AGENT_APPID = "policycheck"


def botocore_config(*, max_attempts: int, connect_timeout: float, read_timeout: float, pool: int,
                    path_style: bool) -> Config:
    return Config(
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=pool,
        user_agent_appid=USER_AGENT_APPID,  # type: ignore[call-arg]  # missing from botocore-stubs, not botocore
        s3={"addressing_style": "path"} if path_style else None,
    )


def _cap_read_timeout_retries(attempts: int, caught_exception: Any = None, **_: Any) -> bool | None:
    """False (no retry) after :data:`READ_TIMEOUT_ATTEMPTS` read timeouts; None lets botocore's handler decide."""
    if isinstance(caught_exception, ReadTimeoutError) and attempts >= READ_TIMEOUT_ATTEMPTS:
        return False
    return None


def _with_read_timeout_cap(client: Any) -> Any:
    event = f"needs-retry.{client.meta.service_model.service_id.hyphenize()}"
    client.meta.events.register_first(event, _cap_read_timeout_retries)  # before botocore's retry handler
    return client


def endpoint_override(configured: str | None) -> str | None:
    """The endpoint every service is pointed at (config, else ``AWS_ENDPOINT_URL``), if any."""
    if configured:
        return configured
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return os.environ.get("AWS_ENDPOINT_URL") or None


class Clients:
    """The clients of one account: created on first use (creation is not thread-safe), then shared."""

    def __init__(self, session: Any, config: Config, endpoint_url: str | None = None):
        self.session = session
        self._config = config
        self._endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def probe(self, service: str) -> Any:
        """A one-off client that gives up fast (two attempts), for the credential check before a scan."""
        config = self._config.merge(Config(retries={"mode": "standard", "total_max_attempts": 2}))
        kwargs: dict[str, Any] = {"region_name": self.home_region, "config": config}
        if self._endpoint_url:
            kwargs["endpoint_url"] = self._endpoint_url
        return _with_read_timeout_cap(self.session.client(service, **kwargs))

    def __call__(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.home_region)
        client = self._clients.get(key)
        if client is None:
            with self._lock:
                client = self._clients.get(key)
                if client is None:
                    client = self._clients[key] = self._create(*key)
        return client

    @property
    def home_region(self) -> str:
        return self.session.region_name or DEFAULT_REGION

    def _create(self, service: str, region: str) -> Any:
        kwargs: dict[str, Any] = {"region_name": region, "config": self._config}
        if self._endpoint_url:
            kwargs["endpoint_url"] = self._endpoint_url
        client = _with_read_timeout_cap(self.session.client(service, **kwargs))
        if service == "s3control":
            client.meta.events.register("before-sign.s3-control", _strip_account_host_prefix)
        return client


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    """S3 Control puts the account id in front of the host; a local endpoint (IP, localhost) has no such name."""
    parts = urlsplit(request.url)
    prefix, _, rest = parts.netloc.partition(".")
    host = rest.rsplit(":", 1)[0] if rest.count(":") == 1 else rest
    if not (prefix.isdigit() and _is_local(host)):
        return
    request.url = urlunsplit(parts._replace(netloc=rest))


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
