"""AWS's meaning of "public" for resource policies, as one table with the guide's words beside each row.

Source: Amazon S3 User Guide, "Blocking public access to your Amazon S3 storage" → "The meaning of
'public'" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
#access-control-block-public-access-policy-status). Its rule, quoted:

    "When evaluating a bucket policy, Amazon S3 begins by assuming that the policy is public. It then
    evaluates the policy to determine whether it qualifies as non-public. To be considered non-public,
    a bucket policy must grant access only to fixed values (values that don't contain a wildcard or an
    AWS Identity and Access Management Policy Variable) for one or more of the following: ..."

Every row of :data:`RESTRICTING_KEYS` is one bullet of that list (the first bullet, "An AWS
principal, user, role, or service principal (e.g. aws:PrincipalOrgID)", covers the condition keys
that name the principal). A key the guide does not list (``aws:SourceOrgID``, ``aws:SourceOrgPaths``,
``aws:SecureTransport``, ...) never makes a statement non-public, however fixed its value.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

GUIDE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"
PRINCIPAL_BULLET = "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)"
FIXED_RULE = ("To be considered non-public, a bucket policy must grant access only to fixed values (values that "
              "don't contain a wildcard or an AWS Identity and Access Management Policy Variable)")
SOURCE_IP_NOTE = ("Bucket policies that grant access conditioned on the aws:SourceIp condition key with very broad IP "
                  "ranges (for example, 0.0.0.0/1) are evaluated as \"public.\" This includes values broader than /8 "
                  "for IPv4 and /32 for IPv6 (excluding RFC1918 private ranges).")
ACCESS_POINT_ARN_NOTE = ("When used in a bucket policy, this value can contain a wildcard for the access point name "
                         "without rendering the policy public, as long as the account id is fixed.")
ACCESS_POINT_POLICY_NOTE = ("An access point policy that grants access to a set of access points using "
                            "s3:DataAccessPointArn is considered public.")
WEB_IDENTITY_EXAMPLE = ('Under these rules, the following example policies are considered public. '
                        '{"Principal": {"Federated": "graph.facebook.com"}, ...}')

#: Prefix lengths below which an aws:SourceIp range is "broader than /8 for IPv4 and /32 for IPv6".
MIN_PREFIX = {4: 8, 6: 32}
#: RFC 1918 private ranges, which the aws:SourceIp note excludes from "broad".
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
#: Where a policy is attached: an access point policy judges s3:DataAccessPointArn more strictly.
BUCKET, ACCESS_POINT = "bucket", "access-point"
_VARIABLE = re.compile(r"\$\{[^}]*\}")


def has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def fixed(value: str) -> bool:
    """The guide's "fixed value": no wildcard, no policy variable; any ARN without them counts, whatever its parts."""
    return bool(value) and not has_wildcard(value) and not _VARIABLE.search(value)


def _fixed_cidr(value: str, _: str) -> bool:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    if isinstance(network, ipaddress.IPv4Network) and any(network.subnet_of(private) for private in PRIVATE_RANGES):
        return True
    return network.prefixlen >= MIN_PREFIX[network.version]


def _fixed_value(value: str, _: str) -> bool:
    return fixed(value)


def _fixed_userid(value: str, _: str) -> bool:
    """Fixed, or the role pattern ``AROLEID:*`` (every session of one role), which the guide leaves non-public."""
    role, sep, session = value.partition(":")
    return fixed(value) or (bool(sep) and session == "*" and role.startswith("AROA") and fixed(role))


def _fixed_access_point_arn(value: str, attached_to: str) -> bool:
    """In a bucket policy the access point name may be a wildcard while the account is fixed; not in an AP policy."""
    if fixed(value):
        return True
    if attached_to != BUCKET or _VARIABLE.search(value):
        return False
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5].startswith("accesspoint/"):
        return False
    return all(fixed(part) for part in parts[:5])  # only the name after accesspoint/ may hold a wildcard


@dataclass(frozen=True)
class RestrictingKey:
    """One bullet of the guide's list: a condition key and how a value of it counts as fixed."""

    key: str
    guide: str
    is_fixed: Callable[[str, str], bool] = _fixed_value


#: The guide's list, one row per key (lower-cased: condition keys are case-insensitive).
RESTRICTING_KEYS: dict[str, RestrictingKey] = {row.key: row for row in (
    # "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)"
    RestrictingKey("aws:principalorgid", PRINCIPAL_BULLET),
    RestrictingKey("aws:principalaccount", PRINCIPAL_BULLET),
    RestrictingKey("aws:principalarn", PRINCIPAL_BULLET),
    RestrictingKey("aws:principalorgpaths", PRINCIPAL_BULLET),
    RestrictingKey("aws:principalservicename", PRINCIPAL_BULLET),
    # "A set of Classless Inter-Domain Routings (CIDRs), using aws:SourceIp." + the note on broad ranges
    RestrictingKey("aws:sourceip", "A set of Classless Inter-Domain Routings (CIDRs), using aws:SourceIp. "
                   + SOURCE_IP_NOTE, _fixed_cidr),
    RestrictingKey("aws:sourcearn", "aws:SourceArn"),
    RestrictingKey("aws:sourcevpc", "aws:SourceVpc"),
    RestrictingKey("aws:sourcevpce", "aws:SourceVpce"),
    RestrictingKey("aws:sourceowner", "aws:SourceOwner"),
    RestrictingKey("aws:sourceaccount", "aws:SourceAccount"),
    RestrictingKey("s3:x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
    RestrictingKey("aws:userid", 'aws:userid, outside the pattern "AROLEID:*"', _fixed_userid),
    RestrictingKey("s3:dataaccesspointarn", "s3:DataAccessPointArn. " + ACCESS_POINT_ARN_NOTE + " "
                   + ACCESS_POINT_POLICY_NOTE, _fixed_access_point_arn),
    RestrictingKey("s3:dataaccesspointaccount", "s3:DataAccessPointAccount"),
)}

#: Keys by which a bucket policy delegates access control to access points.
ACCESS_POINT_KEYS = frozenset({"s3:dataaccesspointarn", "s3:dataaccesspointaccount"})

#: Condition operators that admit only the listed values (IfExists variants never restrict: the key may be absent).
POSITIVE_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike",
                                "ipaddress"})
NEGATED_OPERATORS = frozenset({"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals",
                               "arnnotlike", "notipaddress"})


def restricting(key: str, values: tuple[str, ...], attached_to: str = BUCKET) -> bool:
    """``key`` is on the guide's list and every one of ``values`` is fixed for it."""
    row = RESTRICTING_KEYS.get(key)
    return row is not None and bool(values) and all(row.is_fixed(value, attached_to) for value in values)


# -- principals ---------------------------------------------------------------------------------------
#: Web-identity providers: anyone with an account there (the guide's first public example).
WEB_IDENTITY_PROVIDERS = frozenset({"graph.facebook.com", "accounts.google.com", "www.amazon.com",
                                    "cognito-identity.amazonaws.com", "appleid.apple.com"})


def principal_is_everyone(kind: str, value: str) -> bool:
    """A principal entry that is not one fixed principal.

    ``*``; any value with a wildcard or variable (``arn:aws:iam::*:root`` names every account); and a
    ``Federated`` web-identity provider (anyone who signs in there). A ``Federated`` SAML or OIDC provider
    ARN of a fixed account names that account's provider, so it is fixed like any ARN.
    """
    if value == "*" or not fixed(value):
        return True
    return kind.lower() == "federated" and not value.startswith("arn:")
