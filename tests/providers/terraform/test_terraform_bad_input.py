"""Bad plans and settings: one line naming the file, exit 2, no traceback; ambiguous joins stay unknown."""

from __future__ import annotations

import json
import os

import pytest

from .conftest import PLAN, run


def scan(*plans: str) -> tuple[int, str]:
    args = ["scan", "--provider", "terraform"]
    for plan in plans:
        args += ["--plan", plan]
    return run(*args)


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not JSON"),
    ('{"format_version": "2.0", "resource_changes": []}', "format_version 2.0 is not supported"),
    ('{"resource_changes": []}', "no format_version"),
    ('[1, 2]', "no format_version"),
    ('{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": ["explode"]}}]}',
     "unknown actions"),
    ('{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": ["create"]}}]}',
     "change.after is not an object"),
])
def test_bad_plan_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "plan.json"
    path.write_text(content)
    code, output = scan(str(PLAN), str(path))
    assert code == 2
    assert message in output and str(path) in output
    assert "Traceback" not in output


def test_missing_plan_and_missing_option(tmp_path):
    code, output = scan(str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json" in output and "plan not found" in output
    code, output = run("scan", "--provider", "terraform")
    assert code == 2 and "no plan given" in output


def test_a_plan_past_the_input_cap_is_refused_unread(tmp_path):
    """Issue 13 item 5: plans are read through the same cap as snapshots, raised with --max-input-mb."""
    big = tmp_path / "big.json"
    padding = " " * (1024 * 1024 + 10)  # just over 1 MB of whitespace around a valid plan
    big.write_text(PLAN.read_text(encoding="utf-8") + padding, encoding="utf-8")
    code, output = run("scan", "--provider", "terraform", "--plan", str(big), "--max-input-mb", "1")
    assert code == 2 and output.strip() == (f"policycheck: error: {big}: plan is larger than 1 MB; raise the limit "
                                            "with --max-input-mb")
    code, output = run("scan", "--provider", "terraform", "--plan", str(big), "--max-input-mb", "2")
    assert code in (0, 1), output  # raised: the same plan is scanned


def test_a_plan_that_is_a_pipe_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    code, output = scan(str(fifo))
    assert code == 2 and "not a regular file" in output and str(fifo) in output


def test_terraform_dir_must_be_a_folder(tmp_path):
    code, output = run("scan", "--provider", "terraform", "--plan", str(PLAN), "--terraform-dir",
                       str(tmp_path / "missing"))
    assert code == 2 and "is not a folder" in output


def _bucket(address: str, index: int | None, name: str) -> dict:
    return {"address": address, "mode": "managed", "type": "aws_s3_bucket", "name": "b", "index": index,
            "change": {"actions": ["create"], "before": None, "after": {"bucket": name, "tags_all": {}},
                       "after_unknown": {"id": True, "arn": True, "versioning": True}}}


def test_a_split_resource_that_may_configure_several_buckets_leaves_them_unknown(collect, write_plan):
    """``bucket = aws_s3_bucket.b[var.pick].id``: the plan cannot tell which instance, so versioning is unknown."""
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            _bucket("aws_s3_bucket.b[0]", 0, "one"), _bucket("aws_s3_bucket.b[1]", 1, "two"),
            {"address": "aws_s3_bucket_versioning.v", "mode": "managed", "type": "aws_s3_bucket_versioning",
             "name": "v", "change": {"actions": ["create"], "before": None,
                                     "after": {"versioning_configuration": [{"status": "Enabled"}]},
                                     "after_unknown": {"bucket": True}}}],
        "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
            "region": {"constant_value": "eu-west-1"}}}}, "root_module": {"resources": [
                {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
                 "provider_config_key": "aws", "count_expression": {"constant_value": 2}, "expressions": {}},
                {"address": "aws_s3_bucket_versioning.v", "mode": "managed", "type": "aws_s3_bucket_versioning",
                 "name": "v", "provider_config_key": "aws",
                 "expressions": {"bucket": {"references": ["aws_s3_bucket.b", "var.pick"]}}}]}},
    }
    resources = collect(write_plan(plan))
    for address in ("aws_s3_bucket.b[0]", "aws_s3_bucket.b[1]"):
        assert "may configure several buckets" in resources[address]["unknown"]["versioning.enabled"]


def test_region_missing_from_provider_is_unknown(collect, write_plan):
    plan = {"format_version": "1.2", "resource_changes": [_bucket("aws_s3_bucket.b", None, "one")],
            "configuration": {"provider_config": {"aws": {"name": "aws"}}, "root_module": {"resources": [
                {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
                 "provider_config_key": "aws", "expressions": {}}]}}}
    bucket = collect(write_plan(plan))["aws_s3_bucket.b"]
    assert "sets no region" in bucket["unknown"]["location.jurisdiction"]
    assert json.dumps(bucket["attributes"]).count("location.") == 0
