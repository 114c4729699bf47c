"""--shard I/N and --shard auto: a deterministic split of the work, read from the engine's own variables."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from policycheck.errors import ConfigError
from policycheck.shard import Shard, bucket, shard_of

PINNED = [6, 4, 5]
KEYS = [f"arn:aws:s3::1234567890{i % 7:02d}:bucket-{i}" for i in range(2000)]


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_every_key_belongs_to_exactly_one_shard(count):
    owners = [[s for s in range(1, count + 1) if Shard(s, count).owns(key)] for key in KEYS]
    assert all(len(o) == 1 for o in owners)
    sizes = [sum(1 for o in owners if o == [s]) for s in range(1, count + 1)]
    assert min(sizes) > len(KEYS) / count * 0.8  # no shard is starved


def test_the_split_is_pinned_and_independent_of_the_interpreter():
    # pinned: a change of hash would re-deal every key between the shards of a running pipeline
    assert [bucket(k, 7) for k in ("aws:123456789012", "devices:laptops.csv", "x")] == PINNED
    assert bucket("arn:aws:s3::123456789012:data", 1000003) == 644510
    code = "from policycheck.shard import bucket; print([bucket(k, 7) for k in ('aws:123456789012', " \
           "'devices:laptops.csv', 'x')])"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": "12345"},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(PINNED)


@pytest.mark.parametrize(("spec", "count", "env", "expected"), [
    ("2/5", None, {}, Shard(2, 5)),
    (" 1 / 1 ", None, {}, Shard(1, 1)),
    ("3/3", 3, {}, Shard(3, 3)),
    ("auto", None, {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "4"}, Shard(2, 4)),  # GitLab: 1-based
    ("auto", 3, {"JOB_COMPLETION_INDEX": "0"}, Shard(1, 3)),  # Kubernetes: 0-based, count from --shard-count
    ("auto", None, {"STRATEGY_JOB_INDEX": "4", "STRATEGY_JOB_TOTAL": "5"}, Shard(5, 5)),  # GitHub matrix: 0-based
    ("AUTO", None, {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "1", "JOB_COMPLETION_INDEX": "3"}, Shard(1, 1)),
    (None, None, {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "4"}, None),  # not asked: a CI variable changes nothing
])
def test_shard_from_flags_and_environment(spec, count, env, expected):
    assert shard_of(spec, count, env) == expected


@pytest.mark.parametrize(("spec", "count", "env", "message"), [
    ("0/3", None, {}, "--shard: shard 0/3: the index must be between 1 and 3"),
    ("4/3", None, {}, "--shard: shard 4/3: the index must be between 1 and 3"),
    ("1/0", None, {}, "--shard: shard 1/0: the index must be between 1 and 0"),
    ("1-3", None, {}, "--shard: expected I/N (e.g. 2/5) or 'auto', got '1-3'"),
    ("2/3", 4, {}, "--shard-count: --shard-count 4 contradicts --shard 2/3"),
    (None, 3, {}, "--shard-count: --shard-count goes with --shard auto"),
    ("auto", None, {}, "--shard: --shard auto: none of CI_NODE_INDEX, JOB_COMPLETION_INDEX, STRATEGY_JOB_INDEX is "
                       "set; give --shard I/N"),
    ("auto", None, {"JOB_COMPLETION_INDEX": "2"}, "--shard: --shard auto: Kubernetes Indexed Job gives "
                                                  "JOB_COMPLETION_INDEX but not the number of shards, and "
                                                  "KUBERNETES_SERVICE_HOST is unset (not in a pod) to ask the Job; "
                                                  "pass --shard-count N (the Job's completions)"),
    ("auto", 2, {"JOB_COMPLETION_INDEX": "2"}, "--shard: --shard auto: JOB_COMPLETION_INDEX=2 is outside the 2 "
                                               "shard(s) of Kubernetes Indexed Job"),
    ("auto", None, {"CI_NODE_INDEX": "x", "CI_NODE_TOTAL": "2"}, "--shard: --shard auto: CI_NODE_INDEX must be a "
                                                                 "whole number, got 'x'"),
    ("auto", 5, {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"}, "--shard-count: --shard-count 5 contradicts "
                                                              "CI_NODE_TOTAL=2"),
])
def test_bad_shards_are_refused_in_one_line(spec, count, env, message):
    with pytest.raises(ConfigError) as caught:
        shard_of(spec, count, env)
    assert str(caught.value) == message


def test_whole_units_go_to_shards_only_when_there_are_enough():
    assert not Shard(1, 1).split_by_units(100)
    assert not Shard(1, 3).split_by_units(5)
    assert Shard(1, 3).split_by_units(6)
