"""``markdown``: a compact summary for ``$GITHUB_STEP_SUMMARY`` and pull-request comments.

Verdict, counts by severity and result, the failing findings grouped by rule with their
remediation, and the coverage by legal reference. GitHub refuses a step summary over 1 MiB
and a pull-request comment over 65,536 characters, so the listing shrinks until the whole
summary fits the smaller of the two, and says what it left out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ..model import Finding, Result
from ..report import FAILING_RESULTS, Report
from . import reporter

#: GitHub's limits: one step's summary (bytes) and one pull-request comment (characters).
STEP_SUMMARY_LIMIT = 1024 * 1024
COMMENT_LIMIT = 65_536
#: UTF-8 bytes are never fewer than characters, so this budget fits both, with room to spare.
DEFAULT_BUDGET = 60_000
SEVERITY_ICON = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦", "info": "⬜"}
CELL_LIMIT = 300
_ESCAPE = re.compile(r"([\\`*_\[\]|#~])")
#: What GitHub's Markdown turns into links by itself: ``scheme://`` and ``www.`` (GFM "extended autolinks").
#: An e-mail address is linked after entities are decoded; an empty comment between ``@`` and the domain stops it.
_AT = "&#64;<!-- -->"
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(?<![a-z0-9])(www)(\.)")


@dataclass(frozen=True)
class Limits:
    """How much of the failing findings listing to show."""

    rules: int = 25
    per_rule: int = 10

    def smaller(self) -> Limits | None:
        """The next smaller listing (fewer findings per rule first, then fewer rules); None at the smallest."""
        if self.per_rule > 1:
            return Limits(self.rules, self.per_rule // 2)
        if self.rules > 1:
            return Limits(self.rules // 2, 1)
        return None


@reporter("markdown", "Markdown summary for the GitHub step summary and pull-request comments.", "md")
def render(report: Report, colour: bool = False) -> str:
    return summary(report)


def summary(report: Report, budget: int = DEFAULT_BUDGET) -> str:
    """The summary, at most ``budget`` bytes of UTF-8."""
    limits: Limits | None = Limits()
    while limits is not None:
        text = _compose(report, limits)
        if _size(text) <= budget:
            return text
        limits = limits.smaller()
    return _cut(_compose(report, Limits(1, 1)), budget)


def _compose(report: Report, limits: Limits) -> str:
    sections: list[Callable[[Report], list[str]]] = [_header, _counts, _baseline, _selection, _problems, _skipped,
                                                     _waivers]
    lines = [line for section in sections for line in section(report)]
    lines += _failing(report, limits)
    if limits != Limits():
        lines += ["*The listing above is shortened to fit GitHub's size limits; the JSON and SARIF reports have "
                  "every finding.*", ""]
    lines += _coverage(report)
    return "\n".join(lines).rstrip() + "\n"


# -- sections ------------------------------------------------------------------------------
def _header(report: Report) -> list[str]:
    failing = len(report.failing())
    threshold = report.thresholds.label
    errors = "errors count" if report.thresholds.fail_on_error else "errors ignored"
    open_ = sum(1 for f in report.findings if f.result in FAILING_RESULTS)
    if report.baseline is not None:  # never "no failing findings" while the baseline holds some
        verdict = f"{'❌' if report.exit_code else '✅'} policycheck: {report.changes().phrase()}"
    elif report.exit_code:
        verdict = f"❌ policycheck: {failing} failing finding{'s' * (failing != 1)}"
    elif report.thresholds.report_only:
        verdict = f"📋 policycheck: {open_} failing finding{'s' * (open_ != 1)} reported (--fail-on never)"
    else:
        verdict = "✅ policycheck: no failing findings" + (f" at or above `{threshold}` ({open_} below)"
                                                         if open_ else "")
    scopes = len(report.collection_errors)
    if scopes and (report.exit_code or report.baseline is not None):
        verdict += f", {scopes} collection error{'s' * (scopes != 1)}"
    packs = ", ".join(f"{p.name} {p.version}" for p in report.packs) or "no policy pack"
    resources = sum(report.resources_by_type.values())
    return [
        f"## {verdict}",
        "",
        f"{escape(packs)} · {resources} resources · {len(report.rules)} rules · evaluated on "
        f"{report.evaluated_on.isoformat()} · fails at `{threshold}` and above ({errors})",
        "",
    ]


def _counts(report: Report) -> list[str]:
    results = [r.value for r in Result]
    lines = ["| severity | " + " | ".join(results) + " |", "|---|" + "--:|" * len(results)]
    totals = dict.fromkeys(results, 0)
    for severity, counts in report.counts_by_severity().items():
        if any(counts.values()):
            lines.append(f"| {SEVERITY_ICON[severity]} {severity} | " + " | ".join(str(counts[r]) for r in results)
                         + " |")
            for r in results:
                totals[r] += counts[r]
    lines.append("| **total** | " + " | ".join(f"**{totals[r]}**" for r in results) + " |")
    if report.omitted_passes:
        lines += ["", f"{report.omitted_passes} passing findings are counted but not listed in the report."]
    return [*lines, ""]


def _baseline(report: Report) -> list[str]:
    if report.baseline is None:
        return []
    changes = report.changes()
    sla = ", ".join(f"{k} {v} d" for k, v in report.sla.items())
    rule = (f"New findings, and known ones past their fix-by deadline ({sla}), fail the build." if sla
            else "Only new findings fail the build.")
    return [f"**Baseline** {escape(report.baseline_source or '')}: **{changes.new} new**, {changes.resolved} "
            f"resolved, {changes.known} known (**{changes.past_deadline} past deadline**). {rule}", ""]


def _selection(report: Report) -> list[str]:
    note = report.selection.note()
    return [f"**Rule selection:** {cell(note, 1000)}", ""] if note else []


def _problems(report: Report) -> list[str]:
    if not report.problems:
        return []
    errors = len(report.collection_errors)
    lines = [f"**{errors} scope(s) could not be collected** (they fail the build"
             f"{'' if report.thresholds.fail_on_error else ' only when errors count'}):" if errors
             else f"**{len(report.problems)} warning(s)** about what was collected:", ""]
    lines += [f"- {'' if p.is_error else '⚠️ '}{cell(p.provider)} {cell(p.scope)}: {cell(p.message, 1000)}"
              for p in report.problems[:20]]
    if len(report.problems) > 20:
        lines.append(f"- … and {len(report.problems) - 20} more")
    return [*lines, ""]


def _skipped(report: Report) -> list[str]:
    if not report.skipped:
        return []
    lines = [f"**{len(report.skipped)} rule(s) skipped** where the source cannot know what they read (not failing):",
             ""]
    lines += [f"- {cell(s.note(), 500)}" for s in report.skipped[:20]]
    if len(report.skipped) > 20:
        lines.append(f"- … and {len(report.skipped) - 20} more")
    return [*lines, ""]


def _waivers(report: Report) -> list[str]:
    expired = report.waivers_expired
    if not expired:
        return []
    lines = [f"**{len(expired)} expired waiver(s)** no longer apply:", ""]
    lines += [f"- {escape(w.id)} for {escape(w.rule)}, expired {w.expires}" for w in expired[:20]]
    if len(expired) > 20:
        lines.append(f"- … and {len(expired) - 20} more")
    return [*lines, ""]


def _failing(report: Report, limits: Limits) -> list[str]:
    failing = report.failing()
    held_back = sum(1 for f in report.findings if f.result in FAILING_RESULTS) - len(failing)
    note = [f"{held_back} more fail/error finding(s) are below the threshold or in the baseline."] if held_back else []
    if not failing:
        return ["### Failing findings", "", "None.", *note, ""] if note else []
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in failing:
        groups[finding.rule_id].append(finding)
    ordered = sorted(groups.values(), key=lambda fs: (not any(report.is_new(f) for f in fs),
                                                      -max(f.severity for f in fs), -len(fs), fs[0].rule_id))
    lines = [f"### Failing findings ({len(failing)} in {len(groups)} rule{'s' * (len(groups) != 1)})", ""]
    for findings in ordered[:limits.rules]:
        lines += _rule_block(report, findings, limits.per_rule)
    if len(ordered) > limits.rules:
        rest = sum(len(fs) for fs in ordered[limits.rules:])
        lines += [f"… and {len(ordered) - limits.rules} more rule(s) with {rest} failing finding(s) "
                  "(see the JSON or SARIF report).", ""]
    return [*lines, *note, ""] if note else lines


def _rule_block(report: Report, findings: list[Finding], limit: int) -> list[str]:
    first = findings[0]
    rule = report.rule(first.rule_id)
    severity = max(f.severity for f in findings)
    title = escape(rule.title) if rule else ""
    lines = [f"#### {SEVERITY_ICON[severity.label]} {severity.label} · {escape(first.rule_id)} — {title} "
             f"({len(findings)})", ""]
    if rule and rule.references:
        lines.append(f"*{escape(', '.join(rule.references))}*  ")
    if rule and rule.remediation:
        lines.append(f"**Remediation:** {cell(rule.remediation, 1000)}")
    lines.append("")
    for finding in report.ordered(findings)[:limit]:
        r = finding.resource
        marker = " *(error)*" if finding.result is Result.ERROR else ""
        marker += _age(report, finding)
        where = f" at `{_code(r.source.path)}:{r.source.line}`" if r.source else ""
        lines.append(f"- `{_code(r.type)}` **{cell(r.name)}** ({cell(r.id)}){where}{marker}: {cell(finding.message)}")
    if len(findings) > limit:
        lines.append(f"- … and {len(findings) - limit} more")
    return [*lines, ""]


def _age(report: Report, finding: Finding) -> str:
    """`` *(new)*`` or `` *(first seen 2026-10-01, 40 d; past deadline 2026-10-31)*`` with a baseline."""
    if report.baseline is None:
        return ""
    if report.is_new(finding):
        return " *(new)*"
    text = f"first seen {report.first_seen_of(finding)}, {report.age_days(finding)} d"
    if report.past_deadline(finding):
        text += f"; **past deadline {report.deadline_of(finding)}**"
    return f" *({text})*"


def _coverage(report: Report) -> list[str]:
    rows = report.coverage()
    if not rows:
        return []
    results = [r.value for r in Result]
    lines = ["### Coverage by legal reference", "",
             "| reference | rules | " + " | ".join(results) + " |", "|---|---|" + "--:|" * len(results)]
    for row in rows:
        rules = row["rules"]
        shown = ", ".join(rules[:8]) + (f", +{len(rules) - 8}" if len(rules) > 8 else "")
        lines.append(f"| {cell(row['reference'])} | {cell(shown)} | " + " | ".join(str(row[r]) for r in results)
                     + " |")
    return [*lines, ""]


# -- text helpers --------------------------------------------------------------------------
def escape(text: str) -> str:
    """Plain text safe in Markdown: no formatting, links (bare ``https://`` and ``www.`` neither), HTML or
    @-mentions from resource data."""
    text = _AUTOLINK.sub(lambda m: "\\:" if m.group(1) else m.group(2) + "\\.", _ESCAPE.sub(r"\\\1", text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", _AT)


def cell(text: str, limit: int = CELL_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters, escaped for a table cell."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return escape(text)


def _code(text: str) -> str:
    return str(text).replace("`", "'").replace("\n", " ")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(text: str, budget: int) -> str:
    """Last resort: cut at a line boundary and say so."""
    note = "\n\n*Summary truncated to fit GitHub's size limits; see the JSON report for everything.*\n"
    room = budget - _size(note)
    data = text.encode("utf-8")[: max(room, 0)].decode("utf-8", errors="ignore")
    return data[: data.rfind("\n") + 1 if "\n" in data else len(data)] + note


__all__ = ["COMMENT_LIMIT", "STEP_SUMMARY_LIMIT", "cell", "escape", "render", "summary"]
