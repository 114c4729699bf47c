"""Settings declared once and resolved in one place: defaults < config file < environment < flags."""

from __future__ import annotations

import dataclasses
import datetime as dt

import jsonschema
import pytest

from policycheck.errors import ConfigError
from policycheck.provider import load_providers
from policycheck.resolution import config_file_schema, resolve
from policycheck.run_settings import RunSettings
from policycheck.settings import Settings, setting


def test_precedence_defaults_file_environment_flags(write):
    config = write("team.yaml", "fail_on: high\nworkers: 4\nmax_waiver_days: 30\n")
    assert resolve(None, {}, env={}).run.fail_on == "low"  # no file: the default
    assert resolve(str(config), {}, env={}).run.fail_on == "high"  # the file
    env = {"POLICYCHECK_FAIL_ON": "medium", "POLICYCHECK_WORKERS": "8"}
    from_env = resolve(str(config), {}, env=env).run
    assert (from_env.fail_on, from_env.workers, from_env.max_waiver_days) == ("medium", 8, 30)
    flagged = resolve(str(config), {"fail_on": "critical"}, env=env)
    assert flagged.run.fail_on == "critical" and flagged.run.workers == 8
    assert flagged.origins["fail_on"] == "--fail-on" and flagged.origins["workers"] == "POLICYCHECK_WORKERS"
    assert flagged.origins["max_waiver_days"].startswith(f"{config}:3:")


def test_maps_merge_key_by_key_across_layers(write):
    config = write("team.yaml", "params:\n  max_days: 30\n  allowed: [EU]\n")
    resolved = resolve(str(config), {"params": ("allowed=[EU, EEA]",)}, env={"POLICYCHECK_PARAMS": "owner_tag: o"})
    assert resolved.run.params == {"max_days": 30, "allowed": ["EU", "EEA"], "owner_tag": "o"}
    assert resolved.origins["params.allowed"] == "--param"
    assert resolved.origins["params.owner_tag"] == "POLICYCHECK_PARAMS"
    assert resolved.origins["params.max_days"] == f"{config}:2:3"


@pytest.mark.parametrize(("layer", "value", "message"), [
    ("flag", {"workers": 0}, "--workers: workers: 0 is less than the minimum of 1"),
    ("env", {"POLICYCHECK_WORKERS": "many"}, "POLICYCHECK_WORKERS: expected a whole number, got 'many'"),
    ("env", {"POLICYCHECK_FAIL_ON_ERROR": "perhaps"}, "POLICYCHECK_FAIL_ON_ERROR: expected true or false"),
    ("flag", {"evaluation_date": "2026-13-01"}, "--evaluation-date: evaluation_date: not a date '2026-13-01'"),
    ("env", {"POLICYCHECK_PSEUDONYM_KEY": "   "}, "POLICYCHECK_PSEUDONYM_KEY: set to only white space"),
    ("env", {"POLICYCHECK_PSEUDONYM_KEY": ""}, None),  # empty: not given at all
])
def test_every_layer_is_checked_and_named(layer, value, message):
    flags, env = (value, {}) if layer == "flag" else ({}, value)
    if message is None:
        assert resolve(None, flags, env=env).run.pseudonym_key is None
        return
    with pytest.raises(ConfigError) as caught:
        resolve(None, flags, env=env)
    assert str(caught.value).startswith(message)


def test_provider_settings_come_from_flags_environment_and_file(write):
    load_providers()
    estate = write("estate.json", {"resources": []})
    config = write("team.yaml", f"providers:\n  coretest: {{estate: {estate.name}}}\n")
    from_file = resolve(str(config), {}, env={})
    assert from_file.providers["coretest"].estate == str(estate)  # relative to the config file
    from_env = resolve(str(config), {}, env={"POLICYCHECK_CORETEST_FLAG": "yes"})
    assert from_env.providers["coretest"].flag is True
    named = resolve(None, {}, provider_names=("coretest",), env={"POLICYCHECK_CORETEST_ESTATE": "/x.json"})
    assert named.providers["coretest"].estate == "/x.json"
    assert resolve(None, {}, env={"POLICYCHECK_CORETEST_ESTATE": "/x.json"}).providers == {}  # env picks no provider


