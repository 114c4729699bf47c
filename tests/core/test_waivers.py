"""Waivers: selectors, expiry, maximum duration; waived findings stay visible in every report."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from core_support import rule_text, store

from policycheck.errors import WaiverError
from policycheck.model import Resource
from policycheck.waivers import WaiverBook, load_waivers

TODAY = "2025-06-15"
HEADER = "apiVersion: policycheck/v1\nkind: Waivers\nwaivers:\n"


def waiver(rule="ENC-1", *, resource=None, tags=None, expires="2025-07-01", created=None, wid=None,
           reason="EU migration scheduled", approver="dpo@example.com", scope=None) -> str:
    lines = []
    if wid:
        lines.append(f"id: {wid}")
    lines.append(f"rule: '{rule}'")
    if resource:
        lines.append(f"resource: '{resource}'")
    if tags:
        lines.append("tags: " + json.dumps(tags))
    if scope:
        lines.append(f"scope: {scope}")
    lines += [f"reason: {reason}", f"approver: {approver}"]
    if created:
        lines.append(f"created: {created}")
    lines.append(f"expires: {expires}")
    return "  - " + "\n    ".join(lines) + "\n"


@pytest.fixture
def setup(policy, estate):
    pack = policy(rule_text("ENC-1", require="{attr: encryption.at_rest, equals: true}"),
                  rule_text("ENC-2", require="{attr: encryption.key_management, equals: customer-managed}",
                            severity="medium"))
    path = estate(
        store("bucket-legacy-1", tags={"team": "legacy", "env": "prod"},
              groups={"encryption": {"encryption.at_rest": False, "encryption.key_management": "none"}}),
        store("bucket-legacy-2", tags={"team": "legacy", "env": "dev"},
              groups={"encryption": {"encryption.at_rest": False, "encryption.key_management": "none"}}),
        store("bucket-new", tags={"team": "core"},
              groups={"encryption": {"encryption.at_rest": False, "encryption.key_management": "none"}}))
    return pack, path


def scan(cli, setup, write, *waivers, extra=()):
    pack, path = setup
    waiver_file = write("waivers.yaml", HEADER + "".join(waivers))
    result = cli("scan", "-p", pack, "--coretest-estate", path, "--waivers", waiver_file, "--evaluation-date",
                 TODAY, "-f", "json", *extra)
    assert result.exit_code in (0, 1), result.stderr
    return result, json.loads(result.stdout)


def by_key(document):
    return {(f["rule_id"], f["resource"]["id"]): f["result"] for f in document["findings"]}


def test_resource_glob_waives_matching_findings_only(cli, setup, write):
    _, doc = scan(cli, setup, write, waiver("ENC-1", resource="bucket-legacy-*", wid="W-1"))
    got = by_key(doc)
    assert got[("ENC-1", "bucket-legacy-1")] == got[("ENC-1", "bucket-legacy-2")] == "waived"
    assert got[("ENC-1", "bucket-new")] == "fail"
    assert got[("ENC-2", "bucket-legacy-1")] == "fail"  # another rule is not waived
    waived = next(f for f in doc["findings"] if f["result"] == "waived")
    assert waived["waiver"] == {"id": "W-1", "reason": "EU migration scheduled", "approver": "dpo@example.com",
                                "expires": "2025-07-01"}
    assert waived["message"].startswith("waived (fail): expected encryption.at_rest equals true")
    [applied] = doc["waivers"]["applied"]
    assert applied["id"] == "W-1" and applied["matched"] == 2


def test_tag_selector(cli, setup, write):
    _, doc = scan(cli, setup, write, waiver("ENC-*", tags={"team": "legacy", "env": "prod"}, scope="tagged"))
    got = by_key(doc)
    assert got[("ENC-1", "bucket-legacy-1")] == got[("ENC-2", "bucket-legacy-1")] == "waived"
    assert got[("ENC-1", "bucket-legacy-2")] == "fail"  # env=dev does not match
    assert got[("ENC-1", "bucket-new")] == "fail"


def test_tag_selector_values_are_globs_and_id_and_tags_combine(cli, setup, write):
    _, doc = scan(cli, setup, write, waiver("ENC-1", resource="*-2", tags={"team": "leg*"}))
    assert [k for k, v in by_key(doc).items() if v == "waived"] == [("ENC-1", "bucket-legacy-2")]


def test_waived_findings_do_not_fail_the_run(cli, setup, write):
    result, doc = scan(cli, setup, write, waiver("ENC-*", resource="*"), extra=())
    assert result.exit_code == 0
    assert doc["summary"]["results"]["waived"] == 6 and doc["summary"]["failing"] == 0


def test_expired_waiver_stops_applying_and_is_reported(cli, setup, write):
    result, doc = scan(cli, setup, write, waiver("ENC-*", resource="*", wid="OLD", expires="2025-06-14"))
    assert result.exit_code == 1
    assert "waived" not in by_key(doc).values()
    [expired] = doc["waivers"]["expired"]
    assert expired["id"] == "OLD" and expired["expires"] == "2025-06-14"
    assert doc["waivers"]["applied"] == [] and doc["waivers"]["unused"] == []


def test_a_waiver_applies_through_its_expiry_day(cli, setup, write):
    _, doc = scan(cli, setup, write, waiver("ENC-1", resource="bucket-new", expires=TODAY))
    assert by_key(doc)[("ENC-1", "bucket-new")] == "waived"


def test_unused_waiver_is_reported(cli, setup, write):
    _, doc = scan(cli, setup, write, waiver("ENC-1", resource="no-such-bucket-*", wid="IDLE"),
                  waiver("ENC-1", resource="bucket-new", wid="USED"))
    assert [w["id"] for w in doc["waivers"]["unused"]] == ["IDLE"]
    assert [w["id"] for w in doc["waivers"]["applied"]] == ["USED"]


@pytest.mark.parametrize("command", ["scan", "validate"])
def test_a_waiver_for_a_rule_that_is_not_loaded_is_an_error(cli, setup, write, command):
    pack, path = setup
    waiver_file = write("waivers.yaml", HEADER + waiver("ENC-9", resource="*", wid="TYPO"))
    extra = ("--coretest-estate", path) if command == "scan" else ()
    result = cli(command, "-p", pack, "--waivers", waiver_file, *extra)
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("rule 'ENC-9' matches no loaded rule (did you mean 'ENC-2'?)")
    assert "waivers.yaml:" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_passing_finding_is_never_waived(cli, setup, write, estate):
    pack, _ = setup
    path = estate(store("ok", tags={}, groups={"encryption": {"encryption.at_rest": True}}), name="ok.json")
    _, doc = scan(cli, (pack, path), write, waiver("ENC-1", resource="*", wid="W"))
    assert by_key(doc)[("ENC-1", "ok")] == "pass"
    assert [w["id"] for w in doc["waivers"]["unused"]] == ["W"]


def test_error_findings_can_be_waived_and_say_so(cli, setup, write, estate):
    pack, _ = setup
    path = estate(store("denied", tags={}, groups={"encryption": {"error": "AccessDenied"}}), name="denied.json")
    result, doc = scan(cli, (pack, path), write, waiver("ENC-*", resource="denied"))
    assert result.exit_code == 0
    assert all(f["message"].startswith("waived (error): ") for f in doc["findings"])


def test_waived_and_expired_waivers_show_in_the_text_report(cli, setup, write):
    pack, path = setup
    waiver_file = write("waivers.yaml", HEADER + waiver("ENC-1", resource="bucket-new", wid="NOW")
                        + waiver("ENC-2", resource="*", wid="GONE", expires="2025-01-01"))
    result = cli("scan", "-p", pack, "--coretest-estate", path, "--waivers", waiver_file, "--evaluation-date", TODAY)
    assert result.exit_code == 1
    assert "waived" in result.stdout
    assert "expired waiver GONE for ENC-2" in result.stdout and "ended 2025-01-01" in result.stdout


def test_maximum_duration_from_today_or_created(write):
    today = dt.date(2025, 6, 15)
    ok = write("ok.yaml", HEADER + waiver(resource="*", expires="2025-09-13"))  # 90 days
    assert load_waivers(ok, today=today)[0].expires == dt.date(2025, 9, 13)
    long = write("long.yaml", HEADER + waiver(resource="*", expires="2025-09-14"))  # 91 days
    with pytest.raises(WaiverError, match="more than 90 days after today"):
        load_waivers(long, today=today)
    created = write("created.yaml", HEADER + waiver(resource="*", created="2025-06-01", expires="2025-09-14"))
    with pytest.raises(WaiverError, match=r"more than 90 days after created \(2025-06-01\)"):
        load_waivers(created, today=today)
    assert load_waivers(long, today=today, max_days=120)


def test_max_waiver_days_option_and_config(cli, setup, write):
    pack, path = setup
    waiver_file = write("waivers.yaml", HEADER + waiver("ENC-1", resource="*", created="2025-06-01",
                                                        expires="2025-12-01"))
    base = ("scan", "-p", pack, "--coretest-estate", path, "--waivers", waiver_file, "--evaluation-date", TODAY)
    rejected = cli(*base)
    assert rejected.exit_code == 2 and "more than 90 days" in rejected.stderr
    assert cli(*base, "--max-waiver-days", "200").exit_code == 1
    write("policycheck.yaml", "max_waiver_days: 200\n")
    assert cli(*base).exit_code == 1
    short = cli(*base, "--max-waiver-days", "30")
    assert short.exit_code == 2 and "more than 30 days" in short.stderr


def test_waiver_file_from_the_config_is_relative_to_it(cli, setup, write):
    pack, path = setup
    write("conf/waivers.yaml", HEADER + waiver("ENC-1", resource="bucket-new", wid="CONF"))
    config = write("conf/policycheck.yaml", "waivers: waivers.yaml\n")
    result = cli("scan", "--config", config, "-p", pack, "--coretest-estate", path, "--evaluation-date", TODAY,
                 "-f", "json")
    assert [w["id"] for w in json.loads(result.stdout)["waivers"]["applied"]] == ["CONF"]


def test_validate_reports_waiver_counts(cli, setup, write):
    pack, _ = setup
    future = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    waiver_file = write("w.yaml", HEADER + waiver(resource="*", expires=future) + waiver(resource="x",
                                                                                      expires="2020-01-01"))
    result = cli("validate", "-p", pack, "--waivers", waiver_file)
    assert result.exit_code == 0
    assert result.stdout.strip() == "ok: 1 pack(s), 2 rule(s), 2 waiver(s) (1 expired)"


def test_waiver_book_splits_active_and_expired(write):
    path = write("w.yaml", HEADER + waiver(resource="a", wid="A", expires="2025-06-15")
                 + waiver(resource="b", wid="B", expires="2025-06-14"))
    book = WaiverBook.of(load_waivers(path, today=dt.date(2025, 6, 15)), dt.date(2025, 6, 15))
    assert [w.id for w in book.active] == ["A"] and [w.id for w in book.expired] == ["B"]
    resource = Resource(type="t", id="a", name="a", provider="p", tags={})
    assert book.find("ENC-1", resource).id == "A"
    assert book.find("OTHER", resource) is None


def test_default_waiver_ids_name_file_and_position(write):
    path = write("team-waivers.yaml", HEADER + waiver(resource="a") + waiver(resource="b"))
    assert [w.id for w in load_waivers(path, today=dt.date(2025, 6, 15))] == ["team-waivers.yaml#1",
                                                                               "team-waivers.yaml#2"]
