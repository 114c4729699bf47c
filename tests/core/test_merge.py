"""policycheck merge and policycheck report: shard reports joined into the report of the unsharded run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from core_support import rule_text, store

TODAY = "2025-06-15"
WAIVERS = """apiVersion: policycheck/v1
kind: Waivers
waivers:
  - {id: W-LEGACY, rule: 'ENC-*', resource: 'store-1?', reason: migration, approver: dpo@example.com,
     expires: 2025-07-01}
  - {id: W-IDLE, rule: 'ENC-1', resource: 'nothing-*', reason: unused, approver: dpo@example.com, expires: 2025-07-01}
  - {id: W-OLD, rule: 'ENC-1', resource: '*', reason: expired, approver: dpo@example.com, expires: 2025-06-01}
"""


def _stores(count: int) -> list[dict]:
    records = []
    for i in range(count):
        groups = {"encryption": {"encryption.at_rest": i % 3 != 0, "encryption.key_management":
                                 "customer-managed" if i % 4 else "none"}}
        if i % 9 == 5:
            groups["encryption"] = {"error": "denied", "action": "test:GetEncryption"}
        records.append(store(f"store-{i}", account=f"1110000000{i % 6:02d}", region="eu-central-1",
                             tags={"team": "cs"}, groups=groups))
    return records


@pytest.fixture
def setup(policy, estate, write):
    pack = policy(rule_text("ENC-1", require="{attr: encryption.at_rest, equals: true}"),
                  rule_text("ENC-2", require="{attr: encryption.key_management, equals: customer-managed}",
                            severity="medium"), params="regions: [eu-central-1]")
    return ["-p", pack, "--coretest-estate", estate(*_stores(60)), "--waivers", write("waivers.yaml", WAIVERS),
            "--evaluation-date", TODAY]


def comparable(path: Path) -> dict:
    """The report without the times of its run (shards run at other moments than the whole)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("started", "finished"):
        document["run"].pop(key)
    return document


@pytest.mark.parametrize("options", [(), ("--no-passed",)])
@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_merged_shards_equal_the_unsharded_report(cli, setup, tmp_path, count, options):
    """Also without passes in the reports: the per-rule pass counts (coverage) still add up across shards."""
    whole = cli("scan", *setup, *options, "-f", "json=whole.json")
    assert whole.exit_code == 1, whole.stderr
    if options:
        assert json.loads((tmp_path / "whole.json").read_text())["summary"]["by_rule"]["ENC-1"]["pass"] > 0
    shards = []
    for index in range(1, count + 1):
        result = cli("scan", *setup, *options, "--shard", f"{index}/{count}", "-f", f"json=shard-{index}.json")
        assert result.exit_code in (0, 1), result.stderr
        shards.append(f"shard-{index}.json")
    for index, name in enumerate(shards, 1):
        assert json.loads((tmp_path / name).read_text())["run"]["shard"] == {
            "index": index, "count": count, "partition": {"coretest": "resource id"}}
    merged = cli("merge", *reversed(shards), "-o", "merged.json")  # any order
    assert merged.exit_code == whole.exit_code, merged.stderr
    assert comparable(tmp_path / "merged.json") == comparable(tmp_path / "whole.json")
    sizes = [json.loads((tmp_path / name).read_text())["summary"]["resources"] for name in shards]
    assert sum(sizes) == 60 and (count == 1 or max(sizes) < 60)


def test_merge_recomputes_the_baseline_across_shards(cli, setup, tmp_path):
    assert cli("scan", *setup, "-f", "json=old.json").exit_code == 1
    old = json.loads((tmp_path / "old.json").read_text())
    old["findings"].append({**old["findings"][0], "fingerprint": "f" * 32, "result": "fail"})  # since resolved
    (tmp_path / "old.json").write_text(json.dumps(old))
    args = [*setup, "--baseline", "old.json"]
    cli("scan", *args, "-f", "json=whole.json")
    for index in (1, 2, 3):
        cli("scan", *args, "--shard", f"{index}/3", "-f", f"json=s{index}.json")
    assert cli("merge", "s1.json", "s2.json", "s3.json", "-o", "merged.json").exit_code == 0
    merged, whole = comparable(tmp_path / "merged.json"), comparable(tmp_path / "whole.json")
    assert merged == whole
    assert [r["fingerprint"] for r in merged["baseline"]["resolved"]] == ["f" * 32]


