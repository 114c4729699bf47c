"""Bucket-policy evaluation on real-world shapes: public, conditioned, Deny-only, TLS-only, cross-account, ..."""

from __future__ import annotations

import json

import pytest

from policycheck.providers.aws.s3_policy import evaluate_policy

BUCKET = "arn:aws:s3:::acme-cs-exports"
OBJECTS = f"{BUCKET}/*"
OWN = "123456789012"
TLS_DENY = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [BUCKET, OBJECTS], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def allow_all(condition=None, **extra):
    statement = {"Sid": "Read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS,
                 **extra}
    if condition:
        statement["Condition"] = condition
    return statement


# (id, statements, public, tls_enforced, accounts)
SHAPES = [
    ("public-read website", [allow_all()], True, False, ()),
    ("AWS-star principal", [allow_all(Principal={"AWS": "*"})], True, False, ()),
    ("AWS-star in a list", [allow_all(Principal={"AWS": ["arn:aws:iam::111122223333:root", "*"]})], True, False,
     ("111122223333",)),
    ("pinned to a VPC endpoint", [allow_all({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})], False, False, ()),
    ("pinned to a VPC", [allow_all({"StringEquals": {"aws:SourceVpc": ["vpc-111", "vpc-222"]}})], False, False, ()),
    ("organization only", [allow_all({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})], False, False, ()),
    ("office IP range", [allow_all({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/48"]}})],
     False, False, ()),
    ("IP condition for the whole internet", [allow_all({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})], True, False,
     ()),
    ("IP range wider than /8", [allow_all({"IpAddress": {"aws:SourceIp": "64.0.0.0/4"}})], True, False, ()),
    ("principal account pinned", [allow_all({"StringEquals": {"aws:PrincipalAccount": "111122223333"}})], False,
     False, ()),
    ("IfExists does not restrict", [allow_all({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}})], True,
     False, ()),
    ("wildcard value does not restrict", [allow_all({"StringLike": {"aws:SourceVpce": "vpce-*"}})], True, False, ()),
    ("negated condition on Allow does not restrict", [allow_all({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})],
     True, False, ()),
    ("SecureTransport alone does not restrict", [allow_all({"Bool": {"aws:SecureTransport": "true"}})], True, False,
     ()),
    ("TLS-only (AWS documentation shape)", [TLS_DENY], False, True, ()),
    ("TLS deny on objects only", [{**TLS_DENY, "Resource": OBJECTS}], False, False, ()),
    ("TLS deny for GetObject only", [{**TLS_DENY, "Action": "s3:GetObject"}], False, False, ()),
    ("TLS deny narrowed by another condition",
     [{**TLS_DENY, "Condition": {"Bool": {"aws:SecureTransport": "false"},
                                 "StringEquals": {"aws:PrincipalAccount": "999999999999"}}}], False, False, ()),
    ("TLS deny with BoolIfExists, boolean value and wildcard resource",
     [{**TLS_DENY, "Resource": "*", "Condition": {"BoolIfExists": {"aws:SecureTransport": False}}}], False, True, ()),
    ("TLS deny written as bucket*", [{**TLS_DENY, "Resource": f"{BUCKET}*", "Action": "*"}], False, True, ()),
    ("Deny-only: protect against deletion",
     [{"Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteBucket", "s3:DeleteObject"], "Resource": [BUCKET,
                                                                                                         OBJECTS]}],
     False, False, ()),
    ("cross-account processor",
     [{"Sid": "CallCentre", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/exporter"},
       "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [BUCKET, OBJECTS]}], False, False, ("444455556666",)),
    ("own account is not listed",
     [{"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{OWN}:root", "111122223333"]}, "Action": "s3:*",
       "Resource": OBJECTS}], False, False, ("111122223333",)),
    ("ELB access-log delivery",
     [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::127311923021:root"}, "Action": "s3:PutObject",
       "Resource": f"{BUCKET}/AWSLogs/{OWN}/*"}], False, False, ("127311923021",)),
    ("CloudFront origin access control",
     [{"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
       "Resource": OBJECTS, "Condition": {"StringEquals": {
           "AWS:SourceArn": f"arn:aws:cloudfront::{OWN}:distribution/E2QWRUHAPOMQZL"}}}], False, False, ()),
    ("SourceArn with a wildcard account is public",
     [allow_all({"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}})], True, False, ()),
    ("NotPrincipal Allow grants everyone else",
     [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
       "Resource": OBJECTS}], True, False, ()),
    ("Allow everyone, but Deny NotPrincipal allow-list",
     [allow_all(), {"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:role/app"}, "Action": "s3:*",
                    "Resource": [BUCKET, OBJECTS]}], False, False, ()),
    ("Allow everyone, Deny outside the VPC endpoint",
     [allow_all(), {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, OBJECTS],
                    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}], False, False, ()),
    ("Deny outside the VPC endpoint covers only PutObject",
     [allow_all(), {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": OBJECTS,
                    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}], True, False, ()),
    ("public statement about another bucket", [allow_all(Resource="arn:aws:s3:::someone-else/*")], False, False, ()),
    ("public prefix only", [allow_all(Resource=f"{BUCKET}/public/*")], True, False, ()),
    ("NotAction Allow to everyone", [{"Effect": "Allow", "Principal": "*", "NotAction": "s3:DeleteObject",
                                      "Resource": OBJECTS}], True, False, ()),
    ("public write (upload drop box)", [allow_all(Action="s3:PutObject")], True, False, ()),
    ("public read and TLS enforced", [allow_all(), TLS_DENY], True, True, ()),
    ("Deny NotPrincipal on a sub-prefix leaves the rest public",
     [allow_all(), {"Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:role/app"}, "Action": "s3:*",
                    "Resource": f"{BUCKET}/private/*"}], True, False, ()),
    ("ForAllValues condition holds when the key is absent",
     [allow_all({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}})], True, False, ()),
    ("ForAnyValue condition restricts",
     [allow_all({"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}})], False, False, ()),
]


@pytest.mark.parametrize(("statements", "public", "tls", "accounts"), [s[1:] for s in SHAPES],
                         ids=[s[0] for s in SHAPES])
def test_policy_shapes(statements, public, tls, accounts):
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    verdict = evaluate_policy(document, service="s3", resources=[BUCKET, OBJECTS], own_account=OWN)
    assert (verdict.public, verdict.tls_enforced, verdict.accounts) == (public, tls, accounts)


def test_shape_ids_are_unique():
    ids = [shape[0] for shape in SHAPES]
    assert len(ids) == len(set(ids))


def test_single_statement_object_and_statement_ids():
    document = {"Statement": {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                              "Resource": OBJECTS}}
    verdict = evaluate_policy(document, service="s3", resources=[BUCKET, OBJECTS], own_account=OWN)
    assert verdict.public_statements == ("Open",)


def test_no_policy_is_private_without_tls():
    verdict = evaluate_policy(None, service="s3", resources=[BUCKET, OBJECTS], own_account=OWN)
    assert (verdict.public, verdict.tls_enforced, verdict.accounts) == (False, False, ())


def test_dynamodb_resource_policy_tls():
    table = "arn:aws:dynamodb:eu-central-1:123456789012:table/chat"
    policy = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*", "Resource": table,
                             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    assert evaluate_policy(policy, service="dynamodb", resources=[table], own_account=OWN).tls_enforced
    policy["Statement"][0]["Action"] = "s3:*"
    assert not evaluate_policy(policy, service="dynamodb", resources=[table], own_account=OWN).tls_enforced
