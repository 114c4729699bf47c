"""Issue 11: every reader right on the vendor's documented shape (fixtures: see fixtures/README.md)."""

from __future__ import annotations

from datetime import date

import pytest

from policycheck.conditions import Leaf
from policycheck.engine import evaluate_resource
from policycheck.errors import InputError
from policycheck.model import Result, Unknown
from policycheck.operators import OPERATORS
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.devices import DeviceProvider

from .conftest import FIXTURES, KEY, by_name, run

AS_OF_DATE = date(2026, 11, 2)  # the evaluation date of these exports

# -- 1: Intune report exports with _loc twin columns ------------------------------------------

def test_intune_report_os_code_is_read_through_its_localised_twin(fixture):
    devices = by_name(run({"inventories": [fixture("intune-device-compliance-report.csv")]}))
    assert {n: d.get("os.name") for n, d in devices.items() if not isinstance(d.get("os.name"), Unknown)} == {
        "CS-DE-LT-0142": "Windows", "Sophie's MacBook Air": "macOS", "Kevin's iPhone": "iOS",
        "Jonas MacBook": "macOS",  # OS_loc empty: the documented code 4 is read last
    }
    assert devices["Kevin's iPhone"].get("compliance.state") == "noncompliant"  # code 2, twin "Not compliant"
    unknown = devices["CS-SI-LT-0009"].get("os.name")  # code 9, no twin: never "9"
    assert isinstance(unknown, Unknown) and "unknown operating system (text of 1 character)" in unknown.reason
    assert isinstance(devices["CS-SI-LT-0009"].get("os.family"), Unknown)


def test_intune_admin_centre_export_with_german_headers(fixture, register):
    devices = by_name(run({"inventories": [fixture("intune-devices-export-de.csv")], "register": register}))
    anna, tom = devices["CS-DE-LT-0142"], devices["CS-UK-LT-0018"]
    assert anna.account == "intune-csv" and anna.get("os.name") == "Windows"
    assert anna.get("os.version") == "10.0.26100.2314"
    assert anna.get("encryption.at_rest") is True and anna.get("compliance.state") == "compliant"
    assert anna.get("last_seen_days") == 2 and anna.get("owner") == "anna.schmidt@example.com"
    assert tom.get("encryption.at_rest") is False and tom.get("compliance.state") == "noncompliant"
    assert tom.get("last_seen_days") == 51


# -- 2: Linux distributions keep their name; os.family groups them ---------------------------

def test_linux_distribution_is_the_name_and_linux_the_family(fixture, tmp_path):
    osq = by_name(run({"inventories": [fixture("osquery-linux-luks.log")]}))
    assert (osq["cs-de-lin-0002"].get("os.name"), osq["cs-de-lin-0002"].get("os.family")) == ("Ubuntu", "Linux")
    assert (osq["cs-dk-lin-0003"].get("os.name"), osq["cs-dk-lin-0003"].get("os.version")) == ("Fedora", "41")
    fleet = by_name(run({"inventories": [fixture("fleet-hosts.csv")]}))
    assert (fleet["cs-de-lin-0002"].get("os.name"), fleet["cs-de-lin-0002"].get("os.family")) == ("Ubuntu", "Linux")
    assert (fleet["Sophie's MacBook Air"].get("os.name"), fleet["Sophie's MacBook Air"].get("os.family")) == \
        ("macOS", "macOS")
    native = tmp_path / "laptops.csv"
    native.write_text("device_id,os_name,os_version\nd1,Debian GNU/Linux,12.7\nd2,Linux,6.1\n")
    d1, d2 = run({"inventories": [str(native)]})
    assert (d1.get("os.name"), d1.get("os.family")) == ("Debian", "Linux")
    assert d2.get("os.family") == "Linux" and "not the distribution" in d2.get("os.name").reason


# -- 3: LUKS on Linux: the device behind / decides ------------------------------------------

def test_linux_encryption_is_that_of_the_device_behind_root(fixture):
    devices = by_name(run({"inventories": [fixture("osquery-linux-luks.log")]}))
    assert devices["cs-de-lin-0002"].get("encryption.at_rest") is True  # / on an LVM volume inside LUKS
    assert devices["cs-dk-lin-0003"].get("encryption.at_rest") is False  # only /home is encrypted
    unknown = devices["cs-il-lin-0001"].get("encryption.at_rest")  # mixed devices, no mounts row
    assert isinstance(unknown, Unknown) and "mounts" in unknown.reason


# -- 4 and 5: result logs applied by time; hosts named without system_info --------------------

def test_osquery_log_state_is_the_newest_not_the_last_line(fixture):
    devices = by_name(run({"inventories": [fixture("osquery-out-of-order.log")]}))
    emma = devices["emma-mbp"]  # decorations.hostname (no system_info rows)
    assert emma.get("os.version") == "15.1"  # the update at T+1h, logged first in the file
    assert emma.get("encryption.at_rest") is True
    assert emma.get("owner") == "emma.rossi@example.com"


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_equal_times_order_by_counter_and_removed_before_added(tmp_path, order):
    from .test_devices_regressions import WIN10, WIN11, _event

    older = _event("os", WIN10, "added", 100)
    removed = _event("os", WIN10, "removed", 100).replace('"counter": 1', '"counter": 2')
    added = _event("os", WIN11, "added", 100).replace('"counter": 1', '"counter": 2')
    pair = [added, removed]
    log = tmp_path / "osqueryd.results.log"
    log.write_text("\n".join([pair[order[0]], pair[order[1]], older]) + "\n")
    [device] = run({"inventories": [str(log)]})
    assert device.get("os.version") == "10.0.22631"


