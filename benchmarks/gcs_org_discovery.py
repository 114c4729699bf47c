"""Discover and scan every project of a GCP organisation: Cloud Resource Manager v3 plus Cloud Storage, over HTTP.

Starts the tests' Resource Manager server (tests/providers/gcs/fake_resource_manager.py) and JSON API
server (fake_gcs.py) on 127.0.0.1 with a fixed latency per request, builds an organisation of
``--folders`` top-level folders, each with ``--depth`` nested sub-folders, ``--projects`` projects
spread over all folders (a tenth DELETE_REQUESTED) and ``--buckets`` buckets per project, then runs the
gcs provider with ``--gcp-organization`` for each ``--workers`` count. Prints wall time of discovery
and of the whole collection, Resource Manager requests, projects per second and the peak number of
requests the servers answered at once. Then the whole pack's attributes of every bucket (every lazy
group read) with ``--gcp-source api`` and ``--gcp-source inventory`` (the tests' Cloud Asset Inventory
server, fake_cloud_asset.py, indexing the same estate): requests per bucket of each, and whether the
attributes are identical.

    python benchmarks/gcs_org_discovery.py                             # 20 folders x depth 3, 500 projects
    python benchmarks/gcs_org_discovery.py --projects 2000 --latency 0.04 --workers 1 16 32
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.gcs import GcsProvider
from policycheck.providers.gcs.hierarchy import ResourceManager, projects_under

HERE = Path(__file__).resolve().parent
ORG = "organizations/123456789012"
FRESHNESS = ("raw.collected_from", "raw.inventory_read_time")


def _load(name: str):
    path = HERE.parent / "tests" / "providers" / "gcs" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"gcs_bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def build(crm, gcs, data, folders: int, depth: int, projects: int, buckets: int) -> int:
    """The organisation; how many active projects it holds."""
    leaves = []
    for f in range(folders):
        parent = crm.folder(ORG, f"Region {f:02d}")
        leaves.append(parent)
        for d in range(depth):
            parent = crm.folder(parent, f"Team {f:02d}-{d}")
            leaves.append(parent)
    active = 0
    for p in range(projects):
        project = f"cs-project-{p:05d}"
        deleted = p % 10 == 9
        crm.project(leaves[p % len(leaves)], project, state="DELETE_REQUESTED" if deleted else "ACTIVE")
        active += not deleted
        for b in range(buckets):
            gcs.add(project, data.bucket(f"{project}-b{b}", "EUROPE-WEST3"), bindings=[  # a new bucket's policy
                data.binding("roles/storage.legacyBucketOwner", f"projectEditor:{project}", f"projectOwner:{project}"),
                data.binding("roles/storage.legacyBucketReader", f"projectViewer:{project}")])
    return active


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folders", type=int, default=20)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--buckets", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request (default 0.02)")
    parser.add_argument("--page-size", type=int, default=100, help="items per Resource Manager page")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()

    crm_module, gcs_module, data = _load("fake_resource_manager"), _load("fake_gcs"), _load("resources")
    asset = _load("fake_cloud_asset").FakeCloudAsset(latency=args.latency)
    crm = crm_module.FakeResourceManager(page_size=args.page_size, latency=args.latency)
    gcs = gcs_module.FakeGcs(latency=args.latency)
    active = build(crm, gcs, data, args.folders, args.depth, args.projects, args.buckets)
    asset.mirror(gcs, crm)
    crm.start()
    asset.start()
    os.environ["STORAGE_EMULATOR_HOST"] = gcs.start()
    parents = 1 + args.folders * (1 + args.depth)
    print(f"organisation: {parents} parents (folders {args.folders} x depth {args.depth}), {args.projects} projects "
          f"({active} active), {args.buckets} bucket(s) each; latency {args.latency * 1000:.0f} ms per request")
    try:
        import google.cloud.storage  # noqa: F401  (imported before the clock starts: the first run would pay it)
        import requests

        for workers in args.workers:
            crm.requests.clear()
            started = time.perf_counter()
            found = projects_under(ResourceManager(requests.Session(), endpoint=crm.url, timeout=60), [ORG], workers)
            discovery = time.perf_counter() - started
            assert len(found.projects) == active and not found.problems, (len(found.projects), found.problems)
            discovery_requests = len(crm.requests)
            crm.requests.clear()
            gcs.requests.clear()
            gcs.max_in_flight = 0
            context = ProviderContext(provider="gcs")
            provider = GcsProvider({"organizations": [ORG], "resource_manager_endpoint": crm.url}, context)
            started = time.perf_counter()
            resources = list(provider.collect(CollectPlan(needs={"gcp.storage.bucket": frozenset(
                {"location.jurisdiction"})}, max_workers=workers)))
            total = time.perf_counter() - started
            assert len(resources) == active * args.buckets and not context.problems
            print(f"workers {workers:3d}: discovery {discovery:6.2f} s ({discovery_requests} Resource Manager "
                  f"requests, {active / discovery:7.1f} projects/s); discovery + buckets.list of every project "
                  f"{total:6.2f} s ({len(gcs.requests)} Storage requests, at most {gcs.max_in_flight} at once); "
                  f"progress {context.progress.summary()}")
        compare_sources(crm, gcs, asset, max(args.workers), active * args.buckets)
    finally:
        crm.stop()
        gcs.stop()
        asset.stop()


def compare_sources(crm, gcs, asset, workers: int, buckets: int) -> None:
    """Every attribute of every bucket, from the live API and from Cloud Asset Inventory: requests per bucket."""
    seen = {}
    for source in ("api", "inventory"):
        for server in (crm, gcs, asset):
            server.requests.clear()
        context = ProviderContext(provider="gcs")
        provider = GcsProvider({"organizations": [ORG], "resource_manager_endpoint": crm.url,
                                "asset_endpoint": asset.url, "source": source}, context)
        started = time.perf_counter()
        resources = list(provider.collect(CollectPlan(max_workers=workers)))
        with ThreadPoolExecutor(workers) as pool:  # lazy groups load concurrently, as the engine evaluates
            list(pool.map(lambda resource: resource.load(), resources))
        elapsed = time.perf_counter() - started
        assert len(resources) == buckets and not context.problems, (len(resources), context.problems)
        seen[source] = {r.id: {k: v for k, v in r.known_attributes.items() if k not in FRESHNESS} for r in resources}
        storage, inventory = len(gcs.requests), len(asset.requests)
        print(f"source {source:9s}: {elapsed:6.2f} s with {workers} workers; {len(crm.requests)} Resource Manager, "
              f"{storage} Storage, {inventory} Cloud Asset requests: {(storage + inventory) / buckets:.3f} per "
              f"bucket beyond discovery")
    print(f"identical attributes: {seen['api'] == seen['inventory']}")


if __name__ == "__main__":
    main()
