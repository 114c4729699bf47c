"""Exceptions that carry their exit code and a one-line message for the user.

Only the outermost CLI layer turns them into an exit; everything else raises.
"""

from __future__ import annotations

__all__ = [
    "CollectionError",
    "ConfigError",
    "CredentialError",
    "InputError",
    "PolicyError",
    "PolicycheckError",
    "WaiverError",
]


class PolicycheckError(Exception):
    """A problem the user must fix before anything is scanned (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None, place: str | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.place = place

    def __str__(self) -> str:
        prefix = ":".join(part for part in (self.source, self.place) if part)
        return f"{prefix}: {self.message}" if prefix else self.message


class PolicyError(PolicycheckError):
    """A policy pack is malformed or does not fit the resource schema."""


class WaiverError(PolicycheckError):
    """A waiver file is malformed."""


class ConfigError(PolicycheckError):
    """The config file or a command-line option is wrong."""


class InputError(PolicycheckError):
    """An input file (snapshot, inventory, baseline) cannot be read."""


class CredentialError(PolicycheckError):
    """A provider cannot authenticate or reach its endpoint."""


class CollectionError(Exception):
    """One collection group of one resource could not be read.

    Raised inside providers; the affected attributes become unknown and rules that need
    them give ``error`` findings. ``action`` names the API call or permission
    (``s3:GetBucketEncryption``) so the missing permission is obvious.
    """

    def __init__(self, reason: str, *, action: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.action = action

    def __str__(self) -> str:
        return f"{self.reason} ({self.action})" if self.action else self.reason
