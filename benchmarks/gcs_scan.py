"""Scan many Cloud Storage buckets through the gcs provider and the built-in pack, over HTTP.

Starts the tests' JSON API server (tests/providers/gcs/fake_gcs.py) on 127.0.0.1 with a fixed
latency per request (a real API round trip is 20-60 ms), fills it with buckets spread over
several projects (half with public access prevention enforced, a tenth with legacy ACLs),
then collects and evaluates them with the engine. Prints wall time, buckets per second and the
API calls by kind, for a sequential run and a concurrent one.

    python benchmarks/gcs_scan.py                       # 5,000 buckets, 5 projects, 20 ms
    python benchmarks/gcs_scan.py --buckets 20000 --latency 0.04 --workers 32
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import sys
import time
from collections import Counter
from pathlib import Path

from policycheck.engine import evaluate
from policycheck.loader import load_packs
from policycheck.policy import attribute_needs
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.gcs import GcsProvider

EVALUATED_ON = dt.date(2026, 6, 1)  # the date the generated estate's ages count to

HERE = Path(__file__).resolve().parent
LOCATIONS = [("EUROPE-WEST3", "region"), ("EU", "multi-region"), ("EUR4", "dual-region"), ("US", "multi-region")]


def _load(name: str):
    path = HERE.parent / "tests" / "providers" / "gcs" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"gcs_bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def fill(server, data, buckets: int, projects: int) -> list[str]:
    names = [f"acme-support-{p:02d}" for p in range(projects)]
    for index in range(buckets):
        location, kind = LOCATIONS[index % len(LOCATIONS)]
        name = f"cs-bucket-{index:06d}"
        fields = {"labels": {"data-classification": "personal", "purpose": "customer-support",
                             "data-owner": "cs-operations", "retention-days": "365",
                             "data-categories": "name__email__order"},
                  "lifecycle": {"rule": [data.delete_rule(age=365)]}}
        if index % 10 == 9:
            fields.update(data.legacy_acl(name, public=index % 20 == 19))
        elif index % 2:
            fields["iamConfiguration"] = {"uniformBucketLevelAccess": {"enabled": True},
                                          "publicAccessPrevention": "inherited"}
        server.add(names[index % projects], data.bucket(name, location, kind, **fields))
    return names


def run(projects: list[str], workers: int) -> tuple[float, int]:
    packs = load_packs(["gdpr-customer-service"], {})
    rules = [rule for pack in packs for rule in pack.rules]
    provider = GcsProvider({"projects": projects}, ProviderContext())
    started = time.perf_counter()
    plan = CollectPlan(needs=attribute_needs(rules), max_workers=workers)
    findings = sum(1 for _ in evaluate(rules, provider.collect(plan), evaluation_date=EVALUATED_ON, workers=workers))
    return time.perf_counter() - started, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=5000)
    parser.add_argument("--projects", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request (default 0.02)")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()

    fake, data = _load("fake_gcs"), _load("resources")
    server = fake.FakeGcs(latency=args.latency)
    os.environ["STORAGE_EMULATOR_HOST"] = server.start()
    try:
        projects = fill(server, data, args.buckets, args.projects)
        for workers in ([1] if not args.skip_sequential else []) + [args.workers]:
            server.requests.clear()
            seconds, findings = run(projects, workers)
            calls = Counter(fake._kind(r.path) for r in server.requests)
            methods = Counter(r.method for r in server.requests)
            print(f"workers={workers:3d}: {args.buckets} buckets in {seconds:6.2f} s "
                  f"({args.buckets / seconds:7.0f} buckets/s), {findings} findings; "
                  f"API calls {dict(sorted(calls.items()))}; methods {dict(methods)}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
