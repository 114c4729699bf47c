"""A bucket's exposure through its policy: our verdict, S3's own verdict, and the access points it delegates to.

S3's own verdict (``GetBucketPolicyStatus`` → ``IsPublic``) is asked only when our evaluator had to
judge a policy: the bucket has one and ``RestrictPublicBuckets`` does not make it moot. Outcomes:

- both agree: that verdict;
- they disagree: ``access.public`` is unknown (an ``error`` finding) naming both verdicts and the
  statements involved, never resolved silently; ``access.public_via`` still lists ``policy``, because
  whichever side says public, the bucket is treated as public;
- S3's verdict cannot be read (AccessDenied, throttling): when we judged the policy public it stays
  public (the failing direction needs no confirmation); when we judged it not public, ``access.public``
  is unknown — a "not public" that AWS could not confirm is not a pass (fail closed).

A bucket policy that grants everyone access only through ``s3:DataAccessPointAccount`` /
``s3:DataAccessPointArn`` is not public by the guide's rules, but the bucket is then as exposed as its
most exposed access point: each access point of the bucket is read (``ListAccessPoints``, then
``GetAccessPoint`` for its network origin and block, and ``GetAccessPointPolicy``) and judged by the
same evaluator with the guide's access point rules. Access points of another account cannot be
listed from this one: exposure through them is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from policycheck.errors import CollectionError
from policycheck.model import Unknown

from .calls import api, call, paginate
from .public_meaning import ACCESS_POINT
from .s3_access import effective_block
from .s3_policy import PolicyVerdict, evaluate_policy

POLICY_STATUS = api("s3", "GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", "NoSuchBucketPolicy")
LIST_ACCESS_POINTS = api("s3control", "ListAccessPoints", "s3:ListAccessPoints")
GET_ACCESS_POINT = api("s3control", "GetAccessPoint", "s3:GetAccessPoint")
ACCESS_POINT_POLICY = api("s3control", "GetAccessPointPolicy", "s3:GetAccessPointPolicy", "NoSuchAccessPointPolicy")
ACCESS_POINT_APIS = (LIST_ACCESS_POINTS, GET_ACCESS_POINT, ACCESS_POINT_POLICY)


@dataclass(frozen=True)
class Exposure:
    """What the policy route contributes to ``access.*``."""

    public: bool | Unknown
    via: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    aws_public: bool | Unknown | None = None  # S3's own verdict; None when not asked
    access_points: tuple[str, ...] = ()  # names of public access points


def cross_check(ours: PolicyVerdict, status: Callable[[], Mapping[str, Any] | None]) -> Exposure:
    """Our verdict on a policy against S3's ``GetBucketPolicyStatus`` (``status`` makes the request)."""
    via = ("policy",) if ours.public else ()
    try:
        answer = status()
    except CollectionError as exc:
        if ours.public:
            return Exposure(True, via, ours.public_statements, Unknown(str(exc)))
        reason = (f"S3's own verdict on the bucket policy could not be read ({exc}); policycheck judged it not "
                  f"public{_everyone(ours)}")
        return Exposure(Unknown(reason), via, ours.public_statements, Unknown(str(exc)))
    if answer is None:  # the policy went away between the two reads
        return Exposure(Unknown("the bucket policy disappeared while it was read"), via, ours.public_statements)
    aws = (answer.get("PolicyStatus") or {}).get("IsPublic")
    if not isinstance(aws, bool):
        reason = "GetBucketPolicyStatus answered without PolicyStatus.IsPublic"
        return Exposure(Unknown(reason), via, ours.public_statements, Unknown(reason))
    if aws == ours.public:
        return Exposure(ours.public, via, ours.public_statements, aws)
    reason = (f"S3 and policycheck disagree on the bucket policy: S3 GetBucketPolicyStatus says "
              f"{_word(aws)}, policycheck says {_word(ours.public)}"
              + (f" (public statements: {', '.join(ours.public_statements)})" if ours.public else _everyone(ours))
              + "; treated as public until resolved")
    return Exposure(Unknown(reason), ("policy",), ours.public_statements, aws)


def _word(public: bool) -> str:
    return "public" if public else "not public"


def _everyone(verdict: PolicyVerdict) -> str:
    if not verdict.everyone_statements:
        return " (no statement grants to everyone)"
    return f" (statements granting to everyone, judged restricted: {', '.join(verdict.everyone_statements)})"


# -- access points -------------------------------------------------------------------------------------
def access_point_exposure(client: Any, account: str, bucket: str, accounts: tuple[str, ...],
                          bucket_flags: Mapping[str, bool], account_flags: Mapping[str, Any]) -> Exposure:
    """The most exposed access point of ``bucket`` among those the policy delegates to (``accounts``)."""
    foreign = [a for a in accounts if a != account]
    if foreign:
        return Exposure(Unknown(f"the bucket policy delegates to access points of account {', '.join(foreign)}, "
                                "which this account cannot list"))
    listed = paginate(client, LIST_ACCESS_POINTS, "AccessPointList", "NextToken", "NextToken", AccountId=account,
                      Bucket=bucket)
    public = [point["Name"] for point in listed if _public_access_point(client, account, point, bucket_flags,
                                                                         account_flags)]
    return Exposure(bool(public), ("access-point",) if public else (), access_points=tuple(sorted(public)))


def _public_access_point(client: Any, account: str, point: Mapping[str, Any], bucket_flags: Mapping[str, bool],
                         account_flags: Mapping[str, Any]) -> bool:
    """Internet origin, no RestrictPublicBuckets (access point, bucket or account), and a public policy."""
    if point.get("NetworkOrigin") == "VPC":  # "always considered non-public, regardless of ... its policy"
        return False
    name = point["Name"]
    details = call(client, GET_ACCESS_POINT, AccountId=account, Name=name) or {}
    if details.get("NetworkOrigin") == "VPC":
        return False
    flags = effective_block({**account_flags, **{k: v for k, v in bucket_flags.items() if v}},
                            details.get("PublicAccessBlockConfiguration") or {})
    if flags["RestrictPublicBuckets"]:
        return False
    answer = call(client, ACCESS_POINT_POLICY, AccountId=account, Name=name) or {}
    if not answer.get("Policy"):
        return False
    arn = point.get("AccessPointArn") or details.get("AccessPointArn") or ""
    verdict = evaluate_policy(answer["Policy"], service="s3", resources=[arn, f"{arn}/object/*"], own_account=account,
                              attached_to=ACCESS_POINT)
    return verdict.public
