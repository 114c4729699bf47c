"""Item 3: a malformed inventory or register row never puts a raw cell value into a reason.

Shifted columns (an unquoted delimiter, a missing cell) move e-mail addresses and serial numbers
into columns parsed as dates, countries, booleans and versions; 0.1.0 quoted them in every
format's messages. The files follow the policycheck CSV layout of providers/devices/FORMAT.md
and a staff register as an HR export writes it.
"""

from __future__ import annotations

import json

import pytest

EMAILS = ("anna.schmidt@example.com", "lukas.weber@example.com")
SERIALS = ("C02XK1ZZJGH5", "PF3XK9A1")

INVENTORY = """\
device_id,serial,hostname,owner,os_name,os_version,disk_encrypted,screen_lock_enabled,screen_lock_timeout_minutes,\
firewall_enabled,last_seen,managed,compliance_state
dev-1,C02XK1ZZJGH5,cs-de-01,anna.schmidt@example.com,macOS,14.6,true,true,5,true,2026-04-30T09:00:00Z,true,compliant
dev-2,PF3XK9A1,cs-de-02,Ubuntu,24.04,lukas.weber@example.com,PF3XK9A1,lukas.weber@example.com,PF3XK9A1,\
lukas.weber@example.com,PF3XK9A1,lukas.weber@example.com,PF3XK9A1
"""
REGISTER = """\
user_principal_name,username,display_name,department,home_office_agreement_signed,confidentiality_signed,\
last_training,home_country
anna.schmidt@example.com,aschmidt,Anna Schmidt,CS DE,anna.schmidt@example.com,C02XK1ZZJGH5,\
anna.schmidt@example.com,anna.schmidt@example.com
lukas.weber@example.com,lweber,Lukas Weber,CS DE,2024-01-01,2024-01-01,2026-01-01,DE
"""
PACK = """\
apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: devices-hostile, version: "1.0.0"}
rules:
  - {id: D-ENC, title: Encrypted, severity: high, resources: [device],
     require: {attr: encryption.at_rest, equals: true}}
  - {id: D-LOCK, title: Lock, severity: high, resources: [device],
     require: {attr: screen_lock.timeout_minutes, lte: 15}}
  - {id: D-FW, title: Firewall, severity: high, resources: [device],
     require: {attr: firewall.enabled, equals: true}}
  - {id: D-SEEN, title: Seen, severity: low, resources: [device],
     require: {attr: last_seen_days, lte: 30}}
  - {id: D-OS, title: OS, severity: low, resources: [device],
     require: {attr: os.version, exists: true}}
  - {id: D-HO, title: Agreement, severity: high, resources: [device],
     require: {attr: agreements.home_office, equals: true}}
  - {id: D-CONF, title: Confid., severity: high, resources: [device],
     require: {attr: agreements.confidentiality, equals: true}}
  - {id: D-TRAIN, title: Training, severity: low, resources: [device],
     require: {attr: training.age_days, lte: 365}}
  - {id: D-HOME, title: Home, severity: low, resources: [device],
     require: {attr: location.country, in: [DE, AT]}}
"""
FORMATS = {"json": "r.json", "sarif": "r.sarif", "junit": "r.xml", "markdown": "r.md", "text": "r.txt"}


@pytest.fixture
def estate(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYCHECK_PSEUDONYM_KEY", "hostile-test-pseudonym-key-0123456789")
    (tmp_path / "inventory.csv").write_text(INVENTORY, encoding="utf-8")
    (tmp_path / "register.csv").write_text(REGISTER, encoding="utf-8")
    (tmp_path / "devices.yaml").write_text(PACK, encoding="utf-8")
    return ["-p", "devices.yaml", "--inventory", "policycheck-csv:inventory.csv", "--register", "register.csv",
            *(a for f, p in FORMATS.items() for a in ("-f", f"{f}={p}"))]


def test_shifted_rows_leak_no_identity_into_any_format(cli, tmp_path, estate):
    result = cli("scan", *estate)
    assert result.exit_code == 1, result.output
    for name, file in FORMATS.items():
        text = (tmp_path / file).read_text(encoding="utf-8")
        assert "line 3" in text or name in ("markdown", "text"), name  # the reasons are there, naming the line
        for secret in (*EMAILS, *SERIALS):
            assert secret not in text, (name, secret)
    assert not any(secret in result.output for secret in (*EMAILS, *SERIALS))


def test_reasons_name_the_file_line_and_column_instead(cli, tmp_path, estate):
    cli("scan", *estate)
    messages = [f["message"] for f in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["findings"]
                if f["result"] == "error"]
    assert any("inventory.csv line 3" in m and "'firewall_enabled'" in m for m in messages), messages
    assert any("register.csv line 2" in m and "'home_country'" in m for m in messages), messages
