"""--shard on device inventories: whole files per shard when there are many, rows by position otherwise;
the merge of the shard reports equals the unsharded report (full built-in pack, every finding)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.errors import ConfigError
from policycheck.provider import ProviderContext
from policycheck.shard import Shard

from .conftest import run

AS_OF = date(2026, 11, 2)
COLUMNS = ["device_id", "serial", "hostname", "owner", "os_name", "os_version", "disk_encrypted",
           "screen_lock_enabled", "screen_lock_timeout_minutes", "firewall_enabled", "last_seen", "managed",
           "compliance_state"]
OSES = (("macOS", ("13.6.9", "15.1")), ("Windows", ("10.0.19045.5011", "10.0.22631.4460")), ("Ubuntu", ("24.04.1",)))


def write_inventory(path: Path, rows: int, start: int = 0) -> Path:
    """A policycheck-csv inventory (providers/devices/FORMAT.md) with a mix of passing, failing and unknown values."""
    now = datetime.combine(AS_OF, datetime.min.time(), UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(start, start + rows):
            os_name, versions = OSES[i % 3]
            writer.writerow([f"dev-{i:07d}", f"SN{i:08X}", f"cs-lt-{i:07d}", f"agent{i % 400:04d}@example.com",
                             os_name, versions[i % len(versions)], "true" if i % 11 else "false", "true",
                             "" if i % 17 == 0 else 5 + i % 15, "true" if i % 13 else "false",
                             (now - timedelta(hours=i % 2000)).isoformat().replace("+00:00", "Z"), "true",
                             "compliant"])
    return path


def write_register(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_principal_name", "home_office_agreement_signed", "confidentiality_signed",
                         "last_training", "home_country"])
        for i in range(380):  # some owners are not in the register: unknown agreements
            day = (AS_OF - timedelta(days=20 + i * 3)).isoformat()
            writer.writerow([f"agent{i:04d}@example.com", day if i % 7 else "", day, day, ("DE", "FR", "US")[i % 3]])
    return path


def scan(folder: Path, inventories: list[Path], output: str, *extra: str) -> int:
    args = ["scan", "--provider", "devices", *(a for p in inventories for a in ("--inventory", str(p))),
            "--register", str(folder / "register.csv"), "--evaluation-date", AS_OF.isoformat(),
            "-f", f"json={folder / output}", *extra]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code


def merge(folder: Path, names: list[str]) -> int:
    result = CliRunner().invoke(main, ["merge", *(str(folder / n) for n in names), "-o", str(folder / "merged.json")],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code


def comparable(path: Path) -> dict:
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("started", "finished"):
        document["run"].pop(key)
    return document


def check_shards_merge_to_whole(folder: Path, inventories: list[Path], counts: tuple[int, ...],
                                partition: dict[int, str], *options: str) -> None:
    whole_exit = scan(folder, inventories, "whole.json", *options)
    whole = comparable(folder / "whole.json")
    assert whole["summary"]["results"]["fail"] and whole["summary"]["results"]["error"]
    for count in counts:
        names = [f"shard-{count}-{i}.json" for i in range(1, count + 1)]
        for index, name in enumerate(names, 1):
            scan(folder, inventories, name, "--shard", f"{index}/{count}", *options)
            assert json.loads((folder / name).read_text())["run"]["shard"]["partition"] == \
                {"devices": partition[count]}
        assert merge(folder, names) == whole_exit
        assert comparable(folder / "merged.json") == whole, f"N={count}"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYCHECK_PSEUDONYM_KEY", "shard-test-pseudonym-key-0123456789")
    write_register(tmp_path / "register.csv")
    return tmp_path


def test_one_large_inventory_is_split_by_row(folder):
    inventory = write_inventory(folder / "laptops.csv", 1200)
    check_shards_merge_to_whole(folder, [inventory], (1, 2, 3, 7),
                                {1: "resource id", 2: "inventory row", 3: "inventory row", 7: "inventory row"})


def test_many_inventories_are_split_by_file(folder):
    inventories = [write_inventory(folder / f"site-{n:02d}.csv", 60, start=n * 60) for n in range(16)]
    check_shards_merge_to_whole(folder, inventories, (1, 2, 3, 7),
                                {1: "resource id", 2: "inventory file", 3: "inventory file", 7: "inventory file"})


@pytest.mark.integration  # 13 scans of 100,000 rows: about 80 s
def test_a_100k_row_inventory_merges_to_the_unsharded_report(folder):
    """Issue 16's evidence at size: 335,000 failing findings per run, so the scans and the merge spill to disk.
    --no-passed keeps the reports (which this test reads whole to compare) to a third of their size; the per-rule
    pass counts of the summary must still add up across shards."""
    inventory = write_inventory(folder / "laptops.csv", 100_000)
    check_shards_merge_to_whole(folder, [inventory], (1, 2, 3, 7),
                                {1: "resource id", 2: "inventory row", 3: "inventory row", 7: "inventory row"},
                                "--no-passed")


def test_row_shards_build_only_their_own_rows(tmp_path):
    inventory = str(write_inventory(tmp_path / "laptops.csv", 30))
    ids = [{r.id for r in run({"inventories": [inventory]}, context=ProviderContext(shard=Shard(i, 3),
                                                                                    reveal_identities=True))}
           for i in (1, 2, 3)]
    assert [len(s) for s in ids] == [10, 10, 10] and not (ids[0] & ids[1] or ids[1] & ids[2] or ids[0] & ids[2])


def test_the_old_devices_shard_setting_cannot_be_combined_with_shard(tmp_path):
    inventory = str(write_inventory(tmp_path / "laptops.csv", 3))
    with pytest.raises(ConfigError, match=r"devices\.shard and --shard both split the devices; give only --shard"):
        run({"inventories": [inventory], "shard": "0/2"}, context=ProviderContext(shard=Shard(1, 2)))
