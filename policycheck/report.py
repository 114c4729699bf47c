"""The finished result of a run, which every reporter renders and which owns the exit code."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .model import CollectionProblem, Finding, Result, Severity
from .policy import PolicyPack, RuleInfo
from .selection import RuleSelection
from .spool import FindingStore
from .waivers import Waiver

__all__ = [
    "FAILING_RESULTS",
    "FORMAT",
    "NO_REFERENCE",
    "PRIMARY_LAWS",
    "Changes",
    "CollectionProblem",
    "OpenCounts",
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
    """What fails the build: findings at or above ``fail_on``; errors too unless opted out.

    ``report_only`` (``--fail-on never``): nothing fails the build, findings are only reported.
    """

    fail_on: Severity = Severity.LOW
    fail_on_error: bool = True
    report_only: bool = False

    @property
    def label(self) -> str:
        """The threshold as ``--fail-on`` spells it (``never`` when report-only)."""
        return "never" if self.report_only else self.fail_on.label

    def is_failing(self, finding: Finding) -> bool:
        """``finding`` fails the build under these thresholds (the baseline aside)."""
        return self.fails(finding.severity, finding.result)

    def fails(self, severity: Severity, result: Result) -> bool:
        """A finding of ``severity`` and ``result`` fails the build under these thresholds (the baseline aside)."""
        if self.report_only or severity < self.fail_on:
            return False
        return result is Result.FAIL or (result is Result.ERROR and self.fail_on_error)


@dataclass(frozen=True)
class Changes:
    """Failing findings against the baseline, for summary lines and headlines."""

    new: int
    resolved: int
    known: int
    past_deadline: int

    def phrase(self) -> str:
        """``3 new, 1 resolved, 12 known (2 past deadline)``."""
        return f"{self.new} new, {self.resolved} resolved, {self.known} known ({self.past_deadline} past deadline)"


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


@dataclass(frozen=True)
class OpenCounts:
    """Findings with a failing result (fail/error) by severity, those that fail the build by severity, and how
    many are new, known and past their deadline."""

    open_by_severity: Counter[Severity]
    failing_by_severity: Counter[Severity]
    new: int
    known: int
    past_deadline: int

    @property
    def failing(self) -> int:
        """How many fail the build."""
        return self.failing_by_severity.total()

    @property
    def open(self) -> int:
        """How many have a failing result (fail/error), failing the build or not."""
        return self.open_by_severity.total()


@dataclass
class Report:
    """Findings (iterated in report order), the rules and packs behind them, and how the run went.

    ``findings`` is a :class:`~policycheck.spool.FindingStore` (a list given is turned into one): past a
    modest number it keeps them on disk, so a report of millions of findings is written in flat memory.
    :meth:`close` removes its files. ``rules`` is fixed once the report is built: :meth:`rule` indexes it
    on first use.
    """

    findings: FindingStore
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
    #: (rule id, result) -> count over every finding, passes left out of ``findings`` included.
    rule_tally: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: What ``--rule``/``--skip-rule``/``--severity``/``--reference`` and the config's ``rules:`` changed.
    selection: RuleSelection = field(default_factory=lambda: RuleSelection())
    #: Fingerprint -> the day a failing finding was first seen (carried over from the baseline); a failing
    #: finding not in it was first seen on ``evaluated_on``.
    first_seen: dict[str, dt.date] = field(default_factory=dict)
    #: Fix-by deadline in days per severity label (``sla:``): a known finding past it fails again.
    sla: dict[str, int] = field(default_factory=dict)
    #: Set when the report holds one shard of a sharded run (``--shard I/N``); ``policycheck merge`` joins them.
    shard: ShardRecord | None = None
    _open_cache: tuple[tuple[Any, ...], OpenCounts] | None = field(default=None, init=False, repr=False,
                                                                    compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "findings" and not isinstance(value, FindingStore):  # a list of findings (the typed API)
            value = FindingStore(value)
        super().__setattr__(name, value)

    def __post_init__(self) -> None:
        if not self.tally:
            self.tally = Counter(self.findings.counts)
        if not self.rule_tally:
            self.rule_tally = Counter(self.findings.rule_counts)

    def close(self) -> None:
        """Remove the files holding the findings (the report holds none afterwards)."""
        self.findings.close()

    def __enter__(self) -> Report:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def compare_with(self, baseline: Report, source: str) -> None:
        """Fail only on findings not failing in ``baseline``; record what it had that no longer fails."""
        from .baseline import failing_by_fingerprint, resolved_since

        before = failing_by_fingerprint(baseline)
        self.baseline = set(before)
        self.baseline_source = source
        now = set()
        first_seen = {}
        for f in self.findings.select(FAILING_RESULTS):
            now.add(f.fingerprint)
            if f.fingerprint in before:
                first_seen[f.fingerprint] = baseline.first_seen_of(before[f.fingerprint]) or baseline.evaluated_on
        self.resolved = resolved_since(baseline, now)
        self.first_seen = first_seen

    # -- what fails -----------------------------------------------------------------------
    def is_new(self, finding: Finding) -> bool:
        """Not in the baseline (always true without one)."""
        return self.baseline is None or finding.fingerprint not in self.baseline

    def failing(self) -> list[Finding]:
        """Findings that fail the build: at or above the threshold, and new or past their fix-by deadline when
        there is a baseline (a list: for listings; :meth:`failing_count` counts without one)."""
        return [f for f in self.findings.select(FAILING_RESULTS) if self._fails(f)]

    def failing_count(self) -> int:
        """How many findings fail the build (see :meth:`failing`)."""
        return self.open_counts().failing

    def _fails(self, f: Finding) -> bool:
        return self.thresholds.is_failing(f) and (self.is_new(f) or self.past_deadline(f))

    def open_counts(self) -> OpenCounts:
        """Counts of the failing findings, from the store's tallies when no baseline or first-seen day can
        change them, else from one pass; kept until what they depend on changes."""
        key = (self.thresholds, id(self.findings), len(self.findings), id(self.baseline), len(self.baseline or ()),
               id(self.first_seen), len(self.first_seen), tuple(self.sla.items()), self.evaluated_on)
        if self._open_cache is not None and self._open_cache[0] == key:
            return self._open_cache[1]
        if self.baseline is None and not self.first_seen and min(self.sla.values(), default=0) >= 0:
            # every failing finding is new, none is past a deadline: the store's tallies say it all
            open_by: Counter[Severity] = Counter()
            failing_by: Counter[Severity] = Counter()
            for (label, value), n in self.findings.counts.items():
                severity, result = Severity.parse(label), Result(value)
                if result in FAILING_RESULTS:
                    open_by[severity] += n
                    if self.thresholds.fails(severity, result):
                        failing_by[severity] += n
            counts = OpenCounts(+open_by, +failing_by, open_by.total(), 0, 0)
        else:
            open_by, failing_by = Counter(), Counter()
            new = known = past = 0
            for f in self.findings.select(FAILING_RESULTS):
                is_new, is_past = self.is_new(f), self.past_deadline(f)
                open_by[f.severity] += 1
                if self.thresholds.is_failing(f) and (is_new or is_past):
                    failing_by[f.severity] += 1
                new += is_new
                known += not is_new
                past += is_past
            counts = OpenCounts(open_by, failing_by, new, known, past)
        self._open_cache = (key, counts)
        return counts

    # -- ages and deadlines -------------------------------------------------------------
    def first_seen_of(self, finding: Finding) -> dt.date | None:
        """The day a failing finding was first seen (None for a pass or waiver)."""
        if finding.result not in FAILING_RESULTS:
            return None
        return self.first_seen.get(finding.fingerprint, self.evaluated_on)

    def age_days(self, finding: Finding) -> int | None:
        """Days since a failing finding was first seen."""
        seen = self.first_seen_of(finding)
        return None if seen is None else (self.evaluated_on - seen).days

    def deadline_of(self, finding: Finding) -> dt.date | None:
        """First seen plus the ``sla`` days of its severity; None without an SLA for it."""
        seen = self.first_seen_of(finding)
        days = self.sla.get(finding.severity.label)
        return None if seen is None or days is None else seen + dt.timedelta(days=days)

    def past_deadline(self, finding: Finding) -> bool:
        """The evaluation day is after the finding's fix-by deadline."""
        deadline = self.deadline_of(finding)
        return deadline is not None and self.evaluated_on > deadline

    def changes(self) -> Changes:
        """New, resolved and known failing (fail/error) findings, and how many known ones are past deadline."""
        counts = self.open_counts()
        return Changes(new=counts.new, resolved=len(self.resolved), known=counts.known,
                       past_deadline=counts.past_deadline)

    def ordered(self, findings: Iterable[Finding]) -> list[Finding]:
        """Findings as listings show them: new first, then past deadline, then by severity, rule, resource."""
        return sorted(findings, key=lambda f: (not (f.result in FAILING_RESULTS and self.is_new(f)),
                                               not self.past_deadline(f), -f.severity, f.result.value != "fail",
                                               f.rule_id, f.resource.id))

    @property
    def exit_code(self) -> int:
        """0 nothing fails; 1 a failing finding, or a scope that could not be collected while errors count."""
        if self.failing_count():
            return 1
        if self.collection_errors and self.thresholds.fail_on_error and not self.thresholds.report_only:
            return 1
        return 0

    @property
    def collection_errors(self) -> list[CollectionProblem]:
        """The problems that fail the run (not the warnings)."""
        return [p for p in self.problems if p.is_error]

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
        return Counter(self.findings.waiver_counts)

    def waivers_unused(self) -> list[Waiver]:
        """Active waivers that matched no finding."""
        used = self.waivers_used()
        return [w for w in self.waivers_active if w.id not in used]

    def coverage(self) -> list[dict[str, Any]]:
        """Per legal reference (article): its rules and their result counts."""
        rows: dict[str, dict[str, Any]] = {}
        counts_by_rule: dict[str, Counter[str]] = {}
        for (rule_id, result), count in self.rule_tally.items():  # passes left out of the report included
            counts_by_rule.setdefault(rule_id, Counter())[result] += count
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


def reference_key(reference: str) -> tuple[int, str, tuple[int, ...], str]:
    """Order of legal references: GDPR articles by number (Art. 5(1)(b), Art. 5(1)(f), Art. 12(3),
    Art. 32), then other laws (BDSG § 35(3), HGB § 257(4)), then rules without a reference."""
    law = reference.split(" ")[0]
    rank = PRIMARY_LAWS.index(law) if law in PRIMARY_LAWS else len(PRIMARY_LAWS)
    if reference == NO_REFERENCE:
        rank += 1
    numbers = tuple(int(n) for n in re.findall(r"\d+", reference))
    return (rank, law, numbers, reference)
