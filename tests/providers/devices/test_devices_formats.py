"""Each vendor export is read into the device vocabulary (fixtures written from the vendors' field names)."""

from __future__ import annotations

import pytest

from policycheck.model import Unknown

from .conftest import by_name, run


def test_intune_admin_centre_export(fixture, register):
    devices = by_name(run({"inventories": [fixture("intune-devices-export.csv")], "register": register}))
    anna = devices["CS-DE-LT-0142"]
    assert anna.id == "intune-csv:6f2d1c3e-8a41-4b7e-9c55-1d2e3f405a61"
    assert anna.get("encryption.at_rest") is True
    assert anna.get("os.name") == "Windows"
    assert anna.get("os.version") == "10.0.22631.4460"
    assert anna.get("last_seen_days") == 2
    assert anna.get("compliance.state") == "compliant"
    assert anna.get("managed") is True
    assert anna.get("owner") == "anna.schmidt@example.com"
    assert anna.get("location.jurisdiction") == "EU"
    assert isinstance(anna.get("firewall.enabled"), Unknown)  # Intune's export has no firewall state
    tom = devices["CS-UK-LT-0018"]
    assert tom.get("encryption.at_rest") is False
    assert tom.get("compliance.state") == "noncompliant"
    assert tom.get("last_seen_days") == 51
    bad = devices["CS-BE-LT-0021"].get("last_seen_days")
    assert isinstance(bad, Unknown)
    assert bad.reason == "intune-devices-export.csv line 9: bad date (text of 16 characters) in 'Last check-in'"


def test_intune_reports_export_reads_localised_twin_columns(fixture, register):
    devices = by_name(run({"inventories": [fixture("intune-report-export-de.csv")], "register": register}))
    anna, lukas, marie = devices["CS-DE-LT-0142"], devices["CS-DE-LT-0097"], devices["CS-FR-LT-0031"]
    assert anna.get("managed") is True  # code "2" is not known, its _loc twin "MDM" is
    assert anna.get("compliance.state") == "compliant"  # "Konform"
    assert lukas.get("compliance.state") == "noncompliant"  # "Nicht konform"
    assert lukas.get("encryption.at_rest") is False  # "Falsch"
    assert lukas.get("managed") is True  # "Gemeinsam verwaltet" (co-managed)
    assert marie.get("last_seen_days") == 3  # 30.10.2026 09:47
    state = marie.get("compliance.state")
    assert isinstance(state, Unknown) and "unknown compliance state (text of 1 character)" in state.reason
    assert "line 4" in state.reason


def test_intune_graph_pages(fixture, register):
    devices = by_name(run({"inventories": [fixture("intune-managed-devices-page1.json"),
                                           fixture("intune-managed-devices-page2.json")], "register": register}))
    assert set(devices) == {"CS-DE-LT-0142", "CS-DE-LT-0097", "CS-UK-LT-0018", "Kevin's iPhone"}
    assert devices["CS-DE-LT-0097"].get("managed") is True  # configurationManagerClientMdm
    assert devices["CS-DE-LT-0097"].get("encryption.at_rest") is False
    assert devices["CS-UK-LT-0018"].get("compliance.state") == "in-grace-period"
    iphone = devices["Kevin's iPhone"]
    assert iphone.get("os.name") == "iOS"
    assert iphone.get("last_seen_days") is None  # 0001-01-01: never synced
    assert iphone.get("location.jurisdiction") == "adequacy-dpf"


def test_intune_missing_last_page_is_reported(fixture, register):
    from policycheck.provider import ProviderContext

    from .conftest import KEY

    ctx = ProviderContext(reveal_identities=True, pseudonym_key=KEY)
    devices = run({"inventories": [fixture("intune-managed-devices-page1.json")], "register": register}, context=ctx)
    assert len(devices) == 2
    assert len(ctx.problems) == 1
    scope, message = ctx.problems[0].scope, ctx.problems[0].message
    assert scope == "intune-managed-devices-page1.json" and "@odata.nextLink" in message


