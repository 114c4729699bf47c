"""S3 bucket facts from AWS Config (``source: config|auto``): same results as the live API, far fewer requests,
the live API for stale items, unrecorded buckets and unrecorded configurations, and Config denied."""

from __future__ import annotations

import datetime as dt
import json
from functools import partial

import pytest
from moto.core import set_initial_no_auth_action_count

from policycheck.errors import ConfigError
from policycheck.model import Unknown
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.aws import AwsProvider
from policycheck.providers.aws.s3_config import to_item

S3 = "aws.s3.bucket"
BLOCK_ALL = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
FRESHNESS = {"raw.collected_from", "raw.config_capture_time"}
#: Attributes whose every call Config answers (moto records tags, block, ACL, policy, lifecycle, logging).
CONFIG_HELD = {"tags.any", "access.public_access_blocked", "access.public", "access.external_principals",
               "encryption.in_transit_enforced", "raw.policy_accounts", "raw.lifecycle_rules",
               "raw.lifecycle_expiration_days", "logging.access_logging"}
#: moto leaves ListBuckets' BucketRegion out; Config's awsRegion stands in for GetBucketLocation.
REGIONS = {"regions": ["us-east-1"]}


def kept_bucket(session, name, region="us-east-1"):
    """A bucket with everything moto's Config records: tags, block, TLS policy, lifecycle, logging."""
    s3 = session.client("s3", region_name=region)
    s3.create_bucket(Bucket=name, **({} if region == "us-east-1" else
                                     {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    s3.put_bucket_acl(Bucket=name, ACL="log-delivery-write")  # logs to itself (before the policy: moto checks it)
    s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": name,
                                                                               "TargetPrefix": "logs/"}})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data", "Value": "tickets"}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL)
    arn = f"arn:aws:s3:::{name}"
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "s3:GetObject",
         "Resource": f"{arn}/*"}]}))
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 90}},
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]})
    return s3


def facts(resources):
    """Every bucket's attributes, loaded, without the freshness record (which differs by design)."""
    out = {}
    for resource in resources:
        resource.load()
        assert resource.failed_groups == {}, resource.failed_groups
        out[resource.name] = {k: v for k, v in resource.known_attributes.items() if k not in FRESHNESS}
    return out


def config(source="config", **extra):
    return {**REGIONS, "source": source, **extra}


def s3_gets(recorder):
    return [op for op in recorder.operations("s3") if op not in ("ListBuckets",)]


def test_config_gives_the_same_attributes_as_the_live_api(aws, collect, make_bucket):
    kept_bucket(aws, "tickets")
    make_bucket(aws, "bare")
    make_bucket(aws, "scratch").put_bucket_versioning(Bucket="scratch", VersioningConfiguration={"Status": "Enabled"})
    aws.client("s3").put_bucket_acl(Bucket="bare", ACL="log-delivery-write")
    live = collect(REGIONS, {S3: None})
    recorded = collect(config(), {S3: None})
    assert facts(recorded) == facts(live) and len(live) == 3
    for resource in recorded:
        assert resource.get("raw.collected_from") == "config"
        assert dt.datetime.fromisoformat(resource.get("raw.config_capture_time")).tzinfo is not None
    assert {r.get("raw.collected_from") for r in live} == {None}  # source api records nothing of Config


def test_forty_buckets_cost_under_a_fifth_of_a_request_each(aws, collect, recorder):
    for n in range(40):
        kept_bucket(aws, f"tickets-{n:02}")
    live_recorder = type(recorder)()
    live = collect(REGIONS, {S3: CONFIG_HELD}, factory=live_recorder)
    recorded = collect(config(), {S3: CONFIG_HELD}, factory=recorder)
    assert facts(recorded) == facts(live)
    per_bucket = len(recorder.calls) / 40
    assert per_bucket < 0.2, recorder.calls  # caller, ListBuckets, a BatchGetResourceConfig, account block
    assert recorder.operations("config") == ["BatchGetResourceConfig"]
    assert s3_gets(recorder) == []
    assert len(live_recorder.calls) / 40 > 5  # the live API: location, tags, block, ACL, policy, lifecycle, logging


