"""``text``: a table for humans; colour on a terminal, plain when piped."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model import Finding, Result
from ..report import Report
from ..verdict import STATUS_STYLE, Verdict
from . import reporter

__all__ = ["render"]

#: A terminal table longer than this helps nobody and costs time and memory to lay out.
MAX_ROWS = 500

RESULT_STYLE = {"fail": "bold red", "error": "bold magenta", "waived": "yellow", "pass": "green"}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


@reporter("text", "Human-readable tables (default on a terminal).", "txt")
def render(report: Report, colour: bool = False) -> str:
    """The report as tables: findings that need attention, problems, waivers, coverage and the verdict."""
    buffer = io.StringIO()
    # markup=False: names, tag values and messages are data; '[/]' in a tag must not be read as rich markup
    console = Console(file=buffer, force_terminal=colour, no_color=not colour, width=140 if not colour else None,
                      highlight=False, soft_wrap=False, markup=False)
    _header(console, report)
    _findings(console, report)
    _problems(console, report)
    _waivers(console, report)
    _coverage(console, report)
    _summary(console, report)
    return buffer.getvalue()


def _header(console: Console, report: Report) -> None:
    packs = ", ".join(f"{p.name} {p.version}" for p in report.packs) or "no policy"
    resources = sum(report.resources_by_type.values())
    console.print(f"policycheck {report.version}: {resources} resources, {len(report.rules)} rules ({packs})")


def _findings(console: Console, report: Report) -> None:
    shown = [f for f in report.findings if f.result is not Result.PASS]
    if not shown:
        console.print("No failing, erroring or waived findings.")
        return
    shown = report.ordered(shown)  # new first, then past deadline, then by severity
    hidden = len(shown) - MAX_ROWS
    shown = shown[:MAX_ROWS]
    table = Table(box=box.SIMPLE_HEAD if console.is_terminal else box.ASCII2, show_lines=False, expand=False)
    for column in ("severity", "result", "rule", "resource", "details"):
        table.add_column(column, overflow="fold")
    for finding in shown:
        new = _age(report, finding)
        table.add_row(
            Text(finding.severity.label, style=SEVERITY_STYLE[finding.severity.label]),
            Text(finding.result.value + new, style=RESULT_STYLE[finding.result.value]),
            finding.rule_id,
            f"{finding.resource.type}\n{finding.resource.name}",
            finding.message,
        )
    console.print(table)
    if hidden > 0:
        console.print(f"... and {hidden} more less severe findings: write every finding with -f json (or sarif, "
                      "junit) to a file.")


def _age(report: Report, finding: Finding) -> str:
    """`` (new)``, or `` (known 40 d)`` / `` (known 40 d, past deadline)`` with a baseline."""
    if report.baseline is None or finding.result is Result.WAIVED or finding.result is Result.PASS:
        return ""
    if report.is_new(finding):
        return " (new)"
    return f" (known {report.age_days(finding)} d" + (", past deadline)" if report.past_deadline(finding) else ")")


def _problems(console: Console, report: Report) -> None:
    for problem in report.problems:
        label, style = ("collection error", "bold magenta") if problem.is_error else ("warning", "yellow")
        console.print(Text(f"{label} [{problem.provider}] {problem.scope}: {problem.message}", style=style))
    for skipped in report.skipped:
        console.print(Text(f"note: {skipped.note()}", style="dim"))


def _waivers(console: Console, report: Report) -> None:
    for waiver in report.waivers_expired:
        console.print(Text(f"expired waiver {waiver.id} for {waiver.rule} ({waiver.source}) ended "
                           f"{waiver.expires}; it no longer applies", style="yellow"))
    for waiver in report.waivers_unused():
        console.print(Text(f"unused waiver {waiver.id} for {waiver.rule} ({waiver.source}) matched no finding",
                           style="dim"))


def _coverage(console: Console, report: Report) -> None:
    """Findings by legal reference (article): its rules and their result counts."""
    rows = report.coverage()
    if not rows:
        return
    table = Table(title="coverage by legal reference", box=box.SIMPLE if console.is_terminal else box.ASCII2)
    table.add_column("reference")
    table.add_column("rules", overflow="fold")
    for result in Result:
        table.add_column(result.value, justify="right")
    for row in rows:
        table.add_row(row["reference"], ", ".join(row["rules"]), *(str(row[r.value]) for r in Result))
    console.print(table)


def _summary(console: Console, report: Report) -> None:
    table = Table(title=None, box=box.SIMPLE if console.is_terminal else box.ASCII2)
    table.add_column("severity")
    for result in Result:
        table.add_column(result.value, justify="right")
    for severity, counts in report.counts_by_severity().items():
        if any(counts.values()):
            table.add_row(severity, *(str(counts[r.value]) for r in Result))
    console.print(table)
    if report.omitted_passes:
        console.print(f"({report.omitted_passes} passing findings omitted from the report)")
    if report.selection.note():
        console.print(Text(f"selection: {report.selection.note()}", style="dim"))
    verdict = Verdict.of(report)
    console.print(Text(f"{verdict.status}: {verdict.text}", style=STATUS_STYLE[verdict.status]))

