"""Cells that repeat across rows are parsed once; what a row reads must not depend on the rows before it.

A remembered cell stands only for itself: a value read through a localised twin or a numeric code
depends on another cell and is never remembered, a kept raw value is kept on every row, and a cell
that cannot be read is unknown with a reason naming its own line.
"""

from __future__ import annotations

from pathlib import Path

from policycheck.model import Unknown

from .conftest import by_name, run

HEADER = ("DeviceId;DeviceName;ManagementAgents;ManagementAgents_loc;ComplianceState;ComplianceState_loc;OS;OS_loc;"
          "OSVersion;LastContact;UPN;SerialNumber;IsEncrypted;IsEncrypted_loc")
ROWS = (
    "id-01;LT-01;2;MDM;1;Konform;Windows;Windows;10.0.22631.4460;2026-10-31 07:58:12.0000000;a@example.com;S1;True;Ja",
    "id-02;LT-02;2;Nicht verwaltet;1;Nicht konform;1;;10.0.22631.4460;2026-10-30 07:58:12.0000000;b@example.com;S2;"
    "vielleicht;",
    "id-03;LT-03;mdm;;1;Konform;4;;14.7.1;2026-10-31 07:58:12.0000000;c@example.com;S3;True;Ja",
    "id-04;LT-04;mdm;;compliant;;Windows;Windows;10.0.22631.4460;2026-10-01 07:58:12.0000000;d@example.com;S4;"
    "vielleicht;",
    "id-05;LT-05;2;Nicht verwaltet;1;Nicht konform;1;macOS;14.7.1;2026-10-31 07:58:12.0000000;e@example.com;S5;"
    "True;Ja",
)


def _inventory(tmp_path: Path) -> Path:
    path = tmp_path / "intune-report.csv"
    path.write_text("\n".join((HEADER, *ROWS)) + "\n", encoding="utf-8")
    return path


def test_a_cell_read_through_its_twin_or_its_code_is_read_again_on_every_row(tmp_path):
    devices = by_name(run({"inventories": [f"intune-csv:{_inventory(tmp_path)}"]}))
    managed = {name: devices[name].get("managed") for name in ("LT-01", "LT-02", "LT-03", "LT-04", "LT-05")}
    assert managed == {"LT-01": True, "LT-02": False, "LT-03": True, "LT-04": True, "LT-05": False}
    states = {name: devices[name].get("compliance.state") for name in ("LT-01", "LT-02", "LT-03", "LT-05")}
    assert states == {"LT-01": "compliant", "LT-02": "noncompliant", "LT-03": "compliant", "LT-05": "noncompliant"}
    systems = {name: devices[name].get("os.name") for name in ("LT-01", "LT-02", "LT-03", "LT-04", "LT-05")}
    assert systems == {"LT-01": "Windows", "LT-02": "Windows", "LT-03": "macOS", "LT-04": "Windows",
                       "LT-05": "macOS"}  # "1" is Windows by its code, unless its twin says otherwise


def test_a_kept_raw_value_is_kept_on_every_row(tmp_path):
    devices = by_name(run({"inventories": [f"intune-csv:{_inventory(tmp_path)}"]}))
    raw = [devices[name].get("raw.intune-csv.managedBy") for name in ("LT-01", "LT-02", "LT-03", "LT-04")]
    assert raw == ["2", "2", "mdm", "mdm"]  # the second "mdm" is the remembered cell
    assert devices["LT-04"].get("raw.intune-csv.compliance") == "compliant"


def test_a_repeated_bad_cell_names_its_own_line(tmp_path):
    devices = by_name(run({"inventories": [f"intune-csv:{_inventory(tmp_path)}"]}))
    second, fourth = devices["LT-02"].get("encryption.at_rest"), devices["LT-04"].get("encryption.at_rest")
    assert isinstance(second, Unknown) and "line 3" in second.reason
    assert isinstance(fourth, Unknown) and "line 5" in fourth.reason
    assert devices["LT-05"].get("encryption.at_rest") is True


def test_register_dates_shared_by_many_people_are_read_for_each(tmp_path):
    register = tmp_path / "staff.csv"
    register.write_text("\n".join((
        "user_principal_name,home_office_agreement_signed,confidentiality_signed,last_training,home_country",
        "a@example.com,2024-02-01,yes,2026-03-15,DE",
        "b@example.com,2027-01-01,2024-02-01,2026-03-15,DE",  # signed in the future: unknown
        "c@example.com,2024-02-01,31/31/2024,2027-01-01,FR",
        "d@example.com,2027-01-01,31/31/2024,2026-03-15,DE",
        "e@example.com,,no,2026-03-15,DE",
    )) + "\n", encoding="utf-8")
    devices = by_name(run({"inventories": [f"intune-csv:{_inventory(tmp_path)}"], "register": str(register)}))
    signed = {name: devices[name].get("agreements.home_office") for name in ("LT-01", "LT-02", "LT-03", "LT-04")}
    assert signed["LT-01"] is True and signed["LT-03"] is True
    assert isinstance(signed["LT-02"], Unknown) and "line 3: a date in the future" in signed["LT-02"].reason
    assert isinstance(signed["LT-04"], Unknown) and "line 5: a date in the future" in signed["LT-04"].reason
    statement = {name: devices[name].get("agreements.confidentiality") for name in ("LT-02", "LT-03", "LT-04")}
    assert statement["LT-02"] is True
    assert isinstance(statement["LT-03"], Unknown) and "line 4: bad date" in statement["LT-03"].reason
    assert isinstance(statement["LT-04"], Unknown) and "line 5: bad date" in statement["LT-04"].reason
    assert devices["LT-05"].get("agreements.home_office") is False and devices["LT-05"].get(
        "agreements.confidentiality") is False
    training = {name: devices[name].get("training.age_days") for name in ("LT-01", "LT-02", "LT-03", "LT-04")}
    assert training["LT-01"] == training["LT-02"] == training["LT-04"] == 232  # 2026-03-15 to 2026-11-02
    assert isinstance(training["LT-03"], Unknown) and "line 4: a date in the future" in training["LT-03"].reason
