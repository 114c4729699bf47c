"""The built-in pack's tests in the ``policycheck test`` format (policy-tests/gdpr-customer-service.yaml)
hold, cover every rule passing and failing on every shipped type it targets, and agree with the rule table
of test_gdpr_rules.py."""

from __future__ import annotations

import importlib.util
import sys

import policycheck_gdpr_testkit as kit
import yaml
from click.testing import CliRunner

from policycheck.cli import main

TESTS = kit.REPO / "policy-tests" / "gdpr-customer-service.yaml"


def _expectations() -> set[tuple[str, str, str]]:
    document = yaml.safe_load(TESTS.read_text(encoding="utf-8"))
    samples = document["resources"]
    found = set()
    for test in document["tests"]:
        resource = test["resource"]
        type_name = resource.get("type") or samples[resource["extends"]]["type"]
        found |= {(rule, type_name, expect) for rule, expect in test["expect"].items()}
    return found


def test_builtin_pack_tests_pass() -> None:
    result = CliRunner().invoke(main, ["test", str(TESTS)], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    assert " failed" not in result.stdout


def test_every_rule_passes_and_fails_on_every_type_it_targets() -> None:
    expectations = _expectations()
    missing = [f"{rule.id} {expect} on {type_name}" for rule in kit.gdpr_pack().rules
               for type_name in kit.SHIPPED_TYPES if rule.applies_to(type_name)
               for expect in ("pass", "fail") if (rule.id, type_name, expect) not in expectations]
    assert not missing, missing


def test_agrees_with_the_rule_table() -> None:
    spec = importlib.util.spec_from_file_location("gdpr_rule_table", kit.REPO / "tests/policies/test_gdpr_rules.py")
    assert spec and spec.loader
    table = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = table  # dataclasses look their module up
    spec.loader.exec_module(table)
    wanted = {(case.rule, type_name, "skip" if case.expect is None else case.expect.value)
              for case in table.CASES for type_name in table.case_types(case)}
    assert wanted <= _expectations()
