"""How fast, how lean and how frugal with requests is an AWS scan? Against a local moto server.

    python benchmarks/aws_scan.py                 # 100, 500 and 2000 buckets
    python benchmarks/aws_scan.py 2000 --workers 16

For each N it starts a moto server that counts the HTTP requests it answers
(benchmarks/aws_moto_server.py), creates N buckets with a deterministic mix of settings plus
some RDS instances, Aurora clusters and DynamoDB tables, and runs the real CLI
(``python -m policycheck scan --provider aws``) through ``AWS_ENDPOINT_URL`` twice:

(a) the six S3 checks of benchmarks/aws_six_s3_checks.yaml (default encryption, KMS key, public
    access, public access block, lifecycle, object lock), the set Prowler and Cloud Custodian
    were measured on (13 and 14 requests per bucket, 106 s and 133 s at 2000 buckets);
(b) the built-in pack gdpr-customer-service, over every resource type.

It prints wall time, peak RSS of the scanning process, the requests counted at the server and
requests per bucket (S3 requests only, for comparison), so linearity in N is visible, and the
requests the public-exposure cross-check adds: GetBucketPolicyStatus (asked only for buckets whose
policy policycheck judged and the public access block leaves in force) and access point reads
(only for buckets whose policy delegates to access points; none in this estate).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

HERE = Path(__file__).resolve().parent
ACCOUNT = "123456789012"
REGIONS = ("eu-central-1", "eu-west-1", "us-east-1")
SIX_CHECKS = HERE / "aws_six_s3_checks.yaml"
BLOCK = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
CLASSIFICATIONS = ("personal", "internal", "sensitive", "public")


# -- the moto server ------------------------------------------------------------------------------
class Server:
    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, str(HERE / "aws_moto_server.py"), str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.requests()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)

    def requests(self) -> dict[str, dict[str, int]]:
        """Requests answered since the last reset: {"services": {...}, "operations": {...}}."""
        with urllib.request.urlopen(f"{self.url}/_bench/requests", timeout=5) as answer:
            return json.loads(answer.read())

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/_bench/reset", method="POST"), timeout=5)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# -- the estate -----------------------------------------------------------------------------------
def bucket_settings(index: int) -> dict[str, Any]:
    """A deterministic mix: half fully blocked, a fifth public, a third with lifecycle, a seventh locked, ..."""
    return {
        "region": REGIONS[index % len(REGIONS)],
        "encryption": (None, "AES256", "cmk", "aws:kms")[index % 4],
        "block": index % 2 == 0,
        "public_acl": index % 10 == 3,
        "public_policy": index % 10 == 5,
        "tls_policy": index % 3 == 0,
        "lifecycle": index % 3 != 2,
        "versioning": index % 4 < 2,
        "object_lock": index % 7 == 0,
        "tags": {"data-classification": CLASSIFICATIONS[index % 4], "purpose": "customer-support",
                 "data-owner": "cs-platform-team", "retention-days": "365", "data-categories": "name email order"},
    }


def create_bucket(session: Any, keys: dict[str, str], index: int) -> None:
    spec = bucket_settings(index)
    name, region = f"bench-{index:05d}", spec["region"]
    s3 = _client(session, "s3", region)
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=spec["object_lock"],
                     **({} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in spec["tags"].items()]})
    if spec["encryption"]:
        default = {"SSEAlgorithm": "aws:kms" if spec["encryption"] != "AES256" else "AES256"}
        if spec["encryption"] == "cmk":
            default["KMSMasterKeyID"] = keys[region]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default}]})
    if spec["block"]:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(BLOCK, True))
    if spec["public_acl"]:
        s3.put_bucket_acl(Bucket=name, ACL="public-read")
    statements = []
    arn = f"arn:aws:s3:::{name}"
    if spec["tls_policy"]:
        statements.append({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"],
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    if spec["public_policy"]:
        statements.append({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"})
    if statements:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    if spec["versioning"] or spec["object_lock"]:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if spec["lifecycle"]:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
            {"ID": "expire", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 365},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
    if spec["object_lock"]:
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})


def create_databases(session: Any, keys: dict[str, str], count: int) -> None:
    tags = [{"Key": "data-classification", "Value": "personal"}, {"Key": "purpose", "Value": "customer-support"}]
    for index in range(count):
        region = REGIONS[index % len(REGIONS)]
        rds = _client(session, "rds", region)
        rds.create_db_instance(
            DBInstanceIdentifier=f"bench-db-{index}", Engine=("postgres", "mysql")[index % 2],
            EngineVersion=("16.3", "8.0.35")[index % 2], DBInstanceClass="db.t3.micro", MasterUsername="admin_user",
            MasterUserPassword="bench-password", AllocatedStorage=20, StorageEncrypted=index % 3 != 0,
            KmsKeyId=keys[region], BackupRetentionPeriod=7 * (index % 3), PubliclyAccessible=index % 5 == 0,
            Tags=tags)
        dynamodb = _client(session, "dynamodb", region)
        dynamodb.create_table(TableName=f"bench-table-{index}", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST", Tags=tags)
        if index % 2:
            dynamodb.update_time_to_live(TableName=f"bench-table-{index}",
                                         TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    for index, region in enumerate(REGIONS[:2]):
        rds = _client(session, "rds", region)
        rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=f"bench-cluster-{index}",
                                              DBParameterGroupFamily="aurora-postgresql16", Description="bench")
        rds.create_db_cluster(DBClusterIdentifier=f"bench-cluster-{index}", Engine="aurora-postgresql",
                              MasterUsername="admin_user", MasterUserPassword="bench-password", StorageEncrypted=True,
                              KmsKeyId=keys[region], DBClusterParameterGroupName=f"bench-cluster-{index}", Tags=tags)
        rds.create_db_instance(DBInstanceIdentifier=f"bench-cluster-{index}-1", Engine="aurora-postgresql",
                               DBClusterIdentifier=f"bench-cluster-{index}", DBInstanceClass="db.r6g.large")


_CLIENTS: dict[tuple[str, str], Any] = {}


def _client(session: Any, service: str, region: str) -> Any:
    key = (service, region)
    if key not in _CLIENTS:
        _CLIENTS[key] = session.client(service, region_name=region, config=Config(max_pool_connections=32))
    return _CLIENTS[key]


def build_estate(server: Server, buckets: int) -> None:
    os.environ.update(AWS_ENDPOINT_URL=server.url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1")
    session = boto3.Session()
    _CLIENTS.clear()
    for region in REGIONS:  # create clients up front: creating them is not thread-safe
        for service in ("s3", "rds", "dynamodb", "kms"):
            _client(session, service, region)
    keys = {r: _client(session, "kms", r).create_key()["KeyMetadata"]["Arn"] for r in REGIONS}
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: create_bucket(session, keys, i), range(buckets)))
    create_databases(session, keys, max(4, buckets // 100))


# -- the scans ------------------------------------------------------------------------------------
def scan(server: Server, label: str, policy: str, regions: tuple[str, ...], workers: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=server.url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "policycheck", "scan", "--provider", "aws", "--policy", policy,
                   "--workers", str(workers), "-f", "json", "-o", f"{folder}/report.json"]
        for region in regions:
            command += ["--region", region]
        server.reset()
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        stderr = process.stderr.read().decode() if process.stderr else ""
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise RuntimeError(f"scan {label} failed ({code}): {stderr.strip()}")
        report = json.loads(Path(folder, "report.json").read_text())
    requests = server.requests()
    return {"label": label, "wall": wall, "rss_mb": usage.ru_maxrss / 1024,
            "requests": sum(requests["services"].values()), "by_service": requests["services"],
            "policy_status": sum(n for op, n in requests["operations"].items() if op.endswith(" policyStatus")),
            "access_points": sum(n for op, n in requests["operations"].items() if "accesspoint" in op),
            "operations": requests["operations"], "findings": len(report["findings"]),
            "errors": sum(1 for f in report["findings"] if f["result"] == "error"),
            "error_messages": sorted({f["message"] for f in report["findings"] if f["result"] == "error"})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 500, 2000], help="bucket counts")
    parser.add_argument("--workers", type=int, default=16, help="policycheck --workers")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        server = Server()
        try:
            started = time.perf_counter()
            build_estate(server, size)
            print(f"N={size}: estate built in {time.perf_counter() - started:.1f}s", file=sys.stderr)
            for label, policy, regions in (("six S3 checks", str(SIX_CHECKS), ()),
                                           ("gdpr-customer-service", "gdpr-customer-service", REGIONS)):
                result = scan(server, label, policy, regions, args.workers)
                result["buckets"] = size
                rows.append(result)
                print(_line(result), file=sys.stderr)
        finally:
            server.stop()
    print(f"\n{'buckets':>7}  {'scan':<22} {'wall s':>7} {'ms/bucket':>9} {'RSS MB':>7} {'requests':>8} "
          f"{'S3 req/bucket':>13} {'PolicyStatus':>12} {'AP req':>6}  {'findings':>8} {'errors':>6}")
    for r in rows:
        print(f"{r['buckets']:>7}  {r['label']:<22} {r['wall']:>7.1f} {1000 * r['wall'] / r['buckets']:>9.1f} "
              f"{r['rss_mb']:>7.0f} {r['requests']:>8} {r['by_service'].get('s3', 0) / r['buckets']:>13.2f} "
              f"{r['policy_status']:>12} {r['access_points']:>6}  {r['findings']:>8} {r['errors']:>6}")


def _line(r: dict[str, Any]) -> str:
    services = ", ".join(f"{k} {v}" for k, v in sorted(r["by_service"].items()))
    return (f"  {r['label']}: {r['wall']:.1f}s, RSS {r['rss_mb']:.0f} MB, {r['requests']} requests ({services}), "
            f"{r['findings']} findings, {r['errors']} errors")


if __name__ == "__main__":
    main()
