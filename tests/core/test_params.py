"""Params: declared in a pack, referenced as $params.NAME, overridden by the config file and --param."""

from __future__ import annotations

import json

import pytest
from core_support import rule_text, store

from policycheck.errors import PolicyError
from policycheck.loader import Overrides, load_packs

PARAMS = """
allowed: [EU, EEA]
max_days: 30
owner_tag: owner
"""


@pytest.fixture
def pack(policy):
    return policy(
        rule_text("P-LOC", require="{attr: location.jurisdiction, in: $params.allowed}"),
        rule_text("P-RET", require="{attr: retention.max_age_days, lte: $params.max_days}"),
        rule_text("P-OWN", require='{attr: "tags.${params.owner_tag}", exists: true}'),
        params=PARAMS)


@pytest.fixture
def usa(estate):
    return estate(store("s-us", tags={"owner": "a", "steward": ""},
                        core={"location.jurisdiction": "third-country"},
                        groups={"retention": {"retention.max_age_days": 45}}))


def results(cli, *args) -> dict[str, str]:
    result = cli("scan", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    return {f["rule_id"]: f["result"] for f in json.loads(result.stdout)["findings"]}


def test_declared_params_apply_by_default(cli, pack, usa):
    assert results(cli, "-p", pack, "--coretest-estate", usa) == {"P-LOC": "fail", "P-RET": "fail", "P-OWN": "pass"}


def test_param_overrides_from_the_command_line(cli, pack, usa):
    got = results(cli, "-p", pack, "--coretest-estate", usa, "--param", "allowed=[EU, EEA, third-country]",
                  "--param", "max_days=60", "--param", "owner_tag=steward")
    assert got == {"P-LOC": "pass", "P-RET": "pass", "P-OWN": "fail"}  # an empty tag value does not exist


def test_param_overrides_from_the_config_file_and_cli_wins(cli, pack, usa, write):
    write("policycheck.yaml", f"policies: [{pack}]\nparams:\n  max_days: 60\n  allowed: [third-country]\n")
    assert results(cli, "--coretest-estate", usa) == {"P-LOC": "pass", "P-RET": "pass", "P-OWN": "pass"}
    assert results(cli, "--coretest-estate", usa, "--param", "max_days=40")["P-RET"] == "fail"


def test_the_json_report_shows_the_effective_params(cli, pack, usa):
    result = cli("scan", "-p", pack, "--coretest-estate", usa, "--param", "max_days=60", "-f", "json")
    assert json.loads(result.stdout)["packs"][0]["params"] == {"allowed": ["EU", "EEA"], "max_days": 60,
                                                                "owner_tag": "owner"}


@pytest.mark.parametrize(("param", "message"), [
    ("max_day=60", "--param: unknown param 'max_day' (did you mean 'max_days'?); declared: allowed, max_days, "
                   "owner_tag"),
    ("max_days=sixty", "--param: param 'max_days' must be a number, got a string 'sixty'"),
    ("allowed=EU", "--param: param 'allowed' must be a list, got a string 'EU'"),
    ("max_days", "--param: --param needs NAME=VALUE, got 'max_days'"),
    ("=3", "--param: --param needs NAME=VALUE"),
    ("allowed=[EU", "--param: --param allowed: value is not valid YAML"),
])
def test_bad_param_overrides_are_one_line_exit_2(cli, pack, usa, param, message, fetch_log):
    result = cli("scan", "-p", pack, "--coretest-estate", usa, "--param", param)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"policycheck: error: {message}")
    assert len(result.stderr.splitlines()) == 1
    assert fetch_log == []


def test_validate_checks_overrides_too(cli, pack):
    assert cli("validate", "-p", pack, "--param", "max_days=60").exit_code == 0
    result = cli("validate", "-p", pack, "--param", "nope=1")
    assert result.exit_code == 2 and "unknown param 'nope'" in result.stderr


def test_an_unknown_param_in_the_config_file_names_the_config_file(cli, pack, write):
    config = write("team.yaml", "params:\n  max_dayz: 60\n")
    result = cli("validate", "--config", config, "-p", pack)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"policycheck: error: {config}:2:3: unknown param 'max_dayz' (did you mean "
                                    "'max_days'?)")


def test_overrides_api_keeps_sources(policy):
    path = policy(rule_text(require="{attr: retention.max_age_days, lte: $params.max_days}"), params="max_days: 3")
    with pytest.raises(PolicyError) as info:
        load_packs([str(path)], Overrides({"max_days": "x"}, {"max_days": "team.yaml: params"}))
    assert info.value.source == "team.yaml: params"
    [pack] = load_packs([str(path)], {"max_days": 9})
    assert pack.params == {"max_days": 9} and pack.rules[0].require.value == 9


def test_a_number_override_may_be_int_or_float(policy):
    path = policy(rule_text(require="{attr: retention.max_age_days, lte: $params.max_days}"), params="max_days: 3")
    assert load_packs([str(path)], {"max_days": 2.5})[0].rules[0].require.value == 2.5
