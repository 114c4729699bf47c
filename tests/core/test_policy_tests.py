"""``policycheck test``: sample resources with the result each rule must give; exit 1 on a mismatch."""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest
import yaml
from core_support import REPO, rule_text

RULES = (
    rule_text("ENC", require="{attr: encryption.at_rest, equals: true}",
              when="{attr: tags.data-classification, in: [personal]}"),
    rule_text("LOC", require="{attr: location.jurisdiction, in: $params.allowed}", severity="medium"),
    rule_text("DEV", require="{attr: screen_lock.enabled, equals: true}", resources="[test.device]"),
)
PARAMS = "allowed: [EU]\n"
HEADER = "apiVersion: policycheck/v1\nkind: PolicyTests\n"
SAMPLES = """\
resources:
  personal:
    type: test.store
    tags: {data-classification: personal}
    attributes: {encryption.at_rest: true, location.jurisdiction: EU}
"""


@pytest.fixture
def pack(policy):
    return policy(*RULES, params=PARAMS)


def write_tests(write, body, name="t.yaml", samples=False):
    return write(name, HEADER + (SAMPLES if samples else "") + textwrap.dedent(body))


def test_expectations_that_hold_exit_0(cli, pack, write):
    path = write_tests(write, """\
        tests:
          - name: compliant
            resource: personal
            expect: {ENC: pass, LOC: pass, DEV: skip}
          - name: unencrypted personal store
            resource: {extends: personal, attributes: {encryption.at_rest: false}}
            expect: {ENC: fail}
          - name: public store is out of scope
            resource: {extends: personal, tags: {data-classification: public}}
            expect: {ENC: skip}
          - name: a removed tag leaves the scope
            resource: {extends: personal, tags: {data-classification: null}}
            expect: {ENC: skip}
          - name: unknown encryption is an error
            resource: {extends: personal, unknown: {encryption.at_rest: AccessDenied}}
            expect: {ENC: error}
          - name: unknown tags leave the scope undecided
            resource: {extends: personal, unknown: {tags: AccessDenied}}
            expect: {ENC: error}
          - name: a test's params
            resource: {extends: personal, attributes: {location.jurisdiction: adequacy}}
            params: {allowed: [EU, adequacy]}
            expect: {LOC: pass}
          - name: inline resource
            resource: {type: test.device, attributes: {screen_lock.enabled: false}}
            expect: {DEV: fail}
        """, samples=True)
    result = cli("test", "-p", pack, path)
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "policycheck test: 8 test(s), 10 expectation(s) against core-test 1.0.0"
    assert lines[2] == "  .........."
    assert lines[-1].startswith("======== 10 passed in ")


def test_a_mismatch_exits_1_with_the_rules_trace(cli, pack, write):
    path = write_tests(write, """\
        tests:
          - name: compliant
            resource: personal
            expect: {ENC: pass}
          - name: wrongly expects a pass
            resource: {extends: personal, attributes: {location.jurisdiction: third-country}}
            expect: {LOC: pass, ENC: pass}
        """, samples=True)
    result = cli("test", "-p", pack, path)
    assert result.exit_code == 1
    out = result.stdout
    assert "  .F." in out
    assert f"___ {path}:12:5 wrongly expects a pass [LOC] ___\nexpected pass, got fail\n" in out
    assert '  require:  location.jurisdiction in ["EU"]\n' in out
    assert "  observed: location.jurisdiction=\"third-country\"" in out
    assert out.splitlines()[-1].startswith("======== 1 failed, 2 passed in ")


def test_param_override_from_the_command_line_applies(cli, pack, write):
    path = write_tests(write, """\
        tests:
          - name: adequacy allowed by --param
            resource: {extends: personal, attributes: {location.jurisdiction: adequacy}}
            expect: {LOC: pass}
        """, samples=True)
    assert cli("test", "-p", pack, path).exit_code == 1
    assert cli("test", "-p", pack, "--param", "allowed=[EU, adequacy]", path).exit_code == 0


