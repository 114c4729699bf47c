"""End to end through the CLI: scan device inventories with a device policy, pseudonymised by default."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.privacy import ENV_VAR

from .conftest import FIXTURES

POLICY = """\
apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: home-office-cli-test, version: "1.0.0"}
rules:
  - {id: HO-ENC, title: Disk encrypted, severity: high, resources: [device],
     require: {attr: encryption.at_rest, equals: true}, references: ["GDPR Art. 32"]}
  - {id: HO-MAC, title: Supported macOS, severity: medium, resources: [device],
     when: {attr: os.name, equals: macOS}, require: {attr: os.version, version_gte: "14.10"}}
  - {id: HO-TRAIN, title: Training within a year, severity: medium, resources: [device],
     require: {attr: training.age_days, lte: 365}}
"""


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "home-office.yaml"
    path.write_text(POLICY)
    return str(path)


def scan(policy, tmp_path, *extra):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, [
        "scan", "--policy", policy, "--inventory", str(FIXTURES / "jamf-computers-inventory.json"),
        "--inventory", f"policycheck-csv:{FIXTURES / 'policycheck-devices.csv'}",
        "--register", str(FIXTURES / "staff-register.csv"), "--format", f"json={out}", *extra])
    return result, out


def test_scan_is_pseudonymised(policy, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cli-test-pseudonym-key-0123456789")
    result, out = scan(policy, tmp_path)
    assert result.exit_code == 1, result.output
    text = out.read_text()
    report = json.loads(text)
    assert "@example.com" not in text and "MacBook" not in text and "C02FK3ZLQ6L4" not in text
    findings = [f for f in report["findings"] if f["rule_id"] == "HO-MAC"]
    # 14.7.1 < 14.10 numerically; 15.x passes; 13.6.9 fails
    assert sorted(f["result"] for f in findings) == ["fail", "fail", "pass", "pass"]


def test_scan_reveals_identities_on_request(policy, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    result, out = scan(policy, tmp_path, "--reveal-identities")
    assert result.exit_code == 1, result.output
    assert "Sophie's MacBook Air" in out.read_text()


def test_scan_without_a_key_is_a_usage_error(policy, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    result, _ = scan(policy, tmp_path)
    assert result.exit_code == 2
    assert ENV_VAR in result.output and "Traceback" not in result.output


def test_bad_inventory_exits_2_with_one_line(policy, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cli-test-pseudonym-key-0123456789")
    bad = tmp_path / "devices.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    result = CliRunner().invoke(main, ["scan", "--policy", policy, "--inventory", str(bad)])
    assert result.exit_code == 2
    assert "devices.xlsx: this is a ZIP archive or an Excel workbook" in result.output
    assert "Traceback" not in result.output
