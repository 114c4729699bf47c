"""Several accounts: assumed roles and AWS Organizations (moto keeps one backend per account)."""

from __future__ import annotations

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from policycheck.errors import CredentialError
from policycheck.provider import ProviderContext

S3 = {"aws.s3.bucket": {"encryption.at_rest"}}


def member_session(session, account, role="OrganizationAccountAccessRole"):
    credentials = session.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}",
                                                    RoleSessionName="setup")["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name="us-east-1")


def organization(session, *names):
    client = session.client("organizations")
    client.create_organization(FeatureSet="ALL")
    accounts = [client.create_account(AccountName=n, Email=f"{n}@example.com")["CreateAccountStatus"]["AccountId"]
                for n in names]
    for account in accounts:
        member_session(session, account).client("s3").create_bucket(Bucket=f"data-{account}")
    session.client("s3").create_bucket(Bucket="data-management")
    return accounts


def test_assumed_role_scans_that_account(aws, collect, recorder):
    organization(aws, "cs-prod")
    [account] = [a["Id"] for a in aws.client("organizations").list_accounts()["Accounts"] if a["Id"] != "123456789012"]
    arn = f"arn:aws:iam::{account}:role/Auditor"
    [bucket] = collect({"role_arns": [arn], "regions": ["us-east-1"], "external_id": "cs-audit"}, S3,
                       factory=recorder)
    assert bucket.account == account and bucket.id == f"arn:aws:s3::{account}:data-{account}"
    assert bucket.get("encryption.at_rest") is False
    assert ("sts", "AssumeRole") in recorder.calls


def test_organization_accounts_each_assume_the_role(aws, collect):
    prod, staging = organization(aws, "cs-prod", "cs-staging")
    resources = collect({"org_role": "OrganizationAccountAccessRole", "regions": ["us-east-1"]}, S3)
    assert sorted((r.account, r.name) for r in resources) == sorted([
        ("123456789012", "data-management"), (prod, f"data-{prod}"), (staging, f"data-{staging}")])
    only = collect({"org_role": "OrganizationAccountAccessRole", "regions": ["us-east-1"],
                    "accounts": [prod, staging], "exclude_accounts": [staging]}, S3)
    assert [r.account for r in only] == [prod]


def test_a_member_whose_role_cannot_be_assumed_is_reported_and_the_others_go_on(aws, collect, recorder):
    prod, staging = organization(aws, "cs-prod", "cs-staging")

    def deny_staging(request, **_):
        if staging in str(request.body):
            body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                    b"<Message>not authorized to perform sts:AssumeRole</Message></Error></ErrorResponse>")
            return AWSResponse(request.url, 403, {}, _Raw(body))
        return None

    recorder.first_send_handlers.append(("before-send.sts.AssumeRole", deny_staging))
    context = ProviderContext()
    resources = collect({"org_role": "OrganizationAccountAccessRole", "regions": ["us-east-1"]}, S3,
                        factory=recorder, context=context)
    assert sorted(r.account for r in resources) == sorted(["123456789012", prod])
    [problem] = context.problems
    scope, message = problem.scope, problem.message
    assert scope == f"account {staging}"
    assert message == (f"cannot assume role arn:aws:iam::{staging}:role/OrganizationAccountAccessRole: "
                       "access denied (sts:AssumeRole)")


def test_an_explicit_role_that_cannot_be_assumed_stops_the_scan(aws, collect, recorder):
    def deny(request, **_):
        body = b"<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>"
        return AWSResponse(request.url, 403, {}, _Raw(body))

    recorder.first_send_handlers.append(("before-send.sts.AssumeRole", deny))
    with pytest.raises(CredentialError, match=r"^aws: cannot assume role arn:aws:iam::111122223333:role/Audit"):
        collect({"role_arns": ["arn:aws:iam::111122223333:role/Audit"], "regions": ["us-east-1"]}, S3,
                factory=recorder)


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, *_, **__):
        yield self.body
