"""Regressions found by trying the product as a new user: demo from a wheel, several files, osquery order."""

from __future__ import annotations

import json
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from policycheck.errors import InputError
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.devices import DeviceProvider
from policycheck.providers.devices import provider as provider_module

from .conftest import AS_OF, FIXTURES, KEY, by_name, run

REPO = Path(__file__).resolve().parents[3]
NATIVE = "device_id,hostname,owner,os_name,os_version,disk_encrypted,last_seen\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


# -- the demo inventories ship inside the package (a wheel install has no examples/ folder) ------

def test_demo_inventories_are_package_data():
    package = Path(provider_module.__file__).parent
    assert provider_module.DEMO.parent == package
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    globs = setuptools["package-data"]["policycheck.providers.devices"]
    with DeviceProvider.demo_estate() as config:
        files = [Path(p) for p in [*config["inventories"], config["register"]]]
    for path in files:
        assert path.is_file() and path.parent == provider_module.DEMO
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch(relative, glob) for glob in globs), f"{relative} is not in the wheel's package-data"


# -- several inventories: a bad file stops the run up front, a broken one only itself ---------

def test_an_unreadable_later_file_stops_the_run_before_any_device(tmp_path):
    good = write(tmp_path, "laptops.csv", NATIVE + "d1,h1,a@example.com,macOS,15.1,true,2026-11-01\n")
    workbook = write(tmp_path, "export.xlsx", b"PK\x03\x04" + b"\x00" * 64)
    devices = DeviceProvider({"inventories": [good, workbook, good], "as_of": AS_OF},
                             ProviderContext(reveal_identities=True)).collect(CollectPlan())
    with pytest.raises(InputError, match=r"^export\.xlsx: .*Excel workbook"):
        next(devices)


def test_a_file_truncated_part_way_is_a_problem_and_the_next_file_is_still_read(tmp_path):
    page = (FIXTURES / "intune-managed-devices-page2.json").read_text()
    first_device_ends = page.index("}", page.index('"deviceName"')) + 1
    truncated = write(tmp_path, "page.json", page[: page.index("{", first_device_ends + 1) + 40])
    laptops = write(tmp_path, "laptops.csv", NATIVE + "d1,h1,a@example.com,macOS,15.1,true,2026-11-01\n")
    ctx = ProviderContext(reveal_identities=True, pseudonym_key=KEY)
    devices = run({"inventories": [truncated, laptops]}, context=ctx)
    assert [d.account for d in devices] == ["intune", "policycheck-csv"]
    [(scope, message)] = [(p.scope, p.message) for p in ctx.problems]
    assert scope == "page.json" and "truncated" in message and message.endswith("devices were not checked")


# -- osquery differential logs: "removed" drops only the row it names ------------------------

def _event(name: str, columns: dict[str, str], action: str, unix_time: int) -> str:
    return json.dumps({"name": name, "hostIdentifier": "cs-lt-0402", "calendarTime": "Mon Nov  2 09:15:01 2026 UTC",
                       "unixTime": unix_time, "epoch": 0, "counter": 1, "numerics": False,
                       "decorations": {"host_uuid": "B1B2C3D4-0000-4000-8000-0000000000BB", "username": "max"},
                       "columns": columns, "action": action})


WIN10 = {"name": "Microsoft Windows 10 Enterprise", "version": "10.0.19045", "major": "10", "minor": "0",
         "build": "19045", "platform": "windows"}
WIN11 = {**WIN10, "name": "Microsoft Windows 11 Enterprise", "version": "10.0.22631", "build": "22631"}


