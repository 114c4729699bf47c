"""Item 1: reports are replaced atomically; interrupts exit 130/143 and leave the previous report intact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_support import bucket, snapshot_document, subprocess_env

#: Enough buckets that writing the JSON report takes a noticeable while (measured ~1 s on the CI machine).
BIG = 40_000


@pytest.fixture(scope="module")
def big_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.json"
    path.write_text(json.dumps(snapshot_document(bucket(i) for i in range(BIG))), encoding="utf-8")
    return path


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupt_during_the_write_keeps_the_previous_report(tmp_path, pack, big_snapshot, signum, code):
    report = tmp_path / "report.json"
    previous = '{"format": "previous good report"}\n'
    report.write_text(previous, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "policycheck", "scan", "-p", str(pack), "--snapshot", str(big_snapshot),
         "-f", f"json={report}"], cwd=tmp_path, env=subprocess_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".report.json.*.partial")):  # the write has begun
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the report write never started"
            time.sleep(0.005)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == code, stderr
    assert "interrupted" in stderr
    assert report.read_text(encoding="utf-8") == previous
    assert not list(tmp_path.glob(".report.json*")), "partial file left behind"


def test_a_symlink_at_the_output_path_is_refused(cli, tmp_path, pack, snapshot):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (tmp_path / "report.json").symlink_to(victim)
    result = cli("scan", "-p", pack, "--snapshot", snapshot([bucket(1)]), "-f", "json=report.json")
    assert result.exit_code == 2
    assert "symbolic link" in result.output
    assert victim.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("which", ["snapshot", "pack", "waivers", "baseline", "config"])
def test_an_output_path_that_is_an_input_is_refused(cli, tmp_path, pack, snapshot, which):
    snap = snapshot([bucket(1)])
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("apiVersion: policycheck/v1\nkind: Waivers\nwaivers: []\n", encoding="utf-8")
    baseline = tmp_path / "baseline.json"
    assert cli("scan", "-p", pack, "--snapshot", snap, "-f", f"json={baseline}").exit_code in (0, 1)
    config = tmp_path / "policycheck.yaml"
    config.write_text("fail_on: high\n", encoding="utf-8")
    inputs = {"snapshot": snap, "pack": pack, "waivers": waivers, "baseline": baseline, "config": config}
    before = inputs[which].read_bytes()
    result = cli("scan", "--config", config, "-p", pack, "--snapshot", snap, "--waivers", waivers,
                 "--baseline", baseline, "-f", f"sarif=./{inputs[which].name}")
    assert result.exit_code == 2, result.output
    assert "is an input of this run" in result.output
    assert inputs[which].read_bytes() == before


def test_a_path_given_for_two_formats_is_refused(cli, tmp_path, pack, snapshot):
    result = cli("scan", "-p", pack, "--snapshot", snapshot([bucket(1)]), "-f", "json=out", "-f", "sarif=./out")
    assert result.exit_code == 2
    assert "given for two outputs" in result.output
    assert not (tmp_path / "out").exists()


def test_a_finished_report_replaces_the_previous_one_whole(cli, tmp_path, pack, snapshot):
    (tmp_path / "report.json").write_text("old", encoding="utf-8")
    result = cli("scan", "-p", pack, "--snapshot", snapshot([bucket(1)]), "-f", "json=report.json")
    assert result.exit_code == 1
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["format"].startswith("policycheck")
    assert sorted(os.listdir(tmp_path)) == ["pack.yaml", "report.json", "snapshot.json"]
