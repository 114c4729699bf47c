"""S3's own verdict as a cross-check, access points a bucket delegates to, and external principals (moto)."""

from __future__ import annotations

import json
from collections import Counter

from moto.core import set_initial_no_auth_action_count

from policycheck.model import Unknown

S3 = "aws.s3.bucket"
ACCESS = {"access.public", "access.public_via", "raw.policy_status_public", "raw.public_access_points"}
OWN = "123456789012"
PARTNER = "111122223333"
BLOCK_ALL = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)


def policy(name, *statements):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*", **s} for s in statements]})


def put(s3, name, *statements):
    s3.put_bucket_policy(Bucket=name, Policy=policy(name, *statements))


def scan(collect, recorder=None, needs=ACCESS):
    return {r.name: r for r in collect({"regions": ["us-east-1"]}, {S3: set(needs)}, factory=recorder)}


# -- cross-check against moto's own GetBucketPolicyStatus ------------------------------------------------
def test_agreement_keeps_the_verdict_and_asks_s3_only_where_a_policy_was_judged(aws, collect, make_bucket, recorder):
    s3 = make_bucket(aws, "open")
    put(s3, "open", {"Sid": "Web", "Principal": "*"})
    s3 = make_bucket(aws, "partner")
    put(s3, "partner", {"Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"}})
    make_bucket(aws, "no-policy")
    s3 = make_bucket(aws, "restricted")
    put(s3, "restricted", {"Principal": "*"})
    s3.put_public_access_block(Bucket="restricted", PublicAccessBlockConfiguration=BLOCK_ALL)
    buckets = scan(collect, recorder)
    assert buckets["open"].get("access.public") is True and buckets["open"].get("raw.policy_status_public") is True
    assert buckets["partner"].get("access.public") is False
    assert buckets["partner"].get("raw.policy_status_public") is False
    assert buckets["no-policy"].get("raw.policy_status_public") is None  # not asked: nothing to judge
    assert buckets["restricted"].get("access.public") is False  # RestrictPublicBuckets makes the policy moot
    assert buckets["restricted"].get("raw.policy_status_public") is None
    assert Counter(recorder.operations("s3"))["GetBucketPolicyStatus"] == 2  # open and partner only


def test_disagreement_is_an_error_naming_both_verdicts_and_the_statements(aws, collect, make_bucket):
    """moto's IsPublic calls every statement with a Condition non-public and ignores Federated principals."""
    s3 = make_bucket(aws, "tls-only-condition")
    put(s3, "tls-only-condition", {"Sid": "Everyone", "Principal": "*",
                                   "Condition": {"Bool": {"aws:SecureTransport": "true"}}})
    s3 = make_bucket(aws, "web-identity")
    put(s3, "web-identity", {"Sid": "Facebook", "Principal": {"Federated": "graph.facebook.com"}})
    buckets = scan(collect)
    for name, sid in (("tls-only-condition", "Everyone"), ("web-identity", "Facebook")):
        value = buckets[name].get("access.public")
        assert isinstance(value, Unknown)
        assert "S3 GetBucketPolicyStatus says not public, policycheck says public" in value.reason
        assert f"public statements: {sid}" in value.reason
        assert buckets[name].get("access.public_via") == ["policy"]  # treated as public
        assert buckets[name].get("raw.policy_status_public") is False