def test_config_answers_at_most_a_hundred_buckets_per_request(aws, collect, make_bucket, recorder):
    for n in range(101):
        make_bucket(aws, f"b-{n:03}", tags={"n": str(n)})
    resources = collect(config(), {S3: {"tags.any"}}, factory=recorder)
    assert len(resources) == 101 and all(r.get("tags.n") for r in resources)
    assert recorder.operations("config") == ["BatchGetResourceConfig", "BatchGetResourceConfig"]
    assert s3_gets(recorder) == []


def test_a_stale_item_is_not_trusted_and_the_live_api_answers(aws, collect, recorder):
    kept_bucket(aws, "tickets")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    context = ProviderContext(clock=lambda: later)
    [stale] = collect(config(), {S3: CONFIG_HELD}, factory=recorder, context=context)
    assert stale.get("raw.collected_from") == "api" and stale.get("raw.config_capture_time")
    assert stale.get("tags.data") == "tickets" and stale.get("raw.lifecycle_expiration_days") == 90
    assert {"GetBucketTagging", "GetBucketLifecycleConfiguration"} <= set(s3_gets(recorder))


def test_max_config_age_widens_what_counts_as_fresh(aws, collect, recorder):
    kept_bucket(aws, "tickets")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    [fresh] = collect(config(max_config_age=48), {S3: CONFIG_HELD}, factory=recorder,
                      context=ProviderContext(clock=lambda: later))
    assert fresh.get("raw.collected_from") == "config" and fresh.get("tags.data") == "tickets"
    assert s3_gets(recorder) == []


def test_an_unrecorded_configuration_is_read_live_for_that_answer_only(aws, collect, make_bucket, recorder):
    """moto's Config item leaves the lifecycle out when there is none: only that call goes to S3."""
    make_bucket(aws, "tagged-only", tags={"data": "tickets"})
    [bucket] = collect(config(), {S3: {"tags.any", "raw.lifecycle_rules"}}, factory=recorder)
    assert bucket.get("raw.collected_from") == "config"
    assert bucket.get("tags.data") == "tickets" and bucket.get("raw.lifecycle_rules") == 0
    assert s3_gets(recorder) == ["GetBucketLifecycleConfiguration"]


def test_a_bucket_config_does_not_hold_is_read_live(aws, collect, make_bucket, recorder):
    kept_bucket(aws, "recorded")
    make_bucket(aws, "elsewhere", "eu-central-1", tags={"data": "x"})
    resources = {r.name: r for r in collect({"regions": ["us-east-1", "eu-central-1"], "source": "config"},
                                            {S3: {"tags.any"}}, factory=recorder)}
    assert resources["recorded"].get("raw.collected_from") == "config"
    # eu-central-1's Config holds it too; one region's Config alone would leave it to the API
    assert resources["elsewhere"].get("raw.collected_from") == "config"
    recorder.calls.clear()
    only_home = {r.name: r for r in collect({"regions": ["us-east-1"], "source": "config"}, {S3: {"tags.any"}},
                                            factory=recorder)}
    assert set(only_home) == {"recorded"}  # eu-central-1 lies outside the regions, as with the API


def test_an_item_config_has_not_got_goes_to_the_api_with_its_location(aws, collect, make_bucket, recorder,
                                                                     monkeypatch):
    make_bucket(aws, "unrecorded", tags={"data": "x"})
    monkeypatch.setattr("policycheck.providers.aws.s3.recorded", lambda client, names: {})  # Config holds nothing
    [bucket] = collect(config(), {S3: {"tags.any"}}, factory=recorder)
    assert bucket.get("raw.collected_from") == "api" and bucket.get("raw.config_capture_time") is None
    assert bucket.get("tags.data") == "x" and sorted(s3_gets(recorder)) == ["GetBucketLocation", "GetBucketTagging"]


def test_config_denied_is_a_collection_problem_with_source_config(aws, collect, recorder, restricted_user):
    kept_bucket(aws, "tickets")
    recorder.session_kwargs = restricted_user(aws, ["config:BatchGetResourceConfig"])
    context = ProviderContext()

    @set_initial_no_auth_action_count(0)
    def scan():
        return collect(config(), {S3: {"tags.any"}}, factory=recorder, context=context)

    assert scan() == []
    [problem] = context.problems
    assert "AWS Config: access denied (config:BatchGetResourceConfig)" in problem.message
    assert problem.scope == "account 123456789012"