def test_osquery_host_named_by_hostidentifier_without_system_info(fixture):
    devices = run({"inventories": [fixture("osquery-out-of-order.log")]})
    names = {d.name for d in devices}
    assert "paul-mbp" in names  # hostIdentifier when no hostname decoration
    by_id = {d.id: d for d in devices}
    uuid_only = by_id["osquery:3c4d5e6f-7081-4b92-a3b4-c5d6e7f8091a"]
    assert uuid_only.name == uuid_only.id.split(":", 1)[1]  # a UUID is not made into a host name


# -- 6: every identifier column of the register is indexed ------------------------------------

def test_register_with_upn_and_email_finds_owners_given_by_email(fixture):
    devices = by_name(run({"inventories": [fixture("jamf-computers-inventory.json")],
                           "register": fixture("staff-register-upn-and-email.csv")}))
    sophie = devices["Sophie's MacBook Air"]  # Jamf gives userAndLocation.email; the register's UPN differs
    assert sophie.get("agreements.home_office") is True and sophie.get("location.country") == "CH"
    assert sophie.get("training.age_days") == 185


# -- 7: duplicate header names are refused ----------------------------------------------------

def test_duplicate_inventory_column_is_refused_before_any_device(tmp_path):
    path = tmp_path / "laptops.csv"
    path.write_text("device_id,os_name,os_version,disk_encrypted,Disk_Encrypted\nd1,macOS,15.1,false,true\n")
    provider = DeviceProvider({"inventories": [str(path)]}, ProviderContext(pseudonym_key=KEY))
    with pytest.raises(InputError) as caught:
        list(provider.collect(CollectPlan()))
    assert str(caught.value) == ("laptops.csv:line 1: the header has column 'disk_encrypted' 2 times (columns 4 "
                                 "and 5); rename or remove all but one")


def test_duplicate_register_column_is_refused(tmp_path, fixture):
    path = tmp_path / "register.csv"
    path.write_text("email,home_country,E-Mail,Email\na@example.com,DE,b@example.com,c@example.com\n")
    with pytest.raises(InputError, match=r"^register\.csv:line 1: the header has column 'email' 2 times"):
        run({"inventories": [fixture("policycheck-devices.csv")], "register": str(path)})


# -- 8: the screen-lock grace period is a lower bound of the timeout -------------------------



@pytest.fixture(scope="module")
def lock_rule():
    from policycheck.loader import load_packs

    [pack] = load_packs(["gdpr-customer-service"], {"max_screen_lock_minutes": 5})
    return next(r for r in pack.rules if r.id == "GDPR-DEV-002")


@pytest.mark.parametrize(("fixture_name", "result"), [
    ("osqueryi-screenlock-grace-600.json", Result.FAIL),  # asked 10 minutes after the screensaver at the earliest
    ("osqueryi-screenlock-grace-60.json", Result.ERROR),  # at least 1 minute: could be within 5, or not
])
def test_grace_period_above_the_limit_fails_and_below_stays_unknown(fixture, lock_rule, fixture_name, result):
    [device] = run({"inventories": [fixture(fixture_name)]})
    timeout = device.get("screen_lock.timeout_minutes")
    assert isinstance(timeout, Unknown) and timeout.upper is None
    [finding] = evaluate_resource([lock_rule], device, AS_OF_DATE)
    assert finding.result == result
    assert "grace period alone makes it at least" in finding.message


def test_bound_decides_only_monotone_operators():
    from policycheck.model import Resource

    device = Resource(type="device", id="d", name="d", provider="devices",
                      unknown={"screen_lock.timeout_minutes": "idle timeout not reported"},
                      bounds={"screen_lock.timeout_minutes": (10, None)})
    assert Leaf("screen_lock.timeout_minutes", OPERATORS["lte"], 5).evaluate(device, _trace()) is False
    assert Leaf("screen_lock.timeout_minutes", OPERATORS["gt"], 5).evaluate(device, _trace()) is True
    assert Leaf("screen_lock.timeout_minutes", OPERATORS["lte"], 15).evaluate(device, _trace()) is None
    assert Leaf("screen_lock.timeout_minutes", OPERATORS["equals"], 20).evaluate(device, _trace()) is None


def _trace():
    from policycheck.conditions import Trace
    return Trace(AS_OF_DATE)


# -- evaluation date: every age counts to the run's date ---------------------------------------

def test_ages_count_to_the_runs_evaluation_date(fixture, register):
    def ages(day: date) -> tuple[object, object]:
        ctx = ProviderContext(reveal_identities=True, pseudonym_key=KEY, evaluation_date=day)
        provider = DeviceProvider({"inventories": [fixture("intune-devices-export.csv")], "register": register}, ctx)
        anna = by_name(provider.collect(CollectPlan()))["CS-DE-LT-0142"]
        return anna.get("last_seen_days"), anna.get("training.age_days")

    assert ages(date(2026, 11, 2)) == (2, 232)
    assert ages(date(2026, 12, 2)) == (32, 262)
    future = ages(date(2026, 3, 1))[1]  # the training date lies after the evaluation date
    assert isinstance(future, Unknown) and "in the future" in future.reason


def test_as_of_config_overrides_the_evaluation_date(fixture):
    ctx = ProviderContext(reveal_identities=True, pseudonym_key=KEY, evaluation_date=date(2030, 1, 1))
    provider = DeviceProvider({"inventories": [fixture("intune-devices-export.csv")], "as_of": "2026-11-02"}, ctx)
    assert by_name(provider.collect(CollectPlan()))["CS-DE-LT-0142"].get("last_seen_days") == 2


assert FIXTURES.is_dir()
