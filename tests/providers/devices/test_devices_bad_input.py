"""Bad input: a malformed row becomes unknown facts naming file and line; a bad file is one clear InputError."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from policycheck.errors import ConfigError, InputError
from policycheck.model import Unknown
from policycheck.provider import ProviderContext

from .conftest import FIXTURES, KEY, by_name, run

HEADER = ("device_id,serial,hostname,owner,os_name,os_version,disk_encrypted,screen_lock_enabled,"
          "screen_lock_timeout_minutes,firewall_enabled,last_seen,managed\n")
ROW = "lin-{n},SN{n},host-{n},anna.schmidt@example.com,Ubuntu,24.04,true,true,5,true,2026-11-01T09:00:00Z,true\n"


def rows(*numbers: int) -> str:
    return "".join(ROW.format(n=n) for n in numbers)


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return str(path)


def one_line_error(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# -- rows that are wrong: unknown facts, the rest of the file still read ---------------------

def test_bad_date_names_file_line_and_column_and_reading_goes_on(tmp_path):
    text = HEADER + rows(1) + ROW.format(n=2).replace("2026-11-01T09:00:00Z", "31/02/2026") + rows(3)
    devices = by_name(run({"inventories": [write(tmp_path, "inventory.csv", text)]}))
    assert set(devices) == {"host-1", "host-2", "host-3"}
    seen = devices["host-2"].get("last_seen_days")
    assert isinstance(seen, Unknown)
    assert seen.reason == "inventory.csv line 3: bad date (text of 10 characters) in 'last_seen'"
    assert devices["host-2"].get("encryption.at_rest") is True  # only the affected attribute is unknown
    assert devices["host-3"].get("last_seen_days") == 1


def test_unknown_enum_value(tmp_path):
    text = HEADER.replace("\n", ",compliance_state\n") + ROW.format(n=1).replace("\n", ",sort-of\n")
    (device,) = run({"inventories": [write(tmp_path, "inventory.csv", text)]})
    state = device.get("compliance.state")
    assert isinstance(state, Unknown) and state.reason == (
        "inventory.csv line 2: unknown compliance state (text of 7 characters) in 'compliance_state'")


def test_short_row_from_a_truncated_last_line(tmp_path):
    text = HEADER + rows(1) + "lin-2,SN2,host-2,anna.schmidt@example.com,Ubuntu,24.04,true"
    devices = by_name(run({"inventories": [write(tmp_path, "inventory.csv", text)]}))
    assert devices["host-2"].get("encryption.at_rest") is True
    missing = devices["host-2"].get("firewall.enabled")
    assert isinstance(missing, Unknown)
    assert missing.reason == "inventory.csv line 3: missing column 'firewall_enabled' (short row)"


def test_row_with_too_many_fields_is_wholly_unknown(tmp_path):
    shifted = ROW.format(n=2).replace("host-2", "host-2,extra")
    devices = by_name(run({"inventories": [write(tmp_path, "inventory.csv", HEADER + shifted + rows(3))]}))
    broken = devices["inventory.csv#L2"]  # its columns cannot be trusted, not even the identifiers
    for attr in ("encryption.at_rest", "os.version", "last_seen_days", "managed"):
        value = broken.get(attr)
        assert isinstance(value, Unknown) and "line 2: 13 fields but the header has 12" in value.reason
    assert devices["host-3"].get("managed") is True


def test_stray_quote_in_a_row(tmp_path):
    bad = 'lin-2,"SN2"x,host-2,a@example.com,Ubuntu,24.04,true,true,5,true,2026-11-01,true\n'
    devices = run({"inventories": [write(tmp_path, "inventory.csv", HEADER + rows(1) + bad + rows(3))]})
    assert len(devices) == 3
    broken = next(d for d in devices if d.id.endswith("#L3"))
    reason = broken.get("encryption.at_rest").reason
    assert reason.startswith("inventory.csv line 3: malformed CSV")


def test_column_missing_from_the_header(tmp_path):
    text = HEADER.replace(",firewall_enabled", "") + ROW.format(n=1).replace(",true,2026", ",2026", 1)
    (device,) = run({"inventories": [write(tmp_path, "inventory.csv", text)]})
    value = device.get("firewall.enabled")
    assert isinstance(value, Unknown) and value.reason == "inventory.csv: the file has no 'firewall_enabled' column"


def test_corrupt_osquery_log_line(tmp_path):
    good = (FIXTURES / "osquery-snapshot.log").read_text().splitlines()
    text = "\n".join([*good[:3], '{"snapshot":[{"enabled":"1","grace_per', *good[3:]]) + "\n"
    devices = run({"inventories": [write(tmp_path, "results.log", text)]})
    broken = [d for d in devices if d.id.endswith("#L4")]
    assert len(broken) == 1 and len(devices) == 3
    assert broken[0].get("os.version").reason == "results.log line 4: not a valid JSON result line (truncated?)"


def test_json_record_that_is_not_an_object(tmp_path):
    text = json.dumps({"devices": [{"device_id": "a", "hostname": "h-a", "disk_encrypted": True}, 42]}, indent=1)
    devices = run({"inventories": [write(tmp_path, "devices.json", text)]})
    assert len(devices) == 2
    assert "a record is not a JSON object" in devices[1].get("managed").reason


# -- encodings and delimiters that are handled --------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
def test_encodings_from_excel_and_windows(tmp_path, encoding):
    text = HEADER + rows(1).replace("host-1", "hôst-ü1")
    (device,) = run({"inventories": [write(tmp_path, "inventory.csv", text, encoding)]})
    assert device.name == "hôst-ü1" and device.get("encryption.at_rest") is True


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path):
    text = (HEADER + rows(1, 2)).replace(",", "\t")
    path = write(tmp_path, "inventory.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert len(run({"inventories": [path]})) == 2


@pytest.mark.parametrize("preamble", ["", "sep=;\n"])
def test_semicolon_delimiter(tmp_path, preamble):
    text = preamble + (HEADER + rows(1, 2)).replace(",", ";")
    devices = run({"inventories": [write(tmp_path, "inventory.csv", text)]})
    assert [d.get("os.version") for d in devices] == ["24.04", "24.04"]


# -- files that are not inventories: one clear line ---------------------------------------

@pytest.mark.parametrize(("content", "expected"), [
    (b"", "inventory.csv: the file is empty"),
    (codecs.BOM_UTF8 + b"\r\n  \n", "inventory.csv: the file is empty"),
    (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-workbook", "Excel workbook (.xlsx)"),
    (b"\x00\x01\x02\x03" * 100, "binary data (NUL bytes)"),
    (b"name,colour\nfoo,blue\n", "cannot tell which device inventory this CSV file is"),
    (b'{"kind": "something else", "items": [1, 2]}', "cannot tell which device inventory this JSON file is"),
])
def test_not_an_inventory(tmp_path, content, expected):
    with pytest.raises(InputError) as exc:
        run({"inventories": [write(tmp_path, "inventory.csv", content)]})
    assert expected in one_line_error(exc)


def test_declared_format_does_not_fit(tmp_path):
    path = write(tmp_path, "laptops.csv", HEADER + rows(1))
    with pytest.raises(InputError) as exc:
        run({"inventories": [f"intune:{path}"]})
    assert one_line_error(exc) == ("laptops.csv: not a Microsoft Intune managedDevice (Graph) export as declared; "
                                   "it looks like policycheck device CSV")


def test_declared_csv_format_without_identity_columns(tmp_path):
    path = write(tmp_path, "intune.csv", "Compliance,Encrypted\nCompliant,True\n")
    with pytest.raises(InputError) as exc:
        run({"inventories": [f"intune-csv:{path}"]})
    assert one_line_error(exc).startswith("intune.csv:line 1: not a Microsoft Intune devices CSV export")


def test_truncated_json(tmp_path):
    text = (FIXTURES / "intune-managed-devices-page2.json").read_text()
    path = write(tmp_path, "page.json", text[: len(text) // 2 + 17])
    with pytest.raises(InputError) as exc:
        run({"inventories": [path]})
    message = one_line_error(exc)
    assert message.startswith("page.json:line ") and "truncated" in message


def test_invalid_json_in_the_middle(tmp_path):
    text = (FIXTURES / "jamf-computers-inventory.json").read_text()
    text = text.replace('"supervised": true,', '"supervised": true,,', 1)
    with pytest.raises(InputError) as exc:
        run({"inventories": [write(tmp_path, "jamf.json", text)]})
    assert one_line_error(exc).startswith("jamf.json:line 20: invalid JSON")


def test_truncated_inside_a_quoted_csv_field(tmp_path):
    path = write(tmp_path, "inventory.csv", HEADER + rows(1) + 'lin-2,"SN2')
    ctx = ProviderContext(reveal_identities=True, pseudonym_key=KEY)
    assert [d.name for d in run({"inventories": [path]}, context=ctx)] == ["host-1"]
    problems = [(p.scope, p.message) for p in ctx.problems]
    assert problems == [("inventory.csv", "line 3: the file ends inside a quoted field (truncated?); the file "
                                              "was read only in part, so some of its devices were not checked")]
    with pytest.raises(InputError) as exc:  # nothing read yet: the run stops with one line
        run({"inventories": [write(tmp_path, "first.csv", HEADER + 'lin-2,"SN2')]})
    assert one_line_error(exc) == "first.csv:line 2: the file ends inside a quoted field (truncated?)"


def test_invalid_utf8_after_the_sample(tmp_path):
    body = HEADER + rows(*range(1, 1200))
    content = body.encode() + b"lin-x,SN\xff\xfe,host-x\n"
    ctx = ProviderContext(reveal_identities=True, pseudonym_key=KEY)
    assert 1000 < len(run({"inventories": [write(tmp_path, "inventory.csv", content)]}, context=ctx)) < 1200
    [(scope, message)] = [(p.scope, p.message) for p in ctx.problems]
    assert scope == "inventory.csv" and message.startswith("line 1201: cannot decode the text")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        run({"inventories": [str(tmp_path / "nope.csv")]})
    with pytest.raises(InputError, match="is a directory"):
        run({"inventories": [str(tmp_path)]})


def test_unknown_format_name_and_no_inventory(tmp_path):
    with pytest.raises(ConfigError, match="unknown inventory format 'intune-cvs' \\(did you mean 'intune-csv'\\?\\)"):
        run({"inventories": [{"path": str(tmp_path / "x.csv"), "format": "intune-cvs"}]})
    with pytest.raises(ConfigError, match="no inventory given"):
        run({})


# -- the staff register ---------------------------------------------------------------------

def test_register_without_a_user_column(tmp_path):
    register = write(tmp_path, "hr.csv", "name,country\nAnna,DE\n")
    with pytest.raises(InputError) as exc:
        run({"inventories": [str(FIXTURES / "policycheck-devices.csv")], "register": register})
    assert one_line_error(exc).startswith("hr.csv:line 1: not a staff register: no user column")


def test_register_duplicate_person_is_unknown(tmp_path):
    register = write(tmp_path, "hr.csv",
                     "email,home_country\nanna.schmidt@example.com,DE\nAnna.Schmidt@example.com,FR\n")
    devices = by_name(run({"inventories": [str(FIXTURES / "policycheck-devices.csv")], "register": register}))
    country = devices["cs-de-lin-0002"].get("location.country")
    assert isinstance(country, Unknown) and country.reason == "hr.csv lines 2 and 3 both list this person"


def test_record_without_identifiers_is_kept_with_unknown_facts(tmp_path):
    page = json.loads((FIXTURES / "intune-managed-devices-page2.json").read_text())
    page["value"].append({"error": {"code": "InternalServerError", "message": "An internal error occurred"}})
    devices = run({"inventories": [write(tmp_path, "page.json", json.dumps(page, indent=1))]})
    assert len(devices) == 3
    assert devices[2].id.startswith("intune:page.json#L")
    assert "missing field 'isEncrypted'" in devices[2].get("encryption.at_rest").reason


def test_default_inventory_format_applies_to_paths_without_prefix(tmp_path):
    path = write(tmp_path, "export.txt", HEADER + rows(1))
    (device,) = run({"inventories": [path], "inventory_format": "policycheck-csv"})
    assert device.id == "policycheck-csv:lin-1"
    with pytest.raises(InputError, match="not a Jamf Pro computers-inventory JSON as declared"):
        run({"inventories": [path], "inventory_format": "jamf"})