def test_config_denied_means_the_live_api_with_source_auto(aws, collect, recorder, restricted_user):
    kept_bucket(aws, "tickets")
    recorder.session_kwargs = restricted_user(aws, ["config:BatchGetResourceConfig"])
    context = ProviderContext()

    @set_initial_no_auth_action_count(0)
    def scan():
        [bucket] = collect(config("auto"), {S3: {"tags.any"}}, factory=recorder, context=context)
        return bucket.get("raw.collected_from"), bucket.get("tags.data")

    assert scan() == ("api", "tickets")
    assert context.problems == []


def test_permissions_name_the_config_read(aws):
    plan = CollectPlan(needs={S3: frozenset({"tags.any"})})
    assert "config:BatchGetResourceConfig" in AwsProvider(config(), ProviderContext()).permissions(plan)
    assert not any(a.startswith("config:") for a in AwsProvider(REGIONS, ProviderContext()).permissions(plan))


@pytest.mark.parametrize(("value", "expected"), [("bogus", "source"), (0, "max_config_age"), (-1, "max_config_age")])
def test_bad_settings_are_refused(value, expected):
    with pytest.raises(ConfigError):
        AwsProvider({expected: value}, ProviderContext())


# -- configuration items in AWS's documented shape (moto records fewer configurations) ------------
def item(**supplementary):
    """A configuration item as BatchGetResourceConfig returns it (supplementary values are JSON strings)."""
    return {"configurationItemStatus": "OK", "configurationItemCaptureTime": dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
            "resourceId": "tickets", "resourceName": "tickets", "awsRegion": "eu-central-1",
            "accountId": "123456789012",
            "supplementaryConfiguration": {k: json.dumps(v) for k, v in supplementary.items()}}


def test_documented_encryption_and_versioning_become_the_api_answers():
    answers = to_item(item(
        ServerSideEncryptionConfiguration={"rules": [{"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms", "kmsMasterKeyID": "arn:aws:kms:eu-central-1:123456789012:key/k"},
            "bucketKeyEnabled": True}]},
        BucketVersioningConfiguration={"status": "Suspended", "isMfaDeleteEnabled": True})).answers
    assert answers["encryption"] == {"ServerSideEncryptionConfiguration": {"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                               "KMSMasterKeyID": "arn:aws:kms:eu-central-1:123456789012:key/k"},
        "BucketKeyEnabled": True}]}}
    assert answers["versioning"] == {"Status": "Suspended", "MFADelete": "Enabled"}
    off = to_item(item(BucketVersioningConfiguration={"status": "Off", "isMfaDeleteEnabled": None})).answers
    assert off["versioning"] == {}


def test_public_grants_and_absent_settings_translate_to_their_api_meaning():
    answers = to_item(item(
        AccessControlList={"grantList": [{"grantee": "AllUsers", "permission": "Read"}], "owner": {"id": "o"}},
        BucketPolicy={"policyText": None}, BucketLoggingConfiguration={"destinationBucketName": None})).answers
    assert answers["acl"] == {"Owner": {"ID": "o"}, "Grants": [
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}]}
    assert answers["policy"] is None and answers["logging"] == {}


def test_documented_lifecycle_rules_keep_their_scope_and_days():
    """Unset day counts are -1 in Config's lifecycle rules (moto records every noncurrent expiry so)."""
    rules = to_item(item(BucketLifecycleConfiguration={"rules": [
        {"id": "all", "status": "Enabled", "expirationInDays": 365, "noncurrentVersionExpirationInDays": 30,
         "filter": {"predicate": None}},
        {"id": "keep", "status": "Enabled", "expirationInDays": -1,
         "noncurrentVersionExpiration": {"noncurrentDays": 7, "newerNoncurrentVersions": 3},
         "filter": {"predicate": {"type": "LifecycleTagPredicate", "tag": {"key": "tmp", "value": "1"}}}},
        {"id": "old", "status": "Disabled", "prefix": "logs/", "expirationInDays": 1}]})).answers["lifecycle"]
    assert rules == {"Rules": [
        {"ID": "all", "Status": "Enabled", "Expiration": {"Days": 365}, "NoncurrentVersionExpiration": {
            "NoncurrentDays": 30}},
        {"ID": "keep", "Status": "Enabled", "Filter": {"Tag": {"Key": "tmp", "Value": "1"}},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 7, "NewerNoncurrentVersions": 3}},
        {"ID": "old", "Status": "Disabled", "Prefix": "logs/", "Expiration": {"Days": 1}}]}


