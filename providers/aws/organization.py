"""Accounts under organisational units (``--ou``): each OU's accounts and those of its child OUs, recursively."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from policycheck.errors import ConfigError, CredentialError

from .calls import describe_client_error

__all__ = ["accounts_under"]

#: Answers that mean the OU id names no OU of this organisation.
NOT_FOUND = frozenset({"ParentNotFoundException", "OrganizationalUnitNotFoundException"})


def accounts_under(client: Any, ous: Iterable[str]) -> list[str]:
    """Active accounts in the OUs (an organisation's root id ``r-...`` works too) and their descendants."""
    accounts: list[str] = []
    pending = list(ous)
    seen: set[str] = set()
    while pending:
        parent = pending.pop(0)
        if parent in seen:
            continue
        seen.add(parent)
        accounts.extend(a["Id"] for a in _pages(client, "list_accounts_for_parent", "Accounts", parent)
                        if a.get("Status", "ACTIVE") == "ACTIVE")
        pending.extend(ou["Id"] for ou in _pages(client, "list_organizational_units_for_parent",
                                                 "OrganizationalUnits", parent))
    return accounts


def _pages(client: Any, method: str, key: str, parent: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"ParentId": parent}
    action = "organizations:" + "".join(part.title() for part in method.split("_"))
    try:
        while True:
            page = getattr(client, method)(**params)
            items.extend(page.get(key, []))
            if not page.get("NextToken"):
                return items
            params["NextToken"] = page["NextToken"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in NOT_FOUND:
            raise ConfigError(f"organizational unit '{parent}' not found in the organization", source="--ou") from None
        raise CredentialError(f"cannot list organizational unit {parent}: {describe_client_error(exc)} ({action})",
                              source="aws") from None
    except BotoCoreError as exc:
        raise CredentialError(f"cannot list organizational unit {parent}: {exc}", source="aws") from None
