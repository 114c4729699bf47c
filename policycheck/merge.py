"""``policycheck merge``: the reports of shards 1..N of one run joined into the report an unsharded run writes.

The shards must belong together: the same tool version, packs (names, versions, params), rules,
evaluation date, thresholds, waivers, sources and baseline, and every shard of 1..N exactly once.
Anything else is refused (:class:`~policycheck.errors.InputError`, exit 2) naming the report at fault,
because a merged report that silently lacks a shard would pass what was never checked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .edges import EdgeWatch
from .errors import InputError
from .inputs import DEFAULT_MAX_INPUT_MB, MB
from .report import FAILING_RESULTS, Report, SkippedRule
from .report_file import read_report
from .spool import FindingStore

__all__ = ["merge_files", "merge_reports"]


@dataclass(frozen=True)
class _Agreement:
    """One thing every shard must agree on: its name and how to read it from a report."""

    name: str
    read: Callable[[Report], Any]


#: What shards of one run share; one row per check.
AGREEMENTS = (
    _Agreement("policycheck version", lambda r: r.version),
    _Agreement("packs (names, versions, params)", lambda r: [(p.name, p.version, p.params) for p in r.packs]),
    _Agreement("rules", lambda r: [(x.id, x.severity.label, x.resource_types) for x in r.rules]),
    _Agreement("evaluation date", lambda r: r.evaluated_on.isoformat()),
    _Agreement("thresholds (--fail-on, --fail-on-error)", lambda r: (r.thresholds.fail_on.label,
                                                                     r.thresholds.fail_on_error)),
    _Agreement("waivers", lambda r: sorted((w.id, w.rule, w.resource, sorted(w.tags.items()), w.expires.isoformat())
                                           for w in [*r.waivers_active, *r.waivers_expired])),
    _Agreement("sources", lambda r: r.sources),
    _Agreement("baseline", lambda r: r.baseline_source),
    _Agreement("fix-by deadlines (sla)", lambda r: sorted(r.sla.items())),
    _Agreement("shard count", lambda r: r.shard.count if r.shard else None),
    _Agreement("partition", lambda r: r.shard.partition if r.shard else None),
)


def merge_files(paths: Sequence[Path], *, cap: int = DEFAULT_MAX_INPUT_MB * MB) -> Report:
    """Read the shard reports (each at most ``cap`` bytes) and merge them (their findings stream from file to
    file: memory stays flat)."""
    if not paths:
        raise InputError("give the JSON reports of every shard to merge", source="merge")
    shards: list[tuple[str, Report]] = []
    try:
        for path in paths:
            shards.append((str(path), read_report(path, cap=cap)))
        return merge_reports(shards)
    finally:
        for _, shard in shards:
            shard.close()  # their findings are in the merged report now (or nothing is written)


def merge_reports(shards: Sequence[tuple[str, Report]]) -> Report:
    """One report from shard reports (source name, report); InputError naming the first problem."""
    _check_shards(shards)
    _check_agreement(shards)
    reports = [report for _, report in sorted(shards, key=lambda item: item[1].shard.index)]  # type: ignore[union-attr]
    findings = FindingStore()
    try:
        for r in reports:
            findings.extend(r.findings)
        return _merged(reports, findings)
    except BaseException:
        findings.close()
        raise


def _merged(reports: list[Report], findings: FindingStore) -> Report:
    """The merged report of ``reports`` (in shard order) around their ``findings``."""
    first = reports[0]
    tally: Counter[tuple[str, str]] = Counter()
    rule_tally: Counter[tuple[str, str]] = Counter()  # passes a shard left out (--no-passed) included
    resources: Counter[str] = Counter()
    skipped: Counter[tuple[str, str, str, str]] = Counter()
    for r in reports:
        tally.update(r.tally)
        rule_tally.update(r.rule_tally)
        resources.update(r.resources_by_type)
        skipped.update({(s.rule_id, s.resource_type, s.provider, s.reason): s.resources for s in r.skipped})
    merged = Report(
        findings=findings, rules=first.rules, packs=first.packs, thresholds=first.thresholds,
        started=min(r.started for r in reports), finished=max(r.finished for r in reports),
        evaluated_on=first.evaluated_on, resources_by_type=dict(resources),
        waivers_active=sorted({w.id: w for r in reports for w in r.waivers_active}.values(), key=_place),
        waivers_expired=sorted({w.id: w for r in reports for w in r.waivers_expired}.values(), key=_place),
        # every shard lists what all of them could not read; an empty shard of a non-empty run is no problem
        problems=sorted({p for r in reports for p in r.problems
                         if not (EdgeWatch.is_empty_run(p) and resources.total() > 0)}),
        tally=tally, rule_tally=rule_tally, sources=first.sources,
        omitted_passes=sum(r.omitted_passes for r in reports),
        version=first.version, skipped=[SkippedRule(*key, count) for key, count in sorted(skipped.items())],
    )
    merged.sla = dict(first.sla)
    # first-seen days of known findings: each shard knows its own (a finding is in one shard only)
    merged.first_seen = {fingerprint: day for r in reports for fingerprint, day in r.first_seen.items()}
    if first.baseline_source is not None:
        merged.baseline = set().union(*(r.baseline or set() for r in reports))
        merged.baseline_source = first.baseline_source
        # resolved: failing in the baseline and failing in no shard now (each shard only knows its own findings)
        failing = {f.fingerprint for f in findings.select(FAILING_RESULTS)}
        merged.resolved = [entry for entry in _common_resolved(reports) if entry.get("fingerprint") not in failing]
    return merged


def _check_shards(shards: Sequence[tuple[str, Report]]) -> None:
    """Every report is a shard, of the same count, and every index 1..N appears exactly once."""
    seen: dict[int, str] = {}
    count = None
    for source, report in shards:
        if report.shard is None:
            raise InputError("not the report of a shard (written without --shard I/N); nothing to merge",
                             source=source)
        if count is None:
            count = report.shard.count
        elif report.shard.count != count:
            raise InputError(f"shard {report.shard.index}/{report.shard.count} does not belong with shards of "
                             f"{count} ({shards[0][0]})", source=source)
        if report.shard.index in seen:
            raise InputError(f"shard {report.shard.index}/{count} given twice (also {seen[report.shard.index]})",
                             source=source)
        seen[report.shard.index] = source
    missing = [i for i in range(1, (count or 0) + 1) if i not in seen]
    if missing:
        names = ", ".join(f"{i}/{count}" for i in missing)
        raise InputError(f"shard{'s' if len(missing) > 1 else ''} {names} missing: merge needs every shard 1..{count}",
                         source="merge")


def _check_agreement(shards: Sequence[tuple[str, Report]]) -> None:
    first_source, first = shards[0]
    for agreement in AGREEMENTS:
        expected = agreement.read(first)
        for source, report in shards[1:]:
            if agreement.read(report) != expected:
                raise InputError(f"{agreement.name} differ from {first_source}'s: the shards are not of one run",
                                 source=source)


def _common_resolved(reports: list[Report]) -> list[dict[str, Any]]:
    """Baseline findings every shard reports as resolved, in the first shard's order."""
    common = set.intersection(*({str(e.get("fingerprint")) for e in r.resolved} for r in reports))
    return [e for e in reports[0].resolved if str(e.get("fingerprint")) in common]


def _place(waiver: Any) -> tuple[Any, ...]:
    """Waivers in the order of their file (source ``path:line:col``)."""
    path, _, rest = str(waiver.source).partition(":")
    return (path, tuple(int(n) for n in re.findall(r"\d+", rest)), waiver.id)
