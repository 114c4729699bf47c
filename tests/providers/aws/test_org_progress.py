"""Progress of an organisation scan: accounts done of total, an account counted once all its listings are done."""

from __future__ import annotations

from policycheck.provider import ProviderContext

from .test_org_shards import ROLE, organisation

NEEDS = {"aws.s3.bucket": {"encryption.at_rest"}, "aws.dynamodb.table": {"encryption.at_rest"}}


def test_every_account_of_the_organisation_is_counted_done(aws, collect):
    organisation(aws, accounts=5, buckets=1)
    context = ProviderContext(provider="aws")
    resources = collect({"org_role": ROLE, "regions": ["us-east-1", "eu-central-1"]}, NEEDS, context=context)
    assert len({r.account for r in resources}) == 5
    assert context.progress.counts("accounts") == (5, 5)  # 3 listings each: S3, DynamoDB in two regions
    assert context.progress.summary() == "accounts 5/5 done"


def test_one_account_is_not_worth_a_progress_count(aws, collect, make_bucket):
    make_bucket(aws, "cs-one")
    context = ProviderContext(provider="aws")
    collect({"regions": ["us-east-1"]}, NEEDS, context=context)
    assert context.progress.counts("accounts") == (1, 1)
    assert context.progress.summary() == ""


def test_an_account_whose_role_cannot_be_assumed_is_done_with_its_problem(aws, collect, recorder):
    from botocore.awsrequest import AWSResponse

    from .test_accounts import _Raw, organization

    _, staging = organization(aws, "cs-prod", "cs-staging")

    def deny_staging(request, **_):
        if staging in str(request.body):
            body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                    b"<Message>not authorized to perform sts:AssumeRole</Message></Error></ErrorResponse>")
            return AWSResponse(request.url, 403, {}, _Raw(body))
        return None

    recorder.first_send_handlers.append(("before-send.sts.AssumeRole", deny_staging))
    context = ProviderContext(provider="aws")
    collect({"org_role": ROLE, "regions": ["us-east-1"]}, NEEDS, factory=recorder, context=context)
    assert [p.scope for p in context.problems] == [f"account {staging}"]
    assert context.progress.counts("accounts") == (3, 3)


def test_the_accounts_regions_are_asked_concurrently(aws, collect, recorder):
    """Hundreds of accounts: DescribeRegions of one account does not wait for another's."""
    import threading
    import time

    organisation(aws, accounts=3, buckets=1)
    lock, state = threading.Lock(), {"now": 0, "most": 0, "calls": 0}

    def overlapping(**_):  # holds each DescribeRegions a moment, counting how many are in flight together
        with lock:
            state["now"] += 1
            state["calls"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1

    recorder.first_send_handlers.append(("before-send.ec2.DescribeRegions", overlapping))
    collect({"org_role": ROLE}, {"aws.dynamodb.table": {"encryption.at_rest"}}, factory=recorder)
    assert state["calls"] >= 3 and state["most"] > 1
