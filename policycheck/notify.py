"""Notifications after a scheduled scan: a short summary posted to Slack, Microsoft Teams or any JSON webhook.

``--notify URL`` (repeatable; config ``notify:``) names each target. The kind comes from a
``slack:``/``teams:``/``json:`` prefix, else from the host (hooks.slack.com; Teams' webhook.office.com
and Power Automate workflow hosts), else generic JSON. A value ``env:NAME`` or ``${NAME}`` reads the URL
from that environment variable, so webhook secrets stay out of config files. Nothing is posted when
nothing changed (no new, resolved or past-deadline finding) unless ``--notify-always``. A failed post
is a warning: the reports are written before anything is posted. Payloads carry rule ids,
severities, resource types and names, never identities: with ``--reveal-identities`` a device is
named by its finding's fingerprint instead.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .attributes import RESOURCE_TYPES
from .model import Finding
from .report import FAILING_RESULTS, Report
from .verdict import Verdict

__all__ = ["NOTIFIERS", "Summary", "notify", "report_link", "target_kind"]

#: Findings listed per section of a message; the counts cover all of them.
LISTED = 10
TIMEOUT_SECONDS = 10
_ENV_REF = re.compile(r"^(?:env:(?P<a>[A-Za-z_][A-Za-z0-9_]*)|\$\{(?P<b>[A-Za-z_][A-Za-z0-9_]*)\})$")
#: CI variables that give a link to the run (and so to its report artifacts), in order of preference.
_CI_LINKS: tuple[Callable[[Mapping[str, str]], str | None], ...] = (
    lambda e: f"{e['GITHUB_SERVER_URL']}/{e['GITHUB_REPOSITORY']}/actions/runs/{e['GITHUB_RUN_ID']}"
    if all(k in e for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")) else None,
    lambda e: e.get("CI_JOB_URL"),  # GitLab
    lambda e: e.get("BUILD_URL"),  # Jenkins
    lambda e: f"{e['SYSTEM_COLLECTIONURI']}{e['SYSTEM_TEAMPROJECT']}/_build/results?buildId={e['BUILD_BUILDID']}"
    if all(k in e for k in ("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMPROJECT", "BUILD_BUILDID")) else None,  # Azure
)


@dataclass(frozen=True)
class Item:
    """One finding as a message lists it."""

    rule_id: str
    severity: str
    resource_type: str
    resource: str
    fingerprint: str


@dataclass(frozen=True)
class Summary:
    """What a notification says: the verdict, and the new, resolved and past-deadline findings."""

    status: str
    headline: str
    new: list[Item]
    resolved: list[Item]
    past_deadline: list[Item]
    link: str | None

    @property
    def changed(self) -> bool:
        return bool(self.new or self.resolved or self.past_deadline)

    @classmethod
    def of(cls, report: Report, link: str | None, *, identities_revealed: bool) -> Summary:
        def item(finding: Finding) -> Item:
            r = finding.resource
            personal = r.type in RESOURCE_TYPES and RESOURCE_TYPES.get(r.type).kind == "device"
            name = f"#{finding.fingerprint[:12]}" if personal and identities_revealed else (r.name or r.id)
            return Item(finding.rule_id, finding.severity.label, r.type, name, finding.fingerprint)

        open_ = report.ordered([f for f in report.findings if f.result in FAILING_RESULTS])
        resolved = [Item(str(r.get("rule_id", "")), str(r.get("severity", "")), "", "", str(r.get("fingerprint")))
                    for r in report.resolved]
        verdict = Verdict.of(report)
        changes = report.changes()
        headline = (f"policycheck {verdict.status}: {changes.phrase()}" if report.baseline is not None
                    else f"policycheck {verdict.status}: {len(open_)} failing finding(s)")
        return cls(verdict.status, headline, [item(f) for f in open_ if report.is_new(f)], resolved,
                   [item(f) for f in open_ if report.past_deadline(f)], link)


# -- payloads, one per kind ------------------------------------------------------------------------
def _lines(items: list[Item]) -> list[str]:
    shown = [f"{i.severity} {i.rule_id} {i.resource_type} {i.resource}".strip() for i in items[:LISTED]]
    return shown + ([f"... and {len(items) - LISTED} more"] if len(items) > LISTED else [])


def _sections(summary: Summary) -> list[tuple[str, list[str]]]:
    return [(f"{title} ({len(items)})", _lines(items)) for title, items in
            (("New", summary.new), ("Past deadline", summary.past_deadline), ("Resolved", summary.resolved)) if items]


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(summary: Summary) -> dict[str, Any]:
    """Slack incoming webhook: ``text`` (notification fallback) and Block Kit blocks."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": summary.headline[:150]}}]
    for title, lines in _sections(summary):
        body = "\n".join(f"• {_slack_escape(line)}" for line in lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{body}"[:3000]}})
    if summary.link:
        link = {"type": "mrkdwn", "text": f"<{summary.link}|Open the report>"}
        blocks.append({"type": "context", "elements": [link]})
    return {"text": summary.headline, "blocks": blocks}


def teams_payload(summary: Summary) -> dict[str, Any]:
    """Microsoft Teams (incoming webhook or Workflows): a message with one Adaptive Card."""
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": summary.headline, "weight": "Bolder", "size": "Medium",
                                   "wrap": True}]
    for title, lines in _sections(summary):
        body.append({"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True})
        body.append({"type": "TextBlock", "text": "\n".join(f"- {line}" for line in lines), "wrap": True})
    card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                            "version": "1.4", "body": body}
    if summary.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the report", "url": summary.link}]
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "contentUrl": None, "content": card}]}


