"""Helpers of the hostile corpus: snapshot records, a small pack, a real ``python -m policycheck`` process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from policycheck.snapshot import FORMAT

#: A small pack over the bucket type of snapshots: one rule per finding shape (fail, pass, error).
PACK = """\
apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: hostile, version: "1.0.0"}
rules:
  - id: H-ENC-001
    title: Encrypted at rest
    severity: high
    resources: [aws.s3.bucket, gcp.storage.bucket]
    require: {attr: encryption.at_rest, equals: true}
  - id: H-PUB-001
    title: Not public
    severity: critical
    resources: [aws.s3.bucket, gcp.storage.bucket]
    require: {attr: access.public, equals: false}
"""


def bucket(index: int, **fields: Any) -> dict[str, Any]:
    """One snapshot record of an S3 bucket; ``fields`` override the identity, ``attributes`` the values."""
    record = {"type": "aws.s3.bucket", "id": f"arn:aws:s3:::bucket-{index}", "name": f"bucket-{index}",
              "provider": "aws", "account": "111122223333", "region": "eu-central-1",
              "tags": {"data-classification": "personal"},
              "attributes": {"encryption.at_rest": index % 2 == 0, "access.public": False}, "unknown": {}}
    record.update(fields)
    return record


def snapshot_document(records: Iterable[dict[str, Any]], problems: list[dict[str, str]] | None = None
                      ) -> dict[str, Any]:
    return {"format": FORMAT, "created": "2026-05-01T00:00:00+00:00", "policycheck_version": "0.1.0",
            "sources": ["aws"], "resources": list(records), "problems": problems or []}


def subprocess_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHECK_")}
    env["POLICYCHECK_EVALUATION_DATE"] = "2026-05-01"
    return env


def run_process(*args: Any, cwd: Path, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``python -m policycheck ARGS`` in a real process."""
    return subprocess.run([sys.executable, "-m", "policycheck", *map(str, args)], cwd=cwd, env=subprocess_env(),
                          capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
