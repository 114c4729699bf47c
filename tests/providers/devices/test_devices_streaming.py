"""Inventories are streamed: devices come out while the file is read, memory does not grow with the file."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.devices import DeviceProvider, jsonstream

from .conftest import AS_OF, FIXTURES, KEY, run

HEADER = ("device_id,hostname,owner,os_name,os_version,disk_encrypted,screen_lock_enabled,firewall_enabled,"
          "last_seen,managed\n")


def provider(*paths: str) -> DeviceProvider:
    return DeviceProvider({"inventories": list(paths), "as_of": AS_OF},
                          ProviderContext(reveal_identities=False, pseudonym_key=KEY))


def test_devices_are_yielded_before_the_end_of_the_file_is_read(tmp_path):
    path = tmp_path / "inventory.csv"
    rows = "".join(f"d{i},h{i},a{i}@example.com,Windows,10.0.22631,true,true,true,2026-11-01,true\n"
                   for i in range(5))
    path.write_text(HEADER + rows + 'd9,"h9')  # truncated inside a quoted field at the very end
    reader = provider(str(path))
    devices = reader.collect(CollectPlan())
    first = next(devices)
    assert first.get("encryption.at_rest") is True
    assert sum(1 for _ in zip(range(4), devices, strict=False)) == 4
    assert not reader.context.problems
    assert list(devices) == []  # the truncation is a collection problem of this file, found only at its end
    [(scope, message)] = [(p.scope, p.message) for p in reader.context.problems]
    assert scope == "inventory.csv" and message.startswith("line 7: the file ends inside a quoted field")


def streamed_peak(tmp_path, rows: int) -> tuple[int, int, int]:
    """(devices yielded, file size, peak traced memory) of streaming an inventory of ``rows`` devices."""
    path = tmp_path / f"inventory-{rows}.csv"
    with path.open("w") as f:
        f.write(HEADER)
        for i in range(rows):
            f.write(f"dev-{i:06d},host-{i:06d},agent{i % 997}@example.com,macOS,14.{i % 8}.1,"
                    f"{'true' if i % 7 else 'false'},true,true,2026-10-{1 + i % 28:02d}T08:00:00Z,true\n")
    gc.collect()
    tracemalloc.start()
    count = 0
    for resource in provider(str(path)).collect(CollectPlan()):
        count += resource.get("encryption.at_rest") is not None
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return count, path.stat().st_size, peak


@pytest.mark.integration
def test_memory_stays_flat_while_streaming(tmp_path):
    (small, small_size, small_peak), (big, big_size, big_peak) = (streamed_peak(tmp_path, n) for n in (2_000, 10_000))
    assert (small, big) == (2_000, 10_000)
    assert big_size > 4 * small_size and big_size > 900_000
    # 8,000 more devices (every owner and date already seen at 2,000) add under 13 bytes each: nothing accumulates
    assert big_peak - small_peak < 100_000
    assert big_peak < 2_000_000


def test_plan_without_devices_reads_nothing():
    assert list(provider("/does/not/exist.csv").collect(CollectPlan(needs={"aws.s3.bucket": frozenset()}))) == []


@pytest.mark.parametrize("name", ["intune-managed-devices-page1.json", "jamf-computers-inventory.json",
                                  "fleet-hosts.json", "osqueryi-macos.json"])
def test_json_parsed_in_tiny_chunks_gives_the_same_devices(monkeypatch, name):
    expected = [(d.id, d.known_attributes, d.unknown_attributes) for d in run({"inventories": [str(FIXTURES / name)]})]
    monkeypatch.setattr(jsonstream, "CHUNK", 5)
    chunked = [(d.id, d.known_attributes, d.unknown_attributes) for d in run({"inventories": [str(FIXTURES / name)]})]
    assert chunked == expected


def test_concatenated_pages_in_one_file(tmp_path):
    pages = "\n".join((FIXTURES / f"intune-managed-devices-page{n}.json").read_text() for n in (1, 2))
    path = tmp_path / "all-pages.json"
    path.write_text(pages)
    devices = run({"inventories": [str(path)]})
    assert len(devices) == 4
    assert {d.account for d in devices} == {"intune"}


def test_shards_split_the_devices_between_runs():
    config = {"inventories": [str(FIXTURES / "intune-devices-export.csv")]}
    whole = {d.id for d in run(config)}
    halves = [{d.id for d in run({**config, "shard": f"{i}/2"})} for i in range(2)]
    assert halves[0] | halves[1] == whole and not halves[0] & halves[1] and all(halves)
