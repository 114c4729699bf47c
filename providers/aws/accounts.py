"""Which accounts to scan: profiles, assumed roles, or every account of an AWS Organization.

Anything the user named explicitly (a profile, a role) must work, or nothing is scanned
(:class:`CredentialError`, exit 2). An organization member whose role cannot be assumed is
reported as a collection problem and the others go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound
from botocore.parsers import ResponseParserError

from policycheck.errors import CredentialError

from .calls import DENIED, describe_client_error, error_code
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


#: Accounts whose roles are assumed at once (an organisation of hundreds is not assumed one by one).
ASSUME_WORKERS = 8

Select = Callable[[list[str]], list[str]]


def resolve_targets(settings: Settings, factory: SessionFactory, make_clients: ClientsFactory,
                    report_problem: Callable[[str, str], None], select: Select = list) -> list[Target]:
    """The accounts to scan, deduplicated by account id.

    ``select`` narrows the candidate accounts before any role is assumed (a shard's own accounts);
    roles are assumed concurrently, and an organisation member whose role cannot be assumed is a
    collection problem for that account while the others go on.
    """
    bases = [_base_target(settings, factory, make_clients, profile) for profile in settings.profiles or (None,)]
    candidates: dict[str, Callable[[], Target]] = {}
    if not settings.role_arns and not settings.org_role:
        for base in bases:
            candidates.setdefault(base.account, partial(_same, base))
    for arn in settings.role_arns:
        candidates.setdefault(arn.split(":")[4], partial(_role_target, settings, factory, make_clients, bases[0], arn,
                                                         strict=True))
    if settings.org_role:
        base = bases[0]
        for account in org_accounts(settings, base):
            arn = f"arn:{base.partition}:iam::{account}:role/{settings.org_role}"
            candidates.setdefault(account, partial(_same, base) if account == base.account else
                                  partial(_role_target, settings, factory, make_clients, base, arn, strict=False))
    chosen = select(list(candidates))
    targets: dict[str, Target] = {}
    with ThreadPoolExecutor(max(1, min(ASSUME_WORKERS, len(chosen))), "policycheck-aws-assume") as pool:
        futures = {account: pool.submit(candidates[account]) for account in chosen}
        for account, future in futures.items():
            try:
                targets[account] = future.result()
            except _Skip as exc:
                report_problem(f"account {account}", str(exc))
    return list(targets.values())


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
        verdict = "rejected by" if error_code(exc) in BAD_CREDENTIALS else "could not be verified by"
        raise CredentialError(f"{what} {verdict} AWS STS: {describe_client_error(exc)}", source="aws") from None
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
    loader = _loader_of(base)
    if loader is not None:  # one copy of the service models for hundreds of accounts, loaded once
        botocore_session.register_component("data_loader", loader)
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


def _loader_of(base: Target) -> Any:
    """The base session's model loader (it caches what it has read), when the session exposes one."""
    inner = getattr(base.clients.session, "_session", None)
    try:
        return inner.get_component("data_loader") if inner is not None else None
    except (AttributeError, ValueError):
        return None


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


def org_accounts(settings: Settings, base: Target) -> list[str]:
    """Active accounts of the organisation (of ``--ou`` OUs when given), narrowed by ``--accounts`` and
    ``--exclude-accounts``, in a stable order."""
    if settings.ous:
        from .organization import accounts_under

        listed = accounts_under(base.clients("organizations"), settings.ous)
    else:
        listed = _org_accounts(base)
    return sorted(a for a in dict.fromkeys(listed) if (not settings.accounts or a in settings.accounts)
                  and a not in settings.exclude_accounts)


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


def _same(target: Target) -> Target:
    """The target itself (a candidate that needs no role to be assumed)."""
    return target
