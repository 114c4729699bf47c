"""Fail closed: denied, throttled and timed-out calls make values unknown, naming the IAM action."""

from __future__ import annotations

import json
import socket

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from moto.core import set_initial_no_auth_action_count

from policycheck.errors import CredentialError
from policycheck.model import Unknown
from policycheck.provider import ProviderContext
from policycheck.providers.aws import AwsProvider

S3 = "aws.s3.bucket"


def restricted_user(session, deny):
    """An IAM user allowed everything except ``deny`` (moto checks its policies once auth is on)."""
    iam = session.client("iam")
    iam.create_user(UserName="scanner")
    iam.put_user_policy(UserName="scanner", PolicyName="scan", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": deny, "Resource": "*"}]}))
    key = iam.create_access_key(UserName="scanner")["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def test_access_denied_makes_the_group_unknown_and_names_the_action(aws, collect, make_bucket, recorder):
    for name in ("first", "second"):
        make_bucket(aws, name).put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    recorder.session_kwargs = restricted_user(aws, ["s3:GetBucketPolicy"])

    @set_initial_no_auth_action_count(0)
    def scan():
        resources = collect({"regions": ["us-east-1"]}, {S3: {"access.public", "encryption.at_rest",
                                                              "encryption.in_transit_enforced"}}, factory=recorder)
        return [(r.get("access.public"), r.get("encryption.in_transit_enforced"), r.get("encryption.at_rest"))
                for r in resources]

    results = scan()
    assert len(results) == 2
    for public, tls, at_rest in results:
        assert isinstance(public, Unknown) and public.reason == "access denied (s3:GetBucketPolicy)"
        assert isinstance(tls, Unknown) and "s3:GetBucketPolicy" in tls.reason
        assert at_rest is True  # other groups go on
    assert recorder.operations("s3").count("GetBucketPolicy") == 2  # one denied call per bucket, not one per group


def test_listing_denied_is_a_collection_problem_and_other_types_go_on(aws, collect, make_bucket, recorder):
    make_bucket(aws, "hidden")
    aws.client("dynamodb").create_table(TableName="visible", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                                        BillingMode="PAY_PER_REQUEST")
    recorder.session_kwargs = restricted_user(aws, ["s3:ListAllMyBuckets"])
    context = ProviderContext()

    @set_initial_no_auth_action_count(0)
    def scan():
        return collect({"regions": ["us-east-1"]}, {S3: {"encryption.at_rest"},
                                                    "aws.dynamodb.table": {"encryption.at_rest"}},
                       factory=recorder, context=context)

    assert [r.name for r in scan()] == ["visible"]
    [problem] = context.problems
    scope, message = problem.scope, problem.message
    assert scope == "account 123456789012"
    assert message == "cannot list aws.s3.bucket: access denied (s3:ListAllMyBuckets)"


def _slow_down(**_):
    body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
    return AWSResponse("https://s3.amazonaws.com/", 503, {}, _Raw(body))


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, *_, **__):
        yield self.body


def test_throttling_beyond_retries_is_unknown(aws, collect, make_bucket, recorder, retry_sleeps):
    make_bucket(aws, "busy")
    recorder.first_send_handlers.append(("before-send.s3.GetBucketEncryption", _slow_down))
    [bucket] = collect({"regions": ["us-east-1"], "max_attempts": 2}, {S3: {"encryption.at_rest"}},
                       factory=recorder)
    value = bucket.get("encryption.at_rest")
    assert isinstance(value, Unknown)
    assert value.reason == "throttled beyond retries: SlowDown (s3:GetEncryptionConfiguration)"
    assert sum(1 for _, url in recorder.sends if url.endswith("?encryption")) == 2  # retried, then gave up
    assert len(retry_sleeps) == 1  # botocore backed off once before the retry


def test_transient_throttling_is_retried(aws, collect, make_bucket, recorder, retry_sleeps):
    make_bucket(aws, "bursty")
    attempts = []

    def throttle_once(**kwargs):
        attempts.append(1)
        return _slow_down() if len(attempts) == 1 else None

    recorder.first_send_handlers.append(("before-send.s3.GetBucketEncryption", throttle_once))
    [bucket] = collect({"regions": ["us-east-1"], "max_attempts": 3}, {S3: {"encryption.at_rest"}},
                       factory=recorder)
    assert bucket.get("encryption.at_rest") is False
    assert len(attempts) == 2
    assert len(retry_sleeps) == 1


def test_read_timeout_is_unknown(aws, collect, make_bucket, recorder):
    make_bucket(aws, "slow")

    def time_out(request, **_):
        raise ReadTimeoutError(endpoint_url=request.url)

    recorder.first_send_handlers.append(("before-send.s3.GetBucketLifecycleConfiguration", time_out))
    [bucket] = collect({"regions": ["us-east-1"], "max_attempts": 1}, {S3: {"retention.max_age_days"}},
                       factory=recorder)
    value = bucket.get("retention.max_age_days")
    assert isinstance(value, Unknown) and value.reason.startswith("request failed: Read timeout")
    assert value.reason.endswith("(s3:GetLifecycleConfiguration)")


def test_read_timeouts_get_fewer_attempts_than_throttling(aws, collect, make_bucket, recorder, retry_sleeps):
    """Issue 13 item 6: a backend that never answers costs 2 attempts, not max_attempts (8) x read_timeout."""
    make_bucket(aws, "stuck")
    attempts = {"lifecycle": 0, "encryption": 0}

    def time_out(request, **_):
        attempts["lifecycle"] += 1
        raise ReadTimeoutError(endpoint_url=request.url)

    def slow_down(**kwargs):
        attempts["encryption"] += 1
        return _slow_down()

    recorder.first_send_handlers.append(("before-send.s3.GetBucketLifecycleConfiguration", time_out))
    recorder.first_send_handlers.append(("before-send.s3.GetBucketEncryption", slow_down))
    [bucket] = collect({"regions": ["us-east-1"], "max_attempts": 5},
                       {S3: {"retention.max_age_days", "encryption.at_rest"}}, factory=recorder)
    assert isinstance(bucket.get("retention.max_age_days"), Unknown)
    assert isinstance(bucket.get("encryption.at_rest"), Unknown)
    assert attempts == {"lifecycle": 2, "encryption": 5}  # throttling keeps its full budget


# -- credentials ----------------------------------------------------------------------------------
def collect_all(config):
    return list(AwsProvider(config, ProviderContext()).collect(
        __import__("policycheck.provider", fromlist=["CollectPlan"]).CollectPlan()))


def test_no_credentials_is_one_clear_line(monkeypatch, tmp_path):
    for key in [k for k in __import__("os").environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CredentialError) as caught:
        collect_all({"regions": ["eu-central-1"]})
    assert str(caught.value).startswith("aws: no credentials found")
    assert "\n" not in str(caught.value)


def test_unknown_profile(aws):
    with pytest.raises(CredentialError, match=r"^aws: profile 'nope' not found"):
        collect_all({"profiles": ["nope"], "regions": ["eu-central-1"]})


def test_unreachable_endpoint(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(CredentialError) as caught:
        collect_all({"endpoint_url": f"http://127.0.0.1:{port}", "max_attempts": 1, "regions": ["eu-central-1"]})
    assert "cannot reach AWS" in str(caught.value) and str(port) in str(caught.value)


def _sts_error(status, code, message):
    """A before-send handler answering GetCallerIdentity with STS's documented query-protocol error body."""
    body = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>").encode()

    def answer(**_):
        return AWSResponse("https://sts.amazonaws.com/", status, {}, _Raw(body))
    return answer


@pytest.mark.parametrize(("status", "code", "message", "expected"), [
    (400, "ExpiredToken", "The security token included in the request is expired",
     "aws: the default credentials rejected by AWS STS: ExpiredToken: The security token included in the request "
     "is expired"),
    (500, "InternalError", "We encountered an internal error. Please try again.",
     "aws: the default credentials could not be verified by AWS STS: InternalError: We encountered an internal "
     "error. Please try again."),
    (400, "Throttling", "Rate exceeded",
     "aws: the default credentials could not be verified by AWS STS: throttled beyond retries: Throttling"),
])
def test_sts_errors_keep_their_code(aws, collect, recorder, status, code, message, expected):
    """Issue 13 item 9: ExpiredToken, InternalError and Throttling are told apart, not all "credentials rejected"."""
    recorder.first_send_handlers.append(("before-send.sts.GetCallerIdentity", _sts_error(status, code, message)))
    with pytest.raises(CredentialError) as caught:
        collect({"regions": ["us-east-1"], "max_attempts": 1}, {S3: {"encryption.at_rest"}}, factory=recorder)
    assert str(caught.value) == expected
