"""Stream 1,000,000 device rows through the devices provider and the device rules.

Generates a policycheck-format CSV (or an Intune admin-centre CSV with ``--format intune-csv``)
and a staff register in a temporary folder, then reads it with ``DeviceProvider.collect`` and
evaluates every device against the home-office rules with the engine. Prints rows per second
and the resident memory at checkpoints and at peak; the memory must stay flat as rows go by.

    python benchmarks/devices_stream.py                 # 1,000,000 rows
    python benchmarks/devices_stream.py --rows 200000 --format intune-csv
    python benchmarks/devices_stream.py --rows 100000 --processes 1 --policy gdpr-customer-service

With ``--processes N`` (default: the number of cores) the file is read by N processes, each taking
one shard (``devices.shard: i/N``: every N-th row), as N CI jobs of a ``--shard`` matrix would.
``--policy`` evaluates a policy file or built-in pack instead (its device rules: what users run).

Targets: 1,000,000 rows in under 60 s on a 2-core machine, memory flat (issue 5); one process
evaluates at least 20,000 rows per CPU second, so a million rows take under 60 s on one core, and N
processes scale linearly (issue 16). The last line reports rows per CPU second of the busiest process.

With ``--report json,sarif`` each process runs the real scan path instead (``run_scan`` with the
full built-in GDPR pack, the one ``policycheck scan --provider devices`` loads, every finding kept)
and writes those formats to files, as ``scan -f json=... -f sarif=...`` does; it prints rows per
CPU-second and the peak resident memory (issue 16: 1,000,000 rows under 400 MB):

    python benchmarks/devices_stream.py --rows 1000000 --processes 1 --report json,sarif
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from policycheck.engine import evaluate
from policycheck.loader import load_packs
from policycheck.policy import attribute_needs
from policycheck.provider import CollectPlan, ProviderContext
from policycheck.providers.devices import DeviceProvider

AS_OF = date(2026, 11, 2)
PEOPLE = 20_000

RULES = """\
apiVersion: policycheck/v1
kind: PolicyPack
metadata: {name: home-office-benchmark, version: "1.0.0"}
rules:
  - {id: HO-ENC, title: Disk encrypted, severity: high, resources: [device],
     require: {attr: encryption.at_rest, equals: true}}
  - {id: HO-LOCK, title: Screen lock within 10 minutes, severity: medium, resources: [device],
     require: {all: [{attr: screen_lock.enabled, equals: true}, {attr: screen_lock.timeout_minutes, lte: 10}]}}
  - {id: HO-FW, title: Firewall on, severity: medium, resources: [device],
     require: {attr: firewall.enabled, equals: true}}
  - {id: HO-OS, title: Supported macOS, severity: medium, resources: [device],
     when: {attr: os.name, equals: macOS}, require: {attr: os.version, version_gte: "14.0"}}
  - {id: HO-WIN, title: Supported Windows build, severity: medium, resources: [device],
     when: {attr: os.name, equals: Windows}, require: {attr: os.version, version_gte: "10.0.19045"}}
  - {id: HO-SEEN, title: Checked in within 30 days, severity: low, resources: [device],
     require: {attr: last_seen_days, lte: 30}}
  - {id: HO-LOC, title: Home country allowed, severity: high, resources: [device],
     require: {attr: location.jurisdiction, in: [EU, EEA, adequacy]}}
  - {id: HO-AGR, title: Agreements signed, severity: high, resources: [device],
     require: {all: [{attr: agreements.home_office, equals: true}, {attr: agreements.confidentiality, equals: true}]}}
  - {id: HO-TRAIN, title: Training within a year, severity: medium, resources: [device],
     require: {attr: training.age_days, lte: 365}}
  - {id: HO-MDM, title: Managed, severity: medium, resources: [device], require: {attr: managed, equals: true}}
