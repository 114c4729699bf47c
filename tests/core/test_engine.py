"""The engine: scope before requirement, lazy reads, unknown -> error, deterministic order."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from core_support import rule_text, store
from policycheck_coretest import CoreTestProvider

from policycheck.engine import evaluate, evaluate_rule
from policycheck.loader import load_packs
from policycheck.model import Resource, Result
from policycheck.policy import attribute_needs
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.report import Report, Thresholds

DAY = dt.date(2026, 6, 15)  # the evaluation date of these tests

ENCRYPTION_RULES = (
    rule_text("ENC-1", require="{attr: encryption.at_rest, equals: true}"),
    rule_text("ENC-2", require="{attr: encryption.key_management, equals: customer-managed}", severity="medium"),
)
ALL_GROUPS = {
    "encryption": {"encryption.at_rest": True, "encryption.key_management": "customer-managed"},
    "access": {"access.public": False},
    "retention": {"retention.max_age_days": 30},
    "backup": {"backup.enabled": True},
    "replication": {"replication.regions": []},
}


def rules_of(path):
    return [r for p in load_packs([str(path)]) for r in p.rules]


def scan(rules, estate_path, **plan):
    provider = CoreTestProvider({"estate": str(estate_path)}, ProviderContext())
    resources = list(provider.collect(CollectPlan(needs=attribute_needs(rules), **plan)))
    return sorted(evaluate(rules, resources, evaluation_date=DAY, workers=4), key=lambda f: f.sort_key()), resources


def test_encryption_rules_never_fetch_other_groups(policy, estate, fetch_log):
    rules = rules_of(policy(*ENCRYPTION_RULES))
    path = estate(*(store(f"s{i}", tags={}, groups=ALL_GROUPS) for i in range(5)))
    findings, _ = scan(rules, path)
    assert [f.result for f in findings] == [Result.PASS] * 10
    assert sorted(fetch_log) == [(f"s{i}", "encryption") for i in range(5)]  # once per resource, nothing else


def test_out_of_scope_resources_never_fetch_required_groups(policy, estate, fetch_log):
    rules = rules_of(policy(rule_text("PUB-1", when="{attr: tags.data-classification, equals: personal}",
                                      require="{attr: access.public, equals: false}")))
    path = estate(store("in", tags={"data-classification": "personal"}, groups=ALL_GROUPS),
                  store("out", tags={"data-classification": "public"}, groups=ALL_GROUPS))
    findings, _ = scan(rules, path)
    assert [(f.resource.id, f.result) for f in findings] == [("in", Result.PASS)]
    assert fetch_log == [("in", "access")]


def test_scope_read_from_a_lazy_tags_group(policy, estate, fetch_log):
    rules = rules_of(policy(rule_text("PUB-1", when="{attr: tags.pii, equals: 'yes'}",
                                      require="{attr: access.public, equals: false}")))
    path = estate(store("a", groups={**ALL_GROUPS, "tags": {"tags": {"pii": "no"}}}))
    findings, _ = scan(rules, path)
    assert findings == []
    assert fetch_log == [("a", "tags")]


def test_collection_error_gives_error_findings_naming_the_action(policy, estate):
    rules = rules_of(policy(*ENCRYPTION_RULES))
    path = estate(store("denied", tags={}, groups={"encryption": {"error": "AccessDenied",
                                                                  "action": "test:GetEncryption"}}))
    findings, _ = scan(rules, path)
    assert [f.result for f in findings] == [Result.ERROR, Result.ERROR]
    assert findings[0].message == "encryption.at_rest unknown: AccessDenied (test:GetEncryption)"


def test_an_unexpected_provider_exception_is_an_error_not_a_pass(policy, estate):
    rules = rules_of(policy(*ENCRYPTION_RULES))
    findings, _ = scan(rules, estate(store("boom", tags={}, groups={"encryption": {"crash": "KeyError 'Rules'"}})))
    assert {f.result for f in findings} == {Result.ERROR}
    assert "unexpected RuntimeError while collecting 'encryption'" in findings[0].message


def test_unknown_scope_is_an_error(policy, estate):
    rules = rules_of(policy(rule_text("S-1", when="{attr: tags.env, equals: prod}",
                                      require="{attr: encryption.at_rest, equals: true}")))
    findings, _ = scan(rules, estate(store("t", groups={"tags": {"error": "no tag access"}, **ALL_GROUPS})))
    [finding] = findings
    assert finding.result is Result.ERROR
    assert finding.message.startswith("scope cannot be decided: tags.env unknown: no tag access")


def test_unknown_that_cannot_change_the_outcome_is_not_an_error(policy, estate):
    """any(true, unknown) passes and all(false, unknown) fails: three-valued logic, not 'any unknown = error'."""
    rules = rules_of(policy(
        rule_text("ANY", require="{any: [{attr: backup.enabled, equals: true}, {attr: access.public, equals: false}]}"),
        rule_text("ALL", require="{all: [{attr: backup.enabled, equals: false}, {attr: access.public, "
                                 "equals: false}]}"),
        rule_text("NEED", require="{all: [{attr: backup.enabled, equals: true}, {attr: access.public, "
                                  "equals: false}]}")))
    path = estate(store("s", tags={}, groups={"backup": {"backup.enabled": True}, "access": {"error": "denied"}}))
    findings, _ = scan(rules, path)
    assert {f.rule_id: f.result for f in findings} == {"ANY": Result.PASS, "ALL": Result.FAIL,
                                                       "NEED": Result.ERROR}


def test_fail_message_shows_what_was_observed(policy, estate):
    rules = rules_of(policy(rule_text("RET", require="{attr: retention.max_age_days, lte: 30}")))
    [finding], _ = scan(rules, estate(store("s", tags={}, groups={"retention": {"retention.max_age_days": 400}})))
    assert finding.result is Result.FAIL
    assert finding.message == "expected retention.max_age_days lte 30; observed retention.max_age_days=400"
    assert finding.observed == {"retention.max_age_days": 400}


def test_an_absent_value_fails_closed(policy, estate):
    rules = rules_of(policy(rule_text("RET", require="{attr: retention.max_age_days, lte: 30}")))
    [finding], _ = scan(rules, estate(store("s", tags={}, groups={"retention": {}})))
    assert finding.result is Result.FAIL
    assert finding.message.endswith("observed retention.max_age_days=null")


def test_rule_only_applies_to_its_types(policy, estate, fetch_log):
    rules = rules_of(policy(rule_text("DEV", resources="[test.device]",
                                      require="{attr: firewall.enabled, equals: true}")))
    path = estate(store("s", tags={}, groups=ALL_GROUPS),
                  {"type": "test.device", "id": "d", "tags": {}, "groups": {"posture": {"firewall.enabled": False}}})
    findings, resources = scan(rules, path)
    assert [(f.resource.id, f.result) for f in findings] == [("d", Result.FAIL)]
    assert [r.type for r in resources] == ["test.device"]  # the plan did not even list stores
    assert fetch_log == [("d", "posture")]


def test_a_crashing_operator_is_an_error_finding(policy, estate):
    from policycheck.conditions import Leaf
    from policycheck.operators import Operator

    def broken(actual, expected):
        raise ZeroDivisionError("bad operator")
    [rule] = rules_of(policy(rule_text(require="{attr: encryption.at_rest, equals: true}")))
    rule = type(rule)(**{**rule.__dict__, "require": Leaf("encryption.at_rest", Operator(
        "broken", broken, "any", frozenset({"bool"}), "x"), True)})
    findings, _ = scan([rule], estate(store("s", tags={}, groups=ALL_GROUPS)))
    assert findings[0].result is Result.ERROR
    assert "internal error while evaluating: ZeroDivisionError: bad operator" in findings[0].message


def test_evaluate_rule_returns_none_out_of_scope():
    from policycheck.conditions import Leaf
    from policycheck.model import Severity
    from policycheck.operators import OPERATORS
    from policycheck.policy import Rule

    rule = Rule("R", "t", Severity.LOW, ("t",), require=Leaf("a", OPERATORS["equals"], 1),
                when=Leaf("b", OPERATORS["equals"], 2))
    resource = Resource(type="t", id="i", name="n", provider="p", attributes={"a": 1, "b": 3})
    assert evaluate_rule(rule, resource, DAY) is None


def test_order_is_deterministic_whatever_the_input_order(policy, estate):
    rules = rules_of(policy(*ENCRYPTION_RULES))
    records = [store(f"s{i:02d}", account=str(i % 3), region=["eu-west-1", "eu-central-1"][i % 2], tags={},
                     groups={"encryption": {"encryption.at_rest": i % 2 == 0}}) for i in range(30)]
    outputs = []
    for seed in range(3):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        provider = CoreTestProvider({"estate": str(estate(*shuffled, name=f"e{seed}.json"))}, ProviderContext())
        findings = list(evaluate(rules, provider.collect(CollectPlan()), evaluation_date=DAY, workers=8))
        report = Report(findings=findings, rules=rules, packs=[], thresholds=Thresholds(), started=None,
                        finished=None, evaluated_on=None)
        outputs.append([(f.rule_id, f.resource.id, f.result.value, f.fingerprint) for f in report.findings])
    assert outputs[0] == outputs[1] == outputs[2]
    # sorted by rule, type, account, region, id: account "0" in eu-central-1 (s03) comes first
    assert outputs[0][0][:2] == ("ENC-1", "s03")


def test_many_lazy_resources_are_evaluated_concurrently_and_completely(policy, estate, fetch_log):
    rules = rules_of(policy(*ENCRYPTION_RULES))
    path = estate(*(store(f"s{i:03d}", tags={}, groups=ALL_GROUPS) for i in range(200)))
    findings, _ = scan(rules, path)
    assert len(findings) == 400
    assert len(fetch_log) == 200 and len(set(fetch_log)) == 200


def test_findings_serialise_observed_values(policy, estate):
    rules = rules_of(policy(rule_text(require="{attr: access.public_via, subset_of: []}")))
    [finding], _ = scan(rules, estate(store("s", tags={}, groups={"access": {"access.public_via": ["acl"]}})))
    assert json.loads(json.dumps(finding.observed)) == {"access.public_via": ["acl"]}


@pytest.mark.parametrize("workers", [1, 16])
def test_worker_count_does_not_change_results(policy, estate, workers):
    rules = rules_of(policy(*ENCRYPTION_RULES))
    path = estate(*(store(f"s{i}", tags={}, groups={"encryption": {"encryption.at_rest": bool(i % 2)}})
                    for i in range(10)))
    provider = CoreTestProvider({"estate": str(path)}, ProviderContext())
    findings = sorted(evaluate(rules, provider.collect(CollectPlan()), evaluation_date=DAY, workers=workers),
                      key=lambda f: f.sort_key())
    assert [f.result.value for f in findings[:10]] == ["fail", "pass"] * 5