@pytest.mark.parametrize("supplementary", [
    {"AccessControlList": {"grantList": [{"grantee": {"typeIdentifier": "emailAddress"}, "permission": "Read"}]}},
    {"BucketLifecycleConfiguration": {"rules": [{"status": "Enabled", "expirationInDays": 1,
                                                 "filter": {"predicate": {"type": "LifecycleSizePredicate"}}}]}},
    {"BucketVersioningConfiguration": {"status": "Maybe"}},
    {"PublicAccessBlockConfiguration": {"blockPublicAcls": "yes", "ignorePublicAcls": True,
                                        "blockPublicPolicy": True, "restrictPublicBuckets": True}},
    {"ServerSideEncryptionConfiguration": "not json {"},
])
def test_a_configuration_in_an_unknown_shape_is_left_to_the_live_api(supplementary):
    raw = item()
    raw["supplementaryConfiguration"] = {k: v if isinstance(v, str) else json.dumps(v)
                                         for k, v in supplementary.items()}
    assert to_item(raw).answers == {}


@pytest.mark.parametrize("change", [{"configurationItemStatus": "ResourceDeleted"},
                                    {"configurationItemStatus": "ResourceNotRecorded"},
                                    {"configurationItemCaptureTime": None}])
def test_deleted_or_undated_items_are_not_used(change):
    assert to_item({**item(), **change}) is None


def test_unknown_attributes_stay_unknown_not_a_pass(aws, collect, recorder, restricted_user):
    """Config holds the policy; the tags it does not hold, which the API then denies, stay unknown."""
    aws.client("s3").create_bucket(Bucket="untagged")
    recorder.session_kwargs = restricted_user(aws, ["s3:GetBucketTagging", "s3:GetBucketPolicy"])

    @set_initial_no_auth_action_count(0)
    def scan():
        [bucket] = collect(config(), {S3: {"tags.any", "raw.policy_accounts"}}, factory=recorder)
        return bucket.get("raw.policy_accounts"), bucket.get("tags.any")  # lazy reads, while moto checks IAM

    policy_accounts, tags = scan()
    assert policy_accounts == []  # from Config: the denied GetBucketPolicy is never asked
    assert isinstance(tags, Unknown) and "s3:GetBucketTagging" in tags.reason


# -- an organisation aggregator (moto aggregates the caller's own account) -------------------------
MEMBER = "210987654321"


def aggregator(session):
    session.client("config").put_configuration_aggregator(ConfigurationAggregatorName="org", AccountAggregationSources=[
        {"AccountIds": ["123456789012"], "AllAwsRegions": True}])


def test_an_aggregator_gives_the_same_attributes_in_a_few_requests(aws, collect, make_bucket, recorder):
    for n in range(40):
        kept_bucket(aws, f"tickets-{n:02}")
    aggregator(aws)
    live = collect(REGIONS, {S3: CONFIG_HELD})
    recorded = collect(config(config_aggregator="org"), {S3: CONFIG_HELD}, factory=recorder)
    assert facts(recorded) == facts(live) and len(recorded) == 40
    assert {r.get("raw.collected_from") for r in recorded} == {"config"}
    assert sorted(set(recorder.operations("config"))) == ["BatchGetAggregateResourceConfig",
                                                          "ListAggregateDiscoveredResources"]
    assert s3_gets(recorder) == [] and "ListBuckets" not in recorder.operations("s3")
    assert len(recorder.calls) / 40 < 0.2, recorder.calls


