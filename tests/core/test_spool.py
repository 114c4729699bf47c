"""Findings spooled to disk: report order, run files and their removal, identical outputs, merged shards."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import stat
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from core_support import rule_text, store

from policycheck import jsonmembers, spool
from policycheck.context import RunContext
from policycheck.errors import InputError
from policycheck.model import Finding, ResourceRef, Result, Severity, SourceLocation, WaiverRef
from policycheck.report_file import read_report
from policycheck.reporters import load_reporters
from policycheck.resolution import resolve
from policycheck.run import run_scan
from policycheck.spool import FindingStore

TODAY = "2025-06-15"
WAIVERS = """apiVersion: policycheck/v1
kind: Waivers
waivers:
  - {id: W-LEGACY, rule: 'ENC-*', resource: 'store-1?', reason: migration, approver: dpo@example.com,
     expires: 2025-07-01}
"""


def findings(count: int, seed: int = 7) -> list[Finding]:
    """Findings in no order, with ties on every sort field but the last and some exact duplicates."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        n = rng.randrange(count // 3 + 1)
        ref = ResourceRef("store", f"s-{n:03d}", f"name-{n % 5}", "coretest", f"acct-{n % 2}", "eu",
                          SourceLocation("main.tf", n) if n % 4 == 0 else None)
        result = rng.choice(list(Result))
        waiver = WaiverRef("W-1", "because", "dpo@example.com", "2025-07-01") if result is Result.WAIVED else None
        observed = {"encryption.at_rest": rng.choice([True, False, None]), "tags": ["a", "é"],
                    "when": dt.date(2025, 1, n % 28 + 1), "size": 1.5}
        made.append(Finding(rng.choice(["ENC-1", "ENC-2", "LOC-1"]), rng.choice(list(Severity)), ref, result,
                            rng.choice(["m1", "m2", "ünïcode"]), observed, waiver))
    made += made[:5]  # duplicates: a stable order keeps them as they came
    return made


def as_json(items: object) -> list[str]:
    """What every writer sees of a finding: its JSON encoding and fingerprint."""
    return [json.dumps([f.rule_id, f.severity, f.resource.__dict__ | {"source": repr(f.resource.source)},
                        f.result, f.message, f.observed, f.waiver and f.waiver.__dict__, f.fingerprint],
                       default=str) for f in items]  # type: ignore[attr-defined]


@pytest.mark.parametrize("limit", [1, 3, 64, 10_000])
def test_iteration_order_is_that_of_one_in_memory_sort(limit, tmp_path):
    given = findings(300)
    with FindingStore(given, limit=limit, root=str(tmp_path)) as stored:
        assert stored.spilled is (limit < len(given))
        assert len(stored) == len(given) and bool(stored)
        expected = sorted(given, key=Finding.sort_key)
        assert as_json(stored) == as_json(expected)
        assert [f.fingerprint for f in stored] == [f.fingerprint for f in expected]
        wanted = (Result.FAIL, Result.WAIVED)
        assert as_json(stored.select(wanted)) == as_json(f for f in expected if f.result in wanted)
        assert as_json([stored[0], stored[-1], stored[17]]) == as_json([expected[0], expected[-1], expected[17]])


@pytest.mark.parametrize("fan_in", [2, 3, 5])
def test_runs_merged_into_bigger_ones_keep_the_order_and_bound_the_files(fan_in, tmp_path, monkeypatch):
    monkeypatch.setattr(spool, "FAN_IN", fan_in)
    given = findings(400, seed=fan_in)
    with FindingStore(given, limit=3, root=str(tmp_path)) as stored:
        assert stored.folder is not None
        files = len(list(stored.folder.iterdir()))
        levels = 1
        while fan_in ** levels < len(given) // 3:
            levels += 1
        assert files <= (fan_in - 1) * levels, files  # not one file per spill: 133 spills
        assert as_json(stored) == as_json(sorted(given, key=Finding.sort_key))
        assert as_json(stored.select([Result.ERROR])) == \
            as_json(f for f in sorted(given, key=Finding.sort_key) if f.result is Result.ERROR)


def test_findings_added_after_iterating_still_come_in_report_order(tmp_path):
    first, second = findings(40, seed=1), findings(40, seed=2)
    with FindingStore(first, limit=7, root=str(tmp_path)) as stored:
        list(stored)
        stored.extend(second)
        assert as_json(stored) == as_json(sorted(first + second, key=Finding.sort_key))


def test_counts_are_kept_as_findings_arrive(tmp_path):
    given = findings(120)
    with FindingStore(given, limit=5, root=str(tmp_path)) as stored:
        assert stored.counts == Counter((f.severity.label, f.result.value) for f in given)
        assert sum(stored.rule_counts.values()) == len(given)
        assert stored.waiver_counts == {"W-1": sum(1 for f in given if f.waiver)}