"""

OSES = (("macOS", ("13.6.9", "14.7.1", "15.1")), ("Windows", ("10.0.19045.5011", "10.0.22631.4460")),
        ("Ubuntu", ("22.04.5", "24.04.1")))
COUNTRIES = ("DE", "FR", "IT", "NL", "AT", "PL", "NO", "CH", "GB", "US")


def write_register(path: Path, rng: random.Random) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["user_principal_name", "home_office_agreement_signed", "confidentiality_signed", "last_training",
                    "home_country"])
        for i in range(PEOPLE):
            day = (AS_OF - timedelta(days=rng.randrange(20, 700))).isoformat()
            w.writerow([f"agent{i:06d}@example.com", day if i % 17 else "", day, day, COUNTRIES[i % len(COUNTRIES)]])


def write_native(path: Path, rows: int, rng: random.Random) -> None:
    now = datetime.combine(AS_OF, datetime.min.time(), UTC)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["device_id", "serial", "hostname", "owner", "os_name", "os_version", "disk_encrypted",
                    "screen_lock_enabled", "screen_lock_timeout_minutes", "firewall_enabled", "last_seen", "managed",
                    "compliance_state"])
        for i in range(rows):
            os_name, versions = OSES[i % 3]
            seen = (now - timedelta(minutes=rng.randrange(0, 90 * 1440))).isoformat().replace("+00:00", "Z")
            owner = f"agent{rng.randrange(PEOPLE + 500):06d}@example.com"  # some owners are not in the register
            w.writerow([f"dev-{i:07d}", f"SN{i:08X}", f"cs-lt-{i:07d}", owner, os_name, versions[i % len(versions)],
                        "true" if i % 11 else "false", "true", 5 + i % 15, "true" if i % 13 else "false", seen,
                        "true", "compliant"])


def write_intune(path: Path, rows: int, rng: random.Random) -> None:
    now = datetime.combine(AS_OF, datetime.min.time(), UTC)
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL)
        w.writerow(["Device ID", "Device name", "Last check-in", "OS version", "Serial number", "Primary user UPN",
                    "Compliance", "Managed by", "Encrypted", "OS"])
        for i in range(rows):
            seen = (now - timedelta(minutes=rng.randrange(0, 90 * 1440))).strftime("%Y-%m-%d %H:%M:%S.0000000")
            w.writerow([f"{i:08x}-1f3d-4e6a-8b7c-0d1e2f3a4b5c", f"CS-LT-{i:07d}", seen,
                        ("10.0.19045.5011", "10.0.22631.4460")[i % 2], f"PF{i:08X}",
                        f"agent{rng.randrange(PEOPLE + 500):06d}@example.com", "Compliant", "Intune",
                        "True" if i % 11 else "False", "Windows"])


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("policycheck-csv", "intune-csv"), default="policycheck-csv")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="shards read in parallel")
    parser.add_argument("--policy", help="a policy file or built-in pack instead of the home-office rules, e.g. "
                        "gdpr-customer-service (what 'policycheck scan' runs by default)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--report", default="", metavar="FORMATS",
                        help="run the real scan (full built-in pack) writing these formats, e.g. json,sarif")
    args = parser.parse_args()
    rng = random.Random(5)
    workdir = Path(tempfile.mkdtemp(prefix="pc-devices-bench-"))
    inventory, register, rules = workdir / "inventory.csv", workdir / "staff.csv", workdir / "rules.yaml"
    started = time.perf_counter()
    write_register(register, rng)
    (write_native if args.format == "policycheck-csv" else write_intune)(inventory, args.rows, rng)
    rules.write_text(RULES)
    size = inventory.stat().st_size / 2**20
    print(f"generated {args.rows:,} rows ({size:,.0f} MiB, {args.format}) in {time.perf_counter() - started:.1f} s")

    formats = [f.strip() for f in args.report.split(",") if f.strip()]
    jobs = [(args.format, str(inventory), str(register), args.policy or str(rules), args.rows, i, args.processes)
            for i in range(args.processes)]
    work = run_shard
    if formats:
        work = scan_shard
        jobs = [(args.format, str(inventory), str(register), ",".join(formats), str(workdir), i, args.processes)
                for i in range(args.processes)]
    started = time.perf_counter()
    if args.processes == 1:
        outcomes = [work(*jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            outcomes = pool.starmap(work, jobs)
    elapsed = time.perf_counter() - started
    seen = sum(o["devices"] for o in outcomes)
    results: Counter[str] = Counter()
    for outcome in outcomes:
        results.update(outcome["results"])
    print(f"{seen:,} devices, {sum(results.values()):,} findings {dict(results)}")
    print(f"{seen / elapsed:,.0f} rows/s; {elapsed:.1f} s with {args.processes} process(es); peak RSS per process "
          + ", ".join(f"{o['peak']:.1f}" for o in outcomes) + " MiB")
    busiest = max(o["cpu"] for o in outcomes)
    print(f"on an otherwise idle machine with {args.processes} core(s): about {busiest:.0f} s "
          f"({seen / busiest:,.0f} rows/s), from the CPU time of the busiest process")
    for outcome in outcomes:
        for name, size in outcome.get("outputs", {}).items():
            print(f"  wrote {name} ({size / 2**20:,.1f} MiB)")
    if not args.keep:
        shutil.rmtree(workdir)
    return 0 if seen == args.rows else 1


def run_shard(fmt: str, inventory: str, register: str, rules: str, rows: int, index: int, count: int) -> dict:
    """Collect and evaluate one shard; prints progress with the resident memory at checkpoints."""
    packs = load_packs([rules])
    rule_list = [r for p in packs for r in p.rules]
    config = {"inventories": [f"{fmt}:{inventory}"], "register": register, "as_of": AS_OF.isoformat(),
              "shard": f"{index}/{count}"}
    provider = DeviceProvider(config, ProviderContext(pseudonym_key=b"benchmark-pseudonym-key-0123456789"))
    plan = CollectPlan(needs=attribute_needs(rule_list))
    share = len(range(index, rows, count))
    checkpoints = {share // 10, share // 2, share}
    results: Counter[object] = Counter()
    seen = 0
    started, cpu_started = time.perf_counter(), time.process_time()

    def progress(_resource: object) -> None:
        nonlocal seen
        seen += 1
        if seen in checkpoints:
            elapsed = time.perf_counter() - started
            print(f"  shard {index}/{count}: {seen:>9,} rows  {seen / elapsed:>8,.0f} rows/s  RSS {rss_mib():6.1f} MiB",
                  flush=True)

    for finding in evaluate(rule_list, provider.collect(plan), evaluation_date=AS_OF, workers=1,
                            on_resource=progress):
        results[finding.result] += 1  # by result (a str enum), named once at the end
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time() - cpu_started
    print(f"  shard {index}/{count}: {seen:,} rows in {time.perf_counter() - started:.1f} s wall, {cpu:.1f} s CPU "
          f"({seen / cpu:,.0f} rows per CPU second)", flush=True)
    return {"devices": seen, "results": {str(result): count for result, count in results.items()}, "peak": peak,
            "cpu": cpu}


def scan_shard(fmt: str, inventory: str, register: str, formats: str, workdir: str, index: int,
               count: int) -> dict:
    """The real scan of one shard (``run_scan`` with the default pack, as ``policycheck scan`` runs it), its
    report written in ``formats`` to files in ``workdir``."""
    from policycheck.context import RunContext
    from policycheck.outputs import resolve_outputs, write_outputs
    from policycheck.resolution import flag_key, resolve
    from policycheck.run import run_scan

    flags = {flag_key("devices", "inventories"): (f"{fmt}:{inventory}",), flag_key("devices", "register"): register,
             "evaluation_date": AS_OF.isoformat(), "workers": 1,
             **({"shard": f"{index + 1}/{count}"} if count > 1 else {})}
    settings = resolve(None, flags, provider_names=("devices",), read_config=False,
                       env={"POLICYCHECK_PSEUDONYM_KEY": "benchmark-pseudonym-key-0123456789"})
    context = RunContext.build(settings.run, env={})
    seen = 0
    started, cpu_started = time.perf_counter(), time.process_time()

    def progress(_resource: object) -> None:
        nonlocal seen
        seen += 1
        if seen % 100_000 == 0:
            print(f"  shard {index + 1}/{count}: {seen:>9,} rows  RSS {rss_mib():6.1f} MiB", flush=True)

    report = run_scan(settings, context, progress=progress)
    evaluated = time.process_time() - cpu_started
    outputs = resolve_outputs([f"{name}={Path(workdir) / f'report-{index + 1}.{name}'}" for name in formats.split(",")],
                              [], [])
    failures = write_outputs(report, outputs)
    if failures:
        raise SystemExit("; ".join(failures))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time() - cpu_started
    print(f"  shard {index + 1}/{count}: {seen:,} rows, {len(report.findings):,} findings in "
          f"{time.perf_counter() - started:.1f} s wall, {cpu:.1f} s CPU ({evaluated:.1f} s scan, "
          f"{cpu - evaluated:.1f} s writing {formats}): {seen / cpu:,.0f} rows per CPU second; peak RSS {peak:.0f} MiB",
          flush=True)
    return {"devices": seen, "results": {r: sum(n for (_, res), n in report.tally.items() if res == r)
                                         for r in ("pass", "fail", "error", "waived")},
            "peak": peak, "cpu": cpu, "outputs": {o.path: Path(o.path).stat().st_size for o in outputs}}


if __name__ == "__main__":
    sys.exit(main())
