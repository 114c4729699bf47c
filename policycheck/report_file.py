"""A JSON report read back into the typed :class:`~policycheck.report.Report` a run produces.

Baselines, ``diff`` and merging read reports through :func:`read_report`, so thresholds,
fingerprints and every reporter work the same on a report read from a file as on a fresh run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

from .clean import clean_value
from .errors import InputError
from .inputs import DEFAULT_MAX_INPUT_MB, MB, check_bounded, too_large
from .jsonmembers import BadEncoding, TooLarge, read_members
from .model import SEVERITIES, CollectionProblem, Finding, ResourceRef, Result, Severity, WaiverRef
from .policy import PolicyPack, RuleInfo
from .report import FAILING_RESULTS, FORMAT, Report, ShardRecord, SkippedRule, Thresholds
from .selection import RuleSelection
from .spool import FindingStore
from .waivers import Waiver

__all__ = ["read_report", "report_from_document"]

_RESULTS = {r.value: r for r in Result}


def read_report(path: Path, *, cap: int = DEFAULT_MAX_INPUT_MB * MB) -> Report:
    """Read and check a JSON report file of at most ``cap`` bytes; a malformed one is one clear line (exit 2).

    The findings are read one at a time into the report's :class:`~policycheck.spool.FindingStore`, so a
    report of millions of findings is read in flat memory. Its text passes the sanitising boundary
    (:mod:`policycheck.clean`) like a scanned resource's.
    """
    source = str(path)
    check_bounded(path, InputError, cap=cap, what="report file", raise_flag="--max-input-mb")
    reader = _Reader(source)
    findings = _Findings(reader)
    try:
        with open(path, "rb") as handle:
            document = read_members(handle, streamed="findings", on_element=findings.add, on_start=findings.restart,
                                    placeholder=findings, cap=cap)
        if isinstance(document, dict):
            document = {clean_value(key): value if value is findings else clean_value(value)
                        for key, value in document.items()}
        else:
            document = clean_value(document)
        return report_from_document(document, source)
    except OSError as exc:
        findings.close()
        raise InputError(f"cannot read report file: {exc.strerror or exc}", source=source) from None
    except TooLarge:
        findings.close()
        raise too_large(path, InputError, cap=cap, what="report file", raise_flag="--max-input-mb") from None
    except (BadEncoding, json.JSONDecodeError) as exc:
        findings.close()
        place = f"{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else None
        raise InputError(f"not a JSON report: {exc}", source=source, place=place) from None
    except RecursionError:
        findings.close()
        raise InputError("not a JSON report: nested too deeply to read", source=source) from None
    except BaseException:
        findings.close()
        raise


class _Findings:
    """The findings of a report as they are read: into a store, with what the report keeps of each beside it."""

    def __init__(self, reader: _Reader):
        self.reader = reader
        self.store = FindingStore()
        #: Days first seen other than the evaluation day (the default): one per failing finding would grow
        #: with the findings.
        self.first_seen: dict[str, dt.date] = {}
        self.evaluated_on: Any = None  # the run's evaluation day, when the document gave it before the findings
        self.known: set[str] = set()  # failing, and "new": false (in the baseline)
        #: The first malformed finding's error: raised once the whole text is known to be JSON and a report
        #: (as when the document was parsed whole), so a syntax error further on is what gets reported.
        self.error: Exception | None = None

    def restart(self, members: dict[str, Any] | None = None) -> None:
        """Start over (a findings member read again), knowing the members read before it."""
        self.close()
        self.store = FindingStore()
        self.first_seen, self.known, self.error = {}, set(), None
        run = (members or {}).get("run")
        self.evaluated_on = run.get("evaluated_on") if isinstance(run, dict) else None

    def close(self) -> None:
        self.store.close()

    def add(self, index: int, raw: Any) -> None:
        if self.error is not None:
            return
        try:
            self._add(index, clean_value(raw))
        except (InputError, TypeError, ValueError, AttributeError) as exc:
            self.error = exc
            self.store.close()

    def _add(self, index: int, raw: Any) -> None:
        place = f"findings[{index}]"
        finding = self.reader.finding(raw, place)
        self.store.add(finding)
        if finding.result in FAILING_RESULTS:
            seen = raw.get("first_seen")
            if seen and (seen != self.evaluated_on or not isinstance(seen, str)):
                self.first_seen[finding.fingerprint] = self.reader.day(raw["first_seen"], f"{place}.first_seen")
            if raw.get("new") is False:
                self.known.add(finding.fingerprint)


def report_from_document(document: Any, source: str) -> Report:
    """The typed report of a loaded JSON document; InputError naming the place of a malformed field.

    ``document["findings"]`` may be the list of findings or, from :func:`read_report`, the findings read
    already (a :class:`_Findings`).
    """
    try:
        return _report(document, source)
    except (TypeError, ValueError, AttributeError) as exc:  # a field of a shape no check above foresaw
        raise InputError(f"not a well-formed policycheck JSON report ({type(exc).__name__}: {exc})",
                         source=source) from None


def _report(document: Any, source: str) -> Report:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"not a policycheck JSON report (format must be '{FORMAT}')", source=source)
    reader = _Reader(source)
    run = reader.mapping(document.get("run"), "run")
    findings = document.get("findings")
    if isinstance(findings, list):
        listed = _Findings(reader)
        try:
            for index, raw in enumerate(findings):
                listed.add(index, raw)
                if listed.error is not None:
                    break
        except BaseException:
            listed.close()
            raise
        findings = listed
    if not isinstance(findings, _Findings):
        raise InputError("'findings' must be a list of findings with fingerprints", source=source)
    try:
        if findings.error is not None:
            raise findings.error
        return _typed(document, reader, run, findings)
    except BaseException:
        findings.close()
        raise


def _typed(document: dict[str, Any], reader: _Reader, run: dict[str, Any], read: _Findings) -> Report:
    findings = read.store
    summary = reader.mapping(document.get("summary"), "summary")
    baseline = document.get("baseline")
    report = Report(
        findings=findings,
        rules=[reader.rule(r, f"rules[{i}]") for i, r in enumerate(reader.list(document.get("rules"), "rules"))],
        packs=[PolicyPack(str(p.get("name", "")), str(p.get("version", "")), str(p.get("source", "")), (),
                          reader.mapping(p.get("params"), f"packs[{i}].params"))
               for i, p in enumerate(reader.list(document.get("packs"), "packs")) if isinstance(p, dict)],
        thresholds=reader.thresholds(run),
        started=reader.moment(run.get("started"), "run.started"),
        finished=reader.moment(run.get("finished"), "run.finished"),
        evaluated_on=reader.day(run.get("evaluated_on"), "run.evaluated_on"),
        resources_by_type={str(k): reader.count(v, f"summary.resources_by_type.{k}")
                           for k, v in reader.mapping(summary.get("resources_by_type"), "summary.resources_by_type"
                                                      ).items()},
        problems=[CollectionProblem(str(p.get("provider")), str(p.get("scope")), str(p.get("message")),
                                    "warning" if p.get("level") == "warning" else "error")
                  for p in reader.list(document.get("collection_problems"), "collection_problems")
                  if isinstance(p, dict)],
        tally=reader.tally(summary.get("by_severity"), findings.counts),
        sources=[str(s) for s in reader.list(run.get("sources"), "run.sources")],
        omitted_passes=reader.count(summary.get("passes_omitted") or 0, "summary.passes_omitted"),
        rule_tally=reader.rule_tally(summary.get("by_rule"), findings.rule_counts),
        selection=RuleSelection.from_dict(reader.mapping(document.get("selection"), "selection")),
        version=str(run.get("version", "")),
        skipped=[reader.skipped(s, f"skipped[{i}]") for i, s in enumerate(reader.list(document.get("skipped"),
                                                                                      "skipped"))],
        shard=reader.shard(run.get("shard"), "run.shard"),
    )
    report.sla = {str(k): int(v) for k, v in reader.mapping(run.get("sla"), "run.sla").items()
                  if k in SEVERITIES and isinstance(v, int)}
    report.first_seen = read.first_seen
    if read.evaluated_on is None or read.evaluated_on != run.get("evaluated_on"):  # the day was not known in time
        report.first_seen = {k: v for k, v in read.first_seen.items() if v != report.evaluated_on}
    waivers = reader.mapping(document.get("waivers"), "waivers")
    report.waivers_active = [reader.waiver(w, f"waivers.{kind}[{i}]") for kind in ("applied", "unused")
                             for i, w in enumerate(reader.list(waivers.get(kind), f"waivers.{kind}"))]
    report.waivers_expired = [reader.waiver(w, f"waivers.expired[{i}]")
                              for i, w in enumerate(reader.list(waivers.get("expired"), "waivers.expired"))]
    if isinstance(baseline, dict):
        report.baseline = read.known
        report.baseline_source = baseline.get("source")
        report.resolved = list(baseline.get("resolved") or [])
    return report


class _Reader:
    """Field checks that name the place of a malformed value."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, place: str, message: str) -> InputError:
        return InputError(f"{place}: {message}", source=self.source)

    def mapping(self, value: Any, place: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(place, "must be an object")
        return value

    def list(self, value: Any, place: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(place, "must be a list")
        return value

    def text(self, value: Any, place: str) -> str:
        if not isinstance(value, str):
            raise self.fail(place, f"expected text, got {type(value).__name__}")
        return value

    def count(self, value: Any, place: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(place, f"expected a whole number, got {value!r}")
        return value

    def severity(self, value: Any, place: str) -> Severity:
        if value not in SEVERITIES:
            raise self.fail(place, f"expected one of {', '.join(SEVERITIES)}, got {value!r}")
        return Severity.parse(value)

    def thresholds(self, run: dict[str, Any]) -> Thresholds:
        fail_on = run.get("fail_on", "low")
        never = fail_on == "never"
        return Thresholds(Severity.INFO if never else self.severity(fail_on, "run.fail_on"),
                          bool(run.get("fail_on_error", True)), never)

    def moment(self, value: Any, place: str) -> dt.datetime:
        try:
            return dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise self.fail(place, f"not a date and time: {value!r}") from None

    def day(self, value: Any, place: str) -> dt.date:
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(place, f"not a date: {value!r}") from None

    def finding(self, raw: Any, place: str) -> Finding:
        raw = self.mapping(raw, place)
        recorded = raw.get("fingerprint")
        if not isinstance(recorded, str) or not recorded:
            raise self.fail(f"{place}.fingerprint", "missing (a report's findings carry fingerprints)")
        severity = self.severity(raw.get("severity"), f"{place}.severity")
        resource = self.mapping(raw.get("resource"), f"{place}.resource")
        result = _RESULTS.get(raw.get("result"))
        if result is None:
            raise self.fail(f"{place}.result", f"expected one of {', '.join(_RESULTS)}, got {raw.get('result')!r}")
        waiver = raw.get("waiver")
        finding = Finding(
            rule_id=self.text(raw.get("rule_id"), f"{place}.rule_id"),
            severity=severity,
            resource=ResourceRef(*(str(resource.get(k) or "") for k in ("type", "id", "name", "provider", "account",
                                                                       "region"))),  # type: ignore[arg-type]  # six strs; mypy cannot count them
            result=result, message=str(raw.get("message") or ""),
            observed=self.mapping(raw.get("observed"), f"{place}.observed"),
            waiver=WaiverRef(*(str(waiver.get(k) or "") for k in ("id", "reason", "approver", "expires")))
            if isinstance(waiver, dict) else None,
        )
        finding.__dict__["fingerprint"] = recorded  # as recorded: reports of older versions keep matching
        return finding

    def rule(self, raw: Any, place: str) -> RuleInfo:
        raw = self.mapping(raw, place)
        return RuleInfo(
            id=self.text(raw.get("id"), f"{place}.id"), title=str(raw.get("title") or ""),
            severity=self.severity(raw.get("severity"), f"{place}.severity"),
            resource_types=tuple(str(t) for t in self.list(raw.get("resource_types"), f"{place}.resource_types")),
            references=tuple(str(r) for r in self.list(raw.get("references"), f"{place}.references")),
            remediation=str(raw.get("remediation") or ""), description=str(raw.get("description") or ""),
            pack=str(raw.get("pack") or ""), source=str(raw.get("source") or ""),
            line=self.count(raw.get("line") or 1, f"{place}.line"))

    def rule_tally(self, by_rule: Any, counts: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
        if not isinstance(by_rule, dict):
            return Counter(counts)
        return Counter({(str(rule), str(r)): int(n) for rule, counts in by_rule.items() if isinstance(counts, dict)
                        for r, n in counts.items() if isinstance(n, int) and n})

    def integer(self, value: Any, place: str, minimum: int = 0) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.fail(place, f"expected a whole number of at least {minimum}, got {value!r}")
        return value

    def skipped(self, raw: Any, place: str) -> SkippedRule:
        raw = self.mapping(raw, place)
        rule_id, resource_type, provider, reason = (self.text(raw.get(k), f"{place}.{k}")
                                                    for k in ("rule_id", "resource_type", "provider", "reason"))
        return SkippedRule(rule_id, resource_type, provider, reason,
                           self.integer(raw.get("resources"), f"{place}.resources"))

    def shard(self, raw: Any, place: str) -> ShardRecord | None:
        if raw is None:
            return None
        raw = self.mapping(raw, place)
        index = self.integer(raw.get("index"), f"{place}.index", 1)
        count = self.integer(raw.get("count"), f"{place}.count", 1)
        if index > count:
            raise self.fail(place, f"shard {index}/{count}: the index is larger than the count")
        partition = self.mapping(raw.get("partition"), f"{place}.partition")
        return ShardRecord(index, count, {str(k): str(v) for k, v in partition.items()})

    def waiver(self, raw: Any, place: str) -> Waiver:
        raw = self.mapping(raw, place)
        resource = raw.get("resource")
        return Waiver(id=self.text(raw.get("id"), f"{place}.id"), rule=self.text(raw.get("rule"), f"{place}.rule"),
                      resource=None if resource is None else self.text(resource, f"{place}.resource"),
                      tags={str(k): str(v) for k, v in self.mapping(raw.get("tags"), f"{place}.tags").items()},
                      reason=str(raw.get("reason") or ""), approver=str(raw.get("approver") or ""),
                      expires=self.day(raw.get("expires"), f"{place}.expires"), source=str(raw.get("source") or ""))

    def tally(self, by_severity: Any, counts: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
        if not isinstance(by_severity, dict):
            return Counter(counts)
        return Counter({(str(s), str(r)): int(n) for s, counts in by_severity.items() if isinstance(counts, dict)
                        for r, n in counts.items() if isinstance(n, int) and n})
