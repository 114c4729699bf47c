"""An AWS Organization of 50 accounts x 40 buckets on a moto server with per-request latency, scanned
with the full built-in pack unsharded and as 2 and 4 shard processes (``--shard I/N``) that are merged.

    python benchmarks/org_scan.py --latency-ms 30                  # 50 x 40, shards 1, 2, 4
    python benchmarks/org_scan.py --accounts 10 --buckets 10 --latency-ms 30 --shards 1 2

Prints, per run: wall time (the slowest shard), requests per bucket (every HTTP request the scan
made, counted by the server, divided by the buckets), and the peak RSS of each shard process; then
checks that the merge of every sharded run equals the unsharded report (fingerprints, results,
summary). The server adds ``--latency-ms`` before answering each request, as a remote API does.

``--source config`` scans with ``--aws-source config`` (each account's AWS Config items, 100 buckets per
``BatchGetResourceConfig``) and checks that its unsharded report equals the ``--aws-source api`` one.
moto's Config records a bucket's policy, ACL, public access block, tags, lifecycle and logging but not its
encryption, versioning, replication or Object Lock, so those calls still go to S3 per bucket here; the
Config-held attributes alone are measured in ``tests/providers/aws/test_s3_config.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROLE = "OrganizationAccountAccessRole"


def serve(port: int, latency: float) -> None:
    """The counting moto server of aws_moto_server.py, answering each request ``latency`` seconds late."""
    sys.path.insert(0, str(HERE))
    from aws_moto_server import CountingMiddleware
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    counting = CountingMiddleware(DomainDispatcherApplication(create_backend_app))

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if latency and not environ.get("PATH_INFO", "").startswith("/_bench/"):
            time.sleep(latency)
        return counting(environ, start_response)

    run_simple("127.0.0.1", port, app, threaded=True)


def build(url: str, accounts: int, buckets: int) -> None:
    """The organisation: ``accounts`` accounts (the management one included) with ``buckets`` buckets each."""
    import boto3

    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    org = session.client("organizations", endpoint_url=url)
    org.create_organization(FeatureSet="ALL")
    members = [org.create_account(AccountName=f"cs-{n:02d}", Email=f"cs-{n:02d}@example.com")
               ["CreateAccountStatus"]["AccountId"] for n in range(accounts - 1)]
    sts = session.client("sts", endpoint_url=url)

    def fill(n: int, account: str | None) -> None:
        if account is None:
            s3 = session.client("s3", endpoint_url=url)
        else:
            creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="setup")[
                "Credentials"]
            s3 = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                               aws_session_token=creds["SessionToken"], region_name="us-east-1"
                               ).client("s3", endpoint_url=url)
        for b in range(buckets):
            name = f"org-{n:02d}-data-{b:03d}"
            s3.create_bucket(Bucket=name)
            tags = [{"Key": "data-classification", "Value": "personal" if b % 3 else "internal"},
                    {"Key": "purpose", "Value": "customer-support"}, {"Key": "owner", "Value": f"team-{n}"}]
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
            if b % 2:
                s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
            if b % 4 == 0:
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    threads = [threading.Thread(target=fill, args=(n, a)) for n, a in enumerate([None, *members])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def requests(url: str, reset: bool = False) -> int:
    if reset:
        urllib.request.urlopen(urllib.request.Request(f"{url}/_bench/reset", method="POST"), timeout=10)
        return 0
    with urllib.request.urlopen(f"{url}/_bench/requests", timeout=10) as answer:
        return sum(json.load(answer)["services"].values())


def run_shards(url: str, folder: Path, count: int, source: str = "api", tag: str = "") -> dict[str, Any]:
    """Run shards 1..count as parallel processes; wall time, requests, each process's peak RSS."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": url, "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    requests(url, reset=True)
    names = [folder / (f"{tag}n{count}-shard-{i}.json" if count > 1 else f"{tag}whole.json")
             for i in range(1, count + 1)]
    started = time.perf_counter()
    processes = []
    for index, name in enumerate(names, 1):
        command = [sys.executable, "-m", "policycheck", "scan", "--provider", "aws", "--org-role", ROLE, "--region",
                   "us-east-1", "--evaluation-date", "2026-11-02", "--aws-source", source, "-f", f"json={name}"]
        if count > 1:
            command += ["--shard", f"{index}/{count}"]
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    rss = []
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        rss.append(usage.ru_maxrss / 1024)
        if process.returncode not in (0, 1):
            raise SystemExit(f"shard failed ({process.returncode}): {process.stderr.read().decode()}")
    wall = time.perf_counter() - started
    made = requests(url)
    if count > 1:
        subprocess.run([sys.executable, "-m", "policycheck", "merge", *map(str, names), "-o",
                        str(folder / f"{tag}n{count}-merged.json")], check=False, stdout=subprocess.DEVNULL)
    return {"count": count, "wall": wall, "requests": made, "rss": rss}


def comparable(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("started", "finished"):
        document["run"].pop(key)
    return document


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--buckets", type=int, default=40, help="buckets per account")
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--source", choices=("api", "config"), default="api", help="--aws-source of the scans")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.latency_ms / 1000)
        return 0
    if args.build:
        build(args.build, args.accounts, args.buckets)
        return 0
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--latency-ms", str(args.latency_ms)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                requests(url)
                break
            except OSError:
                time.sleep(0.1)
        started = time.perf_counter()
        # built in another process: a scan forked from a driver holding 50 sessions would inherit its peak RSS
        subprocess.run([sys.executable, __file__, "--build", url, "--accounts", str(args.accounts), "--buckets",
                        str(args.buckets)], check=True)
        total = args.accounts * args.buckets
        print(f"organisation: {args.accounts} accounts x {args.buckets} buckets = {total} buckets, "
              f"{args.latency_ms:g} ms per request (built in {time.perf_counter() - started:.0f} s)")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for count in sorted(set(args.shards)):
                outcome = run_shards(url, folder, count, args.source)
                rss = ", ".join(f"{r:.0f}" for r in outcome["rss"])
                print(f"  shards {count}: wall {outcome['wall']:6.1f} s   requests {outcome['requests']:6d} "
                      f"({outcome['requests'] / total:.2f} per bucket)   peak RSS per process (MiB): {rss}")
            if 1 in args.shards:
                whole = comparable(folder / "whole.json")
                for count in sorted(set(args.shards) - {1}):
                    same = comparable(folder / f"n{count}-merged.json") == whole
                    print(f"  merge of {count} shards equals the unsharded report: {same}")
                    if not same:
                        return 1
            if args.source != "api" and 1 in args.shards:
                outcome = run_shards(url, folder, 1, "api", tag="api-")
                print(f"  --aws-source api: wall {outcome['wall']:6.1f} s   requests {outcome['requests']:6d} "
                      f"({outcome['requests'] / total:.2f} per bucket)")
                same = comparable(folder / "api-whole.json") == comparable(folder / "whole.json")
                print(f"  --aws-source {args.source} report equals the --aws-source api report: {same}")
                if not same:
                    return 1
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
