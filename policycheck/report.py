"""The finished result of a run, which every reporter renders and which owns the exit code."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .model import CollectionProblem, Finding, Result, Severity
from .policy import PolicyPack, RuleInfo
from .waivers import Waiver

__all__ = [
    "FAILING_RESULTS",
    "FORMAT",
    "NO_REFERENCE",
    "PRIMARY_LAWS",
    "CollectionProblem",
    "Report",
    "ShardRecord",
    "SkippedRule",
    "Thresholds",
    "reference_key",
]

FORMAT = "policycheck/report/v1"
FAILING_RESULTS = (Result.FAIL, Result.ERROR)


@dataclass(frozen=True)
class Thresholds:
    """What fails the build: findings at or above ``fail_on``; errors too unless opted out."""

    fail_on: Severity = Severity.LOW
    fail_on_error: bool = True

    def is_failing(self, finding: Finding) -> bool:
        """``finding`` fails the build under these thresholds (the baseline aside)."""
        if finding.severity < self.fail_on:
            return False
        return finding.result is Result.FAIL or (finding.result is Result.ERROR and self.fail_on_error)


@dataclass(frozen=True)
class SkippedRule:
    """A rule not evaluated on ``resources`` resources of a type: it reads what their source never knows."""

    rule_id: str
    resource_type: str
    provider: str
    reason: str
    resources: int

    def note(self) -> str:
        """One line for reports."""
        return (f"{self.rule_id} skipped for {self.resources} {self.resource_type} resource(s) from "
                f"'{self.provider}': {self.reason}")


@dataclass(frozen=True)
class ShardRecord:
    """Which share of a sharded run a report holds: shard ``index`` of ``count``, and how each provider split
    its work (provider -> partition key, e.g. ``account`` or ``resource id``)."""

    index: int
    count: int
    partition: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``run.shard``)."""
        return {"index": self.index, "count": self.count, "partition": dict(sorted(self.partition.items()))}


@dataclass
class Report:
    """Findings (sorted on construction), the rules and packs behind them, and how the run went.

    ``rules`` is fixed once the report is built: :meth:`rule` indexes it on first use.
    """

    findings: list[Finding]
    rules: list[RuleInfo]
    packs: list[PolicyPack]
    thresholds: Thresholds
    started: dt.datetime
    finished: dt.datetime
    evaluated_on: dt.date
    resources_by_type: dict[str, int] = field(default_factory=dict)
    waivers_active: list[Waiver] = field(default_factory=list)
    waivers_expired: list[Waiver] = field(default_factory=list)
    problems: list[CollectionProblem] = field(default_factory=list)
    #: (severity, result) -> count over every finding, passes left out of ``findings`` included.
    tally: Counter[tuple[str, str]] = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)
    omitted_passes: int = 0
    #: Fingerprints in the baseline; when set, only findings not in it fail the build.
    baseline: set[str] | None = None
    baseline_source: str | None = None
    resolved: list[dict[str, Any]] = field(default_factory=list)
    version: str = ""
    #: Rules left out for resources whose source can never know an attribute they read (not failing).
    skipped: list[SkippedRule] = field(default_factory=list)
    #: Set when the report holds one shard of a sharded run (``--shard I/N``); ``policycheck merge`` joins them.
    shard: ShardRecord | None = None

    def __post_init__(self) -> None:
        self.findings.sort(key=Finding.sort_key)
        if not self.tally:
            self.tally = Counter((f.severity.label, f.result.value) for f in self.findings)

    def compare_with(self, baseline: Report, source: str) -> None:
        """Fail only on findings not failing in ``baseline``; record what it had that no longer fails."""
        from .baseline import failing_by_fingerprint, resolved_since

        self.baseline = set(failing_by_fingerprint(baseline))
        self.baseline_source = source
        self.resolved = resolved_since(baseline, {f.fingerprint for f in self.findings if f.result in FAILING_RESULTS})

    # -- what fails -----------------------------------------------------------------------
    def is_new(self, finding: Finding) -> bool:
        """Not in the baseline (always true without one)."""
        return self.baseline is None or finding.fingerprint not in self.baseline

    def failing(self) -> list[Finding]:
        """Findings that fail the build: at or above the threshold, and new when there is a baseline."""
        return [f for f in self.findings if self.thresholds.is_failing(f) and self.is_new(f)]

    @property
    def exit_code(self) -> int:
        """0 nothing fails; 1 a failing finding, or a scope that could not be collected while errors count."""
        if self.failing():
            return 1
        if self.problems and self.thresholds.fail_on_error:
            return 1
        return 0

    # -- summaries ------------------------------------------------------------------------
    def rule(self, rule_id: str) -> RuleInfo | None:
        """The rule with ``rule_id``; None when no loaded rule has it."""
        return self._rules_by_id.get(rule_id)

    @cached_property
    def _rules_by_id(self) -> dict[str, RuleInfo]:
        return {r.id: r for r in self.rules}

    @property
    def result_counts(self) -> Counter[str]:
        """Findings per result, passes left out of the report included."""
        counts: Counter[str] = Counter()
        for (_, result), count in self.tally.items():
            counts[result] += count
        return counts

    def counts_by_severity(self) -> dict[str, dict[str, int]]:
        """Severity label (most severe first) -> result -> count, passes left out of the report included."""
        return {s.label: {r.value: self.tally.get((s.label, r.value), 0) for r in Result} for s in reversed(Severity)}

    def waivers_used(self) -> Counter[str]:
        """Waiver id -> how many findings it waived."""
        return Counter(f.waiver.id for f in self.findings if f.waiver)

    def waivers_unused(self) -> list[Waiver]:
        """Active waivers that matched no finding."""
        used = self.waivers_used()
        return [w for w in self.waivers_active if w.id not in used]

    def coverage(self) -> list[dict[str, Any]]:
        """Per legal reference (article): its rules and their result counts."""
        rows: dict[str, dict[str, Any]] = {}
        counts_by_rule: dict[str, Counter[str]] = {}
        for finding in self.findings:
            counts_by_rule.setdefault(finding.rule_id, Counter())[finding.result.value] += 1
        for rule in self.rules:
            for reference in rule.references or (NO_REFERENCE,):
                row = rows.setdefault(reference, {"reference": reference, "rules": [],
                                                  **{r.value: 0 for r in Result}})
                row["rules"].append(rule.id)
                for result, count in counts_by_rule.get(rule.id, Counter()).items():
                    row[result] += count
        return sorted(rows.values(), key=lambda row: reference_key(row["reference"]))


#: Laws listed first, in this order; other laws follow alphabetically, rules without a reference last.
PRIMARY_LAWS = ("GDPR",)
NO_REFERENCE = "(no reference)"


def reference_key(reference: str) -> tuple:
    """Order of legal references: GDPR articles by number (Art. 5(1)(b), Art. 5(1)(f), Art. 12(3),
    Art. 32), then other laws (BDSG § 64), then rules without a reference."""
    law = reference.split(" ")[0]
    rank = PRIMARY_LAWS.index(law) if law in PRIMARY_LAWS else len(PRIMARY_LAWS)
    if reference == NO_REFERENCE:
        rank += 1
    numbers = tuple(int(n) for n in re.findall(r"\d+", reference))
    return (rank, law, numbers, reference)