def test_s3_says_public_where_policycheck_does_not(aws, collect, make_bucket):
    """A Deny outside the VPC endpoint confines the Allow for policycheck; moto's IsPublic says public."""
    s3 = make_bucket(aws, "confined")
    s3.put_bucket_policy(Bucket="confined", Policy=json.dumps({"Statement": [
        {"Sid": "Read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::confined/*"},
        {"Sid": "OnlyVpce", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::confined", "arn:aws:s3:::confined/*"],
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}))
    bucket = scan(collect)["confined"]
    value = bucket.get("access.public")
    assert isinstance(value, Unknown)
    assert "S3 GetBucketPolicyStatus says public, policycheck says not public" in value.reason
    assert "judged restricted: Read" in value.reason and "treated as public" in value.reason
    assert bucket.get("access.public_via") == ["policy"]


def test_denied_status_keeps_a_public_verdict_and_makes_not_public_unknown(aws, collect, make_bucket, recorder,
                                                                          restricted_user):
    s3 = make_bucket(aws, "open")
    put(s3, "open", {"Principal": "*"})
    s3 = make_bucket(aws, "vpc-only")
    put(s3, "vpc-only", {"Principal": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}})
    recorder.session_kwargs = restricted_user(aws, ["s3:GetBucketPolicyStatus"])

    @set_initial_no_auth_action_count(0)
    def run():
        buckets = scan(collect, recorder)
        return {name: (b.get("access.public"), b.get("raw.policy_status_public")) for name, b in buckets.items()}

    results = run()
    assert results["open"][0] is True and isinstance(results["open"][1], Unknown)
    public, status = results["vpc-only"]
    assert isinstance(public, Unknown) and isinstance(status, Unknown)
    assert "could not be read (access denied (s3:GetBucketPolicyStatus))" in public.reason
    assert "policycheck judged it not public" in public.reason


# -- access points -----------------------------------------------------------------------------------------
DELEGATE = {"Sid": "DelegateToAccessPoints", "Principal": {"AWS": "*"}, "Action": "*",
            "Condition": {"StringEquals": {"s3:DataAccessPointAccount": OWN}}}


def access_point(aws, name, bucket, policy_statement=None, vpc=False, block=None):
    control = aws.client("s3control", region_name="us-east-1")
    extra = {"VpcConfiguration": {"VpcId": "vpc-1a2b3c4d"}} if vpc else {}
    if block:
        extra["PublicAccessBlockConfiguration"] = block
    arn = control.create_access_point(AccountId=OWN, Name=name, Bucket=bucket, **extra)["AccessPointArn"]
    if policy_statement:
        control.put_access_point_policy(AccountId=OWN, Name=name, Policy=json.dumps({"Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{arn}/object/*", **policy_statement}]}))


def test_bucket_is_as_exposed_as_its_most_exposed_access_point(aws, collect, make_bucket, recorder):
    open_block = dict.fromkeys(BLOCK_ALL, False)
    for name in ("delegating", "delegating-private"):
        put(make_bucket(aws, name), name, DELEGATE)
    access_point(aws, "agents", "delegating", {"Principal": {"AWS": f"arn:aws:iam::{OWN}:role/agent"}},
                 block=open_block)
    access_point(aws, "website", "delegating", {"Principal": "*"}, block=open_block)
    access_point(aws, "in-vpc", "delegating-private", {"Principal": "*"}, vpc=True, block=open_block)
    access_point(aws, "restricted", "delegating-private", {"Principal": "*"}, block=BLOCK_ALL)
    buckets = scan(collect, recorder)
    assert buckets["delegating"].get("access.public") is True
    assert buckets["delegating"].get("access.public_via") == ["access-point"]
    assert buckets["delegating"].get("raw.public_access_points") == ["website"]
    assert buckets["delegating"].get("raw.policy_status_public") is False  # the bucket policy itself is not public
    assert buckets["delegating-private"].get("access.public") is False
    calls = Counter(recorder.operations("s3control"))
    assert calls["ListAccessPoints"] == 2
    assert calls["GetAccessPointPolicy"] == 2  # agents and website: the VPC one and the restricted one are moot


def test_access_point_policy_with_any_access_point_is_public(aws, collect, make_bucket):
    """The guide: in an access point policy, s3:DataAccessPointArn over a set of access points is public."""
    put(make_bucket(aws, "delegating"), "delegating", DELEGATE)
    access_point(aws, "shared", "delegating", {"Principal": "*", "Condition": {"ArnLike": {
        "s3:DataAccessPointArn": f"arn:aws:s3:us-east-1:{OWN}:accesspoint/*"}}},
        block=dict.fromkeys(BLOCK_ALL, False))
    assert scan(collect)["delegating"].get("raw.public_access_points") == ["shared"]


def test_delegation_to_another_accounts_access_points_is_unknown(aws, collect, make_bucket):
    put(make_bucket(aws, "cross"), "cross", {**DELEGATE, "Condition": {"StringEquals": {
        "s3:DataAccessPointAccount": PARTNER}}})
    value = scan(collect)["cross"].get("access.public")
    assert isinstance(value, Unknown) and f"access points of account {PARTNER}" in value.reason


def test_no_access_point_calls_without_delegation(aws, collect, make_bucket, recorder):
    put(make_bucket(aws, "vpc-only"), "vpc-only", {"Principal": "*", "Condition": {"StringEquals": {
        "aws:SourceVpce": "vpce-1a2b3c4d"}}})
    assert scan(collect, recorder)["vpc-only"].get("access.public") is False
    assert "ListAccessPoints" not in recorder.operations("s3control")


# -- external principals -----------------------------------------------------------------------------------
EXTERNAL = {"access.external_principals"}
OTHER_CANONICAL = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


def test_external_principals_from_policy_acl_and_organisation(aws, collect, make_bucket):
    org = aws.client("organizations").create_organization(FeatureSet="ALL")["Organization"]["Id"]
    s3 = make_bucket(aws, "shared")
    put(s3, "shared", {"Principal": {"AWS": [f"arn:aws:iam::{PARTNER}:role/exporter", f"arn:aws:iam::{OWN}:root"]}},
        {"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": [org, "o-partner0001"]}}},
        {"Principal": {"Service": "cloudtrail.amazonaws.com"}})
    owner = s3.get_bucket_acl(Bucket="shared")["Owner"]
    s3.put_bucket_acl(Bucket="shared", AccessControlPolicy={"Owner": owner, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "CanonicalUser", "ID": OTHER_CANONICAL}, "Permission": "READ"}]})
    make_bucket(aws, "private")
    buckets = scan(collect, needs=EXTERNAL)
    assert buckets["shared"].get("access.external_principals") == sorted([PARTNER, OTHER_CANONICAL, "o-partner0001"])
    assert buckets["private"].get("access.external_principals") == []


def test_restrict_public_buckets_cuts_cross_account_access_of_a_public_policy(aws, collect, make_bucket):
    s3 = make_bucket(aws, "restricted")
    put(s3, "restricted", {"Principal": "*"}, {"Principal": {"AWS": PARTNER}})
    s3.put_public_access_block(Bucket="restricted", PublicAccessBlockConfiguration=BLOCK_ALL)
    s3 = make_bucket(aws, "delegated")
    put(s3, "delegated", {"Principal": {"AWS": PARTNER}})
    s3.put_public_access_block(Bucket="delegated", PublicAccessBlockConfiguration=BLOCK_ALL)
    buckets = scan(collect, needs=EXTERNAL)
    assert buckets["restricted"].get("access.external_principals") == []
    assert buckets["delegated"].get("access.external_principals") == [PARTNER]  # non-public delegation stays


def test_external_principals_unknown_when_the_organisation_cannot_be_read(aws, collect, make_bucket, recorder,
                                                                         restricted_user):
    put(make_bucket(aws, "org"), "org", {"Principal": "*", "Condition": {"StringEquals": {
        "aws:PrincipalOrgID": "o-a1b2c3d4e5"}}})
    recorder.session_kwargs = restricted_user(aws, ["organizations:DescribeOrganization"])

    @set_initial_no_auth_action_count(0)
    def run():
        return scan(collect, recorder, needs=EXTERNAL)["org"].get("access.external_principals")

    value = run()
    assert isinstance(value, Unknown) and "organizations:DescribeOrganization" in value.reason


def test_no_organisation_makes_every_named_organisation_external(aws, collect, make_bucket):
    put(make_bucket(aws, "org"), "org", {"Principal": "*", "Condition": {"StringEquals": {
        "aws:PrincipalOrgID": "o-a1b2c3d4e5"}}})
    assert scan(collect, needs=EXTERNAL)["org"].get("access.external_principals") == ["o-a1b2c3d4e5"]


def test_dynamodb_resource_policy_names_external_accounts(aws, collect):
    dynamodb = aws.client("dynamodb", region_name="us-east-1")
    arn = dynamodb.create_table(TableName="chat", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                                BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    dynamodb.create_table(TableName="alone", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    dynamodb.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:role/bot"}, "Action": "dynamodb:GetItem",
         "Resource": arn}]}))
    tables = {r.name: r for r in collect({"regions": ["us-east-1"]}, {"aws.dynamodb.table": EXTERNAL})}
    assert tables["chat"].get("access.external_principals") == [PARTNER]
    assert tables["alone"].get("access.external_principals") == []