def test_merge_keeps_first_seen_days_and_fix_by_deadlines(cli, setup, tmp_path):
    """A baseline from 13 days earlier and --sla high=5: known findings are past their deadline and fail the
    merged run as they fail the whole one (a merge without the ages and the sla passed)."""
    earlier = [arg if arg != TODAY else "2025-06-02" for arg in setup]
    assert cli("scan", *earlier, "-f", "json=old.json").exit_code == 1
    args = [*setup, "--baseline", "old.json", "--sla", "high=5"]
    whole = cli("scan", *args, "-f", "json=whole.json")
    for index in (1, 2, 3):
        cli("scan", *args, "--shard", f"{index}/3", "-f", f"json=s{index}.json")
    merged = cli("merge", "s1.json", "s2.json", "s3.json", "-o", "merged.json")
    assert whole.exit_code == merged.exit_code == 1, merged.stderr
    document = comparable(tmp_path / "merged.json")
    assert document == comparable(tmp_path / "whole.json")
    assert document["run"]["sla"] == {"high": 5}
    known = [f for f in document["findings"] if f["result"] == "fail" and f["severity"] == "high"]
    assert known and all(f["first_seen"] == "2025-06-02" and f["deadline"] == "2025-06-07" for f in known)


def test_shards_with_different_fix_by_deadlines_are_refused(cli, setup, tmp_path):
    cli("scan", *setup, "--sla", "high=5", "--shard", "1/2", "-f", "json=s1.json")
    cli("scan", *setup, "--sla", "high=9", "--shard", "2/2", "-f", "json=s2.json")
    result = cli("merge", "s1.json", "s2.json", "-o", "merged.json")
    assert result.exit_code == 2 and "fix-by deadlines (sla) differ from" in result.stderr
    assert not (tmp_path / "merged.json").exists()


@pytest.fixture
def three_shards(cli, setup):
    for index in (1, 2, 3):
        cli("scan", *setup, "--shard", f"{index}/3", "-f", f"json=s{index}.json")
    return setup


@pytest.mark.parametrize(("args", "message"), [
    (["s1.json", "s3.json"], "merge: shard 2/3 missing: merge needs every shard 1..3"),
    (["s1.json"], "merge: shards 2/3, 3/3 missing: merge needs every shard 1..3"),
    (["s1.json", "s2.json", "s2.json", "s3.json"], "s2.json: shard 2/3 given twice (also s2.json)"),
    (["s1.json", "s2.json", "s3.json", "whole.json"],
     "whole.json: not the report of a shard (written without --shard I/N); nothing to merge"),
    (["s1.json", "s2.json", "s3.json", "other-2.json"], "other-2.json: shard 2/2 does not belong with shards of 3 "
                                                        "(s1.json)"),
    (["s1.json", "s2.json", "late-3.json"], "late-3.json: evaluation date differ from s1.json's: the shards are not "
                                            "of one run"),
    (["s1.json", "s2.json", "param-3.json"], "param-3.json: packs (names, versions, params) differ from s1.json's: "
                                             "the shards are not of one run"),
    (["s1.json", "s2.json", "nowaiver-3.json"], "nowaiver-3.json: waivers differ from s1.json's: the shards are not "
                                                "of one run"),
    (["s1.json", "s2.json", "missing.json"], "missing.json: report file not found"),
    (["s1.json", "s2.json", "bad-3.json"], "bad-3.json: run.shard: shard 4/3: the index is larger than the count"),
])
def test_shards_that_do_not_belong_together_are_refused(cli, three_shards, tmp_path, args, message):
    setup = three_shards
    cli("scan", *setup, "-f", "json=whole.json")
    cli("scan", *setup, "--shard", "2/2", "-f", "json=other-2.json")
    cli("scan", *setup[:-1], "2025-06-16", "--shard", "3/3", "-f", "json=late-3.json")
    cli("scan", *setup, "--param", "regions=[eu-west-1]", "--shard", "3/3", "-f", "json=param-3.json")
    cli("scan", *setup[:4], *setup[6:], "--shard", "3/3", "-f", "json=nowaiver-3.json")
    bad = json.loads((tmp_path / "s3.json").read_text())
    bad["run"]["shard"]["index"] = 4
    (tmp_path / "bad-3.json").write_text(json.dumps(bad))
    result = cli("merge", *args, "-o", "merged.json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"policycheck: error: {message}\n"
    assert not (tmp_path / "merged.json").exists()


def test_report_renders_every_format_like_scan(cli, setup, tmp_path):
    formats = ["json", "sarif", "junit", "markdown", "text"]
    cli("scan", *setup, *(a for f in formats for a in ("-f", f"{f}=scan.{f}")))
    result = cli("report", "scan.json", *(a for f in formats for a in ("-f", f"{f}=report.{f}")))
    assert result.exit_code == 0, result.stderr
    for fmt in formats:  # the JSON report keeps the run's times to the second, JUnit's duration is finer
        rendered, scanned = ((tmp_path / f"{kind}.{fmt}").read_text() for kind in ("report", "scan"))
        assert re.sub(r' time="[0-9.]+"', "", rendered) == re.sub(r' time="[0-9.]+"', "", scanned), fmt


@pytest.mark.parametrize(("content", "message"), [
    ("{", "broken.json:1:2: not a JSON report"),
    ('{"format": "policycheck/report/v1", "findings": {}}', "broken.json: 'findings' must be a list"),
])
def test_report_of_a_broken_file_is_one_line(cli, tmp_path, content, message):
    (tmp_path / "broken.json").write_text(content)
    result = cli("report", "broken.json", "-f", "markdown")
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.stderr
