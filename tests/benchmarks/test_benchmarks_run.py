"""The benchmarks a user can run still run: each at a tiny size, checking only that it finishes and reports.

Their figures belong in closing notes, not in assertions; this only keeps them from rotting when an
API they call changes (as ``evaluate(..., evaluation_date=...)`` did).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

pytestmark = pytest.mark.integration  # real processes


@pytest.mark.parametrize(("script", "args", "expect"), [
    ("devices_stream.py", ["--rows", "300", "--processes", "1"], "rows/s"),
    ("gcs_scan.py", ["--buckets", "10", "--latency", "0"], "buckets/s"),
    ("gcs_org_discovery.py", ["--folders", "2", "--depth", "1", "--projects", "10", "--latency", "0",
                              "--workers", "2"], "identical attributes: True"),
    ("terraform_plan.py", ["--buckets", "5", "--checkov", "/nonexistent/checkov"], "policycheck"),
    ("db_scan.py", ["--databases", "1", "--tables", "5", "--engine", "postgres"], "statements"),
])
def test_benchmark_runs_at_a_tiny_size(script, args, expect, tmp_path):
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expect in done.stdout
