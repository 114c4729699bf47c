"""Which accounts to scan: profiles, assumed roles, or every account of an AWS Organization.

Anything the user named explicitly (a profile, a role) must work, or nothing is scanned
(:class:`CredentialError`, exit 2). An organization member whose role cannot be assumed is
reported as a collection problem and the others go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound
from botocore.parsers import ResponseParserError

from policycheck.errors import CredentialError

from .calls import DENIED, describe_client_error
from .session import Clients, SessionFactory
from .settings import AwsSettings as Settings

#: STS answers that mean the credentials themselves are bad.
BAD_CREDENTIALS = frozenset({"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId",
                             "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidToken"})


@dataclass
class Target:
    """One account to scan, with its clients."""

    account: str
    partition: str
    label: str
    clients: Clients


ClientsFactory = Callable[[Any], Clients]


def resolve_targets(settings: Settings, factory: SessionFactory, make_clients: ClientsFactory,
                    report_problem: Callable[[str, str], None]) -> list[Target]:
    """The accounts to scan, deduplicated by account id."""
    bases = [_base_target(settings, factory, make_clients, profile) for profile in settings.profiles or (None,)]
    targets: list[Target] = []
    if not settings.role_arns and not settings.org_role:
        targets.extend(bases)
    for arn in settings.role_arns:
        targets.append(_role_target(settings, factory, make_clients, bases[0], arn, strict=True))
    if settings.org_role:
        targets.extend(_org_targets(settings, factory, make_clients, bases[0], report_problem))
    unique: dict[str, Target] = {}
    for target in targets:
        unique.setdefault(target.account, target)
    return list(unique.values())


def _base_target(settings: Settings, factory: SessionFactory, make_clients: ClientsFactory,
                 profile: str | None) -> Target:
    what = f"profile '{profile}'" if profile else "the default credentials"
    try:
        session = factory(profile_name=profile) if profile else factory()
    except ProfileNotFound:
        raise CredentialError(f"profile '{profile}' not found in the AWS config files", source="aws") from None
    clients = make_clients(session)
    identity = _identity(clients, what)
    arn = identity["Arn"]
    return Target(identity["Account"], arn.split(":")[1], f"{what} ({arn})", clients)


def _identity(clients: Clients, what: str) -> dict[str, Any]:
    try:
        return clients.probe("sts").get_caller_identity()
    except NoCredentialsError:
        raise CredentialError("no credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID, run 'aws configure' "
                              "or 'aws sso login', or pass --profile", source="aws") from None
    except ClientError as exc:
        raise CredentialError(f"{what} rejected by AWS STS: {describe_client_error(exc)}", source="aws") from None
    except ResponseParserError:
        raise CredentialError(f"{what}: the endpoint does not answer like AWS STS (unparsable response)",
                              source="aws") from None
    except BotoCoreError as exc:
        raise CredentialError(f"{what}: cannot reach AWS: {exc}", source="aws") from None


def _role_target(settings: Settings, factory: SessionFactory, make_clients: ClientsFactory, base: Target,
                 arn: str, *, strict: bool) -> Target:
    fetch = _assume_role_fetcher(base.clients("sts"), arn, settings)
    try:
        first = fetch()
    except (ClientError, BotoCoreError) as exc:
        reason = describe_client_error(exc) if isinstance(exc, ClientError) else str(exc)
        message = f"cannot assume role {arn}: {reason} (sts:AssumeRole)"
        if strict:
            raise CredentialError(message, source="aws") from None
        raise _Skip(message) from None
    botocore_session = botocore.session.get_session()
    botocore_session.register_component("credential_provider", CredentialResolver([_AssumedRole(first, fetch)]))
    session = factory(botocore_session=botocore_session, region_name=base.clients.home_region)
    account = arn.split(":")[4]
    return Target(account, arn.split(":")[1], f"role {arn}", make_clients(session))


def _assume_role_fetcher(sts: Any, arn: str, settings: Settings) -> Callable[[], dict[str, str]]:
    params: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": settings.session_name}
    if settings.external_id:
        params["ExternalId"] = settings.external_id

    def fetch() -> dict[str, str]:
        credentials = sts.assume_role(**params)["Credentials"]
        expiry = credentials["Expiration"]
        if isinstance(expiry, dt.datetime):
            expiry = expiry.isoformat()
        return {"access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"], "expiry_time": expiry}

    return fetch


class _AssumedRole(CredentialProvider):
    """Credentials of an assumed role, refreshed before they expire (long scans outlive one hour)."""

    METHOD = "policycheck-assume-role"
    CANONICAL_NAME = "policycheck-assume-role"

    def __init__(self, first: dict[str, str], fetch: Callable[[], dict[str, str]]):
        super().__init__()
        self._first = first
        self._fetch = fetch

    def load(self) -> RefreshableCredentials:
        return RefreshableCredentials.create_from_metadata(self._first, self._fetch, self.METHOD)


class _Skip(Exception):
    pass


def _org_targets(settings: Settings, factory: SessionFactory, make_clients: ClientsFactory, base: Target,
                 report_problem: Callable[[str, str], None]) -> list[Target]:
    accounts = _org_accounts(base)
    wanted = [a for a in accounts if (not settings.accounts or a in settings.accounts)
              and a not in settings.exclude_accounts]
    targets = []
    for account in wanted:
        if account == base.account:
            targets.append(base)
            continue
        arn = f"arn:{base.partition}:iam::{account}:role/{settings.org_role}"
        try:
            targets.append(_role_target(settings, factory, make_clients, base, arn, strict=False))
        except _Skip as exc:
            report_problem(f"account {account}", str(exc))
    return targets


def _org_accounts(base: Target) -> list[str]:
    client = base.clients("organizations")
    accounts: list[str] = []
    params: dict[str, Any] = {}
    try:
        while True:
            page = client.list_accounts(**params)
            accounts.extend(a["Id"] for a in page.get("Accounts", []) if a.get("Status", "ACTIVE") == "ACTIVE")
            if not page.get("NextToken"):
                return accounts
            params["NextToken"] = page["NextToken"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        hint = " (run from the management or a delegated administrator account)" if code in DENIED or \
            code == "AWSOrganizationsNotInUseException" else ""
        raise CredentialError(f"cannot list the organization's accounts: {describe_client_error(exc)} "
                              f"(organizations:ListAccounts){hint}", source="aws") from None
    except BotoCoreError as exc:
        raise CredentialError(f"cannot list the organization's accounts: {exc}", source="aws") from None
