"""The CLI as users run it: ``python -m policycheck`` in a real subprocess.

The core test provider is found through a real ``policycheck.providers`` entry point (a dist-info
folder on PYTHONPATH, see conftest ``plugin_env``), exactly as a third-party plugin would be.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from core_support import MALFORMED_DIR, check_one_line_error, pack_text, rule_text, store

pytestmark = pytest.mark.integration  # python -m policycheck in a subprocess

SUBSET = ["policy-yaml-bad-indent", "policy-unknown-attribute", "policy-unknown-operator", "policy-alias-bomb",
          "policy-python-object-tag", "policy-deep-nesting", "waiver-missing-expiry"]


def run(env, cwd, *args, timeout=60):
    return subprocess.run([sys.executable, "-m", "policycheck", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def pack(policy):
    return policy(rule_text("ENC", require="{attr: encryption.at_rest, equals: true}"))


@pytest.mark.parametrize(("encrypted", "code"), [(True, 0), (False, 1)])
def test_scan_exit_codes(plugin_env, tmp_path, pack, estate, encrypted, code):
    path = estate(store("s", tags={}, groups={"encryption": {"encryption.at_rest": encrypted}}))
    result = run(plugin_env, tmp_path, "scan", "-p", pack, "--coretest-estate", path)
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith(f"policycheck: {'PASSED' if code == 0 else 'FAILED'} ")  # the verdict line
    assert len(result.stderr.splitlines()) == 1
    assert ("PASSED" if code == 0 else "FAILED") in result.stdout
    assert "\x1b[" not in result.stdout  # piped: plain text


def test_scan_json_to_a_file_and_exit_2_on_a_config_error(plugin_env, tmp_path, pack, estate):
    path = estate(store("s", tags={}, groups={"encryption": {"encryption.at_rest": False}}))
    result = run(plugin_env, tmp_path, "scan", "-p", pack, "--coretest-estate", path, "-f", "json=out.json")
    assert result.returncode == 1
    assert json.loads((tmp_path / "out.json").read_text())["run"]["exit_code"] == 1
    bad = run(plugin_env, tmp_path, "scan", "-p", pack, "--coretest-estate", path, "--fail-on", "urgent")
    assert bad.returncode == 2 and "Invalid value for '--fail-on'" in bad.stderr


@pytest.mark.parametrize("name", SUBSET)
def test_malformed_files_in_a_real_process(plugin_env, tmp_path, name):
    path = MALFORMED_DIR / f"{name}.yaml"
    if name.startswith("waiver-"):
        valid = tmp_path / "valid.yaml"
        valid.write_text(pack_text("[]", name="valid"))
        args = ["validate", "-p", valid, "--waivers", path]
    else:
        args = ["validate", "-p", path]
    result = run(plugin_env, tmp_path, *args)
    check_one_line_error(result.returncode, result.stdout, result.stderr, path)


def test_debug_traceback_only_with_debug(plugin_env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [")
    plain = run(plugin_env, tmp_path, "validate", "-p", bad)
    debug = run(plugin_env, tmp_path, "--debug", "validate", "-p", bad)
    assert plain.returncode == debug.returncode == 2
    assert "Traceback" not in plain.stderr and len(plain.stderr.splitlines()) == 1
    assert "Traceback (most recent call last)" in debug.stderr


def test_a_provider_registered_after_the_cli_was_imported_is_usable(plugin_env, tmp_path):
    """register_provider() after ``import policycheck.cli`` still adds its options and --provider choice."""
    script = textwrap.dedent("""
        import sys
        from dataclasses import dataclass
        from policycheck.cli import main
        from policycheck.attributes import AttributeSpec, ResourceType
        from policycheck.provider import Provider, register_provider
        from policycheck.settings import Settings, setting

        @dataclass(frozen=True)
        class LateSettings(Settings):
            source: str | None = setting(None, "where", flag="--late-source")

        class Late(Provider):
            name = "late"
            resource_types = (ResourceType("late.thing", "x", "late", "data-store",
                                           (AttributeSpec("ok", "bool", "fine"),)),)
            settings_class = LateSettings

            def collect(self, plan):
                assert self.settings.source == "here", self.settings
                from policycheck.model import Resource
                yield Resource(type="late.thing", id="t", name="t", provider="late", attributes={"ok": True})

        register_provider(Late)
        main(sys.argv[1:], prog_name="policycheck")
    """)
    late_pack = tmp_path / "late.yaml"
    late_pack.write_text(pack_text(rule_text("L", resources="[late.thing]", require="{attr: ok, equals: true}"),
                                   name="late"))
    args = ["scan", "-p", late_pack, "--provider", "late", "--late-source", "here", "-f", "json"]
    result = subprocess.run([sys.executable, "-c", script, *map(str, args)], cwd=tmp_path, env=plugin_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["results"]["pass"] == 1


def test_a_broken_plugin_does_not_break_the_others(plugin_env, tmp_path, pack, estate):
    site = tmp_path / "broken-site"
    dist = site / "policycheck_brokenplugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: policycheck-brokenplugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[policycheck.providers]\nbrokenplugin = no_such_module:Provider\n")
    env = {**plugin_env, "PYTHONPATH": f"{site}:{plugin_env['PYTHONPATH']}"}
    path = estate(store("s", tags={}, groups={"encryption": {"encryption.at_rest": True}}))
    result = run(env, tmp_path, "scan", "-p", pack, "--coretest-estate", path)
    assert result.returncode == 0, result.stderr
    asked = run(env, tmp_path, "scan", "-p", pack, "--provider", "brokenplugin")
    assert asked.returncode == 2
    assert asked.stderr.startswith("policycheck: error: provider plugin 'brokenplugin' (no_such_module:Provider) "
                                   "cannot be loaded: ModuleNotFoundError")
    assert len(asked.stderr.splitlines()) == 1


def test_progress_goes_to_a_terminal_stderr_only(plugin_env, tmp_path, pack, estate):
    """On a terminal, stderr shows a live counter; stdout (piped) stays clean JSON."""
    import os
    import pty

    path = estate(store("s", tags={}, groups={"encryption": {"encryption.at_rest": True}}))
    master, slave = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "policycheck", "scan", "-p", str(pack), "--coretest-estate",
                                 str(path), "-f", "json"], cwd=tmp_path, env=plugin_env, stdout=subprocess.PIPE,
                                stderr=slave, timeout=60)
    finally:
        os.close(slave)
    shown = b""
    try:
        while chunk := os.read(master, 65536):
            shown += chunk
    except OSError:  # the terminal side is closed once everything was read
        pass
    finally:
        os.close(master)
    assert result.returncode == 0
    assert json.loads(result.stdout)["summary"]["results"]["pass"] == 1
    assert b"scanning" in shown and b"resources" in shown