def json_payload(summary: Summary) -> dict[str, Any]:
    """Generic webhook: the summary as plain JSON."""
    def items(found: list[Item]) -> list[dict[str, str]]:
        return [{"rule_id": i.rule_id, "severity": i.severity, "resource_type": i.resource_type,
                 "resource": i.resource, "fingerprint": i.fingerprint} for i in found]
    return {"tool": "policycheck", "status": summary.status, "summary": summary.headline,
            "new": items(summary.new), "resolved": items(summary.resolved),
            "past_deadline": items(summary.past_deadline), "report_url": summary.link}


NOTIFIERS: dict[str, Callable[[Summary], dict[str, Any]]] = {
    "slack": slack_payload, "teams": teams_payload, "json": json_payload}
#: Host suffix -> kind, for URLs given without a kind prefix.
_HOSTS = {"hooks.slack.com": "slack", "webhook.office.com": "teams", "logic.azure.com": "teams",
          "environment.api.powerplatform.com": "teams"}


def target_kind(target: str) -> tuple[str, str]:
    """(kind, URL) of a ``--notify`` value: ``slack:https://...`` or a URL whose host says it."""
    prefix, sep, rest = target.partition(":")
    if sep and prefix in NOTIFIERS:
        return prefix, rest
    host = (urlsplit(target).hostname or "").lower()
    return next((kind for suffix, kind in _HOSTS.items() if host == suffix or host.endswith("." + suffix)),
                "json"), target


def report_link(configured: str | None, env: Mapping[str, str]) -> str | None:
    """``--report-url``, else the CI run's page (GitHub Actions, GitLab, Jenkins, Azure Pipelines)."""
    return configured or next((link for make in _CI_LINKS if (link := make(env))), None)


Post = Callable[[str, bytes], None]


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "policycheck"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()


def notify(report: Report, targets: tuple[str, ...], *, always: bool, link: str | None, identities_revealed: bool,
           env: Mapping[str, str] | None = None, post: Post = _post) -> list[str]:
    """Post the summary to every target; the warnings of those that failed (never raises)."""
    env = os.environ if env is None else env
    summary = Summary.of(report, link, identities_revealed=identities_revealed)
    if not targets or not (summary.changed or always):
        return []
    warnings = []
    for target in targets:
        resolved, problem = _resolve_target(target, env)
        if problem:
            warnings.append(problem)
            continue
        kind, url = target_kind(resolved)
        shown = _redacted(url)
        if urlsplit(url).scheme not in ("http", "https"):
            warnings.append(f"notification not sent to {shown}: not an http(s) URL")
            continue
        try:
            post(url, json.dumps(NOTIFIERS[kind](summary)).encode("utf-8"))
        except urllib.error.HTTPError as exc:
            warnings.append(f"notification to {shown} ({kind}) failed: HTTP {exc.code}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            warnings.append(f"notification to {shown} ({kind}) failed: {reason}")
    return warnings


def _resolve_target(target: str, env: Mapping[str, str]) -> tuple[str, str | None]:
    match = _ENV_REF.match(target.strip())
    if not match:
        return target.strip(), None
    name = match["a"] or match["b"]
    value = env.get(name, "").strip()
    return (value, None) if value else ("", f"notification not sent: environment variable {name} is not set")


def _redacted(url: str) -> str:
    """Scheme and host only: webhook paths and queries are secrets."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}/…"
