"""The run layer: each command's work, from resolved settings and a run context to its result.

The CLI only parses and hands off to these functions; they know no click and no terminal.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .attributes import RESOURCE_TYPES
from .concurrency import map_bounded
from .context import RunContext
from .deadline import Deadline, TimedOut, within
from .edges import EdgeWatch
from .engine import evaluate
from .errors import ConfigError, PolicycheckError
from .loader import Overrides, load_packs
from .model import CollectionProblem, Resource, Result, Severity
from .policy import PolicyPack, Rule, attribute_needs
from .provider import CollectPlan, Provider, load_providers, missing_extra_error
from .report import FAILING_RESULTS, Report, ShardRecord, SkippedRule
from .report_file import read_report
from .resolution import Resolved
from .selection import RuleSelection, select_rules
from .shard import RESOURCE_ID, WHOLE
from .snapshot import load_snapshot, write_snapshot
from .spool import FindingStore
from .waivers import WaiverBook, check_waiver_rules, load_waivers

__all__ = [
    "CollectOutcome",
    "collect_resources",
    "demo_configs",
    "input_paths",
    "instantiate",
    "load_rules",
    "permissions_documents",
    "plan_for",
    "run_collect",
    "run_policy_tests",
    "run_scan",
]


def load_rules(settings: Resolved) -> list[PolicyPack]:
    """The packs the settings name, with their param overrides, holding only the selected rules."""
    return load_selected(settings)[0]


def load_selected(settings: Resolved) -> tuple[list[PolicyPack], RuleSelection]:
    """The selected packs (see :func:`load_rules`) and the record of what the selection changed."""
    run = settings.run
    sources = {name: settings.origins.get(f"params.{name}", "--param") for name in run.params}
    packs = load_packs(run.policy_specs(), Overrides(run.params, sources))
    criteria = {"select_rules": run.select_rules, "skip_rules": run.skip_rules,
                "severities": tuple(sorted(run.severity_choices(), key=Severity.parse)), "references": run.references}
    return select_rules(packs, criteria, run.rules, settings.origins)


def input_paths(settings: Resolved) -> list[str]:
    """Every file the run reads (config, policies, waivers, baseline, providers' files): no output may be one."""
    found = [settings.config_source or "", *settings.run.input_paths()]
    for provider_settings in settings.providers.values():
        found += provider_settings.input_paths()
    return [path for path in found if path]


def plan_for(packs: list[PolicyPack], *, also: Iterable[str] = (), workers: int = 16) -> CollectPlan:
    """What to collect for the rules of ``packs`` (``also``: attributes waivers select by)."""
    return CollectPlan(needs=attribute_needs([r for p in packs for r in p.rules], also=also), max_workers=workers)


def instantiate(settings: Resolved, context: RunContext) -> dict[str, Provider]:
    """The chosen providers, each with its settings and its own provider context."""
    registry = load_providers()
    return {name: registry.get(name)(values, context.for_provider(name, timeout=getattr(values, "timeout", None)))
            for name, values in settings.providers.items()}


def collect_resources(providers: dict[str, Provider], plan: CollectPlan) -> Iterator[Resource]:
    """Resources from every provider in turn.

    A provider failing before anything at all was collected stops the run (exit 2: usually
    credentials or configuration). Once resources have been collected, a failure is kept as
    a collection problem instead, so the partial results are still evaluated and written.
    When a provider's deadline (its own ``timeout`` or the run's) passes, what it has not listed
    yet is a collection problem "timed out"; its own limit counts from when its listing begins.
    """
    collected = 0
    for name, provider in providers.items():
        context = provider.context
        deadline = context.deadline
        deadline.begin()
        if deadline.passed():
            deadline.expire()
            context.report_problem("collection", f"{deadline.message()} before listing began")
            continue
        try:
            for resource in within(provider.collect(plan), deadline):
                collected += 1
                if context.keeps(resource):  # a provider that does not shard itself is split by resource id
                    yield resource
        except ImportError as exc:
            raise missing_extra_error(name, provider.extra, exc) from exc
        except TimedOut as exc:
            context.report_problem("collection", f"{exc} while listing: resources not listed by then are unknown")
        except PolicycheckError as exc:
            if not collected:
                raise
            provider.context.report_problem("collection stopped", str(exc))


def deadline_by_provider(providers: dict[str, Provider], run: Deadline) -> Callable[[Resource], Deadline]:
    """The deadline a resource is read under: its provider's (which includes the run's), else the run's."""
    table = {name: provider.context.deadline for name, provider in providers.items()}
    return lambda resource: table.get(resource.provider, run)


def problems_of(providers: dict[str, Provider]) -> list[CollectionProblem]:
    """Every provider's collection problems, in a stable order (they are reported from worker threads)."""
    return sorted(p for provider in providers.values() for p in provider.context.problems)


# -- scan ------------------------------------------------------------------------------------------
def run_scan(settings: Resolved, context: RunContext, *, snapshots: Iterable[Path] = (),
             progress: Callable[[Resource], None] | None = None) -> Report:
    """Load the packs, collect, evaluate and compare with the baseline; the finished report."""
    started = context.clock()
    run = settings.run
    today = context.evaluation_date
    packs, selection = load_selected(settings)
    rules = [rule for pack in packs for rule in pack.rules]
    waivers = load_waivers(Path(run.waivers), today=today, max_days=run.max_waiver_days) if run.waivers else []
    check_waiver_rules(waivers, [rule.id for rule in rules])
    book = WaiverBook.of(waivers, today)
    baseline = read_report(Path(run.baseline), cap=run.max_input_bytes) if run.baseline else None
    try:
        return _scan(settings, context, packs, selection, rules, book, baseline, list(snapshots), progress, started)
    finally:
        if baseline is not None:
            baseline.close()  # its findings may be on disk


def _scan(settings: Resolved, context: RunContext, packs: list[PolicyPack], selection: RuleSelection,
          rules: list[Rule], book: WaiverBook, baseline: Report | None, snapshot_paths: list[Path],
          progress: Callable[[Resource], None] | None, started: dt.datetime) -> Report:
    """:func:`run_scan` once the rules, waivers and baseline are loaded."""
    run = settings.run
    today = context.evaluation_date
    if not settings.providers and not snapshot_paths:
        raise ConfigError("nothing to scan: give --snapshot FILE or --provider NAME (or providers in the config "
                          "file); try 'policycheck demo' for a built-in example estate")
    providers = instantiate(settings, context)
    # waivers that select by tag read those tags too: collect them even when no rule does
    plan = plan_for(packs, also=book.attributes(), workers=context.workers)
    # a broken file stops before any scan
    loaded = [load_snapshot(path, cap=run.max_input_bytes) for path in snapshot_paths]
    shard = context.shard or WHOLE
    resources: Iterable[Resource] = itertools.chain(
        *((r for r in snapshot.resources() if shard.owns(r.id)) for snapshot in loaded),
        collect_resources(providers, plan))
    by_type: Counter[str] = Counter()
    edges = EdgeWatch()

    def seen(resource: Resource) -> None:
        by_type[resource.type] += 1
        edges(resource)
        if progress:
            progress(resource)

    skips: Counter[tuple[str, str, str, str]] = Counter()
    lock = threading.Lock()

    def skipped(rule: Rule, resource: Resource, reason: str) -> None:  # called from worker threads
        with lock:
            skips[rule.id, resource.type, resource.provider, reason] += 1

    deadline = deadline_by_provider(providers, context.deadline)
    findings, tally, rule_tally, omitted = _evaluate(rules, resources, book, context, seen, skipped, deadline)
    try:
        report = Report(
            findings=findings, rules=list(rules), packs=packs, thresholds=context.thresholds, started=started,
            finished=started, evaluated_on=today, resources_by_type=dict(by_type), waivers_active=book.active,
            waivers_expired=book.expired, tally=tally, rule_tally=rule_tally, omitted_passes=omitted,
            version=__version__, selection=selection, sla=dict(run.sla),
            problems=sorted([*problems_of(providers),
                             *(CollectionProblem(p.provider, p.scope, f"{p.message} (recorded in {snapshot.source})",
                                                 p.level)
                               for snapshot in loaded for p in snapshot.problems),
                             *edges.warnings(fail_on_empty=run.fail_on_empty),
                             *timeout_problems(context.deadline, providers)]),
            sources=[str(p) for p in snapshot_paths] + list(settings.providers),
            skipped=[SkippedRule(*key, count) for key, count in sorted(skips.items())],
            shard=shard_record(context, providers, loaded),
        )
        if baseline is not None:
            report.compare_with(baseline, str(run.baseline))
    except BaseException:
        findings.close()
        raise
    report.finished = context.clock()
    return report


def timeout_problems(deadline: Deadline, providers: dict[str, Provider]) -> list[CollectionProblem]:
    """The problems of a run cut short by its deadline, or of providers cut short by their own: each fails the
    run like an ``error`` finding."""
    problems = []
    if deadline.expired:
        problems.append(CollectionProblem("policycheck", "run", f"{deadline.message()}: what was not read by then "
                                                                "is 'error' (timed out)"))
    for name, provider in providers.items():
        own = provider.context.deadline
        if own.expired and own.own_passed():
            problems.append(CollectionProblem(name, "run", f"{own.message()}: what {name} had not read by then is "
                                                           "'error' (timed out)"))
    return problems


def shard_record(context: RunContext, providers: dict[str, Provider], snapshots: list[Any]) -> ShardRecord | None:
    """What a sharded run's report records: I/N and how each source was split; None when not sharded."""
    if context.shard is None:
        return None
    partition = {name: provider.context.partition for name, provider in providers.items()}
    if snapshots:
        partition["snapshot"] = RESOURCE_ID
    return ShardRecord(context.shard.index, context.shard.count, partition)


def _evaluate(rules: list[Rule], resources: Iterable[Resource], book: WaiverBook, context: RunContext,
              seen: Callable[[Resource], None], skipped: Callable[[Rule, Resource, str], None],
              deadline: Callable[[Resource], Deadline],
              ) -> tuple[FindingStore, Counter[tuple[str, str]], Counter[tuple[str, str]], int]:
    """Findings kept for the report (spilled to disk past a modest number), the (severity, result) and
    (rule, result) tallies of all of them, and how many passes were left out."""
    findings = FindingStore()
    tally: Counter[tuple[str, str]] = Counter()
    rule_tally: Counter[tuple[str, str]] = Counter()
    omitted = 0
    try:
        for finding in evaluate(rules, resources, book, evaluation_date=context.evaluation_date,
                                workers=context.workers, on_resource=seen, on_skip=skipped,
                                deadline=deadline):
            tally[finding.severity.label, finding.result.value] += 1
            rule_tally[finding.rule_id, finding.result.value] += 1
            if finding.result is Result.PASS and not context.keep_passed:
                omitted += 1
                continue
            findings.add(finding)
    except BaseException:  # an interrupt or a provider's failure: no findings left on disk
        findings.close()
        raise
    return findings, tally, rule_tally, omitted


# -- test ----------------------------------------------------------------------------------------
def run_policy_tests(settings: Resolved, context: RunContext, paths: list[str]) -> tuple[str, bool]:
    """Run the policy tests in ``paths`` against the packs the settings name; the summary and whether all held."""
    import json

    from . import policytest

    started = policytest.clock()
    loaded: dict[str, list[PolicyPack]] = {}

    def packs_for(params: Any) -> list[PolicyPack]:
        merged = {**settings.run.params, **params}
        key = json.dumps(merged, sort_keys=True, default=str)
        if key not in loaded:
            loaded[key] = load_packs(settings.run.policy_specs(), Overrides(merged))
        return loaded[key]

    packs = packs_for({})
    cases = policytest.load_tests(paths, [rule.id for pack in packs for rule in pack.rules])
    outcomes = list(policytest.run_tests(cases, packs_for, context.evaluation_date))
    header = (f"policycheck test: {len(cases)} test(s), {len(outcomes)} expectation(s) against "
              + ", ".join(f"{p.name} {p.version}" for p in packs))
    return policytest.render(outcomes, policytest.clock() - started, header), all(o.ok for o in outcomes)


# -- collect ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CollectOutcome:
    """What ``collect`` wrote: how many resources, and the scopes that could not be listed."""

    count: int
    problems: list[CollectionProblem] = field(default_factory=list)


def run_collect(settings: Resolved, context: RunContext, out: TextIO, *, all_attributes: bool) -> CollectOutcome:
    """Collect from the chosen providers into a snapshot written to ``out``."""
    if not settings.providers:
        raise ConfigError("nothing to collect: name a --provider (or configure one in policycheck.yaml)")
    plan = CollectPlan(max_workers=context.workers) if all_attributes \
        else plan_for(load_rules(settings), workers=context.workers)
    providers = instantiate(settings, context)

    def materialised(resource: Resource) -> Resource:
        known_type = resource.type in RESOURCE_TYPES
        resource.load(sorted(plan.groups(RESOURCE_TYPES.get(resource.type)) | {"tags"})
                      if known_type and plan.needs is not None else None)
        return resource

    deadline = deadline_by_provider(providers, context.deadline)
    loaded = map_bounded(materialised, collect_resources(providers, plan), workers=plan.max_workers,
                         inline=lambda resource: not resource.has_pending_fetch, deadline=deadline,
                         late=lambda resource: _unread(resource, f"{deadline(resource).message()} before it could "
                                                                 "be read"))

    def problems() -> list[CollectionProblem]:
        return sorted([*problems_of(providers), *timeout_problems(context.deadline, providers)])

    count = write_snapshot(loaded, out, version=__version__, sources=list(settings.providers),
                           created=context.clock(), problems=problems)
    return CollectOutcome(count, problems())


def _unread(resource: Resource, reason: str) -> Resource:
    """What a snapshot keeps of a resource the deadline left unread: who it is, and every value unknown.

    The original is not touched: its reads may still be running on a worker thread.
    """
    names = [a.name for a in RESOURCE_TYPES.get(resource.type).attributes] if resource.type in RESOURCE_TYPES else []
    return Resource(type=resource.type, id=resource.id, name=resource.name, provider=resource.provider,
                    account=resource.account, region=resource.region, tags=None,
                    unknown={**dict.fromkeys(names, reason), "tags": reason})


# -- permissions -----------------------------------------------------------------------------------
def permissions_documents(settings: Resolved, context: RunContext) -> tuple[list[str], list[str]]:
    """Each provider's permission document for the loaded rules (all providers when none is chosen), and the
    one-line notes of providers that write no document of their own (for stderr: stdout stays one document)."""
    plan = plan_for(load_rules(settings))
    chosen = bool(settings.providers)
    if not chosen:
        registry = load_providers()
        settings = Resolved(settings.run, {name: cls.settings_class() for name, cls in registry.items()},
                            settings.config_source, settings.origins)
    documents: list[str] = []
    notes: list[str] = []
    for name, provider in instantiate(settings, context).items():
        if not chosen and provider.permissions_need_settings:
            notes.append(f"# {name}: name --provider {name} with its settings for its permission document")
            continue
        own = type(provider).permissions_document is not Provider.permissions_document
        (documents if own else notes).append(provider.permissions_document(plan))
    return documents, notes


# -- demo ------------------------------------------------------------------------------------------
def demo_configs(stack: ExitStack, skipped: Callable[[str, str, ImportError], None]) -> dict[str, dict[str, Any]]:
    """Build every provider's demo estate inside ``stack``; its settings per provider.

    A provider whose SDK is missing is passed to ``skipped`` (name, extra, error) and left out.
    """
    configs: dict[str, dict[str, Any]] = {}
    for name, cls in load_providers().items():
        try:
            estate = cls.demo_estate()
            if estate is not None:
                configs[name] = stack.enter_context(estate)
        except ImportError as exc:
            skipped(name, cls.extra or "demo", exc)
    if not configs:
        raise ConfigError("no provider offers a demo estate; install policycheck[demo]")
    return configs


def failing_fingerprints(report: Report) -> set[str]:
    """Fingerprints of the report's failing findings."""
    return {f.fingerprint for f in report.findings if f.result in FAILING_RESULTS}
