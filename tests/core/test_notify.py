"""--notify: summaries posted to a real HTTP server on 127.0.0.1 in the payload shapes Slack and Microsoft Teams
document (Slack incoming webhooks: text + Block Kit blocks; Teams: a message with an Adaptive Card attachment)
and as generic JSON; URLs from the environment; failures are warnings; nothing posted when nothing changed;
no identities in any payload."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from core_support import REPO, rule_text, store

from policycheck.notify import report_link, target_kind

RULES = (rule_text("CRIT", severity="critical", require="{attr: encryption.at_rest, equals: true}"),
         rule_text("MED", severity="medium", require="{attr: backup.enabled, equals: true}"))


class Hook:
    """A webhook receiver: records (path, JSON body) of each POST and answers with ``status``."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                assert self.headers["Content-Type"] == "application/json"
                hook.posts.append((self.path, json.loads(self.rfile.read(length))))
                self.send_response(hook.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.close()


@pytest.fixture
def pack(policy):
    return policy(*RULES)


def estate_of(estate, name, *failing):
    return estate(*(store(rid, tags={}, groups={"encryption": {"encryption.at_rest": rid not in failing},
                                                "backup": {"backup.enabled": True}})
                    for rid in ("s1", "s2", "s3")), name=name)


def test_generic_json_summary(cli, pack, estate, hook, tmp_path):
    result = cli("scan", "-p", pack, "--coretest-estate", estate_of(estate, "a.json", "s1", "s2"), "--quiet",
                 "--notify", f"{hook.url}/hook/secret-token", "--report-url", "https://ci.example/run/7")
    assert result.exit_code == 1
    [(path, body)] = hook.posts
    assert path == "/hook/secret-token"
    assert body["tool"] == "policycheck" and body["status"] == "FAILED"
    assert body["summary"] == "policycheck FAILED: 2 failing finding(s)"
    assert [(i["rule_id"], i["severity"], i["resource"]) for i in body["new"]] == [("CRIT", "critical", "s1"),
                                                                                  ("CRIT", "critical", "s2")]
    assert body["report_url"] == "https://ci.example/run/7"


def test_new_resolved_and_past_deadline_against_a_baseline(cli, pack, estate, hook, tmp_path):
    cli("scan", "-p", pack, "--coretest-estate", estate_of(estate, "a.json", "s1", "s2"), "--evaluation-date",
        "2026-10-01", "-f", f"json={tmp_path / 'base.json'}")
    cli("scan", "-p", pack, "--coretest-estate", estate_of(estate, "b.json", "s1", "s3"), "--evaluation-date",
        "2026-10-20", "--baseline", tmp_path / "base.json", "--sla", "critical=7", "--quiet", "--notify", hook.url)
    [(_, body)] = hook.posts
    assert body["summary"] == "policycheck FAILED: 1 new, 1 resolved, 1 known (1 past deadline)"
    assert [i["resource"] for i in body["new"]] == ["s3"]
    assert [i["resource"] for i in body["past_deadline"]] == ["s1"]
    assert [i["rule_id"] for i in body["resolved"]] == ["CRIT"]


def test_nothing_posted_when_nothing_changed_unless_always(cli, pack, estate, hook, tmp_path):
    path = estate_of(estate, "a.json", "s1")
    cli("scan", "-p", pack, "--coretest-estate", path, "-f", f"json={tmp_path / 'base.json'}")
    args = ("scan", "-p", pack, "--coretest-estate", path, "--baseline", tmp_path / "base.json", "--quiet",
            "--notify", hook.url)
    assert cli(*args).exit_code == 0
    assert hook.posts == []
    cli(*args, "--notify-always")
    assert len(hook.posts) == 1
    clean = estate_of(estate, "clean.json")
    cli("scan", "-p", pack, "--coretest-estate", clean, "--quiet", "--notify", hook.url)
    assert len(hook.posts) == 1  # a clean run without a baseline has nothing to say


def test_slack_payload_shape(cli, pack, estate, hook):
    cli("scan", "-p", pack, "--coretest-estate", estate_of(estate, "a.json", "s1"), "--quiet",
        "--notify", f"slack:{hook.url}/services/T0/B0/x", "--report-url", "https://ci.example/run/1?a=1&b=<2>")
    [(_, body)] = hook.posts
    assert body["text"] == "policycheck FAILED: 1 failing finding(s)"
    header, section, context = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": body["text"]}}
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"] == "*New (1)*\n• critical CRIT test.store s1"
    assert context["elements"][0]["text"] == "<https://ci.example/run/1?a=1&b=<2>|Open the report>"


def test_teams_payload_shape(cli, pack, estate, hook):
    cli("scan", "-p", pack, "--coretest-estate", estate_of(estate, "a.json", "s1"), "--quiet",
        "--notify", f"teams:{hook.url}/workflows/x", "--report-url", "https://ci.example/run/1")
    [(_, body)] = hook.posts
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == "policycheck FAILED: 1 failing finding(s)"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the report", "url": "https://ci.example/run/1"}]


@pytest.mark.parametrize(("target", "kind"), [
    ("https://hooks.slack.com/services/T/B/x", "slack"),
    ("https://contoso.webhook.office.com/webhookb2/x", "teams"),
    ("https://prod-12.westeurope.logic.azure.com:443/workflows/x", "teams"),
    ("https://example.com/hook", "json"),
    ("https://hooks.slack.com.evil.example/x", "json"),
    ("json:https://hooks.slack.com/services/x", "json"),
])
def test_kind_from_prefix_or_host(target, kind):
    assert target_kind(target)[0] == kind


def test_url_from_the_environment(cli, pack, estate, hook, monkeypatch, write):
    monkeypatch.setenv("CS_WEBHOOK", f"{hook.url}/from-env")
    config = write("policycheck.yaml", "notify: ['env:CS_WEBHOOK', '${CS_WEBHOOK}']\n")
    cli("scan", "--config", config, "-p", pack, "--coretest-estate", estate_of(estate, "a.json", "s1"), "--quiet")
    assert [path for path, _ in hook.posts] == ["/from-env", "/from-env"]
    monkeypatch.delenv("CS_WEBHOOK")
    result = cli("scan", "--config", config, "-p", pack, "--coretest-estate", estate_of(estate, "b.json", "s1"))
    assert "policycheck: warning: notification not sent: environment variable CS_WEBHOOK is not set" in result.stderr
    assert result.exit_code == 1


@pytest.mark.parametrize("status", [500, 404])
def test_failed_post_is_a_warning_and_the_report_is_kept(cli, pack, estate, hook, tmp_path, status):
    hook.status = status
    out = tmp_path / "r.json"
    result = cli("scan", "-p", pack, "--coretest-estate", estate_of(estate, "a.json", "s1"), "-f", f"json={out}",
                 "--notify", f"{hook.url}/secret/path")
    assert result.exit_code == 1  # the scan's own verdict, not the notification's
    assert json.loads(out.read_text())["summary"]["failing"] == 1
    assert f"policycheck: warning: notification to {hook.url}/… (json) failed: HTTP {status}" in result.stderr
    assert "secret" not in result.stderr


def test_unreachable_target_is_a_warning(cli, pack, estate):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli("scan", "-p", pack, "--coretest-estate", estate_of(estate, "a.json", "s1"),
                 "--notify", f"http://127.0.0.1:{port}/x", "--notify", "ftp://example.com/x")
    assert result.exit_code == 1
    assert f"notification to http://127.0.0.1:{port}/… (json) failed:" in result.stderr
    assert "notification not sent to ftp://example.com/…: not an http(s) URL" in result.stderr


@pytest.mark.parametrize("reveal", [True, False])
def test_no_identities_in_any_payload(cli, hook, tmp_path, monkeypatch, reveal):
    pytest.importorskip("policycheck.providers.devices")
    inventory = REPO / "providers/devices/demo/intune-devices.csv"
    identities = ["anna.schmidt@example.com", "Anna Schmidt", "lukas.weber@example.com", "PF4K2XQ1", "PF2ZB7LM"]
    assert all(i in inventory.read_text(encoding="utf-8-sig") for i in identities)
    monkeypatch.setenv("POLICYCHECK_PSEUDONYM_KEY", "a-test-key-of-32-characters-long")
    args = ["--reveal-identities"] if reveal else []
    for kind in ("json", "slack", "teams"):
        result = cli("scan", "--inventory", inventory, "--fail-on", "never", "--notify", f"{kind}:{hook.url}",
                     "--notify-always", *args)
        assert result.exit_code == 0, result.stderr
    assert len(hook.posts) == 3
    text = json.dumps([body for _, body in hook.posts])
    assert "device" in text
    for identity in identities:
        assert identity not in text


def test_report_link_from_ci_variables():
    assert report_link(None, {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r",
                              "GITHUB_RUN_ID": "9"}) == "https://github.com/o/r/actions/runs/9"
    assert report_link(None, {"CI_JOB_URL": "https://gitlab.example/j/1"}) == "https://gitlab.example/j/1"
    assert report_link(None, {"BUILD_URL": "https://jenkins.example/job/1/"}) == "https://jenkins.example/job/1/"
    assert report_link(None, {"SYSTEM_COLLECTIONURI": "https://dev.azure.com/org/", "SYSTEM_TEAMPROJECT": "p",
                              "BUILD_BUILDID": "5"}) == "https://dev.azure.com/org/p/_build/results?buildId=5"
    assert report_link("https://x", {"CI_JOB_URL": "y"}) == "https://x"
    assert report_link(None, {}) is None