@pytest.mark.parametrize("events, version", [
    ([("added", WIN11, 200), ("removed", WIN10, 100)], "10.0.22631"),  # the old row's removal read last
    ([("removed", WIN10, 200), ("added", WIN11, 200)], "10.0.22631"),  # osquery's own order
    ([("added", WIN11, 200), ("removed", WIN11, 300)], None),          # the current row really went away
])
def test_osquery_removed_event_drops_only_the_row_it_names(tmp_path, events, version):
    log = "\n".join(_event("pack/os_version", row, action, t) for action, row, t in events) + "\n"
    [device] = run({"inventories": [write(tmp_path, "osqueryd.results.log", log)]})
    if version is None:
        assert "no os_version results" in device.get("os.version").reason
    else:
        assert device.get("os.version") == version and device.get("os.name") == "Windows"


def test_osquery_changed_disk_keeps_the_new_state(tmp_path):
    disk = {"name": "/dev/disk3s1", "uuid": "1", "encrypted": "0", "type": "APFS", "encryption_status": "encrypting",
            "filevault_status": "off"}
    done = {**disk, "encrypted": "1", "encryption_status": "encrypted", "filevault_status": "on"}
    log = "\n".join([_event("disk", done, "added", 200), _event("disk", disk, "removed", 200)]) + "\n"
    devices = by_name(run({"inventories": [write(tmp_path, "osqueryd.results.log", log)]}))
    assert next(iter(devices.values())).get("encryption.at_rest") is True


# -- fingerprints survive dated export names (baselines of nightly exports) -------------------

def test_the_same_devices_under_another_file_name_keep_their_ids_and_accounts(tmp_path):
    rows = NATIVE + "d1,h1,a@example.com,macOS,15.1,true,2026-11-01\n"
    monday = write(tmp_path, "laptops-2026-11-23.csv", rows)
    tuesday = write(tmp_path, "laptops-2026-11-24.csv", rows)

    def refs(path: str) -> set[tuple[str, str]]:
        provider = DeviceProvider({"inventories": [path], "as_of": AS_OF}, ProviderContext(pseudonym_key=KEY))
        return {(r.account, r.id) for r in provider.collect(CollectPlan())}

    assert refs(monday) == refs(tuesday)
    assert refs(monday) == {("policycheck-csv", next(iter(refs(tuesday)))[1])}


def test_a_label_names_the_account(tmp_path):
    path = write(tmp_path, "laptops.csv", NATIVE + "d1,h1,a@example.com,macOS,15.1,true,2026-11-01\n")
    provider = DeviceProvider({"inventories": [{"path": path, "label": "hr-laptops"}], "as_of": AS_OF},
                              ProviderContext(pseudonym_key=KEY))
    assert [r.account for r in provider.collect(CollectPlan())] == ["hr-laptops"]


# -- facts an inventory does not report are unknown, never a null a negated rule passes on -----

def test_a_fact_the_format_does_not_report_is_unknown(tmp_path):
    from policycheck.model import Unknown

    path = write(tmp_path, "laptops.csv", NATIVE + "d1,h1,a@example.com,macOS,15.1,true,2026-11-01\n")
    [device] = DeviceProvider({"inventories": [path], "as_of": AS_OF},
                              ProviderContext(pseudonym_key=KEY)).collect(CollectPlan())
    assert device.get("encryption.at_rest") is True
    state = device.get("compliance.state")  # no such column in this file
    assert isinstance(state, Unknown) and "does not report it" in state.reason


def test_fleet_compliance_needs_an_answered_policy():
    from policycheck.model import Unknown
    from policycheck.providers.devices.formats.fleet import apply_policies
    from policycheck.providers.devices.record import DeviceRecord

    pending = DeviceRecord("fleet", "hosts.json", 1)
    apply_policies(pending, [{"name": "Firewall enabled (macOS)", "response": ""}])
    assert "compliance.state" in pending.problems and "compliance.state" not in pending.values
    answered = DeviceRecord("fleet", "hosts.json", 1)
    apply_policies(answered, [{"name": "Firewall enabled (macOS)", "response": "pass"}])
    assert answered.values["compliance.state"] == "compliant"
    assert not isinstance(answered.values["firewall.enabled"], Unknown)
