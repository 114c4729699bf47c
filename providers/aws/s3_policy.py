"""Resource-policy evaluation: is it public, does it enforce TLS, which other accounts does it name?

Works on S3 bucket and access point policies and DynamoDB resource policies alike. "Public"
follows AWS's documented meaning (:mod:`.public_meaning`): an Allow to everyone (``"*"``, a
``NotPrincipal``, a web-identity provider, an ARN with a wildcard account) is not public when a
condition pins it to fixed values of a key the S3 user guide lists, or when a Deny to everyone
outside such a restriction covers it. TLS is enforced when a Deny to everyone on
``aws:SecureTransport = false`` covers every action on every given resource.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .public_meaning import (
    ACCESS_POINT_KEYS,
    BUCKET,
    NEGATED_OPERATORS,
    POSITIVE_OPERATORS,
    has_wildcard,
    principal_is_everyone,
    restricting,
)

#: Condition keys whose fixed values name another account or organisation that gains access.
ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "s3:dataaccesspointaccount"})
ARN_ACCOUNT_KEYS = frozenset({"aws:principalarn", "aws:sourcearn", "s3:dataaccesspointarn"})
ORG_KEYS = frozenset({"aws:principalorgid"})


@dataclass(frozen=True)
class PolicyVerdict:
    public: bool = False
    public_statements: tuple[str, ...] = ()
    everyone_statements: tuple[str, ...] = ()  # Allow statements to everyone, public or restricted
    tls_enforced: bool = False
    accounts: tuple[str, ...] = ()  # other accounts named as principals
    external: tuple[str, ...] = ()  # other accounts (ids) or canonical users that gain access
    organisations: tuple[str, ...] = ()  # organisation ids a statement admits (own one included)
    access_point_accounts: tuple[str, ...] = ()  # accounts whose access points the policy delegates to


NO_POLICY = PolicyVerdict()


@dataclass(frozen=True)
class Statement:
    sid: str
    allow: bool
    principals: tuple[str, ...] | None  # None: the statement uses NotPrincipal
    everyone: bool  # some principal entry is not one fixed principal (see principal_is_everyone)
    not_principals: tuple[str, ...]
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]  # (operator, key, values), lower-cased op/key

    @property
    def to_everyone(self) -> bool:
        return self.principals is None or self.everyone


def evaluate_policy(document: str | dict[str, Any] | None, *, service: str, resources: list[str],
                    own_account: str, own_canonical: str | None = None, attached_to: str = BUCKET) -> PolicyVerdict:
    """Verdict for a policy attached to ``resources`` (ARNs; for S3 the bucket and ``bucket/*``).

    ``attached_to`` is ``bucket`` or ``access-point`` (the guide judges ``s3:DataAccessPointArn``
    wildcards differently for the two).
    """
    if not document:
        return NO_POLICY
    statements = parse_statements(document)
    granting = [s for s in statements if s.allow and _touches(s, resources)]
    public = [s for s in granting if _grants_public(s, statements, attached_to)]
    delegating = [s for s in granting if s not in public and s.to_everyone and _delegates(s, attached_to)]
    return PolicyVerdict(
        public=bool(public),
        public_statements=tuple(s.sid for s in public),
        everyone_statements=tuple(s.sid for s in granting if s.to_everyone),
        tls_enforced=any(_enforces_tls(s, service, resources) for s in statements),
        accounts=_accounts(statements, own_account),
        external=_external(granting, own_account, own_canonical),
        organisations=tuple(sorted({v for s in granting for v in _condition_values(s, ORG_KEYS)})),
        access_point_accounts=tuple(sorted({a for s in delegating for a in _named_accounts(s, ACCESS_POINT_KEYS)})),
    )


def parse_statements(document: str | dict[str, Any]) -> list[Statement]:
    data = json.loads(document) if isinstance(document, str) else document
    raw = data.get("Statement", [])
    raw = [raw] if isinstance(raw, dict) else raw
    return [_statement(item, index) for index, item in enumerate(raw) if isinstance(item, dict)]


def _statement(item: dict[str, Any], index: int) -> Statement:
    conditions = []
    for operator, block in (item.get("Condition") or {}).items():
        for key, values in (block or {}).items():
            conditions.append((operator.lower(), key.lower(), _strings(values)))
    has_not_principal = "NotPrincipal" in item
    entries = () if has_not_principal else _principal_entries(item.get("Principal"))
    return Statement(
        sid=str(item.get("Sid") or f"#{index}"),
        allow=str(item.get("Effect", "")).lower() == "allow",
        principals=None if has_not_principal else _principals(item.get("Principal")),
        everyone=any(principal_is_everyone(kind, value) for kind, value in entries),
        not_principals=_principals(item.get("NotPrincipal")) if has_not_principal else (),
        actions=_strings(item.get("NotAction", item.get("Action"))),
        not_action="NotAction" in item,
        resources=_strings(item.get("NotResource", item.get("Resource", "*"))),
        not_resource="NotResource" in item,
        conditions=tuple(conditions),
    )


def _principal_entries(value: Any) -> tuple[tuple[str, str], ...]:
    """(kind, value) pairs: ``"*"`` alone is ("AWS", "*")."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (("AWS", value),)
    if not isinstance(value, dict):
        return (("AWS", "*"),)  # a shape AWS would reject: fail closed, as everyone
    return tuple((str(kind), entry) for kind, entries in value.items() for entry in _strings(entries))


def _principals(value: Any) -> tuple[str, ...]:
    return tuple(e if kind in ("AWS", "CanonicalUser") or e == "*" else f"{kind}:{e}"
                 for kind, e in _principal_entries(value))


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(_text(v) for v in value)
    return (_text(value),)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


# -- public access ------------------------------------------------------------------------------
def _grants_public(statement: Statement, statements: list[Statement], attached_to: str) -> bool:
    if not statement.to_everyone:
        return False
    if any(_restricts(op, key, values, attached_to) for op, key, values in statement.conditions):
        return False
    return not any(_confines(deny, statement, attached_to) for deny in statements if not deny.allow)


def _delegates(statement: Statement, attached_to: str) -> bool:
    """Only access point keys keep this Allow-to-everyone from being public: the access points decide."""
    restrictions = [key for op, key, values in statement.conditions if _restricts(op, key, values, attached_to)]
    return bool(restrictions) and all(key in ACCESS_POINT_KEYS for key in restrictions)


def _restricts(operator: str, key: str, values: tuple[str, ...], attached_to: str = BUCKET) -> bool:
    """A positive condition pinning a key of the guide's list to fixed values.

    IfExists never restricts, and neither does ForAllValues: it holds when the key is absent.
    """
    qualifier, _, base = operator.rpartition(":")
    if qualifier == "forallvalues":
        return False
    if base.endswith("ifexists") or base not in POSITIVE_OPERATORS:
        return False
    return restricting(key, values, attached_to)


def _wild(text: str) -> bool:
    return has_wildcard(text)


def _confines(deny: Statement, allow: Statement, attached_to: str) -> bool:
    """A Deny that leaves only a restricted audience able to use what ``allow`` grants."""
    if not _covers_actions(deny, allow):
        return False
    # a Deny confines only what it covers: one on a sub-prefix leaves the rest public
    if deny.not_resource or not all(_matches_any(deny.resources, r, False) for r in allow.resources):
        return False
    if deny.principals is None:  # Deny everyone except named principals, unconditionally
        return not deny.conditions and bool(deny.not_principals) and \
            not any(principal_is_everyone("AWS", p) for p in deny.not_principals)
    if not deny.to_everyone:
        return False
    return any(_negated_restriction(op, key, values, attached_to) for op, key, values in deny.conditions)


def _negated_restriction(operator: str, key: str, values: tuple[str, ...], attached_to: str) -> bool:
    base = operator.split(":", 1)[-1].removesuffix("ifexists")
    return base in NEGATED_OPERATORS and restricting(key, values, attached_to)


def _covers_actions(deny: Statement, allow: Statement) -> bool:
    if deny.not_action:
        return False
    if allow.not_action:
        return "*" in deny.actions
    return all(_matches_any(deny.actions, action, True) for action in allow.actions)


def _touches(statement: Statement, resources: list[str]) -> bool:
    """The statement applies to some part of ``resources`` (a prefix of the objects is enough)."""
    if statement.not_resource:
        return not all(_matches_any(statement.resources, r, False) for r in resources)
    return any(_overlap(p, r) for p in statement.resources for r in resources)


def _overlap(pattern: str, resource: str) -> bool:
    """Some name matches both wildcard patterns (approximated by their literal prefixes)."""
    if not _wild(pattern):
        return _matches_any([resource], pattern, False)
    if not _wild(resource):
        return _matches_any([pattern], resource, False)
    a, b = _literal_prefix(pattern), _literal_prefix(resource)
    return a.startswith(b) or b.startswith(a)


def _literal_prefix(glob: str) -> str:
    return re.split(r"[*?]", glob, maxsplit=1)[0]


# -- TLS -------------------------------------------------------------------------------------------
def _enforces_tls(statement: Statement, service: str, resources: list[str]) -> bool:
    if statement.allow or not statement.to_everyone or statement.principals is None or statement.not_action:
        return False
    if not any(a in ("*", f"{service}:*") for a in (x.lower() for x in statement.actions)):
        return False
    if statement.not_resource or not all(_matches_any(statement.resources, r, False) for r in resources):
        return False
    if len(statement.conditions) != 1:
        return False
    operator, key, values = statement.conditions[0]
    return operator in ("bool", "boolifexists") and key == "aws:securetransport" and values == ("false",)


# -- accounts ---------------------------------------------------------------------------------------
def _account_of(principal: str) -> str:
    """The 12-digit account a principal entry names ("" when none: services, canonical users, ``*``)."""
    if principal.isdigit():
        return principal
    parts = principal.split(":")
    if principal.startswith("arn:") and len(parts) > 5:
        return parts[4]
    if principal.startswith("Federated:arn:") and len(parts) > 6:
        return parts[5]
    return ""


def _accounts(statements: Iterable[Statement], own_account: str) -> tuple[str, ...]:
    found = set()
    for statement in statements:
        if not statement.allow or statement.principals is None:
            continue
        for principal in statement.principals:
            account = _account_of(principal)
            if len(account) == 12 and account.isdigit() and account != own_account:
                found.add(account)
    return tuple(sorted(found))


def _condition_values(statement: Statement, keys: frozenset[str]) -> set[str]:
    """Fixed values of ``keys`` in the statement's positive conditions."""
    return {value for op, key, values in statement.conditions if key in keys and _restricts(op, key, values)
            for value in values if not _wild(value)}


def _named_accounts(statement: Statement, keys: frozenset[str]) -> set[str]:
    """Accounts the statement's conditions on ``keys`` name, directly or in an ARN's account field."""
    found = _condition_values(statement, keys & ACCOUNT_KEYS)
    for op, key, values in statement.conditions:
        if key in keys & ARN_ACCOUNT_KEYS and _restricts(op, key, values):
            found.update(_account_of(value) for value in values)
    return {a for a in found if len(a) == 12 and a.isdigit()}


def _external(granting: Iterable[Statement], own_account: str, own_canonical: str | None) -> tuple[str, ...]:
    """Other accounts (and canonical users) that Allow statements let in, by principal or condition."""
    found: set[str] = set()
    for statement in granting:
        if statement.principals is None:
            continue
        for principal in statement.principals:
            if principal.startswith("Service:"):
                continue
            account = _account_of(principal)
            if len(account) == 12 and account.isdigit():
                found.add(account)
            elif re.fullmatch(r"[0-9a-f]{64}", principal) and principal != own_canonical:
                found.add(principal)
        if statement.to_everyone:
            found |= _named_accounts(statement, ACCOUNT_KEYS | ARN_ACCOUNT_KEYS)
    return tuple(sorted(found - {own_account}))


# -- IAM wildcards ------------------------------------------------------------------------------
def _matches_any(patterns: Iterable[str], value: str, ignore_case: bool) -> bool:
    return any(_pattern(p, ignore_case).fullmatch(value) for p in patterns)


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)
