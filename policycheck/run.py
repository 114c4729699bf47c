"""One scan from options to a finished :class:`Report`: load, collect, evaluate, compare."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .baseline import failing_findings, load_report, resolved_since
from .engine import DEFAULT_WORKERS, evaluate
from .errors import ConfigError, PolicycheckError
from .loader import load_packs
from .model import Finding, Resource, Result
from .operators import TODAY
from .policy import PolicyPack, Rule, attribute_needs
from .privacy import ENV_VAR as PSEUDONYM_KEY_ENV
from .provider import BROKEN_PROVIDERS, CollectPlan, Provider, ProviderContext, load_providers, missing_extra_error
from .report import FAILING_RESULTS, CollectionProblem, Report, SkippedRule, Thresholds
from .snapshot import load_snapshot
from .waivers import DEFAULT_MAX_DAYS, WaiverBook, check_waiver_rules, load_waivers

__all__ = [
    "PSEUDONYM_KEY_ENV",
    "ScanOptions",
    "collect_resources",
    "evaluation_date",
    "instantiate",
    "plan_for",
    "provider_context",
    "run_scan",
]


@dataclass
class ScanOptions:
    """Everything one scan needs, already merged from the command line and the config file."""

    policies: list[str]
    params: dict[str, Any] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    snapshots: list[Path] = field(default_factory=list)
    waivers: Path | None = None
    max_waiver_days: int = DEFAULT_MAX_DAYS
    baseline: Path | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    workers: int = DEFAULT_WORKERS
    keep_passed: bool = True
    reveal_identities: bool = False
    today: dt.date | None = None


def evaluation_date(today: dt.date | None) -> dt.date:
    """The pinned date, else today (UTC)."""
    return today or dt.datetime.now(dt.UTC).date()


def provider_context(reveal: bool) -> ProviderContext:
    """Run-wide provider settings; the pseudonym key comes from the environment."""
    key = os.environ.get(PSEUDONYM_KEY_ENV, "")
    return ProviderContext(reveal_identities=reveal, pseudonym_key=key.encode())


def instantiate(name: str, config: dict[str, Any], context: ProviderContext) -> Provider:
    """The provider registered as ``name``, set up with its config; ConfigError for an unknown or broken one."""
    registry = load_providers()
    if name in BROKEN_PROVIDERS:
        raise ConfigError(BROKEN_PROVIDERS[name])
    try:
        cls = registry.get(name)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0]), source="--provider") from None
    return cls(config, context)


def collect_resources(providers: dict[str, Provider], plan: CollectPlan) -> Iterator[Resource]:
    """Resources from every provider in turn.

    A provider failing before anything at all was collected stops the run (exit 2: usually
    credentials or configuration). Once resources have been collected, a failure is kept as
    a collection problem instead, so the partial results are still evaluated and written.
    """
    collected = 0
    for name, provider in providers.items():
        try:
            for resource in provider.collect(plan):
                collected += 1
                yield resource
        except ImportError as exc:
            raise missing_extra_error(name, provider.extra, exc) from exc
        except PolicycheckError as exc:
            if not collected:
                raise
            provider.context.report_problem("collection stopped", str(exc))


def run_scan(options: ScanOptions, *, progress: Callable[[Resource], None] | None = None) -> Report:
    """Load the packs, collect, evaluate and compare with the baseline; the finished report."""
    started = dt.datetime.now(dt.UTC)
    today = evaluation_date(options.today)
    packs = load_packs(options.policies, options.params)
    rules = [rule for pack in packs for rule in pack.rules]
    waivers = load_waivers(options.waivers, today=today, max_days=options.max_waiver_days) if options.waivers else []
    check_waiver_rules(waivers, [rule.id for rule in rules])
    book = WaiverBook.of(waivers, today)
    baseline = load_report(options.baseline) if options.baseline else None
    if not options.providers and not options.snapshots:
        raise ConfigError("nothing to scan: give --snapshot FILE or --provider NAME (or providers in the config "
                          "file); try 'policycheck demo' for a built-in example estate")
    contexts = {name: provider_context(options.reveal_identities) for name in options.providers}
    providers = {name: instantiate(name, config, contexts[name]) for name, config in options.providers.items()}
    # waivers that select by tag read those tags too: collect them even when no rule does
    plan = CollectPlan(needs=attribute_needs(rules, also=book.attributes()), max_workers=options.workers)
    snapshots = [load_snapshot(path) for path in options.snapshots]  # a broken file stops before any scan
    resources: Iterable[Resource] = itertools.chain(
        *(snapshot.resources() for snapshot in snapshots), collect_resources(providers, plan))
    by_type: Counter[str] = Counter()

    def seen(resource: Resource) -> None:
        by_type[resource.type] += 1
        if progress:
            progress(resource)

    skips: Counter[tuple[str, str, str, str]] = Counter()
    lock = threading.Lock()

    def skipped(rule: Rule, resource: Resource, reason: str) -> None:  # called from worker threads
        with lock:
            skips[rule.id, resource.type, resource.provider, reason] += 1

    findings, tally, omitted = _evaluate(rules, resources, book, options, today, seen, skipped)
    report = Report(
        findings=findings, rules=rules, packs=packs, thresholds=options.thresholds, started=started,
        finished=started, evaluated_on=today, resources_by_type=dict(by_type), waivers_active=book.active,
        waivers_expired=book.expired, tally=tally, omitted_passes=omitted, version=__version__,
        problems=sorted([  # reported from worker threads: sort
            *(CollectionProblem(name, scope, message)
              for name, context in contexts.items() for scope, message in context.problems),
            *(CollectionProblem(p["provider"], p["scope"], f"{p['message']} (recorded in {snapshot.source})")
              for snapshot in snapshots for p in snapshot.problems),
        ], key=lambda p: (p.provider, p.scope, p.message)),
        sources=[str(p) for p in options.snapshots] + list(options.providers),
        skipped=[SkippedRule(*key, count) for key, count in sorted(skips.items())],
    )
    if baseline is not None:
        report.baseline = set(failing_findings(baseline))
        report.baseline_source = str(options.baseline)
        current = {f.fingerprint for f in report.findings if f.result in FAILING_RESULTS}
        report.resolved = resolved_since(baseline, current)
    report.finished = dt.datetime.now(dt.UTC)
    return report


def _evaluate(rules: list[Rule], resources: Iterable[Resource], book: WaiverBook, options: ScanOptions,
              today: dt.date, seen: Callable[[Resource], None], skipped: Callable[[Rule, Resource, str], None],
              ) -> tuple[list[Finding], Counter[tuple[str, str]], int]:
    """Findings kept for the report, the (severity, result) tally of all of them, and how many passes were left out.

    Date operators evaluate as of ``today`` (the same date the waivers were checked against).
    """
    findings = []
    tally: Counter[tuple[str, str]] = Counter()
    omitted = 0
    TODAY.value = today
    try:
        for finding in evaluate(rules, resources, book, workers=options.workers, on_resource=seen,
                                on_skip=skipped):
            tally[finding.severity.label, finding.result.value] += 1
            if finding.result is Result.PASS and not options.keep_passed:
                omitted += 1
                continue
            findings.append(finding)
    finally:
        TODAY.value = None
    return findings, tally, omitted


def plan_for(packs: list[PolicyPack]) -> CollectPlan:
    """What to collect for the rules of ``packs``."""
    return CollectPlan(needs=attribute_needs([r for p in packs for r in p.rules]))
