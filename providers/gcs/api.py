"""The only module that calls Cloud Storage: read-only JSON API calls, answers as plain documents.

Every call is a GET: buckets.list, buckets.get, buckets.getIamPolicy,
bucketAccessControls.list and defaultObjectAccessControls.list. Failures are translated here:
a call on one bucket raises :class:`CollectionError` naming the IAM permission; a project the
credentials may not list raises :class:`ProjectDenied`; run-wide problems (credentials rejected,
endpoint unreachable, project unknown) raise a :class:`PolicycheckError` subclass (exit code 2).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from policycheck.errors import CollectionError, ConfigError, CredentialError

from .schema import GET_PERMISSION, IAM_PERMISSION, LIST_PERMISSION

#: Reason recorded for a failed call on one bucket, by google.api_core exception class.
BUCKET_FAILURES = {
    "Forbidden": "access denied",
    "NotFound": "bucket not found",
    "BadRequest": "request rejected",
    "TooManyRequests": "throttled past retries",
    "Unauthorized": "credentials rejected",
}


class ProjectDenied(CredentialError):
    """The credentials may not list one project's buckets."""


class ProjectMissing(ConfigError):
    """A project the JSON API does not know (a named one is a configuration error)."""


class ProjectUnlisted(ProjectDenied):
    """One project's buckets could not be listed for another reason (server errors past retries)."""


