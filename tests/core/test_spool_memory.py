"""Peak memory does not grow with the number of findings: scan writing JSON, SARIF and JUnit, a report read back
and rendered, and a merge of shards, each with 5x the findings from the same resources (issue 16).

Same estate, more rules: resources, collection and the per-resource bookkeeping stay the same, so what
grows is what the findings cost. Held in memory a finding costs ~600 B; spooled, nothing that grows.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import pytest
from core_support import rule_text, store

from policycheck import jsonmembers, spool

pytestmark = pytest.mark.integration  # thousands of findings, several times over

STORES = 2_000


def peaks(cli, policy, estate_path, rules: int) -> dict[str, int]:
    """Peak traced memory of each step with ``rules`` rules (one finding per rule and store)."""
    pack = policy(*(rule_text(f"R-{i:02d}", require="{attr: encryption.at_rest, equals: true}")
                    for i in range(rules)), name=f"pack-{rules}.yaml")
    common = ["-p", pack, "--coretest-estate", estate_path, "--evaluation-date", "2025-06-15", "--workers", "1"]
    steps: dict[str, Callable[[], object]] = {
        "scan": lambda: cli("scan", *common, "-f", "json=run.json", "-f", "sarif=run.sarif", "-f", "junit=run.xml"),
        "report": lambda: cli("report", "run.json", "-f", "sarif=again.sarif", "-f", "junit=again.xml"),
        "shards": lambda: [cli("scan", *common, "--shard", f"{i}/2", "-f", f"json=shard-{i}.json") for i in (1, 2)],
        "merge": lambda: cli("merge", "shard-1.json", "shard-2.json", "-o", "merged.json"),
    }
    found = {}
    for name, step in steps.items():
        gc.collect()
        tracemalloc.start()
        step()
        found[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return found


@pytest.fixture
def estate_path(estate):
    return estate(*(store(f"store-{i:05d}", region="eu-central-1", groups={"encryption": {
        "encryption.at_rest": i % 3 != 0}}) for i in range(STORES)))


def test_peak_memory_does_not_grow_with_findings(cli, policy, estate_path, monkeypatch):
    monkeypatch.setattr(spool, "SPILL_AFTER", 1_000)
    monkeypatch.setattr(spool, "FAN_IN", 4)  # bounds the run files read at once, as 128 does for ~6 million
    monkeypatch.setattr(jsonmembers, "CHUNK", 1 << 15)  # reports are read in chunks smaller than both sizes'
    cli("scan", "-p", policy(rule_text("W", require="{attr: encryption.at_rest, equals: true}"), name="warm.yaml"),
        "--coretest-estate", estate_path, "--evaluation-date", "2025-06-15", "-f", "json=warm.json")  # imports
    few, many = peaks(cli, policy, estate_path, 4), peaks(cli, policy, estate_path, 20)
    more = STORES * 16  # findings
    for step in few:
        # a finding held in memory costs ~600 B; spooled, 32,000 more add under 25 B each (run-file bookkeeping)
        assert many[step] - few[step] < more * 25, (step, few[step], many[step])


def test_the_growth_check_sees_findings_held_in_memory(cli, policy, estate_path, monkeypatch):
    monkeypatch.setattr(spool, "SPILL_AFTER", 10_000_000)
    few, many = peaks(cli, policy, estate_path, 4), peaks(cli, policy, estate_path, 20)
    assert many["scan"] - few["scan"] > STORES * 16 * 300, (few, many)
