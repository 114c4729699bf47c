"""Which IAM members and ACL entities of a bucket are outside its project's organisation.

"Outside" is decided per member kind, from what the bucket itself tells (its project id and number)
and the ``allowed_domains`` setting (the organisation's own Cloud Identity / Workspace domains, plus
``PROJECT.iam.gserviceaccount.com`` of sibling projects that count as inside):

- ``user:``, ``group:`` (ACL ``user-``, ``group-``): inside when the e-mail's domain is allowed;
- ``domain:`` (ACL ``domain-``): inside when the domain is allowed;
- ``serviceAccount:``: inside when it belongs to the bucket's project (``…@PROJECT.iam.gserviceaccount.com``),
  is one of the project's Google service agents (the project number in the name), or its domain is allowed;
- ``projectOwner:``/``projectEditor:``/``projectViewer:`` (ACL ``project-TEAM-NUMBER``): inside for the
  bucket's own project;
- ``principal://``, ``principalSet://`` (workload and workforce identity federation), ACL entities by
  numeric id and anything unrecognised: outside (they cannot be shown to be inside);
- ``allUsers``/``allAuthenticatedUsers`` are public (``access.public``), ``deleted:`` members grant nothing.

With no ``allowed_domains`` every user, group and domain member counts as outside: nothing proves it inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .normalise import PUBLIC_PRINCIPALS

SERVICE_AGENT_DOMAIN = "gserviceaccount.com"
PROJECT_ROLES = ("projectOwner", "projectEditor", "projectViewer")


@dataclass(frozen=True)
class Home:
    """The bucket's own project and the domains that count as its organisation."""

    project: str
    project_number: str
    allowed_domains: frozenset[str] = frozenset()

    def allowed(self, domain: str) -> bool:
        return domain.lower() in self.allowed_domains


def external_members(bindings: Iterable[Mapping[str, Any]], acl_entries: Iterable[Mapping[str, Any]],
                     home: Home) -> list[str]:
    """IAM members and ACL entities outside ``home``, as they are written (sorted, unique)."""
    found = {m for b in bindings for m in b.get("members") or () if _outside_member(str(m), home)}
    found |= {str(e["entity"]) for e in acl_entries if e.get("entity") and _outside_entity(e, home)}
    return sorted(found)


def _outside_member(member: str, home: Home) -> bool:
    if member in PUBLIC_PRINCIPALS or member.startswith("deleted:"):
        return False
    kind, _, value = member.partition(":")
    if kind in ("user", "group"):
        return not home.allowed(_domain(value))
    if kind == "domain":
        return not home.allowed(value)
    if kind == "serviceAccount":
        return not _own_service_account(value, home)
    if kind in PROJECT_ROLES:
        return value != home.project
    return True  # principal://, principalSet:// and unknown kinds cannot be shown to be inside


def _outside_entity(entry: Mapping[str, Any], home: Home) -> bool:
    entity = str(entry["entity"])
    if entity in PUBLIC_PRINCIPALS:
        return False
    team = entry.get("projectTeam") or {}
    if entity.startswith("project-"):
        number = team.get("projectNumber") or entity.rsplit("-", 1)[-1]
        return str(number) != home.project_number
    kind, _, value = entity.partition("-")
    if kind in ("user", "group") and "@" in value:
        return not home.allowed(_domain(value))
    if kind == "domain":
        return not home.allowed(value)
    return True  # user-ID / group-ID: an id alone cannot be shown to be inside


def _own_service_account(email: str, home: Home) -> bool:
    local, _, domain = email.lower().partition("@")
    if domain == f"{home.project}.iam.{SERVICE_AGENT_DOMAIN}" or home.allowed(domain):
        return True
    agent = domain.endswith(SERVICE_AGENT_DOMAIN) and bool(home.project_number)
    return agent and home.project_number in local.replace("service-", "").split("-")


def _domain(email: str) -> str:
    return email.rpartition("@")[2]