def test_jamf_filevault_per_partition(fixture, register):
    devices = by_name(run({"inventories": [fixture("jamf-computers-inventory.json")], "register": register}))
    sophie = devices["Sophie's MacBook Air"]
    assert sophie.id == "jamf:5B0A9C2E-1F3D-4E6A-8B7C-0D1E2F3A4B5C"
    assert sophie.get("encryption.at_rest") is True
    assert sophie.get("os.name") == "macOS" and sophie.get("os.version") == "15.1"
    assert sophie.get("firewall.enabled") is True and sophie.get("managed") is True
    assert sophie.get("last_seen_days") == 1
    assert sophie.get("location.jurisdiction") == "adequacy"  # CH
    assert devices["Jonas MacBook"].get("encryption.at_rest") is False  # boot partition still ENCRYPTING
    nina = devices["Nina's MacBook Air"]
    assert nina.get("encryption.at_rest") is True  # boot partition encrypted; an extra data partition is not
    assert nina.get("raw.jamf.filevault_partitions") == {"1:BOOT": "ENCRYPTED", "2:OTHER": "UNENCRYPTED"}
    assert nina.get("firewall.enabled") is False
    unknown = devices["Oliver's MacBook Pro"].get("encryption.at_rest")
    assert isinstance(unknown, Unknown) and "no known FileVault state" in unknown.reason


def test_fleet_host_list(fixture, register):
    devices = by_name(run({"inventories": [fixture("fleet-hosts.json")], "register": register}))
    sophie = devices["Sophie's MacBook Air"]
    assert sophie.get("encryption.at_rest") is True
    assert sophie.get("os.name") == "macOS" and sophie.get("os.version") == "15.1"
    assert sophie.get("managed") is True and sophie.get("owner") == "sophie.keller@example.com"
    jonas = devices["Jonas MacBook"]
    assert jonas.get("encryption.at_rest") is False  # no disk_encryption_enabled; OS setting action_required
    windows = devices["CS-DE-LT-0142"]
    assert windows.get("os.version") == "10.0.22631.4460"  # the build, not "11" from "Windows 11 ..."
    linux = devices["cs-de-lin-0002"]
    assert linux.get("managed") is False and linux.get("os.name") == "Ubuntu" and linux.get("os.family") == "Linux"
    assert linux.get("owner") == "kevin.miller@example.com"  # end_users when no device mapping
    assert linux.get("last_seen_days") == 93
    assert isinstance(sophie.get("firewall.enabled"), Unknown)  # no policy says anything about it


def test_fleet_host_detail_policies(fixture, register):
    (host,) = run({"inventories": [fixture("fleet-host-detail.json")], "register": register})
    assert host.get("firewall.enabled") is False  # "Firewall enabled (macOS)" fails
    assert host.get("screen_lock.enabled") is True  # "Screen lock enabled (macOS)" passes
    assert host.get("encryption.at_rest") is False
    assert host.get("compliance.state") == "noncompliant"
    assert host.get("raw.fleet.failing_policies") == [
        "Firewall enabled (macOS)", "Full disk encryption enabled (macOS)"]


def test_fleet_hosts_csv(fixture, register):
    devices = by_name(run({"inventories": [fixture("fleet-hosts.csv")], "register": register}))
    assert devices["Sophie's MacBook Air"].get("encryption.at_rest") is True
    assert devices["Sophie's MacBook Air"].get("owner") == "sophie.keller@example.com"
    assert devices["cs-de-lin-0002"].get("managed") is False
    blank = devices["Jonas MacBook"].get("encryption.at_rest")
    assert isinstance(blank, Unknown) and "line 3" in blank.reason and "disk_encryption_enabled" in blank.reason


