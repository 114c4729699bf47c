"""A google-cloud-storage client from the settings: credentials, endpoint, connection pool."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from policycheck.provider import missing_extra_error

from .credentials import EMULATOR_ENV, load_credentials
from .hierarchy import SCOPE as RESOURCE_MANAGER_SCOPE
from .inventory import SCOPE as ASSET_SCOPE
from .settings import GcsSettings

DEFAULT_ENDPOINT = "https://storage.googleapis.com"
#: google-cloud-storage >= 3.10 fetches each bucket's metadata in the background (buckets.get, for
#: tracing attributes) before other bucket calls: one more call and permission per bucket. Off
#: unless the user set the library's switch explicitly.
TRACING_METADATA_ENV = "DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA"


@dataclass
class Connection:
    client: Any  # google.cloud.storage.Client, shared by worker threads
    session: Any  # the authorised requests session the client uses (also for Cloud Resource Manager)
    default_project: str | None  # the project the credentials name, if any
    endpoint: str


def connect(settings: GcsSettings, pool_size: int) -> Connection:
    """Build the client; CredentialError (exit 2) when no usable credentials exist."""
    try:
        from google.auth.transport.requests import AuthorizedSession
        from google.cloud import storage
        from requests.adapters import HTTPAdapter
    except ImportError as exc:
        raise missing_extra_error("gcs", "gcp", exc) from exc

    os.environ.setdefault(TRACING_METADATA_ENV, "true")
    scopes = (*storage.Client.SCOPE, *((RESOURCE_MANAGER_SCOPE,) if settings.parents else ()),
              *((ASSET_SCOPE,) if settings.inventory else ()))
    credentials, default_project = load_credentials(settings, scopes)
    session = AuthorizedSession(credentials)
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)  # one connection per worker
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    billing_project = next(iter(settings.projects), None) or default_project or next(
        (project for project, _ in settings.bucket_refs), None)
    options = {"api_endpoint": settings.endpoint} if settings.endpoint else None
    client = storage.Client(project=billing_project or "<none>", credentials=credentials, client_options=options,
                            _http=session)
    endpoint = settings.endpoint or os.environ.get(EMULATOR_ENV) or DEFAULT_ENDPOINT
    return Connection(client, session, default_project, endpoint)
