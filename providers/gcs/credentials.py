"""Google credentials: a credentials file of a known type, or Application Default Credentials.

Each file type has its own loader (google-auth's generic loader accepts any configuration
unchecked). With ``STORAGE_EMULATOR_HOST`` set or ``anonymous: true`` nothing is sent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from policycheck.errors import CredentialError

from .settings import GcsSettings

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"


def _service_account(info: Mapping[str, Any], scopes: tuple[str, ...]) -> Any:
    from google.oauth2 import service_account

    return service_account.Credentials.from_service_account_info(info, scopes=scopes)


def _authorized_user(info: Mapping[str, Any], scopes: tuple[str, ...]) -> Any:
    from google.oauth2 import credentials

    return credentials.Credentials.from_authorized_user_info(info, scopes=scopes)


def _external_account(info: Mapping[str, Any], scopes: tuple[str, ...]) -> Any:
    """Workload identity federation (e.g. GitHub Actions OIDC, or AWS credentials)."""
    from google.auth import aws, identity_pool

    source = info.get("credential_source") or {}
    if not isinstance(source, dict):
        raise ValueError("credential_source must be an object")
    # google-auth reads these only when it first refreshes (mid-scan); a wrong type must fail here, by name
    for key, value in {**info, **{f"credential_source.{k}": v for k, v in source.items()}}.items():
        if key not in _OBJECT_FIELDS and not isinstance(value, str):
            raise ValueError(f"'{key}' must be a string, not {type(value).__name__}")
    kind = aws if str(source.get("environment_id", "")).startswith("aws") else identity_pool
    return kind.Credentials.from_info(info, scopes=scopes)


#: Fields of an external_account file that are objects (the rest are strings; Google's AIP-4117).
_OBJECT_FIELDS = frozenset({"credential_source", "service_account_impersonation", "credential_source.format",
                            "credential_source.headers", "credential_source.executable"})

#: Credentials file ``type`` -> loader.
LOADERS: dict[str, Callable[[Mapping[str, Any], tuple[str, ...]], Any]] = {
    "service_account": _service_account,
    "authorized_user": _authorized_user,
    "external_account": _external_account,
}


def load_credentials(settings: GcsSettings, scopes: tuple[str, ...]) -> tuple[Any, str | None]:
    """(credentials, the project they name or None); CredentialError when there are none."""
    from google.auth.credentials import AnonymousCredentials

    if settings.anonymous or os.environ.get(EMULATOR_ENV):
        return AnonymousCredentials(), os.environ.get("GOOGLE_CLOUD_PROJECT")
    if settings.credentials_file:
        return _from_file(settings.credentials_file, scopes)
    return _application_default(scopes)


def _from_file(path: str, scopes: tuple[str, ...]) -> tuple[Any, str | None]:
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except OSError as exc:
        raise CredentialError(f"gcs: cannot read credentials file {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise CredentialError(f"gcs: credentials file {path} is not valid JSON") from None
    kind = info.get("type") if isinstance(info, dict) else None
    loader = LOADERS.get(str(kind))
    if loader is None:
        raise CredentialError(f"gcs: credentials file {path}: unsupported type {kind!r}; expected one of "
                              + ", ".join(LOADERS))
    try:
        credentials = loader(info, scopes)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a field of the wrong type, e.g. a number
        raise CredentialError(f"gcs: credentials file {path} is incomplete or malformed ({exc})") from None
    return credentials, info.get("project_id") or info.get("quota_project_id")


def _application_default(scopes: tuple[str, ...]) -> tuple[Any, str | None]:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return google.auth.default(scopes=scopes)
    except DefaultCredentialsError:
        raise CredentialError("gcs: no Google Cloud credentials found; run 'gcloud auth application-default "
                              "login', set GOOGLE_APPLICATION_CREDENTIALS or pass --gcp-credentials") from None
