"""Resource-policy evaluation: is it public, does it enforce TLS, which other accounts does it name?

Works on S3 bucket policies and DynamoDB resource policies alike. "Public" follows AWS's own
definition: an Allow to every principal (``"*"`` or a ``NotPrincipal``) is not public when a
condition pins it to fixed values of a restricting key (``aws:SourceVpc``, ``aws:SourceVpce``,
``aws:PrincipalOrgID``, ``aws:SourceIp``, ``aws:PrincipalAccount``, ...), or when a Deny to
everyone outside such a restriction covers it. TLS is enforced when a Deny to everyone on
``aws:SecureTransport = false`` covers every action on every given resource.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: Condition keys that, pinned to fixed values, keep an Allow-to-everyone from being public.
RESTRICTING_KEYS = frozenset({
    "aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner",
    "aws:sourceorgid", "aws:sourceorgpaths", "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount",
    "aws:principalarn", "aws:userid", "aws:principalservicename", "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
})
ARN_KEYS = frozenset({"aws:sourcearn", "aws:principalarn", "s3:dataaccesspointarn"})
POSITIVE_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike",
                                "ipaddress"})
NEGATED_OPERATORS = frozenset({"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals",
                               "arnnotlike", "notipaddress"})
#: Smallest CIDR prefixes AWS still counts as a restriction (wider ranges are public).
MIN_PREFIX = {4: 8, 6: 32}


@dataclass(frozen=True)
class PolicyVerdict:
    public: bool = False
    public_statements: tuple[str, ...] = ()
    tls_enforced: bool = False
    accounts: tuple[str, ...] = ()


NO_POLICY = PolicyVerdict()


@dataclass(frozen=True)
class Statement:
    sid: str
    allow: bool
    principals: tuple[str, ...] | None  # None: the statement uses NotPrincipal
    not_principals: tuple[str, ...]
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]  # (operator, key, values), lower-cased op/key

    @property
    def to_everyone(self) -> bool:
        return self.principals is None or "*" in self.principals


def evaluate_policy(document: str | dict[str, Any] | None, *, service: str, resources: list[str],
                    own_account: str) -> PolicyVerdict:
    """Verdict for a policy attached to ``resources`` (ARNs; for S3 the bucket and ``bucket/*``)."""
    if not document:
        return NO_POLICY
    statements = parse_statements(document)
    public = [s for s in statements if _grants_public(s, statements, resources)]
    return PolicyVerdict(
        public=bool(public),
        public_statements=tuple(s.sid for s in public),
        tls_enforced=any(_enforces_tls(s, service, resources) for s in statements),
        accounts=_accounts(statements, own_account),
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
    return Statement(
        sid=str(item.get("Sid") or f"#{index}"),
        allow=str(item.get("Effect", "")).lower() == "allow",
        principals=None if has_not_principal else _principals(item.get("Principal")),
        not_principals=_principals(item.get("NotPrincipal")) if has_not_principal else (),
        actions=_strings(item.get("NotAction", item.get("Action"))),
        not_action="NotAction" in item,
        resources=_strings(item.get("NotResource", item.get("Resource", "*"))),
        not_resource="NotResource" in item,
        conditions=tuple(conditions),
    )


def _principals(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    found: list[str] = []
    for kind, entries in value.items():
        found.extend(e if kind in ("AWS", "CanonicalUser") or e == "*" else f"{kind}:{e}" for e in _strings(entries))
    return tuple(found)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(_text(v) for v in value)
    return (_text(value),)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


# -- public access ------------------------------------------------------------------------------
def _grants_public(statement: Statement, statements: list[Statement], resources: list[str]) -> bool:
    if not statement.allow or not statement.to_everyone or not _touches(statement, resources):
        return False
    if any(_restricts(op, key, values) for op, key, values in statement.conditions):
        return False
    return not any(_confines(deny, statement) for deny in statements if not deny.allow)


def _restricts(operator: str, key: str, values: tuple[str, ...]) -> bool:
    """A positive condition pinning a restricting key to fixed values.

    IfExists never restricts, and neither does ForAllValues: it holds when the key is absent.
    """
    qualifier, _, base = operator.rpartition(":")
    if qualifier == "forallvalues":
        return False
    if base.endswith("ifexists") or base not in POSITIVE_OPERATORS or key not in RESTRICTING_KEYS:
        return False
    return bool(values) and all(_fixed(key, value) for value in values)


def _fixed(key: str, value: str) -> bool:
    if key == "aws:sourceip":
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
        return network.prefixlen >= MIN_PREFIX[network.version]
    if key in ARN_KEYS:
        parts = value.split(":")
        return len(parts) > 5 and value.startswith("arn:") and bool(parts[4]) and not _wild(parts[4])
    if key in ("aws:principalorgpaths", "aws:sourceorgpaths"):
        return not _wild(value.split("/", 1)[0])
    return bool(value) and not _wild(value)


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


def _confines(deny: Statement, allow: Statement) -> bool:
    """A Deny that leaves only a restricted audience able to use what ``allow`` grants."""
    if not _covers_actions(deny, allow):
        return False
    # a Deny confines only what it covers: one on a sub-prefix leaves the rest public
    if deny.not_resource or not all(_matches_any(deny.resources, r, False) for r in allow.resources):
        return False
    if deny.principals is None:  # Deny everyone except named principals, unconditionally
        return not deny.conditions and bool(deny.not_principals) and "*" not in deny.not_principals
    if not deny.to_everyone:
        return False
    return any(_negated_restriction(op, key, values) for op, key, values in deny.conditions)


def _negated_restriction(operator: str, key: str, values: tuple[str, ...]) -> bool:
    base = operator.split(":", 1)[-1].removesuffix("ifexists")
    return base in NEGATED_OPERATORS and key in RESTRICTING_KEYS and bool(values) and \
        all(_fixed(key, value) for value in values)


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
def _accounts(statements: Iterable[Statement], own_account: str) -> tuple[str, ...]:
    found = set()
    for statement in statements:
        if not statement.allow or statement.principals is None:
            continue
        for principal in statement.principals:
            account = principal if principal.isdigit() else (principal.split(":")[4] if principal.startswith(
                "arn:") and len(principal.split(":")) > 5 else "")
            if len(account) == 12 and account != own_account:
                found.add(account)
    return tuple(sorted(found))


# -- IAM wildcards ------------------------------------------------------------------------------
def _matches_any(patterns: Iterable[str], value: str, ignore_case: bool) -> bool:
    return any(_pattern(p, ignore_case).fullmatch(value) for p in patterns)


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)
