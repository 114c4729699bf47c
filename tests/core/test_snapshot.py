"""Offline snapshots: collect -> scan --snapshot gives the same findings; malformed snapshots are exit 2."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from core_support import rule_text, store

from policycheck.model import Resource, Unknown
from policycheck.snapshot import FORMAT, read_snapshot, write_snapshot

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)

RULES = (
    rule_text("ENC", require="{attr: encryption.at_rest, equals: true}"),
    rule_text("PUB", when="{attr: tags.pii, equals: 'yes'}", require="{attr: access.public, equals: false}"),
    rule_text("RET", require="{attr: retention.max_age_days, lte: 30}", severity="low"),
)


@pytest.fixture
def setup(policy, estate):
    pack = policy(*RULES)
    path = estate(
        store("good", tags={"pii": "yes"}, groups={"encryption": {"encryption.at_rest": True},
                                                  "access": {"access.public": False},
                                                  "retention": {"retention.max_age_days": 7},
                                                  "backup": {"backup.enabled": True}}),
        store("bad", tags={"pii": "yes"}, groups={"encryption": {"encryption.at_rest": False},
                                                 "access": {"access.public": True},
                                                 "retention": {"retention.max_age_days": None}}),
        store("denied", groups={"encryption": {"error": "AccessDenied", "action": "test:GetEncryption"},
                                "tags": {"tags": {"pii": "no"}},
                                "retention": {"crash": "boom"}}))
    return pack, path


def findings_of(stdout: str) -> list[tuple]:
    return [(f["fingerprint"], f["rule_id"], f["resource"]["id"], f["result"], f["message"], f["observed"])
            for f in json.loads(stdout)["findings"]]


def test_collect_then_scan_snapshot_matches_a_live_scan(cli, setup, fetch_log):
    pack, path = setup
    live = cli("scan", "-p", pack, "--coretest-estate", path, "-f", "json")
    assert live.exit_code == 1
    collected = cli("collect", "-p", pack, "--coretest-estate", path, "-o", "snap.json")
    assert collected.exit_code == 0, collected.stderr
    assert collected.stderr.strip() == "collected 3 resources"
    fetch_log.clear()
    offline = cli("scan", "-p", pack, "--snapshot", "snap.json", "-f", "json")
    assert offline.exit_code == 1
    assert fetch_log == []  # no provider involved
    assert findings_of(offline.stdout) == findings_of(live.stdout)
    assert json.loads(offline.stdout)["summary"]["results"] == {"pass": 3, "fail": 3, "error": 2, "waived": 0}


def test_collect_fetches_only_groups_the_policies_need(cli, setup, fetch_log, tmp_path):
    pack, path = setup
    cli("collect", "-p", pack, "--coretest-estate", path, "-o", "snap.json")
    assert {group for _, group in fetch_log} == {"encryption", "access", "retention", "tags"}
    [record] = [r for r in json.loads((tmp_path / "snap.json").read_text())["resources"] if r["id"] == "good"]
    assert "backup.enabled" not in record["attributes"]


def test_snapshot_keeps_unknown_values_with_their_reason(cli, setup, tmp_path):
    pack, path = setup
    cli("collect", "-p", pack, "--coretest-estate", path, "-o", "snap.json")
    document = json.loads((tmp_path / "snap.json").read_text())
    assert document["format"] == FORMAT and document["sources"] == ["coretest"]
    denied = next(r for r in document["resources"] if r["id"] == "denied")
    assert denied["unknown"]["encryption.at_rest"] == "AccessDenied (test:GetEncryption)"
    assert denied["unknown"]["retention.max_age_days"].startswith("unexpected RuntimeError")
    assert denied["tags"] == {"pii": "no"}


def test_attributes_a_snapshot_did_not_collect_are_unknown(cli, setup, policy):
    pack, path = setup
    cli("collect", "-p", pack, "--coretest-estate", path, "-o", "snap.json")
    other = policy(rule_text("BAK", require="{attr: backup.enabled, equals: true}"), name="other.yaml", pack="other")
    result = cli("scan", "-p", other, "--snapshot", "snap.json", "-f", "json")
    assert result.exit_code == 1
    messages = {f["resource"]["id"]: (f["result"], f["message"]) for f in json.loads(result.stdout)["findings"]}
    assert messages["good"] == ("error", "backup.enabled unknown: not collected in snapshot snap.json "
                                         "(collect with these policies or --all-attributes)")


def test_all_attributes_collects_every_group(cli, setup, fetch_log, tmp_path):
    _, path = setup
    assert cli("collect", "--all-attributes", "--coretest-estate", path, "-o", "all.json").exit_code == 0
    [good] = [r for r in json.loads((tmp_path / "all.json").read_text())["resources"] if r["id"] == "good"]
    assert good["attributes"]["backup.enabled"] is True
    assert sorted(fetch_log) == sorted(
        [("good", g) for g in ("encryption", "access", "retention", "backup")]
        + [("bad", g) for g in ("encryption", "access", "retention")]
        + [("denied", g) for g in ("encryption", "tags", "retention")])


def test_collect_to_stdout_is_valid_json(cli, setup):
    pack, path = setup
    result = cli("collect", "-p", pack, "--coretest-estate", path)
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["resources"]) == 3


def test_failed_collection_leaves_no_broken_snapshot(cli, setup, estate, tmp_path):
    pack, path = setup
    assert cli("collect", "-p", pack, "--coretest-estate", path, "-o", "snap.json").exit_code == 0
    before = (tmp_path / "snap.json").read_text()
    broken = estate(name="broken.json", fail_listing="no credentials for test")
    result = cli("collect", "-p", pack, "--coretest-estate", broken, "-o", "snap.json")
    assert result.exit_code == 2
    assert result.stderr == "policycheck: error: coretest: no credentials for test\n"
    assert (tmp_path / "snap.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "snap" in p.name) == ["snap.json"]


def test_collect_without_a_provider_is_a_usage_error(cli, setup):
    pack, _ = setup
    result = cli("collect", "-p", pack)
    assert result.exit_code == 2 and "nothing to collect" in result.stderr


def test_write_and_read_round_trip(tmp_path):
    resources = [Resource(type="test.store", id=f"r{i}", name=f"n{i}", provider="coretest", account="1",
                          region="eu-west-1", tags={"k": "v"}, attributes={"encryption.at_rest": bool(i)},
                          unknown={"access.public": "denied"}) for i in range(3)]
    path = tmp_path / "s.json"
    with path.open("w") as handle:
        assert write_snapshot(resources, handle, version="9", sources=["x"], created=NOW) == 3
    assert json.loads(path.read_text())["policycheck_version"] == "9"
    back = list(read_snapshot(path))
    assert [r.ref() for r in back] == [r.ref() for r in resources]
    assert [r.get("encryption.at_rest") for r in back] == [False, True, True]
    assert back[0].get("tags.k") == "v"
    assert back[0].get("access.public") == Unknown("denied")


def test_empty_snapshot_is_valid(tmp_path):
    buffer = io.StringIO()
    write_snapshot([], buffer, version="1", sources=[], created=NOW)
    path = tmp_path / "empty.json"
    path.write_text(buffer.getvalue())
    assert list(read_snapshot(path)) == []


def test_read_snapshot_resources(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"format": FORMAT, "resources": [
        {"type": "test.store", "id": "a", "name": "a", "provider": "coretest", "account": 12, "tags": None,
         "attributes": {"x": 1}, "unknown": {"y": "denied"}}]}))
    [resource] = read_snapshot(path)
    assert resource.account == "12"
    assert resource.get("x") == 1 and resource.get("y") == Unknown("denied")
    assert resource.get("tags.any") == Unknown("tags were not collected")
    assert isinstance(resource.get("z"), Unknown)


MALFORMED = {
    "not-json.json": ("{\"format\": ", "not valid JSON"),
    "list.json": ("[]", "not a policycheck snapshot (format must be 'policycheck/snapshot/v1', found 'list')"),
    "report.json": (json.dumps({"format": "policycheck/report/v1"}), "not a policycheck snapshot"),
    "future.json": (json.dumps({"format": "policycheck/snapshot/v9", "resources": []}),
                    "found 'policycheck/snapshot/v9'"),
    "no-resources.json": (json.dumps({"format": FORMAT}), "'resources' must be a list"),
    "record-not-object.json": (json.dumps({"format": FORMAT, "resources": ["x"]}),
                               "resources[0]: a resource must be an object"),
    "record-missing-id.json": (json.dumps({"format": FORMAT, "resources": [
        {"type": "test.store", "name": "n", "provider": "p"}]}), "resources[0]: missing or empty id"),
    "attributes-list.json": (json.dumps({"format": FORMAT, "resources": [
        {"type": "t", "id": "i", "name": "n", "provider": "p", "attributes": []}]}),
        "resources[0].attributes: must be an object"),
    "tags-list.json": (json.dumps({"format": FORMAT, "resources": [
        {"type": "t", "id": "i", "name": "n", "provider": "p", "tags": ["a"]}]}),
        "resources[0].tags: must be an object or null"),
    "deep.json": ("[" * 50000 + "]" * 50000, "nested too deeply"),
    "latin1.json": (b'{"format": "caf\xe9"}', "not UTF-8"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_snapshot_is_one_line_exit_2(cli, setup, tmp_path, name, fetch_log):
    pack, _ = setup
    content, fragment = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = cli("scan", "-p", pack, "--snapshot", path, "-f", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"policycheck: error: {path}")
    assert fragment in line


def test_missing_snapshot_file(cli, setup):
    pack, _ = setup
    result = cli("scan", "-p", pack, "--snapshot", "nope.json")
    assert result.exit_code == 2
    assert result.stderr == "policycheck: error: nope.json: snapshot file not found\n"


def test_invalid_json_names_line_and_column(cli, setup, write):
    pack, _ = setup
    path = write("bad.json", '{\n "format": "policycheck/snapshot/v1",\n "resources": [,]\n}')
    result = cli("scan", "-p", pack, "--snapshot", path)
    assert result.stderr.startswith(f"policycheck: error: {path}:3:16: not valid JSON")


def test_collection_problems_travel_in_the_snapshot_and_fail_its_scan(cli, policy, estate, tmp_path):
    pack = policy(rule_text("ENC", require="{attr: encryption.at_rest, equals: true}"))
    path = estate(store("first", groups={"encryption": {"encryption.at_rest": True}}),
                  store("second", groups={"encryption": {"encryption.at_rest": True}}), fail_after=1)
    collected = cli("collect", "-p", pack, "--coretest-estate", path, "-o", "snap.json")
    assert collected.exit_code == 1
    assert "collection error [coretest] collection stopped: coretest: listing broke off" in collected.stderr
    document = json.loads((tmp_path / "snap.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in document["resources"]] == ["first"]
    assert document["problems"] == [{"provider": "coretest", "scope": "collection stopped",
                                      "message": "coretest: listing broke off"}]
    offline = cli("scan", "-p", pack, "--snapshot", "snap.json", "-f", "json")
    assert offline.exit_code == 1  # the only finding passes: the recorded problem fails the run
    report = json.loads(offline.stdout)
    assert report["summary"]["results"]["fail"] == 0
    assert report["collection_problems"] == [{"provider": "coretest", "scope": "collection stopped",
                                              "message": "coretest: listing broke off (recorded in snap.json)"}]


def test_a_snapshot_with_malformed_problems_is_an_input_error(cli, policy, write):
    pack = policy(rule_text("ENC", require="{attr: encryption.at_rest, equals: true}"))
    write("snap.json", {"format": FORMAT, "resources": [], "problems": [{"scope": "eu"}]})
    result = cli("scan", "-p", pack, "--snapshot", "snap.json")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("snap.json: 'problems' must be a list of {provider, scope, message}")
