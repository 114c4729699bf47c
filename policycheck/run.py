"""One scan from options to a finished :class:`Report`: load, collect, evaluate, compare."""

from __future__ import annotations

import datetime as dt
import itertools
import os
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
from .model import Resource, Result
from .policy import PolicyPack, Rule, attribute_needs
from .provider import BROKEN_PROVIDERS, CollectPlan, Provider, ProviderContext, load_providers, missing_extra_error
from .report import CollectionProblem, Report, Thresholds
from .snapshot import read_snapshot
from .waivers import DEFAULT_MAX_DAYS, WaiverBook, load_waivers

PSEUDONYM_KEY_ENV = "POLICYCHECK_PSEUDONYM_KEY"


@dataclass
class ScanOptions:
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
    return today or dt.datetime.now(dt.UTC).date()


def provider_context(reveal: bool) -> ProviderContext:
    key = os.environ.get(PSEUDONYM_KEY_ENV, "")
    return ProviderContext(reveal_identities=reveal, pseudonym_key=key.encode())


def instantiate(name: str, config: dict[str, Any], context: ProviderContext) -> Provider:
    registry = load_providers()
    if name in BROKEN_PROVIDERS:
        raise ConfigError(BROKEN_PROVIDERS[name])
    try:
        cls = registry.get(name)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0]), source="--provider") from None
    return cls(config, context)


def collect(providers: dict[str, Provider], plan: CollectPlan) -> Iterator[Resource]:
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
    started = dt.datetime.now(dt.UTC)
    today = evaluation_date(options.today)
    packs = load_packs(options.policies, options.params)
    rules = [rule for pack in packs for rule in pack.rules]
    waivers = load_waivers(options.waivers, today=today, max_days=options.max_waiver_days) if options.waivers else []
    book = WaiverBook.of(waivers, today)
    baseline = load_report(options.baseline) if options.baseline else None
    if not options.providers and not options.snapshots:
        raise ConfigError("nothing to scan: give --snapshot FILE or --provider NAME (or providers in the config "
                          "file); try 'policycheck demo' for a built-in example estate")
    contexts = {name: provider_context(options.reveal_identities) for name in options.providers}
    providers = {name: instantiate(name, config, contexts[name]) for name, config in options.providers.items()}
    plan = CollectPlan(needs=attribute_needs(rules), max_workers=options.workers)
    resources: Iterable[Resource] = itertools.chain(
        *(read_snapshot(path) for path in options.snapshots), collect(providers, plan))
    by_type: Counter[str] = Counter()

    def seen(resource: Resource) -> None:
        by_type[resource.type] += 1
        if progress:
            progress(resource)

    report = _evaluate_into_report(rules, resources, book, options, seen)
    report.packs, report.started, report.evaluated_on = packs, started, today
    report.resources_by_type = dict(by_type)
    report.problems = [CollectionProblem(name, scope, message)
                       for name, context in contexts.items() for scope, message in context.problems]
    report.sources = [str(p) for p in options.snapshots] + list(options.providers)
    if baseline is not None:
        report.baseline = set(failing_findings(baseline))
        report.baseline_source = str(options.baseline)
        current = {f.fingerprint for f in report.findings if f.result in (Result.FAIL, Result.ERROR)}
        report.resolved = resolved_since(baseline, current)
    report.finished = dt.datetime.now(dt.UTC)
    return report


def _evaluate_into_report(rules: list[Rule], resources: Iterable[Resource], book: WaiverBook,
                          options: ScanOptions, seen: Callable[[Resource], None]) -> Report:
    from .operators import TODAY

    TODAY.value = evaluation_date(options.today)
    findings = []
    tally: Counter[tuple[str, str]] = Counter()
    omitted = 0
    try:
        for finding in evaluate(rules, resources, book, workers=options.workers, on_resource=seen):
            tally[finding.severity.label, finding.result.value] += 1
            if finding.result is Result.PASS and not options.keep_passed:
                omitted += 1
                continue
            findings.append(finding)
    finally:
        TODAY.value = None
    now = dt.datetime.now(dt.UTC)
    return Report(findings=findings, rules=rules, packs=[], thresholds=options.thresholds, started=now,
                  finished=now, evaluated_on=now.date(), waivers_active=book.active, waivers_expired=book.expired,
                  tally=tally, omitted_passes=omitted, version=__version__)


def plan_for(packs: list[PolicyPack]) -> CollectPlan:
    return CollectPlan(needs=attribute_needs([r for p in packs for r in p.rules]))