def test_run_files_are_private_and_removed_on_close(tmp_path):
    stored = FindingStore(findings(50), limit=8, root=str(tmp_path))
    folder = stored.folder
    assert folder is not None and folder.parent == tmp_path and folder.name.startswith(spool.FOLDER_PREFIX)
    runs = sorted(folder.iterdir())
    assert len(runs) == 55 // 8
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in runs} == {0o600}
    stored.close()
    assert not folder.exists() and len(stored) == 0 and list(stored) == []


def test_a_store_nobody_closed_is_removed_when_collected(tmp_path):
    stored = FindingStore(findings(30), limit=4, root=str(tmp_path))
    folder = stored.folder
    del stored
    assert folder is not None and not folder.exists()


# -- through the run ----------------------------------------------------------------------------------
@pytest.fixture
def setup(policy, estate, write):
    pack = policy(rule_text("ENC-1", require="{attr: encryption.at_rest, equals: true}"),
                  rule_text("ENC-2", require="{attr: encryption.key_management, equals: customer-managed}",
                            severity="medium"), params="regions: [eu-central-1]")
    stores = [store(f"store-{i}", account=f"1110000000{i % 6:02d}", region="eu-central-1", tags={"team": "cs"},
                    groups={"encryption": {"encryption.at_rest": i % 3 != 0,
                                           "encryption.key_management": "customer-managed" if i % 4 else "none"}}
                    if i % 9 != 5 else {"encryption": {"error": "denied", "action": "test:GetEncryption"}})
              for i in range(60)]
    return ["-p", pack, "--coretest-estate", estate(*stores), "--waivers", write("waivers.yaml", WAIVERS),
            "--evaluation-date", TODAY]


@pytest.fixture
def spool_root(tmp_path, monkeypatch):
    """Run files go to a folder of this test's (``tempfile.tempdir``), so leftovers can be seen."""
    root = tmp_path / "spool-root"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def test_a_spilling_scan_writes_the_same_reports_and_leaves_no_files(cli, setup, tmp_path, spool_root,
                                                                     monkeypatch):
    formats = ("json", "sarif", "junit", "markdown", "text")
    assert cli("scan", *setup, *(a for f in formats for a in ("-f", f"{f}=memory.{f}"))).exit_code == 1
    monkeypatch.setattr(spool, "SPILL_AFTER", 7)
    assert cli("scan", *setup, *(a for f in formats for a in ("-f", f"{f}=spilled.{f}"))).exit_code == 1
    assert leftovers(spool_root) == []
    for name in formats:  # the run's times aside (two scans), the same text
        memory, spilled = ((tmp_path / f"{kind}.{name}").read_text() for kind in ("memory", "spilled"))
        assert len(memory.splitlines()) == len(spilled.splitlines()), name
        if name == "json":
            assert _timeless(json.loads(memory)) == _timeless(json.loads(spilled))


def _timeless(document: dict) -> dict:
    for key in ("started", "finished"):
        document["run"].pop(key)
    return document


@pytest.mark.parametrize("name", ["json", "sarif", "junit", "text", "markdown", "html", "codequality", "ocsf"])
def test_outputs_are_byte_identical_with_and_without_spilling(cli, setup, tmp_path, spool_root, monkeypatch, name):
    assert cli("scan", *setup, "-f", "json=old.json").exit_code == 1
    assert cli("scan", *setup, "--baseline", "old.json", "--sla", "high=0", "-f", "json=run.json").exit_code in (0, 1)
    load_reporters()
    texts = []
    for limit in (1_000_000, 1, 6):
        monkeypatch.setattr(spool, "SPILL_AFTER", limit)
        with read_report(tmp_path / "run.json") as report:
            assert report.findings.spilled is (limit < 100)
            texts.append("".join(load_reporters().get(name).chunks(report, False)))
        assert leftovers(spool_root) == []
    assert texts[0] == texts[1] == texts[2]
    if name == "json":
        assert texts[0] == (tmp_path / "run.json").read_text()  # read back and written again: the same report


@pytest.mark.parametrize("count", [2, 3])
def test_merge_of_spilled_shards_equals_the_unsharded_report(cli, setup, tmp_path, spool_root, monkeypatch, count):
    assert cli("scan", *setup, "-f", "json=whole.json").exit_code == 1
    monkeypatch.setattr(spool, "SPILL_AFTER", 5)
    names = [f"shard-{i}.json" for i in range(1, count + 1)]
    for index, name in enumerate(names, 1):
        assert cli("scan", *setup, "--shard", f"{index}/{count}", "-f", f"json={name}").exit_code in (0, 1)
    assert cli("merge", *reversed(names), "-o", "merged.json").exit_code == 1
    assert _timeless(json.loads((tmp_path / "merged.json").read_text())) == \
        _timeless(json.loads((tmp_path / "whole.json").read_text()))
    assert leftovers(spool_root) == []


