"""The bucket-policy corpus (exposure_corpus/): every case judged as the S3 User Guide says, alone and end to end."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.aws import AwsProvider
from policycheck.providers.aws.public_meaning import RESTRICTING_KEYS
from policycheck.providers.aws.s3_policy import evaluate_policy

CORPUS = yaml.safe_load((Path(__file__).parent / "exposure_corpus" / "bucket_policies.yaml").read_text())
CASES = CORPUS["cases"]
OWN = "123456789012"
NEEDS = frozenset({"access.public", "access.public_via", "raw.policy_status_public", "raw.policy_public_statements"})


def bucket_name(case: dict[str, Any]) -> str:
    return "corpus-" + case["id"][:50]


def document(case: dict[str, Any]) -> str:
    """The case's policy as put on its bucket: one default statement adjusted by the case, or its own statements."""
    if "statements" in case:
        statements = case["statements"]
    else:
        statement = {"Sid": re.sub(r"[^A-Za-z0-9]", "", case["id"].title()), "Effect": "Allow", "Principal": "*",
                     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{bucket}/*", **case.get("statement", {})}
        if "condition" in case:
            statement["Condition"] = case["condition"]
        statements = [{k: v for k, v in statement.items() if v is not None}]
    text = json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
    return text.replace("{bucket}", bucket_name(case))


def test_corpus_is_well_formed():
    ids = [case["id"] for case in CASES]
    assert len(ids) >= 60 and len(ids) == len(set(ids))
    assert len({bucket_name(case) for case in CASES}) == len(CASES)
    assert {case["guide"] for case in CASES} <= set(CORPUS["sentences"])
    assert all(isinstance(case["public"], bool) for case in CASES)
    assert {True, False} == {case["public"] for case in CASES}


def test_every_listed_condition_key_has_a_case_that_makes_it_non_public():
    covered = {key.lower() for case in CASES if not case["public"]
               for block in (case.get("condition") or {}).values() for key in block}
    assert set(RESTRICTING_KEYS) - {"aws:principalorgpaths"} <= covered


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_evaluator_follows_the_guide(case):
    name = bucket_name(case)
    verdict = evaluate_policy(document(case), service="s3", resources=[f"arn:aws:s3:::{name}",
                                                                       f"arn:aws:s3:::{name}/*"], own_account=OWN)
    assert verdict.public is case["public"], CORPUS["sentences"][case["guide"]]


# -- end to end: put on a moto bucket, scan, compare ----------------------------------------------------
@pytest.fixture(scope="module")
def scanned() -> dict[str, Any]:
    """Every case's bucket, scanned once; moto's GetBucketPolicyStatus answers the guide's verdict, as S3 does.

    (moto's own IsPublic calls any statement with a Condition non-public and knows no Federated or
    wildcard-account principal: see test_s3_exposure.py for the scan against it unchanged.)
    """
    verdicts = {json.dumps(json.loads(document(case)), sort_keys=True): case["public"] for case in CASES}

    def as_s3_judges(policy: bytes | str) -> bool:
        return verdicts[json.dumps(json.loads(policy), sort_keys=True)]

    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            patch.delenv(key)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        patch.setattr("moto.s3.responses.bucket_policy_is_public", as_s3_judges)
        with mock_aws():
            s3 = boto3.client("s3", region_name="us-east-1")
            for case in CASES:
                s3.create_bucket(Bucket=bucket_name(case))
                s3.put_bucket_policy(Bucket=bucket_name(case), Policy=document(case))
            provider = AwsProvider({"regions": ["us-east-1"]}, ProviderContext())
            resources = list(provider.collect(CollectPlan(needs={"aws.s3.bucket": NEEDS})))
            for resource in resources:
                resource.load()
    return {r.name: r for r in resources}


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_scan_through_moto_follows_the_guide(scanned, case):
    bucket = scanned[bucket_name(case)]
    assert bucket.failed_groups == {}
    assert bucket.get("access.public") is case["public"], CORPUS["sentences"][case["guide"]]
    assert bucket.get("raw.policy_status_public") is case["public"]  # S3 was asked, and agreed
    assert ("policy" in bucket.get("access.public_via")) is case["public"]
