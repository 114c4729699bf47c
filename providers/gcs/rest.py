"""Read-only GETs to Google's REST APIs (Resource Manager, Cloud Asset) through an authorised session.

Throttling (429), server errors and dropped connections are retried with exponential backoff for
up to ``timeout`` seconds; what the answer means is one exception of the client's own per target
(:attr:`RestClient.unread`), or :class:`CredentialError` when no call can succeed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from policycheck.errors import CredentialError

__all__ = ["FIRST_BACKOFF", "MAX_BACKOFF", "RETRIED", "RestClient"]

RETRIED = frozenset({429, 500, 502, 503, 504})
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 8.0


class RestClient:
    """One Google REST API; subclasses name it and say what a target that cannot be read raises."""

    service: ClassVar[str]  # for messages: "Cloud Resource Manager"
    default_endpoint: ClassVar[str]
    unread: ClassVar[type[Exception]]  # one target (a folder, a scope) could not be read
    denied_hint: ClassVar[str]  # why a 403 may also come: "or it does not exist"
    unreachable_stops_run: ClassVar[bool] = True  # no answer at all: CredentialError, else ``unread``

    def __init__(self, session: Any, *, endpoint: str | None, timeout: float,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.session = session
        self.endpoint = (endpoint or self.default_endpoint).rstrip("/")
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock

    def get(self, path: str, params: dict[str, str], *, method: str, permission: str, target: str) -> dict[str, Any]:
        """The JSON object ``GET path`` answers, retried for up to ``timeout`` seconds."""
        import requests
        from google.auth import exceptions as auth_errors

        started = self.clock()
        deadline = started + self.timeout
        backoff = FIRST_BACKOFF
        while True:
            remaining = deadline - self.clock()
            failure: Exception | None = None
            try:
                answer = self.session.get(self.endpoint + path, params=params,
                                          timeout=max(0.1, min(self.timeout, remaining)))
            except auth_errors.TransportError:
                raise CredentialError("gcs: cannot reach Google's token endpoint to refresh the credentials") from None
            except auth_errors.GoogleAuthError:
                raise CredentialError("gcs: the Google credentials were rejected (expired or revoked?)") from None
            except requests.RequestException as exc:
                failure = exc
            if failure is None and answer.status_code not in RETRIED:
                return self._read(answer, method, permission, target)
            if deadline - self.clock() <= backoff:
                if failure is not None:
                    reason = f"cannot reach {self.service} at {self.endpoint} ({type(failure).__name__})"
                    raise CredentialError(f"gcs: {reason}") if self.unreachable_stops_run else self.unread(reason)
                said = "throttled" if answer.status_code == 429 else f"answered HTTP {answer.status_code}"
                raise self.unread(f"{method} {said} for {self.clock() - started:.1f} s "
                                  f"(request_timeout {self.timeout:g} s) ({permission})")
            self.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)

    def _read(self, answer: Any, method: str, permission: str, target: str) -> dict[str, Any]:
        code = answer.status_code
        if code == 401:
            raise CredentialError(f"gcs: the Google credentials were rejected by {self.service} (expired or revoked?)")
        if code == 403:
            raise self.unread(f"permission {permission} denied on {target} ({self.denied_hint})")
        if code in (400, 404):
            raise self.unread(f"{target} not found ({method} answered HTTP {code})")
        if code != 200:
            raise self.unread(f"{method} answered HTTP {code} ({permission})")
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise self.unread(f"{method} answered something that is not a JSON object ({permission})")
        return body
