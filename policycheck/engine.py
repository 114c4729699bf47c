"""The evaluation engine: rules x resources -> findings.

It does no I/O of its own: it reads attributes through :meth:`Resource.get`, which lets a
lazy provider fetch only what a rule touches. Each rule's ``when`` scope is evaluated before
its ``require``, so out-of-scope resources cost no further reads. Resources whose reads may
do I/O are evaluated concurrently in a bounded thread pool.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .concurrency import map_bounded
from .conditions import Trace
from .deadline import Deadline
from .model import Finding, Resource, Result
from .policy import Rule
from .run_settings import DEFAULT_WORKERS
from .waivers import WaiverBook

__all__ = ["DEFAULT_WORKERS", "OnSkip", "evaluate", "evaluate_resource", "evaluate_rule", "rules_by_type",
           "timed_out", "unobservable_reason"]


#: Called (from worker threads) when a rule is skipped for a resource: rule, resource, why.
OnSkip = Callable[[Rule, Resource, str], None]


def rules_by_type(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    """Resource type -> the rules targeting it, in rule order."""
    table: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        for type_name in rule.resource_types:
            table[type_name].append(rule)
    return dict(table)


def evaluate_rule(rule: Rule, resource: Resource, evaluation_date: dt.date
                  ) -> tuple[Result, str, dict[str, Any]] | None:
    """Outcome of one rule on one resource as of ``evaluation_date``; None when the resource is out of scope."""
    trace = Trace(evaluation_date)
    when = rule.when
    if when is not None:
        in_scope = when.compiled(resource, trace)
        if in_scope is False:
            return None
        if in_scope is None:
            return Result.ERROR, "scope cannot be decided: " + _unknown_text(trace), trace.observed
    require = rule.require
    outcome = require.compiled(resource, trace)
    if outcome is True:
        return Result.PASS, f"{require.describe()} holds", trace.observed
    if outcome is False:
        # what was unknown still shows: a fail may rest on a known bound of an unknown value
        partly = f"; {_unknown_text(trace)}" if trace.unknown else ""
        return Result.FAIL, f"expected {require.describe()}; observed {_observed_text(trace)}{partly}", \
            trace.observed
    return Result.ERROR, _unknown_text(trace), trace.observed


def unobservable_reason(rule: Rule, resource: Resource) -> str | None:
    """Why ``rule`` cannot be judged on ``resource``: it reads an attribute the resource's source never knows."""
    if not resource.unobservable:
        return None
    blocked = sorted(rule.attributes() & resource.unobservable.keys())
    return "; ".join(f"{path}: {resource.unobservable[path]}" for path in blocked) or None


def evaluate_resource(rules: list[Rule], resource: Resource, evaluation_date: dt.date,
                      waivers: WaiverBook | None = None, on_skip: OnSkip | None = None) -> list[Finding]:
    """Findings of ``rules`` on one resource; a crash becomes ``error`` findings, never a pass.

    A rule reading an attribute the resource declares unobservable yields no finding; ``on_skip`` hears of it.
    """
    findings: list[Finding] = []
    ref = resource.ref()  # one per resource, shared by its findings
    unobservable = resource.unobservable
    for rule in rules:
        if unobservable:
            skipped = unobservable_reason(rule, resource)
            if skipped is not None:
                if on_skip:
                    on_skip(rule, resource, skipped)
                continue
        try:
            outcome = evaluate_rule(rule, resource, evaluation_date)
        except Exception as exc:  # fail closed on anything unexpected
            outcome = Result.ERROR, f"internal error while evaluating: {type(exc).__name__}: {exc}", {}
        if outcome is None:
            continue
        result, message, observed = outcome
        if waivers and result is not Result.PASS:
            waiver = waivers.find(rule.id, resource)
            if waiver is not None:
                findings.append(Finding(rule.id, rule.severity, ref, Result.WAIVED,
                                        f"waived ({result.value}): {message}", observed, waiver.ref()))
                continue
        findings.append(Finding(rule.id, rule.severity, ref, result, message, observed))
    return findings


def timed_out(rules: list[Rule], resource: Resource, deadline: Deadline) -> list[Finding]:
    """``error`` findings for a resource the deadline left unread (none of its values is read: its reads may hang)."""
    ref = resource.ref()
    reason = f"{deadline.message()} before the resource could be read"
    return [Finding(rule.id, rule.severity, ref, Result.ERROR, reason, {})
            for rule in rules if unobservable_reason(rule, resource) is None]


def evaluate(
    rules: Iterable[Rule],
    resources: Iterable[Resource],
    waivers: WaiverBook | None = None,
    *,
    evaluation_date: dt.date,
    workers: int = DEFAULT_WORKERS,
    on_resource: Callable[[Resource], None] | None = None,
    on_skip: OnSkip | None = None,
    deadline: Deadline | None = None,
) -> Iterator[Finding]:
    """Yield findings for every resource a rule targets (completion order; reports sort them).

    Resources without pending fetches are evaluated inline; the others on ``workers`` threads
    with a bounded number in flight, so a streamed input never piles up in memory. Those still
    being read when ``deadline`` passes get :func:`timed_out` findings.
    """
    table = rules_by_type(rules)

    def targeted() -> Iterator[Resource]:
        for resource in resources:
            if on_resource:
                on_resource(resource)
            if resource.type in table:
                yield resource

    def findings_of(resource: Resource) -> list[Finding]:
        return evaluate_resource(table[resource.type], resource, evaluation_date, waivers, on_skip)

    def late(resource: Resource) -> list[Finding]:
        return timed_out(table[resource.type], resource, deadline) if deadline is not None else []

    for findings in map_bounded(findings_of, targeted(), workers=workers, deadline=deadline, late=late,
                                inline=lambda resource: not resource.has_pending_fetch):
        yield from findings


def _observed_text(trace: Trace) -> str:
    if not trace.observed:
        return "nothing"
    return ", ".join(f"{path}={_short(value)}" for path, value in trace.observed.items())


def _unknown_text(trace: Trace) -> str:
    return "; ".join(f"{path} unknown: {reason}" for path, reason in trace.unknown.items()) or "value unknown"


def _short(value: Any) -> str:
    text = "null" if value is None else str(value).lower() if isinstance(value, bool) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
