"""Benchmark: a generated plan of 2,000 buckets with split resources (~12,000 resource changes).

    python benchmarks/terraform_plan.py [--buckets 2000] [--checkov /work/venvs/checkov/bin/checkov] [--keep DIR]

Writes the plan in Terraform's documented JSON output format, then runs, each as a child process
timed for wall time and peak RSS:

1. ``policycheck scan --provider terraform --plan plan.json`` with the full built-in pack;
2. the same with the six S3 checks both tools express (terraform_six_s3_checks.yaml);
3. ``checkov -f plan.json --framework terraform_plan`` on the matching six checks (when installed).

Both tools' verdicts are scored against the truth the generator knows per bucket and check:
correct, wrong, or (policycheck only) ``error`` where the plan cannot prove the answer.
Checkov is never a test dependency: install it into its own virtualenv.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIX = HERE / "terraform_six_s3_checks.yaml"
#: Our rule id -> Checkov's check for the same question.
CHECKOV = {"ENCRYPTION": "CKV_AWS_19", "KMS": "CKV_AWS_145", "VERSIONING": "CKV_AWS_21", "LOGGING": "CKV_AWS_18",
           "PUBLIC-ACCESS-BLOCK": "CKV2_AWS_6", "LIFECYCLE": "CKV2_AWS_61"}


# -- the plan -----------------------------------------------------------------------------------
def change(address: str, type_: str, name: str, after: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": type_, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown}}


def planned(item: dict[str, Any]) -> dict[str, Any]:
    """The ``planned_values`` entry of a change (Checkov reads resources from there)."""
    return {key: item[key] for key in ("address", "mode", "type", "name", "provider_name")} | {
        "schema_version": 0, "values": item["change"]["after"], "sensitive_values": {}}


def config(type_: str, name: str, expressions: dict[str, Any]) -> dict[str, Any]:
    return {"address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name,
            "provider_config_key": "aws", "expressions": expressions, "schema_version": 0}


def ref(type_: str, name: str, attribute: str = "id") -> dict[str, Any]:
    return {"references": [f"{type_}.{name}.{attribute}", f"{type_}.{name}"]}


def generate(buckets: int) -> tuple[dict[str, Any], dict[tuple[str, str], bool]]:
    """The plan and the truth: (bucket address, our rule id) -> the check holds."""
    changes = [change("aws_kms_key.main", "aws_kms_key", "main", {}, {"arn": True, "id": True, "key_id": True}),
               change("aws_s3_account_public_access_block.account", "aws_s3_account_public_access_block", "account",
                      dict.fromkeys(("block_public_acls", "block_public_policy", "ignore_public_acls",
                                     "restrict_public_buckets"), False), {"id": True})]
    resources = [config("aws_kms_key", "main", {}), config("aws_s3_account_public_access_block", "account", {})]
    truth: dict[tuple[str, str], bool] = {}
    for i in range(buckets):
        name = f"b{i}"
        address = f"aws_s3_bucket.{name}"
        bucket_name = f"acme-support-{i:05d}"
        tags = {"data-classification": "personal", "purpose": "customer-support", "data-owner": "support-ops"}
        changes.append(change(address, "aws_s3_bucket", name, {"bucket": bucket_name, "tags": tags, "tags_all": tags},
                              {key: True for key in ("id", "arn", "region", "grant", "versioning", "logging", "policy",
                                                     "lifecycle_rule", "server_side_encryption_configuration")}))
        resources.append(config("aws_s3_bucket", name, {"bucket": {"constant_value": bucket_name}}))

        def split(type_: str, after: dict[str, Any], expressions: dict[str, Any] | None = None,
                  name: str = name) -> None:
            changes.append(change(f"{type_}.{name}", type_, name, after, {"bucket": True, "id": True}))
            resources.append(config(type_, name, {"bucket": ref("aws_s3_bucket", name), **(expressions or {})}))

        kind = i % 4  # 0: AES256, 1: aws:kms with a key of this plan, 2: aws:kms with aws/s3, 3: AES256 again
        algorithm = "aws:kms" if kind in (1, 2) else "AES256"
        default: dict[str, Any] = {"sse_algorithm": algorithm}
        key_expression: dict[str, Any] = {}
        if kind == 1:
            key_expression = {"rule": [{"apply_server_side_encryption_by_default": [{
                "kms_master_key_id": ref("aws_kms_key", "main", "arn")}]}]}
        split("aws_s3_bucket_server_side_encryption_configuration",
              {"rule": [{"apply_server_side_encryption_by_default": [default], "bucket_key_enabled": kind == 1}]},
              key_expression)
        if kind == 1:
            changes[-1]["change"]["after_unknown"]["rule"] = [{"apply_server_side_encryption_by_default": [
                {"kms_master_key_id": True}]}]
        blocked = i % 3 != 2
        split("aws_s3_bucket_public_access_block", dict.fromkeys(
            ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"), blocked))
        versioned = i % 5 != 0
        split("aws_s3_bucket_versioning", {"versioning_configuration": [
            {"status": "Enabled" if versioned else "Suspended", "mfa_delete": "Disabled"}]})
        expiring = i % 4 != 3
        split("aws_s3_bucket_lifecycle_configuration", {"rule": [{
            "id": "expire", "status": "Enabled" if expiring else "Disabled", "prefix": "",
            "filter": [{"and": [], "prefix": "", "tag": [], "object_size_greater_than": None,
                        "object_size_less_than": None}],
            "expiration": [{"days": 365, "date": None, "expired_object_delete_marker": False}],
            "noncurrent_version_expiration": [{"noncurrent_days": 30, "newer_noncurrent_versions": None}]}]})
        logged = i % 2 == 0
        if logged:
            split("aws_s3_bucket_logging", {"target_bucket": "acme-access-logs", "target_prefix": f"{bucket_name}/"})
        else:
            split("aws_s3_bucket_policy", {"policy": json.dumps({"Version": "2012-10-17", "Statement": [{
                "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket_name}", f"arn:aws:s3:::{bucket_name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})})
        truth.update({(address, "ENCRYPTION"): True, (address, "KMS"): kind in (1, 2),
                      (address, "VERSIONING"): versioned, (address, "LOGGING"): logged,
                      (address, "PUBLIC-ACCESS-BLOCK"): blocked, (address, "LIFECYCLE"): expiring})
    plan = {
        "format_version": "1.2", "terraform_version": "1.9.5", "variables": {"region": {"value": "eu-central-1"}},
        "planned_values": {"root_module": {"resources": [planned(c) for c in changes]}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                                                      "expressions": {"region": {"references": ["var.region"]}}}},
                          "root_module": {"resources": resources, "variables": {"region": {}}}},
    }
    return plan, truth


# -- running --------------------------------------------------------------------------------------
def _children_rss() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def timed(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Wall seconds, the child's peak RSS in MB (GNU time when present, else getrusage) and its result."""
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    with tempfile.NamedTemporaryFile(suffix=".rss") as marker:
        full = [gnu_time, "-f", "%M", "-o", marker.name, *command] if gnu_time else command
        started = time.perf_counter()
        result = subprocess.run(full, capture_output=True, check=False)
        wall = time.perf_counter() - started
        peak = int(Path(marker.name).read_text().strip().splitlines()[-1]) if gnu_time else _children_rss()
    rss = peak / 1024
    return wall, rss, result


