"""Item 8: nothing scanned, unknown resource types and duplicate ids are warnings; tag-only glob waivers need scope."""

from __future__ import annotations

import json

from hostile_support import bucket

WAIVERS = """\
apiVersion: policycheck/v1
kind: Waivers
waivers:
  - rule: "H-*"
    tags: {team: legacy}
    reason: decommissioning
    approver: dpo@example.com
    expires: "2026-05-30"
{scope}"""


def test_zero_resources_is_a_warning_and_fail_on_empty_fails(cli, tmp_path, pack, snapshot):
    empty = snapshot([])
    result = cli("scan", "-p", pack, "--snapshot", empty, "-f", "json=r.json")
    assert result.exit_code == 0
    assert "policycheck: warning: [policycheck] run: no resources were scanned" in result.output
    [problem] = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["collection_problems"]
    assert problem["level"] == "warning" and "no resources" in problem["message"]
    strict = cli("scan", "-p", pack, "--snapshot", empty, "--fail-on-empty", "-f", "json=r.json")
    assert strict.exit_code == 1
    assert "policycheck: error: [policycheck] run: no resources were scanned" in strict.output


def test_unknown_types_and_duplicate_ids_are_warnings(cli, tmp_path, pack, snapshot):
    records = [bucket(1), bucket(1), bucket(2, type="aws.s3.buckett")]
    result = cli("scan", "-p", pack, "--snapshot", snapshot(records), "-f", "json=r.json", "-f", "markdown=r.md")
    assert result.exit_code == 1  # bucket-1 is not encrypted; the warnings alone would not fail
    assert "unknown type 'aws.s3.buckett'" in result.output
    assert "listed more than once (e.g. arn:aws:s3:::bucket-1)" in result.output
    problems = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["collection_problems"]
    assert {p["level"] for p in problems} == {"warning"} and len(problems) == 2
    assert "warning(s)" in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_warnings_alone_do_not_fail_the_run(cli, pack, snapshot):
    record = bucket(2)  # encrypted, not public: passes
    assert cli("scan", "-p", pack, "--snapshot", snapshot([record, record])).exit_code == 0


def test_a_tag_only_waiver_with_a_rule_glob_needs_scope_tagged(cli, tmp_path, pack, snapshot):
    path = snapshot([bucket(1, tags={"team": "legacy"})])
    (tmp_path / "w.yaml").write_text(WAIVERS.replace("{scope}", ""), encoding="utf-8")
    refused = cli("scan", "-p", pack, "--snapshot", path, "--waivers", "w.yaml")
    assert refused.exit_code == 2
    assert "w.yaml:4:5: waivers[0].rule:" in refused.output and "scope: tagged" in refused.output
    (tmp_path / "w.yaml").write_text(WAIVERS.replace("{scope}", "    scope: tagged\n"), encoding="utf-8")
    assert cli("scan", "-p", pack, "--snapshot", path, "--waivers", "w.yaml").exit_code == 0
    assert cli("validate", "-p", pack, "w.yaml").exit_code == 0
