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

from .concurrency import Deadlines, map_bounded
from .conditions import DYNAMIC, Leaf, Trace
from .deadline import Deadline
from .model import Finding, Resource, Result, Unknown, reader
from .policy import Rule
from .run_settings import DEFAULT_WORKERS
from .waivers import WaiverBook

__all__ = ["DEFAULT_WORKERS", "Judge", "OnSkip", "Outcome", "evaluate", "evaluate_resource", "evaluate_rule",
           "judge_of", "rules_by_type", "timed_out", "unobservable_reason"]


#: Called (from worker threads) when a rule is skipped for a resource: rule, resource, why.
OnSkip = Callable[[Rule, Resource, str], None]


def rules_by_type(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    """Resource type -> the rules targeting it, in rule order."""
    table: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        for type_name in rule.resource_types:
            table[type_name].append(rule)
    return dict(table)


#: What one rule says about one resource: its result, the message and the values it read.
Outcome = tuple[Result, str, dict[str, Any]]
#: A rule compiled for the engine: resource and evaluation date -> its outcome, None when out of scope.
Judge = Callable[[Resource, dt.date], "Outcome | None"]


def evaluate_rule(rule: Rule, resource: Resource, evaluation_date: dt.date) -> Outcome | None:
    """Outcome of one rule on one resource as of ``evaluation_date``; None when the resource is out of scope."""
    return judge_of(rule)(resource, evaluation_date)


def judge_of(rule: Rule) -> Judge:
    """The rule as one function (see :func:`evaluate_rule`), built once per rule.

    Cached on the frozen rule as :meth:`Condition.describe` caches its text: the conditions are compiled
    once (:attr:`Condition.compiled`) and the messages that do not depend on the resource are made once.
    """
    judge = rule.__dict__.get("_judge")
    if judge is None:
        judge = rule.__dict__["_judge"] = _judge(rule)
    return judge


def _judge(rule: Rule) -> Judge:
    scope = rule.when.compiled if rule.when is not None else None
    require = rule.require
    check = require.compiled
    holds = f"{require.describe()} holds"
    expected = f"expected {require.describe()}; observed "

    def traced(resource: Resource, evaluation_date: dt.date) -> Outcome | None:
        trace = Trace(evaluation_date)
        if scope is not None:
            in_scope = scope(resource, trace)
            if in_scope is False:
                return None
            if in_scope is None:
                return _ERROR, "scope cannot be decided: " + _unknown_text(trace), trace.observed
        outcome = check(resource, trace)
        if outcome is True:
            return _PASS, holds, trace.observed
        if outcome is False:
            # what was unknown still shows: a fail may rest on a known bound of an unknown value
            partly = f"; {_unknown_text(trace)}" if trace.unknown else ""
            return _FAIL, f"{expected}{_observed_text(trace.observed)}{partly}", trace.observed
        return _ERROR, _unknown_text(trace), trace.observed

    known_scope = rule.when.known if rule.when is not None else None
    known_check = require.known
    if known_check is None or (rule.when is not None and known_scope is None):
        return traced

    def judge(resource: Resource, evaluation_date: dt.date) -> Outcome | None:
        """As ``traced`` while every value read is known (no trace needed); ``traced`` from the first unknown."""
        observed: dict[str, Any] = {}
        if known_scope is not None:
            in_scope = known_scope(resource, observed, evaluation_date)
            if in_scope is None:
                return traced(resource, evaluation_date)
            if in_scope is False:
                return None
        outcome = known_check(resource, observed, evaluation_date)
        if outcome is True:
            return _PASS, holds, observed
        if outcome is False:
            return _FAIL, f"{expected}{_observed_text(observed)}", observed
        return traced(resource, evaluation_date)

    if scope is not None or not isinstance(require, Leaf) or isinstance(require.value, DYNAMIC):
        return judge
    # the most common rule, one attribute compared with a fixed value, without a trace while the value is known;
    # a fleet repeats its values (true, 14.7.1, DE), so the verdict and message of each are made once
    attr, value, func, dated = require.attr, require.value, require.operator.func, require.operator.dated
    read = reader(attr)
    verdicts: dict[type, dict[Any, tuple[Result, str]]] = {} if dated else {str: {}, int: {}, bool: {}}

    def single(resource: Resource, evaluation_date: dt.date) -> Outcome | None:
        actual = read(resource, attr)
        known = verdicts.get(actual.__class__)  # by exact type: True == 1, yet they print differently
        if known is not None:
            verdict = known.get(actual)
            if verdict is None:
                verdict = (_PASS, holds) if func(actual, value) else (_FAIL, f"{expected}{attr}={_short(actual)}")
                if len(known) >= _VERDICTS_KEPT:
                    known.clear()
                known[actual] = verdict
            return verdict[0], verdict[1], {attr: actual}
        if isinstance(actual, Unknown):
            if actual.lower is None and actual.upper is None:  # what the trace would say: only why it is unknown
                return _ERROR, f"{attr} unknown: {actual.reason}", {}
            return traced(resource, evaluation_date)
        if func(actual, value, evaluation_date) if dated else func(actual, value):
            return _PASS, holds, {attr: actual}
        return _FAIL, f"{expected}{attr}={_short(actual)}", {attr: actual}

    return single


#: Distinct values whose verdict one rule remembers; it starts over when full.
_VERDICTS_KEPT = 1024


_PASS, _FAIL, _ERROR = Result.PASS, Result.FAIL, Result.ERROR


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
    return _findings([(rule, judge_of(rule)) for rule in rules], resource, evaluation_date, waivers, on_skip)


def _findings(judged: list[tuple[Rule, Judge]], resource: Resource, evaluation_date: dt.date,
              waivers: WaiverBook | None, on_skip: OnSkip | None) -> list[Finding]:
    findings: list[Finding] = []
    ref = resource.ref()  # one per resource, shared by its findings
    unobservable = resource.unobservable
    book = waivers if waivers is not None and waivers.active else None  # no active waiver: none can match
    for rule, judge in judged:
        if unobservable:
            skipped = unobservable_reason(rule, resource)
            if skipped is not None:
                if on_skip:
                    on_skip(rule, resource, skipped)
                continue
        try:
            outcome = judge(resource, evaluation_date)
        except Exception as exc:  # fail closed on anything unexpected
            outcome = _ERROR, f"internal error while evaluating: {type(exc).__name__}: {exc}", {}
        if outcome is None:
            continue
        result, message, observed = outcome
        if book is not None and result is not _PASS:
            waiver = book.find(rule.id, resource)
            if waiver is not None:
                findings.append(Finding(rule.id, rule.severity, ref, Result.WAIVED,
                                        f"waived ({result.value}): {message}", observed, waiver.ref()))
                continue
        findings.append(Finding(rule.id, rule.severity, ref, result, message, observed))
    return findings


def timed_out(rules: list[Rule], resource: Resource, deadline: Deadline,
              waivers: WaiverBook | None = None) -> list[Finding]:
    """``error`` findings for a resource the deadline left unread (none of its values is read: its reads may hang).

    Waivers that select the resource by id apply as to any error; one that selects by tags cannot be checked.
    """
    ref = resource.ref()
    reason = f"{deadline.message()} before the resource could be read"
    findings = []
    for rule in rules:
        if unobservable_reason(rule, resource) is not None:
            continue
        waiver = waivers.find_by_id(rule.id, resource) if waivers else None
        if waiver is None:
            findings.append(Finding(rule.id, rule.severity, ref, Result.ERROR, reason, {}))
        else:
            findings.append(Finding(rule.id, rule.severity, ref, Result.WAIVED, f"waived (error): {reason}", {},
                                    waiver.ref()))
    return findings


def evaluate(
    rules: Iterable[Rule],
    resources: Iterable[Resource],
    waivers: WaiverBook | None = None,
    *,
    evaluation_date: dt.date,
    workers: int = DEFAULT_WORKERS,
    on_resource: Callable[[Resource], None] | None = None,
    on_skip: OnSkip | None = None,
    deadline: Deadlines[Resource] = None,
) -> Iterator[Finding]:
    """Yield findings for every resource a rule targets (completion order; reports sort them).

    Resources without pending fetches are evaluated inline; the others on ``workers`` threads
    with a bounded number in flight, so a streamed input never piles up in memory. Those still
    being read when their deadline passes (``deadline``, or ``deadline(resource)``: a provider's own)
    get :func:`timed_out` findings.
    """
    deadline_of = deadline if callable(deadline) else lambda resource: deadline
    table = rules_by_type(rules)
    judged = {type_name: [(rule, judge_of(rule)) for rule in typed] for type_name, typed in table.items()}

    def targeted() -> Iterator[Resource]:
        for resource in resources:
            if on_resource:
                on_resource(resource)
            if resource.type in table:
                yield resource

    def findings_of(resource: Resource) -> list[Finding]:
        return _findings(judged[resource.type], resource, evaluation_date, waivers, on_skip)

    def late(resource: Resource) -> list[Finding]:
        limit = deadline_of(resource)
        return timed_out(table[resource.type], resource, limit, waivers) if limit is not None else []

    for findings in map_bounded(findings_of, targeted(), workers=workers, deadline=deadline, late=late,
                                inline=lambda resource: not resource.has_pending_fetch):
        yield from findings


def _observed_text(observed: dict[str, Any]) -> str:
    if not observed:
        return "nothing"
    return ", ".join(f"{path}={_short(value)}" for path, value in observed.items())


def _unknown_text(trace: Trace) -> str:
    return "; ".join(f"{path} unknown: {reason}" for path, reason in trace.unknown.items()) or "value unknown"


def _short(value: Any) -> str:
    text = "null" if value is None else str(value).lower() if isinstance(value, bool) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
