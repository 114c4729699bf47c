"""``html``: one self-contained page for auditors: verdict, counts, a sortable findings table, coverage by
legal reference (article), and the waivers with approver and expiry.

No external stylesheet, font, image or script: the page's Content-Security-Policy allows only its own
inline style and, by hash, its one inline sorting script, so it opens offline and loads nothing. Every
value from resources is escaped.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from ..model import Finding, Result
from ..report import Report
from ..verdict import Verdict
from . import reporter

__all__ = ["SORT_SCRIPT", "render"]

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1b1b}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}th[data-sort]{cursor:pointer}td.n{text-align:right}
.FAILED{color:#b00020}.PASSED{color:#1b5e20}.REPORTED{color:#8a6d00}
.critical,.high{color:#b00020;font-weight:600}.medium{color:#8a6d00}
"""

#: Click a header with data-sort to sort its table by that column (numbers by data-key, else text).
SORT_SCRIPT = """
document.querySelectorAll("th[data-sort]").forEach(function (th) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0], index = th.cellIndex;
    var down = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-key") || a.cells[index].textContent;
      var y = b.cells[index].getAttribute("data-key") || b.cells[index].textContent;
      var c = isNaN(x) || isNaN(y) ? x.localeCompare(y) : x - y;
      return down ? c : -c;
    });
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", down ? "ascending" : "descending");
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""


def script_hash() -> str:
    """The CSP source of :data:`SORT_SCRIPT` (``'sha256-...'``)."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode() + "'"


@reporter("html", "Self-contained HTML report for auditors (sortable findings, article coverage, waivers).", "html")
def render(report: Report, colour: bool = False) -> str:
    verdict = Verdict.of(report)
    packs = ", ".join(f"{p.name} {p.version}" for p in report.packs) or "no policy pack"
    csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src {script_hash()}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        f"<title>policycheck report {escape(report.evaluated_on.isoformat())}</title>",
        f"<style>{STYLE}</style></head><body>",
        f'<h1>policycheck report — <span class="{verdict.status}">{verdict.status}</span></h1>',
        f"<p>{escape(verdict.text)}</p>",
        f"<p>{escape(packs)} · {sum(report.resources_by_type.values())} resources · {len(report.rules)} rules · "
        f"evaluated on {escape(report.evaluated_on.isoformat())} · policycheck {escape(report.version)}</p>",
        *_selection(report), *_counts(report), *_findings(report), *_coverage(report), *_waivers(report),
        *_problems(report), f"<script>{SORT_SCRIPT}</script>", "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _table(headers: list[str], rows: list[str], sortable: bool = True) -> list[str]:
    head = "".join(f'<th scope="col"{" data-sort" if sortable else ""}>{escape(h)}</th>' for h in headers)
    return ["<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>", *rows, "</tbody></table>"]


def _selection(report: Report) -> list[str]:
    note = report.selection.note()
    return [f"<p><strong>Rule selection:</strong> {escape(note)}</p>"] if note else []


def _counts(report: Report) -> list[str]:
    results = [r.value for r in Result]
    rows = [f'<tr><td class="{s}">{s}</td>' + "".join(f'<td class="n">{counts[r]}</td>' for r in results) + "</tr>"
            for s, counts in report.counts_by_severity().items() if any(counts.values())]
    return ["<h2>Results by severity</h2>", *_table(["severity", *results], rows, sortable=False)]


def _findings(report: Report) -> list[str]:
    shown = report.ordered([f for f in report.findings if f.result is not Result.PASS])
    out = [f"<h2>Findings needing attention ({len(shown)})</h2>"]
    if not shown:
        return [*out, "<p>None.</p>"]
    rows = [_finding_row(f, report) for f in shown]
    return [*out, *_table(["severity", "result", "rule", "references", "resource", "details", "first seen"], rows)]


def _finding_row(finding: Finding, report: Report) -> str:
    rule = report.rule(finding.rule_id)
    r = finding.resource
    state = finding.result.value
    if report.baseline is not None and finding.result is not Result.WAIVED:
        state += " (new)" if report.is_new(finding) else ""
    if report.past_deadline(finding):
        state += f" (past deadline {report.deadline_of(finding)})"
    details = escape(finding.message)
    if finding.waiver:
        details += f"<br><em>{escape(finding.waiver.justification())}</em>"
    seen = report.first_seen_of(finding)
    cells = [
        f'<td class="{finding.severity.label}" data-key="{int(finding.severity)}">{finding.severity.label}</td>',
        f"<td>{escape(state)}</td>", f"<td>{escape(finding.rule_id)}</td>",
        f"<td>{escape(', '.join(rule.references) if rule else '')}</td>",
        f"<td>{escape(r.type)}<br>{escape(r.name or r.id)}</td>", f"<td>{details}</td>",
        f"<td>{escape(seen.isoformat()) if seen else ''}</td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def _coverage(report: Report) -> list[str]:
    results = [r.value for r in Result]
    rows = [f"<tr><td>{escape(row['reference'])}</td><td>{escape(', '.join(row['rules']))}</td>"
            + "".join(f'<td class="n">{row[r]}</td>' for r in results) + "</tr>" for row in report.coverage()]
    return ["<h2>Coverage by legal reference</h2>", *_table(["reference", "rules", *results], rows)]


def _waivers(report: Report) -> list[str]:
    used = report.waivers_used()
    rows = [f"<tr><td>{escape(w.id)}</td><td>{escape(w.rule)}</td><td>{escape(w.resource or '')}</td>"
            f"<td>{escape(w.reason)}</td><td>{escape(w.approver)}</td><td>{w.expires.isoformat()}</td>"
            f"<td>{escape(state)}</td></tr>"
            for waivers, label in ((report.waivers_active, "active"), (report.waivers_expired, "expired"))
            for w in waivers
            for state in [f"{label}, matched {used[w.id]}" if label == "active" else "expired: no longer applies"]]
    if not rows:
        return ["<h2>Waivers</h2>", "<p>None.</p>"]
    return ["<h2>Waivers</h2>", *_table(["id", "rule", "resource", "reason", "approver", "expires", "state"], rows)]


def _problems(report: Report) -> list[str]:
    if not report.problems:
        return []
    items = "".join(f"<li>{escape(p.provider)} {escape(p.scope)}: {escape(p.message)}</li>" for p in report.problems)
    return ["<h2>Scopes that could not be collected</h2>", f"<ul>{items}</ul>"]