def test_the_config_schema_is_derived_from_the_declarations():
    schema = config_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) - {"providers"} == {s.key for s in RunSettings.specs() if s.config}
    assert "pseudonym_key" not in schema["properties"]  # secrets: environment only
    for name, cls in load_providers().items():
        section = schema["properties"]["providers"]["properties"][name]
        assert set(section["properties"]) == {s.key for s in cls.settings_class.specs() if s.config}


def test_a_declaration_gives_types_flags_and_environment_names():
    @dataclasses.dataclass(frozen=True)
    class Example(Settings):
        section = "example"
        hosts: tuple[str, ...] = setting((), "Hosts.", flag="--host", items={"pattern": "^[a-z]+$"},
                                         expect="a host name")
        day: dt.date | None = setting(None, "A day.")
        limits: dict[str, int] = setting(None, "Limits.")

    specs = {s.key: s for s in Example.specs()}
    assert specs["hosts"].schema == {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}}
    assert specs["hosts"].repeatable and specs["hosts"].env_var("example") == "POLICYCHECK_EXAMPLE_HOSTS"
    assert specs["day"].schema == {"type": "string", "format": "date"}
    assert specs["limits"].schema == {"type": "object", "additionalProperties": {"type": "integer"}}
    parsed = Example.parse({"hosts": ["a", "b"], "day": "2026-01-02"})
    assert parsed.hosts == ("a", "b") and parsed.day == dt.date(2026, 1, 2)
    with pytest.raises(ConfigError, match=r"^example: hosts\[1\]: 'B!' is not a host name$"):
        Example.parse({"hosts": ["a", "B!"]})
    with pytest.raises(ConfigError, match=r"unknown setting 'host' \(did you mean 'hosts'\?\)"):
        Example.parse({"host": ["a"]})
    with pytest.raises(TypeError):
        setting([], "a mutable default")


def test_every_provider_has_its_own_timeout_in_file_and_environment(write):
    """Issue 13 item 6: ``providers.NAME.timeout`` (config) / ``POLICYCHECK_NAME_TIMEOUT`` for every provider."""
    registry = load_providers()
    for name in ("aws", "gcs", "devices", "terraform", "postgres", "mysql"):  # the built-in ones
        declared = registry.get(name).settings_class
        assert declared.spec("timeout").env_var(declared.section) == f"POLICYCHECK_{name.upper()}_TIMEOUT"
    config = write("team.yaml", "providers:\n  devices: {timeout: 90}\n  gcs: {timeout: 600, request_timeout: 20}\n")
    resolved = resolve(str(config), {}, env={"POLICYCHECK_DEVICES_TIMEOUT": "45"})
    assert resolved.providers["devices"].timeout == 45  # the environment over the file
    assert (resolved.providers["gcs"].timeout, resolved.providers["gcs"].request_timeout) == (600, 20)
    bad = write("bad.yaml", "providers:\n  aws: {timeout: 0}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:2:\d+: providers\.aws\.timeout: 0 is less than or equal to"):
        resolve(str(bad), {}, env={})



@pytest.mark.integration  # a fresh process: this one has the core tests' own provider registered
def test_the_shipped_schema_files_are_the_generated_ones(tmp_path):
    """Editors read policycheck/schemas/*.json: they must say what the code checks (regenerate with
    ``policycheck schema --write policycheck/schemas``)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    subprocess.run([sys.executable, "-m", "policycheck", "schema", "--write", str(tmp_path)], check=True,
                   capture_output=True, timeout=120)
    shipped = Path(__file__).parents[2] / "policycheck" / "schemas"
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == sorted(path.name for path in shipped.glob("*.json"))
    for name in written:
        assert json.loads((shipped / name).read_text(encoding="utf-8")) == json.loads(
            (tmp_path / name).read_text(encoding="utf-8")), name