def test_a_member_account_is_read_from_config_alone_and_what_it_lacks_stays_unknown(aws, collect, make_bucket,
                                                                                    recorder, monkeypatch):
    """moto aggregates only the caller's account: its answer is relabelled as a member's, as AWS gives it."""
    from policycheck.providers.aws import s3, s3_config

    kept_bucket(aws, "member-data")
    aggregator(aws)

    def as_member(client, name, regions, keep, accounts=None):
        found = s3_config.aggregated(client, name, regions, keep, accounts)
        return s3_config.Aggregated([(MEMBER, r, n) for _, r, n in found.buckets],
                                    {(MEMBER, n): i for (_, n), i in found.items.items()}, {})

    monkeypatch.setattr(s3, "aggregated", as_member)
    [bucket] = collect(config(config_aggregator="org"), {S3: {"tags.any", "raw.lifecycle_expiration_days",
                                                              "encryption.at_rest", "access.public_access_blocked"}},
                       factory=recorder)
    assert bucket.account == MEMBER and bucket.id == f"arn:aws:s3::{MEMBER}:member-data"
    assert bucket.get("tags.data") == "tickets" and bucket.get("raw.lifecycle_expiration_days") == 90
    at_rest = bucket.get("encryption.at_rest")  # moto's item holds no encryption, and no role is assumed
    assert isinstance(at_rest, Unknown) and f"account {MEMBER} is read only through aggregator org" in at_rest.reason
    assert isinstance(bucket.get("access.public_access_blocked"), Unknown)  # the member's account block is unknown
    assert recorder.operations("s3") == [] and recorder.operations("s3control") == []
    assert "AssumeRole" not in recorder.operations("sts")


def test_an_unknown_aggregator_is_a_collection_problem(aws, collect, make_bucket):
    make_bucket(aws, "tickets")
    context = ProviderContext()
    assert collect(config(config_aggregator="missing"), {S3: {"tags.any"}}, context=context) == []
    [problem] = context.problems
    assert "AWS Config aggregator missing: NoSuchConfigurationAggregatorException" in problem.message


def test_an_unknown_aggregator_means_the_live_api_with_auto(aws, collect, make_bucket):
    make_bucket(aws, "tickets", tags={"data": "x"})
    context = ProviderContext()
    [bucket] = collect(config("auto", config_aggregator="missing"), {S3: {"tags.any"}}, context=context)
    assert context.problems == [] and bucket.get("tags.data") == "x"  # the scanning account's own buckets, listed


@pytest.mark.parametrize("settings", [{"config_aggregator": "org"},
                                      {"config_aggregator": "org", "source": "config", "org_role": "Audit"}])
def test_an_aggregator_needs_config_and_no_roles(settings):
    with pytest.raises(ConfigError, match="--config-aggregator"):
        AwsProvider(settings, ProviderContext())


def test_permissions_name_the_aggregate_reads():
    plan = CollectPlan(needs={S3: frozenset({"tags.any"})})
    actions = AwsProvider(config(config_aggregator="org"), ProviderContext()).permissions(plan)
    assert {"config:ListAggregateDiscoveredResources", "config:BatchGetAggregateResourceConfig"} <= set(actions)
    assert "config:BatchGetResourceConfig" not in actions


def count_identifiers(sent, params, **_):
    sent.append(len(params["ResourceIdentifiers"]))


def test_aggregator_shards_read_only_their_own_items_and_add_up_to_the_whole(aws, collect, recorder):
    from policycheck.shard import Shard

    for n in range(12):
        kept_bucket(aws, f"tickets-{n:02}")
    aggregator(aws)
    whole = facts(collect(config(config_aggregator="org"), {S3: CONFIG_HELD}))
    parts: dict = {}
    for index in (1, 2, 3):
        counted = type(recorder)()
        sent: list[int] = []
        counted.first_send_handlers.append(("before-parameter-build.config.BatchGetAggregateResourceConfig",
                                            partial(count_identifiers, sent)))
        shard = facts(collect(config(config_aggregator="org"), {S3: CONFIG_HELD}, factory=counted,
                              context=ProviderContext(shard=Shard(index, 3))))
        assert sum(sent) == len(shard) and not set(shard) & set(parts)  # only the shard's own items are read
        parts.update(shard)
    assert parts == whole and len(whole) == 12