def score(verdicts: dict[tuple[str, str], str], truth: dict[tuple[str, str], bool]) -> Counter[str]:
    """correct / wrong / error / missing over every (bucket, check) of the truth."""
    tally: Counter[str] = Counter()
    for key, holds in truth.items():
        verdict = verdicts.get(key)
        if verdict is None:
            tally["missing"] += 1
        elif verdict == "error":
            tally["error"] += 1
        else:
            tally["correct" if (verdict == "pass") == holds else "wrong"] += 1
    return tally


def policycheck_verdicts(report: Path) -> dict[tuple[str, str], str]:
    findings = json.loads(report.read_text())["findings"]
    return {(f["resource"]["id"], f["rule_id"]): f["result"] for f in findings}


def checkov_verdicts(output: bytes) -> dict[tuple[str, str], str]:
    document = json.loads(output or b"{}")
    documents = document if isinstance(document, list) else [document]
    ours = {checkov: rule for rule, checkov in CHECKOV.items()}
    verdicts: dict[tuple[str, str], str] = {}
    for doc in documents:
        results = doc.get("results") or {}
        for key, verdict in (("passed_checks", "pass"), ("failed_checks", "fail")):
            for item in results.get(key) or []:
                rule = ours.get(item.get("check_id"))
                if rule:
                    verdicts[str(item.get("resource")), rule] = verdict
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=2000)
    parser.add_argument("--checkov", default="/work/venvs/checkov/bin/checkov")
    parser.add_argument("--keep", type=Path, help="Folder to keep the plan and reports in.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="policycheck-tfplan-"))
    folder.mkdir(parents=True, exist_ok=True)
    plan, truth = generate(args.buckets)
    plan_path = folder / "plan.json"
    plan_path.write_text(json.dumps(plan))
    changes = len(plan["resource_changes"])
    print(f"plan: {plan_path} ({plan_path.stat().st_size / 1e6:.1f} MB, {args.buckets} buckets, "
          f"{changes} resource changes)")
    policycheck = [sys.executable, "-m", "policycheck", "scan", "--provider", "terraform", "--plan", str(plan_path)]

    full_report = folder / "full.json"
    wall, rss, result = timed([*policycheck, "-f", f"json={full_report}"])
    print(f"policycheck, full built-in pack:  {wall:6.2f} s  peak RSS {rss:6.1f} MB  exit {result.returncode}")
    if result.returncode not in (0, 1):
        print(result.stderr.decode(errors="replace"))
        return 2
    six_report = folder / "six.json"
    our_wall, our_rss, result = timed([*policycheck, "--policy", str(SIX), "-f", f"json={six_report}"])
    ours = score(policycheck_verdicts(six_report), truth)
    print(f"policycheck, six S3 checks:       {our_wall:6.2f} s  peak RSS {our_rss:6.1f} MB  {dict(ours)}")

    if not Path(args.checkov).exists():
        print(f"checkov not found at {args.checkov}; install it with: python3 -m venv /work/venvs/checkov && "
              "/work/venvs/checkov/bin/pip install checkov==3.3.30")
        return 0
    version = subprocess.run([args.checkov, "--version"], capture_output=True, text=True).stdout.strip()
    command = [args.checkov, "-f", str(plan_path), "--framework", "terraform_plan", "--check",
               ",".join(CHECKOV.values()), "-o", "json", "--compact", "--skip-download"]
    their_wall, their_rss, result = timed(command)
    theirs = score(checkov_verdicts(result.stdout), truth)
    print(f"checkov {version}, six checks:  {their_wall:6.2f} s  peak RSS {their_rss:6.1f} MB  {dict(theirs)}")
    print(f"speed-up on the six checks: {their_wall / our_wall:.1f}x; full pack vs checkov's six: "
          f"{their_wall / wall:.1f}x")
    for rule, check in CHECKOV.items():
        mine = score({k: v for k, v in policycheck_verdicts(six_report).items() if k[1] == rule},
                     {k: v for k, v in truth.items() if k[1] == rule})
        other = score({k: v for k, v in checkov_verdicts(result.stdout).items() if k[1] == rule},
                      {k: v for k, v in truth.items() if k[1] == rule})
        print(f"  {rule:20} policycheck {dict(mine)}   {check:12} checkov {dict(other)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