class GcsApi:
    """Read-only calls through a google-cloud-storage client (shared by worker threads)."""

    def __init__(self, client: Any, *, endpoint: str, timeout: float):
        from google.api_core import exceptions
        from google.cloud.storage.retry import DEFAULT_RETRY

        self.client = client
        self.endpoint = endpoint
        self.timeout = timeout
        self.retry = DEFAULT_RETRY.with_timeout(timeout)
        self._errors = exceptions

    def list_buckets(self, project: str, *, full: bool) -> list[dict[str, Any]]:
        """Every bucket resource of ``project``, all pages.

        ``full`` includes ACLs (projection=full, which also needs storage.buckets.getIamPolicy);
        when that is denied the list is repeated without them. Any answer but 400/403/404 (a 5xx past
        retries, say) raises :class:`ProjectUnlisted`, so the other projects go on.
        """
        errors = self._errors
        started = time.monotonic()
        try:
            with self._run_wide():
                try:
                    return self._list(project, "full" if full else "noAcl")
                except errors.RetryError as exc:
                    cause = exc.cause
                    if not isinstance(cause, errors.GoogleAPICallError) or isinstance(cause, errors.Unauthorized):
                        raise
                    raise ProjectUnlisted(f"gcs: project '{project}': Cloud Storage at {self.endpoint} kept answering "
                                          f"HTTP {cause.code} for {self._waited(started)}") from None
        except errors.Forbidden:
            if full:
                return self.list_buckets(project, full=False)
            raise ProjectDenied(f"gcs: project '{project}': permission {LIST_PERMISSION} denied "
                                "for these credentials") from None
        except (errors.NotFound, errors.BadRequest):
            raise ProjectMissing(f"gcs: project '{project}' not found (give the project id, not its name "
                                 "or number)") from None
        except errors.GoogleAPICallError as exc:
            raise ProjectUnlisted(f"gcs: project '{project}': buckets.list answered HTTP {exc.code}") from None

    def _list(self, project: str, projection: str) -> list[dict[str, Any]]:
        pages = self.client.list_buckets(project=project, projection=projection, timeout=self.timeout,
                                         retry=self.retry).pages
        return [dict(item) for page in pages for item in (page.raw_page or {}).get("items", [])]

    def get_bucket(self, name: str, *, full: bool, billing_project: str | None = None) -> dict[str, Any]:
        """One bucket resource (buckets.get), without ACLs when those are denied.

        A requester-pays bucket answers 400 unless the request names a project to bill; then the
        call is repeated billed to ``billing_project`` (the project the bucket was configured under).
        """
        errors = self._errors
        try:
            with self._run_wide():
                try:
                    return self._get(name, "full" if full else "noAcl", None)
                except errors.Forbidden:
                    if not full:
                        raise
                    return self.get_bucket(name, full=False, billing_project=billing_project)
                except errors.BadRequest:
                    if billing_project is None:
                        raise
                    return self._get(name, "full" if full else "noAcl", billing_project)
        except errors.GoogleAPICallError as exc:
            raise _bucket_failure(exc, GET_PERMISSION) from None

    def _get(self, name: str, projection: str, user_project: str | None) -> dict[str, Any]:
        bucket = self.client.bucket(name, user_project=user_project)
        bucket.reload(projection=projection, timeout=self.timeout, retry=self.retry)
        # google-cloud-storage keeps the JSON API resource it received here and has no public accessor.
        return dict(bucket._properties)

    def iam_bindings(self, name: str, user_project: str | None = None) -> list[dict[str, Any]]:
        """Bindings of the bucket's IAM policy; version 3 so conditional bindings are included."""
        bucket = self.client.bucket(name, user_project=user_project)
        with self._bucket_call(IAM_PERMISSION):
            policy = bucket.get_iam_policy(requested_policy_version=3, timeout=self.timeout, retry=self.retry)
        return [dict(binding) for binding in policy.bindings]

    def bucket_acl(self, name: str, user_project: str | None = None) -> list[dict[str, Any]]:
        bucket = self.client.bucket(name, user_project=user_project)
        with self._bucket_call(IAM_PERMISSION):
            bucket.acl.reload(timeout=self.timeout, retry=self.retry)
        return [dict(entry) for entry in bucket.acl]

    def default_object_acl(self, name: str, user_project: str | None = None) -> list[dict[str, Any]]:
        bucket = self.client.bucket(name, user_project=user_project)
        with self._bucket_call(IAM_PERMISSION):
            bucket.default_object_acl.reload(timeout=self.timeout, retry=self.retry)
        return [dict(entry) for entry in bucket.default_object_acl]

    def _waited(self, started: float) -> str:
        """How long retries really went on (they stop before a backoff would pass ``request_timeout``)."""
        return f"{time.monotonic() - started:.1f} s (request_timeout {self.timeout:g} s)"

    @contextmanager
    def _run_wide(self) -> Iterator[None]:
        """Credential and transport failures become CredentialError; API errors pass through."""
        started = time.monotonic()
        try:
            yield
        except Exception as exc:
            reason = self._run_error(exc, started)
            if reason is None:
                raise
            raise CredentialError(reason) from None

    @contextmanager
    def _bucket_call(self, permission: str) -> Iterator[None]:
        """Any failure of a lazy call on one bucket becomes CollectionError naming the permission."""
        started = time.monotonic()
        try:
            yield
        except self._errors.GoogleAPICallError as exc:
            raise _bucket_failure(exc, permission) from None
        except Exception as exc:
            reason = self._run_error(exc, started)
            if reason is None:
                raise
            raise CollectionError(reason.removeprefix("gcs: "), action=permission) from None

    def _run_error(self, exc: Exception, started: float) -> str | None:
        """A one-line reason when ``exc`` means no call can succeed, else None."""
        import requests
        from google.auth import exceptions as auth_errors

        cause = exc.cause if isinstance(exc, self._errors.RetryError) else exc  # retries keep the last error
        if isinstance(cause, auth_errors.TransportError):
            return "gcs: cannot reach Google's token endpoint to refresh the credentials"
        if isinstance(exc, self._errors.Unauthorized | auth_errors.GoogleAuthError):
            return "gcs: the Google credentials were rejected (expired or revoked?)"
        if isinstance(exc, self._errors.RetryError) and isinstance(cause, self._errors.GoogleAPICallError):
            return f"gcs: Cloud Storage at {self.endpoint} kept answering HTTP {cause.code} for {self._waited(started)}"
        if isinstance(exc, self._errors.RetryError):
            return f"gcs: cannot reach Cloud Storage at {self.endpoint} (no answer in {self._waited(started)})"
        if isinstance(exc, requests.RequestException):
            return f"gcs: cannot reach Cloud Storage at {self.endpoint} ({type(exc).__name__})"
        return None


def _bucket_failure(exc: Any, permission: str) -> CollectionError:
    reason = BUCKET_FAILURES.get(type(exc).__name__, f"HTTP {exc.code}")
    return CollectionError(reason, action=permission)
