"""Owners, names and serial numbers never leave the provider in the clear unless identities are revealed."""

from __future__ import annotations

import csv
import json
import logging
import re

import pytest

from policycheck.errors import ConfigError
from policycheck.model import Resource
from policycheck.privacy import ENV_VAR, Pseudonymiser, resolve_key
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.devices import DeviceProvider

from .conftest import FIXTURES, KEY, run

INVENTORIES = ["intune-devices-export.csv", "intune-report-export-de.csv", "intune-managed-devices-page1.json",
               "intune-managed-devices-page2.json", "jamf-computers-inventory.json", "fleet-hosts.json",
               "fleet-host-detail.json", "fleet-hosts.csv", "osqueryi-macos.json", "osqueryi-windows.json",
               "osquery-snapshot.log", "osquery-differential.log", "osquery-batched.log",
               "policycheck-devices.csv", "policycheck-devices.json"]


def identifiers() -> set[str]:
    """Every e-mail, person's name, serial number and host name in the fixtures."""
    found: set[str] = set()
    with (FIXTURES / "staff-register.csv").open() as f:
        for row in csv.DictReader(f):
            found |= {row["user_principal_name"], row["username"], row["display_name"],
                      *row["display_name"].split()}
    text = "\n".join((FIXTURES / name).read_text(encoding="utf-8-sig") for name in INVENTORIES)
    found |= set(re.findall(r"[\w.]+@example\.com", text))
    for key in ("hardware_serial", "serialNumber", "SerialNumber", "Serial number", "computer_name", "hostname",
                "deviceName", "DeviceName", "Device name", "display_name", "userDisplayName", "realname", "username"):
        found |= set(re.findall(rf'"{re.escape(key)}":\s*"([^"]+)"', text))
    for computer in json.loads((FIXTURES / "jamf-computers-inventory.json").read_text())["results"]:
        found.add(computer["general"]["name"])
    found |= {"PF4K2XQ1", "PF3XK9A2", "CS-DE-LT-0142", "cs-de-lin-0002", "C02FK3ZLQ6L4"}
    return {f for f in found if len(f) >= 4 and f not in {"macOS", "Apple", "Data", "Ubuntu"}}


def everything_reported(resource: Resource) -> str:
    return json.dumps([resource.id, resource.name, resource.account, resource.region, resource.tags,
                       resource.known_attributes, resource.unknown_attributes], default=str)


def test_no_identifier_in_any_resource_or_log(caplog):
    caplog.set_level(logging.DEBUG)
    devices = run({"inventories": [str(FIXTURES / n) for n in INVENTORIES],
                   "register": str(FIXTURES / "staff-register.csv")}, reveal=False)
    assert len(devices) > 25
    text = "\n".join(everything_reported(d) for d in devices) + "\n" + caplog.text
    leaked = sorted(i for i in identifiers() if i in text)
    assert leaked == []
    assert all(re.fullmatch(r"(host|serial|device)-[0-9a-f]{16}", d.name) or "#" in d.name for d in devices)
    assert all(d.get("owner") is None or re.fullmatch(r"owner-[0-9a-f]{16}", d.get("owner")) for d in devices)


def test_pseudonyms_are_stable_keyed_and_shared_across_inventories():
    names = ("intune-devices-export.csv", "jamf-computers-inventory.json", "policycheck-devices.csv")
    config = {"inventories": [str(FIXTURES / name) for name in names]}
    first, again = run(config, reveal=False), run(config, reveal=False)
    assert [d.id for d in first] == [d.id for d in again]
    other_key = run(config, reveal=False, key=b"another-key-0123456789abcdef")
    assert not {d.id for d in first} & {d.id for d in other_key}
    owners = [d.get("owner") for d in first]
    assert owners.count(first[0].get("owner")) == 2  # Anna owns an Intune laptop and a Linux laptop


def test_reveal_identities_keeps_identifiers():
    (device,) = run({"inventories": [str(FIXTURES / "osquery-batched.log")]}, reveal=True)
    assert device.get("owner") == "anna.schmidt@example.com"
    assert device.id == "osquery:6F2D1C3E-8A41-4B7E-9C55-1D2E3F405A61"


def test_a_key_is_required_unless_identities_are_revealed(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ConfigError, match=f"set {ENV_VAR}"):
        run({"inventories": [str(FIXTURES / "policycheck-devices.csv")]},
            context=ProviderContext(reveal_identities=False, pseudonym_key=b""))
    monkeypatch.setenv(ENV_VAR, "a-key-from-the-environment")
    assert run({"inventories": [str(FIXTURES / "policycheck-devices.csv")]},
               context=ProviderContext(reveal_identities=False, pseudonym_key=b""))
    assert run({"inventories": [str(FIXTURES / "policycheck-devices.csv")]},
               context=ProviderContext(reveal_identities=True, pseudonym_key=b""))


def test_short_keys_are_refused():
    with pytest.raises(ConfigError, match="at least 16 bytes"):
        resolve_key("short", env={})
    assert resolve_key(None, env={ENV_VAR: "k" * 16}) == b"k" * 16
    assert resolve_key(b"c" * 20, env={ENV_VAR: "k" * 16}) == b"c" * 20  # config wins over the environment
    assert resolve_key(None, env={}) is None


def test_pseudonymiser_ignores_case_and_space_of_identifiers():
    p = Pseudonymiser(KEY)
    assert p("owner", "Anna.Schmidt@Example.com ") == p("owner", "anna.schmidt@example.com")
    assert p("owner", "x@example.com") != p("serial", "x@example.com")  # the kind is part of the hash
    assert p("owner", None) is None and p("owner", "") is None
    assert Pseudonymiser(None, reveal=True)("owner", "x@example.com") == "x@example.com"


def test_demo_estate_is_the_example_inventories(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with DeviceProvider.demo_estate() as config:
        assert DeviceProvider.settings_class.json_schema()["properties"].keys() >= config.keys()
        devices = list(DeviceProvider(config, ProviderContext()).collect(CollectPlan()))
    assert len(devices) == 15
    assert {d.account for d in devices} == {"intune-csv", "jamf", "policycheck-csv"}
    assert all(re.fullmatch(r"owner-[0-9a-f]{16}", d.get("owner")) for d in devices)
