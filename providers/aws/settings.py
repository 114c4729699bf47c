"""The ``aws`` settings, declared once: config section ``providers.aws``, flags and environment derive from it."""

from __future__ import annotations

from dataclasses import dataclass

from policycheck.errors import ConfigError
from policycheck.provider import ProviderSettings
from policycheck.regions import known_regions
from policycheck.registry import did_you_mean
from policycheck.settings import setting

__all__ = ["ACCOUNT", "REGION", "ROLE_ARN", "AwsSettings"]

REGION = r"^[a-z]{2}(-[a-z]+)+-\d+$"
ROLE_ARN = r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$"
ACCOUNT = r"^\d{12}$"
OU = r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$"

_UNIQUE = {"uniqueItems": True}


@dataclass(frozen=True)
class AwsSettings(ProviderSettings):
    """AWS: which accounts and regions to scan, and how."""

    section = "aws"
    description = "AWS: which accounts and regions to scan, and how."

    regions: tuple[str, ...] = setting(
        (), "AWS region to scan (repeatable; default: every region enabled in the account).", flag="--region",
        items={"pattern": REGION}, schema=_UNIQUE, metavar="REGION", expect="a valid region code (e.g. eu-central-1)")
    profiles: tuple[str, ...] = setting((), "AWS named profile from ~/.aws/config (repeatable; default: the "
                                        "standard credential chain).", flag="--profile", schema=_UNIQUE)
    role_arns: tuple[str, ...] = setting((), "IAM role ARN to assume (repeatable), one account each.",
                                         flag="--role-arn", items={"pattern": ROLE_ARN}, schema=_UNIQUE,
                                         expect="a valid role ARN (arn:aws:iam::123456789012:role/NAME)")
    external_id: str | None = setting(None, "ExternalId for assumed roles.", flag="--external-id")
    org_role: str | None = setting(None, "Role name to assume in every account of the AWS Organization "
                                   "(e.g. OrganizationAccountAccessRole).", flag="--org-role")
    accounts: tuple[str, ...] = setting((), "Only these organization (or Config aggregator) accounts (repeatable).",
                                        flag="--accounts",
                                        items={"pattern": ACCOUNT}, schema=_UNIQUE, expect="a 12-digit account id",
                                        metavar="ACCOUNT_ID")
    exclude_accounts: tuple[str, ...] = setting((), "Skip these organization (or aggregator) accounts (repeatable).",
                                                flag="--exclude-accounts", items={"pattern": ACCOUNT}, schema=_UNIQUE,
                                                expect="a 12-digit account id", metavar="ACCOUNT_ID")
    ous: tuple[str, ...] = setting((), "Only accounts in these organizational units and their child OUs "
                                   "(repeatable; an OU id such as ou-ab12-cdef3456, or the root id r-ab12).",
                                   flag="--ou",
                                   items={"pattern": OU}, schema=_UNIQUE, expect="an OU id (ou-ab12-cd34ef56) or "
                                   "root id (r-ab12)", metavar="OU_ID")
    source: str = setting("api", "Where S3, DynamoDB (and, with an aggregator, RDS) facts come from: api (the live "
                          "APIs), config (AWS Config's "
                          "recorded configuration items, the live API for what Config lacks or holds stale) or auto "
                          "(config, and the live API where Config is denied or not set up).", flag="--aws-source",
                          schema={"enum": ["config", "api", "auto"]}, expect="one of config, api, auto")
    config_aggregator: str | None = setting(None, "AWS Config aggregator to read every member account's items from "
                                            "(with source config/auto; no role is assumed into the members).",
                                            flag="--config-aggregator", metavar="NAME")
    max_config_age: float = setting(24.0, "Hours after which an AWS Config item counts as stale; its attributes "
                                    "are then read from the live API.", flag="--max-config-age",
                                    schema={"exclusiveMinimum": 0}, metavar="HOURS")
    session_name: str = setting("policycheck", "RoleSessionName for assumed roles.")
    endpoint_url: str | None = setting(None, "Endpoint for every service (a local test server such as moto); "
                                       "AWS_ENDPOINT_URL works too.")
    max_attempts: int = setting(8, "Attempts per request, the first included (adaptive retry mode).",
                                schema={"minimum": 1, "maximum": 20})
    connect_timeout: float = setting(5.0, "Seconds to connect.", schema={"exclusiveMinimum": 0})
    read_timeout: float = setting(30.0, "Seconds to wait for an answer.", schema={"exclusiveMinimum": 0})

    def check(self) -> None:
        """Reject a mistyped region up front (exit 2), instead of a failing scope per call later.

        A region counts as known when the shipped region table or botocore's endpoint data has it,
        so a region AWS opens before our table is updated still works.
        """
        if self.config_aggregator and self.source == "api":
            raise ConfigError("--config-aggregator reads AWS Config; give --aws-source config or auto too",
                              source="--config-aggregator")
        if self.config_aggregator and (self.org_role or self.role_arns):
            raise ConfigError("--config-aggregator reads every member account from one account; drop --org-role and "
                              "--role-arn", source="--config-aggregator")
        if self.ous and not (self.org_role or self.config_aggregator):
            raise ConfigError("--ou narrows the accounts of --org-role or --config-aggregator; give one of them too",
                              source="--ou")
        table = set(known_regions("aws"))
        unknown = [r for r in self.regions if r not in table]
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
