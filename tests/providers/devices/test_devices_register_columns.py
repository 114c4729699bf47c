"""Any HR export as it is: recognised German and date-suffixed headers, and column mappings (issue 11)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.errors import ConfigError, InputError
from policycheck.model import Unknown
from policycheck.privacy import ENV_VAR
from policycheck.providers.devices.register_columns import normalise_header

from .conftest import FIXTURES, by_name, run


@pytest.mark.parametrize(("header", "normal"), [
    ("Homeoffice-/Telearbeitsvereinbarung unterschrieben am", "homeoffice_telearbeitsvereinbarung"),
    ("Vertraulichkeitserklärung", "vertraulichkeitserklaerung"), ("E-Mail", "e_mail"),
    ("home_office_agreement_signed_on", "home_office_agreement"), ("confidentiality_date", "confidentiality"),
    ("Last Training At", "last_training"), ("Datenschutzschulung am", "datenschutzschulung"), ("On", "on"),
])
def test_header_normalisation(header, normal):
    assert normalise_header(header) == normal


def test_german_hr_export_semicolons_cp1252_dotted_dates(fixture):
    devices = by_name(run({"inventories": [fixture("intune-devices-export.csv")],
                           "register": fixture("personal-register-de.csv")}))
    anna, lukas, marie = devices["CS-DE-LT-0142"], devices["CS-DE-LT-0097"], devices["CS-FR-LT-0031"]
    assert anna.get("agreements.home_office") is True and anna.get("agreements.confidentiality") is True
    assert anna.get("training.age_days") == 232 and anna.get("location.country") == "DE"  # 15.03.2026; "Deutschland"
    assert lukas.get("agreements.confidentiality") is True  # "ja"
    assert lukas.get("training.age_days") == 31  # the newer of Datenschutzschulung (2025) and Unterweisung (02.10.2026)
    assert marie.get("agreements.home_office") is False and marie.get("location.country") == "FR"
    tom = devices["CS-UK-LT-0018"]
    assert tom.get("agreements.confidentiality") is False and tom.get("location.jurisdiction") == "adequacy"
    lea = devices["CS-SI-LT-0009"].get("training.age_days")
    assert isinstance(lea, Unknown) and "personal-register-de.csv line 6" in lea.reason \
        and "bad date (text of 10 characters)" in lea.reason  # never the cell itself
    emma = devices["CS-IT-LT-0052"]
    assert emma.get("owner") == "emma.rossi@example.com" and emma.get("location.country") == "IT"


def test_the_german_register_also_matches_user_names(fixture, tmp_path):
    """An osquery host known only by its console user ('Benutzername'), not by an e-mail."""
    from .test_devices_regressions import WIN11, _event

    log = tmp_path / "osqueryd.results.log"
    log.write_text(_event("os", WIN11, "added", 100).replace('"username": "max"', '"username": "LWeber"') + "\n")
    [device] = run({"inventories": [str(log)], "register": fixture("personal-register-de.csv")})
    assert device.get("agreements.home_office") is True and device.get("training.age_days") == 31


def test_a_mapping_names_the_columns_of_any_export(fixture):
    mapping = {"upn": "Anmeldung (UPN)", "email": ["Privat-Mail"], "home_office_agreement": "HO-Vertrag",
               "confidentiality": "NDA", "training": ["Awareness 2026", "Awareness 2025"], "home_country": "Wohnsitz"}
    devices = by_name(run({"inventories": [fixture("intune-devices-export.csv")],
                           "register": fixture("hr-export-custom.csv"), "register_columns": mapping}))
    anna, lukas = devices["CS-DE-LT-0142"], devices["CS-DE-LT-0097"]
    assert anna.get("agreements.home_office") is True and anna.get("training.age_days") == 597  # 2025-03-15
    assert lukas.get("training.age_days") == 135 and lukas.get("location.jurisdiction") == "EU"  # 2026-06-20


def _resolved(section: dict, *flags: str) -> dict:
    """The devices settings as the run resolves them: the section, then --register-column flags."""
    from policycheck.resolution import resolve

    settings = resolve(None, {"devices__register_columns": flags}, provider_names=("devices",),
                       provider_configs={"devices": section}, read_config=False).providers["devices"]
    return {**section, "register_columns": settings.register_columns}


def test_flags_override_the_configs_mapping_per_key(fixture):
    config = {"upn": "Anmeldung (UPN)", "training": "Awareness 2026"}
    devices = by_name(run(_resolved({"inventories": [fixture("intune-devices-export.csv")],
                                     "register": fixture("hr-export-custom.csv"), "register_columns": config},
                                    "training=Awareness 2025")))
    assert devices["CS-DE-LT-0142"].get("training.age_days") == 597
    home = devices["CS-DE-LT-0142"].get("agreements.home_office")  # not mapped, not recognised: unknown
    assert isinstance(home, Unknown) and "no home_office_agreement column" in home.reason


@pytest.mark.parametrize(("config", "message"), [
    ({"register_columns": {"e_mail": "Privat-Mail"}}, "devices: register_columns: unknown key 'e_mail' (did you mean "
                                                      "'email'?)"),
    ({"register_columns": {"training": []}}, "devices: register_columns.training: [] is not a column name or a "
                                             "non-empty list"),
])
def test_bad_mappings_are_config_errors(fixture, config, message):
    with pytest.raises(ConfigError) as caught:
        run({"inventories": [fixture("intune-devices-export.csv")], "register": fixture("hr-export-custom.csv"),
             **config})
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(("flag", "message"), [
    ("trainig=Awareness 2026", "--register-column: register_columns: unknown key 'trainig' (did you mean "
                               "'training'?)"),
    ("training", "--register-column: --register-column needs KEY=COLUMN, got 'training'"),
])
def test_bad_mapping_flags_name_the_flag(fixture, flag, message):
    with pytest.raises(ConfigError) as caught:
        _resolved({"inventories": [fixture("intune-devices-export.csv")]}, flag)
    assert str(caught.value).startswith(message)


def test_a_mapped_column_missing_from_the_file_names_the_file(fixture):
    with pytest.raises(InputError) as caught:
        run({"inventories": [fixture("intune-devices-export.csv")], "register": fixture("hr-export-custom.csv"),
             "register_columns": {"upn": "Anmeldung UPN"}})
    assert str(caught.value) == ("hr-export-custom.csv:line 1: no column 'Anmeldung UPN' (mapped to 'upn' by the "
                                 "register column mapping) (did you mean 'Anmeldung (UPN)'?)")


def test_inventory_column_mapping_for_our_own_csv(tmp_path):
    path = tmp_path / "asset-list.csv"
    path.write_text("Asset;Benutzer;Betriebssystem;Version;BitLocker\nA-1;anna.schmidt@example.com;Windows;"
                    "10.0.26100;ja\n", encoding="utf-8")
    mapping = {"device_id": "Asset", "owner": "Benutzer", "os_name": "Betriebssystem", "os_version": "Version"}
    [device] = run({"inventories": [str(path)], "inventory_columns": {**mapping, "disk_encrypted": "BitLocker"}})
    assert device.account == "policycheck-csv" and device.get("encryption.at_rest") is True
    assert device.get("os.name") == "Windows" and device.get("owner") == "anna.schmidt@example.com"
    with pytest.raises(ConfigError, match=r"unknown key 'disk_encryption' \(did you mean 'disk_encrypted'\?\)"):
        run({"inventories": [str(path)], "inventory_columns": {**mapping, "disk_encryption": "BitLocker"}})
    with pytest.raises(InputError, match=r"^asset-list\.csv:line 1: no column 'Bitlocker Status'"):
        run({"inventories": [str(path)], "inventory_columns": {**mapping, "disk_encrypted": "Bitlocker Status"}})


def test_cli_register_column_flag_and_its_errors(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cli-test-pseudonym-key-0123456789")
    policy = tmp_path / "p.yaml"
    policy.write_text("apiVersion: policycheck/v1\nkind: PolicyPack\nmetadata: {name: t, version: '1'}\nrules:\n"
                      "  - {id: HO, title: t, severity: low, resources: [device],"
                      " require: {attr: agreements.home_office, equals: true}}\n")
    base = ["scan", "--policy", str(policy), "--inventory", str(FIXTURES / "intune-devices-export.csv"),
            "--register", str(FIXTURES / "hr-export-custom.csv"), "--evaluation-date", "2026-11-02"]
    ok = CliRunner().invoke(main, [*base, "--register-column", "upn=Anmeldung (UPN)",
                                   "--register-column", "home_office_agreement=HO-Vertrag"])
    assert ok.exit_code == 1 and "Traceback" not in ok.output  # the unlisted people fail, Anna and Lukas pass
    bad = CliRunner().invoke(main, [*base, "--register-column", "upn=Anmeldung"])
    assert bad.exit_code == 2
    [line] = bad.output.strip().splitlines()
    assert "hr-export-custom.csv:line 1: no column 'Anmeldung'" in line