def test_evaluation_date_of_the_file_is_used(cli, policy, write):
    pack = policy(rule_text("END", require="{attr: tags.purpose-end, older_than_days: 0}"))
    # purpose ended in 2026-03: 'older than 0 days' holds on 2026-06-01, not on 2026-01-01
    body = """\
        evaluation_date: {day}
        tests:
          - name: ended purpose
            resource: {{type: test.store, tags: {{purpose-end: "2026-03-01"}}}}
            expect: {{END: pass}}
        """
    assert cli("test", "-p", pack, write_tests(write, body.format(day="2026-06-01"), "a.yaml")).exit_code == 0
    assert cli("test", "-p", pack, write_tests(write, body.format(day="2026-01-01"), "b.yaml")).exit_code == 1


def test_folder_holds_only_test_files(cli, pack, write, tmp_path):
    write_tests(write, "tests:\n  - {name: a, resource: personal, expect: {ENC: pass}}\n", "suite/a.yaml", samples=True)
    write("suite/not-a-test.yaml", "just: data\n")
    write("suite/nested/b.yml", HEADER + "tests:\n  - {name: b, resource: {type: test.device}, expect: {DEV: fail}}\n")
    result = cli("test", "-p", pack, tmp_path / "suite")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "2 test(s)" in result.stdout


@pytest.mark.parametrize(("body", "place", "message"), [
    ("tests:\n  - {name: a, resource: {type: test.store}, expect: {ENCC: pass}}\n", "4:54",
     "tests[0].expect.ENCC: unknown rule id 'ENCC' (did you mean 'ENC'?)"),
    ("tests:\n  - {name: a, resource: {type: test.stor}, expect: {ENC: pass}}\n", "4:26",
     "unknown resource type 'test.stor' (did you mean 'test.store'?)"),
    ("tests:\n  - {name: a, resource: {type: test.store, attributes: {encryption.at_rst: true}}, "
     "expect: {ENC: pass}}\n", "4:15", "unknown attribute 'encryption.at_rst' of test.store (did you mean "
     "'encryption.at_rest'?)"),
    ("tests:\n  - {name: a, resource: {extends: persnal}, expect: {ENC: pass}}\n", "4:26",
     "no resource named 'persnal'"),
    ("tests:\n  - {name: a, resource: {type: test.store}, expect: {ENC: passes}}\n", "4:54",
     "tests[0].expect.ENC: 'passes' is not one of"),
    ("tests:\n  - {name: a, resource: {type: test.store}}\n", "4:5", "'expect' is required"),
    ("tests: []\n", "3:1", "tests: [] should be non-empty"),
    ("tests:\n  - {name: a, resource: {type: test.store}, expect: {ENC: pass}, extra: 1}\n", "4:66",
     "unknown key 'extra'"),
    ("tests:\n  - name: a\n    resource: {type: test.store\n", "", "YAML"),
])
def test_bad_test_files_are_one_line_errors(cli, pack, write, body, place, message):
    path = write("bad.yaml", HEADER + body)
    result = cli("test", "-p", pack, path)
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"policycheck: error: {path}:{place}" if place else f"policycheck: error: {path}"), line
    assert message in line, line


def test_no_test_files_is_a_usage_error(cli, pack, tmp_path, write):
    write("empty/other.yaml", "a: 1\n")
    result = cli("test", "-p", pack, tmp_path / "empty")
    assert result.exit_code == 2
    assert "no test files" in result.stderr
    assert cli("test", "-p", pack, tmp_path / "missing").exit_code == 2


def test_schema_is_published(cli):
    result = cli("schema", "policy-tests")
    schema = json.loads(result.stdout)
    assert schema["properties"]["kind"] == {"const": "PolicyTests"}
    shipped = json.loads((REPO / "policycheck/schemas/policy-tests.schema.json").read_text())
    assert shipped == schema


def test_builtin_pack_tests_follow_the_schema():
    schema = json.loads((REPO / "policycheck/schemas/policy-tests.schema.json").read_text())
    document = yaml.safe_load((REPO / "policy-tests/gdpr-customer-service.yaml").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
