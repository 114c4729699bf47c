"""With the engine: buckets evaluated concurrently, IAM read only for buckets in a rule's scope."""

from __future__ import annotations

import datetime as dt

from policycheck.engine import evaluate
from policycheck.loader import load_packs
from policycheck.model import Result
from policycheck.policy import attribute_needs
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.gcs import GcsProvider

DAY = dt.date(2026, 6, 15)  # the evaluation date of these tests

PROJECT = "acme-support"

POLICY = """\
apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: gcs-engine-test, version: "1.0.0"}
rules:
  - id: T-PERSONAL-NOT-PUBLIC
    title: Personal data is not public
    severity: critical
    resources: [data-store]
    when: {attr: tags.data-classification, equals: personal}
    require: {attr: access.public, equals: false}
    references: ["GDPR Art. 32"]
    remediation: Remove public grants.
"""


def rules_and_buckets(tmp_path, workers: int):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    rules = [rule for pack in load_packs([str(path)]) for rule in pack.rules]
    plan = CollectPlan(needs=attribute_needs(rules), max_workers=workers)
    return rules, list(GcsProvider({"projects": [PROJECT]}, ProviderContext()).collect(plan))


def test_buckets_are_evaluated_concurrently(fake_gcs, gcs_data, tmp_path):
    for index in range(8):
        fake_gcs.add(PROJECT, gcs_data.bucket(f"cs-personal-{index}", labels={"data-classification": "personal"},
                                              iamConfiguration={"uniformBucketLevelAccess": {"enabled": True}}),
                     bindings=[gcs_data.binding("roles/storage.objectViewer", "allUsers")] if index == 3 else None)
    rules, buckets = rules_and_buckets(tmp_path, workers=8)
    fake_gcs.latency = 0.15  # long enough that concurrent requests overlap at the server, however busy the machine
    findings = list(evaluate(rules, buckets, evaluation_date=DAY, workers=8))
    assert len(fake_gcs.calls("iam")) == 8
    assert fake_gcs.max_in_flight >= 2  # IAM reads overlapped: one after the other would never exceed 1
    failed = [f.resource.name for f in findings if f.result is Result.FAIL]
    assert failed == ["cs-personal-3"]


def test_iam_is_read_only_for_buckets_in_scope(fake_gcs, gcs_data, tmp_path):
    for name, classification in (("cs-tickets", "personal"), ("cs-assets", "public"), ("cs-logs", "internal")):
        fake_gcs.add(PROJECT, gcs_data.bucket(name, labels={"data-classification": classification},
                                              iamConfiguration={"uniformBucketLevelAccess": {"enabled": True}}))
    rules, buckets = rules_and_buckets(tmp_path, workers=4)
    findings = list(evaluate(rules, buckets, evaluation_date=DAY, workers=4))
    assert [(f.resource.name, f.result) for f in findings] == [("cs-tickets", Result.PASS)]
    assert [r.path for r in fake_gcs.calls("iam")] == ["/storage/v1/b/cs-tickets/iam"]
