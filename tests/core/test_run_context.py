"""One run context: the evaluation date reaches every stage, so a pinned date gives the same findings any day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from policycheck.cli import main
from policycheck.context import RunContext
from policycheck.run_settings import RunSettings

DEMO = Path(__file__).resolve().parents[2] / "providers" / "devices" / "demo"
KEY = "run-context-test-pseudonym-key-0123"


def _device_scan(tmp_path: Path, name: str, *extra: str) -> list[dict]:
    out = tmp_path / f"{name}.json"
    args = ["scan", "--provider", "devices", "--inventory", str(DEMO / "laptops.csv"),
            "--inventory", str(DEMO / "jamf-computers.json"), "--register", str(DEMO / "staff-register.csv"),
            "-f", f"json={out}", *extra]
    result = CliRunner().invoke(main, args, env={"POLICYCHECK_PSEUDONYM_KEY": KEY})
    assert result.exit_code in (0, 1), result.output
    return json.loads(out.read_text(encoding="utf-8"))["findings"]


@pytest.mark.parametrize("pinned", [True, False])
def test_a_pinned_date_gives_byte_identical_findings_a_year_apart(tmp_path, pinned):
    extra = ("--evaluation-date", "2026-11-02") if pinned else ()
    with time_machine.travel(dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC), tick=False):
        now = _device_scan(tmp_path, "now", *extra)
    with time_machine.travel(dt.datetime(2027, 11, 29, 9, 0, tzinfo=dt.UTC), tick=False):
        later = _device_scan(tmp_path, "later", *extra)
    same = json.dumps(now, sort_keys=True) == json.dumps(later, sort_keys=True)
    # pinned: nothing reads the wall clock (device ages, training age, register dates); unpinned: the ages move
    assert same is pinned
    ages = {f["observed"].get("last_seen_days") for f in now if f["rule_id"] == "GDPR-DEV-005"}
    assert ages - {None}, "the scan read device ages"


def test_context_takes_the_date_from_the_settings_or_its_clock():
    pinned = RunContext.build(RunSettings(evaluation_date=dt.date(2025, 1, 31)))
    assert pinned.evaluation_date == dt.date(2025, 1, 31)
    assert pinned.for_provider("devices").evaluation_date == dt.date(2025, 1, 31)
    clocked = RunContext.build(RunSettings(), clock=lambda: dt.datetime(2030, 5, 6, 23, 30, tzinfo=dt.UTC))
    assert clocked.evaluation_date == dt.date(2030, 5, 6)
    assert clocked.thresholds.fail_on.label == "low" and clocked.thresholds.fail_on_error
