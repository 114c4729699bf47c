"""Read-only AWS API calls: the IAM action each needs, and what its errors mean.

Every request the provider makes goes through :func:`call`, so error handling is one table:
"not configured" answers become ``None`` (their real meaning), everything else that stops
a value from being read becomes :class:`~policycheck.errors.CollectionError` naming the IAM
action, so the missing permission is obvious in the report.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from policycheck.errors import CollectionError

#: Error codes that mean the caller lacks a permission.
DENIED = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "AllAccessDisabled", "Forbidden", "403",
})
#: Error codes that mean the request was throttled (after botocore's retries gave up).
THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "SlowDown", "RequestLimitExceeded",
    "TooManyRequestsException", "RequestThrottled", "RequestThrottledException", "503",
})


@dataclass(frozen=True)
class Api:
    """One read-only operation: its client, API name, IAM action and "not configured" error codes."""

    service: str
    operation: str
    action: str
    absent: frozenset[str] = frozenset()

    @cached_property
    def method(self) -> str:
        """The boto3 method name (GetBucketEncryption -> get_bucket_encryption)."""
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", self.operation).lower()


def api(service: str, operation: str, action: str, *absent: str) -> Api:
    return Api(service, operation, action, frozenset(absent))


def call(client: Any, spec: Api, **params: Any) -> dict[str, Any] | None:
    """Make one request; ``None`` when the answer is one of the spec's "not configured" codes."""
    from botocore.exceptions import BotoCoreError, ClientError  # the SDK loads only when a scan runs
    from botocore.parsers import ResponseParserError

    try:
        response = getattr(client, spec.method)(**params)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in spec.absent:
            return None
        raise CollectionError(describe_client_error(exc), action=spec.action) from exc
    except (BotoCoreError, ResponseParserError) as exc:  # timeouts, connection errors, garbled answers
        raise CollectionError(f"request failed: {_first_line(exc)}", action=spec.action) from exc
    response.pop("ResponseMetadata", None)  # answers are kept per resource: keep only the payload
    return response


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def paginate(client: Any, spec: Api, key: str, token_in: str, token_out: str, **params: Any) -> list[Any]:
    """All items under ``key`` across pages (explicit tokens keep the request count visible)."""
    items: list[Any] = []
    while True:
        page = call(client, spec, **params) or {}
        items.extend(page.get(key) or [])
        token = page.get(token_out)
        if not token:
            return items
        params[token_in] = token


def error_code(exc: Any) -> str:
    """The AWS error code of a botocore ClientError (ExpiredToken, Throttling, ...), or ''."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def describe_client_error(exc: Any) -> str:
    """One line for a botocore ClientError: the meaning for denial, throttling with its code, else code and message."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "")) or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    if code in DENIED:
        return "access denied"
    if code in THROTTLED:
        return f"throttled beyond retries: {code}"
    message = (error.get("Message") or "").strip()
    return f"{code}: {message}" if message else code


class Answers:
    """The API answers about one resource, each requested at most once (failures are remembered too)."""

    __slots__ = ("_cache", "_fetch", "_lock")

    def __init__(self, fetch: Callable[[str], Any]):
        self._fetch = fetch
        self._cache: dict[str, tuple[bool, Any]] = {}
        self._lock = threading.Lock()

    def seed(self, answers: Mapping[str, Any]) -> None:
        """Answers already known from elsewhere (an AWS Config item): these are not requested."""
        with self._lock:
            for key, value in answers.items():
                self._cache.setdefault(key, (True, value))

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            if key not in self._cache:
                try:
                    self._cache[key] = (True, self._fetch(key))
                except CollectionError as exc:
                    self._cache[key] = (False, exc)
            ok, value = self._cache[key]
        if not ok:
            raise value
        return value


class SharedCache:
    """Account- or region-wide answers (KMS keys, parameter groups, account settings), fetched once.

    Concurrent readers of the same key wait for the first fetch; a failure is remembered and
    re-raised, so a denied call is not repeated for every resource.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}

    def get(self, key: Hashable, fetch: Callable[[], Any]) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
        return entry.value(fetch)


class _Entry:
    __slots__ = ("_done", "_error", "_lock", "_value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None
        self._error: CollectionError | None = None

    def value(self, fetch: Callable[[], Any]) -> Any:
        with self._lock:
            if not self._done:
                try:
                    self._value = fetch()
                except CollectionError as exc:
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value
