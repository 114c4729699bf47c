"""The ``aws`` config section: its JSON Schema, command-line options and parsed form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.errors import ConfigError
from policycheck.provider import ProviderOption
from policycheck.regions import known_regions
from policycheck.registry import did_you_mean

REGION = r"^[a-z]{2}(-[a-z]+)+-\d+$"
ROLE_ARN = r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$"
ACCOUNT = r"^\d{12}$"

_strings = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "AWS: which accounts and regions to scan, and how.",
    "properties": {
        "regions": {**_strings, "items": {"type": "string", "pattern": REGION},
                    "description": "Regions to scan (default: every region enabled in the account)."},
        "profiles": {**_strings, "description": "Named profiles from ~/.aws/config (default: the standard chain)."},
        "role_arns": {**_strings, "items": {"type": "string", "pattern": ROLE_ARN},
                      "description": "IAM roles to assume, one account each."},
        "external_id": {"type": "string", "description": "ExternalId for the assumed roles."},
        "org_role": {"type": "string", "description": "Role name to assume in every account of the AWS "
                                                      "Organization (e.g. OrganizationAccountAccessRole)."},
        "accounts": {**_strings, "items": {"type": "string", "pattern": ACCOUNT},
                     "description": "Only these organization accounts."},
        "exclude_accounts": {**_strings, "items": {"type": "string", "pattern": ACCOUNT},
                             "description": "Skip these organization accounts."},
        "session_name": {"type": "string", "description": "RoleSessionName for assumed roles."},
        "endpoint_url": {"type": "string", "description": "Endpoint for every service (a local test server such as "
                                                          "moto); AWS_ENDPOINT_URL works too."},
        "max_attempts": {"type": "integer", "minimum": 1, "maximum": 20,
                         "description": "Attempts per request, the first included (adaptive retry mode)."},
        "connect_timeout": {"type": "number", "exclusiveMinimum": 0},
        "read_timeout": {"type": "number", "exclusiveMinimum": 0},
    },
}

OPTIONS = (
    ProviderOption("--region", "regions", "AWS region to scan (repeatable; default: all enabled regions)."),
    ProviderOption("--profile", "profiles", "AWS named profile (repeatable)."),
    ProviderOption("--role-arn", "role_arns", "IAM role ARN to assume (repeatable), one account each."),
    ProviderOption("--org-role", "org_role", "Role name to assume in every AWS Organizations account.",
                   multiple=False),
    ProviderOption("--external-id", "external_id", "ExternalId for assumed roles.", multiple=False),
)


@dataclass(frozen=True)
class Settings:
    regions: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    external_id: str | None = None
    org_role: str | None = None
    accounts: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()
    session_name: str = "policycheck"
    endpoint_url: str | None = None
    max_attempts: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 30.0

    @classmethod
    def parse(cls, config: Mapping[str, Any]) -> Settings:
        """Settings from the config section or CLI options; one-line ConfigError on bad input."""
        unknown = sorted(set(config) - set(CONFIG_SCHEMA["properties"]))
        if unknown:
            raise ConfigError(f"unknown setting '{unknown[0]}'", source="aws")
        values: dict[str, Any] = {}
        for key, value in config.items():
            if value is None:
                continue
            if key in _LISTS:
                items = [value] if isinstance(value, str) else list(value)
                pattern = _PATTERNS.get(key)
                for item in items:
                    if not isinstance(item, str) or (pattern and not re.match(pattern, item)):
                        raise ConfigError(f"{key}: {item!r} is not a valid {_WHAT[key]}", source="aws")
                if key == "regions":
                    _check_regions(items)
                values[key] = tuple(items)
            else:
                values[key] = value
        return cls(**values)


def _check_regions(regions: list[str]) -> None:
    """Reject a mistyped region up front (exit 2), instead of a failing scope per call later.

    A region counts as known when the shipped region table or botocore's endpoint data has it,
    so a region AWS opens before our table is updated still works.
    """
    table = set(known_regions("aws"))
    unknown = [r for r in regions if r not in table]
    if not unknown:
        return
    try:
        from botocore.session import get_session

        table |= set(get_session().get_available_regions("s3", allow_non_regional=False))
        for partition in ("aws-cn", "aws-us-gov"):
            table |= set(get_session().get_available_regions("s3", partition_name=partition))
    except ImportError:
        pass
    for region in unknown:
        if region not in table:
            raise ConfigError(f"unknown AWS region '{region}'{did_you_mean(region, table)}", source="--region")


_LISTS = ("regions", "profiles", "role_arns", "accounts", "exclude_accounts")
_PATTERNS = {"regions": REGION, "role_arns": ROLE_ARN, "accounts": ACCOUNT, "exclude_accounts": ACCOUNT}
_WHAT = {"regions": "region code (e.g. eu-central-1)", "profiles": "profile name",
         "role_arns": "role ARN (arn:aws:iam::123456789012:role/NAME)", "accounts": "12-digit account id",
         "exclude_accounts": "12-digit account id"}