def test_osqueryi_macos_arrays(fixture, register):
    (mac,) = run({"inventories": [fixture("osqueryi-macos.json")], "register": register})
    assert mac.name == "Sophie's MacBook Air"
    assert mac.id == "osquery:5B0A9C2E-1F3D-4E6A-8B7C-0D1E2F3A4B5C"
    assert mac.get("os.name") == "macOS" and mac.get("os.version") == "15.1"
    assert mac.get("encryption.at_rest") is True  # FileVault on (the other volume is not a FileVault volume)
    assert mac.get("screen_lock.enabled") is True
    assert mac.get("firewall.enabled") is True  # alf global_state 1
    assert mac.get("last_seen_days") == 1  # from the time table
    assert isinstance(mac.get("screen_lock.timeout_minutes"), Unknown)
    owner = mac.get("agreements.home_office")  # osqueryi output names no owner
    assert isinstance(owner, Unknown) and "no owner" in owner.reason


def test_osqueryi_windows_bitlocker(fixture):
    (pc,) = run({"inventories": [fixture("osqueryi-windows.json")]})
    assert pc.get("os.name") == "Windows" and pc.get("os.version") == "10.0.22631"
    assert pc.get("encryption.at_rest") is True  # C: protected; the data drive D: does not decide
    assert pc.get("firewall.enabled") is True  # security center: Good
    assert isinstance(pc.get("last_seen_days"), Unknown)  # no time table in this output


def test_osquery_snapshot_log(fixture, register):
    devices = by_name(run({"inventories": [fixture("osquery-snapshot.log")], "register": register}))
    mac, linux = devices["Jonas MacBook"], devices["cs-de-lin-0002"]
    assert mac.get("encryption.at_rest") is False and mac.get("firewall.enabled") is False
    assert mac.get("owner") == "jonas.berg@example.com" and mac.get("location.country") == "NO"
    assert mac.get("last_seen_days") == 3
    assert linux.get("os.name") == "Ubuntu" and linux.get("os.family") == "Linux"
    assert linux.get("os.version") == "22.04.5"
    assert linux.get("encryption.at_rest") is True


def test_osquery_differential_log_applies_changes(fixture):
    (mac,) = run({"inventories": [fixture("osquery-differential.log")]})
    assert mac.get("encryption.at_rest") is True  # removed "off", added "on"
    assert mac.get("firewall.enabled") is True  # global_state 0 -> 2


def test_osquery_batched_diff_results(fixture, register):
    (pc,) = run({"inventories": [fixture("osquery-batched.log")], "register": register})
    assert pc.get("encryption.at_rest") is True
    assert pc.get("os.version") == "10.0.26100"
    assert pc.get("owner") == "anna.schmidt@example.com"


@pytest.mark.parametrize("name", ["policycheck-devices.csv", "policycheck-devices.json"])
def test_policycheck_format(fixture, register, name):
    devices = by_name(run({"inventories": [fixture(name)], "register": register}))
    first = devices["cs-il-lin-0001"]
    assert first.get("screen_lock.timeout_minutes") == 5
    assert first.get("location.jurisdiction") == "adequacy"  # IL, from the register
    assert first.get("training.age_days") == 118


def test_policycheck_json_device_country_and_bad_values(fixture, register):
    devices = by_name(run({"inventories": [fixture("policycheck-devices.json")], "register": register}))
    paul = devices["cs-be-lin-0004"]
    assert paul.get("location.country") == "DE"  # reported by the device, wins over home country BE
    assert paul.get("location.jurisdiction") == "EU"
    assert paul.get("screen_lock.timeout_minutes") is None
    assert paul.get("encryption.at_rest") is True
    firewall = paul.get("firewall.enabled")
    assert isinstance(firewall, Unknown)
    assert firewall.reason == ("policycheck-devices.json line 6: unknown value (text of 9 characters) "
                               "(expected true or false) in 'firewall_enabled'")


def test_explicit_format_prefix_skips_detection(fixture):
    devices = run({"inventories": [f"intune-csv:{fixture('intune-devices-export.csv')}"]})
    assert all(r.id.startswith("intune-csv:") for r in devices) and len(devices) == 8