def test_run_files_are_removed_when_the_scan_is_interrupted(setup, tmp_path, spool_root, monkeypatch):
    monkeypatch.setattr(spool, "SPILL_AFTER", 3)
    monkeypatch.chdir(tmp_path)
    flags = {"policies": (setup[1].name,), "evaluation_date": TODAY, "workers": 1,
             "coretest__estate": str(setup[3])}
    settings = resolve(None, flags, provider_names=("coretest",), read_config=False)
    seen = []

    def interrupt(resource: object) -> None:
        seen.append(resource)
        if len(seen) == 30:  # by then 30 x 2 findings went to ten run files
            assert leftovers(spool_root)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_scan(settings, RunContext.build(settings.run), progress=interrupt)
    assert leftovers(spool_root) == []


def test_run_files_are_removed_when_a_report_read_fails(tmp_path, spool_root, monkeypatch, cli, setup):
    assert cli("scan", *setup, "-f", "json=run.json").exit_code == 1
    text = (tmp_path / "run.json").read_text()
    cut = text.rindex('"collection_problems"')
    (tmp_path / "broken.json").write_text(text[:cut] + '"collection_problems": [}')
    monkeypatch.setattr(spool, "SPILL_AFTER", 4)
    with pytest.raises(InputError, match=r"not a JSON report: Expecting value: line \d+ column 27"):
        read_report(tmp_path / "broken.json")
    assert leftovers(spool_root) == []


# -- reading a report in pieces ----------------------------------------------------------------------
def test_a_report_read_in_tiny_chunks_is_the_same_report(cli, setup, tmp_path, monkeypatch):
    assert cli("scan", *setup, "-f", "json=run.json").exit_code == 1
    whole = read_report(tmp_path / "run.json")
    monkeypatch.setattr(jsonmembers, "CHUNK", 5)
    chunked = read_report(tmp_path / "run.json")
    assert chunked == whole and len(chunked.findings) == 120


@pytest.mark.parametrize("text", [
    "", "{", '{"format": "policycheck/report/v1" "run": {}}', '{"findings": [1 2]}', '{"findings": [{}, ]}',
    '{"findings": [], "run": {}} trailing', '{\n  "findings": [\n    {"a": tru}\n  ]\n}', '{"a": 1,}',
    '{"format": "policycheck/report/v1", "findings": [{"rule_id": "x", "mess', "\ufeff{\n\n 'x': 1}",
])
def test_malformed_reports_are_placed_as_json_places_them(tmp_path, text, monkeypatch):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    try:
        json.loads(text.encode().decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        expected = f"{path}:{exc.lineno}:{exc.colno}: not a JSON report: {exc}"
    for chunk in (2, 1 << 20):
        monkeypatch.setattr(jsonmembers, "CHUNK", chunk)
        with pytest.raises(InputError) as raised:
            read_report(path)
        assert str(raised.value) == expected


def test_findings_that_are_not_a_list_are_refused(tmp_path):
    for value in ("null", "{}", '"x"'):
        path = tmp_path / "report.json"
        path.write_text(f'{{"format": "policycheck/report/v1", "findings": {value}}}')
        with pytest.raises(InputError, match="'findings' must be a list"):
            read_report(path)


def test_the_size_cap_holds_while_streaming(tmp_path):
    path = tmp_path / "report.json"
    path.write_text('{"format": "policycheck/report/v1", "findings": []}' + " " * 2000)
    with pytest.raises(InputError, match="report file is larger than 1000 bytes; raise the limit with --max-input-mb"):
        read_report(path, cap=1000)


def test_a_bad_byte_is_placed_in_the_whole_file(tmp_path, monkeypatch):
    path = tmp_path / "report.json"
    path.write_bytes(b'{"format": "' + b"x" * 40 + b'\xff"}')
    monkeypatch.setattr(jsonmembers, "CHUNK", 8)
    with pytest.raises(InputError, match="can't decode byte 0xff in position 52: invalid start byte"):
        read_report(path)


def test_permissions_are_not_loosened_by_umask(tmp_path):
    old = os.umask(0)
    try:
        with FindingStore(findings(10), limit=2, root=str(tmp_path)) as stored:
            assert stored.folder is not None
            assert {stat.S_IMODE(p.stat().st_mode) for p in stored.folder.iterdir()} == {0o600}
    finally:
        os.umask(old)


@pytest.mark.parametrize("command", ["report", "merge"])
def test_report_and_merge_take_max_input_mb(cli, setup, tmp_path, command):
    assert cli("scan", *setup, "--shard", "1/1", "-f", "json=run.json").exit_code == 1
    path = tmp_path / "run.json"
    path.write_text(path.read_text() + " " * (1 << 20))  # still the report, now past 1 MB
    args = ["run.json", "-o", "out.json"] if command == "merge" else ["run.json", "-f", "json=out.json"]
    refused = cli(command, *args, "--max-input-mb", "1")
    assert refused.exit_code == 2
    assert refused.stderr.strip().endswith("run.json: report file is larger than 1 MB; raise the limit with "
                                           "--max-input-mb")
    assert cli(command, *args, "--max-input-mb", "2").exit_code in (0, 1)
    assert json.loads((tmp_path / "out.json").read_text())["summary"] == json.loads(path.read_text())["summary"]
